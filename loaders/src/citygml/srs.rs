//! A CityGML `srsName` as a CRS: the forms GML writes EPSG codes in,
//! compound CRSs (horizontal + height), and the German surveying
//! authorities' (AdV) names that most published CityGML uses.

use cim_core::crs::CrsDef;

/// What an `srsName` says.
#[derive(Clone, Debug, PartialEq)]
pub struct Srs {
    /// The horizontal CRS, when PROJ-able: the scene places the model by
    /// it. Heights stay as written (orthometric, as terrain's are).
    pub horizontal: Option<CrsDef>,
    /// The height system of a compound CRS (`EPSG:5783`), for reports.
    pub vertical: Option<String>,
}

/// Reads `srs_name`. A local engineering CRS (`#local-CRS-1`) or a name
/// this does not know gives no horizontal CRS: the model's coordinates are
/// then taken as scene coordinates.
///
/// ```
/// use cim_loaders::citygml::srs::parse;
/// use cim_core::crs::CrsDef;
/// let s = parse("urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783");
/// assert_eq!(s.horizontal, Some(CrsDef::Code("EPSG:25832".into())));
/// assert_eq!(s.vertical.as_deref(), Some("EPSG:5783"));
/// let s = parse("urn:adv:crs:DE_DHDN_3GK4*DE_DHHN92_NH");
/// assert_eq!(s.horizontal, Some(CrsDef::Code("EPSG:31468".into())));
/// assert_eq!(parse("#local-CRS-1").horizontal, None);
/// ```
pub fn parse(srs_name: &str) -> Srs {
    let s = srs_name.trim();
    let (h, v) = match adv(s) {
        Some((h, v)) => (Some(h), v.map(str::to_string)),
        None => {
            let codes = epsg_codes(s);
            (codes.first().cloned(), codes.get(1).cloned())
        }
    };
    let horizontal = match h {
        Some(code) => CrsDef::parse(&code).ok(),
        // Anything else PROJ reads (WKT, a CRS name), but not a local
        // reference (`#id`) or an empty name.
        None if !s.is_empty() && !s.starts_with('#') => CrsDef::parse(s).ok(),
        None => None,
    };
    Srs {
        horizontal,
        vertical: v,
    }
}

/// The EPSG codes an `srsName` names, in order: `EPSG:3946`,
/// `urn:ogc:def:crs:EPSG::25832` (or `EPSG:6.12:…`), the compound
/// `urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783`,
/// `http://www.opengis.net/def/crs/EPSG/0/25832`,
/// `http://www.opengis.net/gml/srs/epsg.xml#25832`, `EPSG:25832+5783`.
fn epsg_codes(s: &str) -> Vec<String> {
    let lower = s.to_ascii_lowercase();
    if !lower.contains("epsg") {
        return Vec::new();
    }
    let code = |part: &str| -> Option<String> {
        let digits: String = part
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!digits.is_empty() && digits.len() <= 6).then(|| format!("EPSG:{digits}"))
    };
    if let Some(rest) = lower.strip_prefix("epsg:").filter(|r| r.contains('+')) {
        return rest.split('+').filter_map(code).collect();
    }
    lower
        .split(',')
        .filter(|p| p.contains("epsg"))
        .filter_map(code)
        .collect()
}

/// AdV names (`urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH`): horizontal EPSG
/// code and height system.
fn adv(s: &str) -> Option<(String, Option<&'static str>)> {
    let rest = s.strip_prefix("urn:adv:crs:")?;
    let (h, v) = rest.split_once('*').unwrap_or((rest, ""));
    let horizontal = match h {
        "ETRS89_UTM32" => 25832,
        "ETRS89_UTM33" => 25833,
        "DE_DHDN_3GK2" => 31466,
        "DE_DHDN_3GK3" => 31467,
        "DE_DHDN_3GK4" => 31468,
        "DE_DHDN_3GK5" => 31469,
        "ETRS89" | "ETRS89_Lat-Lon" => 4258,
        _ => return None,
    };
    let vertical = match v {
        "DE_DHHN92_NH" => Some("EPSG:5783"),
        "DE_DHHN2016_NH" => Some("EPSG:7837"),
        "DE_DHHN12_NOH" => Some("EPSG:5784"),
        _ => None,
    };
    Some((format!("EPSG:{horizontal}"), vertical))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_epsg_form_gml_writes() {
        for s in [
            "EPSG:3946",
            "urn:ogc:def:crs:EPSG::3946",
            "urn:ogc:def:crs:EPSG:6.12:3946",
            "http://www.opengis.net/def/crs/EPSG/0/3946",
            "http://www.opengis.net/gml/srs/epsg.xml#3946",
        ] {
            assert_eq!(
                parse(s).horizontal,
                Some(CrsDef::Code("EPSG:3946".into())),
                "{s}"
            );
        }
        let s = parse("EPSG:25832+5783");
        assert_eq!(s.horizontal, Some(CrsDef::Code("EPSG:25832".into())));
        assert_eq!(s.vertical.as_deref(), Some("EPSG:5783"));
    }

    #[test]
    fn unknown_names_are_no_crs() {
        assert_eq!(parse("urn:adv:crs:SOMEWHERE_ELSE").horizontal, None);
        assert_eq!(parse("").horizontal, None);
        assert_eq!(parse("EPSG:99999999").horizontal, None);
    }
}
