//! The dBASE table (`.dbf`) of a shapefile: its schema and attribute records.
//!
//! Format: dBASE III PLUS / IV table files as profiled by the *ESRI Shapefile
//! Technical Description* (ESRI, July 1998, "dBASE File"): a 32-byte header
//! (record count at byte 4, header length at 8, record length at 10, language
//! driver id at 29), 32-byte field descriptors ended by `0x0D`, then
//! fixed-width records each led by a deletion flag (`' '` or `'*'`).
//!
//! The records are read here rather than with the `dbase` crate that the
//! `shapefile` crate bundles, because that crate (0.8) skips deleted records
//! (misaligning the rest with their shapes), parses every `N` value through
//! `f64` (losing 17–18 digit integer codes, common in Chinese
//! administrative data), fails a whole record on one malformed number, and does
//! not expose field decimal counts (needed to tell integer from real fields).
//!
//! Text encoding, in order: the `.cpg` side file; a Chinese, Japanese or
//! Korean language driver id in the header; otherwise UTF-8 when every byte of
//! the table is valid UTF-8, else GBK/GB18030 (data from Chinese desktop GIS
//! is usually GBK and often comes without a `.cpg`).

use crate::LoadError;
use cim_core::message::quote;
use cim_core::model::attr::Date;
use cim_core::{AttrType, AttrValue, Field};
use encoding_rs::Encoding;
use std::path::Path;

/// A decoded `.dbf` table.
#[derive(Clone, Debug, PartialEq)]
pub struct DbfTable {
    pub fields: Vec<Field>,
    /// One entry per record in file order; `None` for a record marked deleted.
    pub records: Vec<Option<Vec<AttrValue>>>,
    /// The text encoding used (its WHATWG name, e.g. `"GBK"`, `"UTF-8"`).
    pub encoding: &'static str,
    /// Problems that did not stop the read (values that did not parse, …).
    pub warnings: Vec<String>,
}

/// How a field's bytes are decoded.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Int,
    Real,
    Logical,
    Date,
    /// `I`, `+`: 4-byte little-endian integer (Visual FoxPro, dBASE 7).
    BinInt,
    /// `O`, `B` (8 bytes): little-endian double.
    BinDouble,
    /// `Y`: 8-byte currency, integer ten-thousandths.
    Currency,
    /// `T`, `@`: 8-byte date-time (Julian day + milliseconds).
    DateTime,
    /// `M`, `G`, `P` and anything else without a value in the table itself.
    Unreadable,
}

struct FieldDesc {
    offset: usize,
    len: usize,
    kind: Kind,
}

/// The encoding a `.cpg` file names, if it is one encoding_rs knows.
pub fn encoding_from_cpg(cpg: &str) -> Option<&'static Encoding> {
    let label = cpg
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("")
        .trim();
    let upper = label.to_ascii_uppercase();
    let code = upper
        .strip_prefix("ANSI")
        .or_else(|| upper.strip_prefix("CP"))
        .or_else(|| upper.strip_prefix("OEM"))
        .unwrap_or(&upper)
        .trim();
    // "8859-1" / "88591" as written by GDAL and QGIS.
    if let Some(rest) = upper.strip_prefix("8859") {
        let part = rest.trim_start_matches('-');
        return Encoding::for_label(format!("iso-8859-{part}").as_bytes());
    }
    if let Ok(n) = code.parse::<u32>() {
        return Some(match n {
            65001 => encoding_rs::UTF_8,
            936 => encoding_rs::GBK,
            54936 => encoding_rs::GB18030,
            950 => encoding_rs::BIG5,
            932 => encoding_rs::SHIFT_JIS,
            949 => encoding_rs::EUC_KR,
            866 => encoding_rs::IBM866,
            874 => encoding_rs::WINDOWS_874,
            1250 => encoding_rs::WINDOWS_1250,
            1251 => encoding_rs::WINDOWS_1251,
            1252 => encoding_rs::WINDOWS_1252,
            1253 => encoding_rs::WINDOWS_1253,
            1254 => encoding_rs::WINDOWS_1254,
            1255 => encoding_rs::WINDOWS_1255,
            1256 => encoding_rs::WINDOWS_1256,
            1257 => encoding_rs::WINDOWS_1257,
            1258 => encoding_rs::WINDOWS_1258,
            28591 => encoding_rs::WINDOWS_1252,
            n @ 28592..=28606 => {
                return Encoding::for_label(format!("iso-8859-{}", n - 28590).as_bytes());
            }
            _ => return None,
        });
    }
    Encoding::for_label(label.as_bytes())
}

