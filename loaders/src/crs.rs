//! The loaders' side of coordinate reference systems: turning what a file
//! declares (a `.prj` WKT, a GeoJSON `crs` member, a GeoTIFF EPSG code, a
//! GeoPackage `gpkg_spatial_ref_sys` row) into a [`CrsDef`], and bounding
//! boxes into WGS 84 for `cim inspect`. The work is done by `cim_core::crs`.

use cim_core::DVec3;
use cim_core::crs::{CrsDef, Transformer};

/// Parses a CRS definition (WKT as found in `.prj` files, `EPSG:n`, a PROJ
/// string). The error is cim-core's message, with the input it quotes cut
/// to [`cim_core::message::MAX_QUOTED_CHARS`] (a `.prj` may be a megabyte of
/// anything) and control characters escaped.
pub(crate) fn parse(text: &str) -> Result<CrsDef, String> {
    let text = text.trim_start_matches('\u{feff}').trim();
    CrsDef::parse(text).map_err(|e| bounded_error(text, &e.to_string()))
}

/// `msg` with the copy of `input` it quotes (as `{:?}`) replaced by a
/// bounded quote, and cut to a bounded length in any case.
fn bounded_error(input: &str, msg: &str) -> String {
    let quoted = format!("{input:?}");
    let msg = if input.chars().count() > cim_core::message::MAX_QUOTED_CHARS {
        msg.replacen(
            &quoted,
            &format!("\"{}\"", cim_core::message::quote(input)),
            1,
        )
    } else {
        msg.to_string()
    };
    cim_core::message::clip(&msg, 3 * cim_core::message::MAX_QUOTED_CHARS).into_owned()
}

/// The CRS with EPSG code `code`.
pub(crate) fn epsg(code: u32) -> Result<CrsDef, String> {
    parse(&format!("EPSG:{code}"))
}

pub(crate) fn wgs84() -> CrsDef {
    CrsDef::wgs84()
}

/// Human-readable label of a CRS (`EPSG:32637`, …).
pub(crate) fn label(crs: &CrsDef) -> String {
    crs.label()
}

/// The CRS's name as PROJ knows it (`WGS 84 / UTM zone 37N`).
pub(crate) fn name(crs: &CrsDef) -> Option<String> {
    cim_core::crs::crs_info(crs).ok().map(|i| i.name)
}

/// Transforms an `[minx, miny, maxx, maxy]` box into WGS 84
/// `[minlon, minlat, maxlon, maxlat]`, following its edges (21 points per
/// edge) so that curved images of straight edges are enclosed. `Err` says
/// why not (no transformation, points outside the projection's domain, or a
/// result outside the range of longitudes and latitudes, which means the
/// declared CRS does not fit the coordinates).
pub(crate) fn bbox_to_wgs84(crs: &CrsDef, b: [f64; 4]) -> Result<[f64; 4], String> {
    let t = Transformer::new(crs, &wgs84()).map_err(|e| e.to_string())?;
    const N: usize = 20;
    let mut out = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for i in 0..=N {
        let s = i as f64 / N as f64;
        let x = b[0] + (b[2] - b[0]) * s;
        let y = b[1] + (b[3] - b[1]) * s;
        for p in [
            DVec3::new(x, b[1], 0.0),
            DVec3::new(x, b[3], 0.0),
            DVec3::new(b[0], y, 0.0),
            DVec3::new(b[2], y, 0.0),
        ] {
            let q = t.transform(p).map_err(|e| e.to_string())?;
            out[0] = out[0].min(q.x);
            out[1] = out[1].min(q.y);
            out[2] = out[2].max(q.x);
            out[3] = out[3].max(q.y);
        }
    }
    check_globe(crs, out)
}

/// The WGS 84 extent of the points themselves (exact for vector data).
pub(crate) fn points_to_wgs84(crs: &CrsDef, mut pts: Vec<DVec3>) -> Result<[f64; 4], String> {
    let t = Transformer::new(crs, &wgs84()).map_err(|e| e.to_string())?;
    t.transform_many(&mut pts).map_err(|e| e.to_string())?;
    let mut out = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for q in pts {
        out[0] = out[0].min(q.x);
        out[1] = out[1].min(q.y);
        out[2] = out[2].max(q.x);
        out[3] = out[3].max(q.y);
    }
    check_globe(crs, out)
}

fn check_globe(crs: &CrsDef, out: [f64; 4]) -> Result<[f64; 4], String> {
    if !out.iter().all(|v| v.is_finite())
        || out[0] < -180.0 - 1e-6
        || out[2] > 180.0 + 1e-6
        || out[1] < -90.0 - 1e-6
        || out[3] > 90.0 + 1e-6
    {
        return Err(format!(
            "the extent maps to lon/lat {out:?}, outside the globe: the declared CRS \
             ({}) does not fit the coordinates",
            crs.label()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_definition_is_not_quoted_whole() {
        let prj = format!("PROJCS[\"{}\u{1b}[2J", "x".repeat(1 << 20));
        let e = parse(&prj).unwrap_err();
        assert!(e.len() < 1000, "{}", e.len());
        assert!(!e.contains('\u{1b}'), "{e}");
        // Short definitions keep cim-core's message whole.
        let e = parse("EPSG:999999").unwrap_err();
        assert!(e.contains("999999"), "{e}");
    }
}
