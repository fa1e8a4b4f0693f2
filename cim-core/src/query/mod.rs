//! Attribute queries in a small SQL-`WHERE`-like language, as planners type
//! them into the viewer's filter box:
//!
//! ```text
//! height > 100 and use = '住宅'
//! floors >= 10 or name like '%花园%'
//! not (use in ('商业', '办公'))
//! height between 20 and 50
//! name is null
//! "建筑 高度" > 30 and 楼层 <> 3
//! ```
//!
//! A query is parsed once to an [`Expr`] ([`Query::parse`]), compiled
//! against a layer's schema to a [`Filter`] ([`Query::compile`]: field names
//! are resolved to attribute slots, literals pre-converted) and then
//! evaluated per feature ([`Filter::matches`], [`Filter::select`]).
//!
//! # Grammar
//!
//! Keywords are case-insensitive. Whitespace separates tokens.
//!
//! ```text
//! query      = or_expr END
//! or_expr    = and_expr { OR and_expr }
//! and_expr   = not_expr { AND not_expr }
//! not_expr   = NOT not_expr | predicate
//! predicate  = "(" or_expr ")"
//!            | operand cmp_op operand
//!            | operand [NOT] LIKE string
//!            | operand [NOT] IN "(" literal { "," literal } ")"
//!            | operand [NOT] BETWEEN operand AND operand
//!            | operand IS [NOT] NULL
//!            | operand                       (a boolean or numeric field: true / non-zero)
//! cmp_op     = "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//! operand    = field | literal
//! field      = identifier | '"' { char | '""' } '"'
//! identifier = (letter | "_") { letter | digit | "_" }   (letters include CJK)
//! literal    = number | string | TRUE | FALSE | NULL
//! number     = ["+" | "-"] digits ["." digits] [("e" | "E") ["+" | "-"] digits]
//! string     = "'" { char | "''" } "'"
//! ```
//!
//! Full-width punctuation typed with a Chinese input method (`（ ） ， ＝ ＞`
//! …) is read as its ASCII form outside quotes.
//!
//! # Semantics
//!
//! * Comparisons (`=` … `>=`, `BETWEEN`, `IN`) are numeric when both sides
//!   read as numbers (Int, Float, Bool, or a string holding a decimal
//!   number), by date when one side is a date and the other a date or a
//!   string holding one (`built < '2000-01-01'`), and otherwise by string
//!   (case-sensitive, by code point).
//! * `LIKE` is case-insensitive; `%` matches any run of characters, `_`
//!   exactly one (characters, not bytes: `'花_'` matches `'花园'`).
//!   Non-string values are matched in their display form.
//! * `NULL` never compares: any comparison, `LIKE`, `IN` or `BETWEEN` with a
//!   null side is *unknown*, and so is its negation. `AND`/`OR`/`NOT` use
//!   SQL's three-valued logic, and a feature is selected only when the whole
//!   query is *true*. Hence `not (use in ('商业','办公'))` does not select
//!   features whose `use` is null; test that with `use is null`.
//!
//! Errors ([`QueryError`]) carry the character offset (0-based) in the query
//! text where they were found; an unknown field lists close matches.
//!
//! ```
//! use cim_core::model::attr::{AttrType, AttrValue, Field};
//! use cim_core::query::Query;
//! let fields = [Field::new("height", AttrType::Float), Field::new("use", AttrType::String)];
//! let filter = Query::parse("height > 100 and use = '住宅'").unwrap().compile(&fields).unwrap();
//! assert!(filter.matches(&[AttrValue::Float(120.0), "住宅".into()]));
//! assert!(!filter.matches(&[AttrValue::Null, "住宅".into()]));
//! let err = Query::parse("hieght > 1").unwrap().compile(&fields).unwrap_err();
//! assert_eq!(err.to_string(), "unknown field 'hieght' at position 0; did you mean 'height'?");
//! ```

pub mod index;
pub mod measure;
pub mod pick;
pub mod search;

