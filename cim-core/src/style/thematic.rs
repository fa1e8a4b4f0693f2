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

mod breaks;
use crate::scene::parse_hex_color;
use crate::style::color_ramp::{ColorRamp, NULL_COLOR, categorical_color, cim_category_color};
use breaks::label_decimals;
pub use breaks::{class_of, equal_interval_breaks, format_number, jenks_breaks, quantile_breaks};
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

#[cfg(test)]
mod tests;
