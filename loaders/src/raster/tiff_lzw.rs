//! LZW-compressed TIFF strips and tiles, decoded here instead of by the
//! `tiff` crate.
//!
//! `tiff` 0.11.3 fails on some LZW tiles at the right edge of an image (GDAL
//! writes them in every LZW-compressed tiled GeoTIFF whose width is not a
//! multiple of the tile width): it reads such a tile row by row, skipping the
//! padding, and when a read ends exactly at the end of the data its LZW
//! reader takes weezl's `NoProgress` status for a missing end code and
//! reports "no lzw end code found", discarding the bytes just decoded. Here a
//! whole chunk is decoded at once (TIFF 6.0 §13, with the "old-style"
//! LSB-first variant of early libtiff), then the predictors of TIFF 6.0 §14
//! (horizontal differencing) and Adobe Photoshop TIFF Technical Note 3
//! (floating point) are undone and the samples converted to `f32`.

use weezl::decode::Configuration;
use weezl::{BitOrder, LzwStatus};

/// How the samples of a chunk are stored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SampleLayout {
    /// Samples per pixel in this chunk (1 for planar images).
    pub samples: usize,
    /// Bytes per sample (1, 2, 4 or 8).
    pub bytes: usize,
    /// TIFF SampleFormat: 1 unsigned, 2 signed, 3 IEEE float.
    pub format: u16,
    pub little_endian: bool,
    /// TIFF Predictor: 1 none, 2 horizontal, 3 floating point.
    pub predictor: u16,
}

/// Decodes an LZW chunk of `rows` rows of `width` pixels into `f32`
/// samples (`width * rows * samples` of them, row-major).
pub(crate) fn decode(
    data: &[u8],
    width: usize,
    rows: usize,
    s: SampleLayout,
) -> Result<Vec<f32>, String> {
    if !matches!(s.bytes, 1 | 2 | 4 | 8) || (s.format == 3 && s.bytes < 4) {
        return Err(format!(
            "{}-bit samples of format {} are not supported with LZW",
            s.bytes * 8,
            s.format
        ));
    }
    let (row_bytes, expected) = width
        .checked_mul(s.samples * s.bytes)
        .and_then(|r| Some((r, r.checked_mul(rows)?)))
        .ok_or_else(|| format!("{width}×{rows} pixels do not fit in memory"))?;
    let mut raw = lzw(data, expected)?;
    if raw.len() < expected {
        return Err(format!(
            "LZW data decodes to {} bytes, {expected} expected",
            raw.len()
        ));
    }
    let mut native = s.little_endian == cfg!(target_endian = "little");
    for row in raw.chunks_exact_mut(row_bytes) {
        match s.predictor {
            2 => horizontal(row, s),
            3 => {
                floating_point(row, s);
                native = true;
            }
            _ => {}
        }
    }
    Ok(to_f32(&raw, s, native))
}

fn lzw(data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    // libtiff's "old-style" LZW starts with a clear code written LSB-first.
    let mut dec = if data.len() > 1 && data[0] == 0 && data[1] & 1 == 1 {
        Configuration::new(BitOrder::Lsb, 8).build()
    } else {
        Configuration::with_tiff_size_switch(BitOrder::Msb, 8).build()
    };
    // Grow the output only as the data really decodes: a header may
    // declare gigabytes for a strip of a few bytes (found by cargo fuzz).
    let mut out = Vec::with_capacity(expected.min(data.len().saturating_mul(8)));
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = data;
    while out.len() < expected {
        let want = (expected - out.len()).min(buf.len());
        let r = dec.decode_bytes(input, &mut buf[..want]);
        input = &input[r.consumed_in..];
        out.extend_from_slice(&buf[..r.consumed_out]);
        match r.status {
            Ok(LzwStatus::Ok) if r.consumed_in > 0 || r.consumed_out > 0 => {}
            Ok(_) => break,
            Err(e) => return Err(format!("corrupt LZW data: {e}")),
        }
    }
    Ok(out)
}

/// Undoes horizontal differencing: each sample adds the one `samples` to its
/// left, in integer arithmetic of the sample's width (file byte order).
fn horizontal(row: &mut [u8], s: SampleLayout) {
    let stride = s.samples * s.bytes;
    macro_rules! acc {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let get = |b: &[u8]| {
                let a: [u8; N] = b.try_into().unwrap_or([0; N]);
                if s.little_endian {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                }
            };
            for i in (stride..row.len()).step_by(N) {
                let v = get(&row[i..i + N]).wrapping_add(get(&row[i - stride..i - stride + N]));
                let b = if s.little_endian {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                row[i..i + N].copy_from_slice(&b);
            }
        }};
    }
    match s.bytes {
        1 => acc!(u8),
        2 => acc!(u16),
        4 => acc!(u32),
        _ => acc!(u64),
    }
}

