//! The schema: what a class property says about its values (type,
//! component type, array shape, enum, `offset`/`scale`, `noData`,
//! `default`), read once per property; and the JSON numbers and lists it
//! is written in.

use super::shown;
use cim_core::message::quote;
use serde_json::Value;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A schema, its enums read once per call: the columns of a table may
/// share one enum, which read per column would cost columns × values.
pub(super) struct Schema<'s> {
    json: &'s Value,
    enums: HashMap<&'s str, Rc<EnumType<'s>>>,
}

/// An enum of the schema.
pub(super) struct EnumType<'s> {
    /// Its `valueType` (default `UINT16`).
    pub(super) comp: Comp,
    values: &'s [Value],
    /// Value → name, built on first use: JSON entities name their enum
    /// values, so only binary ones need it.
    names: OnceCell<HashMap<i128, &'s str>>,
}

impl<'s> Schema<'s> {
    pub(super) fn new(json: &'s Value) -> Schema<'s> {
        Schema {
            json,
            enums: HashMap::new(),
        }
    }

    /// The `properties` of class `id`.
    pub(super) fn class(&self, id: &str) -> Option<&'s serde_json::Map<String, Value>> {
        let json: &'s Value = self.json;
        json.get("classes")?.get(id)?.get("properties")?.as_object()
    }

    /// The enum `id`.
    fn enum_type(&mut self, id: &'s str) -> Result<Rc<EnumType<'s>>, String> {
        if let Some(e) = self.enums.get(id) {
            return Ok(e.clone());
        }
        let json: &'s Value = self.json;
        let e = json
            .get("enums")
            .and_then(|e| e.get(id))
            .ok_or_else(|| format!("unknown enum {}", quote(id)))?;
        let value_type = e
            .get("valueType")
            .and_then(Value::as_str)
            .unwrap_or("UINT16");
        let comp = Comp::parse(value_type)
            .filter(|c| c.is_int())
            .ok_or_else(|| format!("enum valueType {}", quote(value_type)))?;
        let values = e.get("values").and_then(Value::as_array);
        let e = Rc::new(EnumType {
            comp,
            values: values.map_or(&[], Vec::as_slice),
            names: OnceCell::new(),
        });
        self.enums.insert(id, e.clone());
        Ok(e)
    }
}

impl<'s> EnumType<'s> {
    /// The name of value `v`, if the enum has it.
    pub(super) fn name(&self, v: i128) -> Option<&'s str> {
        let names = self.names.get_or_init(|| {
            let pair = |e: &'s Value| Some((json_int(e.get("value")?)?, e.get("name")?.as_str()?));
            self.values.iter().filter_map(pair).collect()
        });
        names.get(&v).copied()
    }
}

/// A numeric component type (3D Metadata §"Component Type"), also the type
/// of enum values and of offset buffers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Comp {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl Comp {
    pub(super) fn parse(s: &str) -> Option<Comp> {
        Some(match s {
            "INT8" => Comp::I8,
            "UINT8" => Comp::U8,
            "INT16" => Comp::I16,
            "UINT16" => Comp::U16,
            "INT32" => Comp::I32,
            "UINT32" => Comp::U32,
            "INT64" => Comp::I64,
            "UINT64" => Comp::U64,
            "FLOAT32" => Comp::F32,
            "FLOAT64" => Comp::F64,
            _ => return None,
        })
    }

    pub(super) fn size(self) -> usize {
        match self {
            Comp::I8 | Comp::U8 => 1,
            Comp::I16 | Comp::U16 => 2,
            Comp::I32 | Comp::U32 | Comp::F32 => 4,
            Comp::I64 | Comp::U64 | Comp::F64 => 8,
        }
    }

    pub(super) fn is_int(self) -> bool {
        !matches!(self, Comp::F32 | Comp::F64)
    }

    /// The largest value of an integer type, which `normalized` maps to 1.
    pub(super) fn int_max(self) -> f64 {
        match self {
            Comp::I8 => i8::MAX as f64,
            Comp::U8 => u8::MAX as f64,
            Comp::I16 => i16::MAX as f64,
            Comp::U16 => u16::MAX as f64,
            Comp::I32 => i32::MAX as f64,
            Comp::U32 => u32::MAX as f64,
            Comp::I64 => i64::MAX as f64,
            Comp::U64 => u64::MAX as f64,
            Comp::F32 | Comp::F64 => 1.0,
        }
    }
}

/// What a property's values are.
pub(super) enum Kind<'s> {
    Num { comp: Comp, normalized: bool },
    Bool,
    Text,
    Enum(Rc<EnumType<'s>>),
}

/// How many elements a property has per entity.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Shape {
    One,
    Fixed(usize),
    Variable,
}

/// A class property, as far as decoding needs it.
pub(super) struct Prop<'s> {
    pub(super) kind: Kind<'s>,
    /// Components per element: N of `VECN`, N² of `MATN`, else 1.
    pub(super) n: usize,
    pub(super) shape: Shape,
    /// Flattened `offset` and `scale`; empty when not given.
    pub(super) offset: Vec<f64>,
    pub(super) scale: Vec<f64>,
    /// `noData`, flattened (compared per row, so flattened once).
    pub(super) no_data: Option<Vec<&'s Value>>,
    pub(super) default: Option<&'s Value>,
}

