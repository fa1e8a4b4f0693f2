#!/usr/bin/env python3
# Independent reference counts for 3D Tiles tilesets (3D Tiles 1.0 / 1.1).
#
# Produced with:
#   pip install pygltflib            (pygltflib 1.16.5, Python 3.11.7)
#   cd /work/main && python3 tests/reference/tiles3d_counts.py /work/shared/data/3dtiles > tests/reference/tiles3d_counts.json
#
# Input: argv[1] = data root (the `3dtiles` folder). Every file named
# `tileset.json` below it (recursively) becomes one entry, keyed by its path
# relative to the data root with '/' separators. Output: JSON on stdout,
# sorted keys, 2-space indent, so it is byte-for-byte deterministic.
#
# How things are counted (per tileset.json entry):
#   tile_count     Tiles in the explicit tree of THIS tileset.json. External
#                  tilesets are not descended into: a tile whose content is a
#                  tileset JSON counts as one tile. For implicit tiling (a tile
#                  with `implicitTiling`, or the pre-1.1 extension
#                  `3DTILES_implicit_tiling`) the explicit tile holding it
#                  counts once (it *is* the implicit root, level 0); to that we
#                  add every other available implicit tile (tileAvailability
#                  bit set, levels 1 .. availableLevels-1), read from the
#                  subtree files (binary 'subt' files or JSON subtrees),
#                  recursing into child subtrees per childSubtreeAvailability.
#   content_count  Tile contents: 1.0 `content`, 1.1 `content` or `contents[]`.
#                  An external tileset content counts as a content. For
#                  implicit tiles: contents whose contentAvailability bit is
#                  set (one availability per entry of the implicit root's
#                  content / contents). The implicit root's template `content`
#                  itself is NOT counted (only available contents are).
#   max_depth      Deepest tile depth, explicit root = 0; an implicit tile at
#                  implicit level L below an implicit root at explicit depth d
#                  has depth d + L.
#   refine         root tile `refine` (null if absent).
#   triangle_count Sum over all glTF mesh primitives (each primitive of each
#                  mesh counted once, regardless of how many nodes reference
#                  the mesh): mode 4 TRIANGLES -> n/3, 5 STRIP / 6 FAN ->
#                  max(n-2, 0), where n = indices count if indexed else
#                  POSITION count. Lines/points give 0 triangles. i3dm glb is
#                  counted ONCE (not times instances).
#   triangle_count_instanced  Same, but i3dm triangles x INSTANCES_LENGTH, and
#                  glTF meshes on nodes with EXT_mesh_gpu_instancing multiplied
#                  by that node's instance count (meshes only on non-instanced
#                  nodes, or on no node, count once).
#   point_count    pnts POINTS_LENGTH; glTF primitives with mode 0 POINTS:
#                  indices count if indexed else POSITION count.
#   instance_count i3dm INSTANCES_LENGTH plus, for glTF, the accessor count of
#                  the EXT_mesh_gpu_instancing attributes of each node using it.
#   feature_count  b3dm BATCH_LENGTH; i3dm INSTANCES_LENGTH; pnts BATCH_LENGTH
#                  or POINTS_LENGTH if there is no BATCH_LENGTH; glTF
#                  EXT_mesh_features featureIds[0].featureCount summed over
#                  primitives (glb inside b3dm/i3dm/pnts is not inspected for
#                  features; the wrapper's number is used).
#   instance_feature_count  (extra, not part of feature_count) glTF
#                  EXT_instance_features featureIds[0].featureCount summed
#                  over nodes.
#   cmpt           inner tiles (16-byte header, then concatenated tiles) are
#                  parsed recursively and their numbers summed into one
#                  content entry.
#   contents       one entry per counted content in traversal order (explicit:
#                  depth-first pre-order, `contents[]` in array order;
#                  implicit: subtrees depth-first, within a subtree by level
#                  then Morton index): uri (as written / template expanded),
#                  path (resolved, percent-decoded, relative to data root),
#                  type, triangles, triangles_instanced, points, instances,
#                  features, instance_features, and `error` when unreadable.
#   errors         [{uri, message}] for contents (or subtrees) that cannot be
#                  read; their counts are 0.
#   with_external  The same totals when external tilesets ARE followed
#                  (recursively; the external root becomes a child of the
#                  referencing tile, so its depth is that tile's depth + 1).
#                  Tiles/contents of the external tileset are added on top of
#                  this tileset's own (the referencing tile and its
#                  tileset-JSON content stay counted).
#   implicit       for implicit tilesets: scheme, subtreeLevels,
#                  availableLevels, subtree files read, subtree formats.
#
# Content URIs are resolved relative to the tileset.json that references them
# (percent-decoded). Content type is detected from magic bytes (b3dm, i3dm,
# pnts, cmpt, glTF) or, for text, JSON with a `root` (tileset) or `asset`
# (glTF JSON) key.

