//! Terrain from a DEM as chunked level-of-detail tiles (Ulrich 2002, see
//! `cim_core::terrain_lod`): every frame the camera selects a cut of the
//! layer's quadtree by screen-space error; tiles entering the cut are meshed
//! and spawned, tiles leaving it despawned. A 10 000² DEM thus draws a few
//! hundred thousand vertices instead of 10⁸. Colour: the hypsometric tint
//! (or the style's colour ramp over the DEM's range), optionally multiplied
//! by a baked hillshade (north-west light, 45°, as GIS hillshades are).

use crate::basemap::{DrapeKey, Drapes, TileDrape, drape_size};
use crate::layers::{LayerEntity, LayerMaterials};
use crate::origin::GeoAnchor;
use crate::scene_state::{SceneStore, SlotState};
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use cim_core::color_ramp::ColorRamp;
use cim_core::drape_lod::projection_scale;
use cim_core::geometry::Bbox;
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
    shown: HashMap<NodeId, ShownTile>,
}

/// A tile on screen and, with basemaps, its imagery.
struct ShownTile {
    entity: Entity,
    /// Scene-CRS box of the mesh's surface (what its drape covers).
    bbox: Bbox,
    drape: TileDrape,
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
    /// Imagery gives the colour: vertices carry only the hillshade.
    draped: bool,
}