/// The encoding a dBASE language driver id declares, for the CJK code pages
/// only: Western ids (`0x57` "ANSI" especially) are written by software
/// running on Chinese systems too, so they are not trusted.
fn encoding_from_ldid(ldid: u8) -> Option<&'static Encoding> {
    match ldid {
        0x4D | 0x7A => Some(encoding_rs::GBK),
        0x4F | 0x78 => Some(encoding_rs::BIG5),
        0x13 | 0x7B => Some(encoding_rs::SHIFT_JIS),
        0x4E | 0x79 => Some(encoding_rs::EUC_KR),
        _ => None,
    }
}

const FMT: &str = "dBASE table";

/// What the fixed 32-byte header of a `.dbf` declares, checked against the
/// file's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbfHeader {
    pub num_records: usize,
    pub header_len: usize,
    pub record_len: usize,
    pub ldid: u8,
}

impl DbfHeader {
    /// Reads the 32-byte header from the start of `head` and checks it
    /// against `file_len`, the length of the whole file: enough to know
    /// that the records it declares are there, before they are read.
    pub fn check(path: &Path, head: &[u8], file_len: u64) -> Result<DbfHeader, LoadError> {
        let Some(h) = head.get(..32) else {
            return Err(LoadError::truncated(
                path,
                format!(
                    "{} bytes, shorter than the 32-byte dBASE header",
                    head.len()
                ),
            ));
        };
        let num_records = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let header_len = u16::from_le_bytes([h[8], h[9]]) as usize;
        let record_len = u16::from_le_bytes([h[10], h[11]]) as usize;
        if header_len < 33 {
            return Err(LoadError::invalid(
                path,
                FMT,
                format!("header length {header_len} is less than the minimum of 33 bytes"),
            ));
        }
        if header_len as u64 > file_len {
            return Err(LoadError::truncated(
                path,
                format!("header declares {header_len} bytes but the file has only {file_len}"),
            ));
        }
        if record_len == 0 {
            return Err(LoadError::invalid(path, FMT, "record length is 0"));
        }
        let available = (file_len - header_len as u64) / record_len as u64;
        if num_records as u64 > available {
            return Err(LoadError::truncated(
                path,
                format!(
                    "header declares {num_records} records of {record_len} bytes but the file \
                     holds only {available} complete records"
                ),
            ));
        }
        Ok(DbfHeader {
            num_records,
            header_len,
            record_len,
            ldid: h[29],
        })
    }

    /// Bytes in memory of the decoded table, with the file itself: one
    /// [`AttrValue`] per field (at most one field per 32 header bytes) and
    /// the decoded text (at most the record's bytes) per record.
    pub fn memory_estimate(&self, file_len: u64) -> u64 {
        let fields = (self.header_len.saturating_sub(33) / 32) as u64;
        let per_record =
            24 + fields * std::mem::size_of::<AttrValue>() as u64 + self.record_len as u64;
        file_len.saturating_add((self.num_records as u64).saturating_mul(per_record))
    }
}

