//! Writing a content's features for [`super::write`]: property tables as
//! the binary tables of `EXT_structural_metadata` (3D Metadata
//! Specification, <https://github.com/CesiumGS/3d-tiles/tree/main/specification/Metadata>),
//! and metadata identifiers.
//!
//! A column's type is the narrowest that holds every value it has:
//! `BOOLEAN` (only when no row lacks a value: booleans have no `noData`),
//! else `INT64`, `FLOAT64`, or `STRING` (booleans, numbers and dates as
//! their text). A row without a value holds the property's `noData`
//! (`i64::MIN`, `f64::MIN`, the empty string), which readers take as
//! missing. Identifiers (classes, properties) must match
//! `^[a-zA-Z_][a-zA-Z0-9_]*$`: other characters become `_` and the
//! original is the property's `name`.

use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

/// The type a column is written as.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Boolean,
    Int64,
    Float64,
    Text,
}

/// The narrowest [`Kind`] for `values`; `None` when all are null.
fn kind_of(values: &[AttrValue]) -> Option<Kind> {
    let mut kind: Option<Kind> = None;
    let mut nulls = false;
    for v in values {
        let k = match v {
            AttrValue::Null => {
                nulls = true;
                continue;
            }
            AttrValue::Bool(_) => Kind::Boolean,
            AttrValue::Int(_) => Kind::Int64,
            AttrValue::Float(_) => Kind::Float64,
            AttrValue::Date(_) | AttrValue::String(_) => Kind::Text,
        };
        kind = Some(match (kind, k) {
            (None, k) => k,
            (Some(a), b) if a == b => a,
            (Some(Kind::Int64 | Kind::Float64), Kind::Int64 | Kind::Float64) => Kind::Float64,
            _ => Kind::Text,
        });
    }
    match kind {
        Some(Kind::Boolean) if nulls => Some(Kind::Text),
        k => k,
    }
}

/// A metadata identifier for `name`, not in `taken` (which it joins).
///
/// ```
/// use cim_loaders::tiles3d::write_features::identifier;
/// let mut taken = std::collections::HashSet::new();
/// assert_eq!(identifier("Pset_WallCommon.IsExternal", &mut taken), "Pset_WallCommon_IsExternal");
/// assert_eq!(identifier("Pset_WallCommon IsExternal", &mut taken), "Pset_WallCommon_IsExternal_2");
/// assert_eq!(identifier("3D", &mut taken), "_3D");
/// assert_eq!(identifier("高度", &mut taken), "__");
/// ```
pub fn identifier(name: &str, taken: &mut HashSet<String>) -> String {
    let mut id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    let mut unique = id.clone();
    let mut n = 2;
    while taken.contains(&unique) {
        unique = format!("{id}_{n}");
        n += 1;
    }
    taken.insert(unique.clone());
    unique
}

/// The `EXT_structural_metadata` extension object for `tables` (the
/// schema inline, a class per table), each column's bytes handed to
/// `view`, which returns the bufferView holding them (8-byte aligned, as
/// the specification requires). `None` for a table without columns, which
/// is left out: `written[i]` is the index table `i` has in the output.
pub fn structural_metadata(
    tables: &[PropertyTable],
    view: &mut dyn FnMut(&[u8]) -> usize,
) -> (Option<Value>, Vec<Option<usize>>) {
    let mut classes = Map::new();
    let mut out_tables = Vec::new();
    let mut written = Vec::with_capacity(tables.len());
    let mut class_ids = HashSet::new();
    for t in tables {
        let mut properties = Map::new();
        let mut columns = Map::new();
        let mut ids = HashSet::new();
        for (name, values) in &t.columns {
            let Some(kind) = kind_of(values) else {
                continue;
            };
            let id = identifier(name, &mut ids);
            let (def, column) = column(kind, values, view);
            let mut def = def;
            if id != *name {
                def["name"] = json!(name);
            }
            properties.insert(id.clone(), def);
            columns.insert(id, column);
        }
        if properties.is_empty() {
            written.push(None);
            continue;
        }
        let class = identifier(t.class.as_deref().unwrap_or(&t.name), &mut class_ids);
        classes.insert(
            class.clone(),
            json!({"name": t.name, "properties": properties}),
        );
        out_tables.push(json!({
            "name": t.name, "class": class, "count": t.count, "properties": columns
        }));
        written.push(Some(out_tables.len() - 1));
    }
    if out_tables.is_empty() {
        return (None, written);
    }
    let ext = json!({
        "schema": {"id": "cim_studio", "classes": classes},
        "propertyTables": out_tables,
    });
    (Some(ext), written)
}

