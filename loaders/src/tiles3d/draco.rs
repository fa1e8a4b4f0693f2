//! `KHR_draco_mesh_compression`: a glTF primitive's geometry decoded from
//! its Draco bitstream (Google's Draco format, decoded by `draco-core`, a
//! pure-Rust decoder with caller-set ceilings on what one stream may
//! produce). Oblique photography converted to 3D Tiles is very often
//! Draco-compressed.
//!
//! The extension names, for each glTF attribute semantic, the Draco
//! attribute holding it (by unique id); the primitive's accessors keep
//! describing the decoded data (type, count, normalisation), and its
//! indices are the Draco faces. See the extension's specification:
//! <https://github.com/KhronosGroup/glTF/tree/main/extensions/2.0/Khronos/KHR_draco_mesh_compression>.

use draco_core::{DecodeLimits, DecoderBuffer, Mesh, MeshDecoder, PointIndex};
use serde_json::Value;

/// Most points, faces and decoded bytes one primitive may have: well
/// above any tile's (a few hundred thousand triangles), far below what
/// would exhaust memory.
const MAX_POINTS: u64 = 1 << 24;
const MAX_FACES: u64 = 1 << 25;
const MAX_DECODED_BYTES: u64 = 1 << 30;

/// A decoded primitive: the values of each attribute the extension names,
/// one per point, and the triangles.
#[derive(Debug, Default)]
pub struct DracoPrimitive {
    /// `(glTF semantic, values, components per point)`.
    pub attributes: Vec<(String, Vec<f32>, usize)>,
    /// A triangle list over the points.
    pub indices: Vec<u32>,
    pub points: usize,
}

impl DracoPrimitive {
    /// The values of attribute `semantic`, if the stream holds it.
    pub fn attribute(&self, semantic: &str) -> Option<(&[f32], usize)> {
        self.attributes
            .iter()
            .find(|(s, _, _)| s == semantic)
            .map(|(_, v, c)| (v.as_slice(), *c))
    }
}

/// Decodes `bytes` (the extension's bufferView) for the extension object
/// `ext` (`{"bufferView": …, "attributes": {"POSITION": id, …}}`).
pub fn decode(ext: &Value, bytes: &[u8]) -> Result<DracoPrimitive, String> {
    let limits = DecodeLimits::default()
        .with_max_points(MAX_POINTS)
        .with_max_faces(MAX_FACES)
        .with_max_decoded_bytes(MAX_DECODED_BYTES);
    let mut mesh = Mesh::new();
    MeshDecoder::new()
        .decode(
            &mut DecoderBuffer::new(bytes).with_limits(limits),
            &mut mesh,
        )
        .map_err(|e| format!("Draco: {e}"))?;
    let points = mesh.num_points();
    let mut attributes = Vec::new();
    let named = ext
        .get("attributes")
        .and_then(Value::as_object)
        .ok_or("KHR_draco_mesh_compression has no attributes")?;
    let mut budget = MAX_DECODED_BYTES as usize;
    for (semantic, id) in named {
        let id = id
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| format!("KHR_draco_mesh_compression: {semantic} has no attribute id"))?;
        let attr = mesh.attribute_by_unique_id(id).ok_or_else(|| {
            format!("KHR_draco_mesh_compression: the stream has no attribute {id} ({semantic})")
        })?;
        let comps = attr.num_components() as usize;
        if !(1..=4).contains(&comps) {
            return Err(format!(
                "KHR_draco_mesh_compression: {semantic} has {comps} components"
            ));
        }
        // Several names may share one attribute: each read counts.
        budget = budget
            .checked_sub(points * comps * 4)
            .ok_or("KHR_draco_mesh_compression: the attributes decode to too many bytes")?;
        attributes.push((semantic.clone(), attr.read_f32s(points, comps), comps));
    }
    let mut indices = Vec::with_capacity(mesh.num_faces() * 3);
    for face in mesh.faces() {
        for PointIndex(p) in face {
            if *p as usize >= points {
                return Err(format!("Draco: a face names point {p} of {points}"));
            }
            indices.push(*p);
        }
    }
    Ok(DracoPrimitive {
        attributes,
        indices,
        points,
    })
}
