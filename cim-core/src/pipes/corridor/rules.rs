//! Clearance and cover rule tables: the minimum horizontal clearance
//! between parallel lines, the minimum vertical clearance where they cross,
//! and the minimum cover over each class, as GB 50289-2016 tabulates them
//! (tables 4.1.9, 4.1.14 and 4.1.1) — or as a project's own table, in the
//! same TOML form (`ClearanceRules::from_toml`).
//!
//! A rule names its lines by *selectors*: a utility key (`water`,
//! `drainage`, `reclaimed`, `gas`, `heat`, `power`, `telecom`), optionally
//! narrowed by one qualifier after a colon — a size band (`water:d<=200`,
//! `water:d>200`, millimetres), a gas pressure class (`gas:medium-a`) or a
//! laying (`power:direct`, `telecom:protected`). Where several rules match
//! a pair, the most specific wins (qualified over bare); a pair no rule
//! names is not checked.

use super::utility::{GasPressure, Laying, Utility, UtilityLine};
use serde::Deserialize;
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RulesError {
    #[error("rule table: {0}")]
    Toml(String),
    #[error("rule table: selector `{0}`: {1}")]
    Selector(String, &'static str),
    #[error("rule table: `{what}` {value} m is not a clearance (0–100 m)")]
    Value { what: &'static str, value: f64 },
}

/// Which lines a rule applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub utility: Utility,
    pub qualifier: Option<Qualifier>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    /// Size (diameter, or width of a box) at most this many mm.
    AtMostMm(f64),
    /// Size over this many mm.
    OverMm(f64),
    Pressure(GasPressure),
    Laying(Laying),
}

impl Selector {
    /// ```
    /// use cim_core::pipes::corridor::rules::Selector;
    /// assert!(Selector::parse("water:d<=200").is_ok());
    /// assert!(Selector::parse("gas:medium-a").is_ok());
    /// assert!(Selector::parse("lava").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Selector, RulesError> {
        let err = |why| RulesError::Selector(s.to_string(), why);
        let (u, q) = match s.split_once(':') {
            Some((u, q)) => (u, Some(q.trim())),
            None => (s, None),
        };
        let utility = Utility::ALL
            .into_iter()
            .find(|x| x.key() == u.trim())
            .ok_or_else(|| {
                err("unknown utility (water, drainage, reclaimed, gas, heat, power, telecom)")
            })?;
        let qualifier = match q {
            None => None,
            Some(q) => Some(if let Some(mm) = q.strip_prefix("d<=") {
                Qualifier::AtMostMm(mm.trim().parse().map_err(|_| err("bad size"))?)
            } else if let Some(mm) = q.strip_prefix("d>") {
                Qualifier::OverMm(mm.trim().parse().map_err(|_| err("bad size"))?)
            } else if let Some(l) = Laying::parse(q) {
                Qualifier::Laying(l)
            } else if let Some(p) = GasPressure::parse(q) {
                Qualifier::Pressure(p)
            } else {
                return Err(err(
                    "unknown qualifier (d<=N, d>N, a gas pressure class, direct, protected)",
                ));
            }),
        };
        Ok(Selector { utility, qualifier })
    }

    pub fn matches(&self, line: &UtilityLine) -> bool {
        if line.utility != self.utility {
            return false;
        }
        match &self.qualifier {
            None => true,
            // A line of unknown size is taken at the smaller band: its wall
            // is not known either, so the check is the lenient one.
            Some(Qualifier::AtMostMm(mm)) => line.section.is_none_or(|s| s.size_mm() <= *mm),
            Some(Qualifier::OverMm(mm)) => line.section.is_some_and(|s| s.size_mm() > *mm),
            Some(Qualifier::Pressure(p)) => line.pressure == Some(*p),
            Some(Qualifier::Laying(l)) => line.laying == *l,
        }
    }

    fn specificity(&self) -> u32 {
        self.qualifier.is_some() as u32
    }
}

/// A minimum clearance between two selections of lines.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRule {
    pub a: Selector,
    pub b: Selector,
    pub min_m: f64,
}

/// Minimum cover (ground to the top of the line) for one selection.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverRule {
    pub line: Selector,
    /// Under a carriageway (机动车道).
    pub roadway_m: f64,
    /// Elsewhere (非机动车道, 人行道, green).
    pub other_m: f64,
}

