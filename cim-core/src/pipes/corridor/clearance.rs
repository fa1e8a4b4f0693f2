//! Clearance and collision check between utility lines (管线碰撞/净距检查).
//!
//! GB 50289-2016 measures two clearances, wall to wall: **horizontal**
//! (水平净距, table 4.1.9) between lines laid side by side, and
//! **vertical** (垂直净距, table 4.1.14) where one crosses another. So:
//!
//! - where two lines cross in plan, the vertical gap at the crossing —
//!   the centre lines' height difference less both half-heights — is held
//!   against the vertical rule; below zero the two occupy the same space:
//!   a **collision**;
//! - where two lines run side by side (their segments within
//!   `parallel_within_deg` of each other) without crossing, the plan gap —
//!   centre-line distance less both half-widths — is held against the
//!   horizontal rule;
//! - any two lines whose envelopes overlap in plan *and* in height collide,
//!   whatever their angle.
//!
//! Candidate pairs come from an R*-tree of segment boxes grown by each
//! line's widest rule, so the work follows the lines near each other, not
//! all pairs. Lines of one utility that meet at a point are joined (one
//! network) and are not compared there. Each pair of lines reports its
//! worst place once per kind.

use super::plan::{closest_params, intersection};
use super::rules::{ClearanceRules, ResolvedRules};
use super::utility::UtilityLine;
use glam::{DVec2, DVec3};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What is wrong between two lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// Their envelopes overlap in 3D.
    Collision,
    /// They cross with less than the vertical clearance between them.
    Vertical,
    /// They run side by side with less than the horizontal clearance.
    Horizontal,
}

impl ViolationKind {
    pub fn key(self) -> &'static str {
        match self {
            ViolationKind::Collision => "collision",
            ViolationKind::Vertical => "vertical",
            ViolationKind::Horizontal => "horizontal",
        }
    }
}

/// The worst place of one kind between two lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// Indices into the checked lines, `a < b`.
    pub a: usize,
    pub b: usize,
    /// The rule's minimum clearance (none for a collision no rule covers).
    pub required_m: Option<f64>,
    /// Wall-to-wall clearance there, negative for an overlap: vertical for
    /// crossings, horizontal otherwise.
    pub clearance_m: f64,
    /// Where: between the two closest points (z the mean of the centre
    /// lines' heights, when known).
    pub at: DVec3,
    /// Segment pairs of the two lines in violation of this kind.
    pub places: usize,
}

/// Options of a check.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// Segments within this angle of each other run side by side
    /// (horizontal clearance applies); steeper ones only cross.
    pub parallel_within_deg: f64,
    /// Ends closer than this are the same point (a joint), metres.
    pub joint_tolerance_m: f64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            parallel_within_deg: 30.0,
            joint_tolerance_m: 0.01,
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, Default)]
pub struct ClearanceReport {
    /// Ordered: collisions first, then by how far under the rule.
    pub violations: Vec<Violation>,
    /// Segment pairs examined (near each other in plan).
    pub pairs_examined: usize,
    /// Plan crossings between lines.
    pub crossings: usize,
    /// Crossings where a line has no elevations: not checked vertically.
    pub crossings_without_elevation: usize,
    /// Utility pairs (keys) that crossed or ran side by side within a
    /// metre but that no rule covers.
    pub unruled: BTreeSet<(String, String)>,
}

