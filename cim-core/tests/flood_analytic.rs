//! The flood solver against an exact solution: Ritter's dam break on a
//! dry, flat, frictionless bed (Ritter 1892; Toro, *Shock-Capturing
//! Methods for Free-Surface Shallow Flows*, 2001, §4.3): a still column of
//! depth h0 released at t = 0 spreads as a rarefaction whose depth at
//! x − x0 = ξ t is (2√(g h0) − ξ)² / 9g, between −√(g h0) t and the dry
//! front at 2√(g h0) t.

use cim_core::flood::{Domain, Solver};

const G: f64 = 9.81;

/// Ritter's depth at `x` (dam at `x0`, depth `h0` behind it) at time `t`.
fn ritter(x: f64, x0: f64, h0: f64, t: f64) -> f64 {
    let c0 = (G * h0).sqrt();
    let xi = (x - x0) / t;
    if xi <= -c0 {
        h0
    } else if xi >= 2.0 * c0 {
        0.0
    } else {
        (2.0 * c0 - xi).powi(2) / (9.0 * G)
    }
}

struct Break {
    /// L1 error over the disturbed reach, relative to the exact depths'.
    l1_rel: f64,
    /// Wet front (depth > 5 cm): computed less exact, in cells.
    front_cells: f64,
}

/// A 400 m channel, three cells wide, the dam at 200 m, 1 m of water
/// behind it, run to `t` with cells of `dx` metres.
fn dam_break(dx: f64, t: f64) -> Break {
    let (length, x0, h0) = (400.0, 200.0, 1.0);
    let nx = (length / dx) as usize;
    let ny = 3;
    let centre = |i: usize| (i as f64 + 0.5) * dx;
    let h: Vec<f32> = (0..nx * ny)
        .map(|c| if centre(c % nx) < x0 { h0 as f32 } else { 0.0 })
        .collect();
    let mut s = Solver::new(Domain::new(nx, ny, dx, vec![0.0; nx * ny], 0.0), h);
    while s.time_s < t {
        let dt = s.stable_dt().expect("water moves").min(t - s.time_s);
        s.step(dt, 0.0, &[]);
    }
    let c0 = (G * h0).sqrt();
    let (lo, hi) = (x0 - c0 * t - 10.0, x0 + 2.0 * c0 * t + 10.0);
    let (mut err, mut total) = (0.0, 0.0);
    let mut front = 0.0f64;
    // The middle row (the others are the same: nothing varies across).
    for i in 0..nx {
        let (x, got) = (centre(i), s.state.h[nx + i] as f64);
        if got > 0.05 {
            front = front.max(x);
        }
        if (lo..=hi).contains(&x) {
            let want = ritter(x, x0, h0, t);
            err += (got - want).abs();
            total += want;
        }
    }
    // Where the exact depth falls to 5 cm.
    let exact_front = x0 + 2.0 * c0 * t - 3.0 * (0.05 * G).sqrt() * t;
    assert!(s.mass_error_rel() < 1e-5, "{}", s.mass_error_rel());
    Break {
        l1_rel: err / total,
        front_cells: (front - exact_front) / dx,
    }
}

#[test]
fn ritters_dam_break_is_matched_and_converges() {
    let coarse = dam_break(2.0, 20.0);
    let fine = dam_break(1.0, 20.0);
    let finer = dam_break(0.5, 20.0);
    eprintln!(
        "Ritter at 20 s: L1 {:.4} / {:.4} / {:.4} (dx 2 / 1 / 0.5 m); front {:+.1} / {:+.1} / {:+.1} cells",
        coarse.l1_rel,
        fine.l1_rel,
        finer.l1_rel,
        coarse.front_cells,
        fine.front_cells,
        finer.front_cells
    );
    assert!(fine.l1_rel < 0.05, "L1 {}", fine.l1_rel);
    assert!(
        fine.front_cells.abs() <= 3.0,
        "front {} cells off",
        fine.front_cells
    );
    assert!(
        fine.l1_rel < coarse.l1_rel && finer.l1_rel < fine.l1_rel,
        "refinement helps"
    );
}

/// Thacker's planar surface in a paraboloid (Thacker 1981, "Some exact
/// solutions to the nonlinear shallow-water wave equations", *J. Fluid
/// Mech.* 107; as SWASHES sets it, Delestre et al. 2013): a tilted plane of
/// water rotates in a frictionless bowl `z = −h0 (1 − r²/a²)` with period
/// `2π a / √(2 g h0)`, its shoreline moving all the while. Compared at
/// half periods, where the plane tilts the other way (at whole periods a
/// solver that did nothing would be right): reported over three periods
/// (first-order schemes smear it, slowly), held after the first half to
/// well under the error of water left where it started.
#[test]
fn thackers_rotating_plane_in_a_bowl_is_followed() {
    let (a, h0, eta, l) = (1.0f64, 0.1f64, 0.5f64, 4.0f64);
    let n = 100;
    let dx = l / n as f64;
    let omega = (2.0 * G * h0).sqrt() / a;
    let period = 2.0 * std::f64::consts::PI / omega;
    let centre = |k: usize| (k as f64 + 0.5) * dx - l / 2.0;
    let bed = |x: f64, y: f64| -h0 * (1.0 - (x * x + y * y) / (a * a));
    let exact = |x: f64, y: f64, t: f64| {
        let (c, s) = ((omega * t).cos(), (omega * t).sin());
        (eta * h0 / (a * a) * (2.0 * x * c + 2.0 * y * s - eta) - bed(x, y)).max(0.0)
    };
    let cells = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f32> {
        (0..n * n)
            .map(|c| f(centre(c % n), centre(c / n)) as f32)
            .collect()
    };
    let domain = Domain::new(n, n, dx, cells(&|x, y| bed(x, y)), 0.0);
    let mut s = Solver::new(domain, cells(&|x, y| exact(x, y, 0.0)));
    // At t = 0 the water moves north at η ω everywhere it is.
    let v0 = (eta * omega) as f32;
    for c in 0..n * n {
        s.state.hv[c] = s.state.h[c] * v0;
    }
    let l1 = |got: &[f32], want: &[f32]| -> f64 {
        let err: f64 = got
            .iter()
            .zip(want)
            .map(|(g, w)| (g - w).abs() as f64)
            .sum();
        err / want.iter().map(|&w| w as f64).sum::<f64>()
    };
    let frozen = l1(&s.state.h, &cells(&|x, y| exact(x, y, 0.5 * period)));
    let mut errors = Vec::new();
    for k in 0..3 {
        let until = (k as f64 + 0.5) * period;
        while s.time_s < until {
            let dt = s.stable_dt().unwrap().min(until - s.time_s);
            s.step(dt, 0.0, &[]);
        }
        errors.push(l1(&s.state.h, &cells(&|x, y| exact(x, y, until))));
    }
    eprintln!(
        "Thacker planar surface, {n}² cells: L1 at 0.5, 1.5, 2.5 periods {:.3} {:.3} {:.3} (water left still: {frozen:.3}); mass error {:.1e}",
        errors[0],
        errors[1],
        errors[2],
        s.mass_error_rel()
    );
    assert!(errors[0] < 0.25 * frozen, "{errors:?} against {frozen}");
    assert!(s.mass_error_rel() < 1e-5);
}
