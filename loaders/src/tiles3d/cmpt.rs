//! Composite (3D Tiles 1.0 §"Composite"): inner tiles of any format,
//! concatenated, read one after another (nested composites too, to a
//! bounded depth).

use super::{ContentContext, read_content_bytes};
use cim_core::model::tile_content::TileContent;

/// Deepest nesting of composites followed.
const MAX_NESTING: usize = 8;

pub fn read(bytes: &[u8], ctx: &ContentContext, depth: usize) -> Result<TileContent, String> {
    if depth >= MAX_NESTING {
        return Err(format!("composites nested deeper than {MAX_NESTING}"));
    }
    if bytes.len() < 16 || &bytes[..4] != b"cmpt" {
        return Err("not a composite (bad magic or shorter than its 16-byte header)".into());
    }
    let word = |b: &[u8], i: usize| super::feature_table::u32_at(b, i).unwrap_or(0) as usize;
    let total = word(bytes, 2);
    if total > bytes.len() || total < 16 {
        return Err(format!("byteLength {total} but {} bytes", bytes.len()));
    }
    let count = word(bytes, 3);
    let mut at = 16;
    let mut content = TileContent::default();
    for i in 0..count {
        let inner = bytes
            .get(at..total)
            .filter(|b| b.len() >= 12)
            .ok_or_else(|| format!("inner tile {i} of {count} starts past the end"))?;
        let len = word(inner, 2);
        if len < 12 || len > inner.len() {
            return Err(format!(
                "inner tile {i}: byteLength {len} does not fit in the {} bytes left",
                inner.len()
            ));
        }
        let part = read_content_bytes(&inner[..len], ctx, depth + 1)
            .map_err(|e| format!("inner tile {i}: {e}"))?;
        content.append(part);
        at += len;
    }
    Ok(content)
}
