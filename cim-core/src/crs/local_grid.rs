//! Local city grids: the coordinate systems Chinese cities actually survey in.
//!
//! Most city survey data is on a "city independent coordinate system" (城市独立坐标系)
//! that is not in the EPSG registry: either a transverse Mercator with a custom
//! central meridian projected onto a plane at the city's mean elevation
//! (抵偿投影面, compensating projection plane), or a national grid followed by a
//! plane similarity (四参数) or a 3-D Helmert (七参数) to the city's own axes.
//! These types describe those grids as data so that a scene document (TOML) can
//! carry them; [`super::Transformer`] evaluates them.
//!
//! Formulas: IOGP Guidance Note 7-2 — §3.5.3.1 (transverse Mercator, see
//! [`super::tmerc`]), §4.3.3 (Helmert 7-parameter, position-vector EPSG:9606 and
//! coordinate-frame EPSG:9607 conventions) and §4.2.1 / "Similarity
//! transformation" EPSG:9621 (plane 4-parameter).

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

use super::definition::CrsDef;
use super::ellipsoid::Ellipsoid;
use super::error::CrsError;
use super::tmerc::TransverseMercator;

/// Arc-seconds to radians.
const ARCSEC: f64 = std::f64::consts::PI / (180.0 * 3600.0);

fn default_geographic_base() -> String {
    "EPSG:4490".to_string()
}

fn one() -> f64 {
    1.0
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_one(v: &f64) -> bool {
    *v == 1.0
}

/// A transverse Mercator grid with free parameters on a geographic base CRS.
///
/// Grid coordinates are `(easting, northing, height)`; height passes through.
///
/// **Height projection plane.** Distances on the ground at elevation `h` are
/// longer than on the ellipsoid by `(R + h) / R`. Cities that want grid
/// distances to equal ground distances project onto a plane at their mean
/// elevation; we implement this as an effective scale factor
/// `k = scale_factor · (R + projection_height) / R`, where `R` is the Gaussian
/// mean radius `√(M·N)` of the base ellipsoid at `reference_latitude` (default:
/// `latitude_of_origin`). `projection_height` is an ellipsoidal height in metres.
///
/// ```
/// use cim_core::crs::{CrsDef, DVec3, LocalTm, Transformer};
/// let mut grid = LocalTm::gauss_kruger(121.0);
/// grid.projection_height = 50.0;
/// grid.reference_latitude = Some(31.0);
/// let t = Transformer::new(&CrsDef::cgcs2000(), &CrsDef::LocalTm(grid)).unwrap();
/// let p = t.transform(DVec3::new(121.0, 31.0, 0.0)).unwrap();
/// assert!((p.x - 500_000.0).abs() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalTm {
    /// Display name, e.g. "Shanghai 2000 city grid".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Geographic base CRS (any PROJ definition); default CGCS2000 (EPSG:4490).
    #[serde(default = "default_geographic_base")]
    pub base: String,
    /// Central meridian λ0, degrees east.
    pub central_meridian: f64,
    /// Latitude of origin φ0, degrees north (default 0).
    #[serde(default)]
    pub latitude_of_origin: f64,
    /// False easting, metres.
    pub false_easting: f64,
    /// False northing, metres (default 0).
    #[serde(default)]
    pub false_northing: f64,
    /// Scale factor at the central meridian (default 1).
    #[serde(default = "one")]
    pub scale_factor: f64,
    /// Ellipsoidal height of the projection plane, metres (default 0: the ellipsoid).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub projection_height: f64,
    /// Latitude at which the mean Earth radius for `projection_height` is taken
    /// (default: `latitude_of_origin`; set it to the city's latitude when φ0 = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_latitude: Option<f64>,
}

