//! Describing a CRS to a person (`cim crs info`, the scene's CRS panel).

use serde::{Deserialize, Serialize};

use super::definition::CrsDef;
use super::error::CrsError;
use super::gcj02;
use super::proj_backend::with_query_ctx;

/// Geographic bounding box (degrees) where a CRS is meant to be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaOfUse {
    pub name: String,
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// What a CRS is, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrsInfo {
    pub name: String,
    /// One of `geographic`, `projected`, `geocentric`, `compound`,
    /// `engineering`, `vertical`, `temporal`, `other` (from PROJ), or
    /// `web-map` (GCJ-02, BD-09) and `local grid` (our local grids).
    pub kind: String,
    /// Axis unit names, distinct, comma-separated (e.g. `degree`, `metre`, `degree, metre`).
    pub units: String,
    pub area_of_use: Option<AreaOfUse>,
}

/// Looks a CRS up (PROJ for registry definitions).
///
/// ```
/// let info = cim_core::crs::crs_info(&cim_core::crs::CrsDef::parse("EPSG:4549").unwrap()).unwrap();
/// assert_eq!(info.kind, "projected");
/// assert_eq!(info.units, "metre");
/// assert!(info.name.contains("120E"));
/// ```
pub fn crs_info(def: &CrsDef) -> Result<CrsInfo, CrsError> {
    match def {
        CrsDef::Code(code) => with_query_ctx(|ctx| {
            let crs = ctx.create_crs(code)?;
            let meta = ctx.describe(&crs);
            Ok(CrsInfo {
                name: meta.name,
                kind: meta.kind.to_string(),
                units: meta.units,
                area_of_use: meta
                    .area
                    .map(|(name, [west, south, east, north])| AreaOfUse {
                        name,
                        west,
                        south,
                        east,
                        north,
                    }),
            })
        }),
        CrsDef::Gcj02 | CrsDef::Bd09 => Ok(CrsInfo {
            name: if *def == CrsDef::Gcj02 {
                "GCJ-02 (Chinese web-map longitude/latitude, shifted from WGS 84)".to_string()
            } else {
                "BD-09 (Baidu map longitude/latitude, shifted from GCJ-02)".to_string()
            },
            kind: "web-map".to_string(),
            units: "degree".to_string(),
            area_of_use: Some(gcj02_area()),
        }),
        CrsDef::LocalTm(grid) => {
            grid.validate()?;
            // Surfaces a bad base definition here rather than at first use.
            with_query_ctx(|ctx| ctx.create_crs(&grid.base).map(|_| ()))?;
            Ok(CrsInfo {
                name: def.label(),
                kind: "local grid".to_string(),
                units: "metre".to_string(),
                area_of_use: None,
            })
        }
        CrsDef::Similarity(grid) => local_on_base(def, &grid.base, grid.validate()),
        CrsDef::Helmert(grid) => local_on_base(def, &grid.base, grid.validate()),
    }
}

/// Similarity/Helmert grids keep their base's units and area.
fn local_on_base(
    def: &CrsDef,
    base: &CrsDef,
    valid: Result<(), CrsError>,
) -> Result<CrsInfo, CrsError> {
    valid?;
    let base = crs_info(base)?;
    Ok(CrsInfo {
        name: def.label(),
        kind: "local grid".to_string(),
        units: base.units,
        area_of_use: base.area_of_use,
    })
}

/// The rectangle in which the GCJ-02 shift is applied.
fn gcj02_area() -> AreaOfUse {
    let [west, south, east, north] = gcj02::SHIFT_AREA;
    AreaOfUse {
        name: "China (rectangle where the GCJ-02 shift applies; identity outside)".to_string(),
        west,
        south,
        east,
        north,
    }
}

/// `true` for longitude/latitude CRSs (including GCJ-02, BD-09 and compound CRSs
/// with a geographic horizontal part); `false` for anything else or on error.
///
/// ```
/// use cim_core::crs::{CrsDef, is_geographic};
/// assert!(is_geographic(&CrsDef::cgcs2000()));
/// assert!(!is_geographic(&CrsDef::parse("EPSG:3857").unwrap()));
/// ```
pub fn is_geographic(def: &CrsDef) -> bool {
    match def {
        CrsDef::Code(code) => with_query_ctx(|ctx| {
            ctx.create_crs(code)
                .map(|crs| ctx.describe(&crs).geographic)
                .unwrap_or(false)
        }),
        CrsDef::Gcj02 | CrsDef::Bd09 => true,
        CrsDef::LocalTm(_) | CrsDef::Similarity(_) | CrsDef::Helmert(_) => false,
    }
}