import json
import os
import struct
import sys
import urllib.parse

import pygltflib

GLTF_MODE_POINTS, GLTF_MODE_TRIANGLES, GLTF_MODE_STRIP, GLTF_MODE_FAN = 0, 4, 5, 6


class ContentError(Exception):
    pass


def zero_counts():
    return {"triangles": 0, "triangles_instanced": 0, "points": 0,
            "instances": 0, "features": 0, "instance_features": 0}


def add_counts(a, b):
    for k in a:
        a[k] += b.get(k, 0)


# ---------------------------------------------------------------- glTF ----

def gltf_counts(gltf):
    c = zero_counts()
    accessors = gltf.accessors or []

    def acc_count(i):
        if i is None or i >= len(accessors):
            raise ContentError("bad accessor index %r" % (i,))
        return accessors[i].count

    mesh_tris = []
    for mesh in gltf.meshes or []:
        mt = 0
        for prim in mesh.primitives or []:
            mode = GLTF_MODE_TRIANGLES if prim.mode is None else prim.mode
            if prim.indices is not None:
                n = acc_count(prim.indices)
            else:
                pos = getattr(prim.attributes, "POSITION", None)
                n = acc_count(pos) if pos is not None else 0
            if mode == GLTF_MODE_TRIANGLES:
                mt += n // 3
            elif mode in (GLTF_MODE_STRIP, GLTF_MODE_FAN):
                mt += max(n - 2, 0)
            elif mode == GLTF_MODE_POINTS:
                c["points"] += n
            ext = prim.extensions or {}
            mf = ext.get("EXT_mesh_features")
            if mf and mf.get("featureIds"):
                c["features"] += int(mf["featureIds"][0].get("featureCount", 0))
        mesh_tris.append(mt)
    c["triangles"] = sum(mesh_tris)

    # instancing
    instanced_meshes = {}
    for node in gltf.nodes or []:
        ext = node.extensions or {}
        inst = ext.get("EXT_mesh_gpu_instancing")
        if inst is not None:
            attrs = inst.get("attributes") or {}
            counts = {acc_count(a) for a in attrs.values()}
            if len(counts) > 1:
                raise ContentError("EXT_mesh_gpu_instancing attribute counts differ: %r" % sorted(counts))
            n = counts.pop() if counts else 0
            c["instances"] += n
            if node.mesh is not None:
                instanced_meshes[node.mesh] = instanced_meshes.get(node.mesh, 0) + n
        inf = ext.get("EXT_instance_features")
        if inf and inf.get("featureIds"):
            c["instance_features"] += int(inf["featureIds"][0].get("featureCount", 0))
    tri_inst = 0
    for mi, mt in enumerate(mesh_tris):
        tri_inst += mt * instanced_meshes[mi] if mi in instanced_meshes else mt
    c["triangles_instanced"] = tri_inst
    return c


