//! The sun and the sky. The sun's direction follows the scene clock
//! ([`Clock`], owned by `scene::clock`) through
//! `cim_core::time::solar_position`, and its shadow cascades follow the
//! camera's height.

use crate::render::layers::Ground;
use crate::scene::clock::Clock;
use crate::scene::store::SceneStore;
use crate::view::camera::CameraRig;
use bevy::light::CascadeShadowConfigBuilder;
use bevy::prelude::*;
use cim_core::time::solar_position;
use glam::DVec3;

#[derive(Component)]
pub struct Sun;

pub struct SunPlugin;

impl Plugin for SunPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(Color::srgb(0.62, 0.76, 0.92)))
            .insert_resource(GlobalAmbientLight {
                color: Color::srgb(0.80, 0.87, 1.0),
                brightness: 500.0,
                ..default()
            })
            .add_systems(Startup, spawn_sun)
            .add_systems(
                Update,
                (aim_sun, fit_shadows)
                    .chain()
                    .after(crate::scene::clock::tick_clock),
            );
    }
}

fn spawn_sun(mut commands: Commands) {
    commands.spawn((
        Sun,
        DirectionalLight {
            illuminance: 11_000.0,
            shadow_maps_enabled: true,
            color: Color::srgb(1.0, 0.97, 0.92),
            ..default()
        },
        Transform::default(),
        CascadeShadowConfigBuilder::default().build(),
    ));
}

/// Lon/lat of the scene origin for the sun (falls back to Zhuhai).
fn scene_lon_lat(store: &SceneStore) -> (f64, f64) {
    store
        .wgs84(store.origin())
        .map_or((113.5, 22.3), |p| (p.x, p.y))
}

fn aim_sun(
    clock: Res<Clock>,
    store: Res<SceneStore>,
    mut q: Query<(&mut Transform, &mut DirectionalLight), With<Sun>>,
) {
    if !clock.is_changed() {
        return;
    }
    let (lon, lat) = scene_lon_lat(&store);
    let sun = solar_position(lon, lat, clock.0.current);
    let [e, n, u] = sun.direction_enu();
    // Keep a little light at night and dawn so the city stays legible.
    let elevation = sun.elevation_deg.max(3.0).to_radians();
    let horiz = (e * e + n * n).sqrt().max(1e-9);
    let towards_sun = DVec3::new(
        e / horiz * elevation.cos(),
        n / horiz * elevation.cos(),
        elevation.sin(),
    );
    let _ = u;
    let dir = cim_core::scene::georef::RenderFrame::dir_to_render(towards_sun).as_vec3();
    for (mut t, mut light) in &mut q {
        *t = Transform::IDENTITY.looking_to(-dir, Vec3::Y);
        // Dimmer and warmer near the horizon.
        let k = (sun.elevation_deg.clamp(0.0, 30.0) / 30.0) as f32;
        light.illuminance = 2_000.0 + 9_000.0 * k;
        light.color = Color::srgb(1.0, 0.80 + 0.17 * k, 0.62 + 0.30 * k);
    }
}

fn fit_shadows(
    rig: Res<CameraRig>,
    ground: Res<Ground>,
    mut q: Query<&mut bevy::light::CascadeShadowConfig, With<Sun>>,
    mut last: Local<f32>,
) {
    let above = (rig.pose.eye.z - ground.height(rig.pose.eye)).max(10.0) as f32;
    let max = (above * 8.0).clamp(600.0, 15_000.0);
    if (max - *last).abs() / max < 0.2 {
        return;
    }
    *last = max;
    for mut c in &mut q {
        *c = CascadeShadowConfigBuilder {
            num_cascades: 3,
            minimum_distance: 1.0,
            first_cascade_far_bound: max * 0.15,
            maximum_distance: max,
            overlap_proportion: 0.2,
        }
        .build();
    }
}