type SegBox = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Checks every pair of `lines` against `rules`.
pub fn check(lines: &[UtilityLine], rules: &ClearanceRules, opts: CheckOptions) -> ClearanceReport {
    let resolved = ResolvedRules::new(rules, lines);
    let widest_half = lines
        .iter()
        .map(UtilityLine::half_width)
        .fold(0.0, f64::max);
    let boxes: Vec<SegBox> = lines
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            l.segments().enumerate().map(move |(k, (a, b))| {
                GeomWithData::new(
                    Rectangle::from_corners(
                        [a.x.min(b.x), a.y.min(b.y)],
                        [a.x.max(b.x), a.y.max(b.y)],
                    ),
                    (i as u32, k as u32),
                )
            })
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let parallel_cos = opts.parallel_within_deg.to_radians().cos();
    let mut report = ClearanceReport::default();
    let mut worst: HashMap<(usize, usize, ViolationKind), Violation> = HashMap::new();

    for (i, line) in lines.iter().enumerate() {
        // Far enough to see any pair this line's rules could fault, and a
        // metre more so pairs without a rule are noticed.
        let reach = resolved.widest_horizontal[resolved.class[i] as usize].max(1.0)
            + line.half_width()
            + widest_half;
        for (k, (a, b)) in line.segments().enumerate() {
            let env = AABB::from_corners(
                [a.x.min(b.x) - reach, a.y.min(b.y) - reach],
                [a.x.max(b.x) + reach, a.y.max(b.y) + reach],
            );
            for other in tree.locate_in_envelope_intersecting(&env) {
                let (j, m) = (other.data.0 as usize, other.data.1 as usize);
                if j <= i {
                    continue;
                }
                report.pairs_examined += 1;
                let o = &lines[j];
                let (c, d) = (o.plan[m], o.plan[m + 1]);
                if line.utility == o.utility && joined(a, b, c, d, opts.joint_tolerance_m) {
                    continue;
                }
                let found = match intersection(a, b, c, d) {
                    Some((t, u)) => {
                        report.crossings += 1;
                        crossing(&resolved, lines, (i, k, t), (j, m, u), &mut report)
                    }
                    None => {
                        side_by_side(&resolved, lines, (i, k), (j, m), parallel_cos, &mut report)
                    }
                };
                if let Some(v) = found {
                    let slot = worst.entry((i, j, v.kind)).or_insert_with(|| Violation {
                        places: 0,
                        ..v.clone()
                    });
                    slot.places += 1;
                    if v.clearance_m < slot.clearance_m {
                        *slot = Violation {
                            places: slot.places,
                            ..v
                        };
                    }
                }
            }
        }
    }
    let mut violations: Vec<Violation> = worst.into_values().collect();
    violations.sort_by(|x, y| {
        let short = |v: &Violation| v.required_m.unwrap_or(0.0) - v.clearance_m;
        (x.kind != ViolationKind::Collision)
            .cmp(&(y.kind != ViolationKind::Collision))
            .then(short(y).total_cmp(&short(x)))
            .then((x.a, x.b, x.kind).cmp(&(y.a, y.b, y.kind)))
    });
    report.violations = violations;
    report
}

fn unruled(report: &mut ClearanceReport, a: &UtilityLine, b: &UtilityLine) {
    let (x, y) = (a.utility.min(b.utility), a.utility.max(b.utility));
    report
        .unruled
        .insert((x.key().to_string(), y.key().to_string()));
}

/// The vertical check where segment `k` of line `i` crosses segment `m`
/// of line `j` (at parameters `t`, `u`).
fn crossing(
    rules: &ResolvedRules,
    lines: &[UtilityLine],
    (i, k, t): (usize, usize, f64),
    (j, m, u): (usize, usize, f64),
    report: &mut ClearanceReport,
) -> Option<Violation> {
    let (p, q) = (&lines[i], &lines[j]);
    let rule = rules.vertical(i, j);
    if rule.is_none() {
        unruled(report, p, q);
    }
    let (Some(zp), Some(zq)) = (p.z_at(k, t), q.z_at(m, u)) else {
        report.crossings_without_elevation += 1;
        return None;
    };
    let gap = (zp - zq).abs() - p.half_height() - q.half_height();
    let kind = if gap < 0.0 {
        ViolationKind::Collision
    } else if rule.is_some_and(|r| gap < r) {
        ViolationKind::Vertical
    } else {
        return None;
    };
    let at = p.plan[k].lerp(p.plan[k + 1], t);
    Some(Violation {
        kind,
        a: i,
        b: j,
        required_m: rule,
        clearance_m: gap,
        at: at.extend((zp + zq) / 2.0),
        places: 1,
    })
}

