//! Point clouds (3D Tiles pnts, glTF `POINTS`) drawn as round points of a
//! size in pixels (`shaders/point_cloud.wgsl`): GPUs draw points one pixel
//! wide, too thin to read on a 4K wall, so each point is a quad whose
//! corners the vertex shader pushes out in screen space. Each point keeps
//! its feature index and is styled through a style buffer like every other
//! tileset mesh (`feature_style::encode_looks`): hidden points are not
//! drawn, colours multiply.

use bevy::asset::{RenderAssetUsages, load_internal_asset, uuid_handle};
use bevy::mesh::{
    Indices, MeshVertexAttribute, MeshVertexBufferLayoutRef, PrimitiveTopology,
    VertexAttributeValues,
};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, RenderPipelineDescriptor, SpecializedMeshPipelineError, VertexFormat,
};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;

const SHADER: Handle<Shader> = uuid_handle!("c2d7e9a4-5f1b-4e8c-9a36-7b0d4e2f1c85");

/// Point diameter when the style gives none, pixels.
pub const DEFAULT_POINT_PX: f32 = 3.0;
/// Largest point diameter, pixels.
pub const MAX_POINT_PX: f32 = 64.0;

/// The corner of the quad a vertex is pushed to: (±1, ±1, 0, 0).
pub const ATTRIBUTE_CORNER: MeshVertexAttribute =
    MeshVertexAttribute::new("PointCorner", 0x5C1D_0001, VertexFormat::Snorm8x4);
/// The point's sRGB colour.
pub const ATTRIBUTE_POINT_COLOR: MeshVertexAttribute =
    MeshVertexAttribute::new("PointColor", 0x5C1D_0002, VertexFormat::Unorm8x4);
/// The point's feature index (`u32::MAX`: none), into the style buffer.
pub const ATTRIBUTE_FEATURE: MeshVertexAttribute =
    MeshVertexAttribute::new("PointFeature", 0x5C1D_0003, VertexFormat::Uint32);

pub struct PointCloudPlugin;

impl Plugin for PointCloudPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(
            app,
            SHADER,
            "../../../shaders/point_cloud.wgsl",
            Shader::from_wgsl
        );
        app.add_plugins(MaterialPlugin::<PointCloudMaterial>::default());
    }
}

/// The material of one point cloud mesh.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct PointCloudMaterial {
    /// x: diameter in pixels; y: opacity (the layer's).
    #[uniform(0)]
    pub params: Vec4,
    /// The content's colour factor (linear RGBA).
    #[uniform(1)]
    pub base: Vec4,
    /// The looks of the points' features.
    #[storage(2, read_only)]
    pub styles: Handle<ShaderBuffer>,
    /// Some feature is drawn see-through.
    pub translucent: bool,
}

impl PointCloudMaterial {
    pub fn new(styles: Handle<ShaderBuffer>, base: [f32; 4], size_px: f32) -> Self {
        PointCloudMaterial {
            params: Vec4::new(size_px.clamp(1.0, MAX_POINT_PX), 1.0, 0.0, 0.0),
            base: Vec4::from_array(base),
            styles,
            translucent: false,
        }
    }
}

impl Material for PointCloudMaterial {
    fn alpha_mode(&self) -> AlphaMode {
        if self.translucent || self.params.y * self.base.w < 1.0 {
            AlphaMode::Blend
        } else {
            AlphaMode::Opaque
        }
    }

    fn vertex_shader() -> ShaderRef {
        SHADER.into()
    }

    fn fragment_shader() -> ShaderRef {
        SHADER.into()
    }

    // Points cast no shadow (a quad facing the camera would cast a
    // wrong one) and need no depth prepass.
    fn enable_prepass() -> bool {
        false
    }

    fn enable_shadows() -> bool {
        false
    }

    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        layout: &MeshVertexBufferLayoutRef,
        _key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let vertex_layout = layout.0.get_layout(&[
            Mesh::ATTRIBUTE_POSITION.at_shader_location(0),
            ATTRIBUTE_CORNER.at_shader_location(1),
            ATTRIBUTE_POINT_COLOR.at_shader_location(2),
            ATTRIBUTE_FEATURE.at_shader_location(3),
        ])?;
        descriptor.vertex.buffers = vec![vertex_layout];
        // The quad is built in screen space; its winding says nothing.
        descriptor.primitive.cull_mode = None;
        Ok(())
    }
}

/// One quad per point, four vertices at the point. `colors` (sRGB) and
/// `features` are one per point, or empty (white; no feature).
pub fn point_mesh(positions: &[[f32; 3]], colors: &[[u8; 4]], features: &[u32]) -> Mesh {
    let n = positions.len();
    let mut at = Vec::with_capacity(4 * n);
    let mut corners = Vec::with_capacity(4 * n);
    let mut rgba = Vec::with_capacity(4 * n);
    let mut ids = Vec::with_capacity(4 * n);
    let mut indices = Vec::with_capacity(6 * n);
    for (i, p) in positions.iter().enumerate() {
        let first = at.len() as u32;
        let color = colors.get(i).copied().unwrap_or([255; 4]);
        let id = features.get(i).copied().unwrap_or(u32::MAX);
        for corner in [
            [-127i8, -127, 0, 0],
            [127, -127, 0, 0],
            [127, 127, 0, 0],
            [-127, 127, 0, 0],
        ] {
            at.push(*p);
            corners.push(corner);
            rgba.push(color);
            ids.push(id);
        }
        indices.extend_from_slice(&[first, first + 1, first + 2, first, first + 2, first + 3]);
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, at)
    .with_inserted_attribute(ATTRIBUTE_CORNER, VertexAttributeValues::Snorm8x4(corners))
    .with_inserted_attribute(ATTRIBUTE_POINT_COLOR, VertexAttributeValues::Unorm8x4(rgba))
    .with_inserted_attribute(ATTRIBUTE_FEATURE, VertexAttributeValues::Uint32(ids))
    .with_inserted_indices(Indices::U32(indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_quad_per_point_with_its_colour_and_feature() {
        let m = point_mesh(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], &[[9, 8, 7, 255]], &[]);
        assert_eq!(m.count_vertices(), 8);
        assert_eq!(m.indices().map(|i| i.len()), Some(12));
        let Some(VertexAttributeValues::Unorm8x4(c)) = m.attribute(ATTRIBUTE_POINT_COLOR) else {
            panic!("colours")
        };
        assert_eq!((c[3], c[4]), ([9, 8, 7, 255], [255; 4]), "missing: white");
        let Some(VertexAttributeValues::Uint32(f)) = m.attribute(ATTRIBUTE_FEATURE) else {
            panic!("features")
        };
        assert!(f.iter().all(|&f| f == u32::MAX), "no feature ids: none");
        let Some(VertexAttributeValues::Float32x3(p)) = m.attribute(Mesh::ATTRIBUTE_POSITION)
        else {
            panic!("positions")
        };
        assert!(p[4..].iter().all(|q| *q == [4.0, 5.0, 6.0]));
    }
}
