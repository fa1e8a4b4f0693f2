#!/usr/bin/env python3
"""Reference surface colours for the IFC files in $CIM_TEST_DATA/ifc/web-ifc/,
from IfcOpenShell's geometry iterator: per file, per drawn element (by
GlobalId), the distinct colours its faces are drawn in, each as sRGB RGBA
bytes [r, g, b, a] (round(c * 255), alpha round((1 - transparency) * 255)),
sorted. Only colours from the file's surface styles count (IfcOpenShell
names those materials after the style entity, `IfcSurfaceStyleRendering-N`
or `IfcSurfaceStyleShading-N`); faces IfcOpenShell gives its default
material are left out, as are elements with no styled face.

Run (IfcOpenShell 0.9.0 from PyPI, in a venv):
  pip install ifcopenshell==0.9.0.post1
  python3 tests/reference/ifc_styles.py $CIM_TEST_DATA/ifc/web-ifc > tests/reference/ifc_styles.json
"""
import json
import math
import os
import sys

import ifcopenshell
import ifcopenshell.geom

NOT_DRAWN = {"IfcOpeningElement", "IfcOpeningStandardCase", "IfcSpace"}


def byte(c):
    return max(0, min(255, int(math.floor(c * 255 + 0.5))))


def colours(path):
    try:
        f = ifcopenshell.open(path)
    except Exception as e:  # an unknown schema
        return {"skipped": str(e)}
    it = ifcopenshell.geom.iterator(ifcopenshell.geom.settings(), f, 1)
    out = {}
    if it.initialize():
        while True:
            sh = it.get()
            e = f.by_id(sh.id)
            if e.is_a() not in NOT_DRAWN:
                mats = sh.geometry.materials
                seen = set()
                for i in set(sh.geometry.material_ids):
                    m = mats[i] if 0 <= i < len(mats) else None
                    if m is None or not m.name.startswith("IfcSurfaceStyle"):
                        continue
                    d = m.diffuse
                    t = m.transparency
                    t = 0.0 if t is None or math.isnan(t) else t
                    seen.add((byte(d.r()), byte(d.g()), byte(d.b()), byte(1.0 - t)))
                if seen:
                    out[e.GlobalId] = sorted(list(c) for c in seen)
            if not it.next():
                break
    return dict(sorted(out.items()))


def main():
    root = sys.argv[1]
    files = sorted(n for n in os.listdir(root) if n.lower().endswith(".ifc"))
    print(json.dumps({n: colours(os.path.join(root, n)) for n in files}, indent=1))


if __name__ == "__main__":
    main()
