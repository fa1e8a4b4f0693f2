#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target to corpus/<target>/seed-*.

Small valid files, built by hand with the standard library only (struct,
zlib, zipfile), so the fuzzer starts from inputs that get past each
reader's first checks. Run from anywhere: `python3 loaders/fuzz/make_seeds.py`.
Re-running overwrites the seeds and leaves the rest of the corpus alone.
"""

import io
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- Shapefiles --------------------------------------------------------------


def bbox_of(points):
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    return min(xs), min(ys), max(xs), max(ys)


def shp_record_point(shape_type, p):
    out = struct.pack("<i2d", shape_type, p[0], p[1])
    if shape_type in (11,):  # PointZ: z, m
        out += struct.pack("<2d", p[2] if len(p) > 2 else 0.0, 0.0)
    if shape_type in (21,):  # PointM
        out += struct.pack("<d", 0.0)
    return out


def shp_record_parts(shape_type, parts, z=False, part_types=None):
    pts = [p for part in parts for p in part]
    out = struct.pack("<i4d", shape_type, *bbox_of(pts))
    out += struct.pack("<2i", len(parts), len(pts))
    at = 0
    for part in parts:
        out += struct.pack("<i", at)
        at += len(part)
    if part_types is not None:
        out += struct.pack("<%di" % len(part_types), *part_types)
    for p in pts:
        out += struct.pack("<2d", p[0], p[1])
    if z:
        zs = [p[2] if len(p) > 2 else 0.0 for p in pts]
        out += struct.pack("<2d", min(zs), max(zs))
        out += b"".join(struct.pack("<d", v) for v in zs)
        out += struct.pack("<2d", 0.0, 0.0)
        out += b"".join(struct.pack("<d", 0.0) for _ in pts)
    return out


def shp_record_multipoint(shape_type, pts):
    out = struct.pack("<i4d", shape_type, *bbox_of(pts))
    out += struct.pack("<i", len(pts))
    for p in pts:
        out += struct.pack("<2d", p[0], p[1])
    return out


def shapefile(shape_type, contents, all_points):
    """(.shp, .shx) bytes for records with the given contents."""
    body = b""
    index = b""
    offset = 50  # in 16-bit words
    for i, c in enumerate(contents):
        rec = struct.pack(">2i", i + 1, len(c) // 2) + c
        index += struct.pack(">2i", offset, len(c) // 2)
        offset += len(rec) // 2
        body += rec

    def header(total_len):
        h = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, total_len // 2)
        h += struct.pack("<2i", 1000, shape_type)
        h += struct.pack("<4d", *bbox_of(all_points))
        h += struct.pack("<4d", 0.0, 0.0, 0.0, 0.0)
        return h

    shp = header(100 + len(body)) + body
    shx = header(100 + len(index)) + index
    return shp, shx


def dbf(fields, records, ldid=0x00):
    """fields: (name, type, length, decimals); records: lists of bytes."""
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(f[2] for f in fields)
    out = struct.pack(
        "<4BIHH20x", 3, 124, 1, 1, len(records), header_len, record_len
    )
    out = bytearray(out)
    out[29] = ldid
    for name, ty, length, dec in fields:
        n = (name if isinstance(name, bytes) else name.encode("ascii"))[:10].ljust(11, b"\0")
        out += n + ty.encode("ascii") + b"\0" * 4 + bytes([length, dec]) + b"\0" * 14
    out += b"\r"
    for rec in records:
        out += b" "
        for (name, ty, length, dec), v in zip(fields, rec):
            if isinstance(v, str):
                v = v.encode("utf-8")
            if ty in "NF":
                v = v.rjust(length, b" ")
            out += v[:length].ljust(length, b" ")
    out += b"\x1a"
    return bytes(out)


def shp_input(shp, shx=b"", dbf_bytes=b""):
    """The shp target's input: u16 .shx length, u16 .dbf length, the parts."""
    return struct.pack("<2H", len(shx), len(dbf_bytes)) + shx + dbf_bytes + shp


FIELDS = [
    ("NAME", "C", 12, 0),
    ("HEIGHT", "N", 8, 2),
    ("FLOORS", "N", 4, 0),
    ("OK", "L", 1, 0),
    ("BUILT", "D", 8, 0),
]


def attrs(i):
    return ["楼%d" % i, "%.2f" % (10.5 * (i + 1)), str(i + 2), "TF"[i % 2], "2016010%d" % (i + 1)]


def shapefiles():
    out = {}
    pts = [(500000.0 + i, 3400000.0 + 2 * i) for i in range(3)]
    recs = [shp_record_point(1, p) for p in pts]
    out["points"] = shapefile(1, recs, pts) + (1,)
    pz = [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)]
    recs = [shp_record_point(11, p) for p in pz]
    out["pointz"] = shapefile(11, recs, pz) + (11,)
    line = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]
    recs = [shp_record_parts(3, [line]), shp_record_parts(3, [line[:2], line[1:]])]
    out["lines"] = shapefile(3, recs, line) + (3,)
    ring = [(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0), (0.0, 0.0)]
    hole = [(2.0, 2.0), (8.0, 2.0), (8.0, 8.0), (2.0, 8.0), (2.0, 2.0)]
    recs = [shp_record_parts(5, [ring]), shp_record_parts(5, [ring, hole])]
    out["polygons"] = shapefile(5, recs, ring) + (5,)
    ringz = [(x, y, 5.0) for x, y in ring]
    recs = [shp_record_parts(15, [ringz], z=True)]
    out["polygonz"] = shapefile(15, recs, ring) + (15,)
    strip = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 1.0, 1.0)]
    recs = [shp_record_parts(31, [strip, ringz], z=True, part_types=[0, 2])]
    out["multipatch"] = shapefile(31, recs, strip) + (31,)
    recs = [shp_record_multipoint(8, pts), struct.pack("<i", 0)]
    out["multipoint_null"] = shapefile(8, recs, pts) + (8,)
    return out


def write_shp_and_dbf():
    shps = shapefiles()
    for name, (shp, shx, _ty) in shps.items():
        n = (len(shx) - 100) // 8
        table = dbf(FIELDS, [attrs(i) for i in range(n)], ldid=0x4D if name == "polygons" else 0)
        put("shp", name, shp_input(shp, shx, table))
    shp, shx, _ = shps["points"]
    put("shp", "points-shp-only", shp_input(shp))
    put("dbf", "attrs", dbf(FIELDS, [attrs(i) for i in range(3)]))
    put("dbf", "gbk", dbf([("名称".encode("gbk"), "C", 10, 0)], [["中文名".encode("gbk")]], ldid=0x4D))
    binary = [("ID", "I", 4, 0), ("VAL", "B", 8, 0), ("MONEY", "Y", 8, 0), ("TS", "T", 8, 0)]
    rec = [struct.pack("<i", 7), struct.pack("<d", 1.5), struct.pack("<q", 12345), struct.pack("<2i", 2457000, 3600000)]
    put("dbf", "binary", dbf(binary, [rec]))
    deleted = bytearray(dbf(FIELDS, [attrs(0), attrs(1)]))
    deleted[32 + 32 * len(FIELDS) + 1] = ord("*")
    put("dbf", "deleted", bytes(deleted))
    return shps


