//! Thematic styling: colouring features by an attribute, like QGIS's
//! *single symbol*, *categorized* and *graduated* renderers.
//!
//! A [`ThemeSpec`] lives in the scene document (`[layer.style.theme]`) and
//! [`classify`] turns it plus a layer's features into one colour per feature
//! and a [`Legend`]:
//!
//! * **Single**: every feature gets `color` (or the layer's base colour).
//! * **Categorized**: one class per distinct value of `field`, most frequent
//!   first (ties by value). Colours come from `colors` overrides, then the
//!   well-known CIM land-use table ([`cim_category_color`]), then the
//!   categorical palette ([`categorical_color`]); a `ramp`, when named,
//!   replaces table and palette. Past [`MAX_CATEGORIES`] values the rest
//!   share one "other" class. Null and empty values get a grey
//!   [`NULL_LABEL`] class.
//! * **Graduated**: a numeric `field` is cut into `classes` classes by
//!   [`ClassMethod`] (equal interval, quantile, Jenks–Fisher natural breaks
//!   or manual breaks) coloured along a ramp (default `YlOrRd`).
//!
//! Classes are upper-inclusive, as in QGIS: with bounds `b0 < b1 < … < bk`,
//! class `i` holds `b(i) < v ≤ b(i+1)`, the first class also holding `b0`.
//!
//! ```
//! use cim_core::model::attr::{AttrType, AttrValue, Field};
//! use cim_core::model::layer::{Feature, FeatureId, VectorData};
//! use cim_core::model::geometry::Geometry;
//! use cim_core::style::thematic::{classify, ClassMethod, ThemeMode, ThemeSpec};
//! use glam::DVec3;
//! let mut v = VectorData { fields: vec![Field::new("height", AttrType::Float)], features: vec![] };
//! for (i, h) in [3.0, 4.0, 5.0, 30.0, 31.0, 90.0].into_iter().enumerate() {
//!     v.features.push(Feature {
//!         id: FeatureId(i as u64),
//!         geometry: Geometry::Point(DVec3::ZERO),
//!         attributes: vec![AttrValue::Float(h)],
//!     });
//! }
//! let spec = ThemeSpec {
//!     mode: ThemeMode::Graduated,
//!     field: Some("height".into()),
//!     method: ClassMethod::NaturalBreaks,
//!     classes: 3,
//!     ..Default::default()
//! };
//! let t = classify(&v, &spec, [255; 4]).unwrap();
//! let labels: Vec<_> = t.legend.entries.iter().map(|e| (e.label.as_str(), e.count)).collect();
//! assert_eq!(labels, [("3 – 5", 3), ("5 – 31", 2), ("31 – 90", 1)]);
//! assert_eq!(t.colors[0], t.colors[2]);
//! ```

use crate::model::attr::{AttrType, AttrValue};
use crate::model::layer::VectorData;
use crate::query::{close_matches, field_hint};
use crate::scene::parse_hex_color;
use crate::style::color_ramp::{ColorRamp, NULL_COLOR, categorical_color, cim_category_color};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Which renderer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeMode {
    /// One colour for all features.
    #[default]
    Single,
    /// One colour per distinct value.
    #[serde(alias = "categorised", alias = "categories")]
    Categorized,
    /// Numeric value ranges along a colour ramp.
    #[serde(alias = "graduate")]
    Graduated,
}

/// How graduated classes are cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMethod {
    /// Classes of equal width between the minimum and maximum.
    #[default]
    #[serde(alias = "equal")]
    EqualInterval,
    /// Classes holding (about) the same number of features.
    Quantile,
    /// Jenks natural breaks: the classes with the least within-class
    /// variance, computed exactly by Fisher's dynamic programme.
    #[serde(alias = "jenks")]
    NaturalBreaks,
    /// The bounds in [`ThemeSpec::breaks`].
    Manual,
}

/// The default number of graduated classes.
pub const DEFAULT_CLASSES: usize = 5;
/// Most graduated classes (larger requests are clamped).
pub const MAX_CLASSES: usize = 32;
/// Most named categories; the rest share one "other" class.
pub const MAX_CATEGORIES: usize = 64;
/// Natural breaks runs on at most this many values (evenly spaced order
/// statistics of the sorted data); see [`jenks_breaks`].
pub const JENKS_SAMPLE: usize = 2000;
/// Legend label of the null/empty class.
pub const NULL_LABEL: &str = "(空值/null)";
/// Legend label of values outside the named classes.
pub const OTHER_LABEL: &str = "(其他/other)";
/// Legend label of a single-symbol theme.
pub const ALL_LABEL: &str = "(全部/all)";
/// Colour of values outside the named classes.
pub const OTHER_COLOR: [u8; 4] = [160, 160, 160, 255];