impl LocalTm {
    /// A Gauss–Krüger style grid on CGCS2000: given central meridian, scale 1,
    /// false easting 500 000 m, origin at the equator.
    pub fn gauss_kruger(central_meridian: f64) -> LocalTm {
        LocalTm {
            name: String::new(),
            base: default_geographic_base(),
            central_meridian,
            latitude_of_origin: 0.0,
            false_easting: 500_000.0,
            false_northing: 0.0,
            scale_factor: 1.0,
            projection_height: 0.0,
            reference_latitude: None,
        }
    }

    /// Checks the parameters, with a message naming the bad one.
    pub fn validate(&self) -> Result<(), CrsError> {
        let bad = |parameter, value, reason| {
            Err(CrsError::Parameter {
                grid: "local transverse Mercator",
                parameter,
                value,
                reason,
            })
        };
        let finite = [
            ("false_easting", self.false_easting),
            ("false_northing", self.false_northing),
            ("projection_height", self.projection_height),
        ];
        for (name, v) in finite {
            if !v.is_finite() {
                return bad(name, v, "must be a finite number");
            }
        }
        if !(-180.0..=180.0).contains(&self.central_meridian) {
            return bad(
                "central_meridian",
                self.central_meridian,
                "must be within -180..180 degrees",
            );
        }
        if !(-90.0..=90.0).contains(&self.latitude_of_origin) {
            return bad(
                "latitude_of_origin",
                self.latitude_of_origin,
                "must be within -90..90 degrees",
            );
        }
        if let Some(lat) = self.reference_latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            return bad("reference_latitude", lat, "must be within -90..90 degrees");
        }
        if self.scale_factor.is_nan() || self.scale_factor <= 0.0 || self.scale_factor.is_infinite()
        {
            return bad("scale_factor", self.scale_factor, "must be positive");
        }
        if self.projection_height.abs() > 100_000.0 {
            return bad(
                "projection_height",
                self.projection_height,
                "must be within ±100 km of the ellipsoid",
            );
        }
        Ok(())
    }

    /// The scale factor actually used: `scale_factor · (R + h) / R` (see the type docs).
    pub fn effective_scale(&self, ellipsoid: &Ellipsoid) -> f64 {
        let lat = self
            .reference_latitude
            .unwrap_or(self.latitude_of_origin)
            .to_radians();
        let r = ellipsoid.gaussian_mean_radius(lat);
        self.scale_factor * (r + self.projection_height) / r
    }

    /// The projection on the given base ellipsoid.
    pub(crate) fn projection(&self, ellipsoid: &Ellipsoid) -> TransverseMercator {
        TransverseMercator::new(
            *ellipsoid,
            self.central_meridian,
            self.latitude_of_origin,
            self.effective_scale(ellipsoid),
            self.false_easting,
            self.false_northing,
        )
    }
}

/// A plane similarity (4-parameter transformation) applied to a projected base CRS.
///
/// From base `(x, y)` to local `(x', y')`, heights unchanged:
///
/// ```text
/// x' = dx + scale · ( x·cosθ − y·sinθ )
/// y' = dy + scale · ( x·sinθ + y·cosθ )
/// ```
///
/// θ = `rotation_deg` is counter-clockwise (from east towards north). If your
/// parameters are published the other way round (local → national), build the
/// grid with [`Similarity::from_local_to_base`].
///
/// ```
/// use cim_core::crs::{CrsDef, Similarity};
/// use cim_core::crs::DVec3;
/// let s = Similarity { name: String::new(), base: Box::new(CrsDef::parse("EPSG:4549").unwrap()),
///                      dx: 10.0, dy: 20.0, rotation_deg: 90.0, scale: 2.0 };
/// // (1, 0) turned a quarter to the left is (0, 1), doubled (0, 2), shifted (10, 22).
/// let p = s.forward(DVec3::new(1.0, 0.0, 7.0));
/// assert!((p - DVec3::new(10.0, 22.0, 7.0)).length() < 1e-12);
/// assert!((s.inverse(p) - DVec3::new(1.0, 0.0, 7.0)).length() < 1e-12);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Similarity {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Projected (or other Cartesian, non-geographic) base CRS.
    pub base: Box<CrsDef>,
    /// Translation, metres.
    pub dx: f64,
    pub dy: f64,
    /// Counter-clockwise rotation, degrees (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation_deg: f64,
    /// Scale multiplier, e.g. 1.000_012_3 (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub scale: f64,
}