def check_gltf_buffers(gltf, base_dir):
    for b in gltf.buffers or []:
        uri = b.uri
        if uri and not uri.startswith("data:"):
            p = os.path.join(base_dir, urllib.parse.unquote(uri))
            if not os.path.isfile(p):
                raise ContentError("missing external glTF buffer %s" % uri)
            if os.path.getsize(p) < b.byteLength:
                raise ContentError("external glTF buffer %s shorter than byteLength" % uri)


def load_glb(data):
    if data[:4] != b"glTF":
        raise ContentError("embedded glb has bad magic %r" % data[:4])
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise ContentError("glb version %d not supported" % version)
    if length > len(data):
        raise ContentError("glb length %d exceeds available %d bytes" % (length, len(data)))
    g = pygltflib.GLTF2.load_from_bytes(bytes(data[:length]))
    if g is None:
        raise ContentError("glb has no JSON chunk")
    return g


# ------------------------------------------------------------- contents ----

def parse_json_chunk(data, off, n):
    if n == 0:
        return {}
    return json.loads(bytes(data[off:off + n]).decode("utf-8").rstrip(" \0"))


def parse_tile_bytes(data, base_dir):
    """Return (type, counts) for b3dm/i3dm/pnts/cmpt/glb bytes."""
    magic = bytes(data[:4])
    if magic == b"b3dm":
        if len(data) < 28:
            raise ContentError("truncated b3dm header")
        _, ver, blen, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data, 0)
        if ver != 1:
            raise ContentError("b3dm version %d" % ver)
        ft = parse_json_chunk(data, 28, ftj)
        off = 28 + ftj + ftb + btj + btb
        g = load_glb(data[off:blen])
        c = gltf_counts(g)
        c["features"] = int(ft.get("BATCH_LENGTH", 0))
        c["instance_features"] = 0
        return "b3dm", c
    if magic == b"i3dm":
        if len(data) < 32:
            raise ContentError("truncated i3dm header")
        _, ver, blen, ftj, ftb, btj, btb, fmt = struct.unpack_from("<4s7I", data, 0)
        if ver != 1:
            raise ContentError("i3dm version %d" % ver)
        ft = parse_json_chunk(data, 32, ftj)
        off = 32 + ftj + ftb + btj + btb
        body = bytes(data[off:blen])
        if fmt == 1:
            g = load_glb(body)
        elif fmt == 0:
            uri = body.decode("utf-8").rstrip(" \0")
            p = os.path.join(base_dir, urllib.parse.unquote(uri))
            g = load_gltf_file(p)
        else:
            raise ContentError("i3dm gltfFormat %d" % fmt)
        c = gltf_counts(g)
        n = int(ft.get("INSTANCES_LENGTH", 0))
        c["triangles_instanced"] = c["triangles"] * n
        c["instances"] += n
        c["features"] = n
        c["instance_features"] = 0
        return "i3dm", c
    if magic == b"pnts":
        if len(data) < 28:
            raise ContentError("truncated pnts header")
        _, ver, blen, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data, 0)
        if ver != 1:
            raise ContentError("pnts version %d" % ver)
        ft = parse_json_chunk(data, 28, ftj)
        c = zero_counts()
        c["points"] = int(ft.get("POINTS_LENGTH", 0))
        c["features"] = int(ft["BATCH_LENGTH"]) if "BATCH_LENGTH" in ft else c["points"]
        return "pnts", c
    if magic == b"cmpt":
        if len(data) < 16:
            raise ContentError("truncated cmpt header")
        _, ver, blen, ntiles = struct.unpack_from("<4s3I", data, 0)
        c = zero_counts()
        off = 16
        inner = []
        for _ in range(ntiles):
            if off + 12 > blen:
                raise ContentError("cmpt inner tile header out of range")
            ilen = struct.unpack_from("<I", data, off + 8)[0]
            t, ic = parse_tile_bytes(data[off:off + ilen], base_dir)
            inner.append(t)
            add_counts(c, ic)
            off += ilen
        return "cmpt(" + ",".join(inner) + ")", c
    if magic == b"glTF":
        return "glb", gltf_counts(load_glb(data))
    raise ContentError("unknown content magic %r" % magic)