/// Thematic styling settings, as stored under `[layer.style.theme]`. Every
/// field has a default and defaults are not written, so documents stay short.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThemeSpec {
    #[serde(skip_serializing_if = "is_default")]
    pub mode: ThemeMode,
    /// The attribute field (categorized and graduated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub method: ClassMethod,
    /// Number of graduated classes (1 ..= [`MAX_CLASSES`]; fewer when the
    /// data has fewer distinct values).
    #[serde(skip_serializing_if = "is_default_classes")]
    pub classes: usize,
    /// Class bounds for [`ClassMethod::Manual`]: `b0 < b1 < … < bk` gives
    /// `k` classes; values outside `[b0, bk]` fall into "other".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<f64>,
    /// Colour ramp name ([`ColorRamp::by_name`]); default `YlOrRd` for
    /// graduated, the categorical palette for categorized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramp: Option<String>,
    /// Category value → `#rrggbb` overrides (the key `""` is the null class).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub colors: BTreeMap<String, String>,
    /// The single-symbol colour, `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_default_classes(n: &usize) -> bool {
    *n == DEFAULT_CLASSES
}

impl Default for ThemeSpec {
    fn default() -> Self {
        ThemeSpec {
            mode: ThemeMode::Single,
            field: None,
            method: ClassMethod::EqualInterval,
            classes: DEFAULT_CLASSES,
            breaks: Vec::new(),
            ramp: None,
            colors: BTreeMap::new(),
            color: None,
        }
    }
}

impl ThemeSpec {
    /// Categorized on `field`.
    pub fn categorized(field: impl Into<String>) -> ThemeSpec {
        ThemeSpec {
            mode: ThemeMode::Categorized,
            field: Some(field.into()),
            ..Default::default()
        }
    }

    /// Graduated on `field` with `classes` classes by `method`.
    pub fn graduated(field: impl Into<String>, method: ClassMethod, classes: usize) -> ThemeSpec {
        ThemeSpec {
            mode: ThemeMode::Graduated,
            field: Some(field.into()),
            method,
            classes,
            ..Default::default()
        }
    }
}

/// Why a theme cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThemeError {
    #[error("{mode} styling needs a `field`")]
    NoField { mode: &'static str },
    #[error("unknown field '{name}'{}", field_hint(suggestions, available))]
    UnknownField {
        name: String,
        /// Fields with close names, closest first.
        suggestions: Vec<String>,
        available: Vec<String>,
    },
    #[error(
        "field '{name}' holds {} values, not numbers; use categorized styling for it",
        ty.as_str()
    )]
    NotNumeric { name: String, ty: AttrType },
    #[error("unknown colour ramp '{name}'; ramps are {}", ColorRamp::names().join(", "))]
    UnknownRamp { name: String },
    #[error("invalid colour '{value}' for {what}; write #rrggbb")]
    BadColor { what: String, value: String },
    #[error("manual classes need at least two distinct finite breaks, got {0:?}")]
    ManualBreaks(Vec<f64>),
}

/// The result of [`classify`].
#[derive(Clone, Debug, PartialEq)]
pub struct Thematic {
    /// One colour per feature, in the order of `VectorData::features`.
    pub colors: Vec<[u8; 4]>,
    pub legend: Legend,
}

/// What each colour means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Legend {
    /// The field name (empty for a single symbol).
    pub title: String,
    pub entries: Vec<LegendEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    pub label: String,
    pub color: [u8; 4],
    /// Number of features in the class.
    pub count: usize,
}

/// Colours `v`'s features as `spec` says. `base_color` is the single-symbol
/// colour when `spec.color` is not set.
pub fn classify(
    v: &VectorData,
    spec: &ThemeSpec,
    base_color: [u8; 4],
) -> Result<Thematic, ThemeError> {
    match spec.mode {
        ThemeMode::Single => {
            let color = match &spec.color {
                Some(c) => parse_color(c, "the single colour")?,
                None => base_color,
            };
            Ok(Thematic {
                colors: vec![color; v.features.len()],
                legend: Legend {
                    title: String::new(),
                    entries: vec![LegendEntry {
                        label: ALL_LABEL.to_owned(),
                        color,
                        count: v.features.len(),
                    }],
                },
            })
        }
        ThemeMode::Categorized => categorized(v, spec),
        ThemeMode::Graduated => graduated(v, spec),
    }
}

fn parse_color(value: &str, what: &str) -> Result<[u8; 4], ThemeError> {
    parse_hex_color(value.trim()).ok_or_else(|| ThemeError::BadColor {
        what: what.to_owned(),
        value: value.to_owned(),
    })
}

fn ramp(spec: &ThemeSpec) -> Result<Option<ColorRamp>, ThemeError> {
    spec.ramp
        .as_deref()
        .map(|name| {
            ColorRamp::by_name(name).ok_or_else(|| ThemeError::UnknownRamp {
                name: name.to_owned(),
            })
        })
        .transpose()
}

