//! Tests of property tables: columns of every type read from bufferViews,
//! and bad counts, offsets and bufferViews refused.

use crate::tiles3d::structural_metadata::property_tables;
use crate::tiles3d::structural_metadata::test_util::{col, decode, le, schema, text};
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use serde_json::json;

#[test]
fn scalars_of_several_component_types() {
    let props = json!({
        "i8": {"type": "SCALAR", "componentType": "INT8"},
        "u16": {"type": "SCALAR", "componentType": "UINT16"},
        "i32": {"type": "SCALAR", "componentType": "INT32"},
        "i64": {"type": "SCALAR", "componentType": "INT64"},
        "u64": {"type": "SCALAR", "componentType": "UINT64"},
        "f32": {"type": "SCALAR", "componentType": "FLOAT32"},
        "f64": {"type": "SCALAR", "componentType": "FLOAT64"},
    });
    let views = vec![
        le!(-1i8, 127i8),
        le!(0u16, 65535u16),
        le!(-70000i32, 5i32),
        le!(i64::MIN, 7i64),
        le!(3u64, u64::MAX),
        le!(0.1f32, -2.5f32),
        le!(1.25f64, -0.0001f64),
    ];
    let tp = json!({
        "i8": {"values": 0}, "u16": {"values": 1}, "i32": {"values": 2}, "i64": {"values": 3},
        "u64": {"values": 4}, "f32": {"values": 5}, "f64": {"values": 6},
    });
    let (t, warnings) = decode(props, 2, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        (t.name.as_str(), t.class.as_deref(), t.count),
        ("t", Some("c"), 2)
    );
    use AttrValue::{Float, Int};
    assert_eq!(col(&t, "i8"), [Int(-1), Int(127)]);
    assert_eq!(col(&t, "u16"), [Int(0), Int(65535)]);
    assert_eq!(col(&t, "i32"), [Int(-70000), Int(5)]);
    assert_eq!(col(&t, "i64"), [Int(i64::MIN), Int(7)]);
    assert_eq!(col(&t, "u64"), [Int(3), Float(u64::MAX as f64)]);
    assert_eq!(col(&t, "f32"), [Float(0.1), Float(-2.5)]);
    assert_eq!(col(&t, "f64"), [Float(1.25), Float(-0.0001)]);
}

