//! The parts the legacy 3D Tiles formats share (3D Tiles 1.0 §"Feature
//! Table", §"Batch Table"): a header of little-endian `u32`s, a feature
//! table (JSON + binary body) and a batch table of per-feature properties.

use cim_core::AttrValue;
use serde_json::{Map, Value};

/// Reads the `i`-th little-endian `u32` of `bytes`.
pub fn u32_at(bytes: &[u8], i: usize) -> Option<u32> {
    let b = bytes.get(i * 4..i * 4 + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The header of a b3dm/i3dm/pnts: magic, version, byte length and the
/// four table lengths, checked against the bytes; the sections follow.
#[derive(Debug)]
pub struct Sections<'a> {
    pub feature_json: Map<String, Value>,
    pub feature_bin: &'a [u8],
    pub batch_json: Map<String, Value>,
    pub batch_bin: &'a [u8],
    /// What follows the tables up to `byteLength` (the glTF of b3dm/i3dm).
    pub body: &'a [u8],
}

/// Splits a b3dm/i3dm/pnts into its sections. `header_words` is 7, or 8
/// for i3dm (whose eighth word, `gltfFormat`, the caller reads).
pub fn split<'a>(
    bytes: &'a [u8],
    magic: &[u8; 4],
    header_words: usize,
) -> Result<Sections<'a>, String> {
    let header = header_words * 4;
    if bytes.len() < header {
        return Err(format!(
            "{} bytes, shorter than the {header}-byte header",
            bytes.len()
        ));
    }
    if &bytes[..4] != magic {
        return Err(format!(
            "bad magic {:?}, expected {:?}",
            String::from_utf8_lossy(&bytes[..4]),
            String::from_utf8_lossy(magic)
        ));
    }
    let word = |i| u32_at(bytes, i).unwrap_or(0) as usize;
    if word(1) != 1 {
        return Err(format!("version {} (only 1 is defined)", word(1)));
    }
    let total = word(2);
    if total > bytes.len() {
        return Err(format!("byteLength {total} but only {} bytes", bytes.len()));
    }
    let (fj, fb, bj, bb) = (word(3), word(4), word(5), word(6));
    // Legacy b3dm headers (before 3D Tiles 1.0) put batchLength where the
    // batch table length is now; Cesium tells them apart the same way.
    if bj >= 570_425_344 || bb >= 570_425_344 {
        return Err("a pre-1.0 header layout, not supported".into());
    }
    let mut at = header;
    let mut take = |len: usize, what: &str| -> Result<&'a [u8], String> {
        let end = at
            .checked_add(len)
            .filter(|&e| e <= total)
            .ok_or_else(|| format!("the {what} ({len} bytes) runs past byteLength {total}"))?;
        let s = &bytes[at..end];
        at = end;
        Ok(s)
    };
    let feature_json = json_object(take(fj, "feature table JSON")?, "feature table")?;
    let feature_bin = take(fb, "feature table binary")?;
    let batch_json = json_object(take(bj, "batch table JSON")?, "batch table")?;
    let batch_bin = take(bb, "batch table binary")?;
    Ok(Sections {
        feature_json,
        feature_bin,
        batch_json,
        batch_bin,
        body: &bytes[at..total],
    })
}

fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, String> {
    // JSON is padded with spaces (or, in old writers, NULs).
    let trimmed = bytes
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(&bytes[..0], |end| &bytes[..=end]);
    if trimmed.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(trimmed) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("the {what} JSON is not an object")),
        Err(e) => Err(format!("the {what} JSON is invalid: {e}")),
    }
}

