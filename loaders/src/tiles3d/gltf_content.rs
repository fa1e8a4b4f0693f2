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

use super::ContentContext;
use cim_core::model::tile_content::{
    Alpha, ContentMaterial, ContentMesh, FeatureIds, NO_FEATURE, PointCloud, TextureImage,
    TileContent,
};
use glam::{DMat4, DQuat, DVec3, Mat3, Vec2};
use gltf::accessor::{DataType, Dimensions};
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

/// The JSON and BIN chunks of a GLB (glTF 2.0 §4.4), every length
/// checked (the `gltf` crate's own GLB reader overflows on a header
/// shorter than it says).
fn split_glb(bytes: &[u8]) -> Result<(&[u8], Option<&[u8]>), String> {
    let word = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (version, length) = (word(4), word(8));
    if version != Some(2) {
        return Err(format!("GLB version {version:?}, only 2 is read"));
    }
    let length = length.filter(|&l| (12..=bytes.len()).contains(&l));
    let length = length
        .ok_or_else(|| format!("a GLB whose length is not within its {} bytes", bytes.len()))?;
    let mut at = 12;
    let mut chunks = Vec::new();
    while at + 8 <= length && chunks.len() < 2 {
        let (len, kind) = (word(at).unwrap_or(0), word(at + 4).unwrap_or(0));
        let end = (at + 8).checked_add(len).filter(|&e| e <= length);
        let end = end.ok_or_else(|| format!("a GLB chunk of {len} bytes runs past the end"))?;
        chunks.push((kind, &bytes[at + 8..end]));
        at = end;
    }
    const JSON: usize = 0x4E4F_534A;
    const BIN: usize = 0x004E_4942;
    match chunks.as_slice() {
        [(JSON, json)] => Ok((json, None)),
        [(JSON, json), (BIN, bin), ..] => Ok((json, Some(bin))),
        [(JSON, json), ..] => Ok((json, None)),
        _ => Err("a GLB without a JSON chunk first".into()),
    }
}

fn vec3_of(v: &serde_json::Value) -> Option<DVec3> {
    let a = v.as_array()?;
    let f = |i: usize| a.get(i)?.as_f64().filter(|x| x.is_finite());
    Some(DVec3::new(f(0)?, f(1)?, f(2)?))
}

/// The document's indices all point somewhere, its enums are known, and
/// every required extension is one this reader understands.
fn validate(doc: &gltf::Document) -> Result<(), String> {
    use gltf::json::validation::Validate;
    let root = doc.as_json();
    // gltf-json's own check of POSITION bounds indexes the accessors
    // unchecked, so that index is checked first.
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, prim) in mesh.primitives.iter().enumerate() {
            let pos = gltf::json::validation::Checked::Valid(gltf::Semantic::Positions);
            if let Some(i) = prim.attributes.get(&pos)
                && i.value() >= root.accessors.len()
            {
                return Err(format!(
                    "meshes[{m}].primitives[{p}]: POSITION names accessor {}, of {} accessors",
                    i.value(),
                    root.accessors.len()
                ));
            }
        }
    }
    let mut errors = Vec::new();
    root.validate(root, gltf::json::Path::new, &mut |path, err| {
        errors.push((path().to_string(), err));
    });
    for (path, err) in errors {
        // Accessor bounds are required for POSITION but often left out, and
        // nothing here needs them (bounds come from the tileset).
        if path.ends_with(".min") || path.ends_with(".max") {
            continue;
        }
        // An accessor without a view is zeros (glTF 2.0 §5.1), or is filled
        // by an extension (KHR_draco_mesh_compression); gltf-json wants one.
        if path.starts_with("accessors[")
            && path.ends_with("].bufferView")
            && matches!(err, gltf::json::validation::Error::Missing)
        {
            continue;
        }
        if path.starts_with("extensionsRequired") {
            let ext = root
                .extensions_required
                .iter()
                .find(|e| path.contains(e.as_str()));
            match ext {
                Some(e) if UNDERSTOOD.contains(&e.as_str()) => continue,
                Some(e) => return Err(format!("requires the extension {e}, not supported yet")),
                None => return Err(format!("{path}: {err}")),
            }
        }
        return Err(format!("{path}: {err}"));
    }
    Ok(())
}

