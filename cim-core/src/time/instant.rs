//! Instants as data write them: attribute values holding a date, a
//! date-time or a year, read into Unix seconds.

use super::{UnixSeconds, unix_from_civil};
use crate::model::attr::AttrValue;

/// Reads an instant from text: a date `YYYY-MM-DD` (or `YYYY/MM/DD`,
/// `YYYY-MM`, `YYYY`) with an optional time `hh:mm[:ss[.fff]]` after `T`
/// or a space, and an optional zone `Z` or `±hh[:mm]` (ISO 8601 / RFC 3339
/// forms). Without a zone the time is local, `utc_offset_hours` east of
/// UTC (the scene's display zone: +8 for China Standard Time).
///
/// ```
/// use cim_core::time::instant::parse_instant;
/// assert_eq!(parse_instant("1970-01-02T08:00+08:00", 0.0), Some(86_400.0));
/// assert_eq!(parse_instant("1970-01-02 08:00", 8.0), Some(86_400.0));
/// assert_eq!(parse_instant("1970/01/02", 0.0), Some(86_400.0));
/// assert_eq!(parse_instant("1971", 0.0), Some(365.0 * 86_400.0));
/// assert_eq!(parse_instant("yesterday", 8.0), None);
/// ```
pub fn parse_instant(text: &str, utc_offset_hours: f64) -> Option<UnixSeconds> {
    let t = text.trim();
    let (date, rest) = match t.find(['T', 't', ' ']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let mut parts = date.split(['-', '/']);
    let year: i32 = number(parts.next()?, 4)?;
    let month: u32 = parts.next().map_or(Some(1), |m| number(m, 2))?;
    let day: u32 = parts.next().map_or(Some(1), |d| number(d, 2))?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = unix_from_civil(year, month, day);
    let mut offset = utc_offset_hours * 3600.0;
    if let Some(rest) = rest.filter(|r| !r.is_empty()) {
        let (clock, zone) = split_zone(rest)?;
        let mut hms = clock.split(':');
        let h: u32 = number(hms.next()?, 2)?;
        let m: u32 = number(hms.next()?, 2)?;
        let s: f64 = match hms.next() {
            Some(s) => s.parse().ok().filter(|s: &f64| (0.0..61.0).contains(s))?,
            None => 0.0,
        };
        if hms.next().is_some() || h > 24 || m > 59 {
            return None;
        }
        seconds += f64::from(h * 3600 + m * 60) + s;
        if let Some(z) = zone {
            offset = z;
        }
    }
    Some(seconds - offset)
}

/// `digits` ASCII digits, at most (at least one).
fn number<N: std::str::FromStr>(s: &str, digits: usize) -> Option<N> {
    (!s.is_empty() && s.len() <= digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Splits `hh:mm[:ss][zone]` into the clock and the zone's offset in
/// seconds east of UTC.
fn split_zone(s: &str) -> Option<(&str, Option<f64>)> {
    if let Some(clock) = s.strip_suffix(['Z', 'z']) {
        return Some((clock, Some(0.0)));
    }
    let Some(i) = s.rfind(['+', '-']) else {
        return Some((s, None));
    };
    let (clock, zone) = (&s[..i], &s[i + 1..]);
    let sign = if s.as_bytes()[i] == b'-' { -1.0 } else { 1.0 };
    let (h, m) = match zone.split_once(':') {
        Some((h, m)) => (number::<u32>(h, 2)?, number::<u32>(m, 2)?),
        None if zone.len() == 4 => (number::<u32>(&zone[..2], 2)?, number::<u32>(&zone[2..], 2)?),
        None => (number::<u32>(zone, 2)?, 0),
    };
    Some((clock, Some(sign * f64::from(h * 3600 + m * 60))))
}

/// The instant an attribute value names: a date (midnight, local), text
/// as [`parse_instant`] reads it, a whole number from 1000 to 9999 as a
/// year (construction years are stored so), other numbers as Unix seconds.
///
/// ```
/// use cim_core::AttrValue;
/// use cim_core::time::instant::instant_of;
/// assert_eq!(instant_of(&AttrValue::Int(1970), 0.0), Some(0.0));
/// assert_eq!(instant_of(&AttrValue::Float(86_400.0), 8.0), Some(86_400.0));
/// assert_eq!(instant_of(&AttrValue::Null, 8.0), None);
/// ```
pub fn instant_of(v: &AttrValue, utc_offset_hours: f64) -> Option<UnixSeconds> {
    let local = utc_offset_hours * 3600.0;
    match v {
        AttrValue::Date(d) => Some(unix_from_civil(d.year, d.month.into(), d.day.into()) - local),
        AttrValue::String(s) => parse_instant(s, utc_offset_hours),
        AttrValue::Int(y) if (1000..=9999).contains(y) => {
            Some(unix_from_civil(*y as i32, 1, 1) - local)
        }
        AttrValue::Int(i) => Some(*i as f64),
        AttrValue::Float(f) if f.fract() == 0.0 && (1000.0..=9999.0).contains(f) => {
            Some(unix_from_civil(*f as i32, 1, 1) - local)
        }
        AttrValue::Float(f) => f.is_finite().then_some(*f),
        AttrValue::Null | AttrValue::Bool(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_data_write() {
        let day2 = 86_400.0;
        for (text, want) in [
            ("1970-01-02", Some(day2)),
            ("1970-01-02T00:00:00Z", Some(day2)),
            ("1970-01-02T01:30:00.5+0130", Some(day2 + 0.5)),
            ("1970-01-01T20:00-04:00", Some(day2)),
            ("1970-1-2", Some(day2)),
            ("1970-13-01", None),
            ("1970-01-02T25:00", None),
            ("19700102", None),
            ("", None),
            ("2024-06-21T", Some(unix_from_civil(2024, 6, 21))),
        ] {
            assert_eq!(parse_instant(text, 0.0), want, "{text}");
        }
        assert_eq!(parse_instant("1970-01-02", 8.0), Some(day2 - 8.0 * 3600.0));
    }
}
