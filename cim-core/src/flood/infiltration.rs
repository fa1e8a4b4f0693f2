//! Water lost into the ground: a constant rate, or Green–Ampt (Green &
//! Ampt 1911, "Studies on soil physics", *J. Agric. Sci.* 4; in the form
//! of Mein & Larson 1973): under ponding, the cumulative infiltration F
//! grows as `dF/dt = Ks (1 + ψΔθ / F)`, whose exact integral over a step,
//! `Ks Δt = F' − F − ψΔθ ln((F' + ψΔθ) / (F + ψΔθ))`, is solved for F' by
//! Newton's method — so the rate stays right however long the step. A cell
//! loses no more than the water it holds.

/// How the ground takes water in.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Infiltration {
    #[default]
    None,
    /// A constant capacity, m/s.
    Constant { rate_ms: f64 },
    /// Green–Ampt: saturated conductivity `ks_ms` (m/s), wetting-front
    /// suction head `suction_m` (ψ, m) and moisture deficit `deficit`
    /// (Δθ, the fraction of the soil's volume still to fill).
    GreenAmpt {
        ks_ms: f64,
        suction_m: f64,
        deficit: f64,
    },
}

impl Infiltration {
    /// The depth (m) taken in over `dt` by a cell that has taken in `f`
    /// (m) so far and holds `h` (m) now.
    ///
    /// ```
    /// use cim_core::flood::infiltration::Infiltration;
    /// let ga = Infiltration::GreenAmpt { ks_ms: 1e-5, suction_m: 0.11, deficit: 0.3 };
    /// // One ponded hour in one step or in 3600: the same, to a micrometre.
    /// let once = ga.take(0.0, 1.0, 3600.0);
    /// let mut f = 0.0;
    /// for _ in 0..3600 { f += ga.take(f, 1.0, 1.0); }
    /// assert!((once - f).abs() < 1e-6);
    /// assert_eq!(ga.take(0.0, 0.001, 3600.0), 0.001, "no more than there is");
    /// ```
    pub fn take(&self, f: f64, h: f64, dt: f64) -> f64 {
        if h <= 0.0 {
            return 0.0;
        }
        let potential = match *self {
            Infiltration::None => 0.0,
            Infiltration::Constant { rate_ms } => rate_ms * dt,
            Infiltration::GreenAmpt {
                ks_ms,
                suction_m,
                deficit,
            } => green_ampt_step(f, ks_ms * dt, suction_m * deficit),
        };
        potential.clamp(0.0, h)
    }

    pub fn is_none(&self) -> bool {
        *self == Infiltration::None
    }
}

/// ΔF over a ponded step: F' solving `F' − F − S ln((F' + S)/(F + S)) =
/// ks_dt`, with `S = ψΔθ`.
fn green_ampt_step(f: f64, ks_dt: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return ks_dt;
    }
    // F' ≥ F + ks_dt always; start above the root (g is convex, rising).
    let g = |x: f64| x - f - s * ((x + s) / (f + s)).ln() - ks_dt;
    let mut x = f + ks_dt + (2.0 * s * ks_dt).sqrt();
    for _ in 0..50 {
        let step = g(x) / (x / (x + s));
        x -= step;
        if step.abs() < 1e-12 * (1.0 + x) {
            break;
        }
    }
    (x - f).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn green_ampt_satisfies_its_cumulative_equation() {
        let (ks, psi, dtheta) = (10.0 / 3.6e6, 0.11, 0.3);
        let ga = Infiltration::GreenAmpt {
            ks_ms: ks,
            suction_m: psi,
            deficit: dtheta,
        };
        let f = ga.take(0.0, 10.0, 7200.0);
        let s = psi * dtheta;
        let lhs = ks * 7200.0;
        let rhs = f - s * (1.0 + f / s).ln();
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
        // Faster than Ks early on, tending to it.
        assert!(f > ks * 7200.0);
        let late = ga.take(1.0, 10.0, 3600.0);
        assert!((late / 3600.0 - ks).abs() / ks < 0.05);
    }

    #[test]
    fn a_constant_rate_is_capped_by_the_water_there() {
        let c = Infiltration::Constant { rate_ms: 1e-6 };
        assert!((c.take(0.0, 1.0, 10.0) - 1e-5).abs() < 1e-18);
        assert_eq!(c.take(0.0, 2e-6, 10.0), 2e-6);
        assert_eq!(c.take(0.0, 0.0, 10.0), 0.0);
    }
}
