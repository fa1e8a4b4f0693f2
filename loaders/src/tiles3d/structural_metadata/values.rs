//! Values: one entity's stored element components ([`Elem`], read from a
//! buffer or from JSON) turned into the [`AttrValue`] shown, one value or
//! a JSON-like list: normalisation, `offset`/`scale`, `noData`.

use super::Budget;
use super::schema::{Comp, Kind, Prop, Shape, json_int};
use cim_core::model::attr::AttrValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write;

/// One stored number, as read: integers of every width fit an `i128`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Raw {
    Int(i128),
    F32(f32),
    F64(f64),
}

/// One stored element component, before the class transforms it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Elem<'a> {
    Num(Raw),
    Bool(bool),
    Text(Cow<'a, str>),
    /// A binary enum value.
    Enum(i128),
    /// A JSON enum value (by name).
    Name(&'a str),
}

/// One final element component, as shown.
enum Item<'a> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    /// An enum value's name: shown bare in lists.
    Name(Cow<'a, str>),
}

impl Item<'_> {
    fn into_attr(self) -> AttrValue {
        match self {
            Item::Int(i) => AttrValue::Int(i),
            Item::Float(x) => AttrValue::Float(x),
            Item::Bool(b) => AttrValue::Bool(b),
            Item::Text(s) | Item::Name(s) => AttrValue::String(s.into_owned()),
        }
    }

    /// Appends the item as a list element: strings quoted as in JSON.
    fn write_to(&self, out: &mut String) {
        let _ = match self {
            Item::Int(i) => write!(out, "{i}"),
            Item::Float(x) => write!(out, "{x}"),
            Item::Bool(b) => write!(out, "{b}"),
            Item::Text(s) => write!(out, "{}", Value::from(s.as_ref())),
            Item::Name(s) => write!(out, "{s}"),
        };
    }
}

/// A number as stored: integers as `Int` where they fit an `i64`.
fn plain_number<'a>(raw: Raw) -> Item<'a> {
    match raw {
        Raw::Int(i) => i64::try_from(i).map_or(Item::Float(i as f64), Item::Int),
        Raw::F32(x) => Item::Float(f32_value(x)),
        Raw::F64(x) => Item::Float(x),
    }
}

impl<'s> Prop<'s> {
    /// The final value of element component `k` of an entity.
    fn item<'a>(&self, elem: Elem<'a>, k: usize, transform: bool) -> Item<'a>
    where
        's: 'a,
    {
        match (elem, &self.kind) {
            (Elem::Num(raw), Kind::Num { comp, normalized }) if transform => {
                self.number(raw, *comp, *normalized, k)
            }
            (Elem::Num(raw), _) => plain_number(raw),
            (Elem::Bool(b), _) => Item::Bool(b),
            (Elem::Text(s), _) => Item::Text(s),
            (Elem::Name(s), _) => Item::Name(Cow::Borrowed(s)),
            (Elem::Enum(v), Kind::Enum(e)) => match e.name(v) {
                Some(name) => Item::Name(Cow::Borrowed(name)),
                None => Item::Name(Cow::Owned(v.to_string())),
            },
            (Elem::Enum(v), _) => Item::Name(Cow::Owned(v.to_string())),
        }
    }

    /// A number with `normalized`, `offset` and `scale` applied
    /// (3D Metadata §"Offset and Scale": `offset + scale * normalize(v)`).
    fn number<'a>(&self, raw: Raw, comp: Comp, normalized: bool, k: usize) -> Item<'a> {
        let normalized = normalized && comp.is_int();
        if !normalized && self.offset.is_empty() && self.scale.is_empty() {
            return plain_number(raw);
        }
        let v = match raw {
            Raw::Int(i) if normalized => normalize(i, comp),
            Raw::Int(i) => i as f64,
            Raw::F32(x) => f32_value(x),
            Raw::F64(x) => x,
        };
        Item::Float(pick(&self.offset, k, 0.0) + pick(&self.scale, k, 1.0) * v)
    }
}

