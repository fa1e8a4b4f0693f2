//! A parsed query compiled against a layer's schema ([`Filter`]) and its
//! evaluation per feature: three-valued logic (a comparison with a missing
//! value is unknown), numbers, dates and text compared as the semantics in
//! the module documentation say.

use super::lex::parse_number;
use super::{CmpOp, Expr, Operand, QueryError};
use crate::model::attr::{AttrType, AttrValue, Date, Field};
use crate::model::layer::VectorData;
use std::cmp::Ordering;

/// A literal prepared for comparison: its number reading computed once.
#[derive(Clone, Debug)]
struct Value {
    value: AttrValue,
    num: Option<f64>,
}

impl Value {
    fn new(value: AttrValue) -> Value {
        Value {
            num: number_of(&value),
            value,
        }
    }
}

#[derive(Clone, Debug)]
enum COperand {
    Field(usize),
    Lit(Value),
}

/// One position of a `LIKE` pattern (literal characters lower-cased).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LikeTok {
    Char(char),
    One,
    Any,
}

#[derive(Clone, Debug)]
enum CExpr {
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Not(Box<CExpr>),
    Cmp(COperand, CmpOp, COperand),
    Like(COperand, Vec<LikeTok>, bool),
    In(COperand, Vec<Value>, bool),
    Between(COperand, COperand, COperand, bool),
    IsNull(COperand, bool),
    Truthy(COperand),
}

