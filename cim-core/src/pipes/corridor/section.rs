//! Sections through the ground along a drawn line: a cross-section
//! (横断面) across a street shows each line it cuts — where, how deep,
//! how big —; a longitudinal profile (纵断面) along a street also shows
//! the lines that run with it, unrolled along its chainage.
//!
//! Both are one `Section`: the ground along the drawn path, the lines it
//! crosses (at their chainage, height and cover) and the stretches of line
//! within `corridor_m` of it (projected onto it). `svg` draws it.

use super::ground::{Ground, ground_over};
use super::plan::{bounds, intersection};
use super::utility::UtilityLine;
use glam::DVec2;

/// A line the path cuts.
#[derive(Clone, Debug, PartialEq)]
pub struct Cut {
    /// Index into the lines.
    pub line: usize,
    /// Chainage along the path, metres.
    pub s: f64,
    pub at: DVec2,
    /// The centre line's height there.
    pub z: Option<f64>,
    /// The ground there.
    pub ground: Option<f64>,
}

impl Cut {
    /// Ground to the top of the line.
    pub fn cover(&self, line: &UtilityLine) -> Option<f64> {
        Some(self.ground? - (self.z? + line.half_height()))
    }
}

/// A stretch of line running with the path: (chainage, centre height)
/// samples in order along the line.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub line: usize,
    pub points: Vec<(f64, f64)>,
}

/// A section along a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub path: Vec<DVec2>,
    pub length_m: f64,
    /// (chainage, ground elevation), in order.
    pub ground: Vec<(f64, f64)>,
    /// In chainage order.
    pub cuts: Vec<Cut>,
    pub runs: Vec<Run>,
}

/// Chainage and signed offset (left positive) of `p` from `path`, and the
/// offset's size: the nearest point of the path.
fn station(path: &[DVec2], starts: &[f64], p: DVec2) -> (f64, f64) {
    let mut best = (0.0, f64::INFINITY);
    for (k, w) in path.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        let v = b - a;
        let l2 = v.length_squared();
        let t = if l2 > 0.0 {
            ((p - a).dot(v) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = a + v * t;
        let d = q.distance(p);
        if d < best.1.abs() {
            let side = if v.perp_dot(p - a) >= 0.0 { 1.0 } else { -1.0 };
            best = (starts[k] + t * l2.sqrt(), side * d);
        }
    }
    best
}

/// The section of `lines` along `path`, the ground sampled every `step_m`
/// (and at each cut); lines within `corridor_m` of the path (0: none) are
/// unrolled onto it.
pub fn section(
    lines: &[UtilityLine],
    path: &[DVec2],
    corridor_m: f64,
    ground: &dyn Ground,
    step_m: f64,
) -> Section {
    let step_m = step_m.max(0.01);
    let mut starts = vec![0.0];
    for w in path.windows(2) {
        starts.push(starts.last().unwrap() + w[0].distance(w[1]));
    }
    let length_m = *starts.last().unwrap_or(&0.0);

    let mut cuts = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        for (i, (c, d)) in line.segments().enumerate() {
            for (k, w) in path.windows(2).enumerate() {
                if let Some((t, u)) = intersection(w[0], w[1], c, d) {
                    // A path through a vertex meets both its segments.
                    if u == 1.0 && i + 2 < line.plan.len() {
                        continue;
                    }
                    cuts.push(Cut {
                        line: n,
                        s: starts[k] + t * w[0].distance(w[1]),
                        at: c.lerp(d, u),
                        z: line.z_at(i, u),
                        ground: ground_over(ground, line, i, u),
                    });
                }
            }
        }
    }
    cuts.sort_by(|a, b| a.s.total_cmp(&b.s).then(a.line.cmp(&b.line)));

    let mut profile: Vec<(f64, f64)> = Vec::new();
    for (k, w) in path.windows(2).enumerate() {
        let len = w[0].distance(w[1]);
        let pieces = (len / step_m).ceil().max(1.0) as usize;
        for s in 0..=pieces {
            let t = s as f64 / pieces as f64;
            if let Some(z) = ground.height(w[0].lerp(w[1], t)) {
                profile.push((starts[k] + t * len, z));
            }
        }
    }
    let mut recorded = Vec::new();
    let runs = if corridor_m > 0.0 {
        runs_along(lines, path, &starts, corridor_m, step_m, &mut recorded)
    } else {
        Vec::new()
    };
    // Without a surface, the ground the survey records at the cuts and
    // along the lines that run with the path, averaged per step.
    if profile.is_empty() {
        recorded.extend(cuts.iter().filter_map(|c| Some((c.s, c.ground?))));
        recorded.sort_by(|a, b| a.0.total_cmp(&b.0));
        for chunk in recorded.chunk_by(|a, b| (a.0 / step_m).round() == (b.0 / step_m).round()) {
            let n = chunk.len() as f64;
            let (s, z) = chunk
                .iter()
                .fold((0.0, 0.0), |(s, z), p| (s + p.0, z + p.1));
            profile.push((s / n, z / n));
        }
    }
    profile.sort_by(|a, b| a.0.total_cmp(&b.0));
    profile.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-9);

    Section {
        path: path.to_vec(),
        length_m,
        ground: profile,
        cuts,
        runs,
    }
}

