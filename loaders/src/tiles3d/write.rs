//! Writing 3D Tiles 1.1: tile content as binary glTF 2.0 (`.glb`) and the
//! tree as `tileset.json` — what `cim convert … --to 3dtiles` writes.
//!
//! Each mesh is a glTF node under a root node that turns the content's
//! z-up frame into glTF's y-up one (3D Tiles turns it back,
//! `asset.gltfUpAxis` being Y by default). Positions, normals and texture
//! coordinates are `f32`, colours normalised `u8`, indices `u32`; textures
//! kept as the JPEG or PNG files they were read as (others written as
//! PNG); textured meshes are `KHR_materials_unlit`, as photogrammetry is.
//! Features keep their ids per vertex (`EXT_mesh_features`) and their
//! properties (`EXT_structural_metadata`, [`super::write_features`]).
//! The result passes the Khronos glTF validator.

use cim_core::lod::tileset::{BoundingVolume, TileId, TileTree};
use cim_core::model::tile_content::{
    Alpha, ContentMesh, EncodedImage, NO_FEATURE, PropertyTable, TextureImage, TileContent,
};
use glam::DMat4;
use serde_json::{Value, json};
use std::sync::Arc;

/// glTF component types and targets.
const FLOAT: u32 = 5126;
const UNSIGNED_SHORT: u32 = 5123;
const UNSIGNED_INT: u32 = 5125;
const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;

/// Where a kept image file goes: `Some(uri)` (relative to the `.glb`)
/// when it is written beside the `.glb`, `None` to embed it.
pub type ImageSink<'a> = dyn FnMut(&EncodedImage) -> Result<Option<String>, String> + 'a;

/// The glTF being assembled: the JSON arrays and the one binary buffer.
struct Gltf<'a> {
    sink: &'a mut ImageSink<'a>,
    bin: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
    images: Vec<Value>,
    textures: Vec<Value>,
    materials: Vec<Value>,
    meshes: Vec<Value>,
    nodes: Vec<Value>,
    /// Images written, by the address of their decoded or kept image.
    image_ids: Vec<(*const TextureImage, usize)>,
    /// `EXT_structural_metadata`, when the content has properties.
    metadata: Option<Value>,
    /// The output index of each of the content's property tables.
    tables: Vec<Option<usize>>,
}

