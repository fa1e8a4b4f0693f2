//! The underground view: the ground surface (terrain, draped layers and the
//! base plane) can be made see-through so pipes and other buried networks
//! show, and the camera may then go below ground. Also owns the base plane
//! drawn under scenes that have no terrain, so the data has a ground to
//! sit on (and to see through).

use crate::scene::store::SceneStore;
use bevy::prelude::*;
use glam::DVec3;

/// How see-through the ground is: 1 = opaque (normal view), 0 = invisible.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct UndergroundView {
    pub ground_opacity: f32,
}

impl Default for UndergroundView {
    fn default() -> Self {
        UndergroundView {
            ground_opacity: 1.0,
        }
    }
}

impl UndergroundView {
    /// Below this opacity the camera may leave the surface.
    pub fn allows_camera_below_ground(&self) -> bool {
        self.ground_opacity < 0.99
    }
}

pub struct UndergroundPlugin {
    pub ground_opacity: f32,
}

/// Sets how see-through the ground is (0–1, clamped): the Ground slider,
/// later tours and the remote-control API.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct SetGroundOpacity(pub f32);

pub(crate) fn apply_ground_opacity(
    mut view: ResMut<UndergroundView>,
    mut commands: MessageReader<SetGroundOpacity>,
) {
    for SetGroundOpacity(a) in commands.read() {
        if a.is_finite() && (a.clamp(0.0, 1.0) - view.ground_opacity).abs() > 0.0 {
            view.ground_opacity = a.clamp(0.0, 1.0);
        }
    }
}

impl Plugin for UndergroundPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(UndergroundView {
            ground_opacity: self.ground_opacity.clamp(0.0, 1.0),
        })
        .add_message::<SetGroundOpacity>()
        .add_systems(PreUpdate, apply_ground_opacity)
        .add_systems(Update, fade_base_plane);
    }
}

/// A piece of the base plane, with its material (faded with the ground).
#[derive(Component)]
pub struct BasePlane(pub Handle<StandardMaterial>);

const BASE_COLOR: [u8; 3] = [176, 178, 168];

/// Centre and width of the base plane: a square at height 0 reaching well
/// past the data (three times its extent, at least 2 km); `None` without
/// data. A tileset reaching down to 0 or below puts the plane
/// [`PLANE_CLEARANCE`] under its lowest point: content lying on the ground
/// (flat tiles at z = 0) would otherwise share the plane's depth and
/// vanish under it.
pub fn base_plane_extent(store: &SceneStore) -> Option<(DVec3, f64)> {
    let bb = crate::view::camera::scene_bbox(store)?;
    let size = bb.size().truncate();
    let half = (size.max_element() * 1.5).max(1000.0);
    let c = bb.center();
    let tiles_floor = store
        .layers
        .iter()
        .filter_map(|s| s.layer.as_ref())
        .filter(|l| l.tiles().is_some())
        .filter_map(|l| l.bbox())
        .map(|b| b.min.z)
        .reduce(f64::min);
    let z = tiles_floor.map_or(0.0, |f| f.min(0.0) - PLANE_CLEARANCE);
    Some((DVec3::new(c.x.round(), c.y.round(), z), 2.0 * half))
}

/// How far the base plane stays under tileset content on the ground, m.
pub const PLANE_CLEARANCE: f64 = 0.05;

/// The base plane's material at a ground opacity.
pub fn ground_material(opacity: f32) -> StandardMaterial {
    let mut m = StandardMaterial {
        base_color: Color::srgb_u8(BASE_COLOR[0], BASE_COLOR[1], BASE_COLOR[2]),
        perceptual_roughness: 1.0,
        reflectance: 0.05,
        // Draped roads and areas sit 0.15–0.3 m above; keep the plane under them.
        depth_bias: -1.0,
        ..default()
    };
    apply_opacity(&mut m, opacity);
    m
}

pub fn apply_opacity(m: &mut StandardMaterial, a: f32) {
    m.base_color.set_alpha(a);
    m.alpha_mode = if a < 1.0 {
        AlphaMode::Blend
    } else {
        AlphaMode::Opaque
    };
}

fn fade_base_plane(
    view: Res<UndergroundView>,
    planes: Query<&BasePlane>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    if !view.is_changed() {
        return;
    }
    for p in &planes {
        if let Some(mut m) = materials.get_mut(&p.0) {
            apply_opacity(&mut m, view.ground_opacity);
        }
    }
}
