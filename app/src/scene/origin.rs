//! Floating origin: every placed entity has an f64 [`GeoAnchor`] in scene
//! CRS; its f32 `Transform` is derived from the current [`RenderOrigin`].
//! When the camera strays far from the origin, the origin jumps to it and
//! all transforms are recomputed, so geometry near the camera is always
//! placed to sub-millimetre precision (see `cim_core::scene::georef`).

use bevy::prelude::*;
use cim_core::scene::georef::RenderFrame;
use glam::DVec3;

/// Scene-CRS position of an entity's local origin.
#[derive(Component, Clone, Copy, Debug)]
pub struct GeoAnchor(pub DVec3);

/// The scene point at render-space zero.
#[derive(Resource, Clone, Copy, Debug)]
pub struct RenderOrigin(pub RenderFrame);

impl RenderOrigin {
    pub fn to_render(&self, p: DVec3) -> Vec3 {
        self.0.to_render(p)
    }
    pub fn from_render(&self, v: Vec3) -> DVec3 {
        self.0.from_render(v)
    }
}

/// Where the camera is, in scene CRS (written by the camera plugin).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct CameraGeoPosition(pub DVec3);

pub struct OriginPlugin {
    pub origin: DVec3,
}

#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginSet;

impl Plugin for OriginPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(RenderOrigin(RenderFrame::new(self.origin)))
            .init_resource::<CameraGeoPosition>()
            .add_systems(
                PostUpdate,
                (rebase_origin, place_anchors)
                    .chain()
                    .in_set(OriginSet)
                    .before(TransformSystems::Propagate),
            );
    }
}

fn rebase_origin(camera: Res<CameraGeoPosition>, mut origin: ResMut<RenderOrigin>) {
    if let Some(o) = origin.0.rebase_for(camera.0) {
        origin.0 = RenderFrame::new(o);
    }
}

fn place_anchors(origin: Res<RenderOrigin>, mut q: Query<(Ref<GeoAnchor>, &mut Transform)>) {
    let all = origin.is_changed();
    for (anchor, mut t) in &mut q {
        if all || anchor.is_changed() {
            t.translation = origin.to_render(anchor.0);
        }
    }
}
