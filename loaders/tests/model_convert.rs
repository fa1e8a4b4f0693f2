//! `cim convert MODEL --to 3dtiles`: features keep their ids and typed
//! properties through `EXT_mesh_features` / `EXT_structural_metadata`
//! (read back by our own glTF reader); with CIM_TEST_DATA every IFC model
//! and CityGML file converts to a tileset whose `.glb` files pass the
//! Khronos glTF validator (npm `gltf-validator`, through
//! `tests/reference/validate_gltf.cjs`) and which reads back with every
//! element, its triangles, colours and GlobalId.

use cim_core::lod::tile_source::TileSource;
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::{
    ContentMesh, FeatureIds, NO_FEATURE, PropertyTable, TileContent,
};
use cim_loaders::tiles3d::{ContentContext, read_content_bytes, summary, tileset, write};
use std::path::{Path, PathBuf};

#[path = "support/gltf_validator.rs"]
mod gltf_validator;

fn read_back(glb: &[u8]) -> TileContent {
    let ctx = ContentContext {
        y_up: true,
        resolve: &|uri| Err(format!("{uri}: not here")),
    };
    read_content_bytes(glb, &ctx, 0).unwrap_or_else(|e| panic!("{e}"))
}

fn column<'t>(t: &'t PropertyTable, id: &str) -> &'t [AttrValue] {
    let c = t.columns.iter().find(|(n, _)| n == id);
    &c.unwrap_or_else(|| panic!("no column {id}: {:?}", t.columns))
        .1
}

#[test]
fn feature_ids_and_typed_properties_read_back_alike() {
    use AttrValue::*;
    let text = |s: &str| String(s.into());
    let date = cim_core::model::attr::Date {
        year: 2024,
        month: 5,
        day: 1,
    };
    let rows = vec![
        vec![
            ("GlobalId".to_string(), text("2XPyKWY018sA1ygZKgQPtU")),
            ("Pset_WallCommon.IsExternal".to_string(), Bool(true)),
            ("storeys".to_string(), Int(3)),
            ("area".to_string(), Int(12)),
            ("flag".to_string(), Bool(false)),
            ("built".to_string(), Date(date)),
            ("高度".to_string(), Float(9.5)),
        ],
        vec![
            ("GlobalId".to_string(), text("")),
            ("Pset_WallCommon.IsExternal".to_string(), Bool(false)),
            ("area".to_string(), Float(0.25)),
            ("nothing".to_string(), Null),
        ],
    ];
    let table = PropertyTable::from_rows("elements", &rows, 100);
    let mesh = ContentMesh {
        positions: vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.0],
        ],
        indices: vec![0, 1, 2, 1, 3, 2],
        features: vec![FeatureIds {
            ids: vec![0, 0, 1, NO_FEATURE],
            table: Some(0),
            label: Some("element id".into()),
        }],
        colors: vec![[130, 178, 214, 140]; 4],
        material: cim_core::model::tile_content::ContentMaterial {
            alpha: cim_core::model::tile_content::Alpha::Blend,
            ..Default::default()
        },
        ..ContentMesh::default()
    };
    let content = TileContent {
        meshes: vec![mesh],
        feature_count: 2,
        tables: vec![table],
        ..TileContent::default()
    };
    let back = read_back(&write::glb(&content).unwrap());
    assert_eq!(back.feature_count, 2);
    // See-through stays see-through, in its colour.
    let m = &back.meshes[0];
    assert_eq!(
        m.material.alpha,
        cim_core::model::tile_content::Alpha::Blend
    );
    assert_eq!(m.colors, [[130, 178, 214, 140]; 4]);
    let set = &back.meshes[0].features[0];
    assert_eq!(set.ids, [0, 0, 1, NO_FEATURE]);
    assert_eq!(
        (set.table, set.label.as_deref()),
        (Some(0), Some("element_id"))
    );
    let t = &back.tables[0];
    assert_eq!((t.name.as_str(), t.count), ("elements", 2));
    assert_eq!(
        column(t, "GlobalId"),
        [text("2XPyKWY018sA1ygZKgQPtU"), text("")]
    );
    assert_eq!(
        column(t, "Pset_WallCommon_IsExternal"),
        [Bool(true), Bool(false)]
    );
    assert_eq!(column(t, "storeys"), [Int(3), Null]);
    assert_eq!(column(t, "area"), [Float(12.0), Float(0.25)]);
    // A boolean missing somewhere is written as text (booleans have no
    // `noData`); a date as its text.
    assert_eq!(column(t, "flag"), [text("false"), Null]);
    assert_eq!(column(t, "built"), [text("2024-05-01"), Null]);
    assert_eq!(column(t, "__"), [Float(9.5), Null]);
    assert!(!t.columns.iter().any(|(n, _)| n == "nothing"));
}