/// The stretches of each line with height within `corridor_m` of the path;
/// the ground they record there goes to `recorded_ground`.
fn runs_along(
    lines: &[UtilityLine],
    path: &[DVec2],
    starts: &[f64],
    corridor_m: f64,
    step_m: f64,
    recorded_ground: &mut Vec<(f64, f64)>,
) -> Vec<Run> {
    let (lo, hi) = bounds(path);
    let (lo, hi) = (lo - corridor_m, hi + corridor_m);
    let mut runs = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let (llo, lhi) = bounds(&line.plan);
        if line.z.is_none() || llo.x > hi.x || llo.y > hi.y || lhi.x < lo.x || lhi.y < lo.y {
            continue;
        }
        let mut current: Vec<(f64, f64)> = Vec::new();
        for (i, (a, b)) in line.segments().enumerate() {
            let pieces = (a.distance(b) / step_m).ceil().max(1.0) as usize;
            for s in 0..=pieces {
                if s == 0 && i > 0 {
                    continue; // the previous segment's end
                }
                let t = s as f64 / pieces as f64;
                let (chain, off) = station(path, starts, a.lerp(b, t));
                if off.abs() <= corridor_m {
                    current.push((chain, line.z_at(i, t).expect("checked")));
                    if let Some(g) = &line.ground {
                        recorded_ground.push((chain, g[i] + (g[i + 1] - g[i]) * t));
                    }
                } else if current.len() > 1 {
                    runs.push(Run {
                        line: n,
                        points: std::mem::take(&mut current),
                    });
                } else {
                    current.clear();
                }
            }
        }
        if current.len() > 1 {
            runs.push(Run {
                line: n,
                points: current,
            });
        }
    }
    // A line crossing the path only touches the corridor: its stretch
    // has (nearly) no length along the path.
    runs.retain(|r| {
        let (a, b) = r
            .points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.0), b.max(p.0))
            });
        b - a >= (2.0 * step_m).max(1.0)
    });
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::corridor::ground::NoGround;
    use crate::pipes::corridor::utility::{Laying, Section as Shape, Utility};

    fn line(id: &str, plan: &[(f64, f64)], z: f64) -> UtilityLine {
        UtilityLine {
            id: id.into(),
            utility: Utility::Water,
            pressure: None,
            laying: Laying::Direct,
            section: Some(Shape::Circle { diameter_m: 0.3 }),
            plan: plan.iter().map(|&(x, y)| DVec2::new(x, y)).collect(),
            z: Some(vec![z; plan.len()]),
            ground: Some(vec![z + 1.5; plan.len()]),
            location: None,
        }
    }

    #[test]
    fn a_cross_section_cuts_each_line_once_at_its_chainage() {
        // Three lines along the street (x), cut by a section across it.
        let lines = [
            line("W", &[(0.0, 2.0), (50.0, 2.0), (100.0, 2.0)], 8.0),
            line("S", &[(0.0, -3.0), (100.0, -3.0)], 6.5),
            line("G", &[(0.0, 6.0), (100.0, 6.0)], 8.5),
        ];
        let path = [DVec2::new(50.0, -10.0), DVec2::new(50.0, 10.0)];
        let s = section(&lines, &path, 0.0, &NoGround, 1.0);
        let got: Vec<(&str, f64)> = s
            .cuts
            .iter()
            .map(|c| (lines[c.line].id.as_str(), c.s))
            .collect();
        assert_eq!(got, [("S", 7.0), ("W", 12.0), ("G", 16.0)]);
        assert!((s.cuts[1].cover(&lines[0]).unwrap() - (1.5 - 0.15)).abs() < 1e-9);
        assert_eq!(s.ground.len(), 3, "the ground the survey gives at the cuts");
        assert!(s.runs.is_empty());
    }

    #[test]
    fn a_longitudinal_profile_unrolls_the_lines_along_it() {
        let lines = [
            line("W", &[(0.0, 2.0), (100.0, 2.0)], 8.0),
            line("far", &[(0.0, 20.0), (100.0, 20.0)], 8.0),
            line("across", &[(40.0, -10.0), (40.0, 10.0)], 7.0),
        ];
        let path = [
            DVec2::new(10.0, 0.0),
            DVec2::new(60.0, 0.0),
            DVec2::new(90.0, 0.0),
        ];
        let s = section(&lines, &path, 3.0, &NoGround, 5.0);
        assert_eq!(s.length_m, 80.0);
        assert_eq!(s.cuts.len(), 1);
        assert!((s.cuts[0].s - 30.0).abs() < 1e-9);
        let w: Vec<_> = s.runs.iter().filter(|r| r.line == 0).collect();
        assert_eq!(w.len(), 1);
        let (first, last) = (w[0].points[0], *w[0].points.last().unwrap());
        assert_eq!((first.0, last.0), (0.0, 80.0), "clamped to the path's ends");
        assert!(
            s.runs.iter().all(|r| r.line != 1),
            "20 m away is outside the corridor"
        );
    }
}
