//! Feature properties and metadata of real 3D Tiles samples, read as the
//! viewer reads them (`tiles3d::read_content`, `TileSource::metadata`),
//! against the values the samples' authors list in their READMEs
//! (`$CIM_TEST_DATA/3dtiles/cesium-3d-tiles-samples/glTF/EXT_structural_metadata/*/README.md`,
//! "Metadata Entities"; `1.1/MetadataGranularities/tileset.json`).

use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::{PropertyTable, TileContent};
use cim_loaders::tiles3d::{read_content, tileset};
use std::path::PathBuf;

fn samples() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("3dtiles/cesium-3d-tiles-samples");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

/// Every content of the tileset `rel`, read.
fn contents(rel: &str) -> Vec<TileContent> {
    let ts = tileset::open(&samples().join(rel), &tileset::Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    ts.tree
        .tiles
        .iter()
        .flat_map(|t| t.contents.iter())
        .map(|c| read_content(&ts, c).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn column<'a>(t: &'a PropertyTable, name: &str) -> &'a [AttrValue] {
    t.columns
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
        .unwrap_or_else(|| panic!("no column {name} in {:?}", t.columns))
}

fn strings(values: &[AttrValue]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn floats(values: &[AttrValue]) -> Vec<f64> {
    values
        .iter()
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("{v:?}")))
        .collect()
}

fn close(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6)
}

macro_rules! real_data_test {
    ($name:ident, $body:block) => {
        #[test]
        #[cfg_attr(
            not(cim_test_data),
            ignore = "needs CIM_TEST_DATA, the shared data folder"
        )]
        fn $name() $body
    };
}

real_data_test!(a_property_table_of_vec3_values_and_vertex_feature_ids, {
    let c =
        contents("glTF/EXT_structural_metadata/FeatureIdAttributeAndPropertyTable/tileset.json");
    let c = &c[0];
    assert_eq!(c.tables.len(), 1);
    assert_eq!(c.tables[0].count, 4);
    assert_eq!(
        strings(column(&c.tables[0], "example_VEC3_FLOAT32")),
        [
            "[0, 0.1, 0.2]",
            "[1, 1.1, 1.2]",
            "[2, 2.1, 2.2]",
            "[3, 3.1, 3.2]"
        ]
    );
    let set = &c.meshes[0].features[0];
    assert_eq!(set.table, Some(0));
    let mut ids = set.ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, [0, 1, 2, 3]);
});

real_data_test!(two_feature_id_sets_name_two_tables_of_two_classes, {
    let c = contents("glTF/EXT_structural_metadata/MultipleClasses/tileset.json");
    let c = &c[0];
    let sets: Vec<_> = c.meshes[0].features.iter().map(|s| s.table).collect();
    assert_eq!(sets, [Some(0), Some(1)]);
    let (a, b) = (&c.tables[0], &c.tables[1]);
    assert_eq!(a.class.as_deref(), Some("exampleMetadataClassA"));
    assert!(close(
        &floats(column(a, "example_FLOAT32")),
        &[1.1, 2.2, 3.3, 4.4]
    ));
    assert_eq!(
        column(a, "example_INT64"),
        [1234567, 2345678, 3456789, 4567890].map(AttrValue::Int)
    );
    assert_eq!(
        column(b, "example_UINT16"),
        [12345, 23456, 34567, 45678].map(AttrValue::Int)
    );
    assert!(close(
        &floats(column(b, "example_FLOAT64")),
        &[1.234567, 2.345678, 3.456789, 4.567890]
    ));
});

real_data_test!(strings_arrays_booleans_and_enums, {
    let c = contents("glTF/EXT_structural_metadata/ComplexTypes/tileset.json");
    let t = &c[0].tables[0];
    let norm = floats_of_lists(column(t, "example_variable_length_ARRAY_normalized_UINT8"));
    let raw = [
        vec![0.0, 255.0],
        vec![0.0, 128.0, 255.0],
        vec![0.0, 85.0, 170.0, 255.0],
        vec![0.0, 64.0, 128.0, 192.0, 255.0],
    ];
    for (got, want) in norm.iter().zip(&raw) {
        let want: Vec<f64> = want.iter().map(|v| v / 255.0).collect();
        assert!(close(got, &want), "{got:?} ≠ {want:?}");
    }
    assert_eq!(
        strings(column(t, "example_fixed_length_ARRAY_BOOLEAN"))[1],
        "[true, true, false, false, true, true, false, false, true, true]"
    );
    assert_eq!(
        strings(column(t, "example_variable_length_ARRAY_STRING")),
        [
            r#"["One"]"#,
            r#"["One", "Two"]"#,
            r#"["One", "Two", "Three"]"#,
            r#"["One", "Two", "Theee", "Four"]"#
        ]
    );
    assert_eq!(
        strings(column(t, "example_fixed_length_ARRAY_ENUM"))[2],
        "[ExampleEnumValueC, ExampleEnumValueA]"
    );
});

