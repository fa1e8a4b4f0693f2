//! What the water looks like: a translucent surface of the output shown,
//! coloured by depth, and arrows of its flow.

use super::{Flood, FloodGrid, SHOWN_DEPTH_M};
use crate::render::mesh::MeshData;
use crate::scene::origin::GeoAnchor;
use bevy::light::{NotShadowCaster, NotShadowReceiver};
use bevy::prelude::*;
use cim_core::scene::georef::RenderFrame;
use cim_core::style::color_ramp::ColorRamp;
use cim_core::{DVec2, DVec3};

/// The flow over a block of cells: where (in cells from the grid's
/// south-west corner), the water level there (m) and the depth-weighted
/// mean velocity (m/s, east and north along the grid).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrow {
    pub at: DVec2,
    pub level: f32,
    pub velocity: Vec2,
}

/// Arrows across the grid's longer side, at most.
const ARROWS_ACROSS: usize = 40;
/// Slower water gets no arrow, m/s.
const ARROW_MIN_SPEED: f32 = 0.05;

/// The flow of `state` on blocks of cells: an arrow for each block mostly
/// under water and moving.
pub fn arrows(grid: &FloodGrid, state: &cim_core::flood::State) -> Vec<Arrow> {
    let k = grid.nx.max(grid.ny).div_ceil(ARROWS_ACROSS).max(1);
    let mut out = Vec::new();
    for bj in (0..grid.ny).step_by(k) {
        for bi in (0..grid.nx).step_by(k) {
            let (mut wet, mut all, mut h, mut q, mut level) = (0, 0, 0.0f32, Vec2::ZERO, 0.0f32);
            for j in bj..(bj + k).min(grid.ny) {
                for i in bi..(bi + k).min(grid.nx) {
                    let c = j * grid.nx + i;
                    all += 1;
                    if state.h[c] >= SHOWN_DEPTH_M {
                        wet += 1;
                        h += state.h[c];
                        q += Vec2::new(state.hu[c], state.hv[c]);
                        level += grid.bed[c] + state.h[c];
                    }
                }
            }
            if 2 * wet < all {
                continue;
            }
            let velocity = q / h;
            if velocity.length() >= ARROW_MIN_SPEED {
                let w = ((bi + k).min(grid.nx) - bi, (bj + k).min(grid.ny) - bj);
                out.push(Arrow {
                    at: DVec2::new(bi as f64 + w.0 as f64 / 2.0, bj as f64 + w.1 as f64 / 2.0),
                    level: level / wet as f32,
                    velocity,
                });
            }
        }
    }
    out
}

/// The water surface of the output shown.
#[derive(Component)]
pub struct WaterSurface;

/// Redraws the water when the output shown changes: a quad per wet cell
/// at its water level, coloured by depth.
pub(super) fn draw_water(
    mut flood: ResMut<Flood>,
    mut commands: Commands,
    drawn: Query<Entity, With<WaterSurface>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut material: Local<Option<Handle<StandardMaterial>>>,
) {
    if flood.drawn == flood.shown {
        return;
    }
    for e in &drawn {
        commands.entity(e).despawn();
    }
    flood.drawn = flood.shown;
    let (Some(grid), Some(k)) = (flood.grid.clone(), flood.shown) else {
        return;
    };
    let frame = &flood.frames[k];
    let Some((anchor, mut mesh)) = water_mesh(&grid, &frame.depth) else {
        return;
    };
    if flood.arrows {
        mesh.append(arrow_mesh(&grid, &frame.arrows, anchor));
    }
    let material = material
        .get_or_insert_with(|| {
            materials.add(StandardMaterial {
                base_color: Color::WHITE,
                alpha_mode: AlphaMode::Blend,
                perceptual_roughness: 0.15,
                reflectance: 0.5,
                double_sided: true,
                cull_mode: None,
                depth_bias: 3.0,
                ..default()
            })
        })
        .clone();
    commands.spawn((
        Mesh3d(meshes.add(mesh.into_mesh())),
        MeshMaterial3d(material),
        Transform::default(),
        GeoAnchor(anchor),
        NotShadowCaster,
        NotShadowReceiver,
        WaterSurface,
    ));
}

