//! `EXT_meshopt_compression`: glTF buffer views compressed with
//! meshoptimizer's vertex and index codecs (what `gltfpack` writes),
//! decoded with the `meshopt` crate's bindings to meshoptimizer, whose
//! decoders are safe on untrusted input (they may produce garbage, which
//! the accessor checks downstream catch, never read or write out of
//! bounds). Specification:
//! <https://github.com/KhronosGroup/glTF/tree/main/extensions/2.0/Vendor/EXT_meshopt_compression>.

use serde_json::Value;

/// Most bytes the views of one glTF may decode to: far above a tile's,
/// far below memory.
pub const MAX_DECODED: usize = 1 << 28;

/// The decoded bytes of a buffer view whose `EXT_meshopt_compression`
/// object is `ext`, reading the compressed bytes from `buffers`; at most
/// `allowance` bytes (what is left of [`MAX_DECODED`] for the glTF).
pub fn decode_view(ext: &Value, buffers: &[Vec<u8>], allowance: usize) -> Result<Vec<u8>, String> {
    let num = |key: &str| ext.get(key).and_then(Value::as_u64).map(|v| v as usize);
    let need = |key: &str| num(key).ok_or_else(|| format!("EXT_meshopt_compression has no {key}"));
    let (buffer, length, stride, count) = (
        need("buffer")?,
        need("byteLength")?,
        need("byteStride")?,
        need("count")?,
    );
    let offset = num("byteOffset").unwrap_or(0);
    let source = buffers
        .get(buffer)
        .and_then(|b| b.get(offset..offset.checked_add(length)?))
        .ok_or_else(|| {
            format!("EXT_meshopt_compression: bytes {offset}+{length} are not in buffer {buffer}")
        })?;
    let size = count
        .checked_mul(stride)
        .filter(|&s| s <= allowance)
        .ok_or_else(|| format!("EXT_meshopt_compression: {count} × {stride} bytes is too large"))?;
    let mode = ext.get("mode").and_then(Value::as_str).unwrap_or("");
    // Words, not bytes: the filters read the decoded values as 16- and
    // 32-bit integers, which must be aligned.
    let mut out = vec![0u32; size.div_ceil(4)];
    // SAFETY (each call): `out` holds at least `count * stride` bytes and
    // `source` is a valid slice; meshoptimizer writes no more than that and
    // reads no more than `source.len()`.
    let rc = match mode {
        "ATTRIBUTES" => {
            if stride == 0 || !stride.is_multiple_of(4) || stride > 256 {
                return Err(format!(
                    "EXT_meshopt_compression: attribute stride {stride}"
                ));
            }
            unsafe {
                meshopt::ffi::meshopt_decodeVertexBuffer(
                    out.as_mut_ptr().cast(),
                    count,
                    stride,
                    source.as_ptr(),
                    source.len(),
                )
            }
        }
        "TRIANGLES" | "INDICES" => {
            if stride != 2 && stride != 4 {
                return Err(format!("EXT_meshopt_compression: index stride {stride}"));
            }
            if mode == "TRIANGLES" && !count.is_multiple_of(3) {
                return Err(format!(
                    "EXT_meshopt_compression: {count} indices are not triangles"
                ));
            }
            let decode = if mode == "TRIANGLES" {
                meshopt::ffi::meshopt_decodeIndexBuffer
            } else {
                meshopt::ffi::meshopt_decodeIndexSequence
            };
            unsafe {
                decode(
                    out.as_mut_ptr().cast(),
                    count,
                    stride,
                    source.as_ptr(),
                    source.len(),
                )
            }
        }
        other => {
            return Err(format!(
                "EXT_meshopt_compression: mode {}",
                cim_core::message::quote(other)
            ));
        }
    };
    if rc != 0 {
        return Err(format!(
            "EXT_meshopt_compression: corrupt {mode} data (code {rc})"
        ));
    }
    if mode == "ATTRIBUTES" {
        unfilter(ext, &mut out, count, stride)?;
    } else if ext.get("filter").and_then(Value::as_str).unwrap_or("NONE") != "NONE" {
        return Err(format!("EXT_meshopt_compression: a filter on {mode} data"));
    }
    let mut bytes: Vec<u8> = out.iter().flat_map(|w| w.to_le_bytes()).collect();
    bytes.truncate(size);
    Ok(bytes)
}

/// Undoes the view's filter in place (the second, lossy stage of the
/// codec).
fn unfilter(ext: &Value, out: &mut [u32], count: usize, stride: usize) -> Result<(), String> {
    let filter = ext.get("filter").and_then(Value::as_str).unwrap_or("NONE");
    let ok = match filter {
        "NONE" => return Ok(()),
        "OCTAHEDRAL" | "COLOR" => stride == 4 || stride == 8,
        "QUATERNION" => stride == 8,
        "EXPONENTIAL" => stride.is_multiple_of(4),
        other => {
            return Err(format!(
                "EXT_meshopt_compression: filter {}",
                cim_core::message::quote(other)
            ));
        }
    };
    if !ok {
        return Err(format!(
            "EXT_meshopt_compression: {filter} with stride {stride}"
        ));
    }
    let filter_fn = match filter {
        "OCTAHEDRAL" => meshopt::ffi::meshopt_decodeFilterOct,
        "COLOR" => meshopt::ffi::meshopt_decodeFilterColor,
        "QUATERNION" => meshopt::ffi::meshopt_decodeFilterQuat,
        _ => meshopt::ffi::meshopt_decodeFilterExp,
    };
    // SAFETY: `out` holds `count * stride` bytes, aligned, the stride
    // checked against what the filter reads.
    unsafe { filter_fn(out.as_mut_ptr().cast(), count, stride) };
    Ok(())
}
