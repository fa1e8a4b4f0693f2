//! The query language's tokens: keywords, identifiers (bare, "quoted" or
//! CJK), literals, operators; full-width punctuation typed with a Chinese
//! IME is read as its ASCII twin.

use super::{CmpOp, QueryError};
use crate::model::attr::AttrValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kw {
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

pub(super) fn keyword(word: &str) -> Option<Kw> {
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
pub(super) enum Tok {
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
    pub(super) fn describe(&self) -> String {
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

pub(super) fn lex(text: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
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

pub(super) fn parse_number(s: &str) -> Option<AttrValue> {
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