impl<'a> Gltf<'a> {
    fn new(sink: &'a mut ImageSink<'a>) -> Gltf<'a> {
        Gltf {
            sink,
            bin: Vec::new(),
            views: Vec::new(),
            accessors: Vec::new(),
            images: Vec::new(),
            textures: Vec::new(),
            materials: Vec::new(),
            meshes: Vec::new(),
            nodes: Vec::new(),
            image_ids: Vec::new(),
            metadata: None,
            tables: Vec::new(),
        }
    }

    /// Appends `bytes` as a buffer view (4-byte aligned).
    fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        self.view_aligned(bytes, target, 4)
    }

    /// Appends `bytes` as a buffer view starting at a multiple of `align`.
    fn view_aligned(&mut self, bytes: &[u8], target: Option<u32>, align: usize) -> usize {
        while !self.bin.len().is_multiple_of(align) {
            self.bin.push(0);
        }
        let mut v = json!({"buffer": 0, "byteOffset": self.bin.len(), "byteLength": bytes.len()});
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.bin.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    fn accessor(&mut self, view: usize, component: u32, count: usize, ty: &str) -> usize {
        self.accessors.push(json!({
            "bufferView": view, "componentType": component, "count": count, "type": ty
        }));
        self.accessors.len() - 1
    }

    fn floats<const N: usize>(&mut self, values: &[[f32; N]], ty: &str) -> usize {
        let bytes: Vec<u8> = values
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let view = self.view(&bytes, Some(ARRAY_BUFFER));
        self.accessor(view, FLOAT, values.len(), ty)
    }

    /// The texture of `image` (written once however many meshes use it),
    /// clamped at its edges as the viewer draws it (photogrammetry
    /// atlases).
    fn texture(&mut self, image: &Arc<TextureImage>) -> Result<usize, String> {
        let key = Arc::as_ptr(image);
        let index = match self.image_ids.iter().find(|(k, _)| *k == key) {
            Some((_, i)) => *i,
            None => {
                let outside = match &image.encoded {
                    Some(e) => (self.sink)(e)?,
                    None => None,
                };
                if let Some(uri) = outside {
                    self.images.push(json!({ "uri": uri }));
                } else {
                    let (mime, bytes) = match &image.encoded {
                        Some(e) => (e.mime, e.bytes.as_slice().to_vec()),
                        None => ("image/png", png(image)?),
                    };
                    let view = self.view(&bytes, None);
                    self.images
                        .push(json!({"bufferView": view, "mimeType": mime}));
                }
                let i = self.images.len() - 1;
                self.image_ids.push((key, i));
                i
            }
        };
        self.textures.push(json!({"source": index, "sampler": 0}));
        Ok(self.textures.len() - 1)
    }

    fn mesh(&mut self, m: &ContentMesh) -> Result<(), String> {
        if m.positions.is_empty() || m.indices.is_empty() {
            return Ok(());
        }
        let position = self.floats(&m.positions, "VEC3");
        let (lo, hi) = bounds(&m.positions);
        self.accessors[position]["min"] = json!(lo);
        self.accessors[position]["max"] = json!(hi);
        let mut attributes = json!({"POSITION": position});
        if m.normals.len() == m.positions.len() {
            let unit: Vec<[f32; 3]> = m.normals.iter().map(|&n| unit(n)).collect();
            attributes["NORMAL"] = json!(self.floats(&unit, "VEC3"));
        }
        let textured = m.material.texture.is_some() && m.uvs.len() == m.positions.len();
        if textured {
            attributes["TEXCOORD_0"] = json!(self.floats(&m.uvs, "VEC2"));
        }
        if m.colors.len() == m.positions.len() {
            // glTF vertex colours are linear: 16 bits keep every 8-bit sRGB
            // value apart.
            let bytes: Vec<u8> = m
                .colors
                .iter()
                .flat_map(|&c| linear16(c))
                .flat_map(u16::to_le_bytes)
                .collect();
            let view = self.view(&bytes, Some(ARRAY_BUFFER));
            let a = self.accessor(view, UNSIGNED_SHORT, m.colors.len(), "VEC4");
            self.accessors[a]["normalized"] = json!(true);
            attributes["COLOR_0"] = json!(a);
        }
        let feature_ids = self.feature_ids(m, &mut attributes);
        let bytes: Vec<u8> = m.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
        let view = self.view(&bytes, Some(ELEMENT_ARRAY_BUFFER));
        let indices = self.accessor(view, UNSIGNED_INT, m.indices.len(), "SCALAR");
        let mat = &m.material;
        let mut pbr = json!({
            "baseColorFactor": mat.base_color.map(|c| c.clamp(0.0, 1.0)),
            "metallicFactor": 0.0,
            "roughnessFactor": 1.0
        });
        let mut material = json!({"doubleSided": mat.double_sided});
        match mat.alpha {
            Alpha::Opaque => {}
            Alpha::Blend => material["alphaMode"] = json!("BLEND"),
            Alpha::Mask(cutoff) => {
                material["alphaMode"] = json!("MASK");
                material["alphaCutoff"] = json!(cutoff);
            }
        }
        if let (true, Some(image)) = (textured, &mat.texture) {
            pbr["baseColorTexture"] = json!({"index": self.texture(image)?});
        }
        if mat.unlit {
            material["extensions"] = json!({"KHR_materials_unlit": {}});
        }
        material["pbrMetallicRoughness"] = pbr;
        self.materials.push(material);
        let mut primitive = json!({
            "attributes": attributes, "indices": indices, "material": self.materials.len() - 1, "mode": 4
        });
        if !feature_ids.is_empty() {
            primitive["extensions"] = json!({"EXT_mesh_features": {"featureIds": feature_ids}});
        }
        self.meshes.push(json!({ "primitives": [primitive] }));
        let mut node = json!({"mesh": self.meshes.len() - 1});
        if m.transform != DMat4::IDENTITY {
            node["matrix"] = json!(m.transform.to_cols_array());
        }
        self.nodes.push(node);
        Ok(())
    }

    /// The content's property tables as `EXT_structural_metadata`.
    fn property_tables(&mut self, tables: &[PropertyTable]) {
        // A bufferView may not be empty: a column of empty strings keeps
        // one byte its offsets do not reach.
        let (ext, written) = super::write_features::structural_metadata(tables, &mut |bytes| {
            self.view_aligned(if bytes.is_empty() { &[0] } else { bytes }, None, 8)
        });
        self.metadata = ext;
        self.tables = written;
    }

    /// Each feature id set of `m` as a `_FEATURE_ID_n` attribute (float:
    /// exact to 2²⁴, and vertex attributes may not be 32-bit integers);
    /// their `EXT_mesh_features` entries.
    fn feature_ids(&mut self, m: &ContentMesh, attributes: &mut Value) -> Vec<Value> {
        let mut out = Vec::new();
        let sets = m
            .features
            .iter()
            .filter(|f| f.ids.len() == m.positions.len());
        for set in sets {
            let real = || set.ids.iter().copied().filter(|&i| i != NO_FEATURE);
            let none = real().max().map_or(0, |m| m + 1);
            let values: Vec<[f32; 1]> = set
                .ids
                .iter()
                .map(|&i| [if i == NO_FEATURE { none } else { i } as f32])
                .collect();
            let name = format!("_FEATURE_ID_{}", out.len());
            attributes[&name] = json!(self.floats(&values, "SCALAR"));
            let count = real().collect::<std::collections::HashSet<u32>>().len();
            let mut entry = json!({"featureCount": count.max(1), "attribute": out.len()});
            if real().count() < set.ids.len() {
                entry["nullFeatureId"] = json!(none);
            }
            if let Some(t) = set.table.and_then(|t| *self.tables.get(t as usize)?) {
                entry["propertyTable"] = json!(t);
            }
            if let Some(label) = &set.label {
                let label = super::write_features::identifier(label, &mut Default::default());
                entry["label"] = json!(label);
            }
            out.push(entry);
        }
        out
    }

    /// The GLB container: header, JSON chunk, binary chunk.
    fn glb(mut self) -> Vec<u8> {
        let children: Vec<usize> = (1..=self.nodes.len()).collect();
        // z-up → y-up: (x, y, z) ↦ (x, z, −y).
        let mut nodes = vec![json!({
            "matrix": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            "children": children
        })];
        nodes.append(&mut self.nodes);
        let unlit = self.materials.iter().any(|m| m.get("extensions").is_some());
        let features = self
            .meshes
            .iter()
            .any(|m| m["primitives"][0].get("extensions").is_some());
        let mut doc = json!({
            "asset": {"version": "2.0", "generator": "CIM Studio"},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": nodes,
        });
        for (key, v) in [
            ("meshes", self.meshes),
            ("materials", self.materials),
            ("accessors", self.accessors),
            ("bufferViews", self.views),
            ("images", self.images),
            ("textures", self.textures),
        ] {
            if !v.is_empty() {
                doc[key] = Value::Array(v);
            }
        }
        if doc.get("textures").is_some() {
            doc["samplers"] = json!([
                {"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}
            ]);
        }
        let mut used = Vec::new();
        if unlit {
            used.push("KHR_materials_unlit");
        }
        if features {
            used.push("EXT_mesh_features");
        }
        if let Some(ext) = self.metadata.take() {
            doc["extensions"] = json!({ "EXT_structural_metadata": ext });
            used.push("EXT_structural_metadata");
        }
        if !used.is_empty() {
            doc["extensionsUsed"] = json!(used);
        }
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
        if !self.bin.is_empty() {
            doc["buffers"] = json!([{"byteLength": self.bin.len()}]);
        }
        let mut text = serde_json::to_vec(&doc).expect("JSON");
        while !text.len().is_multiple_of(4) {
            text.push(b' ');
        }
        let chunks = 8
            + text.len()
            + if self.bin.is_empty() {
                0
            } else {
                8 + self.bin.len()
            };
        let mut out = Vec::with_capacity(12 + chunks);
        out.extend_from_slice(b"glTF");
        out.extend(2u32.to_le_bytes());
        out.extend(((12 + chunks) as u32).to_le_bytes());
        out.extend((text.len() as u32).to_le_bytes());
        out.extend_from_slice(b"JSON");
        out.extend(text);
        if !self.bin.is_empty() {
            out.extend((self.bin.len() as u32).to_le_bytes());
            out.extend_from_slice(b"BIN\0");
            out.extend(self.bin);
        }
        out
    }
}

/// An sRGB colour (alpha linear already) as normalised linear `u16`s.
fn linear16(c: [u8; 4]) -> [u16; 4] {
    let linear = |v: u8| {
        let x = f64::from(v) / 255.0;
        let l = if x <= 0.04045 {
            x / 12.92
        } else {
            ((x + 0.055) / 1.055).powf(2.4)
        };
        (l * 65535.0).round() as u16
    };
    [
        linear(c[0]),
        linear(c[1]),
        linear(c[2]),
        u16::from(c[3]) * 257,
    ]
}

/// A normal of unit length (glTF requires it); a zero one points up.
fn unit(n: [f32; 3]) -> [f32; 3] {
    let l = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if l > 1e-12 && l.is_finite() {
        n.map(|c| c / l)
    } else {
        [0.0, 0.0, 1.0]
    }
}

fn bounds(points: &[[f32; 3]]) -> ([f32; 3], [f32; 3]) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (lo, hi)
}

