//! A generated city's utility corridors, for benchmarks and tests: a grid
//! of streets, each block's stretch of street carrying eight lines at the
//! offsets and depths a typical Chinese urban road cross-section gives
//! them (power and telecom ducts under the footways, water, gas, storm and
//! sewer mains and heat and reclaimed water under the carriageway),
//! surveyed with noise, and a few lines laid badly (displaced sideways or
//! vertically) so checks find something.
//!
//! Deterministic for a seed (SplitMix64).

use super::utility::{GasPressure, Laying, Location, Section, Utility, UtilityLine};
use glam::DVec2;

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast, good enough for
/// layout noise.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-a, a].
    fn spread(&mut self, a: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * a
    }
}

/// One line of the street cross-section.
struct Slot {
    utility: Utility,
    section: Section,
    laying: Laying,
    /// Offset from the street's centre line, metres.
    offset: f64,
    /// Depth of the surveyed point (top; invert for drainage).
    depth: f64,
    location: Location,
}

fn slots() -> [Slot; 8] {
    let c = |d: f64| Section::Circle { diameter_m: d };
    let r = |w: f64, h: f64| Section::Rect {
        width_m: w,
        height_m: h,
    };
    let (d, p) = (Laying::Direct, Laying::Protected);
    let (road, walk) = (Location::Roadway, Location::Other);
    let slot = |utility, section, laying, offset, depth, location| Slot {
        utility,
        section,
        laying,
        offset,
        depth,
        location,
    };
    [
        slot(Utility::Power, r(1.0, 0.8), p, -12.5, 0.7, walk),
        slot(Utility::Telecom, r(0.6, 0.4), p, -10.0, 0.8, walk),
        slot(Utility::Water, c(0.3), d, -6.0, 1.0, road),
        slot(Utility::Drainage, c(0.8), d, -2.5, 2.6, road),
        slot(Utility::Drainage, c(0.6), d, 1.0, 3.4, road),
        slot(Utility::Gas, c(0.2), d, 4.5, 1.0, road),
        slot(Utility::Heat, r(1.2, 1.0), p, 8.0, 1.2, road),
        slot(Utility::Reclaimed, c(0.2), d, 11.5, 1.0, walk),
    ]
}

/// How much deeper lines across a street lie than those along it: below
/// the deepest sewer with half a metre to spare.
const CROSS_STREET_DROP_M: f64 = 3.5;

/// The ground of the generated city: a gentle tilt, metres.
pub fn ground_at(p: DVec2) -> f64 {
    10.0 + p.x * 0.002 - p.y * 0.001
}

/// A city of `blocks` × `blocks` blocks of `block_m` metres: 8 lines per
/// block side, `2 · blocks · (blocks + 1) · 8` lines in all; one line in
/// `1 / bad_every` is laid badly. Lines across a street lie deeper than
/// those along it, so mains of crossing streets clear each other.
pub fn city(blocks: usize, block_m: f64, bad_every: u64, seed: u64) -> Vec<UtilityLine> {
    let mut rng = Rng(seed);
    let slots = slots();
    let mut out = Vec::with_capacity(2 * blocks * (blocks + 1) * slots.len());
    for dir in 0..2 {
        for street in 0..=blocks {
            for block in 0..blocks {
                for (k, s) in slots.iter().enumerate() {
                    let bad = bad_every > 0 && rng.next().is_multiple_of(bad_every);
                    let mut off = s.offset + rng.spread(0.15);
                    let mut depth = s.depth + rng.spread(0.05) + dir as f64 * CROSS_STREET_DROP_M;
                    if bad {
                        if rng.unit() < 0.5 {
                            off += rng.spread(3.0);
                        } else {
                            depth += rng.spread(1.0);
                        }
                    }
                    let along = |t: f64| (block as f64 + t) * block_m;
                    let across = street as f64 * block_m + off;
                    let point = |t: f64, wobble: f64| {
                        if dir == 0 {
                            DVec2::new(along(t), across + wobble)
                        } else {
                            DVec2::new(across + wobble, along(t))
                        }
                    };
                    let plan = vec![
                        point(0.02, 0.0),
                        point(0.5, rng.spread(0.1)),
                        point(0.98, 0.0),
                    ];
                    let ground: Vec<f64> = plan.iter().map(|p| ground_at(*p)).collect();
                    let to_centre = if s.utility == Utility::Drainage {
                        s.section.half_height()
                    } else {
                        -s.section.half_height()
                    };
                    let z = ground.iter().map(|g| g - depth + to_centre).collect();
                    out.push(UtilityLine {
                        id: format!("{}{dir}-{street}-{block}-{k}", s.utility.key()),
                        utility: s.utility,
                        pressure: (s.utility == Utility::Gas).then_some(GasPressure::MediumA),
                        laying: s.laying,
                        section: Some(s.section),
                        plan,
                        z: Some(z),
                        ground: Some(ground),
                        location: Some(s.location),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::corridor::ClearanceRules;
    use crate::pipes::corridor::clearance::{CheckOptions, check};

    #[test]
    fn a_well_laid_city_is_clean_and_a_badly_laid_one_is_not() {
        let rules = ClearanceRules::gb50289_2016();
        let good = city(3, 100.0, 0, 1);
        assert_eq!(good.len(), 2 * 3 * 4 * 8);
        let r = check(&good, &rules, CheckOptions::default());
        assert!(
            r.violations.is_empty(),
            "{:?}",
            &r.violations[..r.violations.len().min(3)]
        );
        assert!(r.crossings > 0);
        let bad = city(3, 100.0, 5, 1);
        assert!(
            !check(&bad, &rules, CheckOptions::default())
                .violations
                .is_empty()
        );
    }
}
