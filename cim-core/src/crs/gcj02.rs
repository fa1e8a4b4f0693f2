//! GCJ-02 ("Mars coordinates") and BD-09, the obfuscated datums of Chinese web maps.
//!
//! Maps served in mainland China (AutoNavi/Gaode, Tencent, Google China: GCJ-02;
//! Baidu: BD-09) shift WGS84 positions by a few hundred metres with a
//! deliberately undocumented, non-linear function, so imagery and POIs from
//! those services only line up with survey data after undoing it.
//!
//! The forward GCJ-02 function is the widely published reconstruction of the
//! official algorithm (e.g. `googollee/eviltransform`, `wandergis/coordtransform`,
//! both MIT); its test vectors below come from eviltransform's test suite. The
//! BD-09 step is Baidu's published GCJ-02 → BD-09 formula. Neither has a closed-form
//! inverse: the usual `2·g − f(g)` trick is only good to metres, so we invert
//! by fixed-point iteration until the forward image matches to 1e-12° (≈ 0.1 µm).
//!
//! Points outside the rough China rectangle used by the official implementation
//! (lon 72.004–137.8347, lat 0.8293–55.8271) are passed through unchanged, as
//! the maps themselves do. All functions take and return `(lon, lat)` in degrees.

use std::f64::consts::PI;

/// Krasovsky 1940 semi-major axis used by the GCJ-02 algorithm.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Krasovsky 1940 first eccentricity squared used by the GCJ-02 algorithm
/// (published as 0.00669342162296594323; the same f64).
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
/// Baidu's angular constant: π · 3000 / 180.
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// Convergence target of the iterative inverses, in degrees.
const INVERSE_TOLERANCE_DEG: f64 = 1e-12;
const INVERSE_MAX_ITERATIONS: usize = 50;

/// The rectangle `[west, south, east, north]` (degrees) in which the GCJ-02
/// shift is applied, as in the reference implementation.
pub const SHIFT_AREA: [f64; 4] = [72.004, 0.8293, 137.8347, 55.8271];

/// `true` when the point is outside [`SHIFT_AREA`], where Chinese web maps
/// leave WGS84 coordinates unchanged.
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    let [west, south, east, north] = SHIFT_AREA;
    !(west..=east).contains(&lon) || !(south..=north).contains(&lat)
}

/// WGS84 → GCJ-02.
///
/// ```
/// // Shanghai, from eviltransform's tests.
/// let (lon, lat) = cim_core::crs::gcj02::wgs84_to_gcj02(121.5272106, 31.1774276);
/// assert!((lon - 121.531541859215).abs() < 1e-9 && (lat - 31.17530398364597).abs() < 1e-9);
/// ```
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_delta(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84, exact inverse of [`wgs84_to_gcj02`] (to ~1e-12°).
///
/// ```
/// use cim_core::crs::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let (lon, lat) = gcj02_to_wgs84(116.38404722455657, 39.91334545536069);
/// assert!((lon - 116.377817).abs() < 1e-9 && (lat - 39.911954).abs() < 1e-9);
/// let back = wgs84_to_gcj02(lon, lat);
/// assert!((back.0 - 116.38404722455657).abs() < 1e-11);
/// ```
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert(wgs84_to_gcj02, lon, lat, |lon, lat| {
        let (dlon, dlat) = gcj_delta(lon, lat);
        (lon - dlon, lat - dlat)
    })
}

/// GCJ-02 → BD-09 (Baidu's published formula).
///
/// ```
/// // From wandergis/coordtransform's README.
/// let (lon, lat) = cim_core::crs::gcj02::gcj02_to_bd09(116.404, 39.915);
/// assert!((lon - 116.41036949371029).abs() < 1e-9 && (lat - 39.92133699351022).abs() < 1e-9);
/// ```
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let z = lon.hypot(lat) + 0.00002 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * BD_X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02, exact inverse of [`gcj02_to_bd09`], seeded with Baidu's
/// approximate inverse formula.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert(gcj02_to_bd09, lon, lat, |lon, lat| {
        let (x, y) = (lon - 0.0065, lat - 0.006);
        let z = x.hypot(y) - 0.00002 * (y * BD_X_PI).sin();
        let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
        (z * theta.cos(), z * theta.sin())
    })
}

