//! Colour and show conditions over feature properties, in the manner of
//! 3D Tiles Styling's `color` and `show`
//! (<https://github.com/CesiumGS/3d-tiles/tree/main/specification/Styling>):
//! a feature is drawn when its `show` condition holds, in the colour of the
//! first colour condition that holds, else the default colour. Conditions
//! are written in the attribute query language of [`crate::query`]
//! (`Height > 50 and use = '住宅'`) rather than in JavaScript-like
//! expressions: planners type the same language in every filter box.
//!
//! Streamed tiles each carry their own property tables, so a condition is
//! compiled against each table as it comes ([`ConditionalStyle::looks`]),
//! and a property a table lacks reads as null: a condition on it is
//! unknown, which — as in SQL and in the layer filters — is not true.
//!
//! In a scene document (a tileset layer):
//!
//! ```toml
//! [layer.style]
//! filter = "Height > 5"            # show
//! color = "#e0e0e0"                # when no condition holds
//! [[layer.style.conditions]]
//! when = "Height >= 12"
//! color = "#d73027"
//! [[layer.style.conditions]]
//! when = "Height >= 9"
//! color = "#fc8d59cc"              # #rrggbbaa: see-through
//! ```
//!
//! ```
//! use cim_core::model::attr::AttrValue;
//! use cim_core::model::tile_content::PropertyTable;
//! use cim_core::style::conditions::{ColorCondition, ConditionalStyle, FeatureLook};
//! let style = ConditionalStyle::new(
//!     Some("Height > 5"),
//!     &[ColorCondition { when: "Height >= 12".into(), color: "#ff0000".into() }],
//!     [255; 4],
//! )
//! .unwrap();
//! let heights = [4.0, 9.5, 13.0].map(AttrValue::Float).to_vec();
//! let table = PropertyTable { count: 3, columns: vec![("Height".into(), heights)], ..Default::default() };
//! let looks = style.looks(Some(&table));
//! let red = FeatureLook { rgba: [255, 0, 0, 255], shown: true };
//! let plain = FeatureLook { rgba: [255; 4], shown: true };
//! assert_eq!(looks[..3], [FeatureLook { shown: false, ..plain }, plain, red]);
//! // The last look is for vertices of no feature, or features past the table.
//! assert_eq!(looks[3], FeatureLook { shown: false, ..plain });
//! ```

use crate::model::attr::{AttrType, AttrValue, Field};
use crate::model::tile_content::PropertyTable;
use crate::query::{Filter, Query, QueryError, Row};
use crate::scene::parse_hex_color;
use serde::{Deserialize, Serialize};

/// One colour condition, as written under `[[layer.style.conditions]]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColorCondition {
    /// A query in the attribute query language.
    pub when: String,
    /// `#rrggbb` or `#rrggbbaa` (sRGB).
    pub color: String,
}

/// Why a style's conditions cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConditionError {
    #[error("filter `{text}`: {source}")]
    Show {
        text: String,
        #[source]
        source: QueryError,
    },
    #[error("condition {number} `{text}`: {source}")]
    When {
        /// 1-based, as a person counts the list.
        number: usize,
        text: String,
        #[source]
        source: QueryError,
    },
    #[error("condition {number}: colour `{color}` is not #rrggbb or #rrggbbaa")]
    Color { number: usize, color: String },
}

/// What a style makes of one feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureLook {
    /// sRGB RGBA; multiplies the content's own colours and textures.
    pub rgba: [u8; 4],
    pub shown: bool,
}

/// A style's show and colour conditions, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionalStyle {
    show: Option<Query>,
    colors: Vec<(Query, [u8; 4])>,
    default: [u8; 4],
}

impl ConditionalStyle {
    /// Parses `show` and each condition; `default` colours features no
    /// condition holds for.
    pub fn new(
        show: Option<&str>,
        conditions: &[ColorCondition],
        default: [u8; 4],
    ) -> Result<ConditionalStyle, ConditionError> {
        let show = show
            .filter(|s| !s.trim().is_empty())
            .map(|text| {
                Query::parse(text).map_err(|source| ConditionError::Show {
                    text: text.to_owned(),
                    source,
                })
            })
            .transpose()?;
        let colors = conditions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let number = i + 1;
                let query = Query::parse(&c.when).map_err(|source| ConditionError::When {
                    number,
                    text: c.when.clone(),
                    source,
                })?;
                let rgba = parse_hex_color(c.color.trim()).ok_or(ConditionError::Color {
                    number,
                    color: c.color.clone(),
                })?;
                Ok((query, rgba))
            })
            .collect::<Result<_, ConditionError>>()?;
        Ok(ConditionalStyle {
            show,
            colors,
            default,
        })
    }

    /// Whether every feature looks the same whatever its properties (no
    /// show condition, no colour conditions).
    pub fn is_uniform(&self) -> bool {
        self.show.is_none() && self.colors.is_empty()
    }

    /// The look of each feature of `table` (one per row), then one more:
    /// the look of a feature without properties (no table, an id past the
    /// rows, a vertex of no feature), evaluated on nulls. Rows past every
    /// column have no properties either: they are left to that last look,
    /// so a table claiming billions of rows costs what its columns hold.
    pub fn looks(&self, table: Option<&PropertyTable>) -> Vec<FeatureLook> {
        let rows = table.map_or(0, |t| {
            let longest = t.columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            t.count.min(longest)
        });
        if self.is_uniform() {
            let look = FeatureLook {
                rgba: self.default,
                shown: true,
            };
            return vec![look; rows + 1];
        }
        let fields: Vec<Field> = table
            .map(|t| {
                t.columns
                    .iter()
                    .map(|(name, _)| Field::new(name.as_str(), AttrType::String))
                    .collect()
            })
            .unwrap_or_default();
        let show = self.show.as_ref().map(|q| q.compile_lenient(&fields));
        let colors: Vec<(Filter, [u8; 4])> = self
            .colors
            .iter()
            .map(|(q, c)| (q.compile_lenient(&fields), *c))
            .collect();
        let look = |row: &dyn Row| FeatureLook {
            shown: show.as_ref().is_none_or(|f| f.eval_row(row) == Some(true)),
            rgba: colors
                .iter()
                .find(|(f, _)| f.eval_row(row) == Some(true))
                .map_or(self.default, |(_, c)| *c),
        };
        let mut out: Vec<FeatureLook> = match table {
            Some(t) => (0..rows)
                .map(|row| look(&TableRow { table: t, row }))
                .collect(),
            None => Vec::new(),
        };
        out.push(look(&Nulls));
        out
    }
}

