#!/usr/bin/env python3
# A Draco-compressed glTF fixture and its reference decoding, both from
# Google's Draco (C++, through DracoPy), for the KHR_draco_mesh_compression
# reader (loaders/tests/tiles3d_compressed.rs).
#
# Produced with:
#   python3 -m venv /var/tmp/dracovenv && . /var/tmp/dracovenv/bin/activate
#   pip install DracoPy==2.2.0 numpy      (Python 3.11)
#   cd /work/main && python3 tests/reference/draco_grid.py
# Writes:
#   loaders/tests/fixtures/draco-grid.glb   the GLB (also a glb fuzz seed)
#   tests/reference/draco_grid.json         what Draco decodes it to
#
# The mesh: a 24 × 24 grid of points (x, y, z = a wave), two triangles a
# cell, texture coordinates 0–1, and a generic attribute (the glTF
# `_BATCHID`) numbering the grid's four quadrants 0–3. Draco reorders
# points and faces as it encodes; the reference is the decoder's output,
# in its order, which is what a faithful decoder must reproduce.
import json
import os

import DracoPy
import numpy as np
from fixture_glb import pad, write_glb

HERE = os.path.dirname(os.path.abspath(__file__))
N = 24

xs, ys = np.meshgrid(np.arange(N), np.arange(N))
xs, ys = xs.ravel(), ys.ravel()
points = np.stack([xs * 0.5, ys * 0.5, np.sin(xs / 5.0) * 2.0], 1).astype(np.float32)
faces = []
for j in range(N - 1):
    for i in range(N - 1):
        a = j * N + i
        faces += [[a, a + 1, a + N + 1], [a, a + N + 1, a + N]]
faces = np.array(faces, dtype=np.uint32)
uv = np.stack([xs / (N - 1), ys / (N - 1)], 1).astype(np.float64)
ids = ((xs >= N // 2).astype(int) + 2 * (ys >= N // 2).astype(int)).astype(np.float32).reshape(-1, 1)

drc = DracoPy.encode(points, faces, tex_coord=uv, generic_attributes={0: ids})
mesh = DracoPy.decode(drc)
by_type = {a["attribute_type"]: a for a in mesh.attributes}
# Draco attribute types: 0 position, 3 tex coord, 4 generic.
pos, tex, gen = by_type[0], by_type[3], by_type[4]
n = len(mesh.points)
tris = np.asarray(mesh.faces, dtype=np.uint32)



body = pad(drc)
lo = np.asarray(pos["data"]).min(0).tolist()
hi = np.asarray(pos["data"]).max(0).tolist()
gltf = {
    "asset": {"version": "2.0", "generator": "tests/reference/draco_grid.py"},
    "extensionsUsed": ["KHR_draco_mesh_compression"],
    "extensionsRequired": ["KHR_draco_mesh_compression"],
    "scene": 0,
    "scenes": [{"nodes": [0]}],
    "nodes": [{"mesh": 0}],
    "meshes": [{"primitives": [{
        "attributes": {"POSITION": 0, "TEXCOORD_0": 1, "_BATCHID": 2},
        "indices": 3,
        "mode": 4,
        "extensions": {"KHR_draco_mesh_compression": {
            "bufferView": 0,
            "attributes": {"POSITION": pos["unique_id"], "TEXCOORD_0": tex["unique_id"],
                           "_BATCHID": gen["unique_id"]},
        }},
    }]}],
    "accessors": [
        {"componentType": 5126, "count": n, "type": "VEC3", "min": lo, "max": hi},
        {"componentType": 5126, "count": n, "type": "VEC2"},
        {"componentType": 5126, "count": n, "type": "SCALAR"},
        {"componentType": 5125, "count": int(tris.size), "type": "SCALAR"},
    ],
    "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(drc)}],
    "buffers": [{"byteLength": len(body)}],
}
glb = write_glb("draco-grid.glb", gltf, body)


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


reference = {
    "generator": "tests/reference/draco_grid.py",
    "dracopy_version": "2.2.0",
    "points": n,
    "positions": floats(pos["data"]),
    "texcoords": floats(tex["data"]),
    "batch_ids": floats(gen["data"]),
    "indices": [int(i) for i in tris.ravel()],
}
with open(os.path.join(HERE, "draco_grid.json"), "w") as f:
    json.dump(reference, f, separators=(",", ":"))
    f.write("\n")
print(f"{len(glb)} bytes of GLB ({len(drc)} of Draco), {n} points, {len(tris)} triangles")
