//! Property tables (binary): each column's bufferViews located and
//! checked to hold every row (offset buffers, bitstreams, strings) before
//! its cells are read.

use super::schema::{Comp, Kind, Prop, Schema, Shape};
use super::values::{Elem, Raw, cell};
use super::{Budget, MAX_ROWS, shown};
use cim_core::message::quote;
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use serde_json::Value;

/// One entry of `propertyTables`: its columns, in class order.
pub(super) fn table<'a, 's>(
    schema: &mut Schema<'s>,
    t: &'s Value,
    i: usize,
    view: &dyn Fn(usize) -> Result<&'a [u8], String>,
    budget: &mut Budget,
    warnings: &mut Vec<String>,
) -> PropertyTable {
    let name = match t.get("name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None => format!("property table {i}"),
    };
    let class_id = t.get("class").and_then(Value::as_str);
    let mut out = PropertyTable {
        class: class_id.map(String::from),
        ..PropertyTable::default()
    };
    let what = format!("property table {}", quote(&name));
    out.name = name;
    match table_count(t) {
        Ok(c) => out.count = c,
        Err(e) => {
            warnings.push(format!("{what}: {e}; left out"));
            return out;
        }
    }
    let Some(class) = class_id.and_then(|c| schema.class(c)) else {
        let class = quote(class_id.unwrap_or("(none)")).into_owned();
        warnings.push(format!(
            "{what}: unknown class {class}; its properties are left out"
        ));
        return out;
    };
    let empty = serde_json::Map::new();
    let given = t
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (id, def) in class {
        let Some(tp) = given.get(id) else { continue };
        match column(schema, def, tp, out.count, view, budget) {
            Ok(values) => out.columns.push((id.clone(), values)),
            Err(e) => warnings.push(format!("{what}: property {}: {e}; left out", quote(id))),
        }
    }
    for id in given.keys().filter(|id| !class.contains_key(*id)) {
        warnings.push(format!(
            "{what}: property {} is not in its class; left out",
            quote(id)
        ));
    }
    out
}

/// A table's `count`, within [`MAX_ROWS`].
fn table_count(t: &Value) -> Result<usize, String> {
    let c = t.get("count").ok_or("no count")?;
    match c.as_u64().and_then(|c| usize::try_from(c).ok()) {
        Some(n) if n <= MAX_ROWS => Ok(n),
        Some(n) => Err(format!("{n} rows, more than the {MAX_ROWS} read")),
        None => Err(format!("count {} is not a row count", shown(c))),
    }
}

/// Where one column's values are: its buffers, checked to hold `count`
/// rows before any row is read.
struct Column<'a> {
    values: &'a [u8],
    /// Elements of each row: every row the same, or by `arrayOffsets`.
    rows: Rows<'a>,
    /// `stringOffsets` and their type, for strings.
    strings: Option<(&'a [u8], Comp)>,
}

enum Rows<'a> {
    Every(usize),
    Offsets(&'a [u8], Comp),
}

impl Rows<'_> {
    /// The elements of row `r`, as a range of element indices.
    fn elements(&self, r: usize) -> Option<(usize, usize)> {
        match *self {
            Rows::Every(per) => Some((r.checked_mul(per)?, r.checked_add(1)?.checked_mul(per)?)),
            Rows::Offsets(bytes, ty) => Some((ty.offset(bytes, r)?, ty.offset(bytes, r + 1)?)),
        }
    }
}

/// One property's column of a table of `count` rows, `def` its class
/// property and `tp` the table's property (buffer views, offset types,
/// an `offset`/`scale` overriding the class's).
fn column<'a, 's>(
    schema: &mut Schema<'s>,
    def: &'s Value,
    tp: &Value,
    count: usize,
    view: &dyn Fn(usize) -> Result<&'a [u8], String>,
    budget: &mut Budget,
) -> Result<Vec<AttrValue>, String> {
    let mut prop = Prop::new(schema, def)?;
    prop.set_transform(tp)?;
    let col = locate(&prop, tp, count, view)?;
    // The buffers hold `count` rows (checked above); now it may be allocated.
    budget.cells(count)?;
    let default = prop.default_value(budget);
    let mut out = Vec::with_capacity(count);
    for r in 0..count {
        let (a, b) = col.rows.elements(r).ok_or("array offsets out of range")?;
        let n = prop.n;
        let first = a.checked_mul(n).ok_or("offset overflow")?;
        let len = b
            .saturating_sub(a)
            .checked_mul(n)
            .ok_or("offset overflow")?;
        let get = |k: usize| first.checked_add(k).and_then(|i| col.elem(&prop, i));
        out.push(cell(&prop, len, &get, true, default.as_ref(), budget)?);
    }
    Ok(out)
}

impl<'a> Column<'a> {
    /// Element component `i` of the column (a flat index over all rows).
    fn elem<'s>(&self, prop: &Prop<'s>, i: usize) -> Option<Elem<'a>> {
        match &prop.kind {
            Kind::Num { comp, .. } => comp.read(self.values, i).map(Elem::Num),
            Kind::Enum(e) => match e.comp.read(self.values, i)? {
                Raw::Int(v) => Some(Elem::Enum(v)),
                _ => None,
            },
            // A bitstream, least significant bit first (3D Metadata §"Booleans").
            Kind::Bool => Some(Elem::Bool((self.values.get(i / 8)? >> (i % 8)) & 1 == 1)),
            Kind::Text => {
                let (offsets, ty) = self.strings?;
                let (a, b) = (ty.offset(offsets, i)?, ty.offset(offsets, i + 1)?);
                let bytes = self.values.get(a..b)?;
                Some(Elem::Text(String::from_utf8_lossy(bytes)))
            }
        }
    }
}

