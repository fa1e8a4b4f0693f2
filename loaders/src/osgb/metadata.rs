//! `metadata.xml`, which ContextCapture (and the tools that copy its
//! layout) writes beside an OSGB dataset's `Data/` folder: the spatial
//! reference (`<SRS>`) and the origin (`<SRSOrigin>`) that every tile's
//! coordinates are offsets from.
//!
//! ```xml
//! <ModelMetadata version="1">
//!   <SRS>EPSG:4547</SRS>
//!   <SRSOrigin>500000,2500000,0</SRSOrigin>
//! </ModelMetadata>
//! ```
//!
//! `<SRS>` is an EPSG code (`EPSG:4547`), a local east-north-up frame at a
//! latitude and longitude (`ENU:22.27,113.58`: latitude first), or WKT.

use cim_core::crs::CrsDef;
use cim_core::crs::enu::EnuFrame;
use glam::{DMat4, DVec3};

/// Where a dataset's coordinates are.
#[derive(Clone, Debug, PartialEq)]
pub enum Srs {
    /// A projected or other CRS PROJ knows (an EPSG code or WKT); tile
    /// coordinates plus the origin are coordinates in it.
    Crs(CrsDef),
    /// East-north-up metres about (latitude°, longitude°) on WGS 84.
    Enu { lat: f64, lon: f64 },
}

/// A dataset's `metadata.xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    pub srs: Srs,
    pub origin: DVec3,
}

impl Metadata {
    /// Reads `metadata.xml` text; the message says what is wrong.
    pub fn parse(text: &str) -> Result<Metadata, String> {
        let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
        let field = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
                .map(str::trim)
        };
        let srs_text = field("SRS").ok_or("no <SRS>")?;
        let srs = match srs_text.strip_prefix("ENU:") {
            Some(ll) => {
                let v = numbers(ll).filter(|v| v.len() == 2).ok_or_else(|| {
                    format!("<SRS>{}</SRS>: not ENU:latitude,longitude", clip(srs_text))
                })?;
                if !(-90.0..=90.0).contains(&v[0]) || !(-180.0..=180.0).contains(&v[1]) {
                    return Err(format!(
                        "<SRS>{}</SRS>: latitude or longitude out of range",
                        clip(srs_text)
                    ));
                }
                Srs::Enu {
                    lat: v[0],
                    lon: v[1],
                }
            }
            None => Srs::Crs(
                CrsDef::parse(srs_text)
                    .map_err(|e| format!("<SRS>{}</SRS>: {e}", clip(srs_text)))?,
            ),
        };
        let origin = match field("SRSOrigin") {
            None | Some("") => DVec3::ZERO,
            Some(o) => {
                let v = numbers(o)
                    .filter(|v| (2..=3).contains(&v.len()))
                    .ok_or_else(|| format!("<SRSOrigin>{}</SRSOrigin>: not x,y,z", clip(o)))?;
                DVec3::new(v[0], v[1], v.get(2).copied().unwrap_or(0.0))
            }
        };
        Ok(Metadata { srs, origin })
    }

    /// The CRS the placed tiles are in: the SRS, or earth-centred
    /// coordinates for an ENU frame.
    pub fn crs(&self) -> CrsDef {
        match &self.srs {
            Srs::Crs(c) => c.clone(),
            Srs::Enu { .. } => CrsDef::parse("EPSG:4978").expect("EPSG:4978 parses"),
        }
    }

    /// Tile coordinates → coordinates in [`Metadata::crs`].
    pub fn world(&self) -> DMat4 {
        let shift = DMat4::from_translation(self.origin);
        match self.srs {
            Srs::Crs(_) => shift,
            Srs::Enu { lat, lon } => {
                let f = EnuFrame::new(DVec3::new(lon, lat, 0.0));
                let o = f.enu_to_ecef(DVec3::ZERO);
                let axis = |v: DVec3| (f.enu_to_ecef(v) - o).extend(0.0);
                DMat4::from_cols(
                    axis(DVec3::X),
                    axis(DVec3::Y),
                    axis(DVec3::Z),
                    o.extend(1.0),
                ) * shift
            }
        }
    }
}

/// Comma-separated finite numbers.
fn numbers(s: &str) -> Option<Vec<f64>> {
    s.split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect()
}

fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    cim_core::message::clip(s, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epsg_code_and_an_origin() {
        let m = Metadata::parse(
            "<?xml version=\"1.0\"?><ModelMetadata version=\"1\"><SRS>EPSG:4547</SRS>\
             <SRSOrigin>500000, 2500000,12.5</SRSOrigin></ModelMetadata>",
        )
        .unwrap();
        assert_eq!(m.crs(), CrsDef::parse("EPSG:4547").unwrap());
        assert_eq!(
            m.world().transform_point3(DVec3::new(1.0, 2.0, 3.0)),
            DVec3::new(500001.0, 2500002.0, 15.5)
        );
    }

    #[test]
    fn an_enu_frame_is_latitude_first() {
        let m = Metadata::parse(
            "<ModelMetadata><SRS>ENU:22.27,113.58</SRS><SRSOrigin>0,0,0</SRSOrigin></ModelMetadata>",
        )
        .unwrap();
        assert_eq!(
            m.srs,
            Srs::Enu {
                lat: 22.27,
                lon: 113.58
            }
        );
        // 100 m up from the origin is 100 m above the ellipsoid there.
        let up = m.world().transform_point3(DVec3::new(0.0, 0.0, 100.0));
        let llh = cim_core::crs::enu::ecef_to_geodetic(up);
        assert!((llh.x - 113.58).abs() < 1e-9 && (llh.y - 22.27).abs() < 1e-9);
        assert!((llh.z - 100.0).abs() < 1e-6, "{}", llh.z);
    }

    #[test]
    fn bad_metadata_says_what_is_wrong() {
        let e = |t: &str| Metadata::parse(t).unwrap_err();
        assert!(e("<ModelMetadata/>").contains("no <SRS>"));
        assert!(e("<M><SRS>ENU:1</SRS></M>").contains("ENU:latitude,longitude"));
        assert!(e("<M><SRS>ENU:95,10</SRS></M>").contains("out of range"));
        assert!(e("<M><SRS>EPSG:4547</SRS><SRSOrigin>a,b</SRSOrigin></M>").contains("not x,y,z"));
        assert!(e("<M><SRS>EPSG:999999999</SRS></M>").contains("EPSG:999999999"));
        assert!(!e("<M>").is_empty());
    }
}
