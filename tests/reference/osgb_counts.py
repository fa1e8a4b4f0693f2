#!/usr/bin/env python3
"""Vertex and triangle counts of every `.osgb` under $CIM_TEST_DATA/osgb,
as OpenSceneGraph's own reader sees them: `osgconv FILE out.obj` (Debian's
`openscenegraph` package), then the `v` and `f` lines of the OBJ counted.
osgconv reads the file alone: PagedLOD children in other files are not
loaded, as `cim inspect FILE.osgb` without `--deep` does not. The PagedLOD
child files and the textures (distinct `osg::Texture2D` IDs holding an
image) come from the same file converted to OSG's ASCII format
(`osgconv FILE out.osgt`).

Run: CIM_TEST_DATA=../shared/data python3 tests/reference/osgb_counts.py \
       > tests/reference/osgb_counts.json
"""

import json
import re
import os
import pathlib
import subprocess
import sys
import tempfile

root = pathlib.Path(os.environ["CIM_TEST_DATA"]) / "osgb"
version = subprocess.run(
    ["osgversion"], capture_output=True, text=True, check=True
).stdout.strip()
out = {"command": "osgconv FILE out.obj; count lines starting 'v ' and 'f '; "
                   "osgconv FILE out.osgt; RangeDataList names, Texture2D IDs",
       "osgconv": version, "files": {}}
with tempfile.TemporaryDirectory() as tmp:
    for f in sorted(root.rglob("*.osgb")):
        obj = pathlib.Path(tmp) / "out.obj"
        subprocess.run(["osgconv", str(f), str(obj)], check=True,
                       capture_output=True, cwd=tmp)
        lines = obj.read_text(errors="replace").splitlines()
        osgt = pathlib.Path(tmp) / "out.osgt"
        subprocess.run(["osgconv", str(f), str(osgt)], check=True,
                       capture_output=True, cwd=tmp)
        text = osgt.read_text(errors="replace")
        children = []
        for block in re.findall(r"RangeDataList \d+ \{(.*?)\}", text, re.S):
            children += [n for n in re.findall(r'"([^"]*)"', block) if n]
        textures = set(re.findall(
            r"osg::Texture2D \{\s*UniqueID (\d+)(?:(?!osg::Texture2D).)*?Image TRUE",
            text, re.S))
        out["files"][str(f.relative_to(root))] = {
            "vertex_count": sum(1 for l in lines if l.startswith("v ")),
            "triangle_count": sum(1 for l in lines if l.startswith("f ")),
            "texture_count": len(textures),
            "paged_lod_children": children,
        }
json.dump(out, sys.stdout, indent=2, sort_keys=True)
print()