# --- WKB and GeoPackage blobs ------------------------------------------------


def wkb_point(x, y, z=None, le=True):
    e = "<" if le else ">"
    if z is None:
        return struct.pack(e + "BI2d", 1 if le else 0, 1, x, y)
    return struct.pack(e + "BI3d", 1 if le else 0, 1001, x, y, z)


def wkb_line(pts, ty=2):
    return struct.pack("<BII", 1, ty, len(pts)) + b"".join(struct.pack("<2d", *p) for p in pts)


def wkb_polygon(rings, ty=3):
    out = struct.pack("<BII", 1, ty, len(rings))
    for r in rings:
        out += struct.pack("<I", len(r)) + b"".join(struct.pack("<2d", *p) for p in r)
    return out


def wkb_polygon_z(rings, ty):
    out = struct.pack("<BII", 1, ty, len(rings))
    for r in rings:
        out += struct.pack("<I", len(r)) + b"".join(struct.pack("<3d", *p) for p in r)
    return out


def wkb_multi(ty, members):
    return struct.pack("<BII", 1, ty, len(members)) + b"".join(members)


def gpkg_blob(wkb, envelope=None, empty=False):
    flags = 0x01 | (0x02 if envelope else 0) | (0x10 if empty else 0)
    out = b"GP\0" + bytes([flags]) + struct.pack("<i", 4326)
    if envelope:
        out += struct.pack("<4d", *envelope)
    return out + wkb


def write_wkb():
    ring = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    put("wkb", "point", wkb_point(116.4, 39.9))
    put("wkb", "point-be", wkb_point(116.4, 39.9, le=False))
    put("wkb", "pointz", wkb_point(1.0, 2.0, 3.0))
    put("wkb", "ewkb-srid", struct.pack("<BIi2d", 1, 0x20000001, 4326, 1.0, 2.0))
    put("wkb", "line", wkb_line([(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]))
    put("wkb", "polygon", wkb_polygon([ring]))
    put("wkb", "multipolygon", wkb_multi(6, [wkb_polygon([ring]), wkb_polygon([ring])]))
    put("wkb", "collection", wkb_multi(7, [wkb_point(1.0, 2.0), wkb_point(3.0, 4.0)]))
    tri = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 1.0), (0.0, 0.0, 0.0)]
    put("wkb", "tin-z", wkb_multi(1016, [wkb_polygon_z([tri], 1017)]))
    put("wkb", "gpkg-point", gpkg_blob(wkb_point(116.4, 39.9)))
    put("wkb", "gpkg-polygon-env", gpkg_blob(wkb_polygon([ring]), envelope=(0.0, 1.0, 0.0, 1.0)))
    put("wkb", "gpkg-empty", gpkg_blob(b"", empty=True))


# --- GeoJSON -----------------------------------------------------------------


def write_geojson():
    put("geojson", "point", '{"type":"Feature","properties":{"name":"a","h":12.5},'
        '"geometry":{"type":"Point","coordinates":[116.39,39.91]}}')
    put("geojson", "collection", """{"type":"FeatureCollection",
"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},
"features":[
 {"type":"Feature","id":1,"properties":{"名称":"楼","floors":6,"ok":true,"x":null},
  "geometry":{"type":"Polygon","coordinates":[[[0,0],[0,10],[10,10],[10,0],[0,0]],[[2,2],[8,2],[8,8],[2,8],[2,2]]]}},
 {"type":"Feature","properties":{"floors":"7"},
  "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0,5],[0,1,5],[1,1,5],[0,0,5]]]]}}
]}""")
    put("geojson", "lines", """{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"w":3},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1],[2,0]]}},
 {"type":"Feature","properties":{"w":[1,2],"o":{"k":1}},"geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,0]],[[0,1],[1,1]]]}},
 {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"MultiPoint","coordinates":[[3,4],[5,6]]}]}},
 {"type":"Feature","properties":null,"geometry":null}
]}""")
    put("geojson", "bare-geometry", '{"type":"LineString","coordinates":[[1e6,2e6],[1.5e6,2.5e6]]}')


# --- ESRI ASCII grid ---------------------------------------------------------


def write_ascii_grid():
    put("ascii_grid", "corner", "ncols 4\nnrows 3\nxllcorner 500000\nyllcorner 3400000\n"
        "cellsize 30\nNODATA_value -9999\n1 2 3 4\n5 -9999 7 8\n9 10 11 12.5\n")
    put("ascii_grid", "center-dxdy", "NCOLS 2\r\nNROWS 2\r\nXLLCENTER 0.5\r\nYLLCENTER 0.5\r\n"
        "DX 1\r\nDY 2\r\n1.0e2 2\r\n3 4\r\n")
    put("ascii_grid", "nodata-nan", "ncols 3\nnrows 1\nxllcorner 0\nyllcorner 0\n"
        "cellsize 1\nnodata_value nan\nnan 1 2\n")


# --- Scene documents ---------------------------------------------------------


