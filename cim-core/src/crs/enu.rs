//! Geodetic ↔ ECEF ↔ local East-North-Up, in pure f64 math.
//!
//! The renderer works in a local tangent frame (ENU) around a scene origin so
//! that single-precision GPU coordinates stay accurate; this is the conversion
//! into and out of that frame. The default ellipsoid is CGCS2000 (identical to
//! WGS 84 to 0.1 mm in the semi-minor axis, irrelevant for display).
//!
//! Formulas: IOGP Guidance Note 7-2, §4.1.1 (geographic/geocentric conversions)
//! and §4.1.2 (geocentric/topocentric conversions). The geocentric → geographic
//! direction uses Bowring's (1976) formula iterated to convergence, with the
//! height from `h = p·cosφ + z·sinφ − a·√(1 − e²·sin²φ)`, which stays
//! well-conditioned at the poles.
//!
//! Coordinates follow the module convention: geodetic points are
//! `DVec3(lon°, lat°, ellipsoidal height m)`.

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

use super::ellipsoid::Ellipsoid;

/// Geodetic (lon°, lat°, h m) on CGCS2000 → ECEF (X, Y, Z) in metres.
///
/// ```
/// use cim_core::crs::{DVec3, enu::geodetic_to_ecef};
/// let p = geodetic_to_ecef(DVec3::new(90.0, 0.0, 100.0));
/// assert!(p.x.abs() < 1e-6 && (p.y - 6_378_237.0).abs() < 1e-6 && p.z.abs() < 1e-6);
/// ```
pub fn geodetic_to_ecef(lon_lat_h: DVec3) -> DVec3 {
    geodetic_to_ecef_on(&Ellipsoid::CGCS2000, lon_lat_h)
}

/// ECEF (X, Y, Z) in metres → geodetic (lon°, lat°, h m) on CGCS2000.
pub fn ecef_to_geodetic(xyz: DVec3) -> DVec3 {
    ecef_to_geodetic_on(&Ellipsoid::CGCS2000, xyz)
}

/// [`geodetic_to_ecef`] on any ellipsoid (GN 7-2 §4.1.1).
pub fn geodetic_to_ecef_on(ell: &Ellipsoid, lon_lat_h: DVec3) -> DVec3 {
    let (lam, phi, h) = (
        lon_lat_h.x.to_radians(),
        lon_lat_h.y.to_radians(),
        lon_lat_h.z,
    );
    let n = ell.prime_vertical_radius(phi);
    let (sp, cp) = phi.sin_cos();
    let (sl, cl) = lam.sin_cos();
    DVec3::new(
        (n + h) * cp * cl,
        (n + h) * cp * sl,
        ((1.0 - ell.e2()) * n + h) * sp,
    )
}

/// [`ecef_to_geodetic`] on any ellipsoid. Accurate to well below a nanometre in
/// height and 1e-14° in latitude for points from the Earth's centre region to
/// GNSS orbits; the centre itself maps to the south pole at depth −b.
pub fn ecef_to_geodetic_on(ell: &Ellipsoid, xyz: DVec3) -> DVec3 {
    let (a, b, e2) = (ell.a, ell.b(), ell.e2());
    let ep2 = e2 / (1.0 - e2);
    let p = xyz.x.hypot(xyz.y);
    let lon = xyz.y.atan2(xyz.x);
    // Bowring: start from the parametric latitude, refine twice more.
    let mut beta = (xyz.z * a).atan2(p * b);
    let mut phi = 0.0;
    for _ in 0..4 {
        let (sb, cb) = beta.sin_cos();
        let next = (xyz.z + ep2 * b * sb * sb * sb).atan2(p - e2 * a * cb * cb * cb);
        let converged = (next - phi).abs() < 1e-15;
        phi = next;
        if converged {
            break;
        }
        beta = ((1.0 - ell.f) * phi.sin()).atan2(phi.cos());
    }
    let (sp, cp) = phi.sin_cos();
    let h = p * cp + xyz.z * sp - a * (1.0 - e2 * sp * sp).sqrt();
    DVec3::new(lon.to_degrees(), phi.to_degrees(), h)
}

/// A local East-North-Up tangent frame at a geodetic origin on the CGCS2000 ellipsoid.
///
/// `to_enu`/`from_enu` convert geodetic points (lon°, lat°, h); the `ecef_*`
/// variants work on ECEF vectors. Serialized as just the origin.
///
/// ```
/// use cim_core::crs::{DVec3, enu::EnuFrame};
/// let frame = EnuFrame::new(DVec3::new(121.47, 31.23, 10.0));
/// let up = frame.to_enu(DVec3::new(121.47, 31.23, 110.0));
/// assert!(up.x.abs() < 1e-6 && up.y.abs() < 1e-6 && (up.z - 100.0).abs() < 1e-6);
/// let back = frame.from_enu(DVec3::new(500.0, -300.0, 20.0));
/// assert!((frame.to_enu(back) - DVec3::new(500.0, -300.0, 20.0)).length() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "EnuOrigin", into = "EnuOrigin")]
pub struct EnuFrame {
    /// Origin (lon°, lat°, ellipsoidal height m).
    pub origin_lon_lat_h: DVec3,
    origin_ecef: DVec3,
    /// Rows are the east, north and up unit vectors in ECEF: `enu = rot * (ecef - origin)`.
    rot: DMat3,
}

/// Serialized form of [`EnuFrame`]: the cached matrix is derived, not stored.
#[derive(Serialize, Deserialize)]
struct EnuOrigin {
    origin_lon_lat_h: DVec3,
}

impl From<EnuOrigin> for EnuFrame {
    fn from(o: EnuOrigin) -> Self {
        EnuFrame::new(o.origin_lon_lat_h)
    }
}

