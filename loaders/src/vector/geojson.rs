//! GeoJSON: RFC 7946 (*The GeoJSON Format*, IETF, August 2016), plus the
//! `crs` member of the 2008 GeoJSON specification that many files still carry
//! (`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32637"}}`).
//!
//! * The top level may be a FeatureCollection, a single Feature, or a bare
//!   geometry (one feature without properties).
//! * Without a `crs` member the coordinates are WGS 84 longitude/latitude
//!   (RFC 7946 §4); an unparsable `crs` gives a warning and no CRS.
//! * Field types are inferred across all features, keeping the order in which
//!   keys first appear: all booleans → bool, all integers → int, integers and
//!   reals → float, all `YYYY-MM-DD` strings → date, anything else → string
//!   (numbers and booleans written as text, objects and arrays as JSON).
//! * A feature's numeric `id` is kept when every feature has a distinct
//!   non-negative integer id; otherwise features are numbered from 0 and
//!   string ids, if any, become an `id` field.
//! * GeometryCollections whose members are all points, all lines or all
//!   polygons become the matching multi-geometry; mixed ones are an error.
//!
//! The text is deserialized straight into what the layer keeps — positions
//! as `DVec3`s, property values as numbers or strings — by serde visitors
//! streaming over the features, never into a `serde_json::Value` tree of the
//! whole document (which takes about 13 times the file's size). Only a
//! property whose value is an object or array, and the `crs` member, pass
//! through a `Value` of their own. Nesting deeper than serde_json's limit
//! of 128 is an error, not a stack overflow.

use crate::vector::finish::{self, RawFeature};
use crate::{LoadError, Loaded, budget};
use cim_core::message::quote;
use cim_core::model::attr::Date;
use cim_core::model::geometry::Polygon;
use cim_core::{
    AttrType, AttrValue, DVec3, FeatureId, Field, Geometry, Layer, LayerContent, LayerKind,
    VectorData,
};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

mod geometry;

pub use geometry::geometry;
use geometry::{Coords, CoordsSeed, GeomSeed, Members, MembersSeed, interpret};

const FMT: &str = "GeoJSON";
/// GeoJSON is parsed in memory; larger files are refused.
const MAX_BYTES: u64 = 2 << 30;

/// Loads a GeoJSON file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = crate::read_file_limited(path, MAX_BYTES, budget::GEOJSON_FACTOR)?;
    read_owned(path, bytes, &crate::layer_name(path))
}

/// Decodes GeoJSON text; `path` names it in messages.
pub fn read(path: &Path, bytes: &[u8], name: &str) -> Result<Loaded, LoadError> {
    finish(path, parse(path, bytes)?, name)
}

/// [`read`], freeing the text once it is parsed.
pub(crate) fn read_owned(path: &Path, bytes: Vec<u8>, name: &str) -> Result<Loaded, LoadError> {
    let parsed = parse(path, &bytes)?;
    drop(bytes);
    finish(path, parsed, name)
}

// ---------------------------------------------------------------------------
// What the parse produces.

/// A property value as read, before its field's type is known.
#[derive(Debug)]
enum Prop {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Real(f64),
    Str(String),
    /// An object or array, as compact JSON.
    Json(String),
}

/// A feature's `id` member.
#[derive(Debug)]
enum Id {
    /// Absent, `null` or neither number nor string.
    None,
    /// A non-negative integer.
    Index(u64),
    /// Any other number, as written by serde_json.
    Number(String),
    Str(String),
}

/// A geometry member as read: `None` for `null`, else the geometry or why
/// it is not one.
type GeomResult = Option<Result<Option<Geometry>, String>>;

/// One feature as read: its property values by field index.
struct JsonFeature {
    geometry: GeomResult,
    properties: Vec<(u32, Prop)>,
    id: Id,
}

/// Property keys in order of first appearance, and what values each has
/// shown.
#[derive(Default)]
struct Schema {
    order: Vec<String>,
    index: HashMap<String, usize>,
    infer: Vec<Infer>,
}

impl Schema {
    fn slot(&mut self, key: &str) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        self.order.push(key.to_string());
        self.index.insert(key.to_string(), self.order.len() - 1);
        self.infer.push(Infer::default());
        self.order.len() - 1
    }
}

