#!/usr/bin/env python3
# A glTF fixture whose buffer views are compressed with EXT_meshopt_compression
# by meshoptimizer's own encoders (the `meshoptimizer` Python package wraps
# the C++ library), for the reader (loaders/tests/tiles3d_compressed.rs).
#
# Produced with:
#   python3 -m venv /var/tmp/dracovenv && . /var/tmp/dracovenv/bin/activate
#   pip install meshoptimizer==0.2.30a0 numpy      (Python 3.11)
#   cd /work/main && python3 tests/reference/meshopt_grid.py
# Writes loaders/tests/fixtures/meshopt-grid.glb (also a glb fuzz seed).
#
# The vertex and index codecs are lossless (no filter is used), so the
# reference is the mesh itself, rebuilt by the test from the same rule: a
# 24 × 24 grid of points (x = 0.5 i, y = 0.5 j, z = 2 sin(i / 5)), texture
# coordinates (i, j) / 23, a `_BATCHID` numbering the quadrants 0-3 (in a
# vertex stream of its own, 4-byte floats), two triangles a cell (i + 24 j
# → …), as u16 indices (INDICES mode). The script also checks that
# meshoptimizer decodes its streams back to the mesh.

import meshoptimizer as mo
import numpy as np
from fixture_glb import pad, write_glb

N = 24

xs, ys = np.meshgrid(np.arange(N), np.arange(N))
xs, ys = xs.ravel(), ys.ravel()
n = N * N
# Interleaved position + texture coordinate: 20-byte vertices.
vertex = np.zeros((n, 5), dtype=np.float32)
vertex[:, 0] = xs * 0.5
vertex[:, 1] = ys * 0.5
vertex[:, 2] = np.sin(xs / 5.0) * 2.0
vertex[:, 3] = xs / (N - 1)
vertex[:, 4] = ys / (N - 1)
ids = ((xs >= N // 2).astype(int) + 2 * (ys >= N // 2).astype(int)).astype(np.float32)
faces = []
for j in range(N - 1):
    for i in range(N - 1):
        a = j * N + i
        faces += [a, a + 1, a + N + 1, a, a + N + 1, a + N]
indices = np.array(faces, dtype=np.uint16)

enc_vertex = mo.encode_vertex_buffer(vertex, n, 20)
enc_ids = mo.encode_vertex_buffer(ids.reshape(-1, 1), n, 4)
# The index *sequence* codec: lossless in order (the triangle codec may turn
# a triangle's corners round, which would make the comparison fuzzy).
enc_index = mo.encode_index_sequence(indices.astype(np.uint32), len(indices), n)
assert (mo.decode_vertex_buffer(n, 20, enc_vertex).view(np.float32).reshape(n, 5) == vertex).all()
assert (mo.decode_index_sequence(len(indices), 4, enc_index).ravel() == indices).all()



compressed = b""
views = []
for data, stride, count, mode in [
    (enc_vertex, 20, n, "ATTRIBUTES"),
    (enc_ids, 4, n, "ATTRIBUTES"),
    (enc_index, 2, len(indices), "INDICES"),
]:
    views.append({
        "buffer": 1, "byteOffset": sum(v["_size"] for v in views), "byteLength": stride * count,
        "_size": stride * count,
        **({"byteStride": stride} if mode == "ATTRIBUTES" else {}),
        "extensions": {"EXT_meshopt_compression": {
            "buffer": 0, "byteOffset": len(compressed), "byteLength": len(data),
            "byteStride": stride, "count": count, "mode": mode,
        }},
    })
    compressed += pad(data)
for v in views:
    del v["_size"]
gltf = {
    "asset": {"version": "2.0", "generator": "tests/reference/meshopt_grid.py"},
    "extensionsUsed": ["EXT_meshopt_compression"],
    "extensionsRequired": ["EXT_meshopt_compression"],
    "scene": 0,
    "scenes": [{"nodes": [0]}],
    "nodes": [{"mesh": 0}],
    "meshes": [{"primitives": [{
        "attributes": {"POSITION": 0, "TEXCOORD_0": 1, "_BATCHID": 2},
        "indices": 3,
        "mode": 4,
    }]}],
    "accessors": [
        {"bufferView": 0, "byteOffset": 0, "componentType": 5126, "count": n, "type": "VEC3",
         "min": vertex[:, :3].min(0).tolist(), "max": vertex[:, :3].max(0).tolist()},
        {"bufferView": 0, "byteOffset": 12, "componentType": 5126, "count": n, "type": "VEC2"},
        {"bufferView": 1, "componentType": 5126, "count": n, "type": "SCALAR"},
        {"bufferView": 2, "componentType": 5123, "count": len(indices), "type": "SCALAR"},
    ],
    "bufferViews": views,
    "buffers": [
        {"byteLength": len(compressed)},
        {"byteLength": sum(v["byteLength"] for v in views),
         "extensions": {"EXT_meshopt_compression": {"fallback": True}}},
    ],
}
glb = write_glb("meshopt-grid.glb", gltf, compressed)
print(f"{len(glb)} bytes of GLB ({len(compressed)} compressed, {vertex.nbytes + ids.nbytes + indices.nbytes} raw)")