impl Tint {
    /// The style's ramp over the DEM's range; without one, the fixed
    /// lowland tint suits coastal cities (as the demo), and the hypsometric
    /// `terrain` ramp anything with more relief.
    fn for_layer(
        style: &cim_core::scene::Style,
        grid: &cim_core::grid::Grid,
        draped: bool,
    ) -> Tint {
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
            draped,
        }
    }

    fn color(&self, h: f32, n: DVec3) -> [f32; 4] {
        let mut c = match &self.ramp {
            _ if self.draped => [1.0; 4],
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

/// The scene-CRS box of a tile's vertices (x and y; z is the anchor's).
fn mesh_bbox(m: &TerrainMesh) -> Bbox {
    let mut b = Bbox::EMPTY;
    for p in &m.positions {
        b.extend(m.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0));
    }
    b
}

/// A Bevy mesh from a terrain tile (scene axes → render axes). Draped
/// tiles get UVs over their own box (north-up), to take a drape of it.
fn tile_mesh(mut m: TerrainMesh, tint: &Tint, bbox: &Bbox) -> Mesh {
    if tint.draped {
        let (w, h) = (
            (bbox.max.x - bbox.min.x).max(1e-9),
            (bbox.max.y - bbox.min.y).max(1e-9),
        );
        for (uv, p) in m.uvs.iter_mut().zip(&m.positions) {
            let q = m.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0);
            *uv = [
                ((q.x - bbox.min.x) / w) as f32,
                ((bbox.max.y - q.y) / h) as f32,
            ];
        }
    }
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
    drapes: Res<Drapes>,
    mut layer_materials: ResMut<LayerMaterials>,
    mut tiles: ResMut<TerrainTiles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
    mut cut: Local<Vec<NodeId>>,
) {
    let viewport = cameras
        .iter()
        .find_map(|c| c.logical_viewport_size())
        .map_or(bevy::math::Vec2::new(1920.0, 1080.0), |s| {
            s.max(bevy::math::Vec2::ONE)
        });
    let viewport_h = viewport.y as f64;
    // Tiles wholly outside the view are not drawn. The frustum is a little
    // wider than the view, so tiles at the edges are there before they
    // show and hills just outside still cast their shadows in.
    let frustum = cim_core::lod::Frustum::new(
        rig.pose.eye,
        rig.pose.forward(),
        rig.fov_y * 1.2,
        (viewport.x / viewport.y) as f64 * 1.1,
    );
    // Forget layers that went away (their entities are despawned with
    // the layer).
    tiles
        .0
        .retain(|id, _| store.slot(*id).is_some_and(|s| s.spawned));
    let mut ready: HashMap<u64, Vec<crate::basemap::Drape>> = HashMap::new();
    for d in drapes.take(|owner| owner != crate::basemap::PLANE_OWNER) {
        ready.entry(d.key.owner).or_default().push(d);
    }
    let drape_lod = drapes.active().then_some(&drapes.lod);
    let scale = projection_scale(viewport_h, rig.fov_y);
    for slot in &store.layers {
        if slot.state != SlotState::Ready || !slot.spawned || slot.kind() != LayerKind::Terrain {
            continue;
        }
        let (Some(tree), Some(layer)) = (&slot.terrain, &slot.layer) else {
            continue;
        };
        let Some(grid) = layer.grid() else { continue };
        let Some(material) = layer_materials
            .0
            .get(&slot.id)
            .and_then(|m| m.first())
            .map(|m| m.0.clone())
        else {
            continue;
        };
        let view = cim_core::lod::LodView {
            camera: rig.pose.eye,
            viewport_height_px: viewport_h,
            fov_y_rad: rig.fov_y,
            max_screen_error_px: MAX_SCREEN_ERROR_PX,
            drape: drape_lod,
            frustum: Some(&frustum),
        };
        cim_core::lod::select(&**tree, &view, &mut cut);
        // Basemaps that failed to open: redraw in the terrain's own colours.
        if let Some(t) = tiles.0.get(&slot.id)
            && t.tint.draped != drapes.active()
        {
            for shown in t.shown.values() {
                commands.entity(shown.entity).despawn();
            }
            tiles.0.remove(&slot.id);
            if let Some(list) = layer_materials.0.get_mut(&slot.id) {
                list.truncate(1);
            }
        }
        let on_screen = tiles.0.entry(slot.id).or_insert_with(|| LayerTiles {
            tint: Tint::for_layer(&slot.reference.style, grid, drapes.active()),
            shown: HashMap::new(),
        });
        // Drapes that arrived for tiles still on screen become their texture.
        for d in ready.remove(&slot.id).unwrap_or_default() {
            let Some(t) = on_screen.shown.get_mut(&d.key.node) else {
                continue;
            };
            if let Some(h) = t.drape.receive(d, &material, &mut materials, &mut images) {
                layer_materials
                    .0
                    .entry(slot.id)
                    .or_default()
                    .push((h.clone(), 1.0));
                commands.entity(t.entity).insert(MeshMaterial3d(h));
            }
        }
        let wanted: std::collections::HashSet<NodeId> = cut.iter().copied().collect();
        let mut dropped = Vec::new();
        on_screen.shown.retain(|id, t| {
            let keep = wanted.contains(id);
            if !keep {
                commands.entity(t.entity).despawn();
                dropped.extend(t.drape.material.take());
            }
            keep
        });
        if !dropped.is_empty()
            && let Some(list) = layer_materials.0.get_mut(&slot.id)
        {
            list.retain(|(h, _)| !dropped.contains(h));
        }
        drapes.retain(|k| k.owner != slot.id || wanted.contains(&k.node));
        let visibility = if slot.reference.visible {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        for id in cut.iter().copied() {
            if let Some(t) = on_screen.shown.get_mut(&id) {
                if let Some(lod) = drape_lod {
                    let want = drape_size(lod, &t.bbox, rig.pose.eye, scale);
                    let key = DrapeKey {
                        owner: slot.id,
                        node: id,
                    };
                    t.drape.update(&drapes, key, t.bbox, want);
                }
                continue;
            }
            let m = tree.node_mesh(grid, id);
            if m.indices.is_empty() {
                continue;
            }
            let anchor = m.anchor;
            let bbox = mesh_bbox(&m);
            let entity = commands
                .spawn((
                    Mesh3d(meshes.add(tile_mesh(m, &on_screen.tint, &bbox))),
                    MeshMaterial3d(material.clone()),
                    Transform::default(),
                    visibility,
                    GeoAnchor(anchor),
                    LayerEntity(slot.id),
                ))
                .id();
            let mut drape = TileDrape::default();
            if let Some(lod) = drape_lod {
                let want = drape_size(lod, &bbox, rig.pose.eye, scale);
                drape.update(
                    &drapes,
                    DrapeKey {
                        owner: slot.id,
                        node: id,
                    },
                    bbox,
                    want,
                );
            }
            on_screen.shown.insert(
                id,
                ShownTile {
                    entity,
                    bbox,
                    drape,
                },
            );
        }
    }
}
