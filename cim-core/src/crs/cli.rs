//! The logic behind `cim crs transform` and `cim crs info`; the app's clap
//! wrapper only parses arguments and wires stdin/stdout/stderr to these.
//!
//! `transform` is a filter in the spirit of PROJ's `cs2cs`: one point per line,
//! `x y [z]` separated by whitespace and/or commas, easting/longitude first.
//! Output numbers use Rust's shortest round-trip formatting, so no precision is
//! lost. Blank lines and `#` comment lines are copied through. A line that
//! cannot be parsed or transformed is reported on the error stream with its
//! line number and content, and replaced on the output by a `# error ...`
//! comment, so output line N still corresponds to input line N.

use std::io::{BufRead, Write};

use glam::DVec3;

use super::definition::CrsDef;
use super::error::CrsError;
use super::info::CrsInfo;
use super::transform::Transformer;

/// Counts of transformed and rejected point lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransformStats {
    pub ok: usize,
    pub failed: usize,
}

/// Transforms every point line of `input` from `from` to `to`, writing results
/// to `out` and per-line problems to `err`. Returns `Err` only when the
/// transformation cannot be set up or a stream fails; bad lines are counted in
/// [`TransformStats::failed`].
///
/// ```
/// use cim_core::crs::{CrsDef, cli::transform_stream};
/// let input = "# Shanghai\n121.5272106, 31.1774276\n\nnot a point\n";
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let stats = transform_stream(&CrsDef::wgs84(), &CrsDef::Gcj02, input.as_bytes(), &mut out, &mut err).unwrap();
/// assert_eq!((stats.ok, stats.failed), (1, 1));
/// let out = String::from_utf8(out).unwrap();
/// let lines: Vec<&str> = out.lines().collect();
/// assert_eq!(lines[0], "# Shanghai");
/// let lon: f64 = lines[1].split(' ').next().unwrap().parse().unwrap();
/// assert!((lon - 121.531541859215).abs() < 1e-9);
/// assert!(lines[3].starts_with("# error (line 4)"));
/// assert!(String::from_utf8(err).unwrap().contains("line 4"));
/// ```
pub fn transform_stream(
    from: &CrsDef,
    to: &CrsDef,
    input: impl BufRead,
    mut out: impl Write,
    mut err: impl Write,
) -> Result<TransformStats, CrsError> {
    let t = Transformer::new(from, to)?;
    let mut stats = TransformStats::default();
    let mut input = input;
    let mut raw = Vec::new();
    let mut number = 0usize;
    loop {
        raw.clear();
        // Lines are read as bytes, a bounded piece at a time: one line of
        // bad UTF-8 or of gigabytes is that line's error, not the stream's.
        let (n, whole) = read_line_bounded(&mut input, &mut raw, MAX_LINE_BYTES)?;
        if n == 0 {
            break;
        }
        number += 1;
        while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            raw.pop();
        }
        let line = match std::str::from_utf8(&raw) {
            Ok(l) if whole => l,
            Ok(_) => {
                stats.failed += 1;
                let reason = format!("longer than {MAX_LINE_BYTES} bytes");
                writeln!(err, "line {number}: {reason}")?;
                writeln!(out, "# error (line {number}): {reason}")?;
                continue;
            }
            Err(e) => {
                stats.failed += 1;
                let reason = format!(
                    "not UTF-8 text (invalid byte at column {})",
                    e.valid_up_to() + 1
                );
                writeln!(err, "line {number}: {reason}")?;
                writeln!(out, "# error (line {number}): {reason}")?;
                continue;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            writeln!(out, "{line}")?;
            continue;
        }
        let result = parse_point(trimmed).and_then(|(p, has_z)| {
            t.transform(p)
                .map(|q| (q, has_z))
                .map_err(|e| e.to_string())
        });
        match result {
            Ok((q, true)) => {
                stats.ok += 1;
                writeln!(out, "{} {} {}", q.x, q.y, q.z)?;
            }
            Ok((q, false)) => {
                stats.ok += 1;
                writeln!(out, "{} {}", q.x, q.y)?;
            }
            Err(reason) => {
                stats.failed += 1;
                let shown = crate::message::clip(trimmed, 80);
                writeln!(err, "line {number}: \"{shown}\": {reason}")?;
                writeln!(out, "# error (line {number}): {reason}")?;
            }
        }
    }
    out.flush()?;
    err.flush()?;
    Ok(stats)
}

/// Longest input line `transform_stream` reads; the rest of a longer line
/// is skipped and the line reported.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Reads one line into `buf`, at most `max` bytes of it (the rest is read
/// and dropped). Returns the bytes read and whether the line was whole.
fn read_line_bounded(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut total = 0;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok((total, total <= max));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        total += take;
        input.consume(take);
        if done {
            return Ok((total, total <= max));
        }
    }
}

/// `x y [z]`, separated by whitespace and/or commas. Returns the point and
/// whether a z was given (z defaults to 0).
fn parse_point(line: &str) -> Result<(DVec3, bool), String> {
    let fields: Vec<&str> = line
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|f| !f.is_empty())
        .collect();
    if !(2..=3).contains(&fields.len()) {
        return Err(format!(
            "expected 2 or 3 numbers (x y [z]), found {} fields",
            fields.len()
        ));
    }
    let mut v = [0.0; 3];
    for (slot, field) in v.iter_mut().zip(&fields) {
        *slot = field
            .parse::<f64>()
            .map_err(|_| format!("\"{}\" is not a number", crate::message::clip(field, 40)))?;
    }
    Ok((DVec3::from_array(v), fields.len() == 3))
}

