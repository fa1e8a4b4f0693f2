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

use crate::vector::{self, RawFeature};
use crate::{LoadError, Loaded};
use cim_core::attr::Date;
use cim_core::geometry::Polygon;
use cim_core::{
    AttrType, AttrValue, DVec3, FeatureId, Field, Geometry, Layer, LayerContent, LayerKind,
    VectorData,
};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

const FMT: &str = "GeoJSON";
/// GeoJSON is parsed in memory; larger files are refused.
const MAX_BYTES: u64 = 2 << 30;

/// Properties in the order they appear in the file.
#[derive(Default)]
struct OrderedProps(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedProps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedProps;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a properties object or null")
            }
            fn visit_unit<E>(self) -> Result<OrderedProps, E> {
                Ok(OrderedProps::default())
            }
            fn visit_none<E>(self) -> Result<OrderedProps, E> {
                Ok(OrderedProps::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OrderedProps, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<OrderedProps, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = m.next_entry::<String, Value>()? {
                    v.push((k, val));
                }
                Ok(OrderedProps(v))
            }
        }
        d.deserialize_option(V)
    }
}

/// Deserializes a member that may be `null`, keeping `null` as `Some(Null)`
/// so that it can be told apart from an absent member.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct Root {
    #[serde(rename = "type")]
    ty: Option<String>,
    features: Option<Vec<JsonFeature>>,
    #[serde(default, deserialize_with = "present")]
    crs: Option<Value>,
    geometry: Option<Value>,
    #[serde(default)]
    properties: OrderedProps,
    id: Option<Value>,
    coordinates: Option<Value>,
    geometries: Option<Value>,
}

#[derive(Deserialize)]
struct JsonFeature {
    geometry: Option<Value>,
    #[serde(default)]
    properties: OrderedProps,
    id: Option<Value>,
}

/// Loads a GeoJSON file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = crate::read_file_limited(path, MAX_BYTES)?;
    read(path, &bytes, &crate::layer_name(path))
}