impl Similarity {
    /// Builds the grid from parameters that map *local* to *base* coordinates
    /// (`X = dx + s·R(θ)·x'`), by inverting them.
    pub fn from_local_to_base(
        base: CrsDef,
        dx: f64,
        dy: f64,
        rotation_deg: f64,
        scale: f64,
    ) -> Similarity {
        // x' = R(-θ)/s · (X - d)  ⇒  d' = -R(-θ)/s · d.
        let (s, c) = (-rotation_deg).to_radians().sin_cos();
        let (tx, ty) = (c * dx - s * dy, s * dx + c * dy);
        Similarity {
            name: String::new(),
            base: Box::new(base),
            dx: -tx / scale,
            dy: -ty / scale,
            rotation_deg: -rotation_deg,
            scale: 1.0 / scale,
        }
    }

    /// Checks the parameters, with a message naming the bad one.
    pub fn validate(&self) -> Result<(), CrsError> {
        let bad = |parameter, value, reason| {
            Err(CrsError::Parameter {
                grid: "plane similarity",
                parameter,
                value,
                reason,
            })
        };
        for (name, v) in [
            ("dx", self.dx),
            ("dy", self.dy),
            ("rotation_deg", self.rotation_deg),
        ] {
            if !v.is_finite() {
                return bad(name, v, "must be a finite number");
            }
        }
        if self.scale.is_nan() || self.scale <= 0.0 || self.scale.is_infinite() {
            return bad("scale", self.scale, "must be positive");
        }
        Ok(())
    }

    /// Base → local.
    pub fn forward(&self, p: DVec3) -> DVec3 {
        let (s, c) = self.rotation_deg.to_radians().sin_cos();
        DVec3::new(
            self.dx + self.scale * (c * p.x - s * p.y),
            self.dy + self.scale * (s * p.x + c * p.y),
            p.z,
        )
    }

    /// Local → base (exact inverse of [`Self::forward`]).
    pub fn inverse(&self, p: DVec3) -> DVec3 {
        let (s, c) = self.rotation_deg.to_radians().sin_cos();
        let (x, y) = ((p.x - self.dx) / self.scale, (p.y - self.dy) / self.scale);
        DVec3::new(c * x + s * y, -s * x + c * y, p.z)
    }
}

/// Rotation sign convention of a 7-parameter Helmert transformation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelmertConvention {
    /// EPSG:9606 (IERS/ITRF, most Chinese software's "布尔莎" output; PROJ's `position_vector`).
    #[default]
    PositionVector,
    /// EPSG:9607 (ISO 19111, used by e.g. Australian and some European registries).
    CoordinateFrame,
}

