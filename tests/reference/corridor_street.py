"""A surveyed street's utility lines (corridor_street.geojson) and the
clearance, cover, section and dig results expected of them, worked out by
brute force over every pair with GEOS geometry (shapely) — no spatial
index, no code shared with cim — against the bundled rule table
(cim-core/src/pipes/corridor/gb50289_2016.toml).

    python3 -m venv /var/tmp/wntrvenv && /var/tmp/wntrvenv/bin/pip install shapely==2.1.1
    cd tests/reference && /var/tmp/wntrvenv/bin/python corridor_street.py

writes corridor_street.geojson (the input, CGCS2000 / 3-degree GK CM 114E,
EPSG:4547, a street in Guangzhou) and corridor_street.json (expected).

Conventions it shares with cim, as CJJ 61 surveys lines: 起点埋深/终点埋深
are depths of the pipe top, of the invert for drainage; sizes are outer.
"""

import json
import math
import tomllib
from pathlib import Path

from shapely.geometry import LineString, Point, Polygon

HERE = Path(__file__).parent
RULES = tomllib.loads((HERE / "../../cim-core/src/pipes/corridor/gb50289_2016.toml").read_text())
X0, Y0 = 435_000.0, 2_555_000.0
PARALLEL_DEG = 30.0
JOINT = 0.01


def ground(x, y):
    """The street rises 0.5 m over its 200 m."""
    return 10.0 + (x - X0) * 0.0025


# id, 类别, 管径, 埋设方式, 压力, plan points (local x, y), depth at start, end
LINES = [
    ("JS1", "给水", "DN400", "直埋", None, [(0, -6), (200, -6)], 1.0, 1.0),
    ("YS1", "雨水", "DN800", "直埋", None, [(0, -4.1), (120, -4.1), (200, -4.3)], 2.6, 2.9),
    ("WS1", "污水", "DN600", "直埋", None, [(0, 1.0), (200, 1.0)], 3.0, 3.4),
    ("RQ1", "燃气", "DN200", "直埋", "中压A", [(0, 2.3), (200, 2.3)], 1.0, 1.0),
    ("DL1", "电力", "1000×800", "保护管", None, [(0, -12), (200, -12)], 0.7, 0.7),
    ("TX1", "通信", "600×400", "排管", None, [(0, -10), (200, -10)], 0.8, 0.8),
    ("RL1", "热力", "DN500", "直埋", None, [(0, 8), (200, 8)], 1.8, 1.8),
    ("ZS1", "再生水", "DN200", "直埋", None, [(0, 11), (200, 11)], 1.0, 1.0),
    # A water branch from the main northwards, passing over the storm drain
    # too closely (0.35 m < 0.40 m).
    ("JS2", "给水", "DN150", "直埋", None, [(100, -6), (100, 15)], 1.45, 1.45),
    # A sewer lateral from the south into the sewer main, sloping down,
    # clashing with the storm drain.
    ("WS2", "污水", "DN300", "直埋", None, [(150, -15), (150, 1.0)], 2.0, 2.8),
    # A telecom duct laid directly, crossing the sewer main too close.
    ("TX2", "通信", "DN110", "直埋", None, [(60, -15), (60, 15)], 2.65, 2.65),
    # A gas service too close beside the sewer lateral (1.0 m, needs 1.2).
    ("RQ2", "燃气", "DN100", "直埋", "中压B", [(151.35, -15), (151.35, -7.5)], 1.0, 1.0),
    # Street lighting (a power subclass) along the kerb.
    ("LD1", "路灯", "DN50", "直埋", None, [(0, -14.5), (200, -14.5)], 0.6, 0.6),
    # Not a utility: left out.
    ("X1", "不明", "DN100", "直埋", None, [(10, 14), (20, 14)], 1.0, 1.0),
]