/// The features of a FeatureCollection, collected as they stream past.
#[derive(Default)]
struct Collection {
    schema: Schema,
    features: Vec<JsonFeature>,
    /// The first feature whose geometry is not valid, and why.
    first_error: Option<(usize, String)>,
    /// Whether a non-null `features` member was seen.
    present: bool,
}

impl Collection {
    fn push(&mut self, mut f: JsonFeature) {
        if let Some(Err(e)) = &mut f.geometry {
            if self.first_error.is_none() {
                self.first_error = Some((self.features.len(), std::mem::take(e)));
            }
            f.geometry = None;
        }
        self.features.push(f);
    }
}

/// The top-level object's members.
#[derive(Default)]
struct Root {
    ty: Option<String>,
    collection: Collection,
    /// Absent: `None`; `null`: `Some(Value::Null)`.
    crs: Option<Value>,
    /// A top-level Feature's members (absent: `None`).
    geometry: Option<GeomResult>,
    schema: Schema,
    properties: Vec<(u32, Prop)>,
    id: Option<Id>,
    /// A top-level geometry's members.
    coordinates: Option<Coords>,
    geometries: Option<Members>,
}

/// The whole document, parsed.
struct Parsed {
    crs: Option<Value>,
    schema: Schema,
    features: Vec<JsonFeature>,
}

// ---------------------------------------------------------------------------
// Keys.

/// The object members this reader looks at; the rest are skipped.
enum Key {
    Type,
    Features,
    Crs,
    Geometry,
    Properties,
    Id,
    Coordinates,
    Geometries,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "type" => Key::Type,
                    "features" => Key::Features,
                    "crs" => Key::Crs,
                    "geometry" => Key::Geometry,
                    "properties" => Key::Properties,
                    "id" => Key::Id,
                    "coordinates" => Key::Coordinates,
                    "geometries" => Key::Geometries,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Skips the rest of a sequence.
fn drain_seq<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Skips the rest of a map.
fn drain_map<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A `type` member: its text if it is a string.
fn type_name<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    Ok(match map.next_value::<Value>()? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// The document.

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Root;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Root, A::Error> {
        let mut root = Root::default();
        while let Some(key) = m.next_key::<Key>()? {
            match key {
                Key::Type => root.ty = type_name(&mut m)?,
                Key::Features => {
                    root.collection.present =
                        m.next_value_seed(FeaturesSeed(&mut root.collection))?
                }
                Key::Crs => root.crs = Some(m.next_value::<Value>()?),
                Key::Geometry => root.geometry = Some(m.next_value_seed(GeomSeed)?),
                Key::Properties => {
                    root.properties = m.next_value_seed(PropsSeed(&mut root.schema))?
                }
                Key::Id => root.id = Some(m.next_value_seed(IdSeed)?),
                Key::Coordinates => root.coordinates = Some(m.next_value_seed(CoordsSeed)?),
                Key::Geometries => root.geometries = Some(m.next_value_seed(MembersSeed)?),
                Key::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(root)
    }
}

/// The `features` array: each feature is pushed onto the collection as it is
/// read. `false` for `null`.
struct FeaturesSeed<'a>(&'a mut Collection);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let c = self.0;
        while let Some(f) = seq.next_element_seed(FeatureSeed(&mut c.schema))? {
            c.push(f);
        }
        Ok(true)
    }
}

/// One Feature object; its property keys go into the shared schema.
struct FeatureSeed<'a>(&'a mut Schema);

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_> {
    type Value = JsonFeature;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonFeature, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_> {
    type Value = JsonFeature;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<JsonFeature, A::Error> {
        let mut f = JsonFeature {
            geometry: None,
            properties: Vec::new(),
            id: Id::None,
        };
        while let Some(key) = m.next_key::<Key>()? {
            match key {
                Key::Geometry => f.geometry = m.next_value_seed(GeomSeed)?,
                Key::Properties => f.properties = m.next_value_seed(PropsSeed(&mut *self.0))?,
                Key::Id => f.id = m.next_value_seed(IdSeed)?,
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }
}

// ---------------------------------------------------------------------------
// Properties.

/// A `properties` object (or `null`), its keys resolved to field indices of
/// the schema as they are read.
struct PropsSeed<'a>(&'a mut Schema);

impl<'de> DeserializeSeed<'de> for PropsSeed<'_> {
    type Value = Vec<(u32, Prop)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for PropsSeed<'_> {
    type Value = Vec<(u32, Prop)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a properties object or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let schema = self.0;
        let mut out = Vec::new();
        while let Some(i) = m.next_key_seed(KeySlot(&mut *schema))? {
            let v: Prop = m.next_value_seed(PropSeed)?;
            if let Some(inf) = schema.infer.get_mut(i) {
                inf.see(&v);
            }
            out.push((i as u32, v));
        }
        out.shrink_to_fit();
        Ok(out)
    }
}

