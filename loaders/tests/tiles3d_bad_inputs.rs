//! Hostile and broken 3D Tiles: each problem is a clear error for its part
//! (the tile, the content, the external tileset), nothing panics, nothing
//! allocates what the file does not hold, and the rest still loads.

use cim_loaders::tiles3d::{ContentContext, read_content_bytes, summary, tileset};
use std::path::Path;

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn tileset_json(children: &str, content: &str) -> String {
    format!(
        r#"{{"asset":{{"version":"1.0"}},"geometricError":10,
            "root":{{"boundingVolume":{{"sphere":[0,0,0,10]}},"geometricError":5,"refine":"ADD",
                     {content} "children":[{children}]}}}}"#
    )
}

fn child(uri: &str) -> String {
    format!(
        r#"{{"boundingVolume":{{"sphere":[0,0,0,5]}},"geometricError":1,"content":{{"uri":"{uri}"}}}}"#
    )
}

fn open(dir: &Path) -> tileset::Tileset {
    tileset::open(&dir.join("tileset.json"), &tileset::Limits::default())
        .expect("the root tileset opens")
}

/// A b3dm with `ft` as its feature table and `glb` after the tables.
fn b3dm(ft: &str, glb: &[u8]) -> Vec<u8> {
    let mut ft = ft.to_string();
    while !(28 + ft.len()).is_multiple_of(8) {
        ft.push(' ');
    }
    let total = 28 + ft.len() + glb.len();
    let mut b = b"b3dm".to_vec();
    for w in [1, total, ft.len(), 0, 0, 0] {
        b.extend_from_slice(&(w as u32).to_le_bytes());
    }
    b.extend_from_slice(ft.as_bytes());
    b.extend_from_slice(glb);
    b
}

/// A GLB holding `json` and `bin`.
fn glb(json: &str, bin: &[u8]) -> Vec<u8> {
    let mut j = json.as_bytes().to_vec();
    while !j.len().is_multiple_of(4) {
        j.push(b' ');
    }
    let mut bin = bin.to_vec();
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
    let total = 12 + 8 + j.len() + if bin.is_empty() { 0 } else { 8 + bin.len() };
    let mut out = b"glTF".to_vec();
    for w in [2, total] {
        out.extend_from_slice(&(w as u32).to_le_bytes());
    }
    out.extend_from_slice(&(j.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&j);
    if !bin.is_empty() {
        out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(&bin);
    }
    out
}

/// One triangle, as a GLB.
fn triangle_glb(extra_json: &str) -> Vec<u8> {
    triangle_glb_with(extra_json, 3)
}

/// [`triangle_glb`] whose accessor claims `count` vertices.
fn triangle_glb_counted(count: u64) -> Vec<u8> {
    triangle_glb_with("", count)
}

fn triangle_glb_with(extra_json: &str, count: u64) -> Vec<u8> {
    let mut bin = Vec::new();
    for v in [0f32, 0., 0., 1., 0., 0., 0., 1., 0.] {
        bin.extend_from_slice(&v.to_le_bytes());
    }
    glb(
        &format!(
            r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],"nodes":[{{"mesh":0}}],
            "meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}}}}]}}],
            "accessors":[{{"bufferView":0,"componentType":5126,"count":{count},"type":"VEC3"}}],
            "bufferViews":[{{"buffer":0,"byteLength":36}}],"buffers":[{{"byteLength":36}}]{extra_json}}}"#
        ),
        &bin,
    )
}

fn read(bytes: &[u8]) -> Result<cim_core::model::tile_content::TileContent, String> {
    let resolve = |uri: &str| -> Result<Vec<u8>, String> { Err(format!("{uri}: no such file")) };
    read_content_bytes(
        bytes,
        &ContentContext {
            y_up: true,
            resolve: &resolve,
        },
        0,
    )
}

