//! Excavation impact (开挖影响分析): which lines a dig would reach.
//!
//! A dig is a plan polygon taken down to a depth below the ground (or to a
//! fixed elevation). A line is **exposed** where its top rises above the
//! dig's bottom inside the polygon, **within the margin** where it lies
//! below the bottom by less than the safety margin, **near** where it
//! passes outside the polygon closer than the margin (wall to polygon),
//! and **below** where the dig stays clear of it by more. A line whose
//! height is unknown is reported as such, never as clear.

use super::ground::{Ground, ground_over};
use super::plan::{bounds, closest_params, cuts, ring_contains};
use super::utility::UtilityLine;
use glam::{DVec2, DVec3};
use serde::Serialize;

/// How deep a dig goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DigBottom {
    /// Metres below the ground surface.
    Depth(f64),
    /// Down to this elevation.
    Elevation(f64),
}

/// A dig.
#[derive(Clone, Debug, PartialEq)]
pub struct Dig {
    /// The outline in plan (closed or not).
    pub outline: Vec<DVec2>,
    pub bottom: DigBottom,
    /// Safety margin, metres, sideways and downwards.
    pub margin_m: f64,
}

/// The worst a dig does to one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Exposed,
    WithinMargin,
    /// Inside the outline, but its height (or the ground) is unknown.
    UnknownDepth,
    Near,
    Below,
}

impl Impact {
    pub fn key(self) -> &'static str {
        match self {
            Impact::Exposed => "exposed",
            Impact::WithinMargin => "within_margin",
            Impact::UnknownDepth => "unknown_depth",
            Impact::Near => "near",
            Impact::Below => "below",
        }
    }
}

/// A line the dig reaches (or passes over).
#[derive(Clone, Debug, PartialEq)]
pub struct DigHit {
    /// Index into the lines.
    pub line: usize,
    pub impact: Impact,
    /// Length of the line inside the outline.
    pub inside_m: f64,
    /// Inside: the dig's bottom less the line's top at the line's highest
    /// point in the dig (negative: exposed by that much); near: the plan
    /// distance from wall to outline.
    pub clearance_m: Option<f64>,
    /// Where that is (the line's top; z 0 when unknown).
    pub at: DVec3,
}

/// The lines `dig` affects, worst first, sampled at most `step_m` apart.
pub fn impact(lines: &[UtilityLine], dig: &Dig, ground: &dyn Ground, step_m: f64) -> Vec<DigHit> {
    let ring = &dig.outline;
    if ring.len() < 3 {
        return Vec::new();
    }
    let (lo, hi) = bounds(ring);
    let mut hits = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let reach = dig.margin_m + line.half_width();
        let (llo, lhi) = bounds(&line.plan);
        if llo.x > hi.x + reach
            || llo.y > hi.y + reach
            || lhi.x < lo.x - reach
            || lhi.y < lo.y - reach
        {
            continue;
        }
        if let Some(hit) = line_impact(n, line, dig, ground, step_m.max(0.01)) {
            hits.push(hit);
        }
    }
    hits.sort_by(|a, b| {
        a.impact
            .cmp(&b.impact)
            .then(
                a.clearance_m
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&b.clearance_m.unwrap_or(f64::NEG_INFINITY)),
            )
            .then(a.line.cmp(&b.line))
    });
    hits
}