/// Finds a column's buffers and checks they hold `count` rows: offsets in
/// range and non-decreasing, values long enough for every element.
fn locate<'a>(
    prop: &Prop,
    tp: &Value,
    count: usize,
    view: &dyn Fn(usize) -> Result<&'a [u8], String>,
) -> Result<Column<'a>, String> {
    let buffer = |key: &str| -> Result<Option<&'a [u8]>, String> {
        let Some(v) = tp.get(key) else {
            return Ok(None);
        };
        let i = v.as_u64().and_then(|i| usize::try_from(i).ok());
        let i = i.ok_or_else(|| format!("{key} {} is not a bufferView index", shown(v)))?;
        view(i).map(Some).map_err(|e| format!("{key}: {e}"))
    };
    let values = buffer("values")?.ok_or("no values bufferView")?;
    let (rows, elements) = match prop.shape {
        Shape::One => (Rows::Every(1), count),
        Shape::Fixed(c) => (
            Rows::Every(c),
            count.checked_mul(c).ok_or("too many values")?,
        ),
        Shape::Variable => {
            let bytes =
                buffer("arrayOffsets")?.ok_or("a variable-length array without arrayOffsets")?;
            let ty = offset_type(tp, "arrayOffsetType")?;
            (
                Rows::Offsets(bytes, ty),
                checked_offsets(bytes, ty, count, "arrayOffsets")?,
            )
        }
    };
    let components = elements.checked_mul(prop.n).ok_or("too many values")?;
    let strings = match prop.kind {
        Kind::Text => {
            let bytes =
                buffer("stringOffsets")?.ok_or("a string property without stringOffsets")?;
            let ty = offset_type(tp, "stringOffsetType")?;
            let end = checked_offsets(bytes, ty, components, "stringOffsets")?;
            fits(end, 1, values.len())?;
            Some((bytes, ty))
        }
        Kind::Bool => {
            fits(components.div_ceil(8), 1, values.len())?;
            None
        }
        Kind::Num { comp, .. } => {
            fits(components, comp.size(), values.len())?;
            None
        }
        Kind::Enum(ref e) => {
            fits(components, e.comp.size(), values.len())?;
            None
        }
    };
    Ok(Column {
        values,
        rows,
        strings,
    })
}

/// Checks that `n` items of `size` bytes fit the `len` bytes of a view.
fn fits(n: usize, size: usize, len: usize) -> Result<(), String> {
    match n.checked_mul(size) {
        Some(need) if need <= len => Ok(()),
        _ => Err(format!(
            "{n} × {size} bytes do not fit in the {len}-byte bufferView"
        )),
    }
}

/// An `arrayOffsetType` / `stringOffsetType` (default `UINT32`).
fn offset_type(tp: &Value, key: &str) -> Result<Comp, String> {
    let name = tp.get(key).and_then(Value::as_str).unwrap_or("UINT32");
    match Comp::parse(name) {
        Some(c @ (Comp::U8 | Comp::U16 | Comp::U32 | Comp::U64)) => Ok(c),
        _ => Err(format!("{key} {}", quote(name))),
    }
}

/// Checks an offset buffer for `n` items (`n + 1` offsets, non-decreasing)
/// and returns the last offset, where the items end.
fn checked_offsets(bytes: &[u8], ty: Comp, n: usize, what: &str) -> Result<usize, String> {
    let entries = n.checked_add(1).ok_or("too many values")?;
    fits(entries, ty.size(), bytes.len()).map_err(|e| format!("{what}: {e}"))?;
    let mut last = 0;
    for i in 0..entries {
        let o = ty
            .offset(bytes, i)
            .ok_or_else(|| format!("{what}: offset {i} does not fit in memory"))?;
        if i > 0 && o < last {
            return Err(format!(
                "{what}: offset {i} ({o}) is before offset {} ({last})",
                i - 1
            ));
        }
        last = o;
    }
    Ok(last)
}

/// Stored numbers and offsets, read from a bufferView.
impl Comp {
    /// The `i`-th little-endian value of this type in `bytes`.
    fn read(self, bytes: &[u8], i: usize) -> Option<Raw> {
        let start = i.checked_mul(self.size())?;
        let b = bytes.get(start..start.checked_add(self.size())?)?;
        Some(match self {
            Comp::I8 => Raw::Int(i8::from_le_bytes(b.try_into().ok()?).into()),
            Comp::U8 => Raw::Int(u8::from_le_bytes(b.try_into().ok()?).into()),
            Comp::I16 => Raw::Int(i16::from_le_bytes(b.try_into().ok()?).into()),
            Comp::U16 => Raw::Int(u16::from_le_bytes(b.try_into().ok()?).into()),
            Comp::I32 => Raw::Int(i32::from_le_bytes(b.try_into().ok()?).into()),
            Comp::U32 => Raw::Int(u32::from_le_bytes(b.try_into().ok()?).into()),
            Comp::I64 => Raw::Int(i64::from_le_bytes(b.try_into().ok()?).into()),
            Comp::U64 => Raw::Int(u64::from_le_bytes(b.try_into().ok()?).into()),
            Comp::F32 => Raw::F32(f32::from_le_bytes(b.try_into().ok()?)),
            Comp::F64 => Raw::F64(f64::from_le_bytes(b.try_into().ok()?)),
        })
    }

    /// The `i`-th offset of an offset buffer of this type.
    fn offset(self, bytes: &[u8], i: usize) -> Option<usize> {
        match self.read(bytes, i)? {
            Raw::Int(v) => usize::try_from(v).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