/// A query compiled against one schema; evaluate it with
/// [`Filter::matches`] on features of that schema.
#[derive(Clone, Debug)]
pub struct Filter {
    root: CExpr,
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Field names close to `name`: small edit distance (case-insensitive) or
/// one containing the other; closest first, at most five.
pub(crate) fn close_matches(name: &str, fields: &[Field]) -> Vec<String> {
    let lower = name.to_lowercase();
    let n = lower.chars().count();
    let mut scored: Vec<(usize, &str)> = fields
        .iter()
        .filter_map(|f| {
            let fl = f.name.to_lowercase();
            let d = levenshtein(&lower, &fl);
            let limit = (n.max(fl.chars().count()) / 3).max(1);
            let contains = !lower.is_empty() && (fl.contains(&lower) || lower.contains(&fl));
            (d <= limit || contains).then_some((d, f.name.as_str()))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn resolve(name: &str, pos: usize, fields: &[Field]) -> Result<usize, QueryError> {
    if let Some(i) = fields.iter().position(|f| f.name == name) {
        return Ok(i);
    }
    // Case-insensitive, when that is unambiguous.
    let mut ci = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name.to_lowercase() == name.to_lowercase());
    if let (Some((i, _)), None) = (ci.next(), ci.next()) {
        return Ok(i);
    }
    Err(QueryError::UnknownField {
        pos,
        name: name.to_owned(),
        suggestions: close_matches(name, fields),
        available: fields.iter().map(|f| f.name.clone()).collect(),
    })
}

/// How a compile treats names the schema lacks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Missing {
    /// An error naming the field (a layer has one schema: a typo).
    Refuse,
    /// The field reads as null (streamed tiles each carry their own
    /// properties: a field one tile lacks, another may have).
    Null,
}

fn compile_operand(
    o: &Operand,
    fields: &[Field],
    missing: Missing,
) -> Result<COperand, QueryError> {
    Ok(match o {
        Operand::Field { name, pos } => match (resolve(name, *pos, fields), missing) {
            (Ok(i), _) => COperand::Field(i),
            (Err(_), Missing::Null) => COperand::Lit(Value::new(AttrValue::Null)),
            (Err(e), Missing::Refuse) => return Err(e),
        },
        Operand::Literal(v) => COperand::Lit(Value::new(v.clone())),
    })
}

pub(super) fn compile_like(pattern: &str) -> Vec<LikeTok> {
    let mut toks: Vec<LikeTok> = Vec::new();
    for c in pattern.chars() {
        match c {
            '%' => {
                if toks.last() != Some(&LikeTok::Any) {
                    toks.push(LikeTok::Any);
                }
            }
            '_' => toks.push(LikeTok::One),
            c => toks.extend(c.to_lowercase().map(LikeTok::Char)),
        }
    }
    toks
}

impl Filter {
    /// Compiles a parsed query against a layer's fields.
    pub(super) fn compile(
        e: &Expr,
        fields: &[Field],
        missing: Missing,
    ) -> Result<Filter, QueryError> {
        Ok(Filter {
            root: compile(e, fields, missing)?,
        })
    }

    /// A filter nothing matches.
    pub(super) fn never() -> Filter {
        Filter {
            root: CExpr::Truthy(COperand::Lit(Value::new(AttrValue::Bool(false)))),
        }
    }
}

fn compile(e: &Expr, fields: &[Field], missing: Missing) -> Result<CExpr, QueryError> {
    let op = |o: &Operand| compile_operand(o, fields, missing);
    let sub = |a: &Expr| compile(a, fields, missing).map(Box::new);
    Ok(match e {
        Expr::And(a, b) => CExpr::And(sub(a)?, sub(b)?),
        Expr::Or(a, b) => CExpr::Or(sub(a)?, sub(b)?),
        Expr::Not(a) => CExpr::Not(sub(a)?),
        Expr::Compare { left, op: o, right } => CExpr::Cmp(op(left)?, *o, op(right)?),
        Expr::Like {
            operand,
            pattern,
            negated,
        } => CExpr::Like(op(operand)?, compile_like(pattern), *negated),
        Expr::In {
            operand,
            list,
            negated,
        } => CExpr::In(
            op(operand)?,
            list.iter().cloned().map(Value::new).collect(),
            *negated,
        ),
        Expr::Between {
            operand,
            low,
            high,
            negated,
        } => CExpr::Between(op(operand)?, op(low)?, op(high)?, *negated),
        Expr::IsNull { operand, negated } => CExpr::IsNull(op(operand)?, *negated),
        Expr::Truthy(o) => {
            let c = op(o)?;
            if let (COperand::Field(i), Operand::Field { name, pos }, Missing::Refuse) =
                (&c, o, missing)
                && !matches!(
                    fields[*i].ty,
                    AttrType::Bool | AttrType::Int | AttrType::Float
                )
            {
                return Err(QueryError::NotBoolean {
                    pos: *pos,
                    name: name.clone(),
                });
            }
            CExpr::Truthy(c)
        }
    })
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// A number when the value reads as one: Int, Float, Bool, or a string
/// holding a finite decimal number.
fn number_of(v: &AttrValue) -> Option<f64> {
    match v {
        AttrValue::String(s) => match parse_number(s.trim())? {
            AttrValue::Int(i) => Some(i as f64),
            AttrValue::Float(x) => Some(x),
            _ => None,
        },
        AttrValue::Float(x) if x.is_nan() => None,
        _ => v.as_f64(),
    }
}

fn date_of(v: &AttrValue) -> Option<Date> {
    match v {
        AttrValue::Date(d) => Some(*d),
        AttrValue::String(s) => Date::parse(s),
        _ => None,
    }
}

/// Orders two values under the module's comparison rules; `None` when they
/// do not compare (a null, a NaN, a date against a non-date).
fn compare(a: &AttrValue, an: Num, b: &AttrValue, bn: Num) -> Option<Ordering> {
    match (a, b) {
        (AttrValue::Null, _) | (_, AttrValue::Null) => None,
        (AttrValue::Int(x), AttrValue::Int(y)) => Some(x.cmp(y)),
        (AttrValue::Date(_), _) | (_, AttrValue::Date(_)) => Some(date_of(a)?.cmp(&date_of(b)?)),
        _ => {
            // Read numbers only while both sides may still be numbers (a
            // known non-number decides for a string comparison).
            let (x, y) = if matches!(an, Num::Known(None)) || matches!(bn, Num::Known(None)) {
                (None, None)
            } else {
                let x = an.get(a);
                (x, x.and_then(|_| bn.get(b)))
            };
            match (x, y) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => match (a, b) {
                    (AttrValue::String(x), AttrValue::String(y)) => Some(x.as_str().cmp(y)),
                    _ => Some(a.to_string().cmp(&b.to_string())),
                },
            }
        }
    }
}

/// A value's number reading: precomputed for literals, read on demand for
/// attribute values.
#[derive(Clone, Copy, Debug)]
enum Num {
    Known(Option<f64>),
    Lazy,
}

impl Num {
    fn get(self, v: &AttrValue) -> Option<f64> {
        match self {
            Num::Known(n) => n,
            Num::Lazy => number_of(v),
        }
    }
}

/// Wildcard matching in `O(pattern × text)`: on a mismatch, backtrack to
/// the last `%` and let it swallow one more character.
pub(super) fn like_match(pat: &[LikeTok], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(LikeTok::Char(c)) if *c == text[t] => (p, t) = (p + 1, t + 1),
            Some(LikeTok::One) => (p, t) = (p + 1, t + 1),
            Some(LikeTok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    (p, t) = (sp + 1, st + 1);
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|t| *t == LikeTok::Any)
}

fn and3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    if a == Some(false) {
        return Some(false);
    }
    match (a, b()) {
        (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    if a == Some(true) {
        return Some(true);
    }
    match (a, b()) {
        (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// A feature's attribute values by schema position: a feature's own
/// slice, or a row of a column-major table (a tile's property table),
/// read in place.
pub trait Row {
    /// The value at schema position `i`; null past the end.
    fn value(&self, i: usize) -> &AttrValue;
}

impl Row for [AttrValue] {
    fn value(&self, i: usize) -> &AttrValue {
        self.get(i).unwrap_or(&NULL)
    }
}

impl Filter {
    /// Is the query true for a feature with these attributes (aligned with
    /// the schema the filter was compiled against)? Unknown counts as false.
    pub fn matches(&self, attributes: &[AttrValue]) -> bool {
        self.eval(attributes) == Some(true)
    }

    /// The three-valued result: `None` when unknown (nulls involved).
    pub fn eval(&self, attributes: &[AttrValue]) -> Option<bool> {
        eval(&self.root, attributes)
    }

    /// [`Filter::eval`] over any [`Row`].
    pub fn eval_row<R: Row + ?Sized>(&self, row: &R) -> Option<bool> {
        eval(&self.root, row)
    }

    /// Indices (ascending) of the features of `data` that match.
    pub fn select(&self, data: &VectorData) -> Vec<usize> {
        data.features
            .iter()
            .enumerate()
            .filter(|(_, f)| self.matches(&f.attributes))
            .map(|(i, _)| i)
            .collect()
    }
}

const NULL: AttrValue = AttrValue::Null;

fn value<'a, R: Row + ?Sized>(o: &'a COperand, attrs: &'a R) -> (&'a AttrValue, Num) {
    match o {
        COperand::Field(i) => (attrs.value(*i), Num::Lazy),
        COperand::Lit(v) => (&v.value, Num::Known(v.num)),
    }
}

thread_local! {
    /// The lower-cased text under a `LIKE`, reused between features.
    static LIKE_TEXT: std::cell::RefCell<Vec<char>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn cmp_operands<R: Row + ?Sized>(a: &COperand, b: &COperand, attrs: &R) -> Option<Ordering> {
    let (av, an) = value(a, attrs);
    let (bv, bn) = value(b, attrs);
    compare(av, an, bv, bn)
}

fn eval<R: Row + ?Sized>(e: &CExpr, attrs: &R) -> Option<bool> {
    let neg = |r: Option<bool>, n: bool| r.map(|b| b != n);
    match e {
        CExpr::And(a, b) => and3(eval(a, attrs), || eval(b, attrs)),
        CExpr::Or(a, b) => or3(eval(a, attrs), || eval(b, attrs)),
        CExpr::Not(a) => eval(a, attrs).map(|b| !b),
        CExpr::Cmp(a, op, b) => cmp_operands(a, b, attrs).map(|o| op.test(o)),
        CExpr::Like(o, pat, negated) => {
            let (v, _) = value(o, attrs);
            if v.is_null() {
                return None;
            }
            let matched = LIKE_TEXT.with_borrow_mut(|text| {
                text.clear();
                match v {
                    AttrValue::String(s) => text.extend(s.chars().flat_map(char::to_lowercase)),
                    other => text.extend(other.to_string().chars().flat_map(char::to_lowercase)),
                }
                like_match(pat, text)
            });
            neg(Some(matched), *negated)
        }
        CExpr::In(o, list, negated) => {
            let (v, n) = value(o, attrs);
            let n = Num::Known(n.get(v));
            let mut r = Some(false);
            for item in list {
                match compare(v, n, &item.value, Num::Known(item.num)) {
                    Some(Ordering::Equal) => {
                        r = Some(true);
                        break;
                    }
                    Some(_) => {}
                    None => r = None,
                }
            }
            neg(r, *negated)
        }
        CExpr::Between(o, lo, hi, negated) => {
            let ge = cmp_operands(o, lo, attrs).map(|c| c != Ordering::Less);
            let le = || cmp_operands(o, hi, attrs).map(|c| c != Ordering::Greater);
            neg(and3(ge, le), *negated)
        }
        CExpr::IsNull(o, negated) => Some(value(o, attrs).0.is_null() != *negated),
        CExpr::Truthy(o) => match value(o, attrs) {
            (AttrValue::Null, _) => None,
            (AttrValue::Bool(b), _) => Some(*b),
            (v, n) => n.get(v).map(|x| x != 0.0),
        },
    }
}