/// A decoded image as PNG.
fn png(image: &TextureImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let img = image::RgbaImage::from_raw(image.width, image.height, image.rgba.clone())
        .ok_or("the image's pixels do not fit its size")?;
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// The content's meshes as a GLB, images embedded (points and instances
/// are not written: OSGB has none).
pub fn glb(content: &TileContent) -> Result<Vec<u8>, String> {
    glb_with(content, &mut |_| Ok(None))
}

/// [`glb`], each kept image file offered to `sink` first: one it writes
/// beside the `.glb` (to share it among tiles) is referred to by URI.
pub fn glb_with<'a>(content: &TileContent, sink: &'a mut ImageSink<'a>) -> Result<Vec<u8>, String> {
    let mut g = Gltf::new(sink);
    g.property_tables(&content.tables);
    for m in &content.meshes {
        g.mesh(m)?;
    }
    Ok(g.glb())
}

/// `tileset.json` for `tree`, each tile's content at `uri(tile)` (none:
/// no content). Tile frames are the tree's; the root's `world` becomes the
/// root's `transform`, which places the whole tileset.
pub fn tileset_json(tree: &TileTree, uri: impl Fn(TileId) -> Option<String>) -> Value {
    let root_world = tree.tile(0).world;
    let inverse = root_world.inverse();
    let mut tiles: Vec<Value> = Vec::with_capacity(tree.len());
    for (id, t) in tree.tiles.iter().enumerate() {
        let mut v = json!({
            "boundingVolume": volume(&t.bounds),
            "geometricError": t.geometric_error,
            "refine": t.refine.as_str(),
        });
        if id == 0 {
            if root_world != DMat4::IDENTITY {
                v["transform"] = json!(root_world.to_cols_array());
            }
        } else if t.world != root_world {
            v["transform"] = json!((inverse * t.world).to_cols_array());
        }
        if let Some(u) = uri(id as TileId) {
            v["content"] = json!({"uri": u});
        }
        tiles.push(v);
    }
    // Children after parents in the arena: attach from the last up.
    for id in (1..tree.len()).rev() {
        let parent = tree.tiles[id].parent.unwrap_or(0) as usize;
        let child = std::mem::take(&mut tiles[id]);
        let list = tiles[parent]
            .as_object_mut()
            .expect("a tile")
            .entry("children")
            .or_insert_with(|| json!([]));
        list.as_array_mut().expect("children").insert(0, child);
    }
    let root = std::mem::take(&mut tiles[0]);
    json!({
        "asset": {"version": "1.1", "generator": "CIM Studio"},
        "geometricError": tree.tile(0).geometric_error,
        "root": root,
    })
}

/// A bounding volume as 3D Tiles writes it.
fn volume(b: &BoundingVolume) -> Value {
    match *b {
        BoundingVolume::Box { center, half_axes } => {
            let mut v = center.to_array().to_vec();
            for a in half_axes {
                v.extend(a.to_array());
            }
            json!({ "box": v })
        }
        BoundingVolume::Sphere { center, radius } => {
            json!({"sphere": [center.x, center.y, center.z, radius]})
        }
        BoundingVolume::Region(r) => json!({ "region": r }),
    }
}
