//! Typed attribute values and layer schemas.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The type of an attribute field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    String,
    Int,
    Float,
    Bool,
    Date,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Float => "float",
            AttrType::Bool => "bool",
            AttrType::Date => "date",
        }
    }
}

/// One field of a layer's schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: AttrType,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: AttrType) -> Self {
        Field {
            name: name.into(),
            ty,
        }
    }
}

/// A calendar date (proleptic Gregorian), kept as plain numbers so the model
/// needs no date library; `Display` gives ISO 8601 (`2024-06-21`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYYMMDD`, as found in DBF files).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            (&s[0..4], &s[4..6], &s[6..8])
        } else {
            let mut it = s.split(['-', '/']);
            (it.next()?, it.next()?, it.next()?)
        };
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        ((1..=12).contains(&date.month) && (1..=31).contains(&date.day)).then_some(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One attribute value. `Null` stands for a missing value of any type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Date(Date),
    String(String),
}

impl AttrValue {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Float(f) => Some(*f),
            AttrValue::Bool(b) => Some(*b as i64 as f64),
            AttrValue::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// A total order for sorting table columns: numbers by value (ints and
    /// floats together), then dates, booleans and strings; nulls last.
    ///
    /// ```
    /// use cim_core::model::attr::AttrValue;
    /// let mut v = vec![AttrValue::Null, AttrValue::Float(2.5), AttrValue::Int(10), AttrValue::Int(-1)];
    /// v.sort_by(AttrValue::sort_cmp);
    /// assert_eq!(v, [AttrValue::Int(-1), AttrValue::Float(2.5), AttrValue::Int(10), AttrValue::Null]);
    /// ```
    pub fn sort_cmp(&self, other: &AttrValue) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let rank = |v: &AttrValue| match v {
            AttrValue::Int(_) | AttrValue::Float(_) => 0,
            AttrValue::Date(_) => 1,
            AttrValue::Bool(_) => 2,
            AttrValue::String(_) => 3,
            AttrValue::Null => 4,
        };
        match (self, other) {
            (AttrValue::Int(a), AttrValue::Int(b)) => a.cmp(b),
            (AttrValue::Int(_) | AttrValue::Float(_), AttrValue::Int(_) | AttrValue::Float(_)) => {
                let (a, b) = (
                    self.as_f64().unwrap_or(f64::NAN),
                    other.as_f64().unwrap_or(f64::NAN),
                );
                a.total_cmp(&b)
            }
            (AttrValue::Date(a), AttrValue::Date(b)) => {
                (a.year, a.month, a.day).cmp(&(b.year, b.month, b.day))
            }
            (AttrValue::Bool(a), AttrValue::Bool(b)) => a.cmp(b),
            (AttrValue::String(a), AttrValue::String(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)).then(Ordering::Equal),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, AttrValue::Null)
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Null => Ok(()),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Float(x) => write!(f, "{x}"),
            AttrValue::Date(d) => write!(f, "{d}"),
            AttrValue::String(s) => f.write_str(s),
        }
    }
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::String(s.to_owned())
    }
}
impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::String(s)
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}
impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        AttrValue::Float(v)
    }
}
impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_common_forms() {
        let d = Date {
            year: 2024,
            month: 6,
            day: 21,
        };
        assert_eq!(Date::parse("2024-06-21"), Some(d));
        assert_eq!(Date::parse("2024/06/21"), Some(d));
        assert_eq!(Date::parse("20240621"), Some(d));
        assert_eq!(Date::parse("2024-13-01"), None);
        assert_eq!(d.to_string(), "2024-06-21");
    }
}
