use super::*;

/// A binary tree over [0, 1024) on x whose error halves per level, ten
/// levels deep (shared with the streaming tests).
pub(super) struct Line;

impl LodTree for Line {
    type Id = (u8, u32);
    fn root(&self) -> (u8, u32) {
        (0, 0)
    }
    fn parent(&self, (l, i): (u8, u32)) -> Option<(u8, u32)> {
        (l > 0).then(|| (l - 1, i / 2))
    }
    fn children_into(&self, (l, i): (u8, u32), out: &mut Vec<(u8, u32)>) {
        if l < 10 {
            out.extend([(l + 1, 2 * i), (l + 1, 2 * i + 1)]);
        }
    }
    fn bounds(&self, (l, i): (u8, u32)) -> Bbox {
        let w = 1024.0 / f64::from(1u32 << l);
        Bbox {
            min: DVec3::new(w * i as f64, 0.0, 0.0),
            max: DVec3::new(w * (i + 1) as f64, 1.0, 0.0),
        }
    }
    fn geometric_error(&self, (l, _): (u8, u32)) -> f64 {
        64.0 / f64::from(1u32 << l)
    }
}

/// A 1000 px high view from `x` on [`Line`], 10 m above it, 2 px of error.
pub(super) fn line_view(x: f64) -> LodView<'static> {
    LodView {
        camera: DVec3::new(x, 0.5, 10.0),
        viewport_height_px: 1000.0,
        fov_y_rad: 1.0,
        max_screen_error_px: 2.0,
        drape: None,
        frustum: None,
    }
}

#[test]
fn the_cut_is_finer_near_the_camera_and_covers_everything_once() {
    let view = line_view(0.0);
    let mut cut = Vec::new();
    select(&Line, &view, &mut cut);
    // In order, contiguous, covering [0, 1024).
    let mut x = 0.0;
    for &id in &cut {
        let b = Line.bounds(id);
        assert_eq!(b.min.x, x);
        x = b.max.x;
    }
    assert_eq!(x, 1024.0);
    let first = cut.first().unwrap().0;
    let last = cut.last().unwrap().0;
    assert!(first > last, "near {first} deeper than far {last}");
    for &id in &cut {
        let split = view.screen_error(Line.geometric_error(id), &Line.bounds(id)) > 2.0;
        assert!(!split || id.0 == 10, "{id:?} should have been split");
    }
}

#[test]
fn nodes_outside_the_frustum_are_left_out() {
    // Looking along +x from x = 512: only the right half is in view.
    let eye = DVec3::new(512.0, 0.5, 10.0);
    let f = Frustum::new(eye, DVec3::X, 1.0, 1.0);
    let view = LodView {
        camera: eye,
        viewport_height_px: 1000.0,
        fov_y_rad: 1.0,
        max_screen_error_px: 2.0,
        drape: None,
        frustum: Some(&f),
    };
    let mut cut = Vec::new();
    select(&Line, &view, &mut cut);
    assert!(!cut.is_empty());
    for &id in &cut {
        assert!(
            Line.bounds(id).max.x >= 512.0,
            "{id:?} lies behind the camera"
        );
    }
}