fn line_impact(
    n: usize,
    line: &UtilityLine,
    dig: &Dig,
    ground: &dyn Ground,
    step_m: f64,
) -> Option<DigHit> {
    let ring = &dig.outline;
    let mut inside_m = 0.0;
    // The least (bottom − top) inside, and where.
    let mut worst: Option<(f64, DVec3)> = None;
    let mut unknown_inside: Option<DVec3> = None;
    for (i, (a, b)) in line.segments().enumerate() {
        let t = cuts(a, b, ring);
        for w in t.windows(2) {
            let (t0, t1) = (w[0], w[1]);
            if !ring_contains(ring, a.lerp(b, (t0 + t1) / 2.0)) {
                continue;
            }
            let len = a.distance(b) * (t1 - t0);
            inside_m += len;
            let pieces = (len / step_m).ceil().max(1.0) as usize;
            for s in 0..=pieces {
                let t = t0 + (t1 - t0) * s as f64 / pieces as f64;
                let p = a.lerp(b, t);
                let top = line.z_at(i, t).map(|z| z + line.half_height());
                let bottom = match dig.bottom {
                    DigBottom::Elevation(z) => Some(z),
                    DigBottom::Depth(d) => ground_over(ground, line, i, t).map(|g| g - d),
                };
                match (top, bottom) {
                    (Some(top), Some(bottom)) => {
                        if worst.is_none_or(|(c, _)| bottom - top < c) {
                            worst = Some((bottom - top, p.extend(top)));
                        }
                    }
                    _ => {
                        unknown_inside.get_or_insert(p.extend(top.unwrap_or(0.0)));
                    }
                }
            }
        }
    }
    if inside_m > 0.0 {
        let (impact, clearance_m, at) = match (worst, unknown_inside) {
            (Some((c, at)), _) if c < 0.0 => (Impact::Exposed, Some(c), at),
            (Some((c, at)), _) if c < dig.margin_m => (Impact::WithinMargin, Some(c), at),
            (_, Some(at)) => (Impact::UnknownDepth, None, at),
            (Some((c, at)), None) => (Impact::Below, Some(c), at),
            (None, None) => unreachable!("an inside stretch has samples"),
        };
        return Some(DigHit {
            line: n,
            impact,
            inside_m,
            clearance_m,
            at,
        });
    }
    // Outside: the nearest approach of its wall to the outline.
    let mut near: Option<(f64, DVec2)> = None;
    for (a, b) in line.segments() {
        for k in 0..ring.len() {
            let (c, d) = (ring[k], ring[(k + 1) % ring.len()]);
            let (t, u) = closest_params(a, b, c, d);
            let (p, q) = (a.lerp(b, t), c.lerp(d, u));
            let gap = p.distance(q) - line.half_width();
            if near.is_none_or(|(g, _)| gap < g) {
                near = Some((gap, p));
            }
        }
    }
    let (gap, p) = near?;
    (gap < dig.margin_m).then(|| DigHit {
        line: n,
        impact: Impact::Near,
        inside_m: 0.0,
        clearance_m: Some(gap),
        at: p.extend(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::corridor::ground::NoGround;
    use crate::pipes::corridor::utility::{Laying, Section, Utility};

    fn pipe(id: &str, y: f64, z: Option<f64>) -> UtilityLine {
        UtilityLine {
            id: id.into(),
            utility: Utility::Gas,
            pressure: None,
            laying: Laying::Direct,
            section: Some(Section::Circle { diameter_m: 0.2 }),
            plan: vec![DVec2::new(-20.0, y), DVec2::new(20.0, y)],
            z: z.map(|z| vec![z, z]),
            ground: Some(vec![10.0, 10.0]),
            location: None,
        }
    }

    #[test]
    fn a_pit_exposes_shallow_lines_and_spares_deep_ones() {
        let dig = Dig {
            outline: vec![
                DVec2::new(-5.0, -5.0),
                DVec2::new(5.0, -5.0),
                DVec2::new(5.0, 5.0),
                DVec2::new(-5.0, 5.0),
            ],
            bottom: DigBottom::Depth(2.0),
            margin_m: 0.5,
        };
        let lines = [
            pipe("shallow", 0.0, Some(8.5)), // top 8.6, bottom 8.0: exposed 0.6 m
            pipe("margin", 1.0, Some(7.7)),  // top 7.8: 0.2 m below the bottom
            pipe("deep", 2.0, Some(6.0)),    // top 6.1: 1.9 m below
            pipe("unknown", 3.0, None),      // no height
            pipe("beside", 5.35, Some(8.5)), // wall 0.25 m outside
            pipe("far", 9.0, Some(8.5)),     // 4 m outside
        ];
        let hits = impact(&lines, &dig, &NoGround, 1.0);
        let got: Vec<(&str, Impact)> = hits
            .iter()
            .map(|h| (lines[h.line].id.as_str(), h.impact))
            .collect();
        assert_eq!(
            got,
            [
                ("shallow", Impact::Exposed),
                ("margin", Impact::WithinMargin),
                ("unknown", Impact::UnknownDepth),
                ("beside", Impact::Near),
                ("deep", Impact::Below),
            ]
        );
        assert!((hits[0].clearance_m.unwrap() + 0.6).abs() < 1e-9);
        assert!((hits[0].inside_m - 10.0).abs() < 1e-9);
        assert!((hits[3].clearance_m.unwrap() - 0.25).abs() < 1e-9);
    }
}
