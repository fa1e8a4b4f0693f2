#!/usr/bin/env python3
# DDS fixtures and their reference decoding, for the OSGB texture reader
# (loaders/tests/osgb_dds.rs): the files written by ImageMagick, decoded
# by Pillow (two engines apart from ours: texpresso and ddsfile).
#
# Produced with:
#   ImageMagick 6.9.11-60 (`convert`) on PATH
#   python3 -m venv /var/tmp/pilvenv && /var/tmp/pilvenv/bin/pip install pillow==13.0.0
#   cd /work/main && /var/tmp/pilvenv/bin/python tests/reference/dds_pixels.py
# Writes:
#   loaders/tests/fixtures/dds/{dxt1,dxt5,rgba}.dds
#   tests/reference/dds_pixels.json   {name: {width, height, rgba}}
#
# The image: 10 × 6 pixels (not a whole number of 4 × 4 blocks), red
# rising left to right, green top to bottom, blue 64, alpha falling left to
# right (DXT1 keeps it opaque), so that orientation and channel order show.
import json
import os
import subprocess
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../../loaders/tests/fixtures/dds")
W, H = 10, 6

img = Image.new("RGBA", (W, H))
for y in range(H):
    for x in range(W):
        img.putpixel((x, y), (x * 255 // (W - 1), y * 255 // (H - 1), 64, 255 - x * 20))

os.makedirs(OUT, exist_ok=True)
ref = {}
with tempfile.TemporaryDirectory() as tmp:
    png = os.path.join(tmp, "in.png")
    img.save(png)
    for name, compression in [("dxt1", "dxt1"), ("dxt5", "dxt5"), ("rgba", "none")]:
        dds = os.path.join(OUT, name + ".dds")
        subprocess.run(
            ["convert", png, "-define", f"dds:compression={compression}",
             "-define", "dds:mipmaps=0", dds],
            check=True,
        )
        dec = Image.open(dds).convert("RGBA")
        ref[name] = {
            "width": dec.width,
            "height": dec.height,
            "rgba": list(dec.tobytes()),
        }

with open(os.path.join(HERE, "dds_pixels.json"), "w") as f:
    json.dump(ref, f)
    f.write("\n")