use crate::model::attr::{AttrValue, Field};
use crate::model::layer::VectorData;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

mod filter;
mod lex;
use filter::Missing;
pub(crate) use filter::close_matches;
pub use filter::{Filter, Row};
use lex::{Kw, Tok, keyword, lex};

/// An error in a query, with the character offset (0-based) where it was
/// found.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("unexpected character '{ch}' at position {pos}")]
    UnexpectedChar { pos: usize, ch: char },
    #[error("unterminated {what} starting at position {pos}")]
    Unterminated { pos: usize, what: &'static str },
    #[error("invalid number '{text}' at position {pos}")]
    InvalidNumber { pos: usize, text: String },
    #[error("expected {expected} at position {pos}, found {found}")]
    Syntax {
        pos: usize,
        expected: String,
        found: String,
    },
    #[error(
        "unknown field '{name}' at position {pos}{}",
        field_hint(suggestions, available)
    )]
    UnknownField {
        pos: usize,
        name: String,
        /// Fields whose names are close to `name`, closest first.
        suggestions: Vec<String>,
        /// All fields of the schema.
        available: Vec<String>,
    },
    #[error("field '{name}' at position {pos} is not true/false; compare it with a value")]
    NotBoolean { pos: usize, name: String },
}

pub(crate) fn field_hint(suggestions: &[String], available: &[String]) -> String {
    if !suggestions.is_empty() {
        format!("; did you mean {}?", quoted_list(suggestions))
    } else if available.is_empty() {
        "; the layer has no attribute fields".to_owned()
    } else {
        let mut s = format!(
            "; fields are {}",
            quoted_list(&available[..available.len().min(12)])
        );
        if available.len() > 12 {
            s.push_str(&format!(" and {} more", available.len() - 12));
        }
        s
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl QueryError {
    /// Character offset (0-based) in the query text.
    pub fn position(&self) -> usize {
        match self {
            QueryError::UnexpectedChar { pos, .. }
            | QueryError::Unterminated { pos, .. }
            | QueryError::InvalidNumber { pos, .. }
            | QueryError::Syntax { pos, .. }
            | QueryError::UnknownField { pos, .. }
            | QueryError::NotBoolean { pos, .. } => *pos,
        }
    }
}

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// A field reference or a literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A field by name; `pos` is its character offset in the query.
    Field {
        name: String,
        pos: usize,
    },
    Literal(AttrValue),
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
    Like {
        operand: Operand,
        pattern: String,
        negated: bool,
    },
    In {
        operand: Operand,
        list: Vec<AttrValue>,
        negated: bool,
    },
    Between {
        operand: Operand,
        low: Operand,
        high: Operand,
        negated: bool,
    },
    IsNull {
        operand: Operand,
        negated: bool,
    },
    /// A bare operand: true when it is `true` or a non-zero number.
    Truthy(Operand),
}

fn write_str_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write!(f, "'{}'", s.replace('\'', "''"))
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field { name, .. } => {
                let plain = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && keyword(name).is_none();
                if plain {
                    f.write_str(name)
                } else {
                    write!(f, "\"{}\"", name.replace('"', "\"\""))
                }
            }
            Operand::Literal(v) => write_literal(f, v),
        }
    }
}

fn write_literal(f: &mut fmt::Formatter<'_>, v: &AttrValue) -> fmt::Result {
    match v {
        AttrValue::Null => f.write_str("NULL"),
        AttrValue::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
        AttrValue::Int(i) => write!(f, "{i}"),
        AttrValue::Float(x) => write!(f, "{x:?}"),
        AttrValue::Date(d) => write!(f, "'{d}'"),
        AttrValue::String(s) => write_str_literal(f, s),
    }
}

