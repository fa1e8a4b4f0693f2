//! Bytes: the glTF's buffers (meshopt views decoded), accessors read with
//! every range checked, Draco streams decoded, and the values shaped for
//! the content model (VEC3s, colours, triangle lists).

use super::{ContentContext, Reader};
use glam::DVec3;
use gltf::accessor::{DataType, Dimensions};
use std::collections::HashMap;

/// The glTF's buffers, and its views compressed with
/// `EXT_meshopt_compression`, decoded (by view index).
pub(super) struct Buffers {
    data: Vec<Vec<u8>>,
    decoded: HashMap<usize, Vec<u8>>,
}

pub(super) fn load_buffers(
    doc: &gltf::Document,
    blob: Option<&[u8]>,
    ctx: &ContentContext,
) -> Result<Buffers, String> {
    let data = doc
        .buffers()
        .map(|b| {
            // A meshopt fallback buffer has no bytes: its views are decoded
            // from another buffer.
            let fallback = b
                .extension_value("EXT_meshopt_compression")
                .and_then(|e| e.get("fallback"))
                .and_then(|f| f.as_bool())
                == Some(true);
            if fallback {
                return Ok(Vec::new());
            }
            let data = match b.source() {
                gltf::buffer::Source::Bin => blob
                    .ok_or("buffer 0 refers to a GLB binary chunk that is missing")?
                    .to_vec(),
                gltf::buffer::Source::Uri(uri) => resolve_uri(uri, ctx)?,
            };
            if data.len() < b.length() {
                return Err(format!(
                    "buffer {} holds {} bytes, {} declared",
                    b.index(),
                    data.len(),
                    b.length()
                ));
            }
            Ok(data)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut decoded = HashMap::new();
    let mut allowance = crate::tiles3d::meshopt::MAX_DECODED;
    for view in doc.views() {
        if let Some(ext) = view.extension_value("EXT_meshopt_compression") {
            let bytes = crate::tiles3d::meshopt::decode_view(ext, &data, allowance)?;
            allowance -= bytes.len();
            decoded.insert(view.index(), bytes);
        }
    }
    Ok(Buffers { data, decoded })
}

/// A `data:` URI's bytes, or the bytes of a file or URL beside the content.
pub(super) fn resolve_uri(uri: &str, ctx: &ContentContext) -> Result<Vec<u8>, String> {
    if let Some(rest) = uri.strip_prefix("data:") {
        let (_, b64) = rest
            .split_once(";base64,")
            .ok_or("a data: URI that is not base64")?;
        use base64::Engine;
        return base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("bad base64 in a data: URI: {e}"));
    }
    (ctx.resolve)(uri)
}

impl Reader<'_> {
    /// `KHR_draco_mesh_compression`: the stream's attributes, made what the
    /// primitive's accessors say (normalised integers scaled to 0–1), kept
    /// for the accessor reads that follow.
    pub(super) fn decode_draco(&mut self, prim: &gltf::Primitive) -> Result<(), String> {
        let Some(ext) = prim.extension_value("KHR_draco_mesh_compression") else {
            return Ok(());
        };
        let view = ext
            .get("bufferView")
            .and_then(|v| v.as_u64())
            .and_then(|v| self.doc.views().nth(v as usize))
            .ok_or("KHR_draco_mesh_compression names no bufferView that exists")?;
        let decoded = crate::tiles3d::draco::decode(ext, view_bytes(&view, self.buffers)?)?;
        for (semantic, acc) in prim.attributes() {
            if let Some((values, comps)) = decoded.attribute(&semantic.to_string()) {
                let values = if acc.normalized() {
                    values
                        .iter()
                        .map(|&v| normalise(acc.data_type(), v))
                        .collect()
                } else {
                    values.to_vec()
                };
                self.decoded.insert(acc.index(), (values, comps));
            }
        }
        self.decoded_indices = Some(decoded.indices);
        Ok(())
    }

    /// An accessor's values: Draco-decoded, or read from its view.
    pub(super) fn floats(&self, acc: &gltf::Accessor) -> Result<(Vec<f32>, usize), String> {
        match self.decoded.get(&acc.index()) {
            Some(v) => Ok(v.clone()),
            None => read_floats(acc, self.buffers),
        }
    }
}

