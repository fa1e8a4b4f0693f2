//! What is under the cursor, every frame: a scene-space ray against the
//! model (buildings as prisms, terrain as a height field, else the ground
//! plane). A click without drag selects the feature; the selection gets a
//! highlight mesh.

use crate::camera::{MainCamera, PointerDrag, viewport_ray};
use crate::layers::Ground;
use crate::mesh;
use crate::origin::{GeoAnchor, RenderOrigin};
use crate::scene_state::SceneStore;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use cim_core::geometry::Geometry;
use cim_core::georef::Anchor;
use cim_core::layer::{FeatureId, LayerKind};
use cim_core::pick::{self, Hit, Ray};
use glam::DVec3;

/// The cursor's ray and what it hits.
#[derive(Resource, Default, Debug, Clone)]
pub struct CursorHit {
    pub cursor: Option<Vec2>,
    pub ray: Option<Ray>,
    pub point: Option<DVec3>,
    /// (layer slot id, feature id) when a feature is hit.
    pub feature: Option<(u64, FeatureId)>,
    /// What is at the centre of the view (pivot for north-up).
    pub center_point: Option<DVec3>,
}

/// The selected feature.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection(pub Option<(u64, FeatureId)>);

#[derive(Component)]
struct Highlight;

pub struct PickingPlugin;

impl Plugin for PickingPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CursorHit>()
            .init_resource::<Selection>()
            .add_systems(
                Update,
                (update_cursor_hit, select_on_click, update_highlight).chain(),
            );
    }
}

/// Casts a scene ray at everything pickable.
pub fn cast(
    store: &SceneStore,
    ground: &Ground,
    ray: &Ray,
) -> (Option<DVec3>, Option<(u64, FeatureId)>) {
    let mut best: Option<(Hit, Option<u64>)> = None;
    for slot in &store.layers {
        if !slot.reference.visible || slot.kind() != LayerKind::Buildings {
            continue;
        }
        let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) else {
            continue;
        };
        if let Some(h) = pick::pick_buildings(ray, v, |i| slot.prisms.get(i).copied().flatten())
            && best.as_ref().is_none_or(|(b, _)| h.t < b.t)
        {
            best = Some((h, Some(slot.id)));
        }
    }
    if let Some(g) = ground.grid()
        && let Some(h) = pick::pick_terrain(ray, g)
        && best.as_ref().is_none_or(|(b, _)| h.t < b.t)
    {
        best = Some((h, None));
    }
    if best.is_none() && ray.dir.z < -1e-9 {
        // No model hit: the horizontal plane at ground level.
        let z = ground.height(ray.origin);
        let t = (z - ray.origin.z) / ray.dir.z;
        return (Some(ray.at(t)), None);
    }
    match best {
        Some((h, Some(slot))) => (Some(h.point), h.feature.map(|f| (slot, f))),
        Some((h, None)) => (Some(h.point), None),
        None => (None, None),
    }
}

pub fn update_cursor_hit(
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    origin: Res<RenderOrigin>,
    store: Res<SceneStore>,
    ground: Res<Ground>,
    mut hit: ResMut<CursorHit>,
) {
    let Ok((camera, cam_t)) = cameras.single() else {
        return;
    };
    let window = windows.single().ok();
    hit.cursor = window.and_then(|w| w.cursor_position());
    hit.ray = hit
        .cursor
        .and_then(|c| viewport_ray(camera, cam_t, &origin, c));
    let (point, feature) = match hit.ray {
        Some(r) => cast(&store, &ground, &r),
        None => (None, None),
    };
    hit.point = point;
    hit.feature = feature;
    hit.center_point = camera
        .logical_viewport_size()
        .and_then(|s| viewport_ray(camera, cam_t, &origin, s * 0.5))
        .and_then(|r| cast(&store, &ground, &r).0);
}

fn select_on_click(
    buttons: Res<ButtonInput<MouseButton>>,
    drag: Res<PointerDrag>,
    ui: Res<crate::ui::UiCapture>,
    hit: Res<CursorHit>,
    mut selection: ResMut<Selection>,
    tools: Option<Res<crate::tools::Tools>>,
) {
    if tools.is_some_and(|t| t.mode != crate::tools::MeasureMode::Off) {
        return;
    }
    // The camera controls clear `button` on release; a click is a release
    // that was not a drag.
    if buttons.just_released(MouseButton::Left) && !drag.dragged && !ui.pointer {
        let new = hit.feature;
        if selection.0 != new {
            selection.0 = new;
        }
    }
}

fn update_highlight(
    mut commands: Commands,
    selection: Res<Selection>,
    store: Res<SceneStore>,
    existing: Query<Entity, With<Highlight>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    if !selection.is_changed() {
        return;
    }
    for e in &existing {
        commands.entity(e).despawn();
    }
    let Some((slot_id, fid)) = selection.0 else {
        return;
    };
    let Some(slot) = store.slot(slot_id) else {
        return;
    };
    let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) else {
        return;
    };
    let Some(idx) = v.features.iter().position(|f| f.id == fid) else {
        return;
    };
    let Some((base, top)) = slot.prisms.get(idx).copied().flatten() else {
        return;
    };
    let polys = match &v.features[idx].geometry {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(ps) => ps.clone(),
        _ => return,
    };
    let Some(bb) = v.features[idx].geometry.bbox() else {
        return;
    };
    let anchor = Anchor(bb.center());
    // Slightly taller and wider than the building so it shows over it.
    let grown: Vec<_> = polys.iter().map(|p| grow(p, 0.4)).collect();
    let data = mesh::extrude(
        anchor,
        grown
            .iter()
            .map(|p| (p, base - 0.2, top + 0.4, [1.0, 0.85, 0.1, 1.0])),
    );
    commands.spawn((
        Highlight,
        Mesh3d(meshes.add(data.into_mesh())),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgba(1.0, 0.85, 0.1, 0.55),
            emissive: LinearRgba::rgb(0.6, 0.45, 0.0),
            alpha_mode: AlphaMode::Blend,
            unlit: true,
            ..default()
        })),
        Transform::default(),
        GeoAnchor(anchor.0),
    ));
}

/// Pushes every vertex `d` metres away from the polygon's centroid.
fn grow(p: &cim_core::geometry::Polygon, d: f64) -> cim_core::geometry::Polygon {
    let n = p.exterior.len().max(1) as f64;
    let c = p.exterior.iter().fold(DVec3::ZERO, |a, b| a + *b) / n;
    let mut q = p.clone();
    for v in &mut q.exterior {
        let off = (*v - c).truncate();
        let len = off.length();
        if len > 0.0 {
            let k = (len + d) / len;
            v.x = c.x + off.x * k;
            v.y = c.y + off.y * k;
        }
    }
    q
}
