//! Tests of JSON metadata entities.

use crate::tiles3d::structural_metadata::entity;
use crate::tiles3d::structural_metadata::test_util::{schema, text};
use cim_core::model::attr::AttrValue;
use serde_json::{Value, json};

#[test]
fn entities_follow_their_class() {
    let schema = schema(json!({
        "name": {"type": "STRING"},
        "kind": {"type": "ENUM", "enumType": "e", "default": "Zero"},
        "h": {"type": "SCALAR", "componentType": "UINT16", "normalized": true, "scale": 10.0},
        "n": {"type": "SCALAR", "componentType": "INT32", "noData": -1},
        "v": {"type": "VEC3", "componentType": "FLOAT64"},
        "d": {"type": "SCALAR", "componentType": "INT8", "default": 3},
        "x": {"type": "SCALAR", "componentType": "INT8"},
    }));
    let entity_json = json!({"class": "c", "properties": {
        "name": "a", "h": 65535, "n": -1, "v": [1, 2.5, 3], "x": "not a number",
        "extra": [1, "two"]
    }});
    let (class, props) = entity(&schema, &entity_json);
    assert_eq!(class.as_deref(), Some("c"));
    let get = |id: &str| props.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone());
    assert_eq!(get("name"), Some(text("a")));
    assert_eq!(get("kind"), Some(text("Zero")));
    assert_eq!(get("h"), Some(AttrValue::Float(10.0)));
    assert_eq!(get("n"), Some(AttrValue::Null));
    assert_eq!(get("v"), Some(text("[1, 2.5, 3]")));
    assert_eq!(get("d"), Some(AttrValue::Int(3)));
    assert_eq!(get("x"), Some(text("not a number")));
    assert_eq!(get("extra"), Some(text(r#"[1, "two"]"#)));
    assert_eq!(props.len(), 8);
    assert_eq!(props.last().map(|p| p.0.as_str()), Some("extra"));
    // No such class: every property as plain JSON.
    let (class, props) = entity(&schema, &json!({"class": "z", "properties": {"a": 1}}));
    assert_eq!(
        (class.as_deref(), props),
        (Some("z"), vec![("a".into(), AttrValue::Int(1))])
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn metadata_granularities_tileset() {
    let data = std::env::var("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let path =
        format!("{data}/3dtiles/cesium-3d-tiles-samples/1.1/MetadataGranularities/tileset.json");
    let text_of = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let tileset: Value = serde_json::from_slice(&text_of).expect("tileset JSON");
    let (class, props) = entity(&tileset["schema"], &tileset["metadata"]);
    assert_eq!(class.as_deref(), Some("exampleTilesetMetadataClass"));
    let get = |props: &[(String, AttrValue)], id: &str| {
        props.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone())
    };
    assert_eq!(get(&props, "author"), Some(text("Cesium")));
    assert_eq!(get(&props, "date"), Some(text("2022-03-21")));
    assert_eq!(get(&props, "tileCount"), Some(AttrValue::Int(4)));
    let (class, group) = entity(&tileset["schema"], &tileset["groups"][0]);
    assert_eq!(class.as_deref(), Some("exampleGroupMetadataClass"));
    assert_eq!(get(&group, "color"), Some(text("[64, 64, 255]")));
    assert_eq!(get(&group, "priority"), Some(AttrValue::Int(1)));
}