#[test]
fn a_good_b3dm_reads() {
    let c = read(&b3dm(r#"{"BATCH_LENGTH":0}"#, &triangle_glb(""))).unwrap();
    assert_eq!(c.triangle_count(), 1);
    // y-up glTF turned z-up: (0, 1, 0) → (0, 0, 1).
    let m = &c.meshes[0];
    let p = m
        .transform
        .transform_point3(glam::DVec3::new(0.0, 1.0, 0.0));
    assert!((p - glam::DVec3::Z).length() < 1e-12, "{p}");
}

/// A b3dm whose glTF has property tables of its own
/// (`EXT_structural_metadata`): its batch table joins them, and each
/// feature id set keeps naming its table — the `EXT_mesh_features` set
/// the glTF's, the `_BATCHID` set the batch table.
#[test]
fn a_batch_table_joins_the_gltf_property_tables() {
    let mut bin = Vec::new();
    for v in [0f32, 0., 0., 1., 0., 0., 0., 1., 0.] {
        bin.extend_from_slice(&v.to_le_bytes());
    }
    bin.extend_from_slice(&[0, 0, 0, 0, 7]);
    let inner = glb(
        r#"{"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],
        "extensionsUsed":["EXT_mesh_features","EXT_structural_metadata"],
        "extensions":{"EXT_structural_metadata":{
            "schema":{"id":"s","classes":{"room":{"properties":{"level":{"type":"SCALAR","componentType":"UINT8"}}}}},
            "propertyTables":[{"class":"room","count":1,"properties":{"level":{"values":2}}}]}},
        "meshes":[{"primitives":[
            {"attributes":{"POSITION":0,"_FEATURE_ID_0":1},
             "extensions":{"EXT_mesh_features":{"featureIds":[{"featureCount":1,"attribute":0,"propertyTable":0}]}}},
            {"attributes":{"POSITION":0,"_BATCHID":1}}]}],
        "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"},
                     {"bufferView":1,"componentType":5121,"count":3,"type":"SCALAR"}],
        "bufferViews":[{"buffer":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":3},
                       {"buffer":0,"byteOffset":40,"byteLength":1}],
        "buffers":[{"byteLength":41}]}"#,
        &bin,
    );
    let (mut ft, mut bt) = (
        r#"{"BATCH_LENGTH":1}"#.to_string(),
        r#"{"height":[12.5]}"#.to_string(),
    );
    while !(28 + ft.len()).is_multiple_of(8) {
        ft.push(' ');
    }
    while !(28 + ft.len() + bt.len()).is_multiple_of(8) {
        bt.push(' ');
    }
    let total = 28 + ft.len() + bt.len() + inner.len();
    let mut b = b"b3dm".to_vec();
    for w in [1, total, ft.len(), 0, bt.len(), 0] {
        b.extend_from_slice(&(w as u32).to_le_bytes());
    }
    b.extend_from_slice(ft.as_bytes());
    b.extend_from_slice(bt.as_bytes());
    b.extend_from_slice(&inner);
    let c = read(&b).unwrap();
    let names: Vec<(&str, Option<&str>)> = c
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.class.as_deref()))
        .collect();
    assert_eq!(names.len(), 2, "{names:?} {:?}", c.warnings);
    assert_eq!(names[0].1, Some("room"));
    assert_eq!(names[1].0, "batch table");
    let tables: Vec<Option<u32>> = c.meshes.iter().map(|m| m.features[0].table).collect();
    assert_eq!(tables, [Some(0), Some(1)]);
    assert_eq!(
        c.tables[0].row(0),
        vec![("level", &cim_core::AttrValue::Int(7))]
    );
    assert_eq!(
        c.tables[1].row(0),
        vec![("height", &cim_core::AttrValue::Float(12.5))]
    );
    // The same glTF on its own: `_BATCHID` names no table.
    let alone = read(&inner).unwrap();
    assert_eq!(alone.tables.len(), 1);
    assert_eq!(alone.meshes[1].features[0].table, None);
}

