//! Georeferencing and the render-space mapping.
//!
//! A scene lives in one projected CRS (often CGCS2000 Gauss-Krüger, where
//! eastings reach 38 500 000 m). An `f32` can only resolve such a number to
//! 4 m, so nothing is ever handed to the GPU in absolute coordinates.
//! Instead every position is kept in `f64` and expressed relative to a
//! *render origin* that follows the camera (a "floating origin"): when the
//! camera strays further than [`RenderFrame::REBASE_DISTANCE`] from the
//! origin, the origin jumps to the camera and every placed object is
//! re-expressed relative to the new origin. Within a few kilometres of the
//! origin an `f32` resolves well below a millimetre.
//!
//! Axes: scene CRS x = east, y = north, z = up; render space (Bevy) is
//! right-handed Y-up, so render = (east, up, -north).

use glam::{DVec3, Vec3};

/// The mapping from scene-CRS coordinates to render space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderFrame {
    /// The scene-CRS point that sits at render-space (0, 0, 0).
    pub origin: DVec3,
}

impl RenderFrame {
    /// How far the camera may wander from the origin before it is rebased.
    /// At 2 km an f32 still resolves 0.12 mm.
    pub const REBASE_DISTANCE: f64 = 2_000.0;

    pub fn new(origin: DVec3) -> Self {
        RenderFrame { origin }
    }

    /// Scene CRS → render space, in f64 (exact up to f64 rounding).
    pub fn to_render_f64(&self, p: DVec3) -> DVec3 {
        let d = p - self.origin;
        DVec3::new(d.x, d.z, -d.y)
    }

    /// Scene CRS → render space, ready for the GPU.
    ///
    /// ```
    /// use cim_core::scene::georef::RenderFrame;
    /// use glam::DVec3;
    /// let frame = RenderFrame::new(DVec3::new(38_500_000.0, 2_470_000.0, 0.0));
    /// let v = frame.to_render(DVec3::new(38_500_010.25, 2_470_003.5, 12.0));
    /// assert_eq!(v.to_array(), [10.25, 12.0, -3.5]);
    /// ```
    pub fn to_render(&self, p: DVec3) -> Vec3 {
        self.to_render_f64(p).as_vec3()
    }

    /// Render space → scene CRS.
    pub fn from_render(&self, v: Vec3) -> DVec3 {
        self.from_render_f64(v.as_dvec3())
    }

    pub fn from_render_f64(&self, v: DVec3) -> DVec3 {
        self.origin + DVec3::new(v.x, -v.z, v.y)
    }

    /// A direction (not a point) from scene axes to render axes.
    pub fn dir_to_render(d: DVec3) -> DVec3 {
        DVec3::new(d.x, d.z, -d.y)
    }

    /// An f32 offset (a mesh vertex around its anchor, a normal) from
    /// scene axes to render axes; exact, only components move.
    ///
    /// ```
    /// use cim_core::scene::georef::RenderFrame;
    /// assert_eq!(RenderFrame::offset_to_render(&[1.0, 2.0, 3.0]), [1.0, 3.0, -2.0]);
    /// ```
    pub fn offset_to_render(v: &[f32; 3]) -> [f32; 3] {
        [v[0], v[2], -v[1]]
    }

    /// A direction from render axes to scene axes.
    pub fn dir_from_render(d: DVec3) -> DVec3 {
        DVec3::new(d.x, -d.z, d.y)
    }

    /// The origin to move to when the camera is at scene point `camera`,
    /// or `None` while it is close enough to the current one. The new origin
    /// is rounded to whole metres so anchors re-expressed against it stay
    /// exact in f64.
    pub fn rebase_for(&self, camera: DVec3) -> Option<DVec3> {
        let d = camera - self.origin;
        (d.x.hypot(d.y) > Self::REBASE_DISTANCE)
            .then(|| DVec3::new(camera.x.round(), camera.y.round(), 0.0))
    }
}

/// Geometry placed for rendering: an f64 anchor in scene CRS plus f32
/// vertex offsets relative to it. Meshes are built this way so that their
/// vertices stay small numbers; only the anchor moves when the origin does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor(pub DVec3);