impl From<EnuFrame> for EnuOrigin {
    fn from(f: EnuFrame) -> Self {
        EnuOrigin {
            origin_lon_lat_h: f.origin_lon_lat_h,
        }
    }
}

impl EnuFrame {
    /// A frame whose origin is the geodetic point (lon°, lat°, h m).
    pub fn new(origin_lon_lat_h: DVec3) -> EnuFrame {
        let (sl, cl) = origin_lon_lat_h.x.to_radians().sin_cos();
        let (sp, cp) = origin_lon_lat_h.y.to_radians().sin_cos();
        let east = DVec3::new(-sl, cl, 0.0);
        let north = DVec3::new(-sp * cl, -sp * sl, cp);
        let up = DVec3::new(cp * cl, cp * sl, sp);
        EnuFrame {
            origin_lon_lat_h,
            origin_ecef: geodetic_to_ecef(origin_lon_lat_h),
            // DMat3 is column-major: transposing [east north up] as columns makes them rows.
            rot: DMat3::from_cols(east, north, up).transpose(),
        }
    }

    /// The origin in ECEF metres.
    pub fn origin_ecef(&self) -> DVec3 {
        self.origin_ecef
    }

    /// Geodetic (lon°, lat°, h) → local (east, north, up) metres.
    pub fn to_enu(&self, lon_lat_h: DVec3) -> DVec3 {
        self.ecef_to_enu(geodetic_to_ecef(lon_lat_h))
    }

    /// Local (east, north, up) metres → geodetic (lon°, lat°, h).
    pub fn from_enu(&self, enu: DVec3) -> DVec3 {
        ecef_to_geodetic(self.enu_to_ecef(enu))
    }

    /// ECEF → local ENU (GN 7-2 §4.1.2).
    pub fn ecef_to_enu(&self, ecef: DVec3) -> DVec3 {
        self.rot * (ecef - self.origin_ecef)
    }

    /// Local ENU → ECEF.
    pub fn enu_to_ecef(&self, enu: DVec3) -> DVec3 {
        self.rot.transpose() * enu + self.origin_ecef
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecef_round_trip_over_the_globe() {
        let mut worst_h: f64 = 0.0;
        let mut worst_deg: f64 = 0.0;
        for i in -18..=18 {
            for j in -8..=8 {
                for h in [-5_000.0, 0.0, 123.456, 9_000.0, 400_000.0] {
                    let lat = j as f64 * 11.2;
                    let lon = i as f64 * 10.0 + 0.3;
                    let g = DVec3::new(lon, lat, h);
                    let back = ecef_to_geodetic(geodetic_to_ecef(g));
                    worst_h = worst_h.max((back.z - h).abs());
                    worst_deg = worst_deg.max((back.y - lat).abs());
                    let dl = (back.x - lon + 540.0).rem_euclid(360.0) - 180.0;
                    worst_deg = worst_deg.max(dl.abs() * lat.to_radians().cos());
                }
            }
        }
        assert!(worst_h < 1e-8, "height error {worst_h} m");
        assert!(worst_deg < 1e-12, "angle error {worst_deg}°");
    }

    #[test]
    fn known_ecef_values() {
        let e = Ellipsoid::CGCS2000;
        let p = geodetic_to_ecef(DVec3::new(0.0, 0.0, 0.0));
        assert!((p - DVec3::new(e.a, 0.0, 0.0)).length() < 1e-9);
        let pole = geodetic_to_ecef(DVec3::new(0.0, 90.0, 10.0));
        assert!(pole.x.abs() < 1e-6 && (pole.z - (e.b() + 10.0)).abs() < 1e-6);
        let back = ecef_to_geodetic(DVec3::new(0.0, 0.0, e.b() + 10.0));
        assert!((back.y - 90.0).abs() < 1e-12 && (back.z - 10.0).abs() < 1e-8);
        // GN 7-2 §4.1.1 example (WGS 84): 53°48'33.820"N, 2°07'46.380"E, h 73.0 m
        // → X 3 771 793.968, Y 140 253.342, Z 5 124 304.349.
        let lat = 53.0 + 48.0 / 60.0 + 33.820 / 3600.0;
        let lon = 2.0 + 7.0 / 60.0 + 46.380 / 3600.0;
        let x = geodetic_to_ecef_on(&Ellipsoid::WGS84, DVec3::new(lon, lat, 73.0));
        let want = DVec3::new(3_771_793.968, 140_253.342, 5_124_304.349);
        assert!((x - want).length() < 2e-3, "{x}");
    }

    #[test]
    fn enu_axes_and_round_trip() {
        let frame = EnuFrame::new(DVec3::new(114.06, 22.54, 30.0));
        // 0.001° north is ~110.7 m north, nothing east.
        let n = frame.to_enu(DVec3::new(114.06, 22.541, 30.0));
        assert!(n.x.abs() < 1e-6 && (n.y - 110.7).abs() < 0.2 && n.z < 0.0 && n.z > -0.01);
        let e = frame.to_enu(DVec3::new(114.061, 22.54, 30.0));
        assert!(e.x > 102.0 && e.x < 103.5 && e.y.abs() < 1e-3);
        for p in [
            DVec3::new(0.0, 0.0, 0.0),
            DVec3::new(1234.5, -987.25, 55.0),
            DVec3::new(-20_000.0, 15_000.0, -300.0),
        ] {
            let back = frame.to_enu(frame.from_enu(p));
            assert!((back - p).length() < 1e-7, "{p} -> {back}");
        }
        let json = serde_json::to_string(&frame).unwrap();
        assert!(!json.contains("rot"));
        let frame2: EnuFrame = serde_json::from_str(&json).unwrap();
        assert_eq!(frame, frame2);
    }
}
