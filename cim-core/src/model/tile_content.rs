//! Decoded content of one streamed tile (a 3D Tiles b3dm/i3dm/pnts/cmpt or
//! glTF, later an OSGB node or an IFC storey): triangle meshes, point
//! clouds and instances in the tile's frame, with a feature id per vertex
//! and the features' properties, ready for the renderer and for picking.

use crate::model::attr::AttrValue;
use glam::DMat4;
use std::sync::Arc;

/// An RGBA8 image (sRGB), decoded from the content's PNG/JPEG.
#[derive(Clone, Debug, PartialEq)]
pub struct TextureImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// How a material's alpha is used (glTF `alphaMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Alpha {
    #[default]
    Opaque,
    /// Drawn where alpha ≥ the cutoff, not at all elsewhere (cut-outs:
    /// leaves, billboards).
    Mask(f32),
    Blend,
}

/// How a mesh is coloured.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentMaterial {
    /// Linear RGBA factor (glTF `baseColorFactor`).
    pub base_color: [f32; 4],
    pub texture: Option<Arc<TextureImage>>,
    /// `KHR_materials_unlit`: photogrammetry is usually unlit.
    pub unlit: bool,
    pub double_sided: bool,
    pub alpha: Alpha,
}

impl Default for ContentMaterial {
    fn default() -> Self {
        ContentMaterial {
            base_color: [1.0; 4],
            texture: None,
            unlit: false,
            double_sided: false,
            alpha: Alpha::Opaque,
        }
    }
}

/// A triangle mesh. Positions are f32 in the mesh's own frame; `transform`
/// (f64) places that frame in the tile's frame (glTF node matrices, the
/// `RTC_CENTER`/`CESIUM_RTC` centre and the y-up → z-up turn).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContentMesh {
    pub transform: DMat4,
    pub positions: Vec<[f32; 3]>,
    /// One per position, or empty.
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    /// sRGB vertex colours, or empty.
    pub colors: Vec<[u8; 4]>,
    /// A triangle list.
    pub indices: Vec<u32>,
    /// The feature each vertex belongs to (`_BATCHID`, `_FEATURE_ID_n`), or
    /// empty.
    pub feature_ids: Vec<u32>,
    pub material: ContentMaterial,
    /// Instance transforms (i3dm, `EXT_mesh_gpu_instancing`), applied before
    /// `transform`; empty: drawn once.
    pub instances: Vec<DMat4>,
}

/// A point cloud (pnts, glTF `POINTS`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointCloud {
    pub transform: DMat4,
    pub positions: Vec<[f32; 3]>,
    pub colors: Vec<[u8; 4]>,
    pub normals: Vec<[f32; 3]>,
    pub feature_ids: Vec<u32>,
}

/// Everything one tile content holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileContent {
    pub meshes: Vec<ContentMesh>,
    pub points: Vec<PointCloud>,
    /// Features the content declares (b3dm/pnts `BATCH_LENGTH`, i3dm
    /// instances, `EXT_mesh_features` feature counts).
    pub feature_count: usize,
    /// Instances drawn (i3dm `INSTANCES_LENGTH`, glTF
    /// `EXT_mesh_gpu_instancing` counts), each counted once however many
    /// meshes it places.
    pub instance_count: usize,
    /// Feature properties by column (batch table, property table):
    /// `(name, one value per feature)`.
    pub properties: Vec<(String, Vec<AttrValue>)>,
    /// What was read but could not be used (an unsupported extension, a
    /// property that is not an array…).
    pub warnings: Vec<String>,
}

impl TileContent {
    /// Triangles, counted once per mesh whatever its instances.
    pub fn triangle_count(&self) -> usize {
        self.meshes.iter().map(|m| m.indices.len() / 3).sum()
    }

    pub fn point_count(&self) -> usize {
        self.points.iter().map(|p| p.positions.len()).sum()
    }

    /// Appends `other` (the inner tiles of a composite).
    pub fn append(&mut self, mut other: TileContent) {
        self.meshes.append(&mut other.meshes);
        self.points.append(&mut other.points);
        self.feature_count += other.feature_count;
        self.instance_count += other.instance_count;
        self.properties.append(&mut other.properties);
        self.warnings.append(&mut other.warnings);
    }
}