/// The depth ramp: light to deep blue over 0–2 m, as the legend shows;
/// shallow water lets the ground through, deep water hides it.
pub struct DepthRamp(ColorRamp);

impl Default for DepthRamp {
    fn default() -> Self {
        DepthRamp(ColorRamp::by_name("Blues").expect("a built-in ramp"))
    }
}

impl DepthRamp {
    /// sRGB with alpha.
    pub fn colour(&self, depth_m: f32) -> [u8; 4] {
        let [r, g, b, _] = self.0.sample(0.5 + 0.5 * (depth_m / 2.0).clamp(0.0, 1.0));
        [r, g, b, (170.0 + 70.0 * depth_m.clamp(0.0, 1.0)) as u8]
    }
}

/// A quad per cell with water to show, at its level, around an anchor at
/// the grid's south-west corner; `None` when nothing is wet.
pub fn water_mesh(grid: &FloodGrid, depth: &[f32]) -> Option<(DVec3, MeshData)> {
    let anchor = grid.corner(0, 0).extend(0.0);
    let mut m = MeshData::default();
    let up = RenderFrame::offset_to_render(&[0.0, 0.0, 1.0]);
    let ramp = DepthRamp::default();
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let c = j * grid.nx + i;
            let h = depth[c];
            if h < SHOWN_DEPTH_M || !grid.ground[c] {
                continue;
            }
            let level = (grid.bed[c] + h) as f64;
            let [r, g, b, a] = ramp.colour(h).map(|v| v as f32 / 255.0);
            let colour = Color::srgba(r, g, b, a).to_linear().to_f32_array();
            let base = m.positions.len() as u32;
            for (di, dj) in [(0, 0), (1, 0), (1, 1), (0, 1)] {
                let p = grid.corner(i + di, j + dj).extend(level) - anchor;
                m.positions
                    .push(RenderFrame::offset_to_render(&p.as_vec3().to_array()));
                m.normals.push(up);
                m.colors.push(colour);
            }
            m.indices
                .extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
        }
    }
    (!m.is_empty()).then_some((anchor, m))
}

/// Flat white arrows floating on the water, along each block's flow, their
/// length growing with its speed up to 2 m/s.
pub fn arrow_mesh(grid: &FloodGrid, arrows: &[Arrow], anchor: DVec3) -> MeshData {
    let mut m = MeshData::default();
    let up = RenderFrame::offset_to_render(&[0.0, 0.0, 1.0]);
    let white = [1.0, 1.0, 1.0, 0.9];
    let block = grid.nx.max(grid.ny).div_ceil(ARROWS_ACROSS).max(1) as f64;
    for a in arrows {
        let speed = a.velocity.length();
        let along = a.velocity.as_dvec2() / speed as f64;
        let side = along.perp();
        let length = block * (0.3 + 0.6 * (speed / 2.0).min(1.0) as f64);
        let (tail, tip) = (a.at - along * length / 2.0, a.at + along * length / 2.0);
        let neck = tip - along * length * 0.35;
        let (shaft, head) = (0.06 * block, 0.2 * block);
        let level = a.level as f64 + 0.05;
        let base = m.positions.len() as u32;
        for g in [
            tail - side * shaft,
            neck - side * shaft,
            neck + side * shaft,
            tail + side * shaft,
            neck - side * head,
            tip,
            neck + side * head,
        ] {
            let p = grid.at(g).extend(level) - anchor;
            m.positions
                .push(RenderFrame::offset_to_render(&p.as_vec3().to_array()));
            m.normals.push(up);
            m.colors.push(white);
        }
        m.indices.extend_from_slice(&[
            base,
            base + 1,
            base + 2,
            base,
            base + 2,
            base + 3,
            base + 4,
            base + 5,
            base + 6,
        ]);
    }
    m
}