/// A column's class property definition and its property table entry.
fn column(
    kind: Kind,
    values: &[AttrValue],
    view: &mut dyn FnMut(&[u8]) -> usize,
) -> (Value, Value) {
    let nulls = values.contains(&AttrValue::Null);
    match kind {
        Kind::Boolean => {
            let mut bits = vec![0u8; values.len().div_ceil(8)];
            for (i, v) in values.iter().enumerate() {
                if *v == AttrValue::Bool(true) {
                    bits[i / 8] |= 1 << (i % 8);
                }
            }
            (json!({"type": "BOOLEAN"}), json!({"values": view(&bits)}))
        }
        Kind::Int64 => {
            let bytes: Vec<u8> = values
                .iter()
                .flat_map(|v| {
                    match v {
                        AttrValue::Int(i) => *i,
                        _ => i64::MIN,
                    }
                    .to_le_bytes()
                })
                .collect();
            let mut def = json!({"type": "SCALAR", "componentType": "INT64"});
            if nulls {
                def["noData"] = json!(i64::MIN);
            }
            (def, json!({"values": view(&bytes)}))
        }
        Kind::Float64 => {
            let bytes: Vec<u8> = values
                .iter()
                .flat_map(|v| {
                    v.as_f64()
                        .filter(|_| *v != AttrValue::Null)
                        .unwrap_or(f64::MIN)
                        .to_le_bytes()
                })
                .collect();
            let mut def = json!({"type": "SCALAR", "componentType": "FLOAT64"});
            if nulls {
                def["noData"] = json!(f64::MIN);
            }
            (def, json!({"values": view(&bytes)}))
        }
        Kind::Text => {
            let mut text = Vec::new();
            let mut ends = vec![0usize];
            for v in values {
                text.extend_from_slice(v.to_string().as_bytes());
                ends.push(text.len());
            }
            let wide = text.len() > u32::MAX as usize;
            let offsets: Vec<u8> = if wide {
                ends.iter()
                    .flat_map(|&e| (e as u64).to_le_bytes())
                    .collect()
            } else {
                ends.iter()
                    .flat_map(|&e| (e as u32).to_le_bytes())
                    .collect()
            };
            let mut def = json!({"type": "STRING"});
            if nulls {
                def["noData"] = json!("");
            }
            let column = json!({
                "values": view(&text),
                "stringOffsets": view(&offsets),
                "stringOffsetType": if wide { "UINT64" } else { "UINT32" },
            });
            (def, column)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_take_the_narrowest_type_that_holds_them() {
        use AttrValue::*;
        let k = |v: &[AttrValue]| kind_of(v);
        assert_eq!(k(&[Bool(true), Bool(false)]), Some(Kind::Boolean));
        assert_eq!(k(&[Bool(true), Null]), Some(Kind::Text));
        assert_eq!(k(&[Int(1), Null]), Some(Kind::Int64));
        assert_eq!(k(&[Int(1), Float(0.5)]), Some(Kind::Float64));
        assert_eq!(k(&[Int(1), String("a".into())]), Some(Kind::Text));
        assert_eq!(k(&[Null, Null]), None);
    }
}