/// Decodes a `.dbf` held in `bytes`. `path` is only used in messages; `cpg`
/// is the content of the `.cpg` side file, if there is one.
pub fn read_dbf(path: &Path, bytes: &[u8], cpg: Option<&str>) -> Result<DbfTable, LoadError> {
    let DbfHeader {
        num_records,
        header_len,
        record_len,
        ldid,
    } = DbfHeader::check(path, bytes, bytes.len() as u64)?;

    // Field descriptors: 32 bytes each from byte 32 up to the 0x0D terminator.
    let mut raw_fields: Vec<(&[u8], u8, usize, u8)> = Vec::new();
    let mut at = 32;
    while at + 32 <= header_len && bytes[at] != 0x0D {
        let d = &bytes[at..at + 32];
        let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
        raw_fields.push((&d[..name_end], d[11], d[16] as usize, d[17]));
        at += 32;
    }
    let total: usize = raw_fields.iter().map(|f| f.2).sum();
    if total + 1 > record_len {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!(
                "its {} fields take {} bytes, more than the record length of {record_len} \
                 (less the deletion flag)",
                raw_fields.len(),
                total
            ),
        ));
    }
    let data = bytes
        .get(header_len..header_len + num_records * record_len)
        .ok_or_else(|| LoadError::truncated(path, "the records run past the end of the file"))?;

    let mut warnings = Vec::new();
    // Bytes of each record that no field descriptor covers cannot be read:
    // say so rather than drop them silently.
    let undescribed = record_len - 1 - total;
    if undescribed > 0 && num_records > 0 {
        warnings.push(if raw_fields.is_empty() {
            format!(
                "{}: the header ({header_len} bytes) has room for no field descriptors, but each \
                 of the {num_records} records holds {undescribed} bytes of data; those \
                 attributes were dropped",
                crate::show(path)
            )
        } else {
            format!(
                "{}: the {} field descriptors cover {total} of the {} data bytes of each \
                 record; the other {undescribed} bytes of each of the {num_records} records \
                 belong to no field and were dropped",
                crate::show(path),
                raw_fields.len(),
                record_len - 1
            )
        });
    }

    // Choose the text encoding.
    let declared = match cpg {
        Some(c) => match encoding_from_cpg(c) {
            Some(e) => Some(e),
            None => {
                warnings.push(format!(
                    "{}: code page \"{}\" in the .cpg is not recognised; guessing the encoding",
                    crate::show(path),
                    quote(c.trim())
                ));
                None
            }
        },
        None => None,
    };
    let encoding = declared
        .or_else(|| encoding_from_ldid(ldid))
        .unwrap_or_else(|| {
            let names_utf8 = raw_fields.iter().all(|f| std::str::from_utf8(f.0).is_ok());
            if names_utf8 && std::str::from_utf8(data).is_ok() {
                encoding_rs::UTF_8
            } else {
                encoding_rs::GBK
            }
        });

    let mut fields = Vec::with_capacity(raw_fields.len());
    let mut descs = Vec::with_capacity(raw_fields.len());
    let mut offset = 1;
    for (name, ty, len, decimals) in raw_fields {
        let (kind, attr) = match (ty, len) {
            (b'C', _) => (Kind::Text, AttrType::String),
            (b'N', _) if decimals == 0 && len <= 19 => (Kind::Int, AttrType::Int),
            (b'N' | b'F', _) => (Kind::Real, AttrType::Float),
            (b'L', _) => (Kind::Logical, AttrType::Bool),
            (b'D', _) => (Kind::Date, AttrType::Date),
            (b'I' | b'+', 4) => (Kind::BinInt, AttrType::Int),
            (b'O' | b'B', 8) => (Kind::BinDouble, AttrType::Float),
            (b'Y', 8) => (Kind::Currency, AttrType::Float),
            (b'T' | b'@', 8) => (Kind::DateTime, AttrType::String),
            _ => (Kind::Unreadable, AttrType::String),
        };
        if matches!(kind, Kind::Unreadable) {
            warnings.push(format!(
                "{}: field \"{}\" of type '{}' has no readable value in the table (memo or \
                 binary); it is left empty",
                crate::show(path),
                quote(&String::from_utf8_lossy(name)),
                quote(&(ty as char).to_string())
            ));
        }
        let decoded = encoding.decode_without_bom_handling(name).0;
        fields.push(Field::new(decoded.trim(), attr));
        descs.push(FieldDesc { offset, len, kind });
        offset += len;
    }

    let mut bad = 0usize;
    let mut first_bad: Option<String> = None;
    let mut records = Vec::with_capacity(num_records);
    for (i, rec) in data.chunks_exact(record_len).enumerate() {
        if rec[0] == b'*' {
            records.push(None);
            continue;
        }
        let mut values = Vec::with_capacity(descs.len());
        for (d, f) in descs.iter().zip(&fields) {
            let raw = &rec[d.offset..d.offset + d.len];
            match decode_value(raw, d.kind, encoding) {
                Ok(v) => values.push(v),
                Err(()) => {
                    bad += 1;
                    if first_bad.is_none() {
                        first_bad = Some(format!(
                            "record {i}, field \"{}\": \"{}\"",
                            quote(&f.name),
                            quote(String::from_utf8_lossy(raw).trim())
                        ));
                    }
                    values.push(AttrValue::Null);
                }
            }
        }
        records.push(Some(values));
    }
    if let Some(first) = first_bad {
        warnings.push(format!(
            "{}: {bad} value(s) could not be parsed and were left empty (first: {first})",
            crate::show(path)
        ));
    }
    Ok(DbfTable {
        fields,
        records,
        encoding: encoding.name(),
        warnings,
    })
}