/// The index of `spec.field` in `v`'s schema: exact match, else a unique
/// case-insensitive one.
fn resolve_field(
    v: &VectorData,
    spec: &ThemeSpec,
    mode: &'static str,
) -> Result<usize, ThemeError> {
    let name = spec
        .field
        .as_deref()
        .filter(|f| !f.is_empty())
        .ok_or(ThemeError::NoField { mode })?;
    if let Some(i) = v.field_index(name) {
        return Ok(i);
    }
    let mut ci = v
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name.eq_ignore_ascii_case(name));
    if let (Some((i, _)), None) = (ci.next(), ci.next()) {
        return Ok(i);
    }
    Err(ThemeError::UnknownField {
        name: name.to_owned(),
        suggestions: close_matches(name, &v.fields),
        available: v.fields.iter().map(|f| f.name.clone()).collect(),
    })
}

/// A value's category key; `None` for null, empty text and NaN.
fn category_key(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::Null => None,
        AttrValue::String(s) if s.trim().is_empty() => None,
        AttrValue::Float(f) if f.is_nan() => None,
        v => Some(v.to_string()),
    }
}

fn categorized(v: &VectorData, spec: &ThemeSpec) -> Result<Thematic, ThemeError> {
    let fi = resolve_field(v, spec, "categorized")?;
    let ramp = ramp(spec)?;
    let keys: Vec<Option<String>> = v
        .features
        .iter()
        .map(|f| category_key(f.attributes.get(fi).unwrap_or(&AttrValue::Null)))
        .collect();

    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut nulls = 0;
    for k in &keys {
        match k {
            Some(k) => *counts.entry(k.as_str()).or_default() += 1,
            None => nulls += 1,
        }
    }
    let mut values: Vec<(&str, usize)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| compare_values(a.0, b.0)));
    let others: usize = values.iter().skip(MAX_CATEGORIES).map(|(_, n)| n).sum();
    values.truncate(MAX_CATEGORIES);

    let ramp_colors = ramp.as_ref().map(|r| r.classes(values.len()));
    let mut palette_next = 0;
    let mut entries = Vec::with_capacity(values.len() + 2);
    let mut color_of: HashMap<&str, [u8; 4]> = HashMap::with_capacity(values.len());
    for (i, &(value, count)) in values.iter().enumerate() {
        let color = if let Some(c) = spec.colors.get(value) {
            parse_color(c, &format!("category '{value}'"))?
        } else if let Some(rc) = &ramp_colors {
            rc[i]
        } else if let Some(c) = cim_category_color(value) {
            c
        } else {
            palette_next += 1;
            categorical_color(palette_next - 1)
        };
        color_of.insert(value, color);
        entries.push(LegendEntry {
            label: value.to_owned(),
            color,
            count,
        });
    }
    if others > 0 {
        entries.push(LegendEntry {
            label: OTHER_LABEL.to_owned(),
            color: OTHER_COLOR,
            count: others,
        });
    }
    let null_color = match spec.colors.get("") {
        Some(c) => parse_color(c, "the null class")?,
        None => NULL_COLOR,
    };
    if nulls > 0 {
        entries.push(LegendEntry {
            label: NULL_LABEL.to_owned(),
            color: null_color,
            count: nulls,
        });
    }
    let colors = keys
        .iter()
        .map(|k| match k {
            None => null_color,
            Some(k) => color_of.get(k.as_str()).copied().unwrap_or(OTHER_COLOR),
        })
        .collect();
    Ok(Thematic {
        colors,
        legend: Legend {
            title: v.fields[fi].name.clone(),
            entries,
        },
    })
}

