//! glTF 2.0 content (`.glb`, `.gltf`, and the glTF inside b3dm/i3dm) →
//! [`TileContent`].
//!
//! The `gltf` crate parses the JSON and the GLB container; accessors are
//! read here, because `KHR_mesh_quantization` allows normalised integer
//! positions, normals and texture coordinates that the crate's readers
//! refuse. Every index and byte range is checked before it is used: the
//! crate's document API indexes its arrays directly, so the document is
//! validated first, and buffer ranges are checked against the bytes.
//! Node cycles and deep node chains are refused.
//!
//! `document` splits the GLB and checks the document, `buffers` reads
//! buffers, accessors and Draco streams, `features` the feature id sets
//! and property tables, `material` materials and textures; this file
//! walks the nodes and reads each primitive.

mod buffers;
mod document;
mod features;
mod material;
pub(crate) use material::decode_image;

use super::ContentContext;
use buffers::{
    Buffers, colors, dvec3, fan_to_list, load_buffers, per_vertex, read_floats, read_indices,
    strip_to_list, vec3s,
};
use cim_core::model::tile_content::{
    ContentMesh, FeatureIds, PointCloud, TextureImage, TileContent,
};
use document::{split_glb, validate};
use features::feature_count_of;
use glam::{DMat4, DQuat, DVec3, Vec2};
use gltf::mesh::Mode;
use std::collections::HashMap;
use std::sync::Arc;

/// Extensions whose `extensionsRequired` entry this reader honours.
const UNDERSTOOD: &[&str] = &[
    "KHR_mesh_quantization",
    "KHR_draco_mesh_compression",
    "EXT_meshopt_compression",
    "KHR_materials_unlit",
    "KHR_texture_transform",
    "CESIUM_RTC",
    "EXT_mesh_features",
    "EXT_instance_features",
    "EXT_structural_metadata",
    "EXT_mesh_gpu_instancing",
    // Custom GLSL (3D Tiles 1.0 era): drawn with the standard material,
    // textured by the technique's first texture value.
    "KHR_techniques_webgl",
];

/// Deepest node chain followed (glTF scenes are shallow; a deeper one is
/// hostile or broken).
const MAX_NODE_DEPTH: usize = 64;
/// Largest texture side decoded.
const MAX_TEXTURE_SIDE: u32 = 16_384;

/// The y-up → z-up turn of glTF content in 3D Tiles (3D Tiles 1.1
/// §"glTF transforms"): (x, y, z) ↦ (x, −z, y).
pub const Y_UP_TO_Z_UP: DMat4 = DMat4::from_cols_array(&[
    1.0, 0.0, 0.0, 0.0, //
    0.0, 0.0, 1.0, 0.0, //
    0.0, -1.0, 0.0, 0.0, //
    0.0, 0.0, 0.0, 1.0,
]);

/// Reads glTF (GLB or JSON) `bytes`; `ctx` names it in errors, resolves
/// external buffers and images and says the up axis.
pub fn read(bytes: &[u8], ctx: &ContentContext) -> Result<TileContent, String> {
    let (json, blob) = if bytes.starts_with(b"glTF") {
        split_glb(bytes)?
    } else {
        (bytes, None)
    };
    let root = gltf::json::Root::from_slice(json).map_err(|e| format!("invalid glTF JSON: {e}"))?;
    let document = gltf::Document::from_json_without_validation(root);
    validate(&document)?;
    let doc = &document;
    let buffers = load_buffers(doc, blob, ctx)?;
    let mut reader = Reader {
        doc,
        buffers: &buffers,
        ctx,
        images: HashMap::new(),
        out: TileContent::default(),
        decoded: HashMap::new(),
        decoded_indices: None,
    };
    let mut root = if ctx.y_up {
        Y_UP_TO_Z_UP
    } else {
        DMat4::IDENTITY
    };
    if let Some(c) = doc
        .extension_value("CESIUM_RTC")
        .and_then(|v| v.get("center"))
        .and_then(vec3_of)
    {
        root = DMat4::from_translation(c) * root;
    }
    let roots: Vec<gltf::Node> = match doc.default_scene().or_else(|| doc.scenes().next()) {
        Some(scene) => scene.nodes().collect(),
        // No scene: every node that is no one's child.
        None => {
            let children: std::collections::HashSet<usize> = doc
                .nodes()
                .flat_map(|n| n.children().map(|c| c.index()))
                .collect();
            doc.nodes()
                .filter(|n| !children.contains(&n.index()))
                .collect()
        }
    };
    for node in roots {
        reader.node(&node, root, &mut Vec::new())?;
    }
    reader.property_tables()?;
    Ok(reader.out)
}