pub(super) fn dvec3(v: &[f32]) -> DVec3 {
    DVec3::new(v[0] as f64, v[1] as f64, v[2] as f64)
}

pub(super) fn per_vertex<T>(v: Vec<T>, n: usize, what: &str) -> Result<Vec<T>, String> {
    if v.len() != n {
        return Err(format!("{what} has {} values for {n} vertices", v.len()));
    }
    Ok(v)
}

/// VEC3 values (of accessor `index`, for messages), checked finite.
pub(super) fn vec3s((v, comps): (Vec<f32>, usize), index: usize) -> Result<Vec<[f32; 3]>, String> {
    if comps != 3 {
        return Err(format!("accessor {index} is not a VEC3"));
    }
    let out: Vec<[f32; 3]> = v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    if out.iter().flatten().any(|x| !x.is_finite()) {
        return Err(format!("accessor {index} holds non-finite values"));
    }
    Ok(out)
}

pub(super) fn colors((v, comps): (Vec<f32>, usize)) -> Result<Vec<[u8; 4]>, String> {
    if !(3..=4).contains(&comps) {
        return Err("COLOR_0 is neither VEC3 nor VEC4".into());
    }
    // glTF vertex colours are linear; the content model stores sRGB.
    let to8 = |x: f32| (linear_to_srgb(x.clamp(0.0, 1.0)) * 255.0).round() as u8;
    Ok(v.chunks_exact(comps)
        .map(|c| {
            let a = if comps == 4 { c[3] } else { 1.0 };
            [
                to8(c[0]),
                to8(c[1]),
                to8(c[2]),
                (a.clamp(0.0, 1.0) * 255.0).round() as u8,
            ]
        })
        .collect())
}

fn linear_to_srgb(x: f32) -> f32 {
    if x <= 0.003_130_8 {
        x * 12.92
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

/// The bytes of a buffer view, checked against its buffer.
pub(super) fn view_bytes<'b>(
    view: &gltf::buffer::View,
    buffers: &'b Buffers,
) -> Result<&'b [u8], String> {
    if let Some(decoded) = buffers.decoded.get(&view.index()) {
        return Ok(decoded);
    }
    let buf = buffers
        .data
        .get(view.buffer().index())
        .ok_or("a buffer view's buffer is missing")?;
    let end = view.offset().checked_add(view.length());
    end.and_then(|end| buf.get(view.offset()..end))
        .ok_or_else(|| format!("buffer view {} reaches past its buffer", view.index()))
}

/// An accessor's values as f32 (normalised integers mapped to [0, 1] or
/// [−1, 1], as glTF §3.11 says), with the number of components per
/// element. Sparse accessors are refused.
pub(super) fn read_floats(
    acc: &gltf::Accessor,
    buffers: &Buffers,
) -> Result<(Vec<f32>, usize), String> {
    let comps = acc.dimensions().multiplicity();
    if acc.sparse().is_some() {
        return Err(format!(
            "accessor {} is sparse, not supported yet",
            acc.index()
        ));
    }
    let Some(view) = acc.view() else {
        // glTF allows zeros here, but a view-less accessor is only ever
        // filled by an extension (Draco, read before this); zeros from a
        // count alone would let a few bytes of JSON ask for gigabytes.
        return Err(format!(
            "accessor {} has no buffer view and no extension fills it",
            acc.index()
        ));
    };
    let size = acc.data_type().size();
    let elem = size * comps;
    let stride = view.stride().unwrap_or(elem).max(elem);
    let bytes = view_bytes(&view, buffers)?;
    let need = match acc.count() {
        0 => 0,
        c => (c - 1)
            .checked_mul(stride)
            .and_then(|x| x.checked_add(elem))
            .and_then(|x| x.checked_add(acc.offset()))
            .ok_or("accessor size overflows")?,
    };
    if need > bytes.len() {
        return Err(format!(
            "accessor {} needs {need} bytes, its view holds {}",
            acc.index(),
            bytes.len()
        ));
    }
    let norm = acc.normalized();
    let mut out = Vec::with_capacity(acc.count() * comps);
    for i in 0..acc.count() {
        let base = acc.offset() + i * stride;
        for c in 0..comps {
            let b = &bytes[base + c * size..base + (c + 1) * size];
            out.push(component(acc.data_type(), b, norm));
        }
    }
    Ok((out, comps))
}