impl fmt::Display for Expr {
    /// Writes the query back in canonical form (upper-case keywords, fully
    /// parenthesised `AND`/`OR`); parsing the output gives the same AST.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |n: bool| if n { "NOT " } else { "" };
        match self {
            Expr::And(a, b) => write!(f, "({a} AND {b})"),
            Expr::Or(a, b) => write!(f, "({a} OR {b})"),
            Expr::Not(e) => write!(f, "NOT {e}"),
            Expr::Compare { left, op, right } => write!(f, "{left} {} {right}", op.as_str()),
            Expr::Like {
                operand,
                pattern,
                negated,
            } => {
                write!(f, "{operand} {}LIKE ", not(*negated))?;
                write_str_literal(f, pattern)
            }
            Expr::In {
                operand,
                list,
                negated,
            } => {
                write!(f, "{operand} {}IN (", not(*negated))?;
                for (i, v) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_literal(f, v)?;
                }
                f.write_str(")")
            }
            Expr::Between {
                operand,
                low,
                high,
                negated,
            } => write!(f, "{operand} {}BETWEEN {low} AND {high}", not(*negated)),
            Expr::IsNull { operand, negated } => write!(f, "{operand} IS {}NULL", not(*negated)),
            Expr::Truthy(o) => write!(f, "{o}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    fn pos(&self) -> usize {
        self.toks[self.at].1
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn eat_kw(&mut self, k: Kw) -> bool {
        if *self.peek() == Tok::Kw(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> QueryError {
        QueryError::Syntax {
            pos: self.pos(),
            expected: expected.to_owned(),
            found: self.peek().describe(),
        }
    }

    fn expect(&mut self, t: Tok, expected: &str) -> Result<(), QueryError> {
        if *self.peek() == t {
            self.bump();
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.and_expr()?;
        while self.eat_kw(Kw::Or) {
            e = Expr::Or(Box::new(e), Box::new(self.and_expr()?));
        }
        Ok(e)
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.not_expr()?;
        while self.eat_kw(Kw::And) {
            e = Expr::And(Box::new(e), Box::new(self.not_expr()?));
        }
        Ok(e)
    }

    fn not_expr(&mut self) -> Result<Expr, QueryError> {
        if self.eat_kw(Kw::Not) {
            Ok(Expr::Not(Box::new(self.not_expr()?)))
        } else {
            self.predicate()
        }
    }

    fn operand(&mut self) -> Result<Operand, QueryError> {
        let pos = self.pos();
        let o = match self.peek().clone() {
            Tok::Ident(name) => Operand::Field { name, pos },
            Tok::Str(s) => Operand::Literal(AttrValue::String(s)),
            Tok::Num(v) => Operand::Literal(v),
            Tok::Kw(Kw::Null) => Operand::Literal(AttrValue::Null),
            Tok::Kw(Kw::True) => Operand::Literal(AttrValue::Bool(true)),
            Tok::Kw(Kw::False) => Operand::Literal(AttrValue::Bool(false)),
            _ => return Err(self.error("a field name or a value")),
        };
        self.bump();
        Ok(o)
    }

    fn literal(&mut self) -> Result<AttrValue, QueryError> {
        match self.operand()? {
            Operand::Literal(v) => Ok(v),
            Operand::Field { pos, name } => Err(QueryError::Syntax {
                pos,
                expected: "a value (strings take single quotes)".to_owned(),
                found: format!("field '{name}'"),
            }),
        }
    }

    fn predicate(&mut self) -> Result<Expr, QueryError> {
        if *self.peek() == Tok::LParen {
            self.bump();
            let e = self.or_expr()?;
            self.expect(Tok::RParen, "')'")?;
            return Ok(e);
        }
        if *self.peek() == Tok::End {
            return Err(self.error("a condition"));
        }
        let operand = self.operand()?;
        if let Tok::Op(op) = *self.peek() {
            self.bump();
            let right = self.operand()?;
            return Ok(Expr::Compare {
                left: operand,
                op,
                right,
            });
        }
        if self.eat_kw(Kw::Is) {
            let negated = self.eat_kw(Kw::Not);
            if !self.eat_kw(Kw::Null) {
                return Err(self.error("NULL"));
            }
            return Ok(Expr::IsNull { operand, negated });
        }
        let negated = self.eat_kw(Kw::Not);
        if self.eat_kw(Kw::Like) {
            return match self.bump() {
                (Tok::Str(pattern), _) => Ok(Expr::Like {
                    operand,
                    pattern,
                    negated,
                }),
                (t, pos) => Err(QueryError::Syntax {
                    pos,
                    expected: "a 'pattern' in single quotes".to_owned(),
                    found: t.describe(),
                }),
            };
        }
        if self.eat_kw(Kw::In) {
            self.expect(Tok::LParen, "'(' to start the IN list")?;
            let mut list = vec![self.literal()?];
            while *self.peek() == Tok::Comma {
                self.bump();
                list.push(self.literal()?);
            }
            self.expect(Tok::RParen, "',' or ')'")?;
            return Ok(Expr::In {
                operand,
                list,
                negated,
            });
        }
        if self.eat_kw(Kw::Between) {
            let low = self.operand()?;
            if !self.eat_kw(Kw::And) {
                return Err(self.error("AND (BETWEEN low AND high)"));
            }
            let high = self.operand()?;
            return Ok(Expr::Between {
                operand,
                low,
                high,
                negated,
            });
        }
        if negated {
            return Err(self.error("LIKE, IN or BETWEEN after NOT"));
        }
        let bare_ok = matches!(
            operand,
            Operand::Field { .. } | Operand::Literal(AttrValue::Bool(_) | AttrValue::Null)
        );
        match self.peek() {
            Tok::End | Tok::RParen | Tok::Kw(Kw::And) | Tok::Kw(Kw::Or) if bare_ok => {
                Ok(Expr::Truthy(operand))
            }
            _ => Err(self.error("a comparison (=, <>, <, >, LIKE, IN, BETWEEN, IS NULL)")),
        }
    }
}

/// Parses a query to its syntax tree.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let mut p = Parser {
        toks: lex(text)?,
        at: 0,
    };
    let e = p.or_expr()?;
    if *p.peek() != Tok::End {
        return Err(p.error("AND, OR or end of query"));
    }
    Ok(e)
}

/// A parsed query together with its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    text: String,
    expr: Expr,
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        Ok(Query {
            text: text.to_owned(),
            expr: parse(text)?,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Resolves field names against `fields` (the layer schema).
    pub fn compile(&self, fields: &[Field]) -> Result<Filter, QueryError> {
        Filter::compile(&self.expr, fields, Missing::Refuse)
    }

    /// Like [`Query::compile`], but a field `fields` lacks reads as null
    /// (and a text field is tested for truth as its number reading): for
    /// schemas that vary, as the property tables of streamed tiles do. A
    /// condition on a missing field is then unknown, never true.
    ///
    /// ```
    /// use cim_core::model::attr::{AttrType, AttrValue, Field};
    /// use cim_core::query::Query;
    /// let q = Query::parse("Height > 10 or roof = 'flat'").unwrap();
    /// let f = q.compile_lenient(&[Field::new("Height", AttrType::Float)]);
    /// assert_eq!(f.eval(&[AttrValue::Float(12.0)]), Some(true));
    /// assert_eq!(f.eval(&[AttrValue::Float(8.0)]), None);
    /// ```
    pub fn compile_lenient(&self, fields: &[Field]) -> Filter {
        // Nothing else fails to compile once names cannot.
        Filter::compile(&self.expr, fields, Missing::Null).unwrap_or_else(|_| Filter::never())
    }
}

impl FromStr for Query {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Query, QueryError> {
        Query::parse(s)
    }
}

/// Parses `text`, compiles it against `data`'s schema and returns the
/// indices (ascending) of the matching features.
pub fn select(data: &VectorData, text: &str) -> Result<Vec<usize>, QueryError> {
    Ok(Query::parse(text)?.compile(&data.fields)?.select(data))
}

#[cfg(test)]
mod tests;
