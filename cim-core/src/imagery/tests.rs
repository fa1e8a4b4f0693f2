use std::collections::HashSet;

use glam::DVec3;

use super::*;
use crate::crs::{CrsDef, Transformer};
use crate::imagery::tiles::TileMatrix;

fn bbox(x0: f64, y0: f64, x1: f64, y1: f64) -> Bbox {
    Bbox {
        min: DVec3::new(x0, y0, 0.0),
        max: DVec3::new(x1, y1, 0.0),
    }
}

/// One matrix of 2 × 2 tiles of `px` pixels, `res` units per pixel, from (0, 8·…).
fn small_set(px: u32, res: f64) -> TileMatrixSet {
    TileMatrixSet {
        id: "test".into(),
        crs: CrsDef::Code("EPSG:3857".into()),
        matrices: vec![TileMatrix {
            id: "0".into(),
            resolution: res,
            top_left: (0.0, 2.0 * f64::from(px) * res),
            tile_width: px,
            tile_height: px,
            matrix_width: 2,
            matrix_height: 2,
        }],
    }
}

/// A tile whose texel colour encodes its matrix pixel: r = gx·k, g = gy·k,
/// b = 255 on "black" checkerboard tiles.
fn tile(t: TileId, px: u32, k: u64) -> RgbaImage {
    let mut img = RgbaImage::new(px, px);
    for y in 0..px {
        for x in 0..px {
            let gx = t.col * u64::from(px) + u64::from(x);
            let gy = t.row * u64::from(px) + u64::from(y);
            let b = if (t.col + t.row) % 2 == 1 { 255 } else { 0 };
            img.put_pixel(x, y, [(gx * k) as u8, (gy * k) as u8, b, 255]);
        }
    }
    img
}

fn identity(p: DVec2) -> Option<DVec2> {
    Some(p)
}

#[test]
fn identity_reproduces_the_checkerboard() {
    let tms = small_set(4, 1.0);
    let mut calls = Vec::new();
    let mut fetch = |t: TileId| {
        calls.push(t);
        ((t.col, t.row) != (1, 1)).then(|| tile(t, 4, 30))
    };
    let img = compose(
        bbox(0.0, 0.0, 8.0, 8.0),
        8,
        8,
        &identity,
        &tms,
        0,
        &mut fetch,
    );
    for j in 0..8u32 {
        for i in 0..8u32 {
            let expected = if i >= 4 && j >= 4 {
                [0, 0, 0, 0]
            } else {
                let b = if (i / 4 + j / 4) % 2 == 1 { 255 } else { 0 };
                [(i * 30) as u8, (j * 30) as u8, b, 255]
            };
            assert_eq!(img.pixel(i, j), expected, "pixel ({i}, {j})");
        }
    }
    // Every tile fetched once, the missing one included.
    assert_eq!(calls.len(), 4);
    assert_eq!(calls.iter().collect::<HashSet<_>>().len(), 4);
}

#[test]
fn half_resolution_averages_and_missing_tiles_fade_out() {
    let tms = small_set(4, 1.0);
    let mut fetch = |t: TileId| ((t.col, t.row) != (1, 1)).then(|| tile(t, 4, 30));
    let img = compose(
        bbox(0.0, 0.0, 8.0, 8.0),
        4,
        4,
        &identity,
        &tms,
        0,
        &mut fetch,
    );
    // Pixel centre at matrix x = 2i + 1: the mean of texels 2i and 2i + 1.
    assert_eq!(img.pixel(0, 0), [15, 15, 0, 255]);
    assert_eq!(img.pixel(1, 0), [75, 15, 0, 255]);
    assert_eq!(img.pixel(2, 1), [135, 75, 255, 255]);
    assert_eq!(img.pixel(3, 3), [0, 0, 0, 0]);

    // Half on texel (3, 6), half on the missing tile: its colour, half alpha
    // (premultiplied blending: no darkening).
    let img = compose(
        bbox(3.5, 1.0, 4.5, 2.0),
        1,
        1,
        &identity,
        &tms,
        0,
        &mut fetch,
    );
    assert_eq!(img.pixel(0, 0), [90, 180, 255, 128]);
    // Outside the matrix, or not transformable: transparent.
    let img = compose(
        bbox(9.0, 0.0, 10.0, 1.0),
        1,
        1,
        &identity,
        &tms,
        0,
        &mut fetch,
    );
    assert_eq!(img.pixel(0, 0), [0; 4]);
    let img = compose(
        bbox(0.0, 0.0, 8.0, 8.0),
        3,
        3,
        &|_| None,
        &tms,
        0,
        &mut fetch,
    );
    assert!(img.data.iter().all(|&b| b == 0));
}

