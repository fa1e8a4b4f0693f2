//! 3D Metadata (3D Tiles 1.1, glTF `EXT_structural_metadata`) decoded into
//! [`AttrValue`]s: the binary property tables of a glTF, and the JSON
//! metadata entities of a tileset (its, a group's, a tile's, a content's).
//!
//! Both follow the 3D Metadata Specification
//! (<https://github.com/CesiumGS/3d-tiles/tree/main/specification/Metadata>):
//! a schema's class says each property's type (`SCALAR`, `VECN`, `MATN`,
//! `BOOLEAN`, `STRING`, `ENUM`, arrays of them), and values are decoded by
//! it. Property tables are the binary table format of
//! [`EXT_structural_metadata`](https://github.com/CesiumGS/glTF/tree/proposal-EXT_structural_metadata/extensions/2.0/Vendor/EXT_structural_metadata):
//! one glTF bufferView per column, booleans as a bitstream, strings and
//! variable-length arrays through offset buffers.
//!
//! What the viewer gets, per value:
//! - integers → [`AttrValue::Int`] (a `UINT64` past `i64::MAX` →
//!   [`AttrValue::Float`]), floats → `Float`; `normalized`, `offset` and
//!   `scale` make a `Float`. A `FLOAT32` is widened to the `f64` nearest its
//!   shortest decimal form, so `0.1f32` shows as `0.1`.
//! - `BOOLEAN` → `Bool`, `STRING` → `String`, `ENUM` → `String` holding the
//!   value's name (its number when the enum does not name it).
//! - vectors, matrices and arrays → a `String` holding a JSON-like list,
//!   `[1, 0.5, 2]`, `["One", "Two"]`, `[NameA, NameB]`; arrays of vectors
//!   or matrices nest, `[[0, 0, 1], [0, 1, 0]]`.
//! - a value equal to the property's `noData` is missing: the class
//!   `default` when it has one, else [`AttrValue::Null`] (the spec makes
//!   `noData` and an omitted value the same).
//!
//! Columns follow the order of the class's properties as `serde_json`
//! keeps them (by name). A column a table omits is left out, not filled
//! with the class `default`: the viewer shows it as missing.
//!
//! Property textures and property attributes (per-texel and per-vertex
//! metadata) are not read here.
//!
//! The input is untrusted: every count and offset is checked against the
//! buffers before anything is allocated, rows, values and text are capped
//! per call, and nothing here panics or indexes unchecked.
//!
//! The parts:
//! - this file: the entry points, the per-call caps (`Budget`), plain JSON
//!   values;
//! - `schema`: classes, enums, property definitions, component types;
//! - `values`: stored element components → [`AttrValue`]s and list text
//!   (normalisation, `offset`/`scale`, `noData`);
//! - `binary`: property tables, their columns read from bufferViews;
//! - `json`: JSON metadata entities and class `default`s.

mod binary;
mod json;
mod schema;
mod values;

#[cfg(test)]
mod test_util;

use cim_core::message::quote;
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use schema::Schema;
use serde_json::Value;
use std::fmt::Write;

/// Most rows one property table may have; a larger table is left out.
const MAX_ROWS: usize = 10_000_000;
/// Most values (cells) one call decodes, all tables together.
const MAX_CELLS: usize = 2 * MAX_ROWS;
/// Most bytes of text (strings, lists) one call produces: enum names and
/// defaults are repeated per row, so text can outgrow the input.
const MAX_TEXT: usize = 256 << 20;

/// The property tables of a glTF's `EXT_structural_metadata` extension
/// object `ext` (the value of `extensions.EXT_structural_metadata` on the
/// glTF root), decoded with `schema` (the caller resolves `ext.schema` or
/// `ext.schemaUri` and passes the schema object).
///
/// `view(i)` returns the bytes of glTF bufferView `i`, or a message.
/// A property that cannot be decoded is left out, with a message naming the
/// table and the property pushed to `warnings`; so is every column of a
/// table whose class the schema does not define. One [`PropertyTable`] is
/// returned per entry of `propertyTables`, in order, so that
/// `EXT_mesh_features` `propertyTable` indices stay valid: `name` is the
/// table's `name` or `"property table {i}"`, `class` its class id, `count`
/// its `count` (0 for a table larger than 10 000 000 rows, which is left
/// out).
pub fn property_tables<'a>(
    ext: &serde_json::Value,
    schema: &serde_json::Value,
    view: &dyn Fn(usize) -> Result<&'a [u8], String>,
    warnings: &mut Vec<String>,
) -> Vec<PropertyTable> {
    let tables = match ext.get("propertyTables") {
        None => return Vec::new(),
        Some(Value::Array(t)) => t,
        Some(_) => {
            warnings.push("EXT_structural_metadata propertyTables is not an array".into());
            return Vec::new();
        }
    };
    let mut schema = Schema::new(schema);
    let mut budget = Budget::default();
    let mut out = Vec::with_capacity(tables.len());
    for (i, t) in tables.iter().enumerate() {
        out.push(binary::table(
            &mut schema,
            t,
            i,
            view,
            &mut budget,
            warnings,
        ));
    }
    out
}

