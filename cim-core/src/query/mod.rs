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

use crate::model::attr::{AttrType, AttrValue, Date, Field};
use crate::model::layer::VectorData;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

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
// Lexer
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
    Like,
    In,
    Between,
    Is,
    Null,
    True,
    False,
}

fn keyword(word: &str) -> Option<Kw> {
    Some(match word.to_ascii_lowercase().as_str() {
        "and" => Kw::And,
        "or" => Kw::Or,
        "not" => Kw::Not,
        "like" => Kw::Like,
        "in" => Kw::In,
        "between" => Kw::Between,
        "is" => Kw::Is,
        "null" => Kw::Null,
        "true" => Kw::True,
        "false" => Kw::False,
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Kw(Kw),
    Ident(String),
    Str(String),
    Num(AttrValue),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Kw(k) => format!("keyword {}", format!("{k:?}").to_uppercase()),
            Tok::Ident(s) => format!("field '{s}'"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Num(v) => format!("number {v}"),
            Tok::Op(o) => format!("'{}'", o.as_str()),
            Tok::LParen => "'('".to_owned(),
            Tok::RParen => "')'".to_owned(),
            Tok::Comma => "','".to_owned(),
            Tok::End => "end of query".to_owned(),
        }
    }
}

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space, as
/// typed with Chinese input methods, to their ASCII equivalents.
fn halfwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    // Reads a quoted run starting after the opening quote `q`; a doubled
    // quote stands for one.
    let quoted = |i: &mut usize, q: char, what: &'static str| -> Result<String, QueryError> {
        let start = *i - 1;
        let mut s = String::new();
        loop {
            match chars.get(*i) {
                None => return Err(QueryError::Unterminated { pos: start, what }),
                Some(&c) if c == q => {
                    if chars.get(*i + 1) == Some(&q) {
                        s.push(q);
                        *i += 2;
                    } else {
                        *i += 1;
                        return Ok(s);
                    }
                }
                Some(&c) => {
                    s.push(c);
                    *i += 1;
                }
            }
        }
    };
    while i < chars.len() {
        let start = i;
        let c = halfwidth(chars[i]);
        let next = chars.get(i + 1).copied().map(halfwidth);
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' | '、' => {
                i += 1;
                Tok::Comma
            }
            '=' => {
                i += if next == Some('=') { 2 } else { 1 };
                Tok::Op(CmpOp::Eq)
            }
            '!' if next == Some('=') => {
                i += 2;
                Tok::Op(CmpOp::Ne)
            }
            '<' => match next {
                Some('=') => {
                    i += 2;
                    Tok::Op(CmpOp::Le)
                }
                Some('>') => {
                    i += 2;
                    Tok::Op(CmpOp::Ne)
                }
                _ => {
                    i += 1;
                    Tok::Op(CmpOp::Lt)
                }
            },
            '>' => {
                if next == Some('=') {
                    i += 2;
                    Tok::Op(CmpOp::Ge)
                } else {
                    i += 1;
                    Tok::Op(CmpOp::Gt)
                }
            }
            '\'' => {
                i += 1;
                Tok::Str(quoted(&mut i, '\'', "string")?)
            }
            '"' => {
                i += 1;
                Tok::Ident(quoted(&mut i, '"', "quoted field name")?)
            }
            c if c.is_ascii_digit()
                || ((c == '.' || c == '-' || c == '+')
                    && next.is_some_and(|n| n.is_ascii_digit() || n == '.')) =>
            {
                let mut s = String::new();
                s.push(c);
                i += 1;
                while let Some(&d) = chars.get(i) {
                    let d = halfwidth(d);
                    let exp_sign = (d == '+' || d == '-') && s.ends_with(['e', 'E']);
                    if d.is_ascii_alphanumeric() || d == '.' || d == '_' || exp_sign {
                        s.push(d);
                        i += 1;
                    } else {
                        break;
                    }
                }
                Tok::Num(parse_number(&s).ok_or(QueryError::InvalidNumber {
                    pos: start,
                    text: s.clone(),
                })?)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::new();
                while let Some(&d) = chars.get(i) {
                    if d.is_alphanumeric() || d == '_' {
                        s.push(d);
                        i += 1;
                    } else {
                        break;
                    }
                }
                match keyword(&s) {
                    Some(k) => Tok::Kw(k),
                    None => Tok::Ident(s),
                }
            }
            _ => {
                return Err(QueryError::UnexpectedChar {
                    pos: start,
                    ch: chars[i],
                });
            }
        };
        toks.push((tok, start));
    }
    toks.push((Tok::End, chars.len()));
    Ok(toks)
}

