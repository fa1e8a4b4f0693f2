//! Plan geometry of segments shared by the corridor analyses.

use glam::DVec2;

/// Where segments `a`–`b` and `c`–`d` meet: their parameters, or `None`
/// when they do not (parallel ones never count as crossing).
pub fn intersection(a: DVec2, b: DVec2, c: DVec2, d: DVec2) -> Option<(f64, f64)> {
    let (r, s) = (b - a, d - c);
    let den = r.perp_dot(s);
    if den.abs() <= 1e-12 * r.length() * s.length() {
        return None;
    }
    let w = c - a;
    let t = w.perp_dot(s) / den;
    let u = w.perp_dot(r) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some((t, u))
}

/// Parameters of the closest points of two segments that do not cross
/// (the closest pair always has an end of one of them).
pub fn closest_params(a: DVec2, b: DVec2, c: DVec2, d: DVec2) -> (f64, f64) {
    let project = |p: DVec2, s0: DVec2, s1: DVec2| {
        let v = s1 - s0;
        let l2 = v.length_squared();
        if l2 > 0.0 {
            ((p - s0).dot(v) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    let candidates = [
        (0.0, project(a, c, d)),
        (1.0, project(b, c, d)),
        (project(c, a, b), 0.0),
        (project(d, a, b), 1.0),
    ];
    candidates
        .into_iter()
        .min_by(|x, y| {
            let dist = |(t, u): (f64, f64)| a.lerp(b, t).distance_squared(c.lerp(d, u));
            dist(*x).total_cmp(&dist(*y))
        })
        .expect("four candidates")
}

pub use crate::query::index::planar::{point_segment_distance, ring_contains};

/// The parameters (0–1, sorted, ends included) where segment `a`–`b`
/// crosses the edges of `ring`: between two neighbours it is wholly inside
/// or wholly outside.
pub fn cuts(a: DVec2, b: DVec2, ring: &[DVec2]) -> Vec<f64> {
    let mut t = vec![0.0, 1.0];
    let n = ring.len();
    for k in 0..n {
        let (c, d) = (ring[k], ring[(k + 1) % n]);
        if c == d {
            continue;
        }
        if let Some((s, _)) = intersection(a, b, c, d) {
            t.push(s);
        }
    }
    t.sort_by(f64::total_cmp);
    t.dedup_by(|x, y| (*x - *y).abs() < 1e-12);
    t
}

/// The plan bounding box of `points`: (min, max).
pub fn bounds(points: &[DVec2]) -> (DVec2, DVec2) {
    points
        .iter()
        .fold((DVec2::INFINITY, DVec2::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(*p), hi.max(*p))
        })
}
