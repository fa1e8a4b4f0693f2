//! The numerical flux across one cell face of the 2D shallow-water
//! equations: HLLC (Toro, *Shock-Capturing Methods for Free-Surface
//! Shallow Flows*, 2001, §10.3) between states rebuilt by hydrostatic
//! reconstruction (Audusse, Bouchut, Bristeau, Klein & Perthame 2004, "A
//! fast and stable well-balanced scheme with hydrostatic reconstruction for
//! shallow water flows", *SIAM J. Sci. Comput.* 25(6)).
//!
//! The reconstruction lowers each side's depth to the water above the
//! higher of the two beds, so a face between a wet cell and a higher dry
//! one carries no water, and adds the pressure the lowering took away back
//! to each side's momentum: a lake at rest over any bed stays at rest to
//! round-off (well-balanced), depths stay non-negative under CFL ≤ 0.5,
//! and wet–dry fronts need no special case.
//!
//! Everything is `f32`, in the order a GPU compute shader does it, so the
//! CPU and GPU paths agree to round-off.

/// Gravity, m/s².
pub const G: f32 = 9.81;

/// Below this depth (m) a cell's water has no velocity: momentum over a
/// vanishing depth is round-off, not flow.
pub const H_EPS: f32 = 1e-6;

/// One side of a face, in the face's frame: depth, water-surface level,
/// bed level, velocity across (normal) and along (tangential) the face.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Side {
    pub h: f32,
    pub z: f32,
    pub un: f32,
    pub ut: f32,
}

/// What crosses a face per unit length and time, for the cell on each
/// side: mass (m²/s), normal and tangential momentum (m³/s²).
///
/// The normal momentum is given as Audusse's scheme uses it once a cell's
/// own pressure `g h²/2` is taken out: each cell brings that in at one face
/// along an axis and takes it out at the other, so it cancels and is never
/// added. What is left for each side is the flux less the pressure of that
/// side's reconstructed depth, which for a lake at rest is exactly zero —
/// in `f32` too, so a lake stays at rest to the last bit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaceFlux {
    pub mass: f32,
    pub normal_left: f32,
    pub normal_right: f32,
    pub tangential: f32,
}

/// The flux across the face between `l` (on the negative side) and `r`.
///
/// ```
/// use cim_core::flood::flux::{Side, face_flux};
/// // A lake at rest: level 10 m over beds at 2 m and 7 m.
/// let l = Side { h: 8.0, z: 2.0, un: 0.0, ut: 0.0 };
/// let r = Side { h: 3.0, z: 7.0, un: 0.0, ut: 0.0 };
/// let f = face_flux(l, r);
/// assert_eq!(f.mass, 0.0);
/// // Pressure balances bed slope exactly: no momentum for either side.
/// assert_eq!((f.normal_left, f.normal_right), (0.0, 0.0));
/// ```
pub fn face_flux(l: Side, r: Side) -> FaceFlux {
    let (hl, hr) = reconstruct(l, r);
    let f = hllc(hl, l.un, l.ut, hr, r.un, r.ut);
    FaceFlux {
        mass: f[0],
        normal_left: f[1] - 0.5 * G * hl * hl,
        normal_right: f[1] - 0.5 * G * hr * hr,
        tangential: f[2],
    }
}

/// Hydrostatic reconstruction: each side's depth above the higher of the
/// two beds, `max(0, h − (z_face − z))`, taken from the depth and the bed
/// step (not from the level `h + z`, whose `f32` rounding at city
/// elevations would swamp a thin sheet of rain). Two wet sides whose
/// levels differ by less than `f32` can tell (the rounding of the depths
/// and of the beds' magnitude) get the same depth: a lake written down in
/// `f32` is flat only to that, and a sub-rounding level step must not push
/// water that cannot move (its depth change would round away).
fn reconstruct(l: Side, r: Side) -> (f32, f32) {
    let hl = (l.h - (r.z - l.z).max(0.0)).max(0.0);
    let hr = (r.h - (l.z - r.z).max(0.0)).max(0.0);
    let noise = 2.0 * f32::EPSILON * (l.z.abs().max(r.z.abs()) + l.h.max(r.h));
    if hl > 0.0 && hr > 0.0 && (hl - hr).abs() <= noise {
        let h = 0.5 * (hl + hr);
        return (h, h);
    }
    (hl, hr)
}

