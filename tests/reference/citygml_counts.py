#!/usr/bin/env python3
"""Reference counts for the CityGML files in $CIM_TEST_DATA/citygml/, read
independently of CIM Studio with Python's own XML parser (ElementTree):
buildings (`Building` elements, parts not counted), city objects that are
`cityObjectMember`s' children, and the box around every LinearRing's
coordinates (posList or pos), in the file's coordinates.

Run: python3 tests/reference/citygml_counts.py $CIM_TEST_DATA/citygml > tests/reference/citygml_counts.json
"""
import json
import os
import sys
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def summarise(path):
    root = ET.parse(path).getroot()
    buildings = 0
    members = 0
    lo = [float("inf")] * 3
    hi = [float("-inf")] * 3

    def walk(e, dim):
        nonlocal buildings, members
        d = e.get("srsDimension")
        dim = int(d) if d else dim
        name = local(e.tag)
        if name == "Building":
            buildings += 1
        if name in ("cityObjectMember", "featureMember"):
            members += len(list(e))
        if name == "LinearRing":
            nums = []
            for c in e:
                if local(c.tag) in ("posList", "pos"):
                    cd = c.get("srsDimension")
                    nums.append((int(cd) if cd else dim, [float(x) for x in c.text.split()]))
            for cdim, values in nums:
                for i in range(0, len(values) - cdim + 1, cdim):
                    p = values[i : i + cdim] + [0.0] * (3 - cdim)
                    for k in range(3):
                        lo[k] = min(lo[k], p[k])
                        hi[k] = max(hi[k], p[k])
            return
        for c in e:
            walk(c, dim)

    walk(root, 3)
    return {
        "building_count": buildings,
        "top_level_objects": members,
        "bbox_3d": lo + hi,
    }


def main():
    folder = sys.argv[1]
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".gml"):
            out[name] = summarise(os.path.join(folder, name))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