/// The text printed by `cim crs info`.
///
/// ```
/// use cim_core::crs::{CrsDef, cli::format_info, crs_info};
/// let text = format_info(&crs_info(&CrsDef::parse("EPSG:4490").unwrap()).unwrap());
/// assert!(text.contains("Kind:        geographic"));
/// ```
pub fn format_info(info: &CrsInfo) -> String {
    let mut s = format!(
        "Name:        {}\nKind:        {}\nUnits:       {}\n",
        info.name, info.kind, info.units
    );
    match &info.area_of_use {
        Some(a) => s.push_str(&format!(
            "Area of use: {}\n             west {}, south {}, east {}, north {} (degrees)\n",
            a.name, a.west, a.south, a.east, a.north
        )),
        None => s.push_str("Area of use: unknown\n"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{AreaOfUse, crs_info};

    fn run(from: &str, to: &str, input: &str) -> (TransformStats, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let stats = transform_stream(
            &CrsDef::parse(from).unwrap(),
            &CrsDef::parse(to).unwrap(),
            input.as_bytes(),
            &mut out,
            &mut err,
        )
        .unwrap();
        (
            stats,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn bad_bytes_and_huge_lines_fail_their_line_only() {
        let mut input = b"120 30\n12\xff0 30\n".to_vec();
        input.extend(std::iter::repeat_n(b'9', MAX_LINE_BYTES * 3));
        input.extend(b"\n120 31\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let stats = transform_stream(
            &CrsDef::parse("EPSG:4490").unwrap(),
            &CrsDef::parse("EPSG:4549").unwrap(),
            &input[..],
            &mut out,
            &mut err,
        )
        .unwrap();
        assert_eq!(stats, TransformStats { ok: 2, failed: 2 });
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("line 2: not UTF-8"), "{err}");
        assert!(err.contains("line 3: longer than"), "{err}");
        assert!(err.len() < 500, "{err}");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 4);
    }

    #[test]
    fn stream_formats_and_errors() {
        let input = "# header\n120 30\n120,30,15.5\n\n  120 ,  30  \n120 abc\n1 2 3 4\n120 95\n";
        let (stats, out, err) = run("EPSG:4490", "EPSG:4549", input);
        assert_eq!(stats, TransformStats { ok: 3, failed: 3 });
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 8, "one output line per input line:\n{out}");
        assert_eq!(lines[0], "# header");
        assert_eq!(lines[3], "");
        let xy: Vec<f64> = lines[1].split(' ').map(|f| f.parse().unwrap()).collect();
        assert_eq!(xy.len(), 2);
        assert!((xy[0] - 500_000.0).abs() < 1e-6 && (xy[1] - 3_320_113.40).abs() < 0.01);
        assert!(lines[2].ends_with(" 15.5"), "z preserved: {}", lines[2]);
        assert_eq!(lines[4], lines[1]);
        assert!(lines[5].starts_with("# error (line 6)"));
        assert!(
            err.contains("line 6: \"120 abc\": \"abc\" is not a number"),
            "{err}"
        );
        assert!(
            err.contains("line 7: \"1 2 3 4\": expected 2 or 3 numbers"),
            "{err}"
        );
        assert!(
            err.contains("line 8: \"120 95\": cannot transform"),
            "{err}"
        );
    }

    #[test]
    fn full_precision_round_trip() {
        let (_, out, _) = run(
            "EPSG:4490",
            "EPSG:4527",
            "117.123456789012 39.987654321098 1.25\n",
        );
        let (_, back, _) = run("EPSG:4527", "EPSG:4490", &out);
        let v: Vec<f64> = back
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        assert!((v[0] - 117.123456789012).abs() < 1e-11 && (v[1] - 39.987654321098).abs() < 1e-11);
        assert_eq!(v[2], 1.25);
    }

    #[test]
    fn setup_errors_are_errors() {
        let r = transform_stream(
            &CrsDef::Code("EPSG:99999".into()),
            &CrsDef::wgs84(),
            "1 2\n".as_bytes(),
            Vec::new(),
            Vec::new(),
        );
        assert!(r.unwrap_err().to_string().contains("EPSG:99999"));
    }

    #[test]
    fn info_text() {
        let text = format_info(&crs_info(&CrsDef::parse("EPSG:4549").unwrap()).unwrap());
        assert!(
            text.starts_with("Name:        CGCS2000 / 3-degree Gauss-Kruger CM 120E\n"),
            "{text}"
        );
        assert!(text.contains("Units:       metre\n"));
        assert!(text.contains("Area of use: China"), "{text}");
        let none = format_info(&CrsInfo {
            name: "x".into(),
            kind: "local grid".into(),
            units: "metre".into(),
            area_of_use: None,
        });
        assert!(none.ends_with("Area of use: unknown\n"));
        let some = format_info(&CrsInfo {
            area_of_use: Some(AreaOfUse {
                name: "Somewhere".into(),
                west: 1.0,
                south: 2.0,
                east: 3.5,
                north: 4.0,
            }),
            ..crs_info(&CrsDef::Gcj02).unwrap()
        });
        assert!(
            some.contains("west 1, south 2, east 3.5, north 4"),
            "{some}"
        );
    }
}