/// Orders category values numerically when both read as numbers, else by
/// text.
fn compare_values(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

fn graduated(v: &VectorData, spec: &ThemeSpec) -> Result<Thematic, ThemeError> {
    let fi = resolve_field(v, spec, "graduated")?;
    let field = &v.fields[fi];
    let attr = |i: usize| v.features[i].attributes.get(fi).unwrap_or(&AttrValue::Null);
    let numeric = match field.ty {
        AttrType::Int | AttrType::Float | AttrType::Bool => true,
        // Numbers stored as text (common in DBF files) are fine if every
        // non-empty value reads as one.
        AttrType::String => (0..v.features.len()).all(|i| match attr(i) {
            AttrValue::String(s) => s.trim().is_empty() || s.trim().parse::<f64>().is_ok(),
            other => other.is_null() || other.as_f64().is_some(),
        }),
        AttrType::Date => false,
    };
    if !numeric {
        return Err(ThemeError::NotNumeric {
            name: field.name.clone(),
            ty: field.ty,
        });
    }
    let ramp = ramp(spec)?.unwrap_or_else(|| ColorRamp::by_name("YlOrRd").expect("built-in ramp"));
    let values: Vec<Option<f64>> = (0..v.features.len())
        .map(|i| attr(i).as_f64().filter(|x| x.is_finite()))
        .collect();
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);

    let bounds = match spec.method {
        ClassMethod::Manual => {
            let mut b: Vec<f64> = spec
                .breaks
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .collect();
            b.sort_by(f64::total_cmp);
            b.dedup();
            if b.len() < 2 {
                return Err(ThemeError::ManualBreaks(spec.breaks.clone()));
            }
            b
        }
        method => match (sorted.first(), sorted.last()) {
            (Some(&lo), Some(&hi)) => {
                let k = spec.classes.clamp(1, MAX_CLASSES);
                let inner = match method {
                    ClassMethod::EqualInterval => equal_interval_breaks(lo, hi, k),
                    ClassMethod::Quantile => quantile_breaks(&sorted, k),
                    _ => jenks_breaks(&sorted, k),
                };
                let mut b = Vec::with_capacity(inner.len() + 2);
                b.push(lo);
                b.extend(inner);
                b.push(hi);
                b
            }
            _ => Vec::new(),
        },
    };

    let nclass = bounds
        .len()
        .saturating_sub(1)
        .max(usize::from(!bounds.is_empty()));
    let class_colors = ramp.classes(nclass);
    let mut counts = vec![0usize; nclass];
    let (mut nulls, mut others) = (0, 0);
    let colors = values
        .iter()
        .map(|x| match x {
            None => {
                nulls += 1;
                NULL_COLOR
            }
            Some(x) => match class_of(&bounds, *x) {
                Some(c) => {
                    counts[c] += 1;
                    class_colors[c]
                }
                None => {
                    others += 1;
                    OTHER_COLOR
                }
            },
        })
        .collect();

    let decimals = label_decimals(&bounds);
    let mut entries: Vec<LegendEntry> = (0..nclass)
        .map(|c| {
            let lo = bounds[c];
            let hi = bounds[(c + 1).min(bounds.len() - 1)];
            let label = if lo == hi {
                format_number(lo, decimals)
            } else {
                format!(
                    "{} – {}",
                    format_number(lo, decimals),
                    format_number(hi, decimals)
                )
            };
            LegendEntry {
                label,
                color: class_colors[c],
                count: counts[c],
            }
        })
        .collect();
    if others > 0 {
        entries.push(LegendEntry {
            label: OTHER_LABEL.to_owned(),
            color: OTHER_COLOR,
            count: others,
        });
    }
    if nulls > 0 {
        entries.push(LegendEntry {
            label: NULL_LABEL.to_owned(),
            color: NULL_COLOR,
            count: nulls,
        });
    }
    Ok(Thematic {
        colors,
        legend: Legend {
            title: field.name.clone(),
            entries,
        },
    })
}

/// The class of `x` for ascending `bounds` (upper-inclusive classes, the
/// first also holding `bounds[0]`); `None` outside `[b0, bk]`.
pub fn class_of(bounds: &[f64], x: f64) -> Option<usize> {
    let (&lo, &hi) = (bounds.first()?, bounds.last()?);
    if !(lo..=hi).contains(&x) {
        return None;
    }
    let k = (bounds.len() - 1).max(1);
    Some(bounds[1..].partition_point(|b| *b < x).min(k - 1))
}

/// Interior breaks of `k` equal-width classes over `[lo, hi]` (none when
/// `lo == hi`).
///
/// ```
/// assert_eq!(cim_core::style::thematic::equal_interval_breaks(0.0, 100.0, 4), [25.0, 50.0, 75.0]);
/// ```
pub fn equal_interval_breaks(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    if hi <= lo || k < 2 {
        return Vec::new();
    }
    (1..k)
        .map(|i| lo + (hi - lo) * i as f64 / k as f64)
        .collect()
}

/// Interior breaks of `k` quantile classes of ascending `sorted` values.
///
/// Without ties, break `i` is the value at rank ⌈i·n/k⌉ (1-based), the
/// upper end of the `i`-th class. Ties stay together (classes are
/// upper-inclusive), so a run of equal values can fill more than its share;
/// the classes after it then split the values that remain evenly, rather
/// than repeating the same break (empty classes). Fewer than `k` classes
/// result only when there are fewer than `k` distinct values.
///
/// ```
/// use cim_core::style::thematic::quantile_breaks;
/// assert_eq!(quantile_breaks(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 4), [2.0, 4.0, 6.0]);
/// assert_eq!(quantile_breaks(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0], 4), [1.0, 2.0]);
/// ```
pub fn quantile_breaks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    let Some(&max) = sorted.last() else {
        return Vec::new();
    };
    let mut out: Vec<f64> = Vec::with_capacity(k.saturating_sub(1));
    // `start`: first value not yet in a class.
    let mut start = 0;
    for i in 0..k.saturating_sub(1) {
        let left = k - i;
        let take = (n - start).div_ceil(left).max(1);
        let b = sorted[start + take - 1];
        if b >= max {
            break;
        }
        out.push(b);
        start += sorted[start..].partition_point(|v| *v <= b);
    }
    out
}