impl<'s> Prop<'s> {
    /// The class property `def`, its enum looked up in `schema`.
    pub(super) fn new(schema: &mut Schema<'s>, def: &'s Value) -> Result<Prop<'s>, String> {
        let ty = def.get("type").and_then(Value::as_str).ok_or("no type")?;
        let (kind, n) = match ty {
            "BOOLEAN" => (Kind::Bool, 1),
            "STRING" => (Kind::Text, 1),
            "ENUM" => (Kind::Enum(enum_type(schema, def)?), 1),
            _ => (num_kind(def)?, components(ty)?),
        };
        let mut prop = Prop {
            kind,
            n,
            shape: shape(def)?,
            offset: Vec::new(),
            scale: Vec::new(),
            no_data: def.get("noData").map(|nd| {
                let mut leaves = Vec::new();
                flatten(nd, &mut leaves);
                leaves
            }),
            default: def.get("default"),
        };
        prop.set_transform(def)?;
        Ok(prop)
    }

    /// Takes `offset` and `scale` from `src` (the class property, or a
    /// table property overriding the class's), where given.
    pub(super) fn set_transform(&mut self, src: &Value) -> Result<(), String> {
        if let Some(v) = src.get("offset") {
            self.offset = self.transform_numbers(v, "offset")?;
        }
        if let Some(v) = src.get("scale") {
            self.scale = self.transform_numbers(v, "scale")?;
        }
        Ok(())
    }

    /// An `offset` or `scale`, flattened: one number for all components,
    /// one per component, or (fixed-length arrays) one per array component.
    fn transform_numbers(&self, v: &Value, what: &str) -> Result<Vec<f64>, String> {
        let mut out = Vec::new();
        flatten_numbers(v, &mut out).ok_or_else(|| format!("{what} is not numeric"))?;
        let per_row = match self.shape {
            Shape::Fixed(c) => c.saturating_mul(self.n),
            _ => self.n,
        };
        if [1, self.n, per_row].contains(&out.len()) {
            Ok(out)
        } else {
            Err(format!("{what} has {} numbers, not {per_row}", out.len()))
        }
    }

    /// One value per entity, not a list.
    pub(super) fn is_single(&self) -> bool {
        self.shape == Shape::One && self.n == 1
    }
}

/// The numeric kind of a `SCALAR`, `VECN` or `MATN` property.
fn num_kind<'s>(def: &Value) -> Result<Kind<'s>, String> {
    let name = def
        .get("componentType")
        .and_then(Value::as_str)
        .ok_or("no componentType")?;
    let comp = Comp::parse(name).ok_or_else(|| format!("unknown componentType {}", quote(name)))?;
    let normalized = def.get("normalized").and_then(Value::as_bool) == Some(true);
    Ok(Kind::Num { comp, normalized })
}

/// Components per element of a numeric type.
fn components(ty: &str) -> Result<usize, String> {
    Ok(match ty {
        "SCALAR" => 1,
        "VEC2" => 2,
        "VEC3" => 3,
        "VEC4" => 4,
        "MAT2" => 4,
        "MAT3" => 9,
        "MAT4" => 16,
        _ => return Err(format!("unknown type {}", quote(ty))),
    })
}

/// An `ENUM` property's enum.
fn enum_type<'s>(schema: &mut Schema<'s>, def: &'s Value) -> Result<Rc<EnumType<'s>>, String> {
    let id = def
        .get("enumType")
        .and_then(Value::as_str)
        .ok_or("no enumType")?;
    schema.enum_type(id)
}

/// A property's `array` and `count`.
fn shape(def: &Value) -> Result<Shape, String> {
    if def.get("array").and_then(Value::as_bool) != Some(true) {
        return Ok(Shape::One);
    }
    match def.get("count") {
        None => Ok(Shape::Variable),
        Some(c) => match c.as_u64().and_then(|c| usize::try_from(c).ok()) {
            Some(c) if c > 0 => Ok(Shape::Fixed(c)),
            _ => Err(format!("array count {}", shown(c))),
        },
    }
}

/// A JSON integer of any width (also a float with no fraction).
pub(super) fn json_int(v: &Value) -> Option<i128> {
    if let Some(i) = v.as_i64() {
        return Some(i.into());
    }
    if let Some(u) = v.as_u64() {
        return Some(u.into());
    }
    let x = v.as_f64()?;
    // Exact within ±2^63; beyond, f64 integers are too sparse to compare.
    (x.fract() == 0.0 && x.abs() < 9.2e18).then_some(x as i128)
}

/// The leaves of a value: itself, or (arrays, nested for arrays of
/// vectors) its elements in order.
pub(super) fn flatten<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        // serde_json limits nesting (128), so this recursion is bounded.
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
        leaf => out.push(leaf),
    }
}

/// The numbers of an `offset` or `scale`, flattened; `None` if any is not
/// a number.
fn flatten_numbers(v: &Value, out: &mut Vec<f64>) -> Option<()> {
    let mut leaves = Vec::new();
    flatten(v, &mut leaves);
    for leaf in leaves {
        out.push(leaf.as_f64()?);
    }
    Some(())
}