/// A normalised integer component (its value as a float) scaled as glTF
/// says (§3.11, "normalized").
fn normalise(t: DataType, v: f32) -> f32 {
    match t {
        DataType::U8 => v / 255.0,
        DataType::I8 => (v / 127.0).max(-1.0),
        DataType::U16 => v / 65535.0,
        DataType::I16 => (v / 32767.0).max(-1.0),
        DataType::U32 | DataType::F32 => v,
    }
}

fn component(t: DataType, b: &[u8], norm: bool) -> f32 {
    let raw = match t {
        DataType::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        DataType::U8 => b[0] as f32,
        DataType::I8 => b[0] as i8 as f32,
        DataType::U16 => u16::from_le_bytes([b[0], b[1]]) as f32,
        DataType::I16 => i16::from_le_bytes([b[0], b[1]]) as f32,
        DataType::U32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
    };
    if norm { normalise(t, raw) } else { raw }
}

pub(super) fn read_indices(acc: &gltf::Accessor, buffers: &Buffers) -> Result<Vec<u32>, String> {
    if acc.dimensions() != Dimensions::Scalar {
        return Err("indices are not SCALAR".into());
    }
    if !matches!(
        acc.data_type(),
        DataType::U8 | DataType::U16 | DataType::U32
    ) {
        return Err("indices are not unsigned integers".into());
    }
    // f32 holds integers exactly up to 2^24; u32 indices are read directly.
    if acc.data_type() == DataType::U32 {
        let view = acc.view().ok_or("indices without a buffer view")?;
        let bytes = view_bytes(&view, buffers)?;
        let stride = view.stride().unwrap_or(4).max(4);
        return (0..acc.count())
            .map(|i| {
                let o = acc.offset() + i * stride;
                bytes
                    .get(o..o + 4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .ok_or_else(|| "indices reach past their view".to_string())
            })
            .collect();
    }
    let (v, _) = read_floats(acc, buffers)?;
    Ok(v.into_iter().map(|f| f as u32).collect())
}

pub(super) fn strip_to_list(ix: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(ix.len().saturating_sub(2) * 3);
    for i in 2..ix.len() {
        // Every other triangle is flipped to keep the winding.
        if i % 2 == 0 {
            out.extend([ix[i - 2], ix[i - 1], ix[i]]);
        } else {
            out.extend([ix[i - 1], ix[i - 2], ix[i]]);
        }
    }
    out
}

pub(super) fn fan_to_list(ix: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(ix.len().saturating_sub(2) * 3);
    for i in 2..ix.len() {
        out.extend([ix[0], ix[i - 1], ix[i]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_and_fans_become_lists() {
        assert_eq!(strip_to_list(&[0, 1, 2, 3]), vec![0, 1, 2, 2, 1, 3]);
        assert_eq!(fan_to_list(&[0, 1, 2, 3]), vec![0, 1, 2, 0, 2, 3]);
        assert!(strip_to_list(&[0, 1]).is_empty());
    }

    #[test]
    fn normalised_components_follow_gltf() {
        assert_eq!(component(DataType::U8, &[255], true), 1.0);
        assert_eq!(component(DataType::I16, &[0x01, 0x80], true), -1.0);
        assert_eq!(component(DataType::U16, &[0x10, 0x00], false), 16.0);
    }
}
