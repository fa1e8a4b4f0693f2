"""What the fixture scripts beside this file share: padding to glTF's
4-byte alignment and writing a GLB (glTF 2.0 §4.4) into
loaders/tests/fixtures/."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "loaders/tests/fixtures")


def pad(b, fill=b"\0"):
    return b + fill * (-len(b) % 4)


def write_glb(name, gltf, body):
    """Writes `gltf` (a dict) and the binary chunk `body` as
    loaders/tests/fixtures/NAME; returns the GLB's bytes."""
    js = pad(json.dumps(gltf, separators=(",", ":")).encode(), b" ")
    body = pad(body)
    chunks = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", len(body), 0x004E4942) + body
    glb = b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, name), "wb") as f:
        f.write(glb)
    return glb
