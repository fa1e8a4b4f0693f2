#!/usr/bin/env python3
"""Reference counts for the IFC files in $CIM_TEST_DATA/ifc/web-ifc/, from
IfcOpenShell: per file the schema, every IfcProduct with a representation
identified 'Body' by class, and the box (world coordinates, metres) and
triangle count of the shapes IfcOpenShell's geometry iterator makes for
them, openings and spaces left out (they are not drawn).

Run (IfcOpenShell 0.9.0 from PyPI, in a venv):
  pip install ifcopenshell==0.9.0.post1
  python3 tests/reference/ifc_counts.py $CIM_TEST_DATA/ifc/web-ifc > tests/reference/ifc_counts.json
Files whose schema IfcOpenShell does not know (IFC4X3_RC2) are listed
with the reason instead.
"""
import json
import os
import sys

import ifcopenshell
import ifcopenshell.geom

NOT_DRAWN = {"IfcOpeningElement", "IfcOpeningStandardCase", "IfcSpace"}


def summarise(path):
    try:
        f = ifcopenshell.open(path)
    except Exception as e:  # an unknown schema
        return {"skipped": str(e)}
    by = {}
    for p in f.by_type("IfcProduct"):
        r = p.Representation
        if r is not None and any(x.RepresentationIdentifier == "Body" for x in r.Representations):
            by[p.is_a()] = by.get(p.is_a(), 0) + 1
    s = ifcopenshell.geom.settings()
    s.set("use-world-coords", True)
    it = ifcopenshell.geom.iterator(s, f, 1)
    lo, hi = [float("inf")] * 3, [float("-inf")] * 3
    triangles = 0
    if it.initialize():
        while True:
            sh = it.get()
            if f.by_id(sh.id).is_a() not in NOT_DRAWN:
                v = sh.geometry.verts
                triangles += len(sh.geometry.faces) // 3
                for i in range(0, len(v), 3):
                    for k in range(3):
                        lo[k] = min(lo[k], v[i + k])
                        hi[k] = max(hi[k], v[i + k])
            if not it.next():
                break
    return {
        "schema": f.schema,
        "element_count": sum(by.values()),
        "elements_by_class": dict(sorted(by.items())),
        "bbox_3d": [round(x, 6) for x in lo + hi],
        "triangle_count": triangles,
    }


def main():
    folder = sys.argv[1]
    out = {"ifcopenshell": ifcopenshell.version, "files": {}}
    for name in sorted(os.listdir(folder)):
        if name.lower().endswith(".ifc"):
            out["files"][name] = summarise(os.path.join(folder, name))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