/// `true` when the CRS's registered first axis points north or south (e.g.
/// EPSG:4326 and EPSG:4490 are latitude-first, the CGCS2000 Gauss–Krüger
/// CRSs northing-first). Our own interfaces are always easting-first (see
/// [`crate::crs`]); this is for reading formats that follow the registry's
/// axis order, such as WMTS `TopLeftCorner` (OGC 07-057r7 §6.1). `false` for
/// our non-registry CRSs and on error.
///
/// ```
/// use cim_core::crs::{CrsDef, is_north_first};
/// assert!(is_north_first(&CrsDef::cgcs2000()));
/// assert!(!is_north_first(&CrsDef::parse("EPSG:3857").unwrap()));
/// assert!(!is_north_first(&CrsDef::parse("OGC:CRS84").unwrap()));
/// ```
pub fn is_north_first(def: &CrsDef) -> bool {
    match def {
        CrsDef::Code(code) => with_query_ctx(|ctx| {
            ctx.create_crs(code)
                .ok()
                .and_then(|crs| ctx.first_axis_direction(&crs))
                .is_some_and(|d| d == "north" || d == "south")
        }),
        _ => false,
    }
}

impl CrsDef {
    /// See [`is_geographic`].
    pub fn is_geographic(&self) -> bool {
        is_geographic(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::LocalTm;

    #[test]
    fn registry_crs_info() {
        let i = crs_info(&CrsDef::cgcs2000()).unwrap();
        assert_eq!(
            (i.name.as_str(), i.kind.as_str(), i.units.as_str()),
            (
                "China Geodetic Coordinate System 2000",
                "geographic",
                "degree"
            )
        );
        let a = i.area_of_use.unwrap();
        assert!(
            a.west < 74.0 && a.east > 134.0 && a.name.contains("China"),
            "{a:?}"
        );
        assert_eq!(
            crs_info(&CrsDef::parse("EPSG:4978").unwrap()).unwrap().kind,
            "geocentric"
        );
        let zone = crs_info(&CrsDef::parse("EPSG:4513").unwrap()).unwrap();
        assert_eq!(zone.kind, "projected");
        assert!(zone.name.contains("zone 25"), "{}", zone.name);
        let wm = crs_info(&CrsDef::parse("EPSG:3857").unwrap()).unwrap();
        assert_eq!(
            (wm.kind.as_str(), wm.units.as_str()),
            ("projected", "metre")
        );
        let c = crs_info(&CrsDef::parse("EPSG:4326+5773").unwrap()).unwrap();
        assert_eq!(
            (c.kind.as_str(), c.units.as_str()),
            ("compound", "degree, metre")
        );
        assert!(is_geographic(&CrsDef::parse("EPSG:4326+5773").unwrap()));
        let g3 = crs_info(&CrsDef::parse("EPSG:4979").unwrap()).unwrap();
        assert_eq!(g3.units, "degree, metre");
        assert!(
            crs_info(&CrsDef::Code("EPSG:0".into()))
                .unwrap_err()
                .to_string()
                .contains("EPSG:0")
        );
    }

    #[test]
    fn own_kinds() {
        let g = crs_info(&CrsDef::Gcj02).unwrap();
        assert_eq!(g.kind, "web-map");
        assert!(g.area_of_use.unwrap().west == 72.004);
        assert!(gcj02::out_of_china(72.0, 30.0));
        let l = crs_info(&CrsDef::LocalTm(LocalTm::gauss_kruger(120.0))).unwrap();
        assert_eq!((l.kind.as_str(), l.units.as_str()), ("local grid", "metre"));
        assert!(is_geographic(&CrsDef::Bd09));
        assert!(
            CrsDef::parse("+proj=longlat +ellps=GRS80")
                .unwrap()
                .is_geographic()
        );
        assert!(!is_geographic(&CrsDef::parse("EPSG:4978").unwrap()));
        assert!(!is_geographic(&CrsDef::Code("EPSG:99999".into())));
    }
}