/// An `f32` widened to the `f64` nearest its shortest decimal form: what
/// the writer meant by `0.1f32` is 0.1, not 0.10000000149011612.
fn f32_value(x: f32) -> f64 {
    if !x.is_finite() {
        return x as f64;
    }
    x.to_string().parse().unwrap_or(x as f64)
}

/// A normalised integer (glTF, 3D Metadata §"Normalized Values"):
/// unsigned `v / max`, signed `max(v / max, -1)`.
fn normalize(v: i128, comp: Comp) -> f64 {
    (v as f64 / comp.int_max()).max(-1.0)
}

/// Entry `k` of a flattened offset or scale (one for all, or cycling per
/// component), `none` where not given.
fn pick(v: &[f64], k: usize, none: f64) -> f64 {
    match v.len() {
        0 => none,
        len => v.get(k % len).copied().unwrap_or(none),
    }
}

/// One entity's value of `prop` from its `len` element components, which
/// `get` reads: missing when equal to `noData`, else one value or a list.
pub(super) fn cell<'a, 's: 'a>(
    prop: &Prop<'s>,
    len: usize,
    get: &dyn Fn(usize) -> Option<Elem<'a>>,
    transform: bool,
    default: Option<&AttrValue>,
    budget: &mut Budget,
) -> Result<AttrValue, String> {
    if prop
        .no_data
        .as_ref()
        .is_some_and(|nd| is_no_data(prop, nd, len, get))
    {
        let v = default.cloned().unwrap_or(AttrValue::Null);
        budget.value(&v)?;
        return Ok(v);
    }
    if prop.is_single() && len == 1 {
        let elem = get(0).ok_or("value out of range")?;
        let v = prop.item(elem, 0, transform).into_attr();
        budget.value(&v)?;
        return Ok(v);
    }
    list(prop, len, get, transform, budget).map(AttrValue::String)
}

/// A vector, matrix or array as a JSON-like list; arrays of vectors or
/// matrices nest one list per element.
fn list<'a, 's: 'a>(
    prop: &Prop<'s>,
    len: usize,
    get: &dyn Fn(usize) -> Option<Elem<'a>>,
    transform: bool,
    budget: &mut Budget,
) -> Result<String, String> {
    let nest = prop.shape != Shape::One && prop.n > 1;
    let mut out = String::from("[");
    for k in 0..len {
        let first_of_element = k % prop.n == 0;
        if k > 0 {
            out.push_str(if nest && first_of_element {
                "], "
            } else {
                ", "
            });
        }
        if nest && first_of_element {
            out.push('[');
        }
        let elem = get(k).ok_or("value out of range")?;
        prop.item(elem, k, transform).write_to(&mut out);
        // Checked per element: one row can hold millions.
        budget.fits(out.len())?;
    }
    if nest && len > 0 {
        out.push(']');
    }
    out.push(']');
    budget.text(out.len())?;
    Ok(out)
}

/// Whether an entity's raw value equals `noData` (compared whole, before
/// any transform; enum `noData` is a name).
fn is_no_data<'a>(
    prop: &Prop,
    leaves: &[&Value],
    len: usize,
    get: &dyn Fn(usize) -> Option<Elem<'a>>,
) -> bool {
    leaves.len() == len
        && leaves
            .iter()
            .enumerate()
            .all(|(k, nd)| get(k).is_some_and(|e| elem_equals(prop, &e, nd)))
}

/// Whether one element component equals a JSON value.
fn elem_equals(prop: &Prop, e: &Elem, v: &Value) -> bool {
    match e {
        Elem::Num(Raw::Int(i)) => json_int(v) == Some(*i),
        Elem::Num(Raw::F32(x)) => v.as_f64().map(|d| d as f32) == Some(*x),
        Elem::Num(Raw::F64(x)) => v.as_f64() == Some(*x),
        Elem::Bool(b) => v.as_bool() == Some(*b),
        Elem::Text(s) => v.as_str() == Some(s.as_ref()),
        Elem::Name(s) => v.as_str() == Some(*s),
        Elem::Enum(i) => {
            let name = match &prop.kind {
                Kind::Enum(e) => e.name(*i),
                _ => None,
            };
            json_int(v) == Some(*i) || (name.is_some() && v.as_str() == name)
        }
    }
}

#[cfg(test)]
mod tests;