def load_gltf_file(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"glTF":
        return load_glb(data)
    g = pygltflib.GLTF2.from_json(data.decode("utf-8"), infer_missing=True)
    check_gltf_buffers(g, os.path.dirname(path))
    return g


def read_content(path):
    """Return (type, counts_or_None, tileset_json_or_None)."""
    if not os.path.isfile(path):
        raise ContentError("file not found")
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"b3dm", b"i3dm", b"pnts", b"cmpt", b"glTF"):
        return parse_tile_bytes(memoryview(data), os.path.dirname(path)) + (None,)
    try:
        j = json.loads(data.decode("utf-8"))
    except Exception as e:  # noqa: BLE001
        raise ContentError("not a known binary format and not JSON: %s" % e)
    if isinstance(j, dict) and "root" in j:
        return "tileset", zero_counts(), j
    if isinstance(j, dict) and "asset" in j:
        g = pygltflib.GLTF2.from_json(data.decode("utf-8"), infer_missing=True)
        check_gltf_buffers(g, os.path.dirname(path))
        return "gltf", gltf_counts(g), None
    raise ContentError("JSON content is neither a tileset nor glTF")


# ------------------------------------------------------- implicit tiling ----

def morton_decode(index, dims):
    coords = [0] * dims
    bit = 0
    while index:
        for d in range(dims):
            coords[d] |= (index & 1) << bit
            index >>= 1
        bit += 1
    return coords


def load_subtree(path):
    """Return (json, list of buffer bytes, format name)."""
    with open(path, "rb") as f:
        data = f.read()
    base = os.path.dirname(path)
    if data[:4] == b"subt":
        if len(data) < 24:
            raise ContentError("truncated subtree header")
        _, ver, jlen, blen = struct.unpack_from("<4sIQQ", data, 0)
        if ver != 1:
            raise ContentError("subtree version %d" % ver)
        sj = json.loads(data[24:24 + jlen].decode("utf-8").rstrip(" \0"))
        binchunk = data[24 + jlen:24 + jlen + blen]
        fmt = "binary"
    else:
        sj = json.loads(data.decode("utf-8"))
        binchunk = b""
        fmt = "json"
    buffers = []
    for b in sj.get("buffers", []):
        if "uri" in b:
            p = os.path.join(base, urllib.parse.unquote(b["uri"]))
            with open(p, "rb") as f:
                buffers.append(f.read())
            fmt += "+external-buffer"
        else:
            buffers.append(binchunk)
    return sj, buffers, fmt


class Availability:
    def __init__(self, spec, sj, buffers, nbits):
        self.constant = None
        self.bits = None
        self.available_count = spec.get("availableCount")
        bv = spec.get("bitstream", spec.get("bufferView"))
        if bv is not None:
            view = sj["bufferViews"][bv]
            buf = buffers[view.get("buffer", 0)]
            start = view.get("byteOffset", 0)
            raw = buf[start:start + view["byteLength"]]
            if len(raw) * 8 < nbits:
                raise ContentError("availability bitstream too short (%d bits < %d)" % (len(raw) * 8, nbits))
            self.bits = raw
        elif "constant" in spec:
            self.constant = int(spec["constant"])
        else:
            raise ContentError("availability has neither bitstream nor constant")
        self.nbits = nbits

    def get(self, i):
        if self.bits is None:
            return self.constant == 1
        return (self.bits[i >> 3] >> (i & 7)) & 1 == 1

    def count(self):
        return sum(1 for i in range(self.nbits) if self.get(i))


def fill_template(tmpl, level, coords):
    names = ("x", "y", "z")
    s = tmpl.replace("{level}", str(level))
    for n, v in zip(names, coords):
        s = s.replace("{" + n + "}", str(v))
    return s


# ------------------------------------------------------------- walking ----