/// WGS84 → BD-09.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (lon, lat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(lon, lat)
}

/// BD-09 → WGS84.
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (lon, lat) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(lon, lat)
}

/// Solves `forward(p) = target` by fixed-point iteration `p ← p − (forward(p) − target)`.
/// Both shifts are small perturbations of the identity (their Jacobians differ from
/// the identity by < 1e-2), so each step gains at least two digits.
fn invert(
    forward: fn(f64, f64) -> (f64, f64),
    lon: f64,
    lat: f64,
    first_guess: impl Fn(f64, f64) -> (f64, f64),
) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (mut x, mut y) = first_guess(lon, lat);
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let (fx, fy) = forward(x, y);
        let (ex, ey) = (fx - lon, fy - lat);
        x -= ex;
        y -= ey;
        if ex.abs().max(ey.abs()) < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    (x, y)
}

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS84 position.
fn gcj_delta(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    let common = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += common;
    dlon += common;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;

    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (WGS84 lat, lon, GCJ-02 lat, lon) from eviltransform's test suite.
    const VECTORS: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ];

    #[test]
    fn published_forward_vectors() {
        for (lat, lon, glat, glon) in VECTORS {
            let (x, y) = wgs84_to_gcj02(lon, lat);
            assert!(
                (x - glon).abs() < 1e-6 && (y - glat).abs() < 1e-6,
                "{x} {y}"
            );
            // Our arithmetic follows the reference closely enough to match to 1e-12°.
            assert!(
                (x - glon).abs() < 1e-12 && (y - glat).abs() < 1e-12,
                "{x} {y}"
            );
        }
    }

    #[test]
    fn published_inverse_vectors() {
        for (lat, lon, glat, glon) in VECTORS {
            let (x, y) = gcj02_to_wgs84(glon, glat);
            assert!((x - lon).abs() < 1e-9 && (y - lat).abs() < 1e-9, "{x} {y}");
        }
    }

    #[test]
    fn gcj02_round_trip_below_a_centimetre_everywhere() {
        // 1 cm ≈ 9e-8°; demand far better across mainland China.
        let mut worst: f64 = 0.0;
        for i in 0..=70 {
            for j in 0..=60 {
                let lon = 73.5 + i as f64 * (61.5 / 70.0);
                let lat = 18.0 + j as f64 * (35.5 / 60.0);
                let (gx, gy) = wgs84_to_gcj02(lon, lat);
                assert!((gx - lon).abs() > 1e-4, "shift applied at {lon} {lat}");
                let (x, y) = gcj02_to_wgs84(gx, gy);
                worst = worst.max((x - lon).abs()).max((y - lat).abs());
            }
        }
        assert!(worst < 1e-9, "worst GCJ-02 round-trip error {worst}°");
    }

    #[test]
    fn bd09_vectors_and_round_trip() {
        // wandergis/coordtransform README: bd09togcj02(116.404, 39.915) with Baidu's
        // approximate inverse gives (116.39762729119315, 39.90865673957631); the exact
        // inverse differs from it by less than 1e-5° and maps back exactly.
        let (x, y) = bd09_to_gcj02(116.404, 39.915);
        assert!((x - 116.39762729119315).abs() < 1e-5 && (y - 39.90865673957631).abs() < 1e-5);
        let (bx, by) = gcj02_to_bd09(x, y);
        assert!((bx - 116.404).abs() < 1e-11 && (by - 39.915).abs() < 1e-11);

        let (lon, lat) = (121.5272106, 31.1774276);
        let (bx, by) = wgs84_to_bd09(lon, lat);
        assert!((bx - lon).abs() > 1e-3);
        let (x, y) = bd09_to_wgs84(bx, by);
        assert!((x - lon).abs() < 1e-10 && (y - lat).abs() < 1e-10);
    }

    #[test]
    fn outside_china_is_unchanged() {
        for (lon, lat) in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (100.5, 0.5)] {
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
            assert_eq!(wgs84_to_bd09(lon, lat), (lon, lat));
            assert_eq!(bd09_to_wgs84(lon, lat), (lon, lat));
        }
    }
}
