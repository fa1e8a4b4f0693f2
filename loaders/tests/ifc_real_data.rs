//! Every IFC model in `$CIM_TEST_DATA/ifc/web-ifc/` loads with the counts
//! and box IfcOpenShell gives: `tests/reference/ifc_counts.json`, made by
//! `tests/reference/ifc_counts.py` (IfcOpenShell 0.9.0; the command is
//! in the script's header).

use cim_core::lod::tile_source::TileSource;
use cim_loaders::ifc::{self, source::IfcSource};
use serde_json::Value;
use std::path::PathBuf;

/// `$CIM_TEST_DATA/ifc/web-ifc`; ignored without `CIM_TEST_DATA` at build
/// time (see build.rs), failing when set and the folder is missing.
fn data() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("ifc/web-ifc");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/ifc_counts.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference counts")).expect("JSON")
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_model_has_ifcopenshells_counts_and_box() {
    let reference = reference();
    let files = reference["files"].as_object().expect("files");
    assert_eq!(files.len(), 5);
    for (name, r) in files {
        let path = data().join(name);
        assert!(ifc::is_ifc(&path));
        let model = ifc::read_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let src = IfcSource::new(model);
        let m = &src.model;
        // Every tile's content is drawn, an element a feature.
        let mut drawn = 0;
        for c in src.tree().tiles.iter().flat_map(|t| &t.contents) {
            let content = src.read(c).unwrap_or_else(|e| panic!("{name}: {e}"));
            drawn += content.feature_count;
        }
        assert_eq!(drawn, m.elements.len(), "{name}");
        assert!(m.elements.iter().all(|e| e.triangle_count() > 0));
        if let Some(why) = r.get("skipped") {
            // IfcOpenShell cannot read it (IFC4X3_RC2): it loads here.
            assert_eq!(m.schema, "IFC4X3_RC2", "{name}: {why}");
            assert!(m.element_count() > 0 && !m.elements.is_empty(), "{name}");
            continue;
        }
        assert_eq!(m.schema, r["schema"].as_str().unwrap(), "{name}: schema");
        let by_class: Value = serde_json::to_value(&m.body_classes).unwrap();
        assert_eq!(
            by_class, r["elements_by_class"],
            "{name}: elements by class"
        );
        assert_eq!(
            m.element_count() as u64,
            r["element_count"].as_u64().unwrap()
        );
        let b = m.bbox();
        let got = [b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z];
        for (g, w) in got.iter().zip(r["bbox_3d"].as_array().unwrap()) {
            let w = w.as_f64().unwrap();
            assert!(
                (g - w).abs() < 0.01,
                "{name}: box {got:?} vs {}",
                r["bbox_3d"]
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn elements_know_their_storey_and_attributes() {
    let model = ifc::read_file(&data().join("AC20-FZK-Haus.ifc")).unwrap();
    let names: Vec<_> = model
        .storeys
        .iter()
        .map(|s| s.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["Erdgeschoss", "Dachgeschoss"],
        "{:?}",
        model.storeys
    );
    let in_storeys: usize = model.storeys.iter().map(|s| s.element_count).sum();
    assert!(
        in_storeys * 10 >= model.elements.len() * 9,
        "{in_storeys} of {}",
        model.elements.len()
    );
    let wall = model
        .elements
        .iter()
        .find(|e| e.class == "IfcWallStandardCase")
        .unwrap();
    assert_eq!(wall.global_id.len(), 22, "an IFC GUID: {}", wall.global_id);
    // Wall #15042's property sets and quantities, as IfcOpenShell reads
    // them (`ifcopenshell.util.element.get_psets(f.by_id(15042),
    // should_inherit=False)`: 97 values).
    let w = model
        .elements
        .iter()
        .find(|e| e.express_id == 15042)
        .unwrap();
    assert_eq!(w.properties.len(), 97);
    let prop = |k: &str| {
        w.properties
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}"))
    };
    use cim_core::AttrValue;
    assert_eq!(prop("BaseQuantities.Length"), AttrValue::Float(4.17));
    assert_eq!(
        prop("Pset_WallCommon.ThermalTransmittance"),
        AttrValue::Float(1.5)
    );
    assert_eq!(
        prop("ArchiCADProperties.Raumname"),
        AttrValue::String("Wohnen".into())
    );
    assert_eq!(prop("ArchiCADProperties.Geschützt"), AttrValue::Bool(false));
    let src = IfcSource::new(model);
    let c = src
        .tree()
        .tiles
        .iter()
        .flat_map(|t| &t.contents)
        .next()
        .unwrap();
    let content = src.read(c).unwrap();
    let row = content.tables[0].row(0);
    for key in [
        "GlobalId",
        "class",
        "Name",
        "storey",
        "BaseQuantities.NetVolume",
    ] {
        assert!(row.iter().any(|(k, _)| *k == key), "{key} in {row:?}");
    }
}

/// Each element's colours (sRGB RGBA) as `tests/reference/ifc_styles.json`
/// has them from IfcOpenShell's geometry iterator
/// (`tests/reference/ifc_styles.py`): the distinct colours of its styled
/// faces. Elements IfcOpenShell draws in its default material have none.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn elements_have_ifcopenshells_colours() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/ifc_styles.json"
    );
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reference")).expect("JSON");
    let mut compared = 0;
    for (name, want) in reference.as_object().expect("files") {
        if want.get("skipped").is_some() {
            continue;
        }
        let model = ifc::read_file(&data().join(name)).unwrap_or_else(|e| panic!("{e}"));
        let mut wrong = Vec::new();
        for e in &model.elements {
            let mut got: Vec<[u8; 4]> = e.looks.iter().filter_map(|l| l.1).collect();
            got.sort();
            got.dedup();
            let want: Vec<[u8; 4]> = want
                .get(&e.global_id)
                .map(|w| serde_json::from_value(w.clone()).expect("colours"))
                .unwrap_or_default();
            if got != want {
                wrong.push(format!("{} {}: {got:?} vs {want:?}", e.class, e.global_id));
            }
            compared += 1;
        }
        assert!(
            wrong.is_empty(),
            "{name}: {} of {} elements:\n{}",
            wrong.len(),
            model.elements.len(),
            wrong.join("\n")
        );
    }
    assert!(compared > 100, "{compared}");
}
