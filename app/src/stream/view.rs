//! What every streamed source selects its tiles for: the main camera's
//! viewport and a culling frustum a little wider than the view (tiles at
//! the edges are in before they show, and what stands just outside still
//! casts its shadow in).

use crate::view::camera::{CameraRig, MainCamera};
use bevy::prelude::*;
use cim_core::lod::Frustum;

/// The viewport (logical pixels) and the culling frustum of the main
/// camera; `None` while the camera's viewport is not known yet (its first
/// frame): tiles selected for a guessed size would be asked for in vain.
/// Without a main camera (tests of one plugin), a 1920 × 1080 view.
pub fn stream_view(
    rig: &CameraRig,
    cameras: &Query<&Camera, With<MainCamera>>,
) -> Option<(Vec2, Frustum)> {
    let viewport = match cameras.iter().find_map(|c| c.logical_viewport_size()) {
        Some(s) => s.max(Vec2::ONE),
        None if cameras.is_empty() => Vec2::new(1920.0, 1080.0),
        None => return None,
    };
    let frustum = Frustum::new(
        rig.pose.eye,
        rig.pose.forward(),
        rig.fov_y * 1.2,
        f64::from(viewport.x / viewport.y) * 1.1,
    );
    Some((viewport, frustum))
}