/// Undoes the floating-point predictor: byte-wise accumulation across the
/// row, then the bytes of each sample gathered from the row's byte planes
/// (most significant plane first), giving native-endian floats.
fn floating_point(row: &mut [u8], s: SampleLayout) {
    for i in s.samples..row.len() {
        row[i] = row[i].wrapping_add(row[i - s.samples]);
    }
    let tmp = row.to_vec();
    let count = row.len() / s.bytes;
    for k in 0..count {
        for byte in 0..s.bytes {
            let plane = if cfg!(target_endian = "little") {
                s.bytes - byte - 1
            } else {
                byte
            };
            row[s.bytes * k + byte] = tmp[plane * count + k];
        }
    }
}

fn to_f32(raw: &[u8], s: SampleLayout, native: bool) -> Vec<f32> {
    macro_rules! conv {
        ($t:ty) => {
            raw.chunks_exact(std::mem::size_of::<$t>())
                .map(|b| {
                    let a = b.try_into().unwrap_or([0; std::mem::size_of::<$t>()]);
                    let v = if native {
                        <$t>::from_ne_bytes(a)
                    } else if s.little_endian {
                        <$t>::from_le_bytes(a)
                    } else {
                        <$t>::from_be_bytes(a)
                    };
                    v as f32
                })
                .collect()
        };
    }
    match (s.format, s.bytes) {
        (3, 4) => conv!(f32),
        (3, _) => conv!(f64),
        (2, 1) => conv!(i8),
        (2, 2) => conv!(i16),
        (2, 4) => conv!(i32),
        (2, _) => conv!(i64),
        (_, 1) => conv!(u8),
        (_, 2) => conv!(u16),
        (_, 4) => conv!(u32),
        _ => conv!(u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lzw_encode(bytes: &[u8]) -> Vec<u8> {
        weezl::encode::Encoder::with_tiff_size_switch(BitOrder::Msb, 8)
            .encode(bytes)
            .unwrap()
    }

    const LE16: SampleLayout = SampleLayout {
        samples: 1,
        bytes: 2,
        format: 2,
        little_endian: true,
        predictor: 1,
    };

    #[test]
    fn plain_and_horizontal_predictor() {
        let vals: Vec<i16> = vec![100, 101, 99, -5, 7, 7];
        let raw: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let out = decode(&lzw_encode(&raw), 3, 2, LE16).unwrap();
        assert_eq!(out, [100.0, 101.0, 99.0, -5.0, 7.0, 7.0]);
        // Horizontal differences per row, big-endian this time.
        let diffs: Vec<u8> = [100i16, 1, -2, -5, 12, 0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let s = SampleLayout {
            little_endian: false,
            predictor: 2,
            ..LE16
        };
        assert_eq!(
            decode(&lzw_encode(&diffs), 3, 2, s).unwrap(),
            [100.0, 101.0, 99.0, -5.0, 7.0, 7.0]
        );
    }

    #[test]
    fn floating_point_predictor() {
        // Encode one row of two f32 the way libtiff's fpDiff does.
        let vals = [1.5f32, -2.25];
        let be: Vec<[u8; 4]> = vals.iter().map(|v| v.to_be_bytes()).collect();
        let mut planes = Vec::new();
        for byte in 0..4 {
            for v in &be {
                planes.push(v[byte]);
            }
        }
        for i in (1..planes.len()).rev() {
            planes[i] = planes[i].wrapping_sub(planes[i - 1]);
        }
        let s = SampleLayout {
            samples: 1,
            bytes: 4,
            format: 3,
            little_endian: true,
            predictor: 3,
        };
        assert_eq!(decode(&lzw_encode(&planes), 2, 1, s).unwrap(), vals);
    }

    #[test]
    fn short_and_corrupt_data_are_errors() {
        let raw = vec![1u8; 64];
        let enc = lzw_encode(&raw);
        let e = decode(&enc, 40, 1, LE16).unwrap_err();
        assert!(e.contains("64 bytes, 80 expected"), "{e}");
        assert!(decode(&[0xFF; 9], 2, 1, LE16).is_err());
    }
}