fn parse_number(s: &str) -> Option<AttrValue> {
    let digits = s.trim_start_matches(['+', '-']);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if let Ok(i) = s.trim_start_matches('+').parse::<i64>() {
        return Some(AttrValue::Int(i));
    }
    // Rust's float parser also takes "inf"/"nan"; the check above already
    // requires a leading digit or '.', which those lack.
    let x: f64 = s.parse().ok()?;
    x.is_finite().then_some(AttrValue::Float(x))
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
        Ok(Filter {
            root: compile(&self.expr, fields)?,
        })
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

// ---------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------

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
enum LikeTok {
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

fn compile_operand(o: &Operand, fields: &[Field]) -> Result<COperand, QueryError> {
    Ok(match o {
        Operand::Field { name, pos } => COperand::Field(resolve(name, *pos, fields)?),
        Operand::Literal(v) => COperand::Lit(Value::new(v.clone())),
    })
}

fn compile_like(pattern: &str) -> Vec<LikeTok> {
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

fn compile(e: &Expr, fields: &[Field]) -> Result<CExpr, QueryError> {
    let op = |o: &Operand| compile_operand(o, fields);
    Ok(match e {
        Expr::And(a, b) => CExpr::And(Box::new(compile(a, fields)?), Box::new(compile(b, fields)?)),
        Expr::Or(a, b) => CExpr::Or(Box::new(compile(a, fields)?), Box::new(compile(b, fields)?)),
        Expr::Not(a) => CExpr::Not(Box::new(compile(a, fields)?)),
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
            if let (COperand::Field(i), Operand::Field { name, pos }) = (&c, o)
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
fn like_match(pat: &[LikeTok], text: &[char]) -> bool {
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

fn value<'a>(o: &'a COperand, attrs: &'a [AttrValue]) -> (&'a AttrValue, Num) {
    match o {
        COperand::Field(i) => (attrs.get(*i).unwrap_or(&NULL), Num::Lazy),
        COperand::Lit(v) => (&v.value, Num::Known(v.num)),
    }
}

thread_local! {
    /// The lower-cased text under a `LIKE`, reused between features.
    static LIKE_TEXT: std::cell::RefCell<Vec<char>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn cmp_operands(a: &COperand, b: &COperand, attrs: &[AttrValue]) -> Option<Ordering> {
    let (av, an) = value(a, attrs);
    let (bv, bn) = value(b, attrs);
    compare(av, an, bv, bn)
}

fn eval(e: &CExpr, attrs: &[AttrValue]) -> Option<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::geometry::Geometry;
    use crate::model::layer::{Feature, FeatureId};
    use glam::DVec3;

    fn schema() -> Vec<Field> {
        vec![
            Field::new("name", AttrType::String),
            Field::new("height", AttrType::Float),
            Field::new("floors", AttrType::Int),
            Field::new("use", AttrType::String),
            Field::new("建筑 年代", AttrType::Date),
            Field::new("heritage", AttrType::Bool),
            Field::new("code", AttrType::String),
        ]
    }

    fn d(s: &str) -> AttrValue {
        AttrValue::Date(Date::parse(s).unwrap())
    }

    /// Rows: name, height, floors, use, built, heritage, code.
    fn layer() -> VectorData {
        use AttrValue::Null;
        let rows: Vec<Vec<AttrValue>> = vec![
            vec![
                "翠湖花园 1栋".into(),
                120.0.into(),
                38.into(),
                "住宅".into(),
                d("2015-06-01"),
                false.into(),
                "120".into(),
            ],
            vec![
                "Civic Centre".into(),
                45.5.into(),
                9.into(),
                "办公".into(),
                d("1998-01-01"),
                true.into(),
                "A-7".into(),
            ],
            vec![
                "万象城".into(),
                20.0.into(),
                5.into(),
                "商业".into(),
                Null,
                false.into(),
                "9".into(),
            ],
            vec![Null, Null, Null, Null, Null, Null, Null],
            vec![
                "it's 50%".into(),
                50.0.into(),
                12.into(),
                "住宅".into(),
                d("2001-09-09"),
                Null,
                "0050".into(),
            ],
        ];
        VectorData {
            fields: schema(),
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

    fn sel(q: &str) -> Vec<usize> {
        select(&layer(), q).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    #[test]
    fn the_examples_from_the_brief() {
        assert_eq!(sel("height > 100 and use = '住宅'"), vec![0]);
        assert_eq!(sel("floors >= 10 or name like '%花园%'"), vec![0, 4]);
        assert_eq!(sel("not (use in ('商业','办公'))"), vec![0, 4]);
        assert_eq!(sel("height between 20 and 50"), vec![1, 2, 4]);
        assert_eq!(sel("name is null"), vec![3]);
        assert_eq!(sel("name is not null"), vec![0, 1, 2, 4]);
    }

    #[test]
    fn comparison_operators() {
        assert_eq!(sel("floors = 9"), vec![1]);
        assert_eq!(sel("floors == 9"), vec![1]);
        assert_eq!(sel("floors != 9"), vec![0, 2, 4]);
        assert_eq!(sel("floors <> 9"), vec![0, 2, 4]);
        assert_eq!(sel("floors < 9"), vec![2]);
        assert_eq!(sel("floors <= 9"), vec![1, 2]);
        assert_eq!(sel("floors > 12"), vec![0]);
        assert_eq!(sel("floors >= 12"), vec![0, 4]);
        // Literal on the left, negative and exponent numbers.
        assert_eq!(sel("100 < height"), vec![0]);
        assert_eq!(sel("height > -1e2 and height < 4.6e1"), vec![1, 2]);
        assert_eq!(sel("height not between 20 and 50"), vec![0]);
    }

    #[test]
    fn numeric_strings_compare_as_numbers() {
        // code is a string field: '120' > 100 numerically, '9' < 10 (as a
        // string '9' > '10').
        assert_eq!(sel("code > 100"), vec![0, 1]); // 'A-7' > '100' as strings
        assert_eq!(sel("code < 10"), vec![2]);
        assert_eq!(sel("code = 50"), vec![4]);
        // A non-numeric string compares as a string; so do two strings that
        // are not both numbers.
        assert_eq!(sel("code = 'A-7'"), vec![1]);
        assert_eq!(sel("code > 'A'"), vec![1]);
        // Number field against a numeric string literal.
        assert_eq!(sel("floors = '38'"), vec![0]);
    }

    #[test]
    fn dates_compare_as_dates() {
        assert_eq!(sel("\"建筑 年代\" < '2000-01-01'"), vec![1]);
        assert_eq!(sel("\"建筑 年代\" >= '2001/09/09'"), vec![0, 4]);
        assert_eq!(
            sel("\"建筑 年代\" between '2000-01-01' and '2010-12-31'"),
            vec![4]
        );
        // A date against something that is not a date never compares.
        assert_eq!(sel("\"建筑 年代\" > 5"), Vec::<usize>::new());
    }

    #[test]
    fn like_patterns() {
        assert_eq!(sel("name like 'civic%'"), vec![1]); // case-insensitive
        assert_eq!(sel("name like '万_城'"), vec![2]); // _ is one character
        assert_eq!(sel("name like '万_'"), Vec::<usize>::new());
        assert_eq!(sel("name like '%''s%'"), vec![4]); // '' escapes a quote
        assert_eq!(sel("name not like '%花园%'"), vec![1, 2, 4]);
        assert_eq!(sel("floors like '3%'"), vec![0]); // numbers in display form
        assert_eq!(sel("name like '%'"), vec![0, 1, 2, 4]);
        assert_eq!(sel("name like '%c%e'"), vec![1]); // backtracking over %
        assert_eq!(sel("name like '%1栋'"), vec![0]);
        assert!(!like_match(&compile_like("%a%a%a%a%b"), &['a'; 60]));
        assert!(like_match(&compile_like("a_%_c"), &['a', 'x', 'y', 'c']));
        assert!(!like_match(&compile_like("a_%_c"), &['a', 'x', 'c']));
    }

    #[test]
    fn three_valued_logic_truth_table() {
        // Row 3 is all null: every comparison is unknown, and so are their
        // negations; OR with a true side and AND with a false side decide.
        let f = Query::parse("height > 0")
            .unwrap()
            .compile(&schema())
            .unwrap();
        let null_row = layer().features[3].attributes.clone();
        assert_eq!(f.eval(&null_row), None);
        let t = |q: &str| {
            Query::parse(q)
                .unwrap()
                .compile(&schema())
                .unwrap()
                .eval(&null_row)
        };
        assert_eq!(t("not height > 0"), None);
        assert_eq!(t("height > 0 or 1 = 1"), Some(true));
        assert_eq!(t("height > 0 or 1 = 2"), None);
        assert_eq!(t("height > 0 and 1 = 2"), Some(false));
        assert_eq!(t("height > 0 and 1 = 1"), None);
        assert_eq!(t("use in ('住宅', null)"), None);
        assert_eq!(t("use is null and floors is null"), Some(true));
        // Known value, list containing null: found → true, else unknown.
        let row0 = layer().features[0].attributes.clone();
        let f = Query::parse("use in ('住宅', null)")
            .unwrap()
            .compile(&schema())
            .unwrap();
        assert_eq!(f.eval(&row0), Some(true));
        let f = Query::parse("use not in ('商业', null)")
            .unwrap()
            .compile(&schema())
            .unwrap();
        assert_eq!(f.eval(&row0), None);
        // Complete AND/OR tables over {true, false, unknown}.
        let lit = ["1 = 1", "1 = 2", "height > 0"];
        let val = [Some(true), Some(false), None];
        for (i, a) in lit.iter().enumerate() {
            for (j, b) in lit.iter().enumerate() {
                let (x, y) = (val[i], val[j]);
                let and = match (x, y) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                let or = match (x, y) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                assert_eq!(t(&format!("{a} and {b}")), and, "{a} and {b}");
                assert_eq!(t(&format!("({a}) or ({b})")), or, "{a} or {b}");
            }
        }
    }

    #[test]
    fn precedence_and_keywords() {
        // AND binds tighter than OR; NOT tighter than AND.
        assert_eq!(sel("floors = 5 or floors = 9 and use = '办公'"), vec![1, 2]);
        assert_eq!(sel("(floors = 5 or floors = 9) and use = '办公'"), vec![1]);
        assert_eq!(sel("NOT floors = 5 AND height < 100"), vec![1, 4]);
        assert_eq!(sel("HEIGHT > 100 And Use = '住宅'"), vec![0]); // case-insensitive
        assert_eq!(sel("heritage"), vec![1]);
        assert_eq!(sel("not heritage"), vec![0, 2]);
        assert_eq!(sel("heritage = true"), vec![1]);
        // Full-width punctuation from a Chinese IME.
        assert_eq!(sel("use in（'商业'，'办公'）and floors ＞ 5"), vec![1]);
    }

    #[test]
    fn display_round_trips() {
        for q in [
            "height > 100 and use = '住宅'",
            "not (use in ('商业','办公', null)) or name like '%it''s%'",
            "\"建筑 年代\" not between '2000-01-01' and '2010-12-31'",
            "name is not null and heritage and height < -2.5",
        ] {
            let e = parse(q).unwrap();
            let again = parse(&e.to_string()).unwrap();
            assert_eq!(strip_pos(again), strip_pos(e.clone()), "{e}");
        }
        assert_eq!(
            parse("a>1 AND (b<2 or c like 'x')").unwrap().to_string(),
            "(a > 1 AND (b < 2 OR c LIKE 'x'))"
        );
    }

    fn strip_pos(e: Expr) -> String {
        format!("{e}")
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let err = |q: &str| parse(q).unwrap_err();
        assert_eq!(
            err("height >"),
            QueryError::Syntax {
                pos: 8,
                expected: "a field name or a value".into(),
                found: "end of query".into()
            }
        );
        assert_eq!(err("name = 'abc").position(), 7);
        assert!(matches!(
            err("name = 'abc"),
            QueryError::Unterminated { what: "string", .. }
        ));
        assert!(matches!(
            err("\"名称 = 1"),
            QueryError::Unterminated { pos: 0, .. }
        ));
        assert_eq!(
            err("height # 3"),
            QueryError::UnexpectedChar { pos: 7, ch: '#' }
        );
        // Positions count characters, not bytes.
        assert_eq!(err("名称 = 'x' 高度").position(), 9);
        assert_eq!(err("(a = 1").position(), 6);
        assert_eq!(err("a = 1)").position(), 5);
        assert_eq!(err("a in (1, b)").position(), 9);
        assert_eq!(err("a between 1 or 2").position(), 12);
        assert_eq!(err("a is 3").position(), 5);
        assert_eq!(err("a not = 3").position(), 6);
        assert_eq!(err("").position(), 0);
        assert!(matches!(
            err("a = 1.2.3"),
            QueryError::InvalidNumber { pos: 4, .. }
        ));
        assert!(matches!(err("a = 12abc"), QueryError::InvalidNumber { .. }));
    }

    #[test]
    fn unknown_fields_suggest_close_names() {
        let f = schema();
        let e = Query::parse("hieght > 3").unwrap().compile(&f).unwrap_err();
        match &e {
            QueryError::UnknownField {
                pos,
                name,
                suggestions,
                ..
            } => {
                assert_eq!((*pos, name.as_str()), (0, "hieght"));
                assert_eq!(suggestions, &vec!["height".to_owned()]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "unknown field 'hieght' at position 0; did you mean 'height'?"
        );
        let e = Query::parse("floors > 1 and 年代 > '2000-01-01'")
            .unwrap()
            .compile(&f)
            .unwrap_err();
        assert_eq!(e.position(), 15);
        assert!(
            matches!(&e, QueryError::UnknownField { suggestions, .. } if suggestions == &vec!["建筑 年代".to_owned()])
        );
        let e = Query::parse("zzz = 1").unwrap().compile(&f).unwrap_err();
        assert!(e.to_string().contains("fields are 'name', 'height'"), "{e}");
        // A string field is not a condition by itself.
        let e = Query::parse("height > 1 and name")
            .unwrap()
            .compile(&f)
            .unwrap_err();
        assert_eq!(
            e,
            QueryError::NotBoolean {
                pos: 15,
                name: "name".into()
            }
        );
        // A bare number or string is not a condition either (a parse error).
        assert_eq!(parse("height > 1 and 5").unwrap_err().position(), 16);
        assert_eq!(parse("'x' or true").unwrap_err().position(), 4);
        assert!(parse("true or null").is_ok());
    }
}
