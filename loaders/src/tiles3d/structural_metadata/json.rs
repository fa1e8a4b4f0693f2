//! JSON metadata entities (3D Tiles 1.1 tileset, group, tile and content
//! `metadata`) and class `default`s: JSON values decoded by their class
//! property.

use super::schema::{Kind, Prop, Schema, Shape, flatten, json_int};
use super::values::{Elem, Raw, cell};
use super::{Budget, plain_json};
use cim_core::model::attr::AttrValue;
use serde_json::Value;
use std::borrow::Cow;

/// One property of a JSON entity: decoded by its definition `def` when it
/// fits it, else as plain JSON; missing → the default, if any.
pub(super) fn entity_value<'s>(
    schema: &mut Schema<'s>,
    def: &'s Value,
    value: Option<&Value>,
    budget: &mut Budget,
) -> Option<AttrValue> {
    let Ok(prop) = Prop::new(schema, def) else {
        return value.map(plain_json);
    };
    let default = prop.default_value(budget);
    let Some(value) = value else {
        return default;
    };
    Some(
        json_cell(&prop, value, true, default.as_ref(), budget)
            .unwrap_or_else(|| plain_json(value)),
    )
}

impl Prop<'_> {
    /// The class `default`, decoded as a final value: not normalised,
    /// offset or scaled (the spec gives a normalized property's default as
    /// a float, the value itself).
    pub(super) fn default_value(&self, budget: &mut Budget) -> Option<AttrValue> {
        json_cell(self, self.default?, false, None, budget)
    }
}

/// A JSON entity value decoded by `prop` (`transform`: apply
/// `normalized`/`offset`/`scale`, false for a `default`); `None` if its
/// shape or types do not fit the property.
fn json_cell(
    prop: &Prop,
    value: &Value,
    transform: bool,
    default: Option<&AttrValue>,
    budget: &mut Budget,
) -> Option<AttrValue> {
    let mut leaves = Vec::new();
    match (prop.shape, value) {
        (Shape::One, v) if prop.n == 1 => leaves.push(v),
        (_, Value::Array(_)) => flatten(value, &mut leaves),
        _ => return None,
    }
    let fits = match prop.shape {
        Shape::One => leaves.len() == prop.n,
        Shape::Fixed(c) => Some(leaves.len()) == c.checked_mul(prop.n),
        Shape::Variable => leaves.len() % prop.n == 0,
    };
    if !fits {
        return None;
    }
    let elems: Vec<Elem> = leaves
        .iter()
        .map(|v| json_elem(prop, v))
        .collect::<Option<_>>()?;
    let get = |k: usize| elems.get(k).cloned();
    cell(prop, elems.len(), &get, transform, default, budget).ok()
}

/// One JSON leaf as an element component of `prop`, if its type fits.
fn json_elem<'v>(prop: &Prop, v: &'v Value) -> Option<Elem<'v>> {
    match &prop.kind {
        Kind::Num { comp, .. } if comp.is_int() => match json_int(v) {
            Some(i) => Some(Elem::Num(Raw::Int(i))),
            None => Some(Elem::Num(Raw::F64(v.as_f64()?))),
        },
        Kind::Num { .. } => Some(Elem::Num(Raw::F64(v.as_f64()?))),
        Kind::Bool => v.as_bool().map(Elem::Bool),
        Kind::Text => v.as_str().map(|s| Elem::Text(Cow::Borrowed(s))),
        Kind::Enum(_) => match v {
            Value::String(s) => Some(Elem::Name(s)),
            _ => json_int(v).map(Elem::Enum),
        },
    }
}

#[cfg(test)]
mod tests;
