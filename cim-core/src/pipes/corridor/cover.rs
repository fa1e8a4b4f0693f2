//! Burial depth: the cover over each line (ground to the top of its outer
//! wall) against the minimum its class needs under a carriageway or
//! elsewhere.
//!
//! Lines are sampled along their length at most `step_m` apart (and at
//! every vertex), so a line that dips under a hump in the ground, or rises
//! under a cutting, is seen between its surveyed points.

use super::ground::{Ground, ground_over};
use super::rules::ClearanceRules;
use super::utility::{Location, UtilityLine};
use glam::DVec3;
use std::collections::BTreeSet;

/// A line with too little cover somewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverShortfall {
    /// Index into the checked lines.
    pub line: usize,
    pub required_m: f64,
    /// The least cover along the line.
    pub cover_m: f64,
    /// The top of the line there.
    pub at: DVec3,
    /// Length of line under the minimum.
    pub length_m: f64,
    pub location: Location,
}

#[derive(Clone, Debug, Default)]
pub struct CoverReport {
    /// Worst first.
    pub shortfalls: Vec<CoverShortfall>,
    /// Lines with a rule, elevations and ground: checked.
    pub checked: usize,
    /// Lines with elevations but no ground under them.
    pub without_ground: usize,
    pub without_elevation: usize,
    /// Utilities (keys) with no cover rule.
    pub without_rule: BTreeSet<String>,
}

/// Checks the cover of `lines` (a line's own `location`, else `default`).
pub fn check(
    lines: &[UtilityLine],
    rules: &ClearanceRules,
    ground: &dyn Ground,
    default: Location,
    step_m: f64,
) -> CoverReport {
    let mut report = CoverReport::default();
    let step_m = step_m.max(0.01);
    for (n, line) in lines.iter().enumerate() {
        let Some(rule) = rules.cover_for(line) else {
            report.without_rule.insert(line.utility.key().to_string());
            continue;
        };
        if line.z.is_none() {
            report.without_elevation += 1;
            continue;
        }
        let location = line.location.unwrap_or(default);
        let required = match location {
            Location::Roadway => rule.roadway_m,
            Location::Other => rule.other_m,
        };
        let mut worst: Option<(f64, DVec3)> = None;
        let mut short_length = 0.0;
        let mut grounded = false;
        for (i, (a, b)) in line.segments().enumerate() {
            let len = a.distance(b);
            let pieces = (len / step_m).ceil().max(1.0) as usize;
            // Each sample stands for its share of the segment (halves at
            // the ends).
            for s in 0..=pieces {
                let t = s as f64 / pieces as f64;
                let Some(g) = ground_over(ground, line, i, t) else {
                    continue;
                };
                grounded = true;
                let top = line.z_at(i, t).expect("checked") + line.half_height();
                let cover = g - top;
                if cover < required {
                    let share = if s == 0 || s == pieces { 0.5 } else { 1.0 };
                    short_length += share * len / pieces as f64;
                }
                if worst.is_none_or(|(w, _)| cover < w) {
                    let p = line.plan[i].lerp(line.plan[i + 1], t);
                    worst = Some((cover, p.extend(top)));
                }
            }
        }
        if !grounded {
            report.without_ground += 1;
            continue;
        }
        report.checked += 1;
        if let Some((cover, at)) = worst
            && cover < required
        {
            report.shortfalls.push(CoverShortfall {
                line: n,
                required_m: required,
                cover_m: cover,
                at,
                length_m: short_length,
                location,
            });
        }
    }
    report.shortfalls.sort_by(|x, y| {
        (x.cover_m - x.required_m)
            .total_cmp(&(y.cover_m - y.required_m))
            .then(x.line.cmp(&y.line))
    });
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::grid::Grid;
    use crate::pipes::corridor::utility::{Laying, Section, Utility};
    use glam::DVec2;

    fn sewer(z: [f64; 2]) -> UtilityLine {
        UtilityLine {
            id: "S".into(),
            utility: Utility::Drainage,
            pressure: None,
            laying: Laying::Direct,
            section: Some(Section::Circle { diameter_m: 0.4 }),
            plan: vec![DVec2::new(0.5, 5.0), DVec2::new(9.5, 5.0)],
            z: Some(z.to_vec()),
            ground: None,
            location: None,
        }
    }

    /// A DEM over 0–10 m rising from 10 m in the west to 11 m in the east.
    fn slope() -> Grid {
        let mut g = Grid::new(11, 11, 0.0, 11.0, 1.0, 1.0);
        for r in 0..11 {
            for c in 0..11 {
                let (x, _) = g.cell_center(c, r);
                g.set(c, r, (10.0 + x / 10.0) as f32);
            }
        }
        g
    }

    #[test]
    fn a_shallow_sewer_under_a_road_is_short_where_the_ground_is_low() {
        // Top at 9.6: cover 0.45 m at the west end (ground 10.05), 1.35 m
        // at the east end (10.95); the road wants 0.7 m.
        let r = check(
            &[sewer([9.4, 9.4])],
            &ClearanceRules::gb50289_2016(),
            &slope(),
            Location::Roadway,
            1.0,
        );
        assert_eq!(r.checked, 1);
        let s = &r.shortfalls[0];
        assert_eq!(s.required_m, 0.7);
        let dem = slope();
        let expected = dem.sample(0.5, 5.0).unwrap() - 9.6;
        assert!(
            (s.cover_m - expected).abs() < 1e-6,
            "{} vs {expected}",
            s.cover_m
        );
        // Cover reaches 0.7 m where the ground reaches 10.3 m.
        let x = (0..=900)
            .map(|k| 0.5 + k as f64 / 100.0)
            .find(|&x| dem.sample(x, 5.0).unwrap() - 9.6 >= 0.7)
            .unwrap();
        assert!(
            (s.length_m - (x - 0.5)).abs() < 1.0,
            "{} vs {}",
            s.length_m,
            x - 0.5
        );
        // Under a footway 0.6 m is enough over a shorter stretch.
        let r = check(
            &[sewer([9.4, 9.4])],
            &ClearanceRules::gb50289_2016(),
            &slope(),
            Location::Other,
            1.0,
        );
        assert!(r.shortfalls[0].length_m < s.length_m);
    }

    #[test]
    fn lines_without_a_rule_ground_or_heights_are_counted_not_passed() {
        let mut water = sewer([9.0, 9.0]);
        water.utility = Utility::Heat;
        let mut flat = sewer([9.0, 9.0]);
        flat.z = None;
        let r = check(
            &[water, flat, sewer([9.0, 9.0])],
            &ClearanceRules::gb50289_2016(),
            &super::super::ground::NoGround,
            Location::Roadway,
            1.0,
        );
        assert!(r.without_rule.contains("heat"));
        assert_eq!(r.without_elevation, 1);
        assert_eq!(r.without_ground, 1);
        assert_eq!(r.checked, 0);
    }
}