#[test]
fn lattice_interpolation_matches_exact_transforms() {
    // 2 × 2 tiles of 64 px over 8 × 8 units; a smooth colour ramp.
    let tms = small_set(64, 0.0625);
    for curvature in [0.02, 0.2] {
        let f = move |p: DVec2| {
            Some(DVec2::new(
                p.x + curvature * p.x * p.x / 8.0,
                p.y - 0.5 * curvature * p.x * p.y / 8.0,
            ))
        };
        let mut fetch = |t: TileId| Some(tile(t, 64, 1));
        let target = bbox(0.0, 0.0, 8.0, 8.0);
        let fast = compose(target, 100, 80, &f, &tms, 0, &mut fetch);
        let exact = compose_with_step(target, 100, 80, &f, &tms, 0, &mut fetch, 1);
        let max_diff = fast
            .data
            .iter()
            .zip(&exact.data)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(
            max_diff <= 1,
            "curvature {curvature}: max difference {max_diff}"
        );
    }
}

#[test]
fn gauss_kruger_scene_over_web_mercator_tiles() {
    let scene = CrsDef::parse("EPSG:4526").unwrap(); // CGCS2000 / 3° GK zone 38, CM 114°E
    let t = Transformer::new(&scene, &CrsDef::parse("EPSG:3857").unwrap()).unwrap();
    // Cross-check with pyproj 3 (PROJ 9), EPSG:4526 → EPSG:3857, always_xy:
    // (38 501 000, 2 500 000) → (12 691 504.574751, 2 583 454.001126)
    // [lon 114.00972538°: 6378137 · 114.00972538 · π/180 = 12 691 504.57 by hand].
    let p0 = t
        .transform(DVec3::new(38_501_000.0, 2_500_000.0, 0.0))
        .unwrap();
    assert!((p0.x - 12_691_504.574_751).abs() < 1e-3, "{p0}");
    assert!((p0.y - 2_583_454.001_126).abs() < 1e-3, "{p0}");

    // A Web Mercator point at pixel (100.25, 60.75) of its z17 tile...
    let wm = TileMatrixSet::web_mercator();
    let m = &wm.matrices[17];
    let span = m.resolution * 256.0;
    let col = ((p0.x - m.top_left.0) / span).floor();
    let row = ((m.top_left.1 - p0.y) / span).floor();
    let q = DVec3::new(
        m.top_left.0 + (col * 256.0 + 100.25) * m.resolution,
        m.top_left.1 - (row * 256.0 + 60.75) * m.resolution,
        0.0,
    );
    // ... and the scene point that lands there.
    let p = t.inverse().unwrap().transform(q).unwrap();
    assert!(t.transform(p).unwrap().truncate().distance(q.truncate()) < 1e-6);

    // 40 × 40 px of 1 m with pixel (20, 20) centred on it (not a lattice point).
    let target = bbox(p.x - 20.5, p.y - 19.5, p.x + 19.5, p.y + 20.5);
    let to_tms = |s: DVec2| {
        t.transform(DVec3::new(s.x, s.y, 0.0))
            .ok()
            .map(|v| v.truncate())
    };
    let matrix = choose_matrix(target, 40, &to_tms, &wm);
    assert_eq!(
        matrix, 17,
        "1 m pixels at 22.6°N ≈ 1.08 Web Mercator m: z17 (1.19 m)"
    );
    let needed: HashSet<TileId> = tiles_needed(target, 40, 40, &to_tms, &wm, 17)
        .into_iter()
        .collect();
    let marker = |t: TileId| (t.col % 251) as u8;
    let mut fetched = HashSet::new();
    let mut fetch = |t: TileId| {
        fetched.insert(t);
        let mut img = RgbaImage::new(256, 256);
        for y in 0..256 {
            for x in 0..256 {
                img.put_pixel(x, y, [x as u8, y as u8, marker(t), 255]);
            }
        }
        Some(img)
    };
    let img = compose(target, 40, 40, &to_tms, &wm, 17, &mut fetch);
    // Bilinear between texel centres: 100.25 − 0.5 → 99.75 ≈ 100, 60.25 ≈ 60.
    let expected_tile = TileId {
        matrix: 17,
        col: col as u64,
        row: row as u64,
    };
    assert_eq!(img.pixel(20, 20), [100, 60, marker(expected_tile), 255]);
    assert!(fetched.contains(&expected_tile));
    assert!(fetched.is_subset(&needed), "{fetched:?} ⊄ {needed:?}");
    // The image is north-up in the scene: one pixel up is ~1 tile px up.
    let [_, g_up, _, _] = img.pixel(20, 19);
    assert!((58..=59).contains(&g_up), "{g_up}");
}

#[test]
fn choose_matrix_for_degrees() {
    let c = TileMatrixSet::cgcs2000_geographic();
    // 0.001° pixels → nearest level is 10 (0.00137°/px).
    let idx = choose_matrix(bbox(120.0, 30.0, 121.0, 31.0), 1000, &identity, &c);
    assert_eq!(c.matrices[idx].id, "10");
    assert_eq!(
        choose_matrix(bbox(0.0, 0.0, 1.0, 1.0), 10, &|_| None, &c),
        0
    );
}