class Walker:
    def __init__(self, data_root):
        self.root = data_root
        self.cache = {}

    def rel(self, path):
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def resolve(self, base_dir, uri):
        if "://" in uri or uri.startswith("data:"):
            return None
        return os.path.normpath(os.path.join(base_dir, urllib.parse.unquote(uri)))

    def analyse(self, ts_path, stack=()):
        key = os.path.normpath(ts_path)
        if key in self.cache:
            return self.cache[key]
        with open(ts_path, "rb") as f:
            ts = json.loads(f.read().decode("utf-8"))
        base = os.path.dirname(ts_path)
        res = {
            "asset_version": ts.get("asset", {}).get("version"),
            "tile_count": 0, "content_count": 0, "max_depth": 0,
            "refine": ts.get("root", {}).get("refine"),
            "contents": [], "errors": [],
        }
        gua = ts.get("asset", {}).get("gltfUpAxis")
        if gua is not None:
            res["gltf_up_axis"] = gua
        totals = zero_counts()
        externals = []  # (path, depth of referencing tile)
        implicit_info = []

        def do_content(cont, depth, uri_override=None):
            uri = uri_override if uri_override is not None else cont.get("uri", cont.get("url"))
            res["content_count"] += 1
            entry = {"uri": uri}
            entry.update(zero_counts())
            if uri is None:
                entry["type"] = None
                entry["error"] = "content without uri"
            else:
                p = self.resolve(base, uri)
                entry["path"] = self.rel(p) if p else None
                try:
                    if p is None:
                        raise ContentError("non-local uri")
                    typ, counts, sub = read_content(p)
                    entry["type"] = typ
                    entry.update(counts)
                    add_counts(totals, counts)
                    if sub is not None:
                        externals.append((p, depth))
                except (ContentError, OSError, ValueError, KeyError, struct.error) as e:
                    entry["type"] = None
                    entry["error"] = str(e)
            if "error" in entry:
                res["errors"].append({"uri": uri, "message": entry["error"]})
            res["contents"].append(entry)

        def do_implicit(tile, it, depth):
            scheme = it["subdivisionScheme"]
            dims = 2 if scheme == "QUADTREE" else 3
            nchild = 1 << dims
            L = it["subtreeLevels"]
            avail_levels = it.get("availableLevels", it.get("maximumLevel", -1) + 1)
            sub_tmpl = it["subtrees"]["uri"]
            if tile.get("contents"):
                conts = tile["contents"]
            elif tile.get("content"):
                conts = [tile["content"]]
            else:
                conts = []
            info = {"subdivisionScheme": scheme, "subtreeLevels": L,
                    "availableLevels": avail_levels, "subtree_files": 0,
                    "subtree_formats": [], "availableCount_mismatches": []}
            n_tiles = 0
            max_level = 0
            todo = [(0, [0] * dims)]
            while todo:
                lvl0, c0 = todo.pop(0)
                suri = fill_template(sub_tmpl, lvl0, c0)
                sp = self.resolve(base, suri)
                try:
                    sj, bufs, fmt = load_subtree(sp)
                except (ContentError, OSError, ValueError, KeyError, struct.error) as e:
                    res["errors"].append({"uri": suri, "message": "subtree: %s" % e})
                    continue
                info["subtree_files"] += 1
                if fmt not in info["subtree_formats"]:
                    info["subtree_formats"].append(fmt)
                n_in_subtree = ((nchild ** L) - 1) // (nchild - 1)
                try:
                    ta = Availability(sj["tileAvailability"], sj, bufs, n_in_subtree)
                    cas = sj.get("contentAvailability", [])
                    if isinstance(cas, dict):
                        cas = [cas]
                    ca = [Availability(s, sj, bufs, n_in_subtree) for s in cas]
                    csa = Availability(sj["childSubtreeAvailability"], sj, bufs, nchild ** L)
                except (ContentError, KeyError, IndexError) as e:
                    res["errors"].append({"uri": suri, "message": "subtree: %s" % e})
                    continue
                for name, av in [("tileAvailability", ta), ("childSubtreeAvailability", csa)] + \
                        [("contentAvailability[%d]" % i, a) for i, a in enumerate(ca)]:
                    if av.available_count is not None and av.available_count != av.count():
                        info["availableCount_mismatches"].append(
                            {"subtree": suri, "field": name,
                             "declared": av.available_count, "computed": av.count()})
                idx = 0
                for l in range(L):
                    for m in range(nchild ** l):
                        glevel = lvl0 + l
                        if glevel < avail_levels and ta.get(idx):
                            local = morton_decode(m, dims)
                            gc = [(c0[d] << l) + local[d] for d in range(dims)]
                            n_tiles += 1
                            max_level = max(max_level, glevel)
                            for ci, cont in enumerate(conts):
                                if ci < len(ca) and ca[ci].get(idx):
                                    tmpl = cont.get("uri", cont.get("url"))
                                    do_content(cont, depth + glevel,
                                               fill_template(tmpl, glevel, gc))
                        idx += 1
                if lvl0 + L < avail_levels:
                    for m in range(nchild ** L):
                        if csa.get(m):
                            local = morton_decode(m, dims)
                            todo.append((lvl0 + L, [(c0[d] << L) + local[d] for d in range(dims)]))
            implicit_info.append(info)
            # the explicit tile itself is the implicit root (level 0): counted once.
            res["tile_count"] += max(n_tiles - 1, 0)
            res["max_depth"] = max(res["max_depth"], depth + max_level)

        def walk(tile, depth):
            res["tile_count"] += 1
            res["max_depth"] = max(res["max_depth"], depth)
            it = tile.get("implicitTiling") or (tile.get("extensions") or {}).get("3DTILES_implicit_tiling")
            if it is not None:
                do_implicit(tile, it, depth)
            else:
                if tile.get("contents"):
                    for cont in tile["contents"]:
                        do_content(cont, depth)
                elif tile.get("content"):
                    do_content(tile["content"], depth)
            for ch in tile.get("children", []) or []:
                walk(ch, depth + 1)

        if "root" in ts:
            walk(ts["root"], 0)
        res["triangle_count"] = totals["triangles"]
        res["triangle_count_instanced"] = totals["triangles_instanced"]
        res["point_count"] = totals["points"]
        res["instance_count"] = totals["instances"]
        res["feature_count"] = totals["features"]
        res["instance_feature_count"] = totals["instance_features"]
        if implicit_info:
            res["implicit"] = implicit_info[0] if len(implicit_info) == 1 else implicit_info

        # totals following external tilesets
        we = {k: res[k] for k in ("tile_count", "content_count", "max_depth", "triangle_count",
                                  "triangle_count_instanced", "point_count", "instance_count",
                                  "feature_count", "instance_feature_count")}
        we["error_count"] = len(res["errors"])
        we["external_tilesets"] = []
        for p, d in externals:
            if key in stack or os.path.normpath(p) in stack + (key,):
                res["errors"].append({"uri": self.rel(p), "message": "external tileset cycle"})
                continue
            sub = self.analyse(p, stack + (key,))
            swe = sub["with_external"]
            for k in ("tile_count", "content_count", "triangle_count", "triangle_count_instanced",
                      "point_count", "instance_count", "feature_count", "instance_feature_count",
                      "error_count"):
                we[k] += swe[k]
            we["max_depth"] = max(we["max_depth"], d + 1 + swe["max_depth"])
            we["external_tilesets"].append(self.rel(p))
            we["external_tilesets"].extend(swe["external_tilesets"])
        res["with_external"] = we
        self.cache[key] = res
        return res


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s DATA_ROOT\n" % sys.argv[0])
        return 2
    root = os.path.abspath(sys.argv[1])
    w = Walker(root)
    out = {}
    found = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for fn in fns:
            if fn == "tileset.json":
                found.append(os.path.join(dp, fn))
    for p in sorted(found):
        out[w.rel(p)] = w.analyse(p)
    doc = {
        "generator": "tests/reference/tiles3d_counts.py",
        "pygltflib_version": pygltflib.__version__,
        "tilesets": out,
    }
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