/// A global value of the feature table: a JSON number, or a
/// `{"byteOffset"}` into the binary body holding `n` f32s.
pub fn global_f64s(
    ft: &Map<String, Value>,
    bin: &[u8],
    key: &str,
    n: usize,
) -> Result<Option<Vec<f64>>, String> {
    match ft.get(key) {
        None => Ok(None),
        Some(Value::Number(x)) if n == 1 => Ok(Some(vec![x.as_f64().unwrap_or(0.0)])),
        Some(Value::Array(a)) if a.len() == n => a
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("{key} is not numeric"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) if v.get("byteOffset").is_some() => {
            let data = binary(v, bin, key, 1, "FLOAT", n)?;
            Ok(Some(data.into_iter().map(f64::from).collect()))
        }
        Some(_) => Err(format!("{key} is not {n} numbers")),
    }
}

/// Reads the global `u32` count `key` (`BATCH_LENGTH`, `POINTS_LENGTH`…).
pub fn global_count(
    ft: &Map<String, Value>,
    bin: &[u8],
    key: &str,
) -> Result<Option<usize>, String> {
    let Some(n) = global_f64s(ft, bin, key, 1)?.map(|v| v[0]) else {
        return Ok(None);
    };
    // Feature ids are u32; a count the content cannot name is a lie.
    if !(0.0..=MAX_COUNT as f64).contains(&n) {
        // 9e99, not its hundred digits.
        let shown = if n.abs() < 1e15 {
            n.to_string()
        } else {
            format!("{n:e}")
        };
        return Err(format!("{key} {shown} is not a count up to {MAX_COUNT}"));
    }
    Ok(Some(n as usize))
}

/// Largest feature, point or instance count a content may declare.
pub const MAX_COUNT: usize = u32::MAX as usize - 2;

/// Component sizes of the feature/batch table component types.
fn component_size(t: &str) -> Option<usize> {
    Some(match t {
        "BYTE" | "UNSIGNED_BYTE" => 1,
        "SHORT" | "UNSIGNED_SHORT" => 2,
        "INT" | "UNSIGNED_INT" | "FLOAT" => 4,
        "DOUBLE" => 8,
        _ => return None,
    })
}

/// Reads `count × comps` values of a binary property `{"byteOffset",
/// "componentType"?}` (default component type `default_type`) as f32.
pub fn binary(
    v: &Value,
    bin: &[u8],
    key: &str,
    count: usize,
    default_type: &str,
    comps: usize,
) -> Result<Vec<f32>, String> {
    let offset = v
        .get("byteOffset")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{key} has no byteOffset"))? as usize;
    let ty = v
        .get("componentType")
        .and_then(Value::as_str)
        .unwrap_or(default_type);
    let size = component_size(ty).ok_or_else(|| format!("{key}: unknown componentType {ty}"))?;
    let len = count
        .checked_mul(comps)
        .and_then(|n| n.checked_mul(size))
        .ok_or_else(|| format!("{key}: size overflows"))?;
    let bytes = offset
        .checked_add(len)
        .and_then(|end| bin.get(offset..end))
        .ok_or_else(|| {
            format!(
                "{key}: {len} bytes at {offset} run past the {}-byte binary body",
                bin.len()
            )
        })?;
    Ok(bytes
        .chunks_exact(size)
        .map(|b| match (ty, size) {
            ("BYTE", _) => b[0] as i8 as f32,
            ("UNSIGNED_BYTE", _) => b[0] as f32,
            ("SHORT", _) => i16::from_le_bytes([b[0], b[1]]) as f32,
            ("UNSIGNED_SHORT", _) => u16::from_le_bytes([b[0], b[1]]) as f32,
            ("INT", _) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            ("UNSIGNED_INT", _) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            ("FLOAT", _) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            _ => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
        })
        .collect())
}

/// Reads a per-feature binary property of the feature table, if present.
pub fn per_feature(
    ft: &Map<String, Value>,
    bin: &[u8],
    key: &str,
    count: usize,
    default_type: &str,
    comps: usize,
) -> Result<Option<Vec<f32>>, String> {
    match ft.get(key) {
        None => Ok(None),
        Some(v) => binary(v, bin, key, count, default_type, comps).map(Some),
    }
}