/// A rule table.
#[derive(Clone, Debug, PartialEq)]
pub struct ClearanceRules {
    pub name: String,
    pub horizontal: Vec<PairRule>,
    pub vertical: Vec<PairRule>,
    pub cover: Vec<CoverRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlTable {
    name: String,
    #[serde(default)]
    horizontal: Vec<TomlPair>,
    #[serde(default)]
    vertical: Vec<TomlPair>,
    #[serde(default)]
    cover: Vec<TomlCover>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlPair {
    between: [String; 2],
    min_m: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCover {
    line: String,
    roadway_m: f64,
    other_m: f64,
}

fn clearance(what: &'static str, value: f64) -> Result<f64, RulesError> {
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(RulesError::Value { what, value })
    }
}

impl ClearanceRules {
    /// GB 50289-2016's tables, pipe to pipe (see `gb50289_2016.toml`
    /// beside this file for the cells and their notes).
    pub fn gb50289_2016() -> ClearanceRules {
        Self::from_toml(include_str!("gb50289_2016.toml"))
            .expect("the bundled GB 50289 table parses")
    }

    /// A table in the bundled table's form:
    ///
    /// ```
    /// use cim_core::pipes::corridor::ClearanceRules;
    /// let r = ClearanceRules::from_toml(r#"
    ///     name = "site rules"
    ///     [[horizontal]]
    ///     between = ["water", "gas:low"]
    ///     min_m = 0.5
    ///     [[cover]]
    ///     line = "water"
    ///     roadway_m = 0.7
    ///     other_m = 0.6
    /// "#).unwrap();
    /// assert_eq!(r.horizontal.len(), 1);
    /// ```
    pub fn from_toml(text: &str) -> Result<ClearanceRules, RulesError> {
        let t: TomlTable = toml::from_str(text).map_err(|e| RulesError::Toml(e.to_string()))?;
        let pairs = |rows: Vec<TomlPair>, what| -> Result<Vec<PairRule>, RulesError> {
            rows.into_iter()
                .map(|r| {
                    Ok(PairRule {
                        a: Selector::parse(&r.between[0])?,
                        b: Selector::parse(&r.between[1])?,
                        min_m: clearance(what, r.min_m)?,
                    })
                })
                .collect()
        };
        Ok(ClearanceRules {
            name: t.name,
            horizontal: pairs(t.horizontal, "horizontal min_m")?,
            vertical: pairs(t.vertical, "vertical min_m")?,
            cover: t
                .cover
                .into_iter()
                .map(|c| {
                    Ok(CoverRule {
                        line: Selector::parse(&c.line)?,
                        roadway_m: clearance("roadway_m", c.roadway_m)?,
                        other_m: clearance("other_m", c.other_m)?,
                    })
                })
                .collect::<Result<_, RulesError>>()?,
        })
    }

    /// The cover rule for a line (most specific match).
    pub fn cover_for(&self, line: &UtilityLine) -> Option<&CoverRule> {
        self.cover
            .iter()
            .filter(|c| c.line.matches(line))
            .max_by_key(|c| c.line.specificity())
    }
}

/// The most specific rule of `rules` for the pair (`a`, `b`), either way
/// round.
fn pair_rule(rules: &[PairRule], a: &UtilityLine, b: &UtilityLine) -> Option<f64> {
    rules
        .iter()
        .filter(|r| (r.a.matches(a) && r.b.matches(b)) || (r.a.matches(b) && r.b.matches(a)))
        .max_by_key(|r| r.a.specificity() + r.b.specificity())
        .map(|r| r.min_m)
}

/// A rule table resolved for one set of lines: lines that every selector
/// treats alike share a class, and each pair of classes is looked up once.
pub struct ResolvedRules {
    /// The class of each line.
    pub class: Vec<u32>,
    classes: usize,
    horizontal: Vec<Option<f64>>,
    vertical: Vec<Option<f64>>,
    /// The largest horizontal clearance any pair of a class needs.
    pub widest_horizontal: Vec<f64>,
}

impl ResolvedRules {
    pub fn new(rules: &ClearanceRules, lines: &[UtilityLine]) -> ResolvedRules {
        let selectors: Vec<&Selector> = rules
            .horizontal
            .iter()
            .chain(&rules.vertical)
            .flat_map(|r| [&r.a, &r.b])
            .collect();
        // Lines with the same utility and the same selector matches are
        // alike for every rule.
        let mut seen: HashMap<(Utility, Vec<bool>), u32> = HashMap::new();
        let mut examples: Vec<usize> = Vec::new();
        let class = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let key = (l.utility, selectors.iter().map(|s| s.matches(l)).collect());
                *seen.entry(key).or_insert_with(|| {
                    examples.push(i);
                    examples.len() as u32 - 1
                })
            })
            .collect();
        let n = examples.len();
        let table = |rows: &[PairRule]| -> Vec<Option<f64>> {
            let mut t = vec![None; n * n];
            for (i, &a) in examples.iter().enumerate() {
                for (j, &b) in examples.iter().enumerate() {
                    t[i * n + j] = pair_rule(rows, &lines[a], &lines[b]);
                }
            }
            t
        };
        let horizontal = table(&rules.horizontal);
        let vertical = table(&rules.vertical);
        let widest_horizontal = (0..n)
            .map(|i| {
                (0..n)
                    .filter_map(|j| horizontal[i * n + j])
                    .fold(0.0, f64::max)
            })
            .collect();
        ResolvedRules {
            class,
            classes: n,
            horizontal,
            vertical,
            widest_horizontal,
        }
    }

    pub fn horizontal(&self, a: usize, b: usize) -> Option<f64> {
        self.horizontal[self.class[a] as usize * self.classes + self.class[b] as usize]
    }

    pub fn vertical(&self, a: usize, b: usize) -> Option<f64> {
        self.vertical[self.class[a] as usize * self.classes + self.class[b] as usize]
    }
}