/// The horizontal (and overlap) check of two segments that do not cross.
fn side_by_side(
    rules: &ResolvedRules,
    lines: &[UtilityLine],
    (i, k): (usize, usize),
    (j, m): (usize, usize),
    parallel_cos: f64,
    report: &mut ClearanceReport,
) -> Option<Violation> {
    let (p, q) = (&lines[i], &lines[j]);
    let (a, b, c, d) = (p.plan[k], p.plan[k + 1], q.plan[m], q.plan[m + 1]);
    let (t, u) = closest_params(a, b, c, d);
    let (pa, qa) = (a.lerp(b, t), c.lerp(d, u));
    let gap = pa.distance(qa) - p.half_width() - q.half_width();
    let zp = p.z_at(k, t);
    let zq = q.z_at(m, u);
    let at = pa.lerp(qa, 0.5).extend(match (zp, zq) {
        (Some(x), Some(y)) => (x + y) / 2.0,
        _ => zp.or(zq).unwrap_or(0.0),
    });
    let rule = rules.horizontal(i, j);
    if gap < 0.0
        && let (Some(zp), Some(zq)) = (zp, zq)
        && (zp - zq).abs() < p.half_height() + q.half_height()
    {
        return Some(Violation {
            kind: ViolationKind::Collision,
            a: i,
            b: j,
            required_m: rule,
            clearance_m: gap,
            at,
            places: 1,
        });
    }
    let (da, dc) = ((b - a).normalize_or_zero(), (d - c).normalize_or_zero());
    if da.dot(dc).abs() < parallel_cos {
        return None;
    }
    match rule {
        Some(r) if gap < r => Some(Violation {
            kind: ViolationKind::Horizontal,
            a: i,
            b: j,
            required_m: Some(r),
            clearance_m: gap,
            at,
            places: 1,
        }),
        Some(_) => None,
        None => {
            if gap < 1.0 {
                unruled(report, p, q);
            }
            None
        }
    }
}

