//! Helpers shared by the tests of the submodules: a schema, a property
//! table decoded from in-memory bufferViews, little-endian bytes.

use super::property_tables;
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use serde_json::{Value, json};

/// A schema with one class `c` of `properties`, and an enum `e`
/// (`UINT8`: 0 `Zero`, 1 `One`).
pub(super) fn schema(properties: Value) -> Value {
    json!({
        "classes": {"c": {"properties": properties}},
        "enums": {"e": {"valueType": "UINT8", "values": [
            {"name": "Zero", "value": 0}, {"name": "One", "value": 1}
        ]}}
    })
}

/// Decodes one table `t` of `count` rows of class `c`, bufferView `i`
/// being `views[i]`.
pub(super) fn decode(
    properties: Value,
    count: u64,
    table_properties: Value,
    views: &[Vec<u8>],
) -> (PropertyTable, Vec<String>) {
    let ext = json!({"propertyTables": [
        {"name": "t", "class": "c", "count": count, "properties": table_properties}
    ]});
    let view = |i: usize| -> Result<&[u8], String> {
        views
            .get(i)
            .map(Vec::as_slice)
            .ok_or(format!("bufferView {i} does not exist"))
    };
    let mut warnings = Vec::new();
    let mut tables = property_tables(&ext, &schema(properties), &view, &mut warnings);
    assert_eq!(tables.len(), 1);
    (tables.remove(0), warnings)
}

/// The column `id` of `t`.
pub(super) fn col<'t>(t: &'t PropertyTable, id: &str) -> &'t [AttrValue] {
    let found = t.columns.iter().find(|(name, _)| name == id);
    &found.unwrap_or_else(|| panic!("no column {id} in {t:?}")).1
}

/// Little-endian bytes of each value.
macro_rules! le {
    ($($v:expr),* $(,)?) => { [$(&$v.to_le_bytes()[..]),*].concat() };
}
pub(super) use le;

pub(super) fn text(s: &str) -> AttrValue {
    AttrValue::String(s.into())
}
