//! Terrain from a DEM as chunked level-of-detail tiles (Ulrich 2002, see
//! `cim_core::terrain_lod`): every frame the camera selects a cut of the
//! layer's quadtree by screen-space error; tiles entering the cut are meshed
//! and spawned, tiles leaving it despawned. A 10 000² DEM thus draws a few
//! hundred thousand vertices instead of 10⁸. Colour: the hypsometric tint
//! (or the style's colour ramp over the DEM's range), optionally multiplied
//! by a baked hillshade (north-west light, 45°, as GIS hillshades are).

use crate::layers::{LayerEntity, LayerMaterials};
use crate::origin::GeoAnchor;
use crate::scene_state::{SceneStore, SlotState};
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use cim_core::color_ramp::ColorRamp;
use cim_core::georef::RenderFrame;
use cim_core::layer::LayerKind;
use cim_core::terrain_lod::{NodeId, TerrainMesh};
use cim_core::terrain_shading;
use glam::DVec3;
use std::collections::HashMap;

/// Largest screen-space error of the surface, pixels.
pub const MAX_SCREEN_ERROR_PX: f64 = 2.0;

/// One terrain layer on screen: its tint (fixed until the layer is
/// restyled, which respawns it) and its tiles.
pub struct LayerTiles {
    tint: Tint,
    shown: HashMap<NodeId, Entity>,
}

/// The terrain layers on screen, by slot id.
#[derive(Resource, Default)]
pub struct TerrainTiles(pub HashMap<u64, LayerTiles>);

pub struct TerrainPlugin;

impl Plugin for TerrainPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TerrainTiles>().add_systems(
            Update,
            update_terrain_lod.after(crate::layers::spawn_ready_layers),
        );
    }
}

/// How a terrain layer is coloured.
struct Tint {
    ramp: Option<(ColorRamp, f32, f32)>,
    hillshade: bool,
}

impl Tint {
    /// The style's ramp over the DEM's range; without one, the fixed
    /// lowland tint suits coastal cities (as the demo), and the hypsometric
    /// `terrain` ramp anything with more relief.
    fn for_layer(style: &cim_core::scene::Style, grid: &cim_core::grid::Grid) -> Tint {
        let range = grid.min_max();
        let ramp_name = style
            .theme
            .as_ref()
            .and_then(|t| t.ramp.clone())
            .or_else(|| (range.is_some_and(|r| r.1 > 150.0)).then(|| "terrain".to_owned()));
        Tint {
            ramp: ramp_name.and_then(|name| {
                let r = ColorRamp::by_name(&name)?;
                let (lo, hi) = range?;
                Some((r, lo, hi))
            }),
            hillshade: style.hillshade.unwrap_or(false),
        }
    }

    fn color(&self, h: f32, n: DVec3) -> [f32; 4] {
        let mut c = match &self.ramp {
            Some((r, lo, hi)) => {
                let s = r.sample(((h - lo) / (hi - lo).max(1e-6)).clamp(0.0, 1.0));
                let l = Color::srgba_u8(s[0], s[1], s[2], 255).to_linear();
                [l.red, l.green, l.blue, 1.0]
            }
            None => crate::mesh::terrain_color(h),
        };
        if self.hillshade {
            // GIS hillshade's usual light: azimuth 315°, altitude 45°.
            let sun = terrain_shading::sun_direction(315.0, 45.0);
            let k =
                terrain_shading::shade_factor(terrain_shading::shade_of_normal(n.to_array(), sun));
            for v in &mut c[..3] {
                *v *= k;
            }
        }
        c
    }
}

/// A Bevy mesh from a terrain tile (scene axes → render axes).
fn tile_mesh(m: TerrainMesh, tint: &Tint) -> Mesh {
    let anchor_z = m.anchor.z as f32;
    let colors: Vec<[f32; 4]> = m
        .positions
        .iter()
        .zip(&m.normals)
        .map(|(p, n)| {
            tint.color(
                p[2] + anchor_z,
                DVec3::new(n[0] as f64, n[1] as f64, n[2] as f64),
            )
        })
        .collect();
    let to_render = |v: &[f32; 3]| {
        RenderFrame::dir_to_render(DVec3::new(v[0] as f64, v[1] as f64, v[2] as f64))
            .as_vec3()
            .to_array()
    };
    let positions: Vec<[f32; 3]> = m.positions.iter().map(to_render).collect();
    let normals: Vec<[f32; 3]> = m.normals.iter().map(to_render).collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, m.uvs)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
    .with_inserted_indices(Indices::U32(m.indices))
}

#[allow(clippy::too_many_arguments)]
fn update_terrain_lod(
    mut commands: Commands,
    store: Res<SceneStore>,
    rig: Res<crate::camera::CameraRig>,
    cameras: Query<&Camera, With<crate::camera::MainCamera>>,
    layer_materials: Res<LayerMaterials>,
    mut tiles: ResMut<TerrainTiles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut cut: Local<Vec<NodeId>>,
) {
    let viewport_h = cameras
        .iter()
        .find_map(|c| c.logical_viewport_size())
        .map_or(1080.0, |s| s.y as f64);
    // Forget layers that went away (their entities are despawned with
    // the layer).
    tiles
        .0
        .retain(|id, _| store.slot(*id).is_some_and(|s| s.spawned));
    for slot in &store.layers {
        if slot.state != SlotState::Ready || !slot.spawned || slot.kind() != LayerKind::Terrain {
            continue;
        }
        let (Some(tree), Some(layer)) = (&slot.terrain, &slot.layer) else {
            continue;
        };
        let Some(grid) = layer.grid() else { continue };
        let Some(material) = layer_materials.0.get(&slot.id).and_then(|m| m.first()) else {
            continue;
        };
        tree.select(
            rig.pose.eye,
            viewport_h,
            rig.fov_y,
            MAX_SCREEN_ERROR_PX,
            &mut cut,
        );
        let on_screen = tiles.0.entry(slot.id).or_insert_with(|| LayerTiles {
            tint: Tint::for_layer(&slot.reference.style, grid),
            shown: HashMap::new(),
        });
        let wanted: std::collections::HashSet<NodeId> = cut.iter().copied().collect();
        on_screen.shown.retain(|id, e| {
            let keep = wanted.contains(id);
            if !keep {
                commands.entity(*e).despawn();
            }
            keep
        });
        let visibility = if slot.reference.visible {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        for id in cut.iter().copied() {
            if on_screen.shown.contains_key(&id) {
                continue;
            }
            let m = tree.node_mesh(grid, id);
            if m.indices.is_empty() {
                continue;
            }
            let anchor = m.anchor;
            let e = commands
                .spawn((
                    Mesh3d(meshes.add(tile_mesh(m, &on_screen.tint))),
                    MeshMaterial3d(material.0.clone()),
                    Transform::default(),
                    visibility,
                    GeoAnchor(anchor),
                    LayerEntity(slot.id),
                ))
                .id();
            on_screen.shown.insert(id, e);
        }
    }
}