impl Anchor {
    /// Offset of `p` from the anchor, in render axes, as f32.
    pub fn local(&self, p: DVec3) -> Vec3 {
        RenderFrame::new(self.0).to_render(p)
    }

    /// Where the anchor sits in render space under `frame`.
    pub fn translation(&self, frame: &RenderFrame) -> Vec3 {
        frame.to_render(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulates the render pipeline's arithmetic in f32 exactly as the GPU
    /// sees it: vertex = anchor translation (f32) + local offset (f32),
    /// then view-relative = vertex - camera (f32).
    fn rendered_relative_to_camera(
        frame: &RenderFrame,
        anchor: Anchor,
        p: DVec3,
        camera: DVec3,
    ) -> Vec3 {
        let world = anchor.translation(frame) + anchor.local(p);
        world - frame.to_render(camera)
    }

    #[test]
    fn gauss_kruger_geometry_is_placed_to_better_than_a_millimetre() {
        // A building corner in CGCS2000 / 3-degree GK zone 38 (EPSG:4526):
        // easting carries the zone prefix, ~38 500 000 m.
        let corner = DVec3::new(38_500_123.456_7, 2_470_456.789_1, 35.1234);
        let anchor = Anchor(DVec3::new(38_500_100.0, 2_470_400.0, 0.0));
        // The camera flies in from 30 km away; the frame rebases as it goes.
        let mut frame = RenderFrame::new(DVec3::new(38_470_000.0, 2_470_000.0, 0.0));
        let mut worst = 0.0f64;
        let mut checked = 0;
        for step in 0..=300 {
            let camera = DVec3::new(
                38_470_000.0 + step as f64 * 100.0 + 0.37,
                2_470_300.0,
                120.0,
            );
            if let Some(o) = frame.rebase_for(camera) {
                frame = RenderFrame::new(o);
            }
            if (camera - corner).length() < 1_000.0 {
                let got = rendered_relative_to_camera(&frame, anchor, corner, camera).as_dvec3();
                let exact = RenderFrame::dir_to_render(corner - camera);
                worst = worst.max((got - exact).length());
                checked += 1;
            }
        }
        assert!(checked > 5, "the camera never came near the corner");
        assert!(worst < 1e-3, "worst placement error {worst} m");
    }

    #[test]
    fn absolute_f32_coordinates_would_jitter_by_metres() {
        // The failure the floating origin exists to avoid: the same corner in
        // absolute f32 is off by metres.
        let corner = DVec3::new(38_500_123.456_7, 2_470_456.789_1, 35.1234);
        let naive = RenderFrame::new(DVec3::ZERO).to_render(corner).as_dvec3();
        let err = (naive - RenderFrame::new(DVec3::ZERO).to_render_f64(corner)).length();
        assert!(err > 0.1, "expected f32 error at GK magnitude, got {err}");
    }

    #[test]
    fn render_mapping_round_trips_and_is_right_handed() {
        let frame = RenderFrame::new(DVec3::new(38_448_500.0, 2_467_800.0, 0.0));
        let p = DVec3::new(38_448_600.5, 2_467_700.25, 42.0);
        let back = frame.from_render(frame.to_render(p));
        assert!((back - p).length() < 1e-6);
        // east × up = south in a right-handed Y-up frame, i.e. -north.
        let east = RenderFrame::dir_to_render(DVec3::X);
        let north = RenderFrame::dir_to_render(DVec3::Y);
        let up = RenderFrame::dir_to_render(DVec3::Z);
        assert_eq!(east.cross(up), -north);
    }

    #[test]
    fn rebase_only_past_the_threshold() {
        let frame = RenderFrame::new(DVec3::new(1000.0, 1000.0, 0.0));
        assert!(
            frame
                .rebase_for(DVec3::new(2500.0, 1000.0, 500.0))
                .is_none()
        );
        assert_eq!(
            frame.rebase_for(DVec3::new(3500.4, 1000.0, 500.0)),
            Some(DVec3::new(3500.0, 1000.0, 0.0))
        );
    }
}