/// A 7-parameter Helmert (Bursa–Wolf) transformation applied to the Cartesian
/// coordinates of a base CRS (GN 7-2 §4.3.3, small-angle form as EPSG defines it).
///
/// From base `X` to local `X'`: `X' = T + (1 + s·10⁻⁶) · R · X` with, for the
/// position-vector convention,
///
/// ```text
///     |  1   -rz   ry |
/// R = |  rz   1   -rx |     (rotations in arc-seconds; coordinate-frame negates them)
///     | -ry   rx   1  |
/// ```
///
/// Use a geocentric base (EPSG:4479 CGCS2000, EPSG:4978 WGS 84) for a datum
/// shift, or a projected base with heights for a 3-D similarity of a survey grid.
/// The inverse is the exact matrix inverse, not the sign-flipped approximation.
///
/// ```
/// use cim_core::crs::{CrsDef, Helmert, HelmertConvention, DVec3};
/// // GN 7-2 §4.3.3 example, WGS 72 → WGS 84 (position vector).
/// let h = Helmert { name: String::new(), base: Box::new(CrsDef::parse("EPSG:4984").unwrap()),
///     tx: 0.0, ty: 0.0, tz: 4.5, rx: 0.0, ry: 0.0, rz: 0.554, scale_ppm: 0.219,
///     convention: HelmertConvention::PositionVector };
/// let p = h.forward(DVec3::new(3_657_660.66, 255_768.55, 5_201_382.11));
/// assert!((p - DVec3::new(3_657_660.774, 255_778.430, 5_201_387.749)).length() < 2e-3);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helmert {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Base CRS whose (x, y, z) are treated as Cartesian; must not be geographic.
    pub base: Box<CrsDef>,
    /// Translations, metres.
    #[serde(default)]
    pub tx: f64,
    #[serde(default)]
    pub ty: f64,
    #[serde(default)]
    pub tz: f64,
    /// Rotations, arc-seconds.
    #[serde(default)]
    pub rx: f64,
    #[serde(default)]
    pub ry: f64,
    #[serde(default)]
    pub rz: f64,
    /// Scale difference, parts per million.
    #[serde(default)]
    pub scale_ppm: f64,
    #[serde(default)]
    pub convention: HelmertConvention,
}

impl Helmert {
    /// Checks the parameters, with a message naming the bad one.
    pub fn validate(&self) -> Result<(), CrsError> {
        let params = [
            ("tx", self.tx),
            ("ty", self.ty),
            ("tz", self.tz),
            ("rx", self.rx),
            ("ry", self.ry),
            ("rz", self.rz),
            ("scale_ppm", self.scale_ppm),
        ];
        for (parameter, value) in params {
            if !value.is_finite() {
                return Err(CrsError::Parameter {
                    grid: "Helmert",
                    parameter,
                    value,
                    reason: "must be a finite number",
                });
            }
        }
        if self.scale_ppm <= -1e6 {
            return Err(CrsError::Parameter {
                grid: "Helmert",
                parameter: "scale_ppm",
                value: self.scale_ppm,
                reason: "must be greater than -1 000 000 ppm",
            });
        }
        Ok(())
    }

    /// `(1 + s) · R` as a matrix (column-major, for glam).
    fn matrix(&self) -> DMat3 {
        let sign = match self.convention {
            HelmertConvention::PositionVector => 1.0,
            HelmertConvention::CoordinateFrame => -1.0,
        };
        let (rx, ry, rz) = (
            sign * self.rx * ARCSEC,
            sign * self.ry * ARCSEC,
            sign * self.rz * ARCSEC,
        );
        let m = 1.0 + self.scale_ppm * 1e-6;
        // Rows (1, -rz, ry), (rz, 1, -rx), (-ry, rx, 1), written as columns.
        DMat3::from_cols(
            DVec3::new(1.0, rz, -ry),
            DVec3::new(-rz, 1.0, rx),
            DVec3::new(ry, -rx, 1.0),
        ) * m
    }

    /// Base → local.
    pub fn forward(&self, p: DVec3) -> DVec3 {
        DVec3::new(self.tx, self.ty, self.tz) + self.matrix() * p
    }

