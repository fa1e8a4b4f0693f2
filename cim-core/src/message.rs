//! Text from files and paths made safe to show a person.
//!
//! Anything that reaches a message — a file name, a `.prj`, a TOML line, a
//! number as written — is data an attacker or a careless export controls.
//! Before it is shown it is cut to a bounded length (a 1 MB `.prj` must not
//! become a 1 MB warning) and its control characters are written as escapes
//! (an ESC in a file name must not reach the terminal raw).

use std::borrow::Cow;
use std::fmt::Write;
use std::path::Path;

/// How many characters of one piece of input a message quotes at most.
pub const MAX_QUOTED_CHARS: usize = 200;

/// `s` with control characters escaped (`\n`, `\u{1b}`) and cut to
/// `max_chars` characters, the cut said with how much was left out.
///
/// ```
/// use cim_core::message::clip;
/// assert_eq!(clip("plain", 10), "plain");
/// assert_eq!(clip("a\u{1b}[31mb", 20), "a\\u{1b}[31mb");
/// assert_eq!(clip("abcdefghij", 4), "abcd… (6 more characters)");
/// ```
pub fn clip(s: &str, max_chars: usize) -> Cow<'_, str> {
    let needs_escape = s.chars().any(char::is_control);
    let total = s.chars().count();
    if !needs_escape && total <= max_chars {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(max_chars.min(s.len()) + 32);
    for c in s.chars().take(max_chars) {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    if total > max_chars {
        let _ = write!(out, "… ({} more characters)", total - max_chars);
    }
    Cow::Owned(out)
}

/// A message of several lines made safe for a terminal: each line clipped
/// to `max_per_line` characters with its control characters escaped, at
/// most 50 lines. The last barrier before stderr.
///
/// ```
/// use cim_core::message::lines;
/// assert_eq!(lines("a\nb\u{1b}", 10), "a\nb\\u{1b}");
/// ```
pub fn lines(s: &str, max_per_line: usize) -> String {
    const MAX_LINES: usize = 50;
    let mut out: Vec<String> = s
        .lines()
        .take(MAX_LINES)
        .map(|l| clip(l, max_per_line).into_owned())
        .collect();
    let n = s.lines().count();
    if n > MAX_LINES {
        out.push(format!("… ({} more lines)", n - MAX_LINES));
    }
    out.join("\n")
}

/// `s` quoted at the default length ([`MAX_QUOTED_CHARS`]).
pub fn quote(s: &str) -> Cow<'_, str> {
    clip(s, MAX_QUOTED_CHARS)
}

/// A path as it may be shown: lossy UTF-8, control characters escaped, at
/// most 400 characters (the end kept, where the file name is).
///
/// ```
/// use cim_core::message::path;
/// use std::path::Path;
/// assert_eq!(path(Path::new("data/a\u{1b}.shp")), "data/a\\u{1b}.shp");
/// ```
pub fn path(p: &Path) -> String {
    const MAX: usize = 400;
    let s = p.to_string_lossy();
    let total = s.chars().count();
    if total <= MAX {
        return clip(&s, MAX).into_owned();
    }
    let tail: String = s.chars().skip(total - MAX).collect();
    format!("…{}", clip(&tail, MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_and_counted() {
        let big = "x".repeat(1_000_000);
        let c = quote(&big);
        assert!(c.len() < 300, "{}", c.len());
        assert!(c.ends_with("(999800 more characters)"), "{c}");
    }

    #[test]
    fn control_characters_never_pass_through() {
        let c = clip("\u{7}bell\u{9b}csi\0nul", 100);
        assert!(!c.chars().any(char::is_control), "{c:?}");
        assert_eq!(c, "\\u{7}bell\\u{9b}csi\\u{0}nul");
    }

    #[test]
    fn long_paths_keep_their_file_name() {
        let p = format!("{}/roads.shp", "d".repeat(1000));
        let shown = path(Path::new(&p));
        assert!(shown.ends_with("/roads.shp"));
        assert!(shown.chars().count() <= 401);
    }
}