/// A property key, resolved to its field index (without allocating for
/// keys already known).
struct KeySlot<'a>(&'a mut Schema);

impl<'de> DeserializeSeed<'de> for KeySlot<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySlot<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }
    fn visit_str<E>(self, s: &str) -> Result<usize, E> {
        Ok(self.0.slot(s))
    }
}

struct PropSeed;

impl<'de> DeserializeSeed<'de> for PropSeed {
    type Value = Prop;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Prop, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropSeed {
    type Value = Prop;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Prop, E> {
        Ok(Prop::Bool(b))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Prop, E> {
        Ok(Prop::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Prop, E> {
        Ok(i64::try_from(v).map_or(Prop::Big(v), Prop::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Prop, E> {
        Ok(Prop::Real(v))
    }
    fn visit_str<E>(self, s: &str) -> Result<Prop, E> {
        Ok(Prop::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Prop, E> {
        Ok(Prop::Str(s))
    }
    fn visit_unit<E>(self) -> Result<Prop, E> {
        Ok(Prop::Null)
    }
    fn visit_none<E>(self) -> Result<Prop, E> {
        Ok(Prop::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Prop, D::Error> {
        d.deserialize_any(self)
    }
    // Nested values are kept as JSON text; they are small, and serde_json's
    // recursion limit applies to them as to the rest of the document.
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Prop, A::Error> {
        Ok(Prop::Json(
            Value::deserialize(MapAccessDeserializer::new(m))?.to_string(),
        ))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Prop, A::Error> {
        Ok(Prop::Json(
            Value::deserialize(SeqAccessDeserializer::new(s))?.to_string(),
        ))
    }
}

struct IdSeed;

impl<'de> DeserializeSeed<'de> for IdSeed {
    type Value = Id;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Id, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdSeed {
    type Value = Id;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a feature id")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Id, E> {
        Ok(Id::Index(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
        Ok(match u64::try_from(v) {
            Ok(u) => Id::Index(u),
            Err(_) => Id::Number(v.to_string()),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Id, E> {
        Ok(Id::Number(json_number(v)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Id, E> {
        Ok(Id::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Id, E> {
        Ok(Id::Str(s))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Id, E> {
        Ok(Id::None)
    }
    fn visit_unit<E>(self) -> Result<Id, E> {
        Ok(Id::None)
    }
    fn visit_none<E>(self) -> Result<Id, E> {
        Ok(Id::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Id, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Id, A::Error> {
        drain_map(&mut m)?;
        Ok(Id::None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Id, A::Error> {
        drain_seq(&mut s)?;
        Ok(Id::None)
    }
}

/// A float as serde_json writes it.
fn json_number(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
}

// ---------------------------------------------------------------------------
// Putting the layer together.

/// Parses the document into features, checking its structure.
fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let invalid =
        |e: serde_json::Error| LoadError::invalid(path, FMT, format!("not valid GeoJSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let root = (&mut de).deserialize_map(RootVisitor).map_err(invalid)?;
    de.end().map_err(invalid)?;

    let ty = root.ty.unwrap_or_default();
    let mut first_error = None;
    let (schema, features) = match ty.as_str() {
        "FeatureCollection" => {
            let c = root.collection;
            if !c.present {
                return Err(LoadError::invalid(
                    path,
                    FMT,
                    "FeatureCollection without a \"features\" array",
                ));
            }
            first_error = c.first_error;
            (c.schema, c.features)
        }
        "Feature" => {
            let mut f = JsonFeature {
                geometry: root.geometry.flatten(),
                properties: root.properties,
                id: root.id.unwrap_or(Id::None),
            };
            if let Some(Err(e)) = &mut f.geometry {
                first_error = Some((0, std::mem::take(e)));
            }
            (root.schema, vec![f])
        }
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let g = interpret(&ty, root.coordinates, root.geometries);
            if let Err(e) = &g {
                first_error = Some((0, e.clone()));
            }
            let f = JsonFeature {
                geometry: Some(g),
                properties: Vec::new(),
                id: Id::None,
            };
            (Schema::default(), vec![f])
        }
        "" => {
            return Err(LoadError::invalid(
                path,
                FMT,
                "the top-level object has no \"type\"",
            ));
        }
        other => {
            return Err(LoadError::invalid(
                path,
                FMT,
                format!("unknown top-level type \"{}\"", quote(other)),
            ));
        }
    };
    if let Some((n, e)) = first_error {
        return Err(LoadError::invalid(path, FMT, format!("feature {n}: {e}")));
    }
    Ok(Parsed {
        crs: root.crs,
        schema,
        features,
    })
}

/// Builds the layer from the parsed features: field types, ids, CRS.
fn finish(path: &Path, parsed: Parsed, name: &str) -> Result<Loaded, LoadError> {
    let Parsed {
        crs,
        schema,
        features,
    } = parsed;
    let mut warnings = Vec::new();
    let crs = match &crs {
        None => Some(crate::crs::wgs84()),
        Some(Value::Null) => None,
        Some(c) => match crs_member(c) {
            Ok(crs) => Some(crs),
            Err(e) => {
                warnings.push(format!(
                    "{}: \"crs\" member not recognised ({e}); the layer is loaded without a CRS",
                    crate::show(path)
                ));
                None
            }
        },
    };

    let mut fields: Vec<Field> = schema
        .order
        .into_iter()
        .zip(&schema.infer)
        .map(|(k, inf)| Field::new(k, inf.ty()))
        .collect();

    // Ids: numeric ones are kept only if all features have distinct ones.
    let numeric_ids: Option<Vec<u64>> = features
        .iter()
        .map(|f| match f.id {
            Id::Index(i) => Some(i),
            _ => None,
        })
        .collect();
    let numeric_ids =
        numeric_ids.filter(|ids| ids.iter().collect::<HashSet<_>>().len() == ids.len());
    let string_ids = numeric_ids.is_none() && features.iter().any(|f| matches!(f.id, Id::Str(_)));
    let id_field = if string_ids && !schema.index.contains_key("id") {
        fields.push(Field::new("id", AttrType::String));
        true
    } else {
        false
    };

    let mut raw = Vec::with_capacity(features.len());
    for (n, f) in features.into_iter().enumerate() {
        let mut attributes = vec![AttrValue::Null; fields.len()];
        for (i, v) in f.properties {
            let i = i as usize;
            if let (Some(slot), Some(field)) = (attributes.get_mut(i), fields.get(i)) {
                *slot = convert(v, field.ty);
            }
        }
        if id_field && let Some(slot) = attributes.last_mut() {
            *slot = match f.id {
                Id::Str(s) | Id::Number(s) => AttrValue::String(s),
                Id::Index(i) => AttrValue::String(i.to_string()),
                Id::None => AttrValue::Null,
            };
        }
        let id = match &numeric_ids {
            Some(ids) => ids.get(n).copied().unwrap_or(n as u64),
            None => n as u64,
        };
        raw.push(RawFeature {
            id: FeatureId(id),
            // Invalid geometries were reported by `parse`.
            geometry: f.geometry.and_then(Result::ok).flatten(),
            attributes,
        });
    }
    let features = finish::finish(raw, None);
    Ok(Loaded {
        layer: Layer {
            name: name.to_string(),
            format: crate::FileFormat::GeoJson.name().to_string(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData { fields, features }),
        },
        warnings,
        detail: None,
    })
}

/// The CRS a 2008-style `crs` member names.
fn crs_member(c: &Value) -> Result<cim_core::crs::CrsDef, String> {
    let ty = c.get("type").and_then(Value::as_str).unwrap_or("");
    let props = c.get("properties");
    match ty {
        "name" => {
            let name = props
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .ok_or("a \"name\" crs without properties.name")?;
            crs_from_name(name)
        }
        "EPSG" => {
            let code = props
                .and_then(|p| p.get("code"))
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                .ok_or("an \"EPSG\" crs without a numeric properties.code")?;
            crate::crs::epsg(code as u32)
        }
        other => Err(format!("crs of type \"{}\" is not supported", quote(other))),
    }
}

/// Interprets OGC CRS names: `urn:ogc:def:crs:EPSG::32637`,
/// `urn:ogc:def:crs:OGC:1.3:CRS84`, `http://www.opengis.net/def/crs/EPSG/0/4326`,
/// `EPSG:4326`, or anything cim-core can parse. EPSG:4326 is taken as
/// longitude/latitude, as GeoJSON writers mean it.
pub fn crs_from_name(name: &str) -> Result<cim_core::crs::CrsDef, String> {
    let n = name.trim();
    let lower = n.to_ascii_lowercase();
    if lower.ends_with("crs84") || lower.ends_with("crs:84") {
        return Ok(crate::crs::wgs84());
    }
    let code = if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:epsg:") {
        // urn:ogc:def:crs:EPSG:{version}:{code}
        rest.rsplit(':').next()
    } else if let Some(rest) = lower.strip_prefix("http://www.opengis.net/def/crs/epsg/") {
        rest.rsplit('/').next()
    } else {
        lower.strip_prefix("epsg:")
    };
    match code.map(|c| c.trim().parse::<u32>()) {
        Some(Ok(4326)) => Ok(crate::crs::wgs84()),
        Some(Ok(c)) => crate::crs::epsg(c),
        Some(Err(_)) => Err(format!("no EPSG code in \"{}\"", quote(n))),
        None => crate::crs::parse(n),
    }
}

/// What values a property has shown so far.
#[derive(Default)]
struct Infer {
    bools: bool,
    ints: bool,
    reals: bool,
    strings: bool,
    nondates: bool,
    other: bool,
}

impl Infer {
    fn see(&mut self, v: &Prop) {
        match v {
            Prop::Null => {}
            Prop::Bool(_) => self.bools = true,
            Prop::Int(_) => self.ints = true,
            Prop::Big(_) | Prop::Real(_) => self.reals = true,
            Prop::Str(s) => {
                self.strings = true;
                if !is_iso_date(s) {
                    self.nondates = true;
                }
            }
            Prop::Json(_) => self.other = true,
        }
    }

    fn ty(&self) -> AttrType {
        let numbers = self.ints || self.reals;
        match (self.bools, numbers, self.strings, self.other) {
            (true, false, false, false) => AttrType::Bool,
            (false, true, false, false) if !self.reals => AttrType::Int,
            (false, true, false, false) => AttrType::Float,
            (false, false, true, false) if !self.nondates => AttrType::Date,
            _ => AttrType::String,
        }
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && Date::parse(s).is_some()
}

fn convert(v: Prop, ty: AttrType) -> AttrValue {
    match (v, ty) {
        (Prop::Null, _) => AttrValue::Null,
        (Prop::Bool(b), AttrType::Bool) => AttrValue::Bool(b),
        (Prop::Int(i), AttrType::Int) => AttrValue::Int(i),
        (Prop::Big(_) | Prop::Real(_), AttrType::Int) => AttrValue::Null,
        (Prop::Int(i), AttrType::Float) => AttrValue::Float(i as f64),
        (Prop::Big(u), AttrType::Float) => AttrValue::Float(u as f64),
        (Prop::Real(f), AttrType::Float) => AttrValue::Float(f),
        (Prop::Str(s), AttrType::Date) => Date::parse(&s).map_or(AttrValue::Null, AttrValue::Date),
        (Prop::Str(s) | Prop::Json(s), _) => AttrValue::String(s),
        (Prop::Int(i), _) => AttrValue::String(i.to_string()),
        (Prop::Big(u), _) => AttrValue::String(u.to_string()),
        (Prop::Real(f), _) => AttrValue::String(json_number(f)),
        (Prop::Bool(b), _) => AttrValue::String(b.to_string()),
    }
}

#[cfg(test)]
mod tests;
