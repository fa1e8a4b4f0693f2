//! Point layers drawn as screen-space icons (`shaders/point_icon.wgsl`):
//! a disc of fixed pixel size standing on each point. Each icon looks its
//! feature up in the layer's style buffer (`render::feature_style`), as
//! lines and areas do: its colour (thematic class or the layer's), hidden
//! by a filter, highlighted when selected, in the alert colour when an
//! analysis finds it affected (a burst's cut-off nodes). Icons are meshes
//! like everything else, so they render off-screen (snapshots) too.

use crate::render::point_cloud::ATTRIBUTE_FEATURE;
use bevy::asset::{RenderAssetUsages, load_internal_asset, uuid_handle};
use bevy::mesh::{Indices, MeshVertexBufferLayoutRef, PrimitiveTopology, VertexAttributeValues};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, RenderPipelineDescriptor, SpecializedMeshPipelineError,
};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;
use cim_core::scene::georef::Anchor;
use glam::DVec3;

const SHADER: Handle<Shader> = uuid_handle!("5b0e7f2a-93c4-4d61-b7a8-0c4f6e21d9a3");

/// Icon diameter in pixels.
pub const ICON_PX: f32 = 14.0;

pub struct PointIconsPlugin;

impl Plugin for PointIconsPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(
            app,
            SHADER,
            "../../../shaders/point_icon.wgsl",
            Shader::from_wgsl
        );
        app.add_plugins(MaterialPlugin::<IconMaterial>::default())
            .add_systems(Update, sync_icon_opacity);
    }
}

/// Follows each point layer's opacity (the layer panel's slider, the
/// document's `opacity`) when the store changes.
fn sync_icon_opacity(
    store: Res<crate::scene::store::SceneStore>,
    mut last: Local<Option<u64>>,
    icons: Query<(
        &crate::render::layers::LayerEntity,
        &MeshMaterial3d<IconMaterial>,
    )>,
    mut materials: ResMut<Assets<IconMaterial>>,
) {
    if *last == Some(store.revision) {
        return;
    }
    *last = Some(store.revision);
    for (layer, handle) in &icons {
        let Some(slot) = store.slot(layer.0) else {
            continue;
        };
        let want = slot.reference.opacity.clamp(0.0, 1.0);
        // Only a real change touches the asset (it re-prepares the material).
        if materials
            .get(&handle.0)
            .is_some_and(|m| m.opacity() != want)
            && let Some(mut m) = materials.get_mut(&handle.0)
        {
            m.params.y = want;
        }
    }
}

/// The icon material: one per point layer.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct IconMaterial {
    /// x: diameter in pixels; y: opacity (the layer's).
    #[uniform(0)]
    pub params: Vec4,
    /// The layer's feature styles.
    #[storage(1, read_only)]
    pub styles: Handle<ShaderBuffer>,
}

impl IconMaterial {
    pub fn new(diameter_px: f32, opacity: f32, styles: Handle<ShaderBuffer>) -> IconMaterial {
        IconMaterial {
            params: Vec4::new(diameter_px, opacity.clamp(0.0, 1.0), 0.0, 0.0),
            styles,
        }
    }

    pub fn opacity(&self) -> f32 {
        self.params.y
    }
}

impl Material for IconMaterial {
    fn alpha_mode(&self) -> AlphaMode {
        if self.opacity() < 1.0 {
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

    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        layout: &MeshVertexBufferLayoutRef,
        _key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let vertex_layout = layout.0.get_layout(&[
            Mesh::ATTRIBUTE_POSITION.at_shader_location(0),
            Mesh::ATTRIBUTE_UV_0.at_shader_location(1),
            ATTRIBUTE_FEATURE.at_shader_location(2),
        ])?;
        descriptor.vertex.buffers = vec![vertex_layout];
        // The quad is built in screen space; its winding says nothing.
        descriptor.primitive.cull_mode = None;
        Ok(())
    }
}

/// One quad per point (four vertices at the point, corners in UV_0),
/// relative to `anchor`, each with its feature's index in the layer.
pub fn icon_mesh(anchor: Anchor, points: impl IntoIterator<Item = (DVec3, u32)>) -> Mesh {
    let (mut positions, mut corners, mut features, mut indices) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (p, feature) in points {
        let local = anchor.local(p).to_array();
        let first = positions.len() as u32;
        for corner in [[-1.0f32, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]] {
            positions.push(local);
            corners.push(corner);
            features.push(feature);
        }
        indices.extend_from_slice(&[first, first + 1, first + 2, first, first + 2, first + 3]);
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, corners)
    .with_inserted_attribute(ATTRIBUTE_FEATURE, VertexAttributeValues::Uint32(features))
    .with_inserted_indices(Indices::U32(indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_quad_per_point_at_the_point() {
        let anchor = Anchor(DVec3::new(1000.0, 2000.0, 0.0));
        let m = icon_mesh(
            anchor,
            [
                (DVec3::new(1010.0, 2000.0, 5.0), 3),
                (DVec3::new(990.0, 1990.0, 0.0), 7),
            ],
        );
        assert_eq!(m.count_vertices(), 8);
        assert_eq!(m.indices().unwrap().len(), 12);
        let Some(bevy::mesh::VertexAttributeValues::Float32x3(p)) =
            m.attribute(Mesh::ATTRIBUTE_POSITION)
        else {
            panic!("positions")
        };
        // All four corners of a quad sit on its point (in render axes).
        assert!(p[..4].iter().all(|q| *q == p[0]));
        assert_eq!(
            p[0],
            anchor.local(DVec3::new(1010.0, 2000.0, 5.0)).to_array()
        );
        let Some(VertexAttributeValues::Uint32(f)) = m.attribute(ATTRIBUTE_FEATURE) else {
            panic!("features")
        };
        assert_eq!(
            f,
            &[3, 3, 3, 3, 7, 7, 7, 7],
            "each corner knows its feature"
        );
    }
}
