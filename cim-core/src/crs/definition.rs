//! [`CrsDef`]: how a coordinate reference system is named in documents, the CLI
//! and the API.
//!
//! Anything PROJ understands is kept verbatim as [`CrsDef::Code`] (EPSG codes,
//! PROJ strings, WKT, PROJJSON, CRS names), so PROJ stays the single authority
//! for registry CRSs. The Chinese web-map datums and local city grids, which
//! are not in any registry, get their own variants.
//!
//! Serialization (TOML/JSON): `Code`, `Gcj02` and `Bd09` are plain strings
//! (`crs = "EPSG:4526"`, `crs = "GCJ-02"`); the local grids are tables keyed by
//! their kind:
//!
//! ```toml
//! [crs.local_tm]
//! name = "City grid"
//! central_meridian = 120.5
//! false_easting = 50000.0
//! projection_height = 35.0
//! ```

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::error::CrsError;
use super::local_grid::{Helmert, LocalTm, Similarity};

/// A coordinate reference system definition. See the module docs for the forms.
///
/// ```
/// use cim_core::crs::CrsDef;
/// assert_eq!(CrsDef::parse("epsg:4526").unwrap(), CrsDef::Code("EPSG:4526".into()));
/// assert_eq!(CrsDef::parse("GCJ-02").unwrap(), CrsDef::Gcj02);
/// let err = CrsDef::parse("EPSG:99999999").unwrap_err().to_string();
/// assert!(err.contains("EPSG:99999999"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Repr", into = "Repr")]
pub enum CrsDef {
    /// Any definition PROJ accepts: `"EPSG:4526"`, `"+proj=utm +zone=50 +type=crs"`,
    /// WKT1/WKT2, PROJJSON, `"urn:ogc:def:crs:EPSG::4326"`, a CRS name.
    Code(String),
    /// GCJ-02 longitude/latitude (degrees), derived from WGS 84.
    Gcj02,
    /// BD-09 longitude/latitude (degrees), derived from GCJ-02.
    Bd09,
    /// A custom transverse Mercator grid on a geographic base.
    LocalTm(LocalTm),
    /// A plane 4-parameter similarity on top of another CRS.
    Similarity(Similarity),
    /// A 7-parameter Helmert on top of another CRS.
    Helmert(Helmert),
}

impl CrsDef {
    /// WGS 84 geographic 2-D (EPSG:4326), lon/lat on our interfaces.
    pub fn wgs84() -> CrsDef {
        CrsDef::Code("EPSG:4326".to_string())
    }

    /// CGCS2000 geographic 2-D (EPSG:4490), lon/lat on our interfaces.
    pub fn cgcs2000() -> CrsDef {
        CrsDef::Code("EPSG:4490".to_string())
    }

    /// Parses a user-typed definition and, for PROJ definitions, checks with
    /// PROJ that it denotes a CRS, so errors surface where the text was typed.
    ///
    /// Accepted: `EPSG:4490`/`epsg:4490`/`4490`, any `AUTHORITY:CODE`,
    /// PROJ strings (`+proj=...`; `+type=crs` is added when missing), WKT,
    /// PROJJSON, OGC URNs, CRS names known to PROJ, `WGS84`, `CGCS2000`,
    /// `GCJ02`/`GCJ-02`, `BD09`/`BD-09`.
    pub fn parse(s: &str) -> Result<CrsDef, CrsError> {
        let def = CrsDef::parse_syntax(s)?;
        if let CrsDef::Code(code) = &def {
            super::proj_backend::validate_crs(code)?;
        }
        Ok(def)
    }