#[test]
fn bad_content_is_a_clear_error() {
    let good = b3dm(r#"{"BATCH_LENGTH":0}"#, &triangle_glb(""));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad magic",
            b"xxxx0000000000000000000000000000".to_vec(),
            "unknown content",
        ),
        ("truncated", good[..40].to_vec(), "byteLength"),
        ("short", b"b3d".to_vec(), "too short"),
        (
            "absurd batch length",
            b3dm(r#"{"BATCH_LENGTH":1e30}"#, &triangle_glb("")),
            "BATCH_LENGTH",
        ),
        (
            "huge batch",
            b3dm(
                r#"{"BATCH_LENGTH":0,"RTC_CENTER":{"byteOffset":4000000000}}"#,
                &triangle_glb(""),
            ),
            "RTC_CENTER",
        ),
        (
            "huge count",
            b3dm(
                r#"{"BATCH_LENGTH":0}"#,
                &triangle_glb_counted(3_000_000_000),
            ),
            "needs",
        ),
        (
            "index past the vertices",
            b3dm(r#"{"BATCH_LENGTH":0}"#, &{
                let mut bin = Vec::new();
                for v in [0f32, 0., 0., 1., 0., 0., 0., 1., 0.] {
                    bin.extend_from_slice(&v.to_le_bytes());
                }
                for i in [0u16, 1, 999, 0] {
                    bin.extend_from_slice(&i.to_le_bytes());
                }
                glb(
                    r#"{"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],
              "meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1}]}],
              "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3"},
                           {"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"}],
              "bufferViews":[{"buffer":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":8}],
              "buffers":[{"byteLength":44}]}"#,
                    &bin,
                )
            }),
            "index 999",
        ),
        (
            "accessor out of range",
            b3dm(
                r#"{"BATCH_LENGTH":0}"#,
                &glb(
                    r#"{"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],
              "meshes":[{"primitives":[{"attributes":{"POSITION":7}}]}]}"#,
                    &[],
                ),
            ),
            "accessors",
        ),
        (
            "node cycle",
            b3dm(
                r#"{"BATCH_LENGTH":0}"#,
                &glb(
                    r#"{"asset":{"version":"2.0"},"scenes":[{"nodes":[0]}],"nodes":[{"children":[1]},{"children":[0]}]}"#,
                    &[],
                ),
            ),
            "own ancestor",
        ),
        (
            "basisu",
            b3dm(
                r#"{"BATCH_LENGTH":0}"#,
                &triangle_glb(
                    r#","extensionsRequired":["KHR_texture_basisu"],"extensionsUsed":["KHR_texture_basisu"]"#,
                ),
            ),
            "requires the extension KHR_texture_basisu, not supported yet",
        ),
        (
            "nested composites",
            {
                let mut inner = good.clone();
                for _ in 0..20 {
                    let mut c = b"cmpt".to_vec();
                    for w in [1, 16 + inner.len(), 1] {
                        c.extend_from_slice(&(w as u32).to_le_bytes());
                    }
                    c.extend_from_slice(&inner);
                    inner = c;
                }
                inner
            },
            "nested deeper",
        ),
    ];
    for (what, bytes, needle) in cases {
        let r = read(&bytes);
        match r {
            Err(e) => assert!(e.contains(needle), "{what}: {e}"),
            Ok(c) if needle.is_empty() => assert!(c.triangle_count() <= 1, "{what}"),
            Ok(_) => panic!("{what}: read without an error"),
        }
    }
}

#[test]
fn cyclic_external_tilesets_are_refused_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "tileset.json",
        tileset_json(&[child("a/tileset.json"), child("t.b3dm")].join(","), "").as_bytes(),
    );
    write(
        d,
        "a/tileset.json",
        tileset_json(&child("../tileset.json"), "").as_bytes(),
    );
    write(
        d,
        "t.b3dm",
        &b3dm(r#"{"BATCH_LENGTH":0}"#, &triangle_glb("")),
    );
    let ts = open(d);
    assert_eq!(ts.errors.len(), 1, "{:?}", ts.errors);
    assert!(ts.errors[0].message.contains("cycle"), "{:?}", ts.errors);
    let s = summary::summarise(&ts, true);
    assert_eq!(s.deep.unwrap().triangle_count, 1);
}

#[test]
fn uris_escaping_the_tileset_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("ts");
    write(
        dir.path(),
        "secret.b3dm",
        &b3dm(r#"{"BATCH_LENGTH":0}"#, &triangle_glb("")),
    );
    let kids = [
        child("../secret.b3dm"),
        child("file:///etc/passwd"),
        child("/etc/passwd"),
        child("sub/../../secret.b3dm"),
    ];
    write(
        &d,
        "tileset.json",
        tileset_json(&kids.join(","), "").as_bytes(),
    );
    let ts = open(&d);
    assert_eq!(ts.tree.content_count(), 0, "{:?}", ts.tree);
    assert_eq!(ts.errors.len(), 4, "{:?}", ts.errors);
    for e in &ts.errors {
        assert!(
            e.message.contains("climbs out") || e.message.contains("absolute"),
            "{e:?}"
        );
    }
}