/// Interior breaks of Jenks natural-breaks classes of ascending `sorted`
/// values: the `k`-class partition into runs of consecutive values that
/// minimises the total within-class sum of squared deviations (Jenks 1967),
/// found exactly by Fisher's (1958) dynamic programme in O(k·m²) time and
/// O(k·m) memory. Each break is the largest value of its class.
///
/// Inputs with more than [`JENKS_SAMPLE`] values are reduced to that many
/// evenly spaced order statistics (always keeping the minimum and maximum)
/// first, which keeps a 100 000-building layer to a few milliseconds per
/// class; the breaks are then optimal for the sample. With `k` or fewer
/// distinct values, each value is its own class.
///
/// ```
/// use cim_core::style::thematic::jenks_breaks;
/// let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0];
/// assert_eq!(jenks_breaks(&v, 3), [3.0, 12.0]);
/// ```
pub fn jenks_breaks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 || k < 2 {
        return Vec::new();
    }
    let x: Vec<f64> = if n > JENKS_SAMPLE {
        let m = JENKS_SAMPLE;
        (0..m)
            .map(|j| sorted[((j * (n - 1)) as f64 / (m - 1) as f64).round() as usize])
            .collect()
    } else {
        sorted.to_vec()
    };
    let max = x[x.len() - 1];
    let mut distinct = x.clone();
    distinct.dedup();
    if distinct.len() <= k {
        distinct.pop();
        return distinct;
    }
    let m = x.len();
    // Prefix sums of values centred on the mean, for numerically stable
    // within-class sums of squares of any run.
    let mean = x.iter().sum::<f64>() / m as f64;
    let mut s1 = vec![0.0; m + 1];
    let mut s2 = vec![0.0; m + 1];
    for (i, &v) in x.iter().enumerate() {
        let d = v - mean;
        s1[i + 1] = s1[i] + d;
        s2[i + 1] = s2[i] + d * d;
    }
    // Sum of squared deviations of x[a..=b].
    let ssd = |a: usize, b: usize| {
        let cnt = (b - a + 1) as f64;
        let s = s1[b + 1] - s1[a];
        (s2[b + 1] - s2[a] - s * s / cnt).max(0.0)
    };
    // cost[i]: best cost of x[0..=i] in the current number of classes;
    // start[j][i]: first index of the last class in that best partition.
    let mut cost: Vec<f64> = (0..m).map(|i| ssd(0, i)).collect();
    let mut start = vec![vec![0usize; m]; k];
    for (j, start_j) in start.iter_mut().enumerate().skip(1) {
        let mut next = vec![f64::INFINITY; m];
        for i in j..m {
            let (mut best, mut arg) = (f64::INFINITY, j);
            for l in j..=i {
                let c = cost[l - 1] + ssd(l, i);
                if c < best {
                    best = c;
                    arg = l;
                }
            }
            next[i] = best;
            start_j[i] = arg;
        }
        cost = next;
    }
    let mut breaks = Vec::with_capacity(k - 1);
    let mut i = m - 1;
    for j in (1..k).rev() {
        let l = start[j][i];
        breaks.push(x[l - 1]);
        i = l - 1;
    }
    breaks.reverse();
    breaks.dedup();
    breaks.retain(|&b| b < max);
    breaks
}

/// Decimals for legend numbers: enough to tell the narrowest class's ends
/// apart (three significant digits of its width), at most six.
fn label_decimals(bounds: &[f64]) -> usize {
    let width = bounds
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    let scale = if width.is_finite() {
        width
    } else {
        bounds.iter().map(|b| b.abs()).fold(0.0, f64::max)
    };
    if scale <= 0.0 {
        return 0;
    }
    (2.0 - scale.log10().floor()).clamp(0.0, 6.0) as usize
}