#[test]
fn booleans_are_a_bitstream_lsb_first() {
    let props = json!({"b": {"type": "BOOLEAN"}});
    // Rows 0, 2, 8 and 9 true.
    let views = vec![vec![0b0000_0101, 0b0000_0011]];
    let (t, warnings) = decode(props, 10, json!({"b": {"values": 0}}), &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    let trues: Vec<usize> = (0..10)
        .filter(|&r| col(&t, "b")[r] == AttrValue::Bool(true))
        .collect();
    assert_eq!(trues, [0, 2, 8, 9]);
    assert_eq!(col(&t, "b")[1], AttrValue::Bool(false));
}

#[test]
fn strings_by_offsets() {
    let props = json!({
        "s": {"type": "STRING"},
        "s8": {"type": "STRING"},
    });
    let views = vec![
        "Zürich\u{7f}ab".as_bytes().to_vec(),
        le!(0u32, 7u32, 8u32, 8u32),
        vec![b'o', b'k', 0xff],
        le!(0u8, 2u8, 2u8, 3u8),
    ];
    let tp = json!({
        "s": {"values": 0, "stringOffsets": 1},
        "s8": {"values": 2, "stringOffsets": 3, "stringOffsetType": "UINT8"},
    });
    let (t, warnings) = decode(props, 3, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(col(&t, "s"), [text("Zürich"), text("\u{7f}"), text("")]);
    assert_eq!(col(&t, "s8"), [text("ok"), text(""), text("\u{fffd}")]);
}

#[test]
fn variable_length_arrays_of_strings_and_integers() {
    let props = json!({
        "s": {"type": "STRING", "array": true},
        "u": {"type": "SCALAR", "componentType": "UINT8", "array": true},
    });
    let views = vec![
        b"OneTwo\"Three\"".to_vec(),
        le!(0u32, 3u32, 6u32, 13u32),
        le!(0u32, 1u32, 1u32, 3u32),
        vec![10, 20, 30, 40],
        le!(0u16, 2u16, 2u16, 4u16),
    ];
    let tp = json!({
        "s": {"values": 0, "stringOffsets": 1, "arrayOffsets": 2},
        "u": {"values": 3, "arrayOffsets": 4, "arrayOffsetType": "UINT16"},
    });
    let (t, warnings) = decode(props, 3, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        col(&t, "s"),
        [
            text(r#"["One"]"#),
            text("[]"),
            text(r#"["Two", "\"Three\""]"#)
        ]
    );
    assert_eq!(
        col(&t, "u"),
        [text("[10, 20]"), text("[]"), text("[30, 40]")]
    );
}

#[test]
fn fixed_length_arrays_of_booleans_and_enums() {
    let props = json!({
        "b": {"type": "BOOLEAN", "array": true, "count": 3},
        "e": {"type": "ENUM", "enumType": "e", "array": true, "count": 2},
    });
    // Rows [true, false, true], [false, true, true].
    let views = vec![vec![0b0011_0101], vec![0, 1, 1, 5]];
    let tp = json!({"b": {"values": 0}, "e": {"values": 1}});
    let (t, warnings) = decode(props, 2, tp, &views);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        col(&t, "b"),
        [text("[true, false, true]"), text("[false, true, true]")]
    );
    assert_eq!(col(&t, "e"), [text("[Zero, One]"), text("[One, 5]")]);
}

/// Asserts that `t` has no columns and one warning mentioning `what`.
fn refused(t: &PropertyTable, warnings: &[String], what: &str) {
    assert!(t.columns.is_empty(), "{t:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(what),
        "{warnings:?} should say {what:?}"
    );
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    let props = json!({"x": {"type": "SCALAR", "componentType": "FLOAT64"}});
    let views = vec![vec![0; 16]];
    let (t, w) = decode(
        props.clone(),
        1_000_000_000_000,
        json!({"x": {"values": 0}}),
        &views,
    );
    refused(&t, &w, "more than the 10000000");
    assert_eq!(t.count, 0);
    let (t, w) = decode(props, 3, json!({"x": {"values": 0}}), &views);
    refused(&t, &w, "16-byte bufferView");
    // A fixed-length array count that overflows.
    let props = json!({"x": {"type": "MAT4", "componentType": "FLOAT64",
                              "array": true, "count": u64::MAX}});
    let (_, w) = decode(props, 3, json!({"x": {"values": 0}}), &views);
    assert_eq!(w.len(), 1, "{w:?}");
}

#[test]
fn offsets_past_the_end_are_refused() {
    let props = json!({"s": {"type": "STRING"}, "a": {"type": "BOOLEAN", "array": true}});
    let views = vec![
        b"abc".to_vec(),
        le!(0u32, 2u32, 9u32),
        vec![0xff],
        le!(0u8, 200u8, 255u8),
    ];
    let tp = json!({
        "s": {"values": 0, "stringOffsets": 1},
        "a": {"values": 2, "arrayOffsets": 3, "arrayOffsetType": "UINT8"},
    });
    let (t, w) = decode(props, 2, tp, &views);
    assert!(t.columns.is_empty(), "{t:?}");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().all(|w| w.contains("bufferView")), "{w:?}");
    // Too few offsets for the rows.
    let props = json!({"s": {"type": "STRING"}});
    let views = vec![b"abc".to_vec(), le!(0u32, 2u32)];
    let (t, w) = decode(
        props,
        2,
        json!({"s": {"values": 0, "stringOffsets": 1}}),
        &views,
    );
    refused(&t, &w, "stringOffsets");
}

#[test]
fn decreasing_offsets_are_refused() {
    let props = json!({"s": {"type": "STRING"}});
    let views = vec![b"abcdef".to_vec(), le!(0u32, 4u32, 2u32, 6u32)];
    let (t, w) = decode(
        props,
        3,
        json!({"s": {"values": 0, "stringOffsets": 1}}),
        &views,
    );
    refused(&t, &w, "before offset");
    let props = json!({"u": {"type": "SCALAR", "componentType": "UINT8", "array": true}});
    let views = vec![vec![1, 2, 3], le!(0u32, 3u32, 1u32)];
    let (t, w) = decode(
        props,
        2,
        json!({"u": {"values": 0, "arrayOffsets": 1}}),
        &views,
    );
    refused(&t, &w, "before offset");
}

#[test]
fn unknown_classes_keep_the_table_without_columns() {
    let ext = json!({"propertyTables": [
        {"name": "a\u{1b}[31m", "class": "nope", "count": 2, "properties": {"x": {"values": 0}}},
        {"class": "c", "count": 1, "properties": {"x": {"values": 0}, "y": {"values": 0}}},
    ]});
    let schema = schema(json!({"x": {"type": "SCALAR", "componentType": "UINT8"}}));
    let view = |_: usize| -> Result<&[u8], String> { Ok(&[7]) };
    let mut w = Vec::new();
    let t = property_tables(&ext, &schema, &view, &mut w);
    assert_eq!(t.len(), 2, "indices stay valid");
    assert!(t[0].columns.is_empty());
    assert_eq!((t[0].class.as_deref(), t[0].count), (Some("nope"), 2));
    assert_eq!(col(&t[1], "x"), [AttrValue::Int(7)]);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("unknown class nope") && !w[0].contains('\u{1b}'),
        "{w:?}"
    );
    assert!(w[1].contains("property y is not in its class"), "{w:?}");
}

#[test]
fn missing_buffer_views_are_refused() {
    let props = json!({
        "x": {"type": "SCALAR", "componentType": "UINT8"},
        "y": {"type": "SCALAR", "componentType": "UINT8"},
        "s": {"type": "STRING"},
        "z": {"type": "SCALAR", "componentType": "UINT8", "array": true},
    });
    let tp = json!({
        "x": {"values": 5}, "y": {}, "s": {"values": 0}, "z": {"values": 0}
    });
    let (t, w) = decode(props, 1, tp, &[vec![1]]);
    assert!(t.columns.is_empty(), "{t:?}");
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(
        w.iter().any(|w| w.contains("bufferView 5 does not exist")),
        "{w:?}"
    );
    assert!(w.iter().any(|w| w.contains("no values")), "{w:?}");
    assert!(
        w.iter().any(|w| w.contains("without stringOffsets")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("without arrayOffsets")),
        "{w:?}"
    );
}