/// HLLC flux of the shallow-water equations between two states (depth,
/// normal and tangential velocity), with Toro's two-rarefaction wave speed
/// estimates and the dry-bed speeds `u ± 2c` (Toro 2001, eqs. 10.22–10.23).
fn hllc(hl: f32, ul: f32, vl: f32, hr: f32, ur: f32, vr: f32) -> [f32; 3] {
    if hl <= 0.0 && hr <= 0.0 {
        return [0.0; 3];
    }
    let (cl, cr) = ((G * hl).sqrt(), (G * hr).sqrt());
    // Two-rarefaction estimates of the star region.
    let c_star = 0.5 * (cl + cr) + 0.25 * (ul - ur);
    let u_star = 0.5 * (ul + ur) + cl - cr;
    let sl = if hl <= 0.0 {
        ur - 2.0 * cr
    } else {
        (ul - cl).min(u_star - c_star.max(0.0))
    };
    let sr = if hr <= 0.0 {
        ul + 2.0 * cl
    } else {
        (ur + cr).max(u_star + c_star.max(0.0))
    };
    let flux = |h: f32, u: f32, v: f32| [h * u, h * u * u + 0.5 * G * h * h, h * u * v];
    if sl >= 0.0 {
        return flux(hl, ul, vl);
    }
    if sr <= 0.0 {
        return flux(hr, ur, vr);
    }
    // HLL for mass and normal momentum, written as the mean flux plus
    // differences so equal states give their flux exactly; the tangential
    // velocity is carried across the contact wave from the upwind side.
    let (fl, fr) = (flux(hl, ul, vl), flux(hr, ur, vr));
    let span = sr - sl;
    let (skew, prod) = ((sr + sl) / span, sl * sr / span);
    let hll =
        |a: f32, b: f32, ql: f32, qr: f32| 0.5 * (a + b) - 0.5 * skew * (b - a) + prod * (qr - ql);
    let mass = hll(fl[0], fr[0], hl, hr);
    let normal = hll(fl[1], fr[1], hl * ul, hr * ur);
    let denom = hr * (ur - sr) - hl * (ul - sl);
    let s_star = if denom.abs() > 1e-12 {
        (sl * hr * (ur - sr) - sr * hl * (ul - sl)) / denom
    } else {
        0.5 * (ul + ur)
    };
    let tangential = mass * if s_star >= 0.0 { vl } else { vr };
    [mass, normal, tangential]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(h: f32, z: f32, un: f32, ut: f32) -> Side {
        Side { h, z, un, ut }
    }

    #[test]
    fn a_uniform_stream_carries_its_own_physical_flux() {
        let s = side(2.0, 0.0, 1.5, 0.5);
        let f = face_flux(s, s);
        assert_eq!(f.mass, 3.0);
        // h u², the pressure g h²/2 taken out.
        assert!((f.normal_left - 2.0 * 1.5 * 1.5).abs() < 1e-5);
        assert!((f.tangential - 1.5).abs() < 1e-6);
    }

    #[test]
    fn mirrored_states_give_mirrored_fluxes() {
        let (a, b) = (side(3.0, 1.0, 0.7, 0.2), side(1.0, 0.5, -0.3, -0.4));
        let f = face_flux(a, b);
        let m = face_flux(side(b.h, b.z, -b.un, b.ut), side(a.h, a.z, -a.un, a.ut));
        assert!((f.mass + m.mass).abs() < 1e-5);
        assert!((f.normal_left - m.normal_right).abs() < 1e-4);
        assert!((f.normal_right - m.normal_left).abs() < 1e-4);
    }

    #[test]
    fn water_does_not_climb_onto_a_higher_dry_cell() {
        // Level 3 m beside a dry bed at 5 m: nothing crosses.
        let f = face_flux(side(1.0, 2.0, 0.0, 0.0), side(0.0, 5.0, 0.0, 0.0));
        assert_eq!(f.mass, 0.0);
        // Flowing towards a dry bed at the same level, it spreads.
        let f = face_flux(side(1.0, 0.0, 0.0, 0.0), side(0.0, 0.0, 0.0, 0.0));
        assert!(f.mass > 0.0);
    }
}