#[test]
fn broken_tilesets_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (json, needle) in [
        ("{", "invalid JSON"),
        (r#"{"root":{}}"#, "asset"),
        (
            r#"{"asset":{"version":"1.0"},"root":{"geometricError":1}}"#,
            "boundingVolume",
        ),
        (
            r#"{"asset":{"version":"1.0"},"root":{"boundingVolume":{"box":[1]},"geometricError":1}}"#,
            "box",
        ),
        (
            r#"{"asset":{"version":"1.0"},"root":{"boundingVolume":{"sphere":[0,0,0,1]},"geometricError":-1}}"#,
            "geometricError",
        ),
        (
            r#"{"asset":{"version":"1.0"},"root":{"boundingVolume":{"sphere":[0,0,0,1]},"geometricError":1,"transform":[1,2]}}"#,
            "transform",
        ),
    ] {
        write(d, "tileset.json", json.as_bytes());
        let e = tileset::open(&d.join("tileset.json"), &tileset::Limits::default()).unwrap_err();
        assert!(e.contains(needle), "{json}: {e}");
    }
    // Deeply nested children: refused by the JSON parser, not a stack overflow.
    let deep = format!(
        r#"{{"asset":{{"version":"1.0"}},"root":{}{}}}"#,
        r#"{"boundingVolume":{"sphere":[0,0,0,1]},"geometricError":1,"children":["#.repeat(5000),
        "]}".repeat(5000)
    );
    write(d, "tileset.json", deep.as_bytes());
    assert!(tileset::open(&d.join("tileset.json"), &tileset::Limits::default()).is_err());
}

#[test]
fn a_tile_limit_bounds_what_a_tileset_expands_to() {
    let dir = tempfile::tempdir().unwrap();
    let kids: Vec<String> = (0..50).map(|i| child(&format!("{i}.b3dm"))).collect();
    write(
        dir.path(),
        "tileset.json",
        tileset_json(&kids.join(","), "").as_bytes(),
    );
    let limits = tileset::Limits {
        max_tiles: 10,
        max_external: 10,
        ..Default::default()
    };
    let e = tileset::open(&dir.path().join("tileset.json"), &limits).unwrap_err();
    assert!(e.contains("more than 10 tiles"), "{e}");
}

#[test]
fn implicit_tiling_with_constant_availability_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every tile available over 20 levels: 4^19 tiles, refused by the limit
    // rather than expanded.
    write(
        d,
        "tileset.json",
        br#"{"asset":{"version":"1.1"},"geometricError":100,"root":{
        "boundingVolume":{"region":[0,0,0.1,0.1,0,10]},"geometricError":50,"refine":"REPLACE",
        "content":{"uri":"c/{level}/{x}/{y}.glb"},
        "implicitTiling":{"subdivisionScheme":"QUADTREE","subtreeLevels":20,"availableLevels":20,
                          "subtrees":{"uri":"s/{level}/{x}/{y}.json"}}}}"#,
    );
    write(
        d,
        "s/0/0/0.json",
        br#"{"tileAvailability":{"constant":1},"contentAvailability":[{"constant":1}],
        "childSubtreeAvailability":{"constant":0}}"#,
    );
    let limits = tileset::Limits {
        max_tiles: 5000,
        max_external: 0,
        ..Default::default()
    };
    let e = tileset::open(&d.join("tileset.json"), &limits).unwrap_err();
    assert!(e.contains("more than 5000 tiles"), "{e}");
    // Two levels of it expand: 1 + 4 tiles, each with its content.
    write(
        d,
        "tileset.json",
        br#"{"asset":{"version":"1.1"},"geometricError":100,"root":{
        "boundingVolume":{"region":[0,0,0.1,0.1,0,10]},"geometricError":50,"refine":"REPLACE",
        "content":{"uri":"c/{level}/{x}/{y}.glb"},
        "implicitTiling":{"subdivisionScheme":"QUADTREE","subtreeLevels":2,"availableLevels":2,
                          "subtrees":{"uri":"s/{level}/{x}/{y}.json"}}}}"#,
    );
    let ts = open(d);
    assert_eq!((ts.tree.len(), ts.tree.content_count()), (5, 5));
    let uris: Vec<&str> = ts
        .tree
        .tiles
        .iter()
        .flat_map(|t| &t.contents)
        .map(|c| c.uri.as_str())
        .collect();
    assert!(uris.contains(&"c/1/1/1.glb"), "{uris:?}");
    assert_eq!(ts.tree.tile(1).geometric_error, 25.0);
}