    /// Classifies and normalizes the text without asking PROJ (used when
    /// loading documents, where PROJ errors are reported on first use instead).
    pub fn parse_syntax(s: &str) -> Result<CrsDef, CrsError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(CrsError::Empty);
        }
        let squashed: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        match squashed.as_str() {
            "GCJ02" | "GCJ" | "MARS" => return Ok(CrsDef::Gcj02),
            "BD09" | "BD09LL" | "BAIDU" => return Ok(CrsDef::Bd09),
            "WGS84" => return Ok(CrsDef::wgs84()),
            "CGCS2000" => return Ok(CrsDef::cgcs2000()),
            _ => {}
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(CrsDef::Code(format!("EPSG:{s}")));
        }
        if s.starts_with('+') || s.starts_with("proj=") {
            return Ok(CrsDef::Code(normalize_proj_string(s)));
        }
        if let Some((auth, code)) = split_authority_code(s) {
            if code.is_empty() {
                return Err(CrsError::Syntax {
                    input: s.to_string(),
                    reason: format!("missing code after \"{auth}:\""),
                });
            }
            if auth.eq_ignore_ascii_case("EPSG") && !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CrsError::Syntax {
                    input: s.to_string(),
                    reason: "EPSG codes are whole numbers, e.g. EPSG:4490".to_string(),
                });
            }
            return Ok(CrsDef::Code(format!(
                "{}:{code}",
                auth.to_ascii_uppercase()
            )));
        }
        // WKT, PROJJSON, URNs and CRS names are left to PROJ.
        Ok(CrsDef::Code(s.to_string()))
    }

    /// A short human-readable label for lists and status bars (no PROJ lookup).
    pub fn label(&self) -> String {
        match self {
            CrsDef::Code(code) => code_label(code),
            CrsDef::Gcj02 => "GCJ-02".to_string(),
            CrsDef::Bd09 => "BD-09".to_string(),
            CrsDef::LocalTm(g) if !g.name.is_empty() => g.name.clone(),
            CrsDef::LocalTm(g) => format!(
                "Local TM {}°E on {}",
                g.central_meridian,
                code_label(&g.base)
            ),
            CrsDef::Similarity(g) if !g.name.is_empty() => g.name.clone(),
            CrsDef::Similarity(g) => format!("Similarity on {}", g.base.label()),
            CrsDef::Helmert(g) if !g.name.is_empty() => g.name.clone(),
            CrsDef::Helmert(g) => format!("Helmert on {}", g.base.label()),
        }
    }
}

impl fmt::Display for CrsDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for CrsDef {
    type Err = CrsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CrsDef::parse(s)
    }
}

/// `AUTH:CODE` where AUTH is an identifier (EPSG, ESRI, IGNF, IAU_2015, ...).
fn split_authority_code(s: &str) -> Option<(&str, &str)> {
    let (auth, code) = s.split_once(':')?;
    let auth_ok = !auth.is_empty()
        && auth.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && auth.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !auth.eq_ignore_ascii_case("urn");
    let code_ok = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (auth_ok && code_ok).then_some((auth, code.trim()))
}

/// PROJ strings describe operations unless they say `+type=crs`; a user typing
/// a PROJ string as a CRS means the CRS.
fn normalize_proj_string(s: &str) -> String {
    let is_pipeline = s.contains("proj=pipeline");
    if is_pipeline
        || s.split_whitespace()
            .any(|t| t.trim_start_matches('+') == "type=crs")
    {
        s.to_string()
    } else {
        format!("{s} +type=crs")
    }
}

/// Label of a PROJ definition: the CRS name from WKT/PROJJSON, else the text, shortened.
fn code_label(code: &str) -> String {
    let t = code.trim_start();
    let name = if t.starts_with('{') {
        t.find("\"name\"").and_then(|i| quoted(&t[i + 6..]))
    } else if t.contains('[') && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        quoted(t)
    } else {
        None
    };
    let text = name.unwrap_or(t);
    const MAX: usize = 60;
    if text.chars().count() > MAX {
        let short: String = text.chars().take(MAX - 1).collect();
        format!("{short}…")
    } else {
        text.to_string()
    }
}

/// The first `"..."` string in `s`.
fn quoted(s: &str) -> Option<&str> {
    let start = s.find('"')? + 1;
    let len = s[start..].find('"')?;
    Some(&s[start..start + len])
}

/// Serialized shape of [`CrsDef`]: strings for the registry-like forms, a table for grids.
#[derive(Clone)]
enum Repr {
    Text(String),
    LocalTm(LocalTm),
    Similarity(Similarity),
    Helmert(Helmert),
}