def write_scene():
    put("scene", "minimal", 'format_version = 1\nname = "x"\ncrs = "EPSG:4526"\norigin = [0.0, 0.0, 0.0]\n')
    put("scene", "full", r'''format_version = 1
name = "示例"
description = "seed"
crs = "EPSG:4547"
origin = [500000.0, 3400000.0, 12.5]

[[layer]]
name = "buildings"
source = "data/buildings.shp"
kind = "buildings"
opacity = 0.8
[layer.style]
color = "#aabbccdd"
height_field = "HEIGHT"
floors_field = "FLOORS"
floor_height = 3.0
label_field = "NAME"
[layer.style.theme]
mode = "graduated"
field = "HEIGHT"
method = "manual"
breaks = [0.0, 10.0, 50.0]
ramp = "YlOrRd"

[[layer]]
name = "pipes"
source = "pipes.gpkg"
layer = "water"
kind = "pipes"
visible = false
[layer.style]
width_field = "DN"
depth = 1.5
start_invert_field = "S"
end_invert_field = "E"
[layer.style.theme]
mode = "categorized"
field = "material"
colors = { PE = "#ff0000", "" = "#000000" }

[[layer]]
name = "dem"
source = "builtin:demo"
[layer.style]
hillshade = true

[[view]]
name = "home"
eye = [500000.0, 3399000.0, 800.0]
target = [500000.0, 3400000.0, 0.0]

[clock]
current = 1700000000
start = 1699990000
end = 1700090000
playing = true
speed = 60.0
display_utc_offset_hours = 8.0

[[basemap]]
name = "影像"
kind = "xyz"
url = "https://t{s}.example/img?x={x}&y={y}&l={z}"
subdomains = ["0", "1"]
tms = "cgcs2000"
max_zoom = 18

[[basemap]]
name = "labels"
opacity = 0.5
visible = false
kind = "folder"
path = "labels"
''')
    put("scene", "local-grid", 'format_version = 1\nname = "x"\ncrs = "+proj=tmerc +lon_0=117 +k=1 '
        '+x_0=500000 +ellps=GRS80 +units=m +no_defs"\norigin = [1.0, 2.0, 3.0]\n'
        '[basemap]\nname = "w"\nkind = "wmts"\nurl = "https://example/wmts"\nlayer = "img"\n')


# --- GeoTIFF -----------------------------------------------------------------


def lzw_encode(data):
    """TIFF LZW (MSB-first codes, early change), as libtiff writes it."""
    CLEAR, EOI = 256, 257
    out_bits = []

    def emit(code, width):
        out_bits.append((code, width))

    table = {bytes([i]): i for i in range(256)}
    next_code, width = 258, 9
    emit(CLEAR, width)
    w = b""
    for b in data:
        wc = w + bytes([b])
        if wc in table:
            w = wc
            continue
        emit(table[w], width)
        table[wc] = next_code
        next_code += 1
        if next_code + 1 >= (1 << width) and width < 12:
            width += 1
        if next_code >= 4094:
            emit(CLEAR, width)
            table = {bytes([i]): i for i in range(256)}
            next_code, width = 258, 9
        w = bytes([b])
    if w:
        emit(table[w], width)
        next_code += 1
        if next_code + 1 >= (1 << width) and width < 12:
            width += 1
    emit(EOI, width)
    acc, nbits, out = 0, 0, bytearray()
    for code, wdt in out_bits:
        acc = (acc << wdt) | code
        nbits += wdt
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    return bytes(out)


def packbits(data):
    out = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i:i + 128]
        out.append(len(chunk) - 1)
        out += chunk
    return bytes(out)