/// One JSON metadata entity (3D Tiles 1.1 tileset, group, tile or content
/// `metadata`: `{"class": "...", "properties": {...}}`) decoded by its
/// class in `schema`: its class id, and its values in class order (then
/// any properties the class does not define, converted as plain JSON).
///
/// Values follow the class: `normalized`, `offset` and `scale` apply,
/// a `noData` value is missing, a missing value takes the class `default`
/// when it has one (and is left out otherwise), enums are shown by name.
/// A value that does not fit its class is converted as plain JSON.
pub fn entity(
    schema: &serde_json::Value,
    entity: &serde_json::Value,
) -> (Option<String>, Vec<(String, AttrValue)>) {
    let mut schema = Schema::new(schema);
    let class_id = entity.get("class").and_then(Value::as_str);
    let class = class_id.and_then(|c| schema.class(c));
    let empty = serde_json::Map::new();
    let given = entity
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut budget = Budget::default();
    let mut out = Vec::new();
    for (id, def) in class.into_iter().flatten() {
        if let Some(v) = json::entity_value(&mut schema, def, given.get(id), &mut budget) {
            out.push((id.clone(), v));
        }
    }
    let in_class = |id: &String| class.is_some_and(|c| c.contains_key(id));
    for (id, v) in given.iter().filter(|(id, _)| !in_class(id)) {
        out.push((id.clone(), plain_json(v)));
    }
    (class_id.map(String::from), out)
}

/// Counts what one call has produced, to stop before the caps.
#[derive(Default)]
struct Budget {
    cells: usize,
    text: usize,
}

impl Budget {
    /// Reserves `n` cells (a column's rows) before they are allocated.
    fn cells(&mut self, n: usize) -> Result<(), String> {
        match self.cells.checked_add(n).filter(|&c| c <= MAX_CELLS) {
            Some(c) => {
                self.cells = c;
                Ok(())
            }
            None => Err(format!("more than {MAX_CELLS} values in all")),
        }
    }

    /// Whether `len` more bytes of text still fit.
    fn fits(&self, len: usize) -> Result<(), String> {
        match self.text.checked_add(len) {
            Some(t) if t <= MAX_TEXT => Ok(()),
            _ => Err(format!("more than {} MiB of text in all", MAX_TEXT >> 20)),
        }
    }

    /// Counts `len` bytes of text made.
    fn text(&mut self, len: usize) -> Result<(), String> {
        self.fits(len)?;
        self.text += len;
        Ok(())
    }

    /// Counts the text `v` holds.
    fn value(&mut self, v: &AttrValue) -> Result<(), String> {
        match v {
            AttrValue::String(s) => self.text(s.len()),
            _ => Ok(()),
        }
    }
}

/// A JSON value the schema does not describe (or a legacy batch table
/// value): scalars as themselves, arrays as a list, objects as JSON text.
pub(super) fn plain_json(v: &Value) -> AttrValue {
    match v {
        Value::Null => AttrValue::Null,
        Value::Bool(b) => AttrValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(AttrValue::Int)
            .unwrap_or_else(|| AttrValue::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => AttrValue::String(s.clone()),
        Value::Array(_) => {
            let mut out = String::new();
            write_json_list(v, &mut out);
            AttrValue::String(out)
        }
        Value::Object(_) => AttrValue::String(v.to_string()),
    }
}

/// A JSON value from the file as a message may quote it.
fn shown(v: &Value) -> String {
    quote(&v.to_string()).into_owned()
}

/// Writes a JSON value with lists spaced as in the rest of this module.
fn write_json_list(v: &Value, out: &mut String) {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_list(x, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
