//! Every tileset in `$CIM_TEST_DATA/3dtiles/` loads and its counts match
//! an independent count: `tests/reference/tiles3d_counts.json`, made by
//! `tests/reference/tiles3d_counts.py` (its own parsing of tileset.json,
//! subtrees and the b3dm/i3dm/pnts/cmpt wrappers, pygltflib for the glTF;
//! the command is in the script's header).

use cim_loaders::tiles3d::{summary, tileset};
use serde_json::Value;
use std::path::PathBuf;

/// `$CIM_TEST_DATA/3dtiles`; ignored without `CIM_TEST_DATA` at build
/// time (see build.rs), failing when set and the folder is missing.
fn data() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("3dtiles");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/tiles3d_counts.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference counts")).expect("JSON")
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_tileset_matches_the_independent_counts() {
    let data = data();
    let reference = reference();
    let tilesets = reference["tilesets"].as_object().expect("tilesets");
    assert!(
        tilesets.len() >= 20,
        "the reference lists {} tilesets",
        tilesets.len()
    );
    let mut mismatches = Vec::new();
    for (rel, want) in tilesets {
        let ts = tileset::open(&data.join(rel), &tileset::Limits::default())
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let s = summary::summarise(&ts, true);
        let d = s.deep.clone().expect("deep counts");
        // The reference counts one tileset file; `with_external` follows
        // its external tilesets as the viewer does.
        let w = &want["with_external"];
        let n =
            |v: &Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{rel}: no {k}")) as usize;
        let got = [
            ("tile_count", s.tile_count),
            ("content_count", s.content_count),
            ("max_depth", s.max_depth as usize),
            ("triangle_count", d.triangle_count),
            ("point_count", d.point_count),
            ("instance_count", d.instance_count),
            ("feature_count", d.feature_count),
            ("errors", s.errors.len()),
        ];
        let expected = [
            n(w, "tile_count"),
            n(w, "content_count"),
            n(w, "max_depth"),
            n(w, "triangle_count"),
            n(w, "point_count"),
            n(w, "instance_count"),
            // Features of instances (EXT_instance_features) count as features.
            n(w, "feature_count") + n(w, "instance_feature_count"),
            n(w, "error_count"),
        ];
        for ((key, g), e) in got.iter().zip(expected) {
            if *g != e {
                mismatches.push(format!(
                    "{rel}: {key} {g}, reference {e}; errors {:?}",
                    s.errors
                ));
            }
        }
        assert_eq!(s.refine, want["refine"].as_str(), "{rel}: refine");
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn the_missing_dragon_is_one_clear_error_and_the_rest_reads() {
    let path = data().join("cesium-3d-tiles-samples/1.0/TilesetWithDiscreteLOD/tileset.json");
    let ts = tileset::open(&path, &tileset::Limits::default()).expect("the tileset opens");
    let s = summary::summarise(&ts, true);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    let e = &s.errors[0];
    assert_eq!(e.uri, "dragon_high.b3dm");
    assert!(e.message.contains("dragon_high.b3dm"), "{}", e.message);
    assert!(s.deep.expect("deep").triangle_count > 0);
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn georeferenced_tilesets_have_a_wgs84_extent() {
    let path = data().join("cesium-3d-tiles-samples/1.0/TilesetWithDiscreteLOD/tileset.json");
    let ts = tileset::open(&path, &tileset::Limits::default()).expect("opens");
    let [w, s, e, n] = summary::wgs84_extent(&ts).expect("an extent");
    // The root transform's origin, (1215107.76, -4736682.90, 4081926.10)
    // in ECEF, is 75.612094° W 40.042531° N (PROJ: `echo 1215107.7612
    // -4736682.9020 4081926.0951 | cim crs transform --from EPSG:4978 --to
    // EPSG:4979`); the transform scales the ~15 m box by 100.
    let (lon, lat) = (-75.612094, 40.042531);
    assert!(w < lon && lon < e && e - w < 0.05, "{w} {e}");
    assert!(s < lat && lat < n && n - s < 0.05, "{s} {n}");
}