/// The batch table's properties, one value per feature: JSON arrays, and
/// scalar binary properties. Anything else is left out with a warning.
pub fn batch_properties(
    json: &Map<String, Value>,
    bin: &[u8],
    features: usize,
    warnings: &mut Vec<String>,
) -> Vec<(String, Vec<AttrValue>)> {
    let mut out = Vec::new();
    for (name, v) in json {
        if name == "extensions" || name == "extras" {
            continue;
        }
        let values = match v {
            Value::Array(a) if a.len() == features => a
                .iter()
                .map(super::structural_metadata::plain_json)
                .collect(),
            Value::Object(_) if v.get("type").and_then(Value::as_str) == Some("SCALAR") => {
                match binary(v, bin, name, features, "FLOAT", 1) {
                    Ok(vals) => vals
                        .into_iter()
                        .map(|x| AttrValue::Float(x as f64))
                        .collect(),
                    Err(e) => {
                        warnings.push(format!("batch table: {e}"));
                        continue;
                    }
                }
            }
            _ => {
                warnings.push(format!(
                    "batch table property {} is not one value per feature; left out",
                    cim_core::message::quote(name)
                ));
                continue;
            }
        };
        out.push((name.clone(), values));
    }
    out
}

/// Decodes a 2-component oct-encoded unit vector (Cigolle et al. 2014,
/// "A Survey of Efficient Representations for Independent Unit
/// Vectors"), components in `[0, range]`.
///
/// ```
/// use cim_loaders::tiles3d::feature_table::oct_decode;
/// let up = oct_decode(127.5, 127.5, 255.0);
/// assert!((up[2] - 1.0).abs() < 1e-6);
/// ```
pub fn oct_decode(x: f32, y: f32, range: f32) -> [f32; 3] {
    let mut v = glam::Vec3::new(x / range * 2.0 - 1.0, y / range * 2.0 - 1.0, 0.0);
    v.z = 1.0 - v.x.abs() - v.y.abs();
    if v.z < 0.0 {
        let (ox, oy) = (v.x, v.y);
        v.x = (1.0 - oy.abs()) * ox.signum();
        v.y = (1.0 - ox.abs()) * oy.signum();
    }
    v.normalize_or_zero().to_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(magic: &[u8; 4], ft: &str, total_pad: usize) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(magic);
        for w in [
            1u32,
            (28 + ft.len() + total_pad) as u32,
            ft.len() as u32,
            0,
            0,
            0,
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(ft.as_bytes());
        b.extend(std::iter::repeat_n(0u8, total_pad));
        b
    }

    #[test]
    fn sections_follow_the_header() {
        let b = tile(b"b3dm", r#"{"BATCH_LENGTH":3}  "#, 4);
        let s = split(&b, b"b3dm", 7).unwrap();
        assert_eq!(
            global_count(&s.feature_json, s.feature_bin, "BATCH_LENGTH").unwrap(),
            Some(3)
        );
        assert_eq!(s.body.len(), 4);
    }

    #[test]
    fn lengths_past_the_end_are_refused() {
        let mut b = tile(b"pnts", "{}", 0);
        b[12..16].copy_from_slice(&1000u32.to_le_bytes());
        assert!(split(&b, b"pnts", 7).unwrap_err().contains("runs past"));
        assert!(split(&b[..10], b"pnts", 7).unwrap_err().contains("shorter"));
        assert!(split(&b, b"b3dm", 7).unwrap_err().contains("magic"));
    }

    #[test]
    fn binary_properties_are_bounded() {
        let v: Value = serde_json::json!({"byteOffset": 4, "componentType": "UNSIGNED_SHORT"});
        let bin = [0, 0, 0, 0, 7, 0, 9, 0];
        assert_eq!(
            binary(&v, &bin, "BATCH_ID", 2, "FLOAT", 1).unwrap(),
            vec![7.0, 9.0]
        );
        assert!(binary(&v, &bin, "BATCH_ID", 3, "FLOAT", 1).is_err());
        assert!(binary(&v, &bin, "BATCH_ID", usize::MAX, "FLOAT", 3).is_err());
    }
}