fn trim(raw: &[u8]) -> &[u8] {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    raw[..end].trim_ascii()
}

fn decode_value(raw: &[u8], kind: Kind, enc: &'static Encoding) -> Result<AttrValue, ()> {
    let ascii = || std::str::from_utf8(trim(raw)).map_err(|_| ());
    Ok(match kind {
        Kind::Text => {
            let t = trim(raw);
            if t.is_empty() {
                AttrValue::Null
            } else {
                AttrValue::String(enc.decode_without_bom_handling(t).0.into_owned())
            }
        }
        Kind::Int => {
            let s = ascii()?;
            if s.is_empty() || s.bytes().all(|b| b == b'*') {
                AttrValue::Null
            } else if let Ok(v) = s.parse::<i64>() {
                AttrValue::Int(v)
            } else {
                // Some writers put "12.0" or "1e3" in N fields without decimals.
                let f: f64 = s.parse().map_err(|_| ())?;
                if f.fract() != 0.0 || f.abs() > 9.0e18 {
                    return Err(());
                }
                AttrValue::Int(f as i64)
            }
        }
        Kind::Real => {
            let s = ascii()?;
            if s.is_empty() || s.bytes().all(|b| b == b'*') {
                AttrValue::Null
            } else {
                AttrValue::Float(s.parse().map_err(|_| ())?)
            }
        }
        Kind::Logical => match raw.first() {
            Some(b'T' | b't' | b'Y' | b'y') => AttrValue::Bool(true),
            Some(b'F' | b'f' | b'N' | b'n') => AttrValue::Bool(false),
            _ => AttrValue::Null,
        },
        Kind::Date => {
            let s = ascii()?;
            if s.is_empty() || s == "00000000" || s == "0" {
                AttrValue::Null
            } else {
                AttrValue::Date(Date::parse(s).ok_or(())?)
            }
        }
        Kind::BinInt => {
            AttrValue::Int(i32::from_le_bytes(raw[..4].try_into().map_err(|_| ())?) as i64)
        }
        Kind::BinDouble => {
            AttrValue::Float(f64::from_le_bytes(raw[..8].try_into().map_err(|_| ())?))
        }
        Kind::Currency => {
            AttrValue::Float(i64::from_le_bytes(raw[..8].try_into().map_err(|_| ())?) as f64 / 1e4)
        }
        Kind::DateTime => {
            let day = i32::from_le_bytes(raw[..4].try_into().map_err(|_| ())?);
            let ms = i32::from_le_bytes(raw[4..8].try_into().map_err(|_| ())?);
            if day == 0 && ms == 0 {
                AttrValue::Null
            } else {
                AttrValue::String(julian_datetime(day, ms).ok_or(())?)
            }
        }
        Kind::Unreadable => AttrValue::Null,
    })
}