impl From<CrsDef> for Repr {
    fn from(d: CrsDef) -> Repr {
        match d {
            CrsDef::Code(s) => Repr::Text(s),
            CrsDef::Gcj02 => Repr::Text("GCJ-02".to_string()),
            CrsDef::Bd09 => Repr::Text("BD-09".to_string()),
            CrsDef::LocalTm(g) => Repr::LocalTm(g),
            CrsDef::Similarity(g) => Repr::Similarity(g),
            CrsDef::Helmert(g) => Repr::Helmert(g),
        }
    }
}

impl From<Repr> for CrsDef {
    fn from(r: Repr) -> CrsDef {
        match r {
            // Already validated by `parse_syntax` in `Deserialize for Repr`.
            Repr::Text(s) => CrsDef::parse_syntax(&s).unwrap_or(CrsDef::Code(s)),
            Repr::LocalTm(g) => CrsDef::LocalTm(g),
            Repr::Similarity(g) => CrsDef::Similarity(g),
            Repr::Helmert(g) => CrsDef::Helmert(g),
        }
    }
}

impl Serialize for Repr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Repr::Text(t) => s.serialize_str(t),
            Repr::LocalTm(g) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("local_tm", g)?;
                m.end()
            }
            Repr::Similarity(g) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("similarity", g)?;
                m.end()
            }
            Repr::Helmert(g) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("helmert", g)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Repr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Repr, D::Error> {
        struct ReprVisitor;
        impl<'de> Visitor<'de> for ReprVisitor {
            type Value = Repr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a CRS string (\"EPSG:4526\", PROJ string, WKT, \"GCJ-02\", \"BD-09\") \
                     or a table with one key: code, local_tm, similarity or helmert",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Repr, E> {
                CrsDef::parse_syntax(v)
                    .map(|d| d.into())
                    .map_err(|e| E::custom(e.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Repr, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("empty CRS table"));
                };
                let repr = match key.as_str() {
                    "code" => {
                        let s: String = map.next_value()?;
                        self.visit_str(&s)?
                    }
                    "local_tm" => Repr::LocalTm(map.next_value()?),
                    "similarity" => Repr::Similarity(map.next_value()?),
                    "helmert" => Repr::Helmert(map.next_value()?),
                    other => {
                        return Err(de::Error::unknown_variant(
                            other,
                            &["code", "local_tm", "similarity", "helmert"],
                        ));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a CRS table has exactly one key, found also `{extra}`"
                    )));
                }
                Ok(repr)
            }
        }
        d.deserialize_any(ReprVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_forms() {
        let code = |s: &str| CrsDef::Code(s.to_string());
        assert_eq!(
            CrsDef::parse_syntax("epsg:4526").unwrap(),
            code("EPSG:4526")
        );
        assert_eq!(CrsDef::parse_syntax(" 4490 ").unwrap(), code("EPSG:4490"));
        assert_eq!(CrsDef::parse_syntax("gcj02").unwrap(), CrsDef::Gcj02);
        assert_eq!(CrsDef::parse_syntax("GCJ-02").unwrap(), CrsDef::Gcj02);
        assert_eq!(CrsDef::parse_syntax("bd-09").unwrap(), CrsDef::Bd09);
        assert_eq!(CrsDef::parse_syntax("WGS 84").unwrap(), CrsDef::wgs84());
        assert_eq!(
            CrsDef::parse_syntax("cgcs2000").unwrap(),
            CrsDef::cgcs2000()
        );
        assert_eq!(
            CrsDef::parse_syntax("+proj=utm +zone=50 +ellps=GRS80").unwrap(),
            code("+proj=utm +zone=50 +ellps=GRS80 +type=crs")
        );
        assert_eq!(
            CrsDef::parse_syntax("+proj=longlat +type=crs").unwrap(),
            code("+proj=longlat +type=crs")
        );
        let wkt = r#"GEOGCRS["WGS 84",DATUM["World Geodetic System 1984"]]"#;
        assert_eq!(CrsDef::parse_syntax(wkt).unwrap(), code(wkt));
        assert_eq!(
            CrsDef::parse_syntax("urn:ogc:def:crs:EPSG::4326").unwrap(),
            code("urn:ogc:def:crs:EPSG::4326")
        );
    }

    #[test]
    fn syntax_errors_name_the_input() {
        assert!(matches!(CrsDef::parse_syntax("  "), Err(CrsError::Empty)));
        let e = CrsDef::parse_syntax("EPSG:45x6").unwrap_err().to_string();
        assert!(
            e.contains("EPSG:45x6") && e.contains("whole numbers"),
            "{e}"
        );
        let e = CrsDef::parse_syntax("EPSG:").unwrap_err().to_string();
        assert!(e.contains("missing code"), "{e}");
    }

    #[test]
    fn labels() {
        assert_eq!(
            CrsDef::parse_syntax("EPSG:4549").unwrap().label(),
            "EPSG:4549"
        );
        let wkt = r#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",BASEGEOGCRS[]]"#;
        assert_eq!(
            CrsDef::Code(wkt.into()).label(),
            "CGCS2000 / 3-degree Gauss-Kruger CM 120E"
        );
        let mut g = LocalTm::gauss_kruger(120.5);
        assert_eq!(
            CrsDef::LocalTm(g.clone()).label(),
            "Local TM 120.5°E on EPSG:4490"
        );
        g.name = "Hangzhou city grid".into();
        assert_eq!(CrsDef::LocalTm(g).label(), "Hangzhou city grid");
        assert_eq!(CrsDef::Bd09.to_string(), "BD-09");
    }

    #[test]
    fn serde_round_trip_toml_and_json() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Doc {
            crs: Vec<CrsDef>,
        }
        let mut tm = LocalTm::gauss_kruger(120.5);
        tm.name = "city".into();
        tm.projection_height = 35.0;
        let doc = Doc {
            crs: vec![
                CrsDef::Code("EPSG:4526".into()),
                CrsDef::Gcj02,
                CrsDef::Bd09,
                CrsDef::LocalTm(tm.clone()),
                CrsDef::Similarity(Similarity {
                    name: String::new(),
                    base: Box::new(CrsDef::LocalTm(tm)),
                    dx: 1.0,
                    dy: 2.0,
                    rotation_deg: 0.5,
                    scale: 1.000_01,
                }),
                CrsDef::Helmert(Helmert {
                    name: "h".into(),
                    base: Box::new(CrsDef::Code("EPSG:4479".into())),
                    tx: 1.0,
                    ty: 2.0,
                    tz: 3.0,
                    rx: 0.1,
                    ry: 0.2,
                    rz: 0.3,
                    scale_ppm: 1.5,
                    convention: crate::crs::HelmertConvention::CoordinateFrame,
                }),
            ],
        };
        let toml_text = toml::to_string(&doc).unwrap();
        assert!(toml_text.contains("\"EPSG:4526\"") && toml_text.contains("\"GCJ-02\""));
        let back: Doc = toml::from_str(&toml_text).unwrap();
        assert_eq!(back, doc, "{toml_text}");
        let json = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<Doc>(&json).unwrap(), doc);

        // Hand-written TOML with defaults and the `code` table form.
        let text = r#"
            crs = [ "epsg:4490", { code = "bd09" }, { local_tm = { central_meridian = 120.5, false_easting = 50000.0 } } ]
        "#;
        let d: Doc = toml::from_str(text).unwrap();
        assert_eq!(d.crs[0], CrsDef::cgcs2000());
        assert_eq!(d.crs[1], CrsDef::Bd09);
        let CrsDef::LocalTm(g) = &d.crs[2] else {
            panic!("{:?}", d.crs[2])
        };
        assert_eq!(
            (g.base.as_str(), g.scale_factor, g.latitude_of_origin),
            ("EPSG:4490", 1.0, 0.0)
        );

        let err = toml::from_str::<Doc>(r#"crs = [ { mercator = {} } ]"#).unwrap_err();
        assert!(err.to_string().contains("mercator"), "{err}");
        let err = toml::from_str::<Doc>(r#"crs = [ "EPSG:12a" ]"#).unwrap_err();
        assert!(err.to_string().contains("EPSG:12a"), "{err}");
        let err = toml::from_str::<Doc>(
            r#"crs = [ { local_tm = { central_meridian = 1.0, false_easting = 0.0, k = 1.0 } } ]"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains('k'), "{err}");
    }
}
