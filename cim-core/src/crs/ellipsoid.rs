//! Reference ellipsoids used by the pure-Rust algorithms of this module
//! (transverse Mercator, ENU/ECEF). PROJ has its own copy of these numbers in
//! `proj.db`; these constants only serve the code that does not go through PROJ.

use serde::{Deserialize, Serialize};

/// An oblate ellipsoid of revolution given by its semi-major axis and flattening.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ellipsoid {
    /// Semi-major axis in metres.
    pub a: f64,
    /// Flattening `(a - b) / a`.
    pub f: f64,
}

impl Ellipsoid {
    /// CGCS2000 ellipsoid (GB/T 2014 / EPSG:1024): a = 6 378 137 m, 1/f = 298.257222101.
    /// Numerically identical to GRS80 in a and f (they differ only in GM and ω).
    pub const CGCS2000: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
    };
    /// GRS 1980 (EPSG:7019).
    pub const GRS80: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
    };
    /// WGS 84 (EPSG:7030). Its semi-minor axis differs from GRS80 by 0.1 mm.
    pub const WGS84: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_223_563,
    };
    /// Krasovsky 1940 (EPSG:7024), used by Beijing 1954 and by the GCJ-02 algorithm.
    pub const KRASOVSKY_1940: Ellipsoid = Ellipsoid {
        a: 6_378_245.0,
        f: 1.0 / 298.3,
    };

    /// Builds an ellipsoid from a semi-major axis and an inverse flattening
    /// (`inv_f == 0` means a sphere, as in PROJ).
    pub fn from_a_inv_f(a: f64, inv_f: f64) -> Ellipsoid {
        let f = if inv_f == 0.0 { 0.0 } else { 1.0 / inv_f };
        Ellipsoid { a, f }
    }

    /// Semi-minor axis b = a (1 - f).
    pub fn b(&self) -> f64 {
        self.a * (1.0 - self.f)
    }

    /// First eccentricity squared e² = f (2 - f).
    pub fn e2(&self) -> f64 {
        self.f * (2.0 - self.f)
    }

    /// Radius of curvature in the prime vertical N(φ) = a / √(1 - e² sin²φ), φ in radians.
    pub fn prime_vertical_radius(&self, lat_rad: f64) -> f64 {
        let s = lat_rad.sin();
        self.a / (1.0 - self.e2() * s * s).sqrt()
    }

    /// Radius of curvature in the meridian M(φ) = a (1 - e²) / (1 - e² sin²φ)^{3/2}.
    pub fn meridian_radius(&self, lat_rad: f64) -> f64 {
        let s = lat_rad.sin();
        let w2 = 1.0 - self.e2() * s * s;
        self.a * (1.0 - self.e2()) / (w2 * w2.sqrt())
    }

    /// Gaussian mean radius √(M N) at latitude φ: the radius of the sphere that
    /// best fits the ellipsoid around that latitude. Used for the
    /// height-projection-plane scale of local grids.
    pub fn gaussian_mean_radius(&self, lat_rad: f64) -> f64 {
        (self.meridian_radius(lat_rad) * self.prime_vertical_radius(lat_rad)).sqrt()
    }
}

impl Default for Ellipsoid {
    fn default() -> Self {
        Ellipsoid::CGCS2000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radii_at_equator_and_pole() {
        let e = Ellipsoid::CGCS2000;
        assert!((e.prime_vertical_radius(0.0) - e.a).abs() < 1e-9);
        // At the pole M = N = a² / b.
        let pole = std::f64::consts::FRAC_PI_2;
        let c = e.a * e.a / e.b();
        assert!((e.prime_vertical_radius(pole) - c).abs() < 1e-6);
        assert!((e.meridian_radius(pole) - c).abs() < 1e-6);
        // b of WGS 84 exceeds that of GRS 80 by about 0.105 mm.
        let db = Ellipsoid::WGS84.b() - Ellipsoid::GRS80.b();
        assert!((db - 0.000_105).abs() < 0.000_01, "{db}");
    }
}