ALIASES = {
    "给水": "water", "雨水": "drainage", "污水": "drainage", "燃气": "gas", "电力": "power",
    "路灯": "power", "通信": "telecom", "热力": "heat", "再生水": "reclaimed",
}
PRESSURE = {"中压A": "medium-a", "中压B": "medium-b"}


def size(text):
    t = text.replace("DN", "")
    if "×" in t:
        w, h = t.split("×")
        return float(w) / 1000, float(h) / 1000
    d = float(t) / 1000
    return d, d


def parse():
    out = []
    for lid, cls, sz, lay, pres, pts, d0, d1 in LINES:
        if cls not in ALIASES:
            continue
        util = ALIASES[cls]
        w, h = size(sz)
        xy = [(X0 + x, Y0 + y) for x, y in pts]
        total = sum(math.dist(a, b) for a, b in zip(xy, xy[1:]))
        run, zs = 0.0, []
        for k, p in enumerate(xy):
            if k:
                run += math.dist(xy[k - 1], p)
            depth = d0 + (d1 - d0) * run / total
            surveyed = ground(*p) - depth
            zs.append(surveyed + h / 2 if util == "drainage" else surveyed - h / 2)
        out.append({
            "id": lid, "utility": util, "w": w, "h": h,
            "laying": "direct" if lay == "直埋" else "protected",
            "pressure": PRESSURE.get(pres),
            "geom": LineString([(x, y, z) for (x, y), z in zip(xy, zs)]),
        })
    return out


def matches(sel, line):
    util, _, q = sel.partition(":")
    if util != line["utility"]:
        return False
    if not q:
        return True
    if q.startswith("d<="):
        return line["w"] * 1000 <= float(q[3:])
    if q.startswith("d>"):
        return line["w"] * 1000 > float(q[2:])
    if q in ("direct", "protected"):
        return line["laying"] == q
    return line["pressure"] == q


def rule(table, a, b):
    best = None
    for r in RULES.get(table, []):
        s, t = r["between"]
        if (matches(s, a) and matches(t, b)) or (matches(s, b) and matches(t, a)):
            spec = (":" in s) + (":" in t)
            if best is None or spec > best[0]:
                best = (spec, r["min_m"])
    return None if best is None else best[1]


def z_at(line, pt):
    g = line["geom"]
    return g.interpolate(g.project(Point(pt))).z


def segments(line):
    c = list(line["geom"].coords)
    return [LineString([c[k], c[k + 1]]) for k in range(len(c) - 1)]


def joined(s, t):
    ends = lambda seg: [Point(seg.coords[0][:2]), Point(seg.coords[-1][:2])]
    s2, t2 = LineString([c[:2] for c in s.coords]), LineString([c[:2] for c in t.coords])
    return any(p.distance(t2) <= JOINT for p in ends(s)) or any(p.distance(s2) <= JOINT for p in ends(t))


def clearance(lines):
    worst = {}

    def keep(kind, i, j, req, gap, at):
        key = (i, j, kind)
        if key not in worst or gap < worst[key]["clearance_m"]:
            worst[key] = {"kind": kind, "a": lines[i]["id"], "b": lines[j]["id"], "required_m": req,
                          "clearance_m": gap, "x": at[0], "y": at[1]}

    for i, a in enumerate(lines):
        for j in range(i + 1, len(lines)):
            b = lines[j]
            for s in segments(a):
                for t in segments(b):
                    if a["utility"] == b["utility"] and joined(s, t):
                        continue
                    s2 = LineString([c[:2] for c in s.coords])
                    t2 = LineString([c[:2] for c in t.coords])
                    if s2.intersects(t2):
                        p = s2.intersection(t2)
                        pt = (p.x, p.y)
                        gap = abs(z_at(a, pt) - z_at(b, pt)) - a["h"] / 2 - b["h"] / 2
                        req = rule("vertical", a, b)
                        if gap < 0:
                            keep("collision", i, j, req, gap, pt)
                        elif req is not None and gap < req:
                            keep("vertical", i, j, req, gap, pt)
                        continue
                    d = s2.distance(t2)
                    gap = d - a["w"] / 2 - b["w"] / 2
                    req = rule("horizontal", a, b)
                    (ax, ay), (bx, by) = s2.coords[0], s2.coords[1]
                    (cx, cy), (dx, dy) = t2.coords[0], t2.coords[1]
                    cosang = abs((bx - ax) * (dx - cx) + (by - ay) * (dy - cy)) / (s2.length * t2.length)
                    if cosang >= math.cos(math.radians(PARALLEL_DEG)) and req is not None and gap < req:
                        # Where: midway between the nearest points.
                        from shapely.ops import nearest_points
                        p, q = nearest_points(s2, t2)
                        keep("horizontal", i, j, req, gap, ((p.x + q.x) / 2, (p.y + q.y) / 2))
    order = {"collision": 0, "vertical": 1, "horizontal": 2}
    return sorted(worst.values(), key=lambda v: (order[v["kind"]], v["a"], v["b"]))


