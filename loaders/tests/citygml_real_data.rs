//! Every CityGML file in `$CIM_TEST_DATA/citygml/` loads with the building
//! count and box an independent reader gives:
//! `tests/reference/citygml_counts.json`, made by
//! `tests/reference/citygml_counts.py` (Python's ElementTree; the command
//! is in the script's header).

use cim_core::AttrValue;
use cim_core::lod::tile_source::TileSource;
use cim_loaders::citygml::{self, source::CityGmlSource};
use serde_json::Value;
use std::path::PathBuf;

/// `$CIM_TEST_DATA/citygml`; ignored without `CIM_TEST_DATA` at build
/// time (see build.rs), failing when set and the folder is missing.
fn data() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("citygml");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/citygml_counts.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference counts")).expect("JSON")
}

fn open(name: &str) -> CityGmlSource {
    let path = data().join(name);
    assert!(
        citygml::is_citygml(&path),
        "{name} is not taken for CityGML"
    );
    let model = citygml::read_file(&path).unwrap_or_else(|e| panic!("{e}"));
    CityGmlSource::new(model, Some(data()))
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_model_has_the_reference_buildings_and_box() {
    let reference = reference();
    let files = reference.as_object().expect("files");
    assert_eq!(files.len(), 5);
    for (name, r) in files {
        let src = open(name);
        let m = &src.model;
        assert_eq!(
            m.building_count() as u64,
            r["building_count"].as_u64().unwrap(),
            "{name}: buildings"
        );
        assert_eq!(
            m.roots().count() as u64,
            r["top_level_objects"].as_u64().unwrap(),
            "{name}: top-level objects"
        );
        let b = m.bbox();
        let got = [b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z];
        let want: Vec<f64> = r["bbox_3d"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{name}: box {got:?} ≠ {want:?}");
        }
        // Every tile's content triangulates, and every building is drawn.
        let mut drawn = 0;
        for c in src.full_contents() {
            let content = src.read(c).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(content.triangle_count() > 0, "{name}: {} empty", c.uri);
            drawn += content.feature_count;
        }
        assert_eq!(drawn, m.roots().count(), "{name}: drawn objects");
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_citygml_2_building_keeps_its_attributes_address_and_surfaces() {
    let src = open("Building_LOD2-EPSG25832.gml");
    let m = &src.model;
    assert_eq!(m.version.as_deref(), Some("2.0"));
    assert_eq!(
        src.crs(),
        Some(cim_core::crs::CrsDef::Code("EPSG:25832".into()))
    );
    assert_eq!(
        src.srs.as_ref().unwrap().vertical.as_deref(),
        Some("EPSG:5783")
    );
    let b = &m.objects[0];
    assert_eq!(b.class, "Building");
    let attr = |k: &str| {
        b.attributes
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {:?}", b.attributes))
    };
    assert_eq!(attr("measuredHeight"), AttrValue::Float(5.0));
    assert_eq!(attr("yearOfConstruction"), AttrValue::Int(1985));
    assert_eq!(
        attr("address.LocalityName"),
        AttrValue::String("Eggenstein-Leopoldshafen".into())
    );
    assert_eq!(attr("address.PostalCodeNumber"), AttrValue::Int(76344));
    // The solid references the boundary surfaces' polygons: each drawn
    // once, at LOD2, with its surface.
    let lod2: Vec<_> = m.polygons.iter().filter(|p| p.object == 0).collect();
    assert_eq!(lod2.len(), 7, "ground, 4 walls, 2 roofs");
    assert!(lod2.iter().all(|p| p.lod == 2 && p.surface.is_some()));
    assert_eq!(m.lods(), vec![2]);
    let roofs = m
        .surfaces
        .iter()
        .filter(|s| s.class == "RoofSurface")
        .count();
    assert_eq!(roofs, 2);
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_citygml_3_building_has_generic_attributes_rooms_and_a_dynamizer() {
    let src = open("Building_CityGML3.0_with_Dynamizer_and_SensorConnection_V1.gml");
    let m = &src.model;
    assert_eq!(m.version.as_deref(), Some("3.0"));
    assert_eq!(
        src.crs(),
        Some(cim_core::crs::CrsDef::Code("EPSG:31468".into())),
        "urn:adv:crs:DE_DHDN_3GK4*DE_DHHN92_NH"
    );
    let classes: Vec<&str> = m.objects.iter().map(|o| o.class.as_str()).collect();
    assert_eq!(classes, ["Building", "BuildingRoom", "Dynamizer"]);
    let room = &m.objects[1];
    assert!(
        room.attributes
            .contains(&("temperature".into(), AttrValue::Float(20.2))),
        "{:?}",
        room.attributes
    );
    let dynamizer = &m.objects[2];
    assert!(
        dynamizer
            .attributes
            .iter()
            .any(|(k, v)| k == "sensorConnection.datastreamID" && *v == AttrValue::Int(1)),
        "{:?}",
        dynamizer.attributes
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_local_engineering_crs_is_no_crs() {
    let src = open("Building_LOD1-LocalEngineeringCRS.gml");
    assert_eq!(src.crs(), None);
    assert_eq!(src.model.lods(), vec![1]);
    assert!(src.problems().is_empty(), "{:?}", src.problems());
}