/// One row of a column-major property table, read in place.
struct TableRow<'a> {
    table: &'a PropertyTable,
    row: usize,
}

const NULL: AttrValue = AttrValue::Null;

impl Row for TableRow<'_> {
    fn value(&self, i: usize) -> &AttrValue {
        self.table
            .columns
            .get(i)
            .and_then(|(_, values)| values.get(self.row))
            .unwrap_or(&NULL)
    }
}

/// The row of a feature without properties.
struct Nulls;

impl Row for Nulls {
    fn value(&self, _: usize) -> &AttrValue {
        &NULL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PropertyTable {
        PropertyTable {
            name: "batch table".into(),
            class: None,
            count: 4,
            columns: vec![
                (
                    "Height".into(),
                    [3.0, 8.0, 12.0, 20.0].map(AttrValue::Float).to_vec(),
                ),
                (
                    "用途".into(),
                    ["住宅", "商业", "住宅", "办公"]
                        .map(AttrValue::from)
                        .to_vec(),
                ),
            ],
        }
    }

    fn cond(when: &str, color: &str) -> ColorCondition {
        ColorCondition {
            when: when.into(),
            color: color.into(),
        }
    }

    #[test]
    fn the_first_condition_that_holds_colours_the_feature() {
        let style = ConditionalStyle::new(
            None,
            &[
                cond("Height > 10", "#ff0000"),
                cond("用途 = '住宅'", "#00ff0080"),
            ],
            [200, 200, 200, 255],
        )
        .unwrap();
        let rgba: Vec<[u8; 4]> = style.looks(Some(&table())).iter().map(|l| l.rgba).collect();
        assert_eq!(
            rgba,
            [
                [0, 255, 0, 128],
                [200, 200, 200, 255],
                [255, 0, 0, 255],
                [255, 0, 0, 255],
                [200, 200, 200, 255]
            ]
        );
    }

    /// A property the table lacks is null: its conditions are unknown, so
    /// they neither colour nor show; a filter on it hides everything, as
    /// a layer filter on a null field does.
    #[test]
    fn a_property_the_table_lacks_holds_for_no_feature() {
        let style = ConditionalStyle::new(
            Some("roof = 'flat'"),
            &[cond("roof is null", "#0000ff")],
            [255; 4],
        )
        .unwrap();
        let looks = style.looks(Some(&table()));
        assert!(looks.iter().all(|l| !l.shown));
        assert!(looks.iter().all(|l| l.rgba == [0, 0, 255, 255]));
        let not_flat = ConditionalStyle::new(Some("not roof = 'flat'"), &[], [255; 4]).unwrap();
        assert!(not_flat.looks(None).iter().all(|l| !l.shown));
    }

    #[test]
    fn without_conditions_every_feature_takes_the_default() {
        let style = ConditionalStyle::new(Some("  "), &[], [10, 20, 30, 255]).unwrap();
        assert!(style.is_uniform());
        let looks = style.looks(Some(&table()));
        assert_eq!(looks.len(), 5);
        assert!(looks.iter().all(|l| l.shown && l.rgba == [10, 20, 30, 255]));
        assert_eq!(style.looks(None).len(), 1);
    }

    #[test]
    fn errors_name_the_condition_and_what_is_wrong() {
        let e = ConditionalStyle::new(Some("Height >"), &[], [255; 4]).unwrap_err();
        assert!(
            e.to_string().starts_with("filter `Height >`: expected"),
            "{e}"
        );
        let e = ConditionalStyle::new(
            None,
            &[cond("Height > 1", "#ff0000"), cond("a = ", "#fff")],
            [255; 4],
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("condition 2 `a = `:"), "{e}");
        let e = ConditionalStyle::new(None, &[cond("Height > 1", "red")], [255; 4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "condition 1: colour `red` is not #rrggbb or #rrggbbaa"
        );
    }

    /// A table that claims more rows than its columns hold (a hostile
    /// `BATCH_LENGTH`) costs what the columns hold: the rest take the last
    /// look, as features without properties.
    #[test]
    fn claimed_rows_past_the_columns_cost_nothing() {
        let style = ConditionalStyle::new(Some("Height > 5"), &[], [255; 4]).unwrap();
        let mut t = table();
        t.count = usize::MAX;
        assert_eq!(style.looks(Some(&t)).len(), 5);
        t.columns.clear();
        assert_eq!(style.looks(Some(&t)).len(), 1);
    }

    /// Rows shorter than the table (a ragged batch table) read as null.
    #[test]
    fn short_columns_read_as_null() {
        let mut t = table();
        t.columns[0].1.truncate(2);
        let style = ConditionalStyle::new(Some("Height is null"), &[], [255; 4]).unwrap();
        let shown: Vec<bool> = style.looks(Some(&t)).iter().map(|l| l.shown).collect();
        assert_eq!(shown, [false, false, true, true, true]);
    }
}