def section(lines, path):
    """Lines cut by the drawn path: chainage, centre height, cover."""
    p = LineString(path)
    cuts = []
    for ln in lines:
        g2 = LineString([c[:2] for c in ln["geom"].coords])
        x = p.intersection(g2)
        if x.is_empty:
            continue
        pt = (x.x, x.y)
        z = z_at(ln, pt)
        cuts.append({"id": ln["id"], "s_m": p.project(Point(pt)), "z_m": z,
                     "cover_m": ground(*pt) - (z + ln["h"] / 2)})
    return sorted(cuts, key=lambda c: c["s_m"])


def dig(lines, ring, depth):
    """Lines inside the pit whose top rises above its bottom (depth below
    the ground), with the length inside."""
    poly = Polygon(ring)
    out = []
    for ln in lines:
        g2 = LineString([c[:2] for c in ln["geom"].coords])
        inside = poly.intersection(g2)
        if inside.is_empty or inside.length == 0:
            continue
        # Lines here are straight through the pit: check its ends inside.
        worst = min(
            (ground(x, y) - depth) - (z_at(ln, (x, y)) + ln["h"] / 2)
            for x, y in inside.coords
        )
        out.append({"id": ln["id"], "inside_m": inside.length, "clearance_m": worst})
    return sorted(out, key=lambda h: h["id"])


def main():
    features = []
    for lid, cls, sz, lay, pres, pts, d0, d1 in LINES:
        xy = [(X0 + x, Y0 + y) for x, y in pts]
        props = {
            "编号": lid, "管线类别": cls, "管径": sz, "埋设方式": lay, "压力": pres,
            "起点埋深": d0, "终点埋深": d1,
            "起点地面高程": round(ground(*xy[0]), 6), "终点地面高程": round(ground(*xy[-1]), 6),
        }
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "LineString", "coordinates": [list(p) for p in xy]}})
    doc = {"type": "FeatureCollection", "name": "corridor_street",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}},
           "features": features}
    (HERE / "corridor_street.geojson").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")

    lines = parse()
    cross = [(X0 + 50, Y0 - 15), (X0 + 50, Y0 + 15)]
    pit = [(X0 + 95, Y0 - 8), (X0 + 105, Y0 - 8), (X0 + 105, Y0 + 4), (X0 + 95, Y0 + 4)]
    expected = {
        "command": "cd tests/reference && python corridor_street.py (shapely "
                   + __import__("shapely").__version__ + ", GEOS " + __import__("shapely").geos_version_string + ")",
        "lines": len(lines),
        "clearance": clearance(lines),
        "section": {"line": cross, "cuts": section(lines, cross)},
        "dig": {"polygon": pit, "depth_m": 1.6, "hits": dig(lines, pit, 1.6)},
    }
    (HERE / "corridor_street.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    for v in expected["clearance"]:
        print(v["kind"], v["a"], v["b"], round(v["clearance_m"], 3), v["required_m"])


if __name__ == "__main__":
    main()