fn vec3_of(v: &serde_json::Value) -> Option<DVec3> {
    let a = v.as_array()?;
    let f = |i: usize| a.get(i)?.as_f64().filter(|x| x.is_finite());
    Some(DVec3::new(f(0)?, f(1)?, f(2)?))
}

struct Reader<'a> {
    doc: &'a gltf::Document,
    buffers: &'a Buffers,
    ctx: &'a ContentContext<'a>,
    images: HashMap<usize, Option<Arc<TextureImage>>>,
    out: TileContent,
    /// The current primitive's Draco-decoded values, by accessor index
    /// (its accessors have no views of their own), and its triangles.
    decoded: HashMap<usize, (Vec<f32>, usize)>,
    decoded_indices: Option<Vec<u32>>,
}

impl Reader<'_> {
    fn node(
        &mut self,
        node: &gltf::Node,
        parent: DMat4,
        path: &mut Vec<usize>,
    ) -> Result<(), String> {
        if path.contains(&node.index()) {
            return Err(format!("node {} is its own ancestor", node.index()));
        }
        if path.len() >= MAX_NODE_DEPTH {
            return Err(format!("nodes nested deeper than {MAX_NODE_DEPTH}"));
        }
        let local = node.transform().matrix();
        let m = parent * DMat4::from_cols_array_2d(&local.map(|c| c.map(f64::from)));
        if !m.is_finite() {
            return Err(format!("node {} has a non-finite transform", node.index()));
        }
        if let Some(mesh) = node.mesh() {
            let instances = self.instances(node)?;
            let instance_features = self.instance_features(node, instances.len())?;
            for prim in mesh.primitives() {
                self.primitive(&prim, m, &instances, &instance_features)?;
            }
        }
        path.push(node.index());
        for child in node.children() {
            self.node(&child, m, path)?;
        }
        path.pop();
        Ok(())
    }

    /// `EXT_mesh_gpu_instancing`: one transform per instance.
    fn instances(&mut self, node: &gltf::Node) -> Result<Vec<DMat4>, String> {
        let Some(ext) = node.extension_value("EXT_mesh_gpu_instancing") else {
            return Ok(Vec::new());
        };
        let attr = |name: &str| -> Result<Option<(Vec<f32>, usize)>, String> {
            match ext
                .get("attributes")
                .and_then(|a| a.get(name))
                .and_then(|i| i.as_u64())
            {
                Some(i) => {
                    let acc = self
                        .doc
                        .accessors()
                        .nth(i as usize)
                        .ok_or_else(|| format!("instancing accessor {i} does not exist"))?;
                    Ok(Some(read_floats(&acc, self.buffers)?))
                }
                None => Ok(None),
            }
        };
        let with = |name: &str, comps: usize| match attr(name)? {
            Some((_, n)) if n != comps => Err(format!(
                "EXT_mesh_gpu_instancing {name} has {n} components, not {comps}"
            )),
            a => Ok(a),
        };
        let t = with("TRANSLATION", 3)?;
        let r = with("ROTATION", 4)?;
        let s = with("SCALE", 3)?;
        let count = [&t, &r, &s]
            .iter()
            .filter_map(|a| a.as_ref().map(|(v, n)| v.len() / n))
            .min()
            .unwrap_or(0);
        fn get(a: &Option<(Vec<f32>, usize)>, i: usize) -> Option<&[f32]> {
            a.as_ref().map(|(v, n)| &v[i * n..(i + 1) * n])
        }
        let instances = (0..count)
            .map(|i| {
                let tr = get(&t, i).map_or(DVec3::ZERO, dvec3);
                let sc = get(&s, i).map_or(DVec3::ONE, dvec3);
                let ro = get(&r, i).map_or(DQuat::IDENTITY, |v| {
                    DQuat::from_xyzw(v[0] as f64, v[1] as f64, v[2] as f64, v[3] as f64).normalize()
                });
                DMat4::from_scale_rotation_translation(sc, ro, tr)
            })
            .collect::<Vec<_>>();
        if instances.iter().any(|m| !m.is_finite()) {
            return Err("EXT_mesh_gpu_instancing: non-finite instance transforms".into());
        }
        self.out.instance_count += instances.len();
        Ok(instances)
    }

    /// One primitive, decoded from its Draco stream first if it has one.
    fn primitive(
        &mut self,
        prim: &gltf::Primitive,
        transform: DMat4,
        instances: &[DMat4],
        instance_features: &[FeatureIds],
    ) -> Result<(), String> {
        self.decode_draco(prim)?;
        let read = self.read_primitive(prim, transform, instances, instance_features);
        self.decoded.clear();
        self.decoded_indices = None;
        read
    }

    /// [`Self::primitive`]'s work, once its Draco stream (if any) is decoded.
    fn read_primitive(
        &mut self,
        prim: &gltf::Primitive,
        transform: DMat4,
        instances: &[DMat4],
        instance_features: &[FeatureIds],
    ) -> Result<(), String> {
        let Some(pos) = prim.get(&gltf::Semantic::Positions) else {
            return Ok(()); // Nothing to draw.
        };
        let positions = vec3s(self.floats(&pos)?, pos.index())?;
        let n = positions.len();
        let attr3 = |s: gltf::Semantic| -> Result<Vec<[f32; 3]>, String> {
            match prim.get(&s) {
                Some(a) => per_vertex(vec3s(self.floats(&a)?, a.index())?, n, "NORMAL"),
                None => Ok(Vec::new()),
            }
        };
        let normals = attr3(gltf::Semantic::Normals)?;
        let colors = match prim.get(&gltf::Semantic::Colors(0)) {
            Some(a) => per_vertex(colors(self.floats(&a)?)?, n, "COLOR_0")?,
            None => Vec::new(),
        };
        let features = self.features(prim, n)?;
        if let Some(f) = prim.extension_value("EXT_mesh_features") {
            self.out.feature_count += feature_count_of(f);
        }
        if prim.mode() == Mode::Points {
            self.out.points.push(PointCloud {
                transform,
                positions,
                colors,
                normals,
                features,
            });
            return Ok(());
        }
        let indices = match (self.decoded_indices.take(), prim.indices()) {
            (Some(_), _) if prim.mode() != Mode::Triangles => {
                return Err("a Draco primitive that is not a triangle list".into());
            }
            (Some(draco), _) => draco,
            (None, Some(a)) => read_indices(&a, self.buffers)?,
            (None, None) => (0..n as u32).collect(),
        };
        if let Some(bad) = indices.iter().find(|&&i| i as usize >= n) {
            return Err(format!("index {bad} past the {n} vertices of a primitive"));
        }
        let indices = match prim.mode() {
            Mode::Triangles => {
                let mut v = indices;
                v.truncate(v.len() / 3 * 3);
                v
            }
            Mode::TriangleStrip => strip_to_list(&indices),
            Mode::TriangleFan => fan_to_list(&indices),
            // Lines are not drawn (3D Tiles content is surfaces and points).
            _ => return Ok(()),
        };
        let (material, uv_set, uv_transform) = self.material(&prim.material())?;
        let mut uvs = match prim.get(&gltf::Semantic::TexCoords(uv_set)) {
            Some(a) if material.texture.is_some() => {
                let (v, comps) = self.floats(&a)?;
                if comps != 2 {
                    return Err("TEXCOORD is not a VEC2".into());
                }
                per_vertex(
                    v.chunks_exact(2).map(|c| [c[0], c[1]]).collect(),
                    n,
                    "TEXCOORD",
                )?
            }
            _ => Vec::new(),
        };
        if let Some(t) = uv_transform {
            for uv in &mut uvs {
                *uv = (t * Vec2::from(*uv).extend(1.0)).truncate().into();
            }
        }
        self.out.meshes.push(ContentMesh {
            transform,
            positions,
            normals,
            uvs,
            colors,
            indices,
            features,
            material,
            instances: instances.to_vec(),
            instance_features: instance_features.to_vec(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_up_becomes_z_up() {
        let p = Y_UP_TO_Z_UP.transform_point3(DVec3::new(1.0, 2.0, 3.0));
        assert_eq!(p, DVec3::new(1.0, -3.0, 2.0));
    }
}