def tiff(w, h, sample_fmt, bits, samples, compression=1, tile=None, geo=True, be=False,
         pixel_is_point=False, nodata=None, overview=False):
    """A one-band TIFF (striped one row per strip, or tiled), with GeoTIFF tags."""
    e = ">" if be else "<"
    code = {"f": {32: "f", 64: "d"}, "i": {16: "h", 32: "i"}, "u": {8: "B", 16: "H"}}[sample_fmt][bits]
    fmt_tag = {"u": 1, "i": 2, "f": 3}[sample_fmt]

    def compress(raw):
        if compression == 1:
            return raw
        if compression == 5:
            return lzw_encode(raw)
        if compression in (8, 32946):
            return zlib.compress(raw)
        if compression == 32773:
            return packbits(raw)
        raise ValueError(compression)

    def image(w, h):
        (bw, bh) = tile if tile else (w, 1)
        across, down = -(-w // bw), -(-h // bh)
        chunks = []
        for by in range(down):
            for bx in range(across):
                vals = []
                for y in range(bh):
                    for x in range(bw if tile else w):
                        cx, cy = bx * bw + x, by * bh + y
                        vals.append(samples(cx, cy) if cx < w and cy < h else 0)
                chunks.append(compress(struct.pack(e + "%d%s" % (len(vals), code), *vals)))
        return chunks

    out = bytearray((b"MM\0*" if be else b"II*\0") + b"\0\0\0\0")
    ifd_offsets = []
    for level, (lw, lh) in enumerate([(w, h)] + ([(-(-w // 2), -(-h // 2))] if overview else [])):
        chunks = image(lw, lh)
        offsets, counts = [], []
        for c in chunks:
            offsets.append(len(out))
            counts.append(len(c))
            out += c
        entries = [
            (254, 4, [1 if level else 0]),
            (256, 4, [lw]), (257, 4, [lh]), (258, 3, [bits]), (259, 3, [compression]),
            (262, 3, [1]), (277, 3, [1]), (339, 3, [fmt_tag]),
        ]
        if tile:
            entries += [(322, 4, [tile[0]]), (323, 4, [tile[1]]), (324, 4, offsets), (325, 4, counts)]
        else:
            entries += [(273, 4, offsets), (278, 4, [1]), (279, 4, counts)]
        if compression in (5, 8, 32946):
            entries.append((317, 3, [1]))
        if geo and level == 0:
            entries += [
                (33550, 12, [30.0, 30.0, 0.0]),
                (33922, 12, [0.0, 0.0, 0.0, 500000.0, 3400000.0, 0.0]),
                (34735, 3, [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2 if pixel_is_point else 1,
                            3072, 0, 1, 4547]),
            ]
            if nodata is not None:
                entries.append((42113, 2, nodata))
        entries.sort(key=lambda t: t[0])
        placed = []
        for tag, ty, vals in entries:
            if ty == 2:
                raw = vals.encode("ascii") + b"\0"
                n = len(raw)
            else:
                f = {3: "H", 4: "I", 12: "d"}[ty]
                raw = struct.pack(e + "%d%s" % (len(vals), f), *vals)
                n = len(vals)
            if len(raw) > 4:
                if len(out) % 2:
                    out.append(0)
                placed.append((tag, ty, n, struct.pack(e + "I", len(out))))
                out += raw
            else:
                placed.append((tag, ty, n, raw.ljust(4, b"\0")))
        if len(out) % 2:
            out.append(0)
        ifd_offsets.append(len(out))
        out += struct.pack(e + "H", len(placed))
        for tag, ty, n, v in placed:
            out += struct.pack(e + "HHI", tag, ty, n) + v
        next_at = len(out)
        out += b"\0\0\0\0"
        if level:
            struct.pack_into(e + "I", out, prev_next, ifd_offsets[-1])
        prev_next = next_at
    struct.pack_into(e + "I", out, 4, ifd_offsets[0])
    return bytes(out)


def write_geotiff():
    ramp = lambda x, y: float(y * 10 + x) / 4.0
    ints = lambda x, y: y * 100 + x - 50
    put("geotiff", "f32-strips", tiff(5, 4, "f", 32, ramp, nodata="-9999"))
    put("geotiff", "f32-lzw", tiff(6, 4, "f", 32, ramp, compression=5))
    put("geotiff", "f64-deflate-be", tiff(4, 3, "f", 64, ramp, compression=8, be=True))
    put("geotiff", "i16-tiled", tiff(5, 5, "i", 16, ints, tile=(16, 16), pixel_is_point=True))
    put("geotiff", "u8-packbits", tiff(4, 4, "u", 8, lambda x, y: (x * 37 + y) % 256, compression=32773))
    put("geotiff", "u16-overview-nogeo", tiff(8, 6, "u", 16, lambda x, y: x + y, geo=False, overview=True))
    return {"dem.tif": tiff(4, 3, "f", 32, ramp)}


# --- Zip archives ------------------------------------------------------------


def zipped(files, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


def write_zip(shps, tifs):
    shp, shx, _ = shps["polygons"]
    table = dbf(FIELDS, [attrs(i) for i in range(2)])
    set_ = [("roads/roads.shp", shp), ("roads/roads.shx", shx), ("roads/ROADS.DBF", table),
            ("roads/roads.prj", "EPSG:4547"), ("roads/roads.cpg", "UTF-8")]
    put("zip", "shapefile", zipped(set_))
    put("zip", "shapefile-stored", zipped(set_[:2], zipfile.ZIP_STORED))
    gj = '{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}'
    asc = "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n"
    mixed = [("a.geojson", gj), ("grid.asc", asc), ("grid.prj", "EPSG:32650"),
             ("dem.tif", tifs["dem.tif"]), ("readme.txt", "hi"), ("__MACOSX/._a.geojson", "x")]
    put("zip", "mixed", zipped(mixed))
    put("zip", "nested", zipped([("inner.zip", zipped([("b.geojson", gj)])), ("c.json", gj)]))


# --- 3D Tiles ------------------------------------------------------------------


def pad(b, to=8, fill=b" "):
    return b + fill * (-len(b) % to)


def glb(json_text, bin_=b""):
    j = pad(json_text.encode(), 4)
    out = struct.pack("<II", len(j), 0x4E4F534A) + j
    if bin_:
        b = pad(bin_, 4, b"\0")
        out += struct.pack("<II", len(b), 0x004E4942) + b
    return b"glTF" + struct.pack("<II", 2, 12 + len(out)) + out


def png_1x1():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\xff\x80\x00\xff")) + chunk(b"IEND", b"")


def triangle_glb(textured=False, quantized=False, batch_ids=True, extra="", mode=4):
    """One indexed triangle (float or KHR_mesh_quantization positions),
    _BATCHID per vertex, optionally a PNG texture with KHR_texture_transform."""
    if quantized:
        pos = struct.pack("<9h", 0, 0, 0, 32767, 0, 0, 0, 32767, 0) + b"\0\0"
        pos_acc = '{"bufferView":0,"componentType":5122,"normalized":true,"count":3,"type":"VEC3"}'
    else:
        pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
        pos_acc = '{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}'
    idx = struct.pack("<3H", 0, 1, 2) + b"\0\0"
    ids = struct.pack("<3f", 0, 1, 1)
    uvs = struct.pack("<6f", 0, 0, 1, 0, 0, 1)
    img = png_1x1() if textured else b""
    views, bin_ = [], b""
    for part in (pos, idx, ids, uvs, img):
        views.append('{"buffer":0,"byteOffset":%d,"byteLength":%d}' % (len(bin_), len(part)))
        bin_ += pad(part, 4, b"\0")
    attrs = '"POSITION":0'
    accessors = [pos_acc, '{"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"}']
    if batch_ids:
        attrs += ',"_BATCHID":2'
        accessors.append('{"bufferView":2,"componentType":5126,"count":3,"type":"SCALAR"}')
    material = ""
    if textured:
        attrs += ',"TEXCOORD_0":%d' % len(accessors)
        accessors.append('{"bufferView":3,"componentType":5126,"count":3,"type":"VEC2"}')
        material = (',"materials":[{"pbrMetallicRoughness":{"baseColorTexture":{"index":0,'
                    '"extensions":{"KHR_texture_transform":{"offset":[0.5,0],"scale":[2,2]}}}},'
                    '"extensions":{"KHR_materials_unlit":{}}}],"textures":[{"source":0}],'
                    '"images":[{"bufferView":4,"mimeType":"image/png"}]')
    used = '"extensionsUsed":["KHR_mesh_quantization","KHR_texture_transform","KHR_materials_unlit","CESIUM_RTC"],'
    return glb(
        '{"asset":{"version":"2.0"},' + used +
        '"extensionsRequired":["KHR_mesh_quantization"],"extensions":{"CESIUM_RTC":{"center":[1,2,3]}},'
        '"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"children":[1],"matrix":[1,0,0,0,0,1,0,0,0,0,1,0,5,0,0,1]},'
        '{"mesh":0,"translation":[0,1,0],"rotation":[0,0,0,1],"scale":[2,2,2]}],'
        '"meshes":[{"primitives":[{"attributes":{%s},"indices":1,"mode":%d%s}]}],' % (attrs, mode, ',"material":0' if textured else "") +
        '"accessors":[%s],"bufferViews":[%s],"buffers":[{"byteLength":%d}]%s%s}' % (
            ",".join(accessors), ",".join(views), len(bin_), material, extra),
        bin_)


def metadata_glb():
    """One triangle of two features (EXT_mesh_features: an attribute set
    naming property table 0, an implicit set with a null id) and an
    EXT_structural_metadata table of every kind of column."""
    pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    fid = struct.pack("<3B", 0, 1, 1) + b"\0"
    u16 = struct.pack("<2H", 7, 65535)
    text = "住宅office".encode()
    str_off = struct.pack("<3I", 0, 6, len(text))
    arr = struct.pack("<5B", 0, 128, 255, 1, 2) + b"\0\0\0"
    arr_off = struct.pack("<3I", 0, 3, 5)
    bools = bytes([0b10])
    enums = struct.pack("<2H", 0, 1)
    vec3 = struct.pack("<6f", 0, 0.1, 0.2, 1, 1.1, 1.2)
    views, bin_ = [], b""
    for part in (pos, fid, u16, text, str_off, arr, arr_off, bools, enums, vec3):
        views.append('{"buffer":0,"byteOffset":%d,"byteLength":%d}' % (len(bin_), len(part)))
        bin_ += pad(part, 8, b"\0")
    schema = ('{"classes":{"building":{"properties":{'
              '"floors":{"type":"SCALAR","componentType":"UINT16","noData":65535},'
              '"use":{"type":"STRING"},'
              '"levels":{"type":"SCALAR","componentType":"UINT8","array":true,"normalized":true},'
              '"listed":{"type":"BOOLEAN"},'
              '"kind":{"type":"ENUM","enumType":"kind"},'
              '"centre":{"type":"VEC3","componentType":"FLOAT32","offset":[10,0,0]}}}},'
              '"enums":{"kind":{"values":[{"name":"house","value":0},{"name":"tower","value":1}]}}}')
    table = ('{"name":"buildings","class":"building","count":2,"properties":{'
             '"floors":{"values":2},"use":{"values":3,"stringOffsets":4,"stringOffsetType":"UINT32"},'
             '"levels":{"values":5,"arrayOffsets":6},"listed":{"values":7},"kind":{"values":8},'
             '"centre":{"values":9}}}')
    return glb(
        '{"asset":{"version":"2.0"},"extensionsUsed":["EXT_mesh_features","EXT_structural_metadata"],'
        '"extensions":{"EXT_structural_metadata":{"schema":%s,"propertyTables":[%s]}},'
        '"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],'
        '"meshes":[{"primitives":[{"attributes":{"POSITION":0,"_FEATURE_ID_0":1},"extensions":{"EXT_mesh_features":'
        '{"featureIds":[{"featureCount":2,"attribute":0,"propertyTable":0,"label":"building"},'
        '{"featureCount":3,"nullFeatureId":1}]}}}]}],'
        '"accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"},'
        '{"bufferView":1,"componentType":5121,"count":3,"type":"SCALAR"}],'
        '"bufferViews":[%s],"buffers":[{"byteLength":%d}]}' % (schema, table, ",".join(views), len(bin_)),
        bin_)


def tiles_table_header(magic, ft_json, ft_bin, bt_json, bt_bin, body, extra_word=None):
    head = 32 if extra_word is not None else 28
    ftj = pad(ft_json.encode(), 8) if ft_json else b""
    # Keep every section 8-byte aligned, as the specification asks.
    while (head + len(ftj)) % 8:
        ftj += b" "
    ftb = pad(ft_bin, 8, b"\0")
    btj = pad(bt_json.encode(), 8) if bt_json else b""
    btb = pad(bt_bin, 8, b"\0")
    total = head + len(ftj) + len(ftb) + len(btj) + len(btb) + len(body)
    words = [1, total, len(ftj), len(ftb), len(btj), len(btb)]
    if extra_word is not None:
        words.append(extra_word)
    return magic + struct.pack("<%dI" % len(words), *words) + ftj + ftb + btj + btb + body


def write_tiles3d():
    b3dm = tiles_table_header(
        b"b3dm", '{"BATCH_LENGTH":2,"RTC_CENTER":[1215107.7,-4736682.9,4081926.1]}', b"",
        '{"name":["a","b"],"height":{"byteOffset":0,"componentType":"FLOAT","type":"SCALAR"}}',
        struct.pack("<2f", 10, 20), triangle_glb())
    put("b3dm", "triangle", b3dm)
    put("b3dm", "textured-quantized", tiles_table_header(
        b"b3dm", '{"BATCH_LENGTH":2,"RTC_CENTER":{"byteOffset":0}}', struct.pack("<3f", 1, 2, 3),
        "", b"", triangle_glb(textured=True, quantized=True)))
    n = 3
    i3dm_bin = (struct.pack("<9f", 0, 0, 0, 10, 0, 0, 0, 10, 0)
                + struct.pack("<6H", 0, 32767, 65535, 32767, 32767, 0)
                + struct.pack("<3f", 1, 2, 3) + struct.pack("<3H", 0, 1, 2))
    i3dm_ft = ('{"INSTANCES_LENGTH":%d,"EAST_NORTH_UP":true,"RTC_CENTER":[6378137,0,0],'
               '"POSITION":{"byteOffset":0},"NORMAL_UP_OCT32P":{"byteOffset":36},'
               '"SCALE":{"byteOffset":48},"BATCH_ID":{"byteOffset":60,"componentType":"UNSIGNED_SHORT"}}' % n)
    put("i3dm", "instances", tiles_table_header(b"i3dm", i3dm_ft, i3dm_bin, '{"kind":["x","y","z"]}', b"",
                                                triangle_glb(batch_ids=False), extra_word=1))
    q_ft = ('{"INSTANCES_LENGTH":2,"QUANTIZED_VOLUME_OFFSET":[0,0,0],"QUANTIZED_VOLUME_SCALE":[100,100,100],'
            '"POSITION_QUANTIZED":{"byteOffset":0},"NORMAL_UP":{"byteOffset":12},"NORMAL_RIGHT":{"byteOffset":36},'
            '"SCALE_NON_UNIFORM":{"byteOffset":60}}')
    q_bin = (struct.pack("<6H", 0, 0, 0, 65535, 65535, 0) + struct.pack("<6f", 0, 0, 1, 0, 0, 1)
             + struct.pack("<6f", 1, 0, 0, 1, 0, 0) + struct.pack("<6f", 1, 2, 3, 1, 1, 1))
    put("i3dm", "quantized-uri", tiles_table_header(b"i3dm", q_ft, q_bin, "", b"", b"model.glb", extra_word=0))
    pts = 4
    p_bin = (struct.pack("<12H", *([0, 0, 0, 65535, 0, 0, 0, 65535, 0, 0, 0, 65535]))
             + struct.pack("<4H", 0xF800, 0x07E0, 0x001F, 0xFFFF)
             + struct.pack("<8B", 128, 128, 255, 128, 0, 0, 128, 255)
             + struct.pack("<4B", 0, 1, 1, 0))
    p_ft = ('{"POINTS_LENGTH":%d,"QUANTIZED_VOLUME_OFFSET":[10,20,30],"QUANTIZED_VOLUME_SCALE":[5,5,5],'
            '"POSITION_QUANTIZED":{"byteOffset":0},"RGB565":{"byteOffset":24},"NORMAL_OCT16P":{"byteOffset":32},'
            '"BATCH_LENGTH":2,"BATCH_ID":{"byteOffset":40,"componentType":"UNSIGNED_BYTE"}}' % pts)
    pnts = tiles_table_header(b"pnts", p_ft, p_bin, '{"class":[1,2]}', b"", b"")
    put("pnts", "quantized-rgb565", pnts)
    f_bin = struct.pack("<6f", 0, 0, 0, 1, 1, 1) + struct.pack("<8B", 255, 0, 0, 255, 0, 255, 0, 128)
    put("pnts", "float-rgba", tiles_table_header(
        b"pnts", '{"POINTS_LENGTH":2,"RTC_CENTER":[1,2,3],"POSITION":{"byteOffset":0},"RGBA":{"byteOffset":24},'
        '"NORMAL":{"byteOffset":0}}', f_bin, "", b"", b""))
    put("pnts", "constant-colour", tiles_table_header(
        b"pnts", '{"POINTS_LENGTH":2,"CONSTANT_RGBA":[1,2,3,4],"POSITION":{"byteOffset":0}}', f_bin, "", b"", b""))

    def cmpt(parts):
        body = b"".join(parts)
        return b"cmpt" + struct.pack("<III", 1, 16 + len(body), len(parts)) + body
    put("cmpt", "mixed", cmpt([b3dm, pnts]))
    put("cmpt", "nested", cmpt([cmpt([b3dm]), pnts]))
    put("glb", "triangle", triangle_glb())
    put("glb", "textured", triangle_glb(textured=True, quantized=True))
    put("glb", "instanced", triangle_glb(extra=',"extensionsUsed":["EXT_mesh_gpu_instancing"]'))
    put("glb", "strip", triangle_glb(mode=5))
    put("glb", "structural-metadata", metadata_glb())
    put("glb", "json-data-uri", '{"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],'
        '"meshes":[{"primitives":[{"attributes":{"POSITION":0},"mode":0}]}],'
        '"accessors":[{"bufferView":0,"componentType":5126,"count":1,"type":"VEC3"}],'
        '"bufferViews":[{"buffer":0,"byteLength":12}],'
        '"buffers":[{"byteLength":12,"uri":"data:application/octet-stream;base64,AACAPwAAAEAAAEBA"}]}')

    # Subtrees: head byte (bit 0 octree, bits 1-3 levels - 1), then the file.
    # Quadtree, 2 levels: 5 tile bits, 16 child bits.
    tiles, content, children = bytes([0b11001]), bytes([0b00001]), bytes([0b1, 0, 0b10000000, 0])
    body = pad(tiles, 8, b"\0") + pad(content, 8, b"\0") + children
    j = ('{"buffers":[{"byteLength":%d}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1},'
         '{"buffer":0,"byteOffset":8,"byteLength":1},{"buffer":0,"byteOffset":16,"byteLength":4}],'
         '"tileAvailability":{"bitstream":0,"availableCount":3},"contentAvailability":[{"bitstream":1}],'
         '"childSubtreeAvailability":{"bitstream":2}}' % len(body))
    jb = pad(j.encode(), 8)
    put("subtree", "binary-quadtree", bytes([1 << 1]) + b"subt" + struct.pack("<IQQ", 1, len(jb), len(body)) + jb + body)
    put("subtree", "json-octree", bytes([1 | (1 << 1)]) +
        b'{"tileAvailability":{"constant":1},"contentAvailability":{"constant":1},"childSubtreeAvailability":{"constant":0}}')


# --- OSGB (OpenSceneGraph binary, version 91 as ContextCapture writes) --------


class Osgb:
    """A writer of OSGB streams: version 91, block sizes when `brackets`."""

    def __init__(self, brackets=False, compressor="0"):
        self.b = bytearray(struct.pack("<8B", 0xA1, 0x0E, 0x91, 0x6C, 0x45, 0x45, 0xFB, 0x1A))
        self.brackets = brackets
        self.open = []
        self.u32(1).u32(91).u32(4 if brackets else 0).str(compressor)

    def raw(self, fmt, *v):
        self.b += struct.pack("<" + fmt, *v)
        return self

    def u8(self, v): return self.raw("B", v)
    def u32(self, v): return self.raw("I", v)
    def i32(self, v): return self.raw("i", v)
    def f32(self, v): return self.raw("f", v)
    def f64(self, v): return self.raw("d", v)

    def str(self, s):
        s = s.encode()
        return self.i32(len(s)).raw("%ds" % len(s), s)

    def begin(self):
        if self.brackets:
            self.open.append(len(self.b))
            self.u32(0)
        return self

    def end(self):
        if self.brackets:
            at = self.open.pop()
            self.b[at:at + 4] = struct.pack("<I", len(self.b) - at)
        return self

    def obj(self, cls, oid):
        return self.str(cls).begin().u32(oid).str("").i32(0).u8(0)

    def node(self):
        return self.u8(0).u8(0).u8(0).u8(0).u8(0).u8(1).u32(0xFFFFFFFF).u8(0)

    def array(self, aid, kind, values, comps):
        self.u8(1).u32(aid).i32(kind).i32(len(values) // comps).begin()
        for v in values:
            self.f32(v)
        return self.end().u8(0).i32(4).i32(0)

    def texture(self, oid, png, pixels=None):
        """An inline image file (`png`: any file's bytes), or with `pixels`
        (width, height, GL pixel format, bytes, origin) inline pixels."""
        self.obj("osg::Texture2D", oid).u8(0).u8(0)
        for wrap in (0x812F, 0x812F, 0x812F, 0x2601, 0x2601):
            self.u8(1).u32(wrap)
        self.f32(1.0).u8(1).u8(0).u8(0).u8(1)
        for _ in range(4):
            self.f64(0.0)
        self.i32(0).i32(0).u8(0).u8(0).u8(0).u8(0).i32(0x203).i32(0x1909).f32(0.0)
        if pixels:
            w, h, fmt, data, origin = pixels
            self.u8(1).u32(oid + 1).str("seed.dds").i32(2).i32(0)
            self.i32(origin).i32(w).i32(h).i32(1).i32(fmt).u32(fmt).u32(0x1401).i32(1).i32(0)
            self.u32(len(data)).raw("%ds" % len(data), data).u32(0)
        else:
            self.u8(1).u32(oid + 1).str("seed.png").i32(2).i32(1).u32(len(png)).raw("%ds" % len(png), png)
        self.str("").i32(0).u8(0)
        return self.i32(0).i32(0).end()

    def state(self, oid, png, pixels=None):
        self.obj("osg::StateSet", oid).u8(0).u8(0).u8(0)
        self.u8(1).u32(1).begin().u32(1).begin()
        self.texture(oid + 1, png, pixels).i32(1)
        self.end().end()
        return self.u8(0).i32(0).i32(0).i32(0).str("").u8(1).u8(0).u8(0).end()

    def geode(self, oid, mode=4, png=None, pixels=None):
        self.obj("osg::Geode", oid).node().u8(1).u32(1).begin()
        self.obj("osg::Geometry", oid + 1)
        if png:
            self.u8(1).state(oid + 2, png, pixels)
        else:
            self.u8(0)
        self.u8(0).u8(0).u8(0).u8(1).u8(1).u8(0).u8(0).u8(0).u8(0).u8(0)
        idx = [0, 1, 2, 2, 1, 3]
        self.u32(1).i32(54).i32(mode).u32(len(idx)).begin()
        for i in idx:
            self.u32(i)
        self.end()
        self.u8(1).begin().array(oid * 10 + 1, 16, [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0], 3).end()
        for _ in range(4):
            self.u8(0)
        if png:
            self.u8(1).u32(1).begin().begin().array(oid * 10 + 2, 15, [0, 0, 1, 0, 0, 1, 1, 1], 2).end().end()
        else:
            self.u8(0)
        self.u8(0).u8(0)
        return self.end().end().end()

    def paged_lod(self, oid, children):
        self.obj("osg::PagedLOD", oid).node()
        self.i32(1).u8(1).f64(0.5).f64(0.5).f64(0).f64(0.8).i32(1)
        self.u8(1).u32(2).begin().f32(0).f32(100).f32(100).f32(1e30).end()
        self.u8(1).u8(0).u32(0).u8(0)
        self.u8(1).u32(2).begin().str("").str("Tile_L2_0.osgb").end()
        self.u32(2).begin().f32(0).f32(1).f32(0).f32(1).end()
        self.u8(1).u32(1).begin()
        children(self)
        return self.end().end()

    def done(self):
        assert not self.open
        return bytes(self.b)


def write_osgb():
    png = png_1x1()
    for brackets in (False, True):
        name = "brackets" if brackets else "plain"
        w = Osgb(brackets)
        w.str("osg::Group").begin().u32(1).str("").i32(0).u8(0).node().u8(1).u32(2).begin()
        w.geode(10, 4, png)
        w.paged_lod(20, lambda w: w.geode(30, 5))
        w.end().end()
        put("osgb", "group-" + name, w.done())
    # Block-compressed textures (loaders/tests/osgb_dds.rs): DXT1 pixels
    # inline, bottom row first (OpenGL's origin); a DXT5 DDS file inline.
    dds = os.path.join(HERE, "../tests/fixtures/dds")
    with open(os.path.join(dds, "dxt1.dds"), "rb") as f:
        dxt1 = f.read()[128:]
    with open(os.path.join(dds, "dxt5.dds"), "rb") as f:
        dxt5 = f.read()
    w = Osgb(False)
    w.geode(10, 4, b"-", (10, 6, 0x83F0, dxt1, 0))
    put("osgb", "dxt1-pixels", w.done())
    w = Osgb(False)
    w.geode(10, 4, dxt5)
    put("osgb", "dds-file", w.done())
    w = Osgb(False, "zlib")
    w.geode(1, 7)
    # The header (28 bytes with compressor "zlib"), then the deflated rest.
    put("osgb", "zlib", bytes(w.b[:28]) + zlib.compress(bytes(w.b[28:])))

# --- CityGML -------------------------------------------------------------------

CITYGML2_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
    '<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml" '
    'xmlns:bldg="http://www.opengis.net/citygml/building/2.0" '
    'xmlns:gen="http://www.opengis.net/citygml/generics/2.0" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
    '<gml:boundedBy><gml:Envelope srsName="urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783" srsDimension="3">'
    '<gml:lowerCorner>0 0 0</gml:lowerCorner><gml:upperCorner>10 10 5</gml:upperCorner></gml:Envelope></gml:boundedBy>\n')


def ring(pts):
    return " ".join("%g %g %g" % p for p in pts + [pts[0]])


def polygon(pid, rings):
    ext = '<gml:exterior><gml:LinearRing><gml:posList>%s</gml:posList></gml:LinearRing></gml:exterior>' % ring(rings[0])
    ints = "".join('<gml:interior><gml:LinearRing><gml:posList>%s</gml:posList></gml:LinearRing></gml:interior>' % ring(r)
                   for r in rings[1:])
    return '<gml:Polygon gml:id="%s">%s%s</gml:Polygon>' % (pid, ext, ints)


def write_citygml():
    roof = [(0, 0, 5), (10, 0, 5), (10, 10, 5), (0, 10, 5)]
    hole = [(4, 4, 5), (6, 4, 5), (6, 6, 5), (4, 6, 5)]
    wall = [(0, 0, 0), (10, 0, 0), (10, 0, 5), (0, 0, 5)]
    building = ('<cityObjectMember><bldg:Building gml:id="b1"><gml:name>A &amp; B</gml:name>'
        '<bldg:measuredHeight uom="m">5</bldg:measuredHeight>'
        '<gen:stringAttribute name="code"><gen:value>0042</gen:value></gen:stringAttribute>'
        '<bldg:lod2Solid><gml:Solid><gml:exterior><gml:CompositeSurface>'
        '<gml:surfaceMember xlink:href="#roof"/><gml:surfaceMember xlink:href="#wall"/>'
        '</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod2Solid>'
        '<bldg:boundedBy><bldg:RoofSurface gml:id="r1"><bldg:lod2MultiSurface><gml:MultiSurface><gml:surfaceMember>'
        + polygon("roof", [roof, hole]) +
        '</gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface></bldg:RoofSurface></bldg:boundedBy>'
        '<bldg:boundedBy><bldg:WallSurface><bldg:lod2MultiSurface><gml:MultiSurface><gml:surfaceMember>'
        + polygon("wall", [wall]) +
        '</gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface></bldg:WallSurface></bldg:boundedBy>'
        '<bldg:consistsOfBuildingPart><bldg:BuildingPart gml:id="p1"><bldg:lod1Solid><gml:Solid><gml:exterior>'
        '<gml:CompositeSurface><gml:surfaceMember>' + polygon("p1a", [wall]) + '</gml:surfaceMember>'
        '</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod1Solid></bldg:BuildingPart></bldg:consistsOfBuildingPart>'
        '</bldg:Building></cityObjectMember>\n')
    put("citygml", "building-2.0", CITYGML2_HEAD + building + "</CityModel>\n")
    appearance = ('<app:appearanceMember xmlns:app="http://www.opengis.net/citygml/appearance/2.0"><app:Appearance>'
        '<app:theme>rgb</app:theme><app:surfaceDataMember><app:ParameterizedTexture><app:imageURI>t.png</app:imageURI>'
        '<app:target uri="#wall"><app:TexCoordList><app:textureCoordinates ring="#wall-ring">0 0 1 0 1 1 0 1 0 0'
        '</app:textureCoordinates></app:TexCoordList></app:target></app:ParameterizedTexture></app:surfaceDataMember>'
        '<app:surfaceDataMember><app:X3DMaterial><app:diffuseColor>0.2 0.4 0.6</app:diffuseColor>'
        '<app:transparency>0.3</app:transparency><app:target>#roof</app:target></app:X3DMaterial></app:surfaceDataMember>'
        '</app:Appearance></app:appearanceMember>\n')
    ringed = building.replace('<gml:Polygon gml:id="wall"><gml:exterior><gml:LinearRing>',
                              '<gml:Polygon gml:id="wall"><gml:exterior><gml:LinearRing gml:id="wall-ring">')
    put("citygml", "appearance-2.0", CITYGML2_HEAD + appearance + ringed + "</CityModel>\n")
    tri = polygon("crown-p", [[(-1, 0, 0), (1, 0, 0), (0, 0, 3)]])
    trees = ""
    for i, proto in enumerate([
            '<core:relativeGMLGeometry><gml:MultiSurface gml:id="crown"><gml:surfaceMember>' + tri
            + '</gml:surfaceMember></gml:MultiSurface></core:relativeGMLGeometry>',
            '<core:relativeGMLGeometry xlink:href="#crown"/>']):
        trees += ('<cityObjectMember><veg:SolitaryVegetationObject xmlns:veg="http://www.opengis.net/citygml/vegetation/2.0">'
            '<veg:lod2ImplicitRepresentation><core:ImplicitGeometry xmlns:core="http://www.opengis.net/citygml/2.0">'
            '<core:transformationMatrix>2 0 0 0 0 2 0 0 0 0 2 0 0 0 0 1</core:transformationMatrix>' + proto +
            '<core:referencePoint><gml:Point><gml:pos>%d 5 0</gml:pos></gml:Point></core:referencePoint>'
            '</core:ImplicitGeometry></veg:lod2ImplicitRepresentation></veg:SolitaryVegetationObject></cityObjectMember>\n'
            % (10 * i))
    put("citygml", "implicit-2.0", CITYGML2_HEAD + trees + "</CityModel>\n")
    v3 = ('<CityModel xmlns="http://www.opengis.net/citygml/3.0" xmlns:gml="http://www.opengis.net/gml/3.2" '
        'xmlns:gen="http://www.opengis.net/citygml/generics/3.0" xmlns:con="http://www.opengis.net/citygml/construction/3.0" '
        'xmlns:bldg="http://www.opengis.net/citygml/building/3.0">'
        '<cityObjectMember><bldg:Building gml:id="b3"><genericAttribute><gen:DoubleAttribute><gen:name>t</gen:name>'
        '<gen:value>20.5</gen:value></gen:DoubleAttribute></genericAttribute>'
        '<boundary><con:WallSurface><lod2MultiSurface><gml:MultiSurface><gml:surfaceMember>'
        '<gml:Polygon><gml:exterior><gml:LinearRing><gml:pos>0 0 0</gml:pos><gml:pos>1 0 0</gml:pos>'
        '<gml:pos>1 0 1</gml:pos><gml:pos>0 0 0</gml:pos></gml:LinearRing></gml:exterior></gml:Polygon>'
        '</gml:surfaceMember></gml:MultiSurface></lod2MultiSurface></con:WallSurface></boundary>'
        '</bldg:Building></cityObjectMember></CityModel>')
    put("citygml", "building-3.0", v3)


# --- IFC -------------------------------------------------------------------------

IFC_WALL = """ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('wall.ifc','2026-11-30T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#20),#7);
#2=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#7=IFCUNITASSIGNMENT((#2));
#10=IFCCARTESIANPOINT((0.,0.,0.));
#11=IFCDIRECTION((0.,0.,1.));
#12=IFCDIRECTION((1.,0.,0.));
#13=IFCAXIS2PLACEMENT3D(#10,#11,#12);
#20=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#13,$);
#21=IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,#20,$,.MODEL_VIEW.,$);
#30=IFCSITE('1YvctVUKr0kugbFTf53O9L',$,'S',$,$,#31,$,$,.ELEMENT.,$,$,$,$,$);
#31=IFCLOCALPLACEMENT($,#13);
#32=IFCRELAGGREGATES('2YvctVUKr0kugbFTf53O9L',$,$,$,#1,(#30));
#40=IFCBUILDINGSTOREY('3YvctVUKr0kugbFTf53O9L',$,'Ground',$,$,#41,$,$,.ELEMENT.,0.);
#41=IFCLOCALPLACEMENT(#31,#13);
#42=IFCRELAGGREGATES('4YvctVUKr0kugbFTf53O9L',$,$,$,#30,(#40));
#50=IFCWALL('5YvctVUKr0kugbFTf53O9L',$,'Wall',$,$,#51,#55,$,$);
#51=IFCLOCALPLACEMENT(#41,#13);
#52=IFCRECTANGLEPROFILEDEF(.AREA.,$,#53,4.,0.2);
#53=IFCAXIS2PLACEMENT2D(#54,$);
#54=IFCCARTESIANPOINT((2.,0.1));
#55=IFCPRODUCTDEFINITIONSHAPE($,$,(#56));
#56=IFCSHAPEREPRESENTATION(#21,'Body','SweptSolid',(#57));
#57=IFCEXTRUDEDAREASOLID(#52,#13,#11,3.);
#60=IFCOPENINGELEMENT('6YvctVUKr0kugbFTf53O9L',$,'Door',$,$,#61,#65,$,.OPENING.);
#61=IFCLOCALPLACEMENT(#51,#13);
#62=IFCRECTANGLEPROFILEDEF(.AREA.,$,#63,1.,1.);
#63=IFCAXIS2PLACEMENT2D(#64,$);
#64=IFCCARTESIANPOINT((2.,0.1));
#65=IFCPRODUCTDEFINITIONSHAPE($,$,(#66));
#66=IFCSHAPEREPRESENTATION(#21,'Body','SweptSolid',(#67));
#67=IFCEXTRUDEDAREASOLID(#62,#13,#11,2.);
#70=IFCRELVOIDSELEMENT('7YvctVUKr0kugbFTf53O9L',$,$,$,#50,#60);
#80=IFCRELCONTAINEDINSPATIALSTRUCTURE('8YvctVUKr0kugbFTf53O9L',$,$,$,(#50),#40);
ENDSEC;
END-ISO-10303-21;
"""


def write_ifc():
    put("ifc", "wall-with-opening", IFC_WALL)


def main():
    shps = write_shp_and_dbf()
    write_wkb()
    write_geojson()
    write_ascii_grid()
    write_scene()
    tifs = write_geotiff()
    write_zip(shps, tifs)
    write_tiles3d()
    write_osgb()
    write_citygml()
    write_ifc()


if __name__ == "__main__":
    main()