/// `"[0, 0.5]"` → `[0.0, 0.5]`.
fn floats_of_lists(values: &[AttrValue]) -> Vec<Vec<f64>> {
    values
        .iter()
        .map(|v| {
            let s = v.to_string();
            s.trim_matches(['[', ']'])
                .split(',')
                .map(|x| x.trim().parse::<f64>().unwrap_or_else(|_| panic!("{s}")))
                .collect()
        })
        .collect()
}

real_data_test!(utf8_strings_shared_by_two_feature_id_sets, {
    let c = contents("glTF/EXT_structural_metadata/MultipleFeatureIdsAndProperties/tileset.json");
    let c = &c[0];
    assert_eq!(
        strings(column(&c.tables[0], "example_STRING")),
        ["Rain 🌧", "Thunder ⛈", "Sun ☀", "Snow 🌨"]
    );
    let sets: Vec<_> = c.meshes[0].features.iter().map(|s| s.table).collect();
    assert_eq!(sets, [Some(0), Some(0)]);
});

real_data_test!(batch_tables_of_legacy_content, {
    // b3dm: the batch table of 10 buildings (values from the file's JSON).
    let ts = tileset::open(
        &samples().join("1.0/TilesetWithRequestVolume/tileset.json"),
        &tileset::Limits::default(),
    )
    .unwrap();
    let ll = ts
        .tree
        .tiles
        .iter()
        .flat_map(|t| t.contents.iter())
        .find(|c| c.uri.ends_with("ll.b3dm"))
        .expect("city/ll.b3dm");
    let c = read_content(&ts, ll).unwrap();
    let t = &c.tables[0];
    assert_eq!((t.name.as_str(), t.count), ("batch table", 10));
    assert_eq!(column(t, "id")[3], AttrValue::Int(3));
    // serde_json reads decimals to within an ulp.
    assert!(close(
        &floats(&column(t, "Longitude")[1..2]),
        &[-1.3197036065852055]
    ));
    for m in &c.meshes {
        assert_eq!(m.features[0].table, Some(0));
        assert!(m.features[0].ids.iter().all(|&i| i < 10));
    }
    // i3dm: each instance a feature of the batch table.
    let trees = contents("1.0/TilesetWithTreeBillboards/tileset.json");
    let tree = trees
        .iter()
        .find(|c| c.instance_count == 25)
        .expect("25 trees");
    assert_eq!(
        column(&tree.tables[0], "Height"),
        vec![AttrValue::Int(20); 25]
    );
    let ids = &tree.meshes[0].instance_features[0].ids;
    assert_eq!(*ids, (0..25).collect::<Vec<u32>>());
});

real_data_test!(tileset_tile_group_and_content_metadata, {
    let path = samples().join("1.1/MetadataGranularities/tileset.json");
    let loaded = cim_loaders::tiles3d::source::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let cim_core::LayerContent::Tiles(tiles) = &loaded.layer.content else {
        panic!("a tileset layer")
    };
    let source = &tiles.source;
    let tree = source.tree();
    let mut seen = std::collections::BTreeSet::new();
    for id in 0..tree.len() as u32 {
        for m in source.metadata(id) {
            seen.insert(m.scope.clone());
            if m.scope == "tileset" {
                assert_eq!(m.class.as_deref(), Some("exampleTilesetMetadataClass"));
                assert!(
                    m.properties
                        .contains(&("author".into(), AttrValue::String("Cesium".into())))
                );
                assert!(
                    m.properties
                        .contains(&("tileCount".into(), AttrValue::Int(4)))
                );
            }
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["content", "group", "tile", "tileset"]
    );
});