fn glbs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "glb"))
        .collect();
    out.sort();
    out
}

/// The tileset in `out`, every content read: its features' values of
/// property `id` (one per row of each tile's tables), triangles and the
/// distinct vertex colours.
fn contents(out: &Path, id: &str) -> (Vec<AttrValue>, usize, Vec<[u8; 4]>) {
    let ts = tileset::open(&out.join("tileset.json"), &tileset::Limits::default()).unwrap();
    let s = summary::summarise(&ts, true);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mut ids = Vec::new();
    let mut colours = Vec::new();
    for c in ts.tree.tiles.iter().flat_map(|t| &t.contents) {
        let content = cim_loaders::tiles3d::read_content(&ts, c).unwrap();
        for t in &content.tables {
            if let Some((_, values)) = t.columns.iter().find(|(n, _)| n == id) {
                ids.extend(values.iter().cloned());
            }
        }
        colours.extend(content.meshes.iter().flat_map(|m| m.colors.iter().copied()));
    }
    colours.sort();
    colours.dedup();
    (ids, s.deep.unwrap().triangle_count, colours)
}

fn data(sub: &str) -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join(sub);
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

/// Converts every `.EXT` file in `$CIM_TEST_DATA/SUB`, has `check(input,
/// tileset folder, name)` look at each, and validates every `.glb`.
fn convert_each(sub: &str, ext: &str, check: impl Fn(&Path, &Path, &str)) {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for e in std::fs::read_dir(data(sub)).unwrap().flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != ext) {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(&name);
        let c = cim_loaders::convert::to_3dtiles(&path, &out, |_, _| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(c.errors.is_empty(), "{name}: {:?}", c.errors);
        check(&path, &out, &name);
        files.extend(glbs(&out));
    }
    assert!(files.len() >= 5, "{files:?}");
    gltf_validator::assert_valid(&files);
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_ifc_model_converts_with_its_elements() {
    convert_each("ifc/web-ifc", "ifc", |path, out, name| {
        let model = cim_loaders::ifc::read_file(path).unwrap();
        let (ids, triangles, colours) = contents(out, "GlobalId");
        let mut got: Vec<String> = ids.iter().map(|v| v.to_string()).collect();
        let mut want: Vec<String> = model.elements.iter().map(|e| e.global_id.clone()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}: the elements' GlobalIds");
        let drawn: usize = model.elements.iter().map(|e| e.triangle_count()).sum();
        assert_eq!(triangles, drawn, "{name}: triangles");
        // The styles' colours are there (FZK-Haus: its red roof tiles).
        for e in &model.elements {
            for c in e.looks.iter().filter_map(|l| l.1) {
                assert!(colours.contains(&c), "{name}: {c:?} of {}", e.global_id);
            }
        }
    });
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_citygml_file_converts_with_its_objects() {
    convert_each("citygml", "gml", |path, out, name| {
        let city = cim_loaders::citygml::read_file(path).unwrap();
        let src = cim_loaders::citygml::source::CityGmlSource::new(city, None);
        let (ids, triangles, _) = contents(out, "gml_id");
        let (mut drawn, mut want) = (0, Vec::new());
        for c in src.tree().tiles.iter().flat_map(|t| &t.contents) {
            let content = src.read(c).unwrap();
            drawn += content.triangle_count();
            let objects = content.tables.iter().flat_map(|t| &t.columns);
            let named = objects.filter(|(n, _)| n == "gml:id");
            want.extend(named.flat_map(|(_, v)| v.iter().cloned()));
        }
        assert_eq!(triangles, drawn, "{name}: triangles");
        // Values, not nulls: a column with none at all is not written.
        let mut ids = ids;
        ids.retain(|v| *v != AttrValue::Null);
        want.retain(|v| *v != AttrValue::Null);
        assert_eq!(ids, want, "{name}: the objects' gml:ids");
    });
}

#[test]
fn a_model_with_nothing_to_draw_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ifc = dir.path().join("empty.ifc");
    std::fs::write(
        &ifc,
        "ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#1=IFCWALL(",
    )
    .unwrap();
    let gml = dir.path().join("empty.gml");
    std::fs::write(
        &gml,
        "<CityModel xmlns=\"http://www.opengis.net/citygml/2.0\"/>",
    )
    .unwrap();
    for (input, what) in [(&ifc, "elements"), (&gml, "city objects")] {
        let out = dir.path().join("out");
        let e = cim_loaders::convert::to_3dtiles(input, &out, |_, _| {}).unwrap_err();
        assert!(
            e.contains(&*input.to_string_lossy()) && e.contains(what),
            "{e}"
        );
        assert!(!out.join("tileset.json").exists());
    }
}
