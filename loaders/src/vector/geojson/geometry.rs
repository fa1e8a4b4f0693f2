//! GeoJSON geometry objects (RFC 7946 §3.1), deserialized straight into
//! [`Geometry`]: positions become `DVec3`s as they are read, with no
//! `serde_json::Value` in between.

use super::*;

/// A geometry object (or `null`).
pub(super) struct GeomSeed;

impl<'de> DeserializeSeed<'de> for GeomSeed {
    type Value = GeomResult;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<GeomResult, D::Error> {
        d.deserialize_any(self)
    }
}

const NO_TYPE: &str = "geometry without a \"type\"";

impl<'de> Visitor<'de> for GeomSeed {
    type Value = GeomResult;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry object or null")
    }
    fn visit_unit<E>(self) -> Result<GeomResult, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<GeomResult, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GeomResult, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<GeomResult, A::Error> {
        let (mut ty, mut coords, mut members) = (None, None, None);
        while let Some(key) = m.next_key::<Key>()? {
            match key {
                Key::Type => ty = type_name(&mut m)?,
                Key::Coordinates => coords = Some(m.next_value_seed(CoordsSeed)?),
                Key::Geometries => members = Some(m.next_value_seed(MembersSeed)?),
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(match ty {
            None => Err(NO_TYPE.to_string()),
            Some(ty) => interpret(&ty, coords, members),
        }))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<GeomResult, A::Error> {
        drain_seq(&mut s)?;
        Ok(Some(Err(NO_TYPE.to_string())))
    }
    fn visit_bool<E>(self, _: bool) -> Result<GeomResult, E> {
        Ok(Some(Err(NO_TYPE.to_string())))
    }
    fn visit_i64<E>(self, _: i64) -> Result<GeomResult, E> {
        Ok(Some(Err(NO_TYPE.to_string())))
    }
    fn visit_u64<E>(self, _: u64) -> Result<GeomResult, E> {
        Ok(Some(Err(NO_TYPE.to_string())))
    }
    fn visit_f64<E>(self, _: f64) -> Result<GeomResult, E> {
        Ok(Some(Err(NO_TYPE.to_string())))
    }
    fn visit_str<E>(self, _: &str) -> Result<GeomResult, E> {
        Ok(Some(Err(NO_TYPE.to_string())))
    }
}

/// A GeometryCollection's `geometries`: each member's geometry, or why the
/// member is not one; `Err` when `geometries` is not an array.
pub(super) type Members = Result<Vec<Result<Option<Geometry>, String>>, String>;

const NO_MEMBERS: &str = "GeometryCollection without a \"geometries\" array";

pub(super) struct MembersSeed;

impl<'de> DeserializeSeed<'de> for MembersSeed {
    type Value = Members;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed {
    type Value = Members;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of geometries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Members, A::Error> {
        let mut out = Vec::new();
        while let Some(g) = s.next_element_seed(GeomSeed)? {
            out.push(g.unwrap_or_else(|| Err(NO_TYPE.to_string())));
        }
        Ok(Ok(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Members, A::Error> {
        drain_map(&mut m)?;
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
    fn visit_str<E>(self, _: &str) -> Result<Members, E> {
        Ok(Err(NO_MEMBERS.to_string()))
    }
}

/// A `coordinates` value as nested arrays, read before the geometry's type
/// may be known (members come in any order).
#[derive(Debug)]
pub(super) enum Coords {
    /// A number (a member of a position).
    Num(f64),
    /// `[]`.
    Empty,
    /// `[x, y]` or `[x, y, z, …]` (members after z are ignored).
    Pos(DVec3),
    /// `[[x, y], …]`.
    Line(Vec<DVec3>),
    /// `[[[…]]]`: lines, empty arrays or deeper lists.
    Nested(Vec<Coords>),
    /// A value that is neither number nor array, described for messages.
    NotNumber(String),
    /// Not coordinates: the first problem found (the rest is skipped).
    Bad(String),
}

const NOT_AN_ARRAY: &str = "a position must be an array of numbers";
const NOT_NESTED: &str = "\"coordinates\" must be nested arrays";
const MIXED: &str = "\"coordinates\" mix positions and arrays of positions";

impl Coords {
    /// What this is, where a number was expected.
    fn describe(&self) -> String {
        match self {
            Coords::NotNumber(d) => d.clone(),
            Coords::Num(v) => json_number(*v),
            _ => "an array".to_string(),
        }
    }
}

pub(super) struct CoordsSeed;

impl<'de> DeserializeSeed<'de> for CoordsSeed {
    type Value = Coords;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Coords, D::Error> {
        d.deserialize_any(self)
    }
}

/// Skips the rest of `seq` and gives `result`.
fn skip_rest<'de, A: SeqAccess<'de>>(mut seq: A, result: Coords) -> Result<Coords, A::Error> {
    drain_seq(&mut seq)?;
    Ok(result)
}

impl<'de> Visitor<'de> for CoordsSeed {
    type Value = Coords;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("coordinates")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Coords, E> {
        Ok(Coords::Num(v))
    }
    fn visit_str<E>(self, s: &str) -> Result<Coords, E> {
        Ok(Coords::NotNumber(format!("\"{}\"", quote(s))))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Coords, E> {
        Ok(Coords::NotNumber(b.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Coords, E> {
        Ok(Coords::NotNumber("null".to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Coords, A::Error> {
        drain_map(&mut m)?;
        Ok(Coords::NotNumber("an object".to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coords, A::Error> {
        let Some(first) = seq.next_element_seed(CoordsSeed)? else {
            return Ok(Coords::Empty);
        };
        match first {
            Coords::Num(x) => {
                let mut v = [x, 0.0, 0.0];
                let mut n = 1;
                loop {
                    if n < 3 {
                        match seq.next_element_seed(CoordsSeed)? {
                            None => break,
                            Some(Coords::Num(x)) => v[n] = x,
                            Some(Coords::Bad(e)) => return skip_rest(seq, Coords::Bad(e)),
                            Some(other) => {
                                let e = format!(
                                    "position member {n} is not a number: {}",
                                    other.describe()
                                );
                                return skip_rest(seq, Coords::Bad(e));
                            }
                        }
                    } else if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                    n += 1;
                }
                Ok(if n < 2 {
                    Coords::Bad(format!("a position needs at least 2 numbers, got {n}"))
                } else {
                    Coords::Pos(DVec3::new(v[0], v[1], v[2]))
                })
            }
            Coords::Pos(p) => {
                let mut line = vec![p];
                while let Some(c) = seq.next_element_seed(CoordsSeed)? {
                    let bad = match c {
                        Coords::Pos(p) => {
                            line.push(p);
                            continue;
                        }
                        Coords::Bad(e) => e,
                        Coords::Empty => "a position needs at least 2 numbers, got 0".to_string(),
                        Coords::Num(_) | Coords::NotNumber(_) => NOT_AN_ARRAY.to_string(),
                        Coords::Line(_) | Coords::Nested(_) => MIXED.to_string(),
                    };
                    return skip_rest(seq, Coords::Bad(bad));
                }
                line.shrink_to_fit();
                Ok(Coords::Line(line))
            }
            c @ (Coords::Empty | Coords::Line(_) | Coords::Nested(_)) => {
                let mut list = vec![c];
                while let Some(c) = seq.next_element_seed(CoordsSeed)? {
                    let bad = match c {
                        Coords::Empty | Coords::Line(_) | Coords::Nested(_) => {
                            list.push(c);
                            continue;
                        }
                        Coords::Bad(e) => e,
                        Coords::Pos(_) => MIXED.to_string(),
                        Coords::Num(_) | Coords::NotNumber(_) => NOT_NESTED.to_string(),
                    };
                    return skip_rest(seq, Coords::Bad(bad));
                }
                list.shrink_to_fit();
                Ok(Coords::Nested(list))
            }
            Coords::NotNumber(d) => skip_rest(
                seq,
                Coords::Bad(format!("position member 0 is not a number: {d}")),
            ),
            bad @ Coords::Bad(_) => skip_rest(seq, bad),
        }
    }
}

fn position(c: Coords) -> Result<DVec3, String> {
    match c {
        Coords::Pos(p) => Ok(p),
        Coords::Bad(e) => Err(e),
        Coords::Num(_) | Coords::NotNumber(_) => Err(NOT_AN_ARRAY.into()),
        Coords::Empty => Err("a position needs at least 2 numbers, got 0".into()),
        Coords::Line(_) | Coords::Nested(_) => {
            Err("position member 0 is not a number: an array".into())
        }
    }
}

fn positions(c: Coords) -> Result<Vec<DVec3>, String> {
    match c {
        Coords::Line(v) => Ok(v),
        Coords::Empty => Ok(Vec::new()),
        Coords::Bad(e) => Err(e),
        Coords::Pos(_) => Err(NOT_AN_ARRAY.into()),
        Coords::Num(_) | Coords::NotNumber(_) => Err(NOT_NESTED.into()),
        Coords::Nested(_) => Err("position member 0 is not a number: an array".into()),
    }
}

/// The members of an array of arrays.
fn list(c: Coords) -> Result<Vec<Coords>, String> {
    match c {
        Coords::Nested(v) => Ok(v),
        Coords::Empty => Ok(Vec::new()),
        // Positions where lists of them belong: the members say what is wrong.
        Coords::Line(v) => Ok(v.into_iter().map(Coords::Pos).collect()),
        Coords::Bad(e) => Err(e),
        Coords::Pos(_) | Coords::Num(_) | Coords::NotNumber(_) => Err(NOT_NESTED.into()),
    }
}

fn polygon(c: Coords) -> Result<Option<Polygon>, String> {
    let mut rings = list(c)?
        .into_iter()
        .map(|r| positions(r).map(finish::open_ring))
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

/// Builds the geometry of type `ty` from its members; `None` for an empty
/// geometry.
pub(super) fn interpret(
    ty: &str,
    coords: Option<Coords>,
    members: Option<Members>,
) -> Result<Option<Geometry>, String> {
    if ty == "GeometryCollection" {
        let members = members.unwrap_or_else(|| Err(NO_MEMBERS.to_string()))?;
        let parts = members.into_iter().collect::<Result<Vec<_>, _>>()?;
        return finish::merge_collection(parts.into_iter().flatten().collect());
    }
    let c = coords.ok_or_else(|| format!("{} without \"coordinates\"", quote(ty)))?;
    if matches!(c, Coords::Empty) {
        return Ok(None);
    }
    Ok(Some(match ty {
        "Point" => Geometry::Point(position(c)?),
        "MultiPoint" => Geometry::MultiPoint(positions(c)?),
        "LineString" => Geometry::LineString(positions(c)?),
        "MultiLineString" => Geometry::MultiLineString(
            list(c)?
                .into_iter()
                .map(positions)
                .collect::<Result<_, _>>()?,
        ),
        "Polygon" => match polygon(c)? {
            Some(p) => Geometry::Polygon(p),
            None => return Ok(None),
        },
        "MultiPolygon" => Geometry::MultiPolygon(
            list(c)?
                .into_iter()
                .map(polygon)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect(),
        ),
        other => return Err(format!("unknown geometry type \"{}\"", quote(other))),
    }))
}

/// Parses a GeoJSON geometry object; `None` for an empty geometry.
pub fn geometry(g: &Value) -> Result<Option<Geometry>, String> {
    match GeomSeed.deserialize(g).map_err(|e| e.to_string())? {
        None => Err(NO_TYPE.to_string()),
        Some(r) => r,
    }
}