/// Decodes GeoJSON text; `path` names it in messages.
pub fn read(path: &Path, bytes: &[u8], name: &str) -> Result<Loaded, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Root = serde_json::from_slice(bytes)
        .map_err(|e| LoadError::invalid(path, FMT, format!("not valid GeoJSON: {e}")))?;
    let ty = root.ty.clone().unwrap_or_default();
    let mut warnings = Vec::new();
    let features: Vec<JsonFeature> = match ty.as_str() {
        "FeatureCollection" => root.features.ok_or_else(|| {
            LoadError::invalid(path, FMT, "FeatureCollection without a \"features\" array")
        })?,
        "Feature" => vec![JsonFeature {
            geometry: root.geometry,
            properties: root.properties,
            id: root.id,
        }],
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let mut g = serde_json::Map::new();
            g.insert("type".into(), Value::String(ty.clone()));
            if let Some(c) = root.coordinates {
                g.insert("coordinates".into(), c);
            }
            if let Some(c) = root.geometries {
                g.insert("geometries".into(), c);
            }
            vec![JsonFeature {
                geometry: Some(Value::Object(g)),
                properties: OrderedProps::default(),
                id: None,
            }]
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
                format!("unknown top-level type {other:?}"),
            ));
        }
    };

    let crs = match &root.crs {
        None => Some(crate::crs::wgs84()),
        Some(Value::Null) => None,
        Some(c) => match crs_member(c) {
            Ok(crs) => Some(crs),
            Err(e) => {
                warnings.push(format!(
                    "{}: \"crs\" member not recognised ({e}); the layer is loaded without a CRS",
                    path.display()
                ));
                None
            }
        },
    };

    // Schema: keys in order of first appearance, types inferred across features.
    let mut order: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut infer: Vec<Infer> = Vec::new();
    for f in &features {
        for (k, v) in &f.properties.0 {
            let i = *index.entry(k.clone()).or_insert_with(|| {
                order.push(k.clone());
                infer.push(Infer::default());
                order.len() - 1
            });
            infer[i].see(v);
        }
    }
    let mut fields: Vec<Field> = order
        .iter()
        .zip(&infer)
        .map(|(k, inf)| Field::new(k.clone(), inf.ty()))
        .collect();

    // Ids: numeric ones are kept only if all features have distinct ones.
    let numeric_ids: Option<Vec<u64>> = features
        .iter()
        .map(|f| f.id.as_ref().and_then(Value::as_u64))
        .collect();
    let numeric_ids =
        numeric_ids.filter(|ids| ids.iter().collect::<HashSet<_>>().len() == ids.len());
    let string_ids = numeric_ids.is_none()
        && features
            .iter()
            .any(|f| matches!(f.id, Some(Value::String(_))));
    let id_field = if string_ids && !index.contains_key("id") {
        fields.push(Field::new("id", AttrType::String));
        true
    } else {
        false
    };

    let mut raw = Vec::with_capacity(features.len());
    for (n, f) in features.into_iter().enumerate() {
        let geometry = match &f.geometry {
            None | Some(Value::Null) => None,
            Some(g) => geometry(g)
                .map_err(|e| LoadError::invalid(path, FMT, format!("feature {n}: {e}")))?,
        };
        let mut attributes = vec![AttrValue::Null; fields.len()];
        for (k, v) in f.properties.0 {
            let i = index[&k];
            attributes[i] = convert(v, fields[i].ty);
        }
        if id_field {
            attributes[fields.len() - 1] = match &f.id {
                Some(Value::String(s)) => AttrValue::String(s.clone()),
                Some(Value::Number(x)) => AttrValue::String(x.to_string()),
                _ => AttrValue::Null,
            };
        }
        let id = match &numeric_ids {
            Some(ids) => ids[n],
            None => n as u64,
        };
        raw.push(RawFeature {
            id: FeatureId(id),
            geometry,
            attributes,
        });
    }
    let features = vector::finish(raw, None);
    Ok(Loaded {
        layer: Layer {
            name: name.to_string(),
            format: crate::FileFormat::GeoJson.name().to_string(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData { fields, features }),
        },
        warnings,
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
        other => Err(format!("crs of type {other:?} is not supported")),
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
        Some(Err(_)) => Err(format!("no EPSG code in {n:?}")),
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
    fn see(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::Bool(_) => self.bools = true,
            Value::Number(n) if n.is_i64() => self.ints = true,
            Value::Number(_) => self.reals = true,
            Value::String(s) => {
                self.strings = true;
                if !is_iso_date(s) {
                    self.nondates = true;
                }
            }
            _ => self.other = true,
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

fn convert(v: Value, ty: AttrType) -> AttrValue {
    match (v, ty) {
        (Value::Null, _) => AttrValue::Null,
        (Value::Bool(b), AttrType::Bool) => AttrValue::Bool(b),
        (Value::Number(n), AttrType::Int) => n.as_i64().map_or(AttrValue::Null, AttrValue::Int),
        (Value::Number(n), AttrType::Float) => n.as_f64().map_or(AttrValue::Null, AttrValue::Float),
        (Value::String(s), AttrType::Date) => {
            Date::parse(&s).map_or(AttrValue::Null, AttrValue::Date)
        }
        (Value::String(s), _) => AttrValue::String(s),
        (Value::Number(n), _) => AttrValue::String(n.to_string()),
        (Value::Bool(b), _) => AttrValue::String(b.to_string()),
        (other, _) => AttrValue::String(other.to_string()),
    }
}

fn position(v: &Value) -> Result<DVec3, String> {
    let a = v
        .as_array()
        .ok_or("a position must be an array of numbers")?;
    if a.len() < 2 {
        return Err(format!(
            "a position needs at least 2 numbers, got {}",
            a.len()
        ));
    }
    let num = |i: usize| -> Result<f64, String> {
        a[i].as_f64()
            .ok_or_else(|| format!("position member {i} is not a number: {}", a[i]))
    };
    Ok(DVec3::new(
        num(0)?,
        num(1)?,
        if a.len() > 2 { num(2)? } else { 0.0 },
    ))
}

fn array(v: &Value) -> Result<&Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| "\"coordinates\" must be nested arrays".to_string())
}

fn positions(v: &Value) -> Result<Vec<DVec3>, String> {
    array(v)?.iter().map(position).collect()
}

fn polygon(v: &Value) -> Result<Option<Polygon>, String> {
    let mut rings = array(v)?
        .iter()
        .map(|r| positions(r).map(vector::open_ring))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let Some(exterior) = rings.next().filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    Ok(Some(Polygon {
        exterior,
        interiors: rings.filter(|r| !r.is_empty()).collect(),
    }))
}

/// Parses a GeoJSON geometry object; `None` for an empty geometry.
pub fn geometry(g: &Value) -> Result<Option<Geometry>, String> {
    let ty = g
        .get("type")
        .and_then(Value::as_str)
        .ok_or("geometry without a \"type\"")?;
    if ty == "GeometryCollection" {
        let members = g
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or("GeometryCollection without a \"geometries\" array")?;
        let parts = members
            .iter()
            .map(geometry)
            .collect::<Result<Vec<_>, _>>()?;
        return vector::merge_collection(parts.into_iter().flatten().collect());
    }
    let c = g
        .get("coordinates")
        .ok_or_else(|| format!("{ty} without \"coordinates\""))?;
    let empty = c.as_array().is_some_and(|a| a.is_empty());
    if empty {
        return Ok(None);
    }
    Ok(Some(match ty {
        "Point" => Geometry::Point(position(c)?),
        "MultiPoint" => Geometry::MultiPoint(positions(c)?),
        "LineString" => Geometry::LineString(positions(c)?),
        "MultiLineString" => {
            Geometry::MultiLineString(array(c)?.iter().map(positions).collect::<Result<_, _>>()?)
        }
        "Polygon" => match polygon(c)? {
            Some(p) => Geometry::Polygon(p),
            None => return Ok(None),
        },
        "MultiPolygon" => Geometry::MultiPolygon(
            array(c)?
                .iter()
                .map(polygon)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect(),
        ),
        other => return Err(format!("unknown geometry type {other:?}")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> Result<Loaded, LoadError> {
        read(Path::new("t.geojson"), s.as_bytes(), "t")
    }

    #[test]
    fn feature_collection_with_inferred_fields_in_file_order() {
        let l = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","id":7,"properties":{"zeta":1,"alpha":"x","h":2,"ok":true,"d":"2024-06-21"},
               "geometry":{"type":"Point","coordinates":[116.4,39.9,50]}},
              {"type":"Feature","id":9,"properties":{"zeta":2,"alpha":3,"h":2.5,"ok":null,"d":"2024-06-22","extra":{"a":[1]}},
               "geometry":null}
            ]}"#,
        )
        .unwrap();
        let v = l.layer.vector().unwrap();
        let schema: Vec<_> = v.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
        assert_eq!(
            schema,
            [
                ("zeta", AttrType::Int),
                ("alpha", AttrType::String),
                ("h", AttrType::Float),
                ("ok", AttrType::Bool),
                ("d", AttrType::Date),
                ("extra", AttrType::String)
            ]
        );
        assert_eq!(v.features[0].id, FeatureId(7));
        assert_eq!(v.features[1].id, FeatureId(9));
        assert_eq!(v.attr(&v.features[1], "alpha"), &AttrValue::from("3"));
        assert_eq!(v.attr(&v.features[1], "h"), &AttrValue::Float(2.5));
        assert_eq!(v.attr(&v.features[0], "h"), &AttrValue::Float(2.0));
        assert_eq!(
            v.attr(&v.features[1], "extra"),
            &AttrValue::from(r#"{"a":[1]}"#)
        );
        assert_eq!(v.attr(&v.features[0], "d").to_string(), "2024-06-21");
        // The null geometry became an empty MultiPoint, so the layer is uniform.
        assert_eq!(v.geometry_type(), "MultiPoint");
        assert_eq!(l.layer.crs, Some(crate::crs::wgs84()));
        assert_eq!(l.layer.bbox().unwrap().min.z, 50.0);
    }

    #[test]
    fn legacy_crs_member_and_polygons() {
        let l = read_str(
            r#"{"type":"FeatureCollection",
                "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32637"}},
                "features":[{"type":"Feature","properties":{},
                  "geometry":{"type":"Polygon","coordinates":[
                    [[0,0],[10,0],[10,10],[0,10],[0,0]],
                    [[2,2],[2,4],[4,4],[4,2],[2,2]]]}}]}"#,
        )
        .unwrap();
        assert_eq!(l.layer.crs, Some(crate::crs::epsg(32637).unwrap()));
        let v = l.layer.vector().unwrap();
        let Geometry::Polygon(p) = &v.features[0].geometry else {
            panic!()
        };
        assert_eq!(p.exterior.len(), 4);
        assert_eq!(p.interiors.len(), 1);
        assert!((p.area() - 96.0).abs() < 1e-9);
    }

    #[test]
    fn crs_names() {
        let w = crate::crs::wgs84();
        assert_eq!(crs_from_name("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), w);
        assert_eq!(crs_from_name("EPSG:4326").unwrap(), w);
        assert_eq!(
            crs_from_name("http://www.opengis.net/def/crs/EPSG/0/4490").unwrap(),
            crate::crs::epsg(4490).unwrap()
        );
        assert_eq!(
            crs_from_name("urn:ogc:def:crs:EPSG:6.6:32650").unwrap(),
            crate::crs::epsg(32650).unwrap()
        );
        assert!(crs_from_name("urn:ogc:def:crs:EPSG::nope").is_err());
    }

    #[test]
    fn unknown_crs_warns_and_null_crs_means_none() {
        let l = read_str(
            r#"{"type":"Feature","crs":{"type":"link","properties":{"href":"x"}},
                "properties":null,"geometry":{"type":"Point","coordinates":[1,2]}}"#,
        )
        .unwrap();
        assert_eq!(l.layer.crs, None);
        assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
        assert!(l.warnings[0].starts_with("t.geojson: "), "{:?}", l.warnings);
        let l = read_str(r#"{"type":"Point","crs":null,"coordinates":[1,2]}"#).unwrap();
        assert_eq!(l.layer.crs, None);
        assert!(l.warnings.is_empty());
        assert_eq!(l.layer.feature_count(), 1);
    }

    #[test]
    fn string_ids_become_a_field_and_duplicates_are_renumbered() {
        let l = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","id":"a","properties":{"n":1},"geometry":{"type":"Point","coordinates":[0,0]}},
              {"type":"Feature","id":"b","properties":{"n":2},"geometry":{"type":"Point","coordinates":[1,1]}}]}"#,
        )
        .unwrap();
        let v = l.layer.vector().unwrap();
        assert_eq!(v.fields.last().unwrap().name, "id");
        assert_eq!(v.attr(&v.features[1], "id"), &AttrValue::from("b"));
        assert_eq!(v.features[1].id, FeatureId(1));
        let l = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","id":5,"properties":{},"geometry":{"type":"Point","coordinates":[0,0]}},
              {"type":"Feature","id":5,"properties":{},"geometry":{"type":"Point","coordinates":[1,1]}}]}"#,
        )
        .unwrap();
        let ids: Vec<_> = l
            .layer
            .vector()
            .unwrap()
            .features
            .iter()
            .map(|f| f.id.0)
            .collect();
        assert_eq!(ids, [0, 1]);
    }

    #[test]
    fn collections_and_bad_input() {
        let l = read_str(
            r#"{"type":"GeometryCollection","geometries":[
                {"type":"LineString","coordinates":[[0,0],[1,1]]},
                {"type":"MultiLineString","coordinates":[[[2,2],[3,3]]]}]}"#,
        )
        .unwrap();
        let v = l.layer.vector().unwrap();
        let Geometry::MultiLineString(ls) = &v.features[0].geometry else {
            panic!()
        };
        assert_eq!(ls.len(), 2);
        for bad in [
            r#"{"type":"FeatureCollection"}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":["a",1]}}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}"#,
            r#"{"type":"Banana"}"#,
            r#"{"type":"FeatureCollection","features":[{"#,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},
               {"type":"LineString","coordinates":[[0,0],[1,1]]}]}"#,
        ] {
            let e = read_str(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("t.geojson: invalid GeoJSON"),
                "{e}"
            );
        }
    }
}