/// The glTF's buffers, and its views compressed with
/// `EXT_meshopt_compression`, decoded (by view index).
struct Buffers {
    data: Vec<Vec<u8>>,
    decoded: HashMap<usize, Vec<u8>>,
}

fn load_buffers(
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
    let mut allowance = super::meshopt::MAX_DECODED;
    for view in doc.views() {
        if let Some(ext) = view.extension_value("EXT_meshopt_compression") {
            let bytes = super::meshopt::decode_view(ext, &data, allowance)?;
            allowance -= bytes.len();
            decoded.insert(view.index(), bytes);
        }
    }
    Ok(Buffers { data, decoded })
}

/// A `data:` URI's bytes, or the bytes of a file or URL beside the content.
fn resolve_uri(uri: &str, ctx: &ContentContext) -> Result<Vec<u8>, String> {
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

    /// `EXT_instance_features`: the feature of each of `count` instances,
    /// per feature id set (an attribute of `EXT_mesh_gpu_instancing`, or
    /// the instance's index).
    fn instance_features(
        &mut self,
        node: &gltf::Node,
        count: usize,
    ) -> Result<Vec<FeatureIds>, String> {
        let Some(ext) = node.extension_value("EXT_instance_features") else {
            return Ok(Vec::new());
        };
        self.out.feature_count += feature_count_of(ext);
        let attributes = node
            .extension_value("EXT_mesh_gpu_instancing")
            .and_then(|e| e.get("attributes"));
        let mut sets = Vec::new();
        for set in feature_sets(ext) {
            let ids = match set.get("attribute").and_then(|a| a.as_u64()) {
                Some(k) => {
                    let name = format!("_FEATURE_ID_{k}");
                    let Some(i) = attributes
                        .and_then(|a| a.get(&name))
                        .and_then(|i| i.as_u64())
                    else {
                        return Err(format!(
                            "EXT_instance_features names {name}, which the instancing does not have"
                        ));
                    };
                    let acc = self
                        .doc
                        .accessors()
                        .nth(i as usize)
                        .ok_or_else(|| format!("instancing accessor {i} does not exist"))?;
                    self.ids_of(&acc, count, &name)?
                }
                None => (0..count as u32).collect(),
            };
            sets.push(feature_set(set, ids));
        }
        Ok(sets)
    }

    /// The glTF's `EXT_structural_metadata` property tables, which feature
    /// id sets name by index.
    fn property_tables(&mut self) -> Result<(), String> {
        let Some(ext) = self.doc.extension_value("EXT_structural_metadata") else {
            return Ok(());
        };
        let schema = match (
            ext.get("schema"),
            ext.get("schemaUri").and_then(|u| u.as_str()),
        ) {
            (Some(s), _) => s.clone(),
            (None, Some(uri)) => {
                let bytes = (self.ctx.resolve)(uri)
                    .map_err(|e| format!("EXT_structural_metadata schemaUri: {e}"))?;
                serde_json::from_slice(&bytes).map_err(|e| {
                    format!(
                        "EXT_structural_metadata schema {}: {e}",
                        cim_core::message::quote(uri)
                    )
                })?
            }
            (None, None) => return Err("EXT_structural_metadata has no schema".into()),
        };
        let views: Vec<gltf::buffer::View> = self.doc.views().collect();
        let buffers = self.buffers;
        let view = |i: usize| -> Result<&[u8], String> {
            let v = views
                .get(i)
                .ok_or_else(|| format!("bufferView {i} does not exist"))?;
            view_bytes(v, buffers)
        };
        let tables = super::structural_metadata::property_tables(
            ext,
            &schema,
            &view,
            &mut self.out.warnings,
        );
        self.out.tables = tables;
        self.check_table_references();
        Ok(())
    }

    /// Feature id sets naming a property table that does not exist name
    /// none (with a warning): their features have no properties.
    fn check_table_references(&mut self) {
        let n = self.out.tables.len() as u32;
        let mut dangling = 0;
        for set in self.out.feature_sets_mut() {
            if set.table.is_some_and(|t| t >= n) {
                set.table = None;
                dangling += 1;
            }
        }
        if dangling > 0 {
            self.out.warnings.push(format!(
                "{dangling} feature id sets name a property table that does not exist (there are {n})"
            ));
        }
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

    /// `KHR_draco_mesh_compression`: the stream's attributes, made what the
    /// primitive's accessors say (normalised integers scaled to 0–1), kept
    /// for the accessor reads that follow.
    fn decode_draco(&mut self, prim: &gltf::Primitive) -> Result<(), String> {
        let Some(ext) = prim.extension_value("KHR_draco_mesh_compression") else {
            return Ok(());
        };
        let view = ext
            .get("bufferView")
            .and_then(|v| v.as_u64())
            .and_then(|v| self.doc.views().nth(v as usize))
            .ok_or("KHR_draco_mesh_compression names no bufferView that exists")?;
        let decoded = super::draco::decode(ext, view_bytes(&view, self.buffers)?)?;
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
    fn floats(&self, acc: &gltf::Accessor) -> Result<(Vec<f32>, usize), String> {
        match self.decoded.get(&acc.index()) {
            Some(v) => Ok(v.clone()),
            None => read_floats(acc, self.buffers),
        }
    }

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

    /// The features of each vertex: each `EXT_mesh_features` feature id
    /// set (an attribute, or the vertex index), else `_BATCHID` (b3dm,
    /// whose batch table is table 0). Feature id textures are not read
    /// yet (a warning).
    fn features(&mut self, prim: &gltf::Primitive, n: usize) -> Result<Vec<FeatureIds>, String> {
        let attribute = |name: &str| {
            prim.attributes()
                .find(|(s, _)| matches!(s, gltf::Semantic::Extras(e) if format!("_{e}") == name))
                .map(|(_, a)| a)
        };
        let Some(ext) = prim.extension_value("EXT_mesh_features") else {
            let Some(acc) = attribute("_BATCHID") else {
                return Ok(Vec::new());
            };
            return Ok(vec![FeatureIds {
                ids: self.ids_of(&acc, n, "_BATCHID")?,
                table: Some(0),
                label: None,
            }]);
        };
        let mut sets = Vec::new();
        for set in feature_sets(ext) {
            let ids = match (
                set.get("attribute").and_then(|a| a.as_u64()),
                set.get("texture"),
            ) {
                (Some(k), _) => {
                    let name = format!("_FEATURE_ID_{k}");
                    let acc = attribute(&name).ok_or_else(|| {
                        format!("EXT_mesh_features names {name}, which the primitive does not have")
                    })?;
                    self.ids_of(&acc, n, &name)?
                }
                (None, Some(_)) => {
                    self.out
                        .warnings
                        .push("EXT_mesh_features feature id textures are not read yet".into());
                    continue;
                }
                // Neither: the vertex index is the feature id.
                (None, None) => (0..n as u32).collect(),
            };
            sets.push(feature_set(set, ids));
        }
        Ok(sets)
    }

    /// One feature id per element (vertex, instance) from a SCALAR
    /// accessor.
    fn ids_of(&self, acc: &gltf::Accessor, n: usize, name: &str) -> Result<Vec<u32>, String> {
        let (v, comps) = self.floats(acc)?;
        if comps != 1 {
            return Err(format!("{name} is not a SCALAR"));
        }
        per_vertex(v.into_iter().map(|f| f.max(0.0) as u32).collect(), n, name)
    }

    /// The primitive's material, its base colour texture's UV set and the
    /// `KHR_texture_transform` of that texture.
    fn material(
        &mut self,
        m: &gltf::Material,
    ) -> Result<(ContentMaterial, u32, Option<Mat3>), String> {
        let pbr = m.pbr_metallic_roughness();
        let mut out = ContentMaterial {
            base_color: pbr.base_color_factor(),
            texture: None,
            unlit: m.unlit(),
            double_sided: m.double_sided(),
            alpha: match m.alpha_mode() {
                gltf::material::AlphaMode::Opaque => Alpha::Opaque,
                gltf::material::AlphaMode::Mask => Alpha::Mask(m.alpha_cutoff().unwrap_or(0.5)),
                gltf::material::AlphaMode::Blend => Alpha::Blend,
            },
        };
        let mut uv_set = 0;
        let mut transform = None;
        if let Some(info) = pbr.base_color_texture() {
            uv_set = info.tex_coord();
            if let Some(t) = info.texture_transform() {
                uv_set = t.tex_coord().unwrap_or(uv_set);
                let (s, r, o) = (Vec2::from(t.scale()), t.rotation(), Vec2::from(t.offset()));
                // KHR_texture_transform: T · R · S, rotation clockwise.
                transform = Some(
                    Mat3::from_translation(o)
                        * Mat3::from_cols_array(&[
                            r.cos(),
                            -r.sin(),
                            0.0,
                            r.sin(),
                            r.cos(),
                            0.0,
                            0.0,
                            0.0,
                            1.0,
                        ])
                        * Mat3::from_scale(s),
                );
            }
            out.texture = self.image(&info.texture())?;
        } else if let Some(t) = technique_texture(m).and_then(|i| self.doc.textures().nth(i)) {
            out.texture = self.image(&t)?;
            // Technique textures of that era are cut-outs (billboards).
            out.alpha = Alpha::Mask(0.5);
        }
        Ok((out, uv_set, transform))
    }

    /// A texture's image, decoded once per image; `None` (with a warning)
    /// when it cannot be decoded, so the mesh is drawn in its base colour.
    fn image(&mut self, tex: &gltf::Texture) -> Result<Option<Arc<TextureImage>>, String> {
        let img = tex.source();
        if let Some(done) = self.images.get(&img.index()) {
            return Ok(done.clone());
        }
        // Read from the JSON: the crate's `Image::source` unwraps a missing
        // mimeType or uri.
        let json = &self.doc.as_json().images[img.index()];
        let bytes = match (&json.buffer_view, &json.uri) {
            (Some(v), _) => {
                let view = self
                    .doc
                    .views()
                    .nth(v.value())
                    .ok_or("an image's buffer view is missing")?;
                view_bytes(&view, self.buffers)?.to_vec()
            }
            (None, Some(uri)) => resolve_uri(uri, self.ctx)?,
            (None, None) => {
                return Err(format!(
                    "image {} has neither a uri nor a buffer view",
                    img.index()
                ));
            }
        };
        let decoded = match decode_image(&bytes) {
            Ok(t) => Some(Arc::new(t)),
            Err(e) => {
                self.out
                    .warnings
                    .push(format!("image {}: {e}; drawn without it", img.index()));
                None
            }
        };
        self.images.insert(img.index(), decoded.clone());
        Ok(decoded)
    }
}

/// The first texture a `KHR_techniques_webgl` material's values name.
fn technique_texture(m: &gltf::Material) -> Option<usize> {
    let values = m.extension_value("KHR_techniques_webgl")?.get("values")?;
    values
        .as_object()?
        .values()
        .find_map(|v| v.get("index").and_then(|i| i.as_u64()))
        .map(|i| i as usize)
}

fn decode_image(bytes: &[u8]) -> Result<TextureImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TEXTURE_SIDE);
    limits.max_image_height = Some(MAX_TEXTURE_SIDE);
    reader.limits(limits);
    let rgba = reader.decode().map_err(|e| e.to_string())?.to_rgba8();
    Ok(TextureImage {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// The feature id sets of an `EXT_mesh_features` / `EXT_instance_features`
/// object.
fn feature_sets(ext: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    ext.get("featureIds")
        .and_then(|ids| ids.as_array())
        .into_iter()
        .flatten()
}

/// A feature id set's ids, with its `nullFeatureId` made [`NO_FEATURE`],
/// its property table and label.
fn feature_set(set: &serde_json::Value, mut ids: Vec<u32>) -> FeatureIds {
    if let Some(null) = set.get("nullFeatureId").and_then(|v| v.as_u64()) {
        for id in &mut ids {
            if *id as u64 == null {
                *id = NO_FEATURE;
            }
        }
    }
    FeatureIds {
        ids,
        // No content has a million tables: a larger index names none.
        table: set
            .get("propertyTable")
            .and_then(|t| t.as_u64())
            .filter(|&t| t < 1 << 20)
            .map(|t| t as u32),
        label: set
            .get("label")
            .and_then(|l| l.as_str())
            .map(|l| cim_core::message::clip(l, 100).into_owned()),
    }
}

/// `EXT_mesh_features` / `EXT_instance_features`: the first feature id
/// set's `featureCount`.
fn feature_count_of(ext: &serde_json::Value) -> usize {
    ext.get("featureIds")
        .and_then(|ids| ids.get(0))
        .and_then(|id| id.get("featureCount"))
        .and_then(|c| c.as_u64())
        .map_or(0, |c| c as usize)
}

fn dvec3(v: &[f32]) -> DVec3 {
    DVec3::new(v[0] as f64, v[1] as f64, v[2] as f64)
}

fn per_vertex<T>(v: Vec<T>, n: usize, what: &str) -> Result<Vec<T>, String> {
    if v.len() != n {
        return Err(format!("{what} has {} values for {n} vertices", v.len()));
    }
    Ok(v)
}

/// VEC3 values (of accessor `index`, for messages), checked finite.
fn vec3s((v, comps): (Vec<f32>, usize), index: usize) -> Result<Vec<[f32; 3]>, String> {
    if comps != 3 {
        return Err(format!("accessor {index} is not a VEC3"));
    }
    let out: Vec<[f32; 3]> = v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    if out.iter().flatten().any(|x| !x.is_finite()) {
        return Err(format!("accessor {index} holds non-finite values"));
    }
    Ok(out)
}

fn colors((v, comps): (Vec<f32>, usize)) -> Result<Vec<[u8; 4]>, String> {
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
fn view_bytes<'b>(view: &gltf::buffer::View, buffers: &'b Buffers) -> Result<&'b [u8], String> {
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
fn read_floats(acc: &gltf::Accessor, buffers: &Buffers) -> Result<(Vec<f32>, usize), String> {
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

fn read_indices(acc: &gltf::Accessor, buffers: &Buffers) -> Result<Vec<u32>, String> {
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

fn strip_to_list(ix: &[u32]) -> Vec<u32> {
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

fn fan_to_list(ix: &[u32]) -> Vec<u32> {
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
    fn y_up_becomes_z_up() {
        let p = Y_UP_TO_Z_UP.transform_point3(DVec3::new(1.0, 2.0, 3.0));
        assert_eq!(p, DVec3::new(1.0, -3.0, 2.0));
    }

    #[test]
    fn normalised_components_follow_gltf() {
        assert_eq!(component(DataType::U8, &[255], true), 1.0);
        assert_eq!(component(DataType::I16, &[0x01, 0x80], true), -1.0);
        assert_eq!(component(DataType::U16, &[0x10, 0x00], false), 16.0);
    }
}
