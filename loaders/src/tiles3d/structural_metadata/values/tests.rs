//! Tests of how cells become values: normalisation, `offset`/`scale`,
//! `noData`, enum names, lists, the text cap.

use crate::tiles3d::structural_metadata::property_tables;
use crate::tiles3d::structural_metadata::test_util::{col, decode, le, schema, text};
use cim_core::model::attr::AttrValue;
use serde_json::json;

#[test]
fn normalized_integers_become_floats() {
    let props = json!({
        "u8": {"type": "SCALAR", "componentType": "UINT8", "normalized": true},
        "i8": {"type": "SCALAR", "componentType": "INT8", "normalized": true},
    });
    let views = vec![le!(0u8, 255u8, 51u8), le!(-128i8, 127i8, 0i8)];
    let tp = json!({"u8": {"values": 0}, "i8": {"values": 1}});
    let (t, warnings) = decode(props, 3, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    use AttrValue::Float;
    assert_eq!(col(&t, "u8"), [Float(0.0), Float(1.0), Float(0.2)]);
    assert_eq!(col(&t, "i8"), [Float(-1.0), Float(1.0), Float(0.0)]);
}

#[test]
fn offset_and_scale_apply_the_tables_over_the_classes() {
    let props = json!({
        "h": {"type": "SCALAR", "componentType": "FLOAT32", "offset": 10.0, "scale": 2.0},
        "n": {"type": "SCALAR", "componentType": "UINT8", "normalized": true,
              "offset": 1.0, "scale": 2.0},
        "v": {"type": "VEC2", "componentType": "FLOAT64", "offset": [1.0, 2.0]},
    });
    let views = vec![
        le!(1.5f32, -1.0f32),
        le!(255u8, 0u8),
        le!(1.0f64, 2.0f64, 3.0f64, 4.0f64),
    ];
    let tp = json!({
        "h": {"values": 0},
        "n": {"values": 1, "offset": 100.0},
        "v": {"values": 2},
    });
    let (t, warnings) = decode(props, 2, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    use AttrValue::Float;
    assert_eq!(col(&t, "h"), [Float(13.0), Float(8.0)]);
    assert_eq!(col(&t, "n"), [Float(102.0), Float(100.0)]);
    assert_eq!(col(&t, "v"), [text("[2, 4]"), text("[4, 6]")]);
}

#[test]
fn no_data_is_missing_or_the_default() {
    let props = json!({
        "a": {"type": "SCALAR", "componentType": "UINT8", "noData": 255},
        "b": {"type": "SCALAR", "componentType": "INT16", "noData": -1, "default": 0},
        "s": {"type": "STRING", "noData": "n/a"},
        "e": {"type": "ENUM", "enumType": "e", "noData": "One"},
        // Compared before the scale: 0 is no data, not the scaled 5.
        "f": {"type": "SCALAR", "componentType": "FLOAT32", "noData": 0.0, "scale": 5.0},
    });
    let views = vec![
        le!(255u8, 3u8),
        le!(-1i16, 4i16),
        b"n/ax".to_vec(),
        le!(0u32, 3u32, 4u32),
        le!(1u8, 0u8),
        le!(0.0f32, 1.0f32),
    ];
    let tp = json!({
        "a": {"values": 0}, "b": {"values": 1},
        "s": {"values": 2, "stringOffsets": 3},
        "e": {"values": 4}, "f": {"values": 5},
    });
    let (t, warnings) = decode(props, 2, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    use AttrValue::{Float, Int, Null};
    assert_eq!(col(&t, "a"), [Null, Int(3)]);
    assert_eq!(col(&t, "b"), [Int(0), Int(4)]);
    assert_eq!(col(&t, "s"), [Null, text("x")]);
    assert_eq!(col(&t, "e"), [Null, text("Zero")]);
    assert_eq!(col(&t, "f"), [Null, Float(5.0)]);
}

#[test]
fn enums_by_name() {
    let props = json!({
        "e": {"type": "ENUM", "enumType": "e"},
        "w": {"type": "ENUM", "enumType": "wide"},
    });
    let mut schema = schema(props);
    // No valueType: UINT16.
    schema["enums"]["wide"] = json!({"values": [{"name": "Big", "value": 1000}]});
    let ext = json!({"propertyTables": [{"class": "c", "count": 3, "properties": {
        "e": {"values": 0}, "w": {"values": 1}
    }}]});
    let views = [le!(1u8, 0u8, 9u8), le!(1000u16, 1000u16, 7u16)];
    let view = |i: usize| -> Result<&[u8], String> { Ok(views[i].as_slice()) };
    let mut warnings = Vec::new();
    let t = &property_tables(&ext, &schema, &view, &mut warnings)[0];
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(t.name, "property table 0");
    assert_eq!(col(t, "e"), [text("One"), text("Zero"), text("9")]);
    assert_eq!(col(t, "w"), [text("Big"), text("Big"), text("7")]);
}

#[test]
fn vectors_and_matrices_are_lists() {
    let props = json!({
        "v": {"type": "VEC3", "componentType": "FLOAT32"},
        "m": {"type": "MAT2", "componentType": "INT8"},
        "va": {"type": "VEC2", "componentType": "UINT8", "array": true, "count": 2},
    });
    let views = vec![
        le!(0.0f32, 0.1f32, 0.2f32, 1e-7f32, -3.5f32, 16777216f32),
        le!(1i8, 0i8, 0i8, -1i8, 2i8, 2i8, 2i8, 2i8),
        vec![1, 2, 3, 4, 5, 6, 7, 8],
    ];
    let tp = json!({"v": {"values": 0}, "m": {"values": 1}, "va": {"values": 2}});
    let (t, warnings) = decode(props, 2, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        col(&t, "v"),
        [text("[0, 0.1, 0.2]"), text("[0.0000001, -3.5, 16777216]")]
    );
    assert_eq!(col(&t, "m"), [text("[1, 0, 0, -1]"), text("[2, 2, 2, 2]")]);
    assert_eq!(
        col(&t, "va"),
        [text("[[1, 2], [3, 4]]"), text("[[5, 6], [7, 8]]")]
    );
}

#[test]
fn text_is_capped() {
    let mut schema = schema(json!({"e": {"type": "ENUM", "enumType": "long",
                                          "array": true, "count": 1000}}));
    let long = "x".repeat(1 << 20);
    schema["enums"]["long"] = json!({"valueType": "UINT8", "values": [{"name": long, "value": 0}]});
    let ext = json!({"propertyTables": [{"class": "c", "count": 1000, "properties": {
        "e": {"values": 0}
    }}]});
    let zeros = vec![0u8; 1_000_000];
    let view = |_: usize| -> Result<&[u8], String> { Ok(&zeros) };
    let mut w = Vec::new();
    let t = property_tables(&ext, &schema, &view, &mut w);
    assert!(t[0].columns.is_empty());
    assert!(w.len() == 1 && w[0].contains("MiB of text"), "{w:?}");
}