/// `x` with at most `decimals` decimals, trailing zeros trimmed
/// (`12.50` → `12.5`, `30.00` → `30`, never `-0`).
pub fn format_number(x: f64, decimals: usize) -> String {
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attr::Field;
    use crate::model::geometry::Geometry;
    use crate::model::layer::{Feature, FeatureId};
    use glam::DVec3;

    fn layer(fields: &[(&str, AttrType)], rows: Vec<Vec<AttrValue>>) -> VectorData {
        VectorData {
            fields: fields.iter().map(|(n, t)| Field::new(*n, *t)).collect(),
            features: rows
                .into_iter()
                .enumerate()
                .map(|(i, attributes)| Feature {
                    id: FeatureId(i as u64),
                    geometry: Geometry::Point(DVec3::ZERO),
                    attributes,
                })
                .collect(),
        }
    }

    fn heights(hs: &[f64]) -> VectorData {
        layer(
            &[("height", AttrType::Float)],
            hs.iter().map(|h| vec![AttrValue::Float(*h)]).collect(),
        )
    }

    fn labels(t: &Thematic) -> Vec<(String, usize)> {
        t.legend
            .entries
            .iter()
            .map(|e| (e.label.clone(), e.count))
            .collect()
    }

    /// A tiny deterministic generator (64-bit LCG, Knuth's MMIX constants).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn total_ssd(x: &[f64], breaks: &[f64]) -> f64 {
        let mut bounds = vec![x[0]];
        bounds.extend_from_slice(breaks);
        bounds.push(x[x.len() - 1]);
        let mut groups: Vec<Vec<f64>> = vec![Vec::new(); bounds.len() - 1];
        for &v in x {
            groups[class_of(&bounds, v).unwrap()].push(v);
        }
        groups
            .iter()
            .filter(|g| !g.is_empty())
            .map(|g| {
                let m = g.iter().sum::<f64>() / g.len() as f64;
                g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
            })
            .sum()
    }

    /// Exhaustive minimum over all ways to cut sorted `x` into `k` runs.
    fn brute_force_min(x: &[f64], k: usize) -> f64 {
        fn rec(x: &[f64], k: usize, from: usize, acc: f64) -> f64 {
            let ssd = |g: &[f64]| {
                let m = g.iter().sum::<f64>() / g.len() as f64;
                g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
            };
            if k == 1 {
                return acc + ssd(&x[from..]);
            }
            (from + 1..=x.len() - (k - 1))
                .map(|cut| rec(x, k - 1, cut, acc + ssd(&x[from..cut])))
                .fold(f64::INFINITY, f64::min)
        }
        rec(x, k, 0, 0.0)
    }

    #[test]
    fn jenks_is_the_exhaustive_optimum() {
        let mut rng = Lcg(42);
        for trial in 0..200 {
            let n = 4 + trial % 8;
            let k = 2 + trial % 3;
            let mut x: Vec<f64> = (0..n).map(|_| (rng.next() * 100.0).round()).collect();
            x.sort_by(f64::total_cmp);
            let mut distinct = x.clone();
            distinct.dedup();
            if distinct.len() <= k {
                continue;
            }
            let b = jenks_breaks(&x, k);
            let got = total_ssd(&x, &b);
            // Optimal 1-D k-means never splits equal values (moving one to
            // the other's class always lowers the cost), so cutting between
            // any two positions gives the same optimum as cutting by value.
            let best = brute_force_min(&x, k);
            assert!(
                (got - best).abs() < 1e-6,
                "x={x:?} k={k} breaks={b:?} got {got} best {best}"
            );
        }
    }

    #[test]
    fn jenks_without_ties_matches_brute_force_exactly() {
        let mut rng = Lcg(7);
        for trial in 0..100 {
            let n = 5 + trial % 7;
            let k = 2 + trial % 4;
            let mut x: Vec<f64> = (0..n).map(|_| rng.next() * 50.0).collect();
            x.sort_by(f64::total_cmp);
            x.dedup();
            if x.len() <= k {
                continue;
            }
            let b = jenks_breaks(&x, k);
            assert_eq!(b.len(), k - 1, "{x:?}");
            let got = total_ssd(&x, &b);
            let best = brute_force_min(&x, k);
            assert!((got - best).abs() < 1e-6 * best.max(1.0), "{got} vs {best}");
        }
    }

    #[test]
    fn jenks_samples_large_inputs_and_finds_clusters() {
        // Three clear clusters of 10 000 values each.
        let mut x = Vec::new();
        for c in [0.0, 100.0, 1000.0] {
            x.extend((0..10_000).map(|i| c + (i % 10) as f64));
        }
        x.sort_by(f64::total_cmp);
        let t = std::time::Instant::now();
        let b = jenks_breaks(&x, 3);
        assert_eq!(b, [9.0, 109.0]);
        assert!(t.elapsed().as_secs_f64() < 5.0);
        // Fewer distinct values than classes: each value its own class.
        assert_eq!(jenks_breaks(&[1.0, 1.0, 2.0, 3.0], 5), [1.0, 2.0]);
        assert!(jenks_breaks(&[4.0; 10], 3).is_empty());
    }

    #[test]
    fn quantiles_keep_ties_together() {
        let t = classify(
            &heights(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
            &ThemeSpec::graduated("height", ClassMethod::Quantile, 4),
            [0; 4],
        )
        .unwrap();
        // Rank 3 → 1, which takes all six 1s; the other three classes split
        // the remaining four values: ranks 8 and 9 → 3 and 4.
        assert_eq!(
            labels(&t),
            [
                ("1".to_owned(), 6),
                ("1 – 3".to_owned(), 2),
                ("3 – 4".into(), 1),
                ("4 – 5".into(), 1)
            ]
        );
        let q = quantile_breaks(&(1..=100).map(f64::from).collect::<Vec<_>>(), 5);
        assert_eq!(q, [20.0, 40.0, 60.0, 80.0]);
    }

    #[test]
    fn equal_interval_labels_counts_and_ramp_colours() {
        let v = heights(&[0.0, 10.0, 24.0, 25.0, 26.0, 99.0, 100.0]);
        let mut spec = ThemeSpec::graduated("height", ClassMethod::EqualInterval, 4);
        spec.ramp = Some("viridis".into());
        let t = classify(&v, &spec, [0; 4]).unwrap();
        assert_eq!(
            labels(&t),
            [
                ("0 – 25".to_owned(), 4),
                ("25 – 50".to_owned(), 1),
                ("50 – 75".to_owned(), 0),
                ("75 – 100".to_owned(), 2)
            ]
        );
        let viridis = ColorRamp::by_name("viridis").unwrap();
        assert_eq!(t.colors[0], viridis.sample(0.0));
        assert_eq!(t.colors[3], viridis.sample(0.0), "25 is upper-inclusive");
        assert_eq!(t.colors[4], viridis.sample(1.0 / 3.0));
        assert_eq!(t.colors[6], viridis.sample(1.0));
        assert_eq!(t.legend.title, "height");
    }

    #[test]
    fn graduated_handles_nulls_text_numbers_and_manual_breaks() {
        let v = layer(
            &[("h", AttrType::String)],
            vec![
                vec!["12.5".into()],
                vec!["30".into()],
                vec!["".into()],
                vec![AttrValue::Null],
                vec!["200".into()],
                vec!["-4".into()],
            ],
        );
        let mut spec = ThemeSpec::graduated("h", ClassMethod::Manual, 0);
        spec.breaks = vec![30.0, 0.0, 12.5, 100.0];
        let t = classify(&v, &spec, [0; 4]).unwrap();
        assert_eq!(
            labels(&t),
            [
                ("0 – 12.5".to_owned(), 1),
                ("12.5 – 30".to_owned(), 1),
                ("30 – 100".to_owned(), 0),
                (OTHER_LABEL.to_owned(), 2),
                (NULL_LABEL.to_owned(), 2)
            ]
        );
        assert_eq!(t.colors[2], NULL_COLOR);
        assert_eq!(t.colors[4], OTHER_COLOR);
        spec.breaks = vec![5.0];
        assert!(matches!(
            classify(&v, &spec, [0; 4]),
            Err(ThemeError::ManualBreaks(_))
        ));
        // NaN is null too; all-null layers give only the null class.
        let t = classify(
            &heights(&[f64::NAN, f64::NAN]),
            &ThemeSpec::graduated("height", ClassMethod::NaturalBreaks, 3),
            [0; 4],
        )
        .unwrap();
        assert_eq!(labels(&t), [(NULL_LABEL.to_owned(), 2)]);
    }

    #[test]
    fn graduated_refuses_text_and_unknown_fields_helpfully() {
        let v = layer(
            &[("name", AttrType::String), ("height", AttrType::Float)],
            vec![vec!["塔".into(), 3.0.into()]],
        );
        let e = classify(
            &v,
            &ThemeSpec::graduated("name", ClassMethod::Quantile, 3),
            [0; 4],
        )
        .unwrap_err();
        assert!(matches!(e, ThemeError::NotNumeric { .. }), "{e}");
        assert!(e.to_string().contains("categorized"), "{e}");
        let e = classify(
            &v,
            &ThemeSpec::graduated("hieght", ClassMethod::Quantile, 3),
            [0; 4],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown field 'hieght'; did you mean 'height'?"
        );
        // Case-insensitive when unambiguous.
        assert!(
            classify(
                &v,
                &ThemeSpec::graduated("HEIGHT", ClassMethod::Quantile, 3),
                [0; 4]
            )
            .is_ok()
        );
        let mut spec = ThemeSpec::graduated("height", ClassMethod::Quantile, 3);
        spec.ramp = Some("rainbowish".into());
        let e = classify(&v, &spec, [0; 4]).unwrap_err();
        assert!(e.to_string().contains("viridis"), "{e}");
        let e = classify(&v, &ThemeSpec::categorized(""), [0; 4]).unwrap_err();
        assert_eq!(
            e,
            ThemeError::NoField {
                mode: "categorized"
            }
        );
    }

    #[test]
    fn categorized_orders_by_count_and_uses_the_cim_table() {
        let uses = ["住宅", "商业", "住宅", "湿地", "", "住宅", "商业", "公园"];
        let mut rows: Vec<Vec<AttrValue>> = uses.iter().map(|u| vec![(*u).into()]).collect();
        rows.push(vec![AttrValue::Null]);
        let v = layer(&[("use", AttrType::String)], rows);
        let mut spec = ThemeSpec::categorized("use");
        spec.colors.insert("公园".into(), "#00ff00".into());
        let t = classify(&v, &spec, [0; 4]).unwrap();
        assert_eq!(
            labels(&t),
            [
                ("住宅".to_owned(), 3),
                ("商业".to_owned(), 2),
                ("公园".to_owned(), 1),
                ("湿地".to_owned(), 1),
                (NULL_LABEL.to_owned(), 2)
            ]
        );
        assert_eq!(t.colors[0], [226, 214, 190, 255]);
        assert_eq!(t.colors[1], [222, 160, 110, 255]);
        assert_eq!(t.colors[7], [0, 255, 0, 255]);
        assert_eq!(t.colors[3], categorical_color(0));
        assert_eq!(t.colors[4], NULL_COLOR);
        assert_eq!(t.colors[8], NULL_COLOR);
        assert_eq!(t.colors.len(), v.features.len());
        spec.colors.insert("湿地".into(), "green".into());
        let e = classify(&v, &spec, [0; 4]).unwrap_err();
        assert!(e.to_string().contains("湿地"), "{e}");
    }

    #[test]
    fn categorized_caps_classes_and_can_use_a_ramp() {
        let v = layer(
            &[("n", AttrType::Int)],
            (0..100i64)
                .map(|i| vec![AttrValue::Int(if i < 10 { 5 } else { i })])
                .collect(),
        );
        let t = classify(&v, &ThemeSpec::categorized("n"), [0; 4]).unwrap();
        assert_eq!(t.legend.entries.len(), MAX_CATEGORIES + 1);
        assert_eq!(labels(&t)[0], ("5".to_owned(), 10));
        // Ties sort numerically, not as text: 10, 11, … not 10, 100, 11.
        assert_eq!(labels(&t)[1].0, "10");
        assert_eq!(labels(&t)[2].0, "11");
        let other = t.legend.entries.last().unwrap();
        assert_eq!((other.label.as_str(), other.count), (OTHER_LABEL, 90 - 63));
        assert_eq!(*t.colors.last().unwrap(), OTHER_COLOR);
        let total: usize = t.legend.entries.iter().map(|e| e.count).sum();
        assert_eq!(total, 100);

        let mut spec = ThemeSpec::categorized("n");
        spec.ramp = Some("greys".into());
        let t = classify(&v, &spec, [0; 4]).unwrap();
        assert_eq!(t.colors[0], [255, 255, 255, 255]);
    }

    #[test]
    fn single_symbol_uses_its_colour_or_the_base() {
        let v = heights(&[1.0, 2.0]);
        let t = classify(&v, &ThemeSpec::default(), [1, 2, 3, 255]).unwrap();
        assert_eq!(t.colors, [[1, 2, 3, 255]; 2]);
        assert_eq!(labels(&t), [(ALL_LABEL.to_owned(), 2)]);
        let spec = ThemeSpec {
            color: Some("#ff0000".into()),
            ..Default::default()
        };
        assert_eq!(
            classify(&v, &spec, [0; 4]).unwrap().colors[1],
            [255, 0, 0, 255]
        );
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(format_number(12.5, 1), "12.5");
        assert_eq!(format_number(30.0, 3), "30");
        assert_eq!(format_number(-0.0001, 2), "0");
        assert_eq!(format_number(1234.5678, 0), "1235");
        assert_eq!(label_decimals(&[0.0, 0.25, 0.5]), 3);
        assert_eq!(label_decimals(&[0.0, 250.0, 500.0]), 0);
        assert_eq!(label_decimals(&[0.0, 17.5, 35.0]), 1);
    }

    #[test]
    fn spec_serialises_only_what_differs_from_defaults() {
        let spec = ThemeSpec::graduated("height", ClassMethod::NaturalBreaks, 5);
        let text = toml::to_string(&spec).unwrap();
        assert_eq!(
            text,
            "mode = \"graduated\"\nfield = \"height\"\nmethod = \"natural_breaks\"\n"
        );
        let back: ThemeSpec = toml::from_str("mode = 'graduated'\nmethod = 'jenks'").unwrap();
        assert_eq!(back.method, ClassMethod::NaturalBreaks);
        assert_eq!(back.classes, DEFAULT_CLASSES);
        assert_eq!(toml::to_string(&ThemeSpec::default()).unwrap(), "");
    }
}