/// Whether two segments meet end to end or an end of one lies on the
/// other (within `tol`): a joint of one network, not a crossing.
fn joined(a: DVec2, b: DVec2, c: DVec2, d: DVec2, tol: f64) -> bool {
    use super::plan::point_segment_distance as dist;
    dist(a, c, d) <= tol || dist(b, c, d) <= tol || dist(c, a, b) <= tol || dist(d, a, b) <= tol
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::corridor::utility::{GasPressure, Laying, Section, Utility};

    fn line(id: &str, utility: Utility, dn_mm: f64, pts: &[(f64, f64, f64)]) -> UtilityLine {
        UtilityLine {
            id: id.into(),
            utility,
            pressure: (utility == Utility::Gas).then_some(GasPressure::MediumA),
            laying: Laying::Direct,
            section: Some(Section::Circle {
                diameter_m: dn_mm / 1000.0,
            }),
            plan: pts.iter().map(|&(x, y, _)| DVec2::new(x, y)).collect(),
            z: Some(pts.iter().map(|&(_, _, z)| z).collect()),
            ground: None,
            location: None,
        }
    }

    fn run(lines: &[UtilityLine]) -> ClearanceReport {
        check(
            lines,
            &ClearanceRules::gb50289_2016(),
            CheckOptions::default(),
        )
    }

    #[test]
    fn a_sewer_beside_a_large_water_main_needs_one_and_a_half_metres() {
        // Centres 1.9 m apart, DN600 and DN400: 1.4 m wall to wall.
        let r = run(&[
            line(
                "W",
                Utility::Water,
                600.0,
                &[(0.0, 0.0, 8.0), (100.0, 0.0, 8.0)],
            ),
            line(
                "S",
                Utility::Drainage,
                400.0,
                &[(0.0, 1.9, 7.0), (100.0, 1.9, 7.0)],
            ),
        ]);
        assert_eq!(r.violations.len(), 1);
        let v = &r.violations[0];
        assert_eq!(v.kind, ViolationKind::Horizontal);
        assert_eq!(v.required_m, Some(1.5));
        assert!((v.clearance_m - 1.4).abs() < 1e-9, "{}", v.clearance_m);
        // Moved to 2.1 m apart (1.6 m clear) it passes.
        let r = run(&[
            line(
                "W",
                Utility::Water,
                600.0,
                &[(0.0, 0.0, 8.0), (100.0, 0.0, 8.0)],
            ),
            line(
                "S",
                Utility::Drainage,
                400.0,
                &[(0.0, 2.1, 7.0), (100.0, 2.1, 7.0)],
            ),
        ]);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
    }

    #[test]
    fn a_crossing_is_checked_vertically_not_horizontally() {
        // Water DN200 centre at 8.0 crosses a DN400 sewer centre at 7.5:
        // 0.5 − 0.1 − 0.2 = 0.2 m clear, the rule wants 0.40.
        let r = run(&[
            line(
                "W",
                Utility::Water,
                200.0,
                &[(0.0, 0.0, 8.0), (100.0, 0.0, 8.0)],
            ),
            line(
                "S",
                Utility::Drainage,
                400.0,
                &[(50.0, -50.0, 7.5), (50.0, 50.0, 7.5)],
            ),
        ]);
        assert_eq!(r.crossings, 1);
        assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
        let v = &r.violations[0];
        assert_eq!(v.kind, ViolationKind::Vertical);
        assert!((v.clearance_m - 0.2).abs() < 1e-9);
        assert!((v.at - DVec3::new(50.0, 0.0, 7.75)).length() < 1e-9);
    }

    #[test]
    fn overlapping_envelopes_collide() {
        let r = run(&[
            line(
                "G",
                Utility::Gas,
                300.0,
                &[(0.0, 0.0, 8.0), (100.0, 0.0, 8.0)],
            ),
            line(
                "S",
                Utility::Drainage,
                600.0,
                &[(50.0, -50.0, 7.7), (50.0, 50.0, 7.7)],
            ),
        ]);
        assert_eq!(r.violations[0].kind, ViolationKind::Collision);
        assert!((r.violations[0].clearance_m - (0.3 - 0.15 - 0.3)).abs() < 1e-9);
    }

    #[test]
    fn joined_lines_of_one_network_are_not_compared_at_their_joint() {
        let r = run(&[
            line(
                "S1",
                Utility::Drainage,
                400.0,
                &[(0.0, 0.0, 7.0), (50.0, 0.0, 7.0)],
            ),
            line(
                "S2",
                Utility::Drainage,
                400.0,
                &[(50.0, 0.0, 7.0), (50.0, 50.0, 7.0)],
            ),
        ]);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.crossings, 0);
    }

    #[test]
    fn pairs_without_a_rule_are_named_and_lines_without_heights_counted() {
        let mut gas = line(
            "G",
            Utility::Gas,
            200.0,
            &[(0.0, 0.0, 8.0), (100.0, 0.0, 8.0)],
        );
        let heat = line(
            "H",
            Utility::Heat,
            300.0,
            &[(0.0, 0.5, 8.0), (100.0, 0.5, 8.0)],
        );
        let mut sewer = line(
            "S",
            Utility::Drainage,
            300.0,
            &[(50.0, -50.0, 0.0), (50.0, 50.0, 0.0)],
        );
        sewer.z = None;
        gas.id = "G".into();
        let r = run(&[gas, heat, sewer]);
        assert!(
            r.unruled.contains(&("gas".into(), "heat".into())),
            "{:?}",
            r.unruled
        );
        assert_eq!(r.crossings_without_elevation, 2);
    }
}
