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