/// `YYYY-MM-DDTHH:MM:SS` from a Julian day number and milliseconds since
/// midnight (Visual FoxPro `T` fields).
fn julian_datetime(jd: i32, ms: i32) -> Option<String> {
    if !(0..86_400_000).contains(&ms) || !(0..=5_373_484).contains(&jd) {
        return None;
    }
    // Fliegel & Van Flandern (1968), Julian day number to Gregorian date.
    let l = jd as i64 + 68569;
    let n = 4 * l / 146097;
    let l = l - (146097 * n + 3) / 4;
    let i = 4000 * (l + 1) / 1461001;
    let l = l - 1461 * i / 4 + 31;
    let j = 80 * l / 2447;
    let day = l - 2447 * j / 80;
    let l = j / 11;
    let month = j + 2 - 12 * l;
    let year = 100 * (n - 49) + i + l;
    let s = ms / 1000;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a dBASE III table: fields are (name bytes, type, length, decimals),
    /// records are (deleted, field bytes).
    pub(crate) fn build(
        fields: &[(&[u8], u8, u8, u8)],
        records: &[(bool, Vec<&[u8]>)],
        ldid: u8,
    ) -> Vec<u8> {
        let header_len = 32 + 32 * fields.len() + 1;
        let record_len = 1 + fields.iter().map(|f| f.2 as usize).sum::<usize>();
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4..8].copy_from_slice(&(records.len() as u32).to_le_bytes());
        b[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
        b[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
        b[29] = ldid;
        for (name, ty, len, dec) in fields {
            let mut d = [0u8; 32];
            d[..name.len()].copy_from_slice(name);
            d[11] = *ty;
            d[16] = *len;
            d[17] = *dec;
            b.extend_from_slice(&d);
        }
        b.push(0x0D);
        for (deleted, vals) in records {
            b.push(if *deleted { b'*' } else { b' ' });
            for ((_, _, len, _), v) in fields.iter().zip(vals) {
                let mut cell = vec![b' '; *len as usize];
                cell[..v.len()].copy_from_slice(v);
                b.extend_from_slice(&cell);
            }
        }
        b.push(0x1A);
        b
    }

    #[test]
    fn types_nulls_deleted_records_and_big_integers() {
        let bytes = build(
            &[
                (b"NAME", b'C', 10, 0),
                (b"CODE", b'N', 19, 0),
                (b"H", b'N', 8, 2),
                (b"OK", b'L', 1, 0),
                (b"BUILT", b'D', 8, 0),
            ],
            &[
                (
                    false,
                    vec![
                        b"tower",
                        b"110101199003072316",
                        b"  35.50",
                        b"T",
                        b"20240621",
                    ],
                ),
                (true, vec![b"gone", b"1", b"1", b"F", b"20000101"]),
                (false, vec![b"", b"*****", b"abc", b"?", b"        "]),
            ],
            0,
        );
        let t = read_dbf(Path::new("t.dbf"), &bytes, None).unwrap();
        let types: Vec<_> = t.fields.iter().map(|f| f.ty).collect();
        assert_eq!(
            types,
            [
                AttrType::String,
                AttrType::Int,
                AttrType::Float,
                AttrType::Bool,
                AttrType::Date
            ]
        );
        assert_eq!(t.records.len(), 3);
        let r0 = t.records[0].as_ref().unwrap();
        assert_eq!(r0[0], AttrValue::from("tower"));
        assert_eq!(
            r0[1],
            AttrValue::Int(110101199003072316),
            "exact beyond 2^53"
        );
        assert_eq!(r0[2], AttrValue::Float(35.5));
        assert_eq!(r0[3], AttrValue::Bool(true));
        assert_eq!(r0[4].to_string(), "2024-06-21");
        assert!(t.records[1].is_none(), "deleted");
        let r2 = t.records[2].as_ref().unwrap();
        assert!(r2.iter().all(AttrValue::is_null), "{r2:?}");
        assert_eq!(
            t.warnings.len(),
            1,
            "the unparsable 'abc': {:?}",
            t.warnings
        );
        assert!(t.warnings[0].contains("\"H\""), "{:?}", t.warnings);
        assert_eq!(t.encoding, "UTF-8");
    }

    #[test]
    fn gbk_is_detected_without_cpg_and_cpg_wins() {
        let (gbk, _, _) = encoding_rs::GBK.encode("测试中文");
        let bytes = build(&[(b"NAME", b'C', 20, 0)], &[(false, vec![&gbk])], 0x57);
        let t = read_dbf(Path::new("t.dbf"), &bytes, None).unwrap();
        assert_eq!(t.encoding, "GBK");
        assert_eq!(
            t.records[0].as_ref().unwrap()[0],
            AttrValue::from("测试中文")
        );
        // UTF-8 text stays UTF-8 without a .cpg.
        let bytes = build(
            &[(b"NAME", b'C', 20, 0)],
            &[(false, vec!["道路".as_bytes()])],
            0,
        );
        let t = read_dbf(Path::new("t.dbf"), &bytes, None).unwrap();
        assert_eq!(t.records[0].as_ref().unwrap()[0], AttrValue::from("道路"));
        // A .cpg is obeyed even when the bytes would be valid UTF-8.
        let t = read_dbf(Path::new("t.dbf"), &bytes, Some("1252\n")).unwrap();
        assert_eq!(t.encoding, "windows-1252");
        assert_ne!(t.records[0].as_ref().unwrap()[0], AttrValue::from("道路"));
        // GBK field names.
        let (name, _, _) = encoding_rs::GBK.encode("名称");
        let bytes = build(&[(&name, b'C', 4, 0)], &[(false, vec![b"x"])], 0x4D);
        let t = read_dbf(Path::new("t.dbf"), &bytes, None).unwrap();
        assert_eq!(t.fields[0].name, "名称");
    }

    #[test]
    fn cpg_labels() {
        assert_eq!(encoding_from_cpg("936\n"), Some(encoding_rs::GBK));
        assert_eq!(encoding_from_cpg("CP936"), Some(encoding_rs::GBK));
        assert_eq!(encoding_from_cpg("UTF-8"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_from_cpg("\u{feff}utf8"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_from_cpg("GB18030"), Some(encoding_rs::GB18030));
        assert_eq!(encoding_from_cpg("88591"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(
            encoding_from_cpg("ANSI 1251"),
            Some(encoding_rs::WINDOWS_1251)
        );
        assert_eq!(encoding_from_cpg("klingon"), None);
    }

    #[test]
    fn short_tables_are_errors_naming_the_file() {
        let bytes = build(
            &[(b"A", b'N', 5, 0)],
            &[(false, vec![b"1"]), (false, vec![b"2"])],
            0,
        );
        let cut = &bytes[..bytes.len() - 4];
        let e = read_dbf(Path::new("dir/roads.dbf"), cut, None).unwrap_err();
        assert!(matches!(e, LoadError::Truncated { .. }));
        let msg = e.to_string();
        assert!(msg.starts_with("dir/roads.dbf: truncated"), "{msg}");
        assert!(msg.contains("declares 2 records"), "{msg}");
        let e = read_dbf(Path::new("x.dbf"), &bytes[..20], None).unwrap_err();
        assert!(e.to_string().contains("32-byte"), "{e}");
    }

    #[test]
    fn records_without_field_descriptors_are_not_dropped_silently() {
        // Header length 33: room for the terminator only, while each record
        // holds 10 bytes of data.
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4..8].copy_from_slice(&2u32.to_le_bytes());
        b[8..10].copy_from_slice(&33u16.to_le_bytes());
        b[10..12].copy_from_slice(&11u16.to_le_bytes());
        b.push(0x0D);
        b.extend_from_slice(b" tower     ");
        b.extend_from_slice(b" bridge    ");
        let t = read_dbf(Path::new("d/x.dbf"), &b, None).unwrap();
        assert!(t.fields.is_empty());
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
        let w = &t.warnings[0];
        assert!(w.starts_with("d/x.dbf: "), "{w}");
        assert!(
            w.contains("10 bytes of data") && w.contains("dropped"),
            "{w}"
        );
        // Fields that cover only part of the record.
        let mut b = build(&[(b"A", b'C', 4, 0)], &[(false, vec![b"abcd"])], 0);
        b[10..12].copy_from_slice(&9u16.to_le_bytes());
        let n = b.len();
        b.splice(n - 1..n - 1, *b"efgh");
        let t = read_dbf(Path::new("y.dbf"), &b, None).unwrap();
        assert!(
            t.warnings.iter().any(|w| w.contains("other 4 bytes")),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn warnings_quote_little_and_escape_control_characters() {
        let cpg = format!("\u{1b}]0;{}", "x".repeat(1 << 20));
        let bytes = build(&[(b"N\x1b", b'N', 6, 0)], &[(false, vec![b"12\x07x"])], 0);
        let t = read_dbf(Path::new("t.dbf"), &bytes, Some(&cpg)).unwrap();
        assert_eq!(t.warnings.len(), 2, "{:?}", t.warnings);
        for w in &t.warnings {
            assert!(w.len() < 600, "{}", w.len());
            assert!(!w.chars().any(char::is_control), "{w:?}");
        }
    }

    #[test]
    fn headers_are_checked_against_the_file_length() {
        let bytes = build(&[(b"A", b'N', 5, 0)], &[(false, vec![b"1"])], 0);
        let h = DbfHeader::check(Path::new("a.dbf"), &bytes[..32], bytes.len() as u64).unwrap();
        assert_eq!((h.num_records, h.header_len, h.record_len), (1, 65, 6));
        assert!(h.memory_estimate(bytes.len() as u64) > bytes.len() as u64);
        let e = DbfHeader::check(Path::new("a.dbf"), &bytes[..32], 60).unwrap_err();
        assert!(matches!(e, LoadError::Truncated { .. }), "{e}");
    }

    #[test]
    fn foxpro_datetimes() {
        // 2451545 is 2000-01-01; 12:34:56.
        assert_eq!(
            julian_datetime(2_451_545, (12 * 3600 + 34 * 60 + 56) * 1000).as_deref(),
            Some("2000-01-01T12:34:56")
        );
        assert_eq!(julian_datetime(-5, 0), None);
    }
}