    /// Local → base (exact inverse of [`Self::forward`]).
    pub fn inverse(&self, p: DVec3) -> DVec3 {
        self.matrix().inverse() * (p - DVec3::new(self.tx, self.ty, self.tz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Box<CrsDef> {
        Box::new(CrsDef::Code("EPSG:4549".into()))
    }

    #[test]
    fn similarity_numeric() {
        let s = Similarity {
            name: String::new(),
            base: base(),
            dx: 100.0,
            dy: 200.0,
            rotation_deg: 30.0,
            scale: 2.0,
        };
        let p = s.forward(DVec3::new(10.0, 0.0, 5.0));
        // (10, 0) rotated 30° ccw and doubled: (17.3205, 10).
        assert!(
            (p - DVec3::new(100.0 + 20.0 * 30f64.to_radians().cos(), 210.0, 5.0)).length() < 1e-9
        );
        for q in [
            DVec3::new(500_123.4, 3_456_789.1, 12.0),
            DVec3::new(-3.0, 4.0, 0.0),
        ] {
            assert!((s.inverse(s.forward(q)) - q).length() < 1e-8);
        }
        // Parameters published local → base invert to the same mapping.
        let inv = Similarity::from_local_to_base(*base(), 100.0, 200.0, 30.0, 2.0);
        for q in [
            DVec3::new(1.0, 2.0, 3.0),
            DVec3::new(40_000.0, -7_000.0, 0.0),
        ] {
            assert!((inv.forward(s.forward(q)) - q).length() < 1e-8);
            assert!((s.forward(inv.forward(q)) - q).length() < 1e-8);
        }
    }

    #[test]
    fn helmert_numeric_and_conventions() {
        // GN 7-2 §4.3.3 example (WGS 72 → WGS 84), cross-checked with PROJ's
        // `+proj=helmert +z=4.5 +rz=0.554 +s=0.219 +convention=position_vector`:
        // 3657660.7741 255778.4300 5201387.7491.
        let mut h = Helmert {
            name: String::new(),
            base: base(),
            tx: 0.0,
            ty: 0.0,
            tz: 4.5,
            rx: 0.0,
            ry: 0.0,
            rz: 0.554,
            scale_ppm: 0.219,
            convention: HelmertConvention::PositionVector,
        };
        let src = DVec3::new(3_657_660.66, 255_768.55, 5_201_382.11);
        let want = DVec3::new(3_657_660.774_1, 255_778.43, 5_201_387.749_1);
        assert!((h.forward(src) - want).length() < 2e-4);
        assert!((h.inverse(h.forward(src)) - src).length() < 1e-8);
        // The same transformation in the coordinate-frame convention flips the rotation sign.
        h.rz = -0.554;
        h.convention = HelmertConvention::CoordinateFrame;
        assert!((h.forward(src) - want).length() < 2e-4);
        // Pure rotation about z by 1" moves a point on the x axis by a·4.85e-6 in +y.
        let r = Helmert {
            tz: 0.0,
            rz: 1.0,
            scale_ppm: 0.0,
            convention: HelmertConvention::PositionVector,
            ..h.clone()
        };
        let q = r.forward(DVec3::new(6_378_137.0, 0.0, 0.0));
        assert!((q.y - 6_378_137.0 * ARCSEC).abs() < 1e-9 && q.x == 6_378_137.0);
    }

    #[test]
    fn local_tm_validation_and_scale() {
        let mut g = LocalTm::gauss_kruger(120.0);
        assert!(g.validate().is_ok());
        assert_eq!(g.effective_scale(&Ellipsoid::CGCS2000), 1.0);
        g.projection_height = 100.0;
        g.reference_latitude = Some(30.0);
        let r = Ellipsoid::CGCS2000.gaussian_mean_radius(30f64.to_radians());
        assert!((g.effective_scale(&Ellipsoid::CGCS2000) - (1.0 + 100.0 / r)).abs() < 1e-15);
        g.scale_factor = 0.0;
        let msg = g.validate().unwrap_err().to_string();
        assert!(
            msg.contains("scale_factor") && msg.contains("positive"),
            "{msg}"
        );
        let mut g = LocalTm::gauss_kruger(200.0);
        let msg = g.validate().unwrap_err().to_string();
        assert!(msg.contains("central_meridian"), "{msg}");
        g.central_meridian = 10.0;
        g.false_easting = f64::NAN;
        assert!(
            g.validate()
                .unwrap_err()
                .to_string()
                .contains("false_easting")
        );
    }
}