/// The fuzz seeds (`fuzz/make_seeds.py`) are valid content, so the fuzzer
/// starts past the first checks of every reader, and they exercise the
/// features they were written for.
#[test]
fn the_fuzz_seeds_read_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let seed = |t: &str, n: &str| std::fs::read(corpus.join(t).join(format!("seed-{n}"))).unwrap();
    let resolve = |uri: &str| -> Result<Vec<u8>, String> {
        (uri == "model.glb")
            .then(|| seed("glb", "triangle"))
            .ok_or(format!("{uri}: none"))
    };
    let ctx = ContentContext {
        y_up: true,
        resolve: &resolve,
    };
    let read = |b: &[u8]| read_content_bytes(b, &ctx, 0).unwrap_or_else(|e| panic!("{e}"));
    let b = read(&seed("b3dm", "triangle"));
    assert_eq!(
        (
            b.triangle_count(),
            b.feature_count,
            b.tables[0].columns.len()
        ),
        (1, 2, 2)
    );
    assert_eq!(b.meshes[0].features[0].ids, vec![0, 1, 1]);
    assert_eq!(b.meshes[0].features[0].table, Some(0));
    let t = read(&seed("b3dm", "textured-quantized"));
    let m = &t.meshes[0];
    assert!(m.material.texture.is_some() && m.material.unlit);
    // KHR_texture_transform: offset 0.5, scale 2 → u' = 2u + 0.5.
    assert_eq!(m.uvs[1], [2.5, 0.0]);
    // Normalised SHORT positions: 32767 → 1.0.
    assert_eq!(m.positions[1], [1.0, 0.0, 0.0]);
    // EXT_structural_metadata: a column of each kind, two feature id sets.
    let g = read(&seed("glb", "structural-metadata"));
    let t = &g.tables[0];
    assert_eq!(
        (t.name.as_str(), t.class.as_deref(), t.count),
        ("buildings", Some("building"), 2)
    );
    let shown: Vec<(String, Vec<String>)> = t
        .columns
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().map(|x| x.to_string()).collect()))
        .collect();
    let want = [
        ("floors", ["7", ""]),
        ("use", ["住宅", "office"]),
        // Normalised UINT8: v / 255.
        (
            "levels",
            [
                "[0, 0.5019607843137255, 1]",
                "[0.00392156862745098, 0.00784313725490196]",
            ],
        ),
        ("listed", ["false", "true"]),
        ("kind", ["house", "tower"]),
        ("centre", ["[10, 0.1, 0.2]", "[11, 1.1, 1.2]"]),
    ];
    assert_eq!(
        shown,
        want.map(|(k, v)| (k.to_string(), v.map(str::to_string).to_vec()))
    );
    let sets = &g.meshes[0].features;
    assert_eq!(
        (sets[0].ids.clone(), sets[0].table),
        (vec![0, 1, 1], Some(0))
    );
    assert_eq!(sets[0].label.as_deref(), Some("building"));
    assert_eq!(
        sets[1].ids,
        vec![0, cim_core::model::tile_content::NO_FEATURE, 2]
    );
    let i = read(&seed("i3dm", "instances"));
    assert_eq!((i.instance_count, i.meshes[0].instances.len()), (3, 3));
    assert_eq!(i.meshes[0].instance_features[0].ids, vec![0, 1, 2]);
    let q = read(&seed("i3dm", "quantized-uri"));
    assert_eq!(q.instance_count, 2);
    let p = read(&seed("pnts", "quantized-rgb565"));
    assert_eq!((p.point_count(), p.feature_count), (4, 2));
    assert_eq!(p.points[0].colors[0], [255, 0, 0, 255]);
    assert_eq!(p.points[0].features[0].ids, vec![0, 1, 1, 0]);
    assert_eq!(
        read(&seed("pnts", "float-rgba")).points[0].colors[1],
        [0, 255, 0, 128]
    );
    assert_eq!(
        read(&seed("pnts", "constant-colour")).points[0].colors,
        vec![[1, 2, 3, 4]; 2]
    );
    let c = read(&seed("cmpt", "nested"));
    assert_eq!((c.triangle_count(), c.point_count()), (1, 4));
    assert_eq!(read(&seed("glb", "strip")).triangle_count(), 1);
    assert_eq!(read(&seed("glb", "json-data-uri")).point_count(), 1);
    let sub = |n: &str| {
        let s = seed("subtree", n);
        cim_loaders::tiles3d::implicit::expand_one_for_fuzzing(
            &s[1..],
            s[0] & 1 == 1,
            u32::from(s[0] >> 1 & 7) + 1,
        )
    };
    // Tile bits 0b11001: the root and level-1 tiles 2 and 3; the child
    // subtrees' bits name children of unavailable tiles only.
    assert_eq!(sub("binary-quadtree"), Ok(3));
    assert_eq!(sub("json-octree"), Ok(9));
}
