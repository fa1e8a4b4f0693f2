use super::*;
use crate::tiles::tile_source::{TileSource, TmsRef};
use cim_core::imagery::tiles::TileMatrixSet;
use std::io::Cursor;
use std::path::Path;

const Z: usize = 15;
/// A tile near Zhuhai at z15 (x, y), the north-west of the fixture block.
const X0: u64 = 26_700;
const Y0: u64 = 14_280;

fn colour_of(x: u64, y: u64) -> [u8; 4] {
    [(x % 7 * 30 + 20) as u8, (y % 5 * 40 + 20) as u8, 90, 255]
}

fn write_png(path: &Path, rgba: [u8; 4]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let img = image::RgbaImage::from_pixel(256, 256, image::Rgba(rgba));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    std::fs::write(path, out.into_inner()).unwrap();
}

/// 4 × 4 solid-colour tiles at z15 from (X0, Y0); `skip` are left out.
fn tile_folder(root: &Path, skip: &[(u64, u64)], colour: impl Fn(u64, u64) -> [u8; 4]) {
    for x in X0..X0 + 4 {
        for y in Y0..Y0 + 4 {
            if !skip.contains(&(x, y)) {
                write_png(&root.join(format!("{Z}/{x}/{y}.png")), colour(x, y));
            }
        }
    }
}

fn folder(path: &Path) -> Basemap {
    Basemap::new(TileSource::Folder {
        path: path.to_path_buf(),
        pattern: "{z}/{x}/{y}.png".into(),
        tms: TmsRef::WebMercator,
    })
}

fn opts() -> FetchOptions {
    FetchOptions {
        no_cache: true,
        ..FetchOptions::default()
    }
}

/// The Web Mercator box of tiles x0..x1, y0..y1 at z15.
fn mercator_box(x0: u64, y0: u64, x1: u64, y1: u64) -> Bbox {
    let tms = TileMatrixSet::web_mercator();
    let a = tms.tile_bounds(&TileId {
        matrix: Z,
        col: x0,
        row: y0,
    });
    let b = tms.tile_bounds(&TileId {
        matrix: Z,
        col: x1 - 1,
        row: y1 - 1,
    });
    a.union(&b)
}

#[test]
fn composes_tiles_into_the_scene_crs() {
    let dir = tempfile::tempdir().unwrap();
    tile_folder(dir.path(), &[], colour_of);
    let crs = CrsDef::parse("EPSG:3857").unwrap();
    let (c, errors) = BasemapComposer::open(&crs, &[folder(dir.path())], &opts());
    assert!(errors.is_empty(), "{errors:?}");
    let c = c.unwrap();
    // 2 × 2 tiles onto 512 × 512 pixels: z15 exactly, one tile a quadrant.
    let img = c.compose(mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3), 512, 512);
    assert_eq!(img.pixel(128, 128), colour_of(X0 + 1, Y0 + 1));
    assert_eq!(img.pixel(384, 128), colour_of(X0 + 2, Y0 + 1));
    assert_eq!(img.pixel(128, 384), colour_of(X0 + 1, Y0 + 2));
    assert_eq!(img.pixel(384, 384), colour_of(X0 + 2, Y0 + 2));
    assert_eq!(c.failures(), 0);
}

#[test]
fn a_gauss_kruger_scene_samples_the_tile_under_each_pixel() {
    let dir = tempfile::tempdir().unwrap();
    tile_folder(dir.path(), &[], colour_of);
    // EPSG:4526: CGCS2000 / 3° GK zone 38 (CM 114°E), where the tiles are.
    let scene = CrsDef::parse("EPSG:4526").unwrap();
    let (c, _) = BasemapComposer::open(&scene, &[folder(dir.path())], &opts());
    let c = c.unwrap();
    let to_scene = Transformer::new(&CrsDef::parse("EPSG:3857").unwrap(), &scene).unwrap();
    let centre = mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3).center();
    let p = to_scene.transform(centre).unwrap();
    // 1 km around the block's centre on 256 px (4 m/px; z15 is 4.1 m/px
    // at this latitude).
    let target = Bbox {
        min: p - DVec3::new(500.0, 500.0, 0.0),
        max: p + DVec3::new(500.0, 500.0, 0.0),
    };
    let img = c.compose(target, 256, 256);
    let back = to_scene.inverse().unwrap();
    let tms = TileMatrixSet::web_mercator();
    let m = &tms.matrices[Z];
    let span = m.resolution * 256.0;
    let mut checked = 0;
    for (col, row) in [(20, 20), (230, 30), (128, 128), (40, 220), (210, 200)] {
        let s = DVec3::new(
            target.min.x + (f64::from(col) + 0.5) * 1000.0 / 256.0,
            target.max.y - (f64::from(row) + 0.5) * 1000.0 / 256.0,
            0.0,
        );
        let q = back.transform(s).unwrap();
        let fx = (q.x - m.top_left.0) / span;
        let fy = (m.top_left.1 - q.y) / span;
        // Skip pixels within 2 tile pixels of a tile edge (bilinear blend).
        let edge = |f: f64| (f.fract() * 256.0).min(256.0 - f.fract() * 256.0);
        if edge(fx) < 2.0 || edge(fy) < 2.0 {
            continue;
        }
        assert_eq!(
            img.pixel(col, row),
            colour_of(fx as u64, fy as u64),
            "pixel ({col}, {row})"
        );
        checked += 1;
    }
    assert!(checked >= 3);
}

#[test]
fn missing_and_damaged_tiles_leave_the_ground_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    tile_folder(dir.path(), &[(X0 + 1, Y0 + 1)], colour_of);
    let bad = dir.path().join(format!("{Z}/{}/{}.png", X0 + 2, Y0 + 1));
    std::fs::write(&bad, b"\x89PNG truncated").unwrap();
    let crs = CrsDef::parse("EPSG:3857").unwrap();
    let c = BasemapComposer::open(&crs, &[folder(dir.path())], &opts())
        .0
        .unwrap();
    let img = c.compose(mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3), 512, 512);
    assert_eq!(img.pixel(128, 128), GROUND_RGBA); // missing
    assert_eq!(img.pixel(384, 128), GROUND_RGBA); // damaged
    assert_eq!(img.pixel(384, 384), colour_of(X0 + 2, Y0 + 2));
    assert_eq!(c.failures(), 1);
    let errors = c.take_errors();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains(&format!("{}.png", Y0 + 1)), "{errors:?}");
    assert!(c.take_errors().is_empty());
    // At once again: the missing tile from the memory cache, the damaged
    // one left alone during its back-off: no new failure.
    c.compose(mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3), 512, 512);
    assert_eq!(c.failures(), 1);
    // A failure is not cached for good: once the tile is mended and the
    // back-off is over, it shows.
    write_png(&bad, colour_of(X0 + 2, Y0 + 1));
    c.end_backoff();
    let img = c.compose(mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3), 512, 512);
    assert_eq!(img.pixel(384, 128), colour_of(X0 + 2, Y0 + 1));
    assert_eq!(img.pixel(128, 128), GROUND_RGBA, "still missing");
    assert_eq!(c.failures(), 1);
}

#[test]
fn basemaps_stack_bottom_first_with_opacity() {
    let dir = tempfile::tempdir().unwrap();
    let (under, over) = (dir.path().join("img"), dir.path().join("cia"));
    tile_folder(&under, &[], |_, _| [0, 0, 200, 255]);
    // Annotation-like: only one tile, half transparent red.
    write_png(
        &over.join(format!("{Z}/{}/{}.png", X0 + 1, Y0 + 1)),
        [255, 0, 0, 128],
    );
    let mut top = folder(&over);
    top.opacity = 0.5;
    let mut hidden = folder(&under);
    hidden.visible = false;
    let crs = CrsDef::parse("EPSG:3857").unwrap();
    let (c, errors) = BasemapComposer::open(&crs, &[folder(&under), top, hidden], &opts());
    assert!(errors.is_empty());
    let c = c.unwrap();
    assert_eq!(c.labels(), ["basemap 1", "basemap 2"]);
    let img = c.compose(mercator_box(X0 + 1, Y0 + 1, X0 + 3, Y0 + 3), 512, 512);
    // Red at alpha 128/255 · 0.5 ≈ 0.25 over blue.
    let [r, g, b, a] = img.pixel(100, 100);
    assert!(
        r.abs_diff(64) <= 1 && g == 0 && b.abs_diff(150) <= 1 && a == 255,
        "{r} {g} {b} {a}"
    );
    assert_eq!(img.pixel(400, 400), [0, 0, 200, 255]);
}

#[test]
fn a_basemap_that_cannot_open_is_named_and_the_others_open() {
    let dir = tempfile::tempdir().unwrap();
    tile_folder(dir.path(), &[], colour_of);
    let mut wmts = Basemap::new(TileSource::Wmts {
        url: dir.path().join("nowhere.xml").display().to_string(),
        layer: "img".into(),
        style: String::new(),
        tile_matrix_set: String::new(),
        format: String::new(),
    });
    wmts.name = "天地图".into();
    let crs = CrsDef::parse("EPSG:4526").unwrap();
    let (c, errors) = BasemapComposer::open(&crs, &[wmts, folder(dir.path())], &opts());
    assert_eq!(c.unwrap().labels(), ["basemap 2"]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("天地图") && errors[0].contains("nowhere.xml"),
        "{errors:?}"
    );
    let (none, _) = BasemapComposer::open(&crs, &[], &opts());
    assert!(none.is_none());
}

#[test]
fn lru_forgets_the_oldest_within_its_bytes() {
    let t = |i: u64| {
        (
            0usize,
            TileId {
                matrix: 0,
                col: i,
                row: 0,
            },
        )
    };
    let tile = |side: u32| Arc::new(Some(RgbaImage::new(side, side)));
    // Room for four 256² tiles.
    let mut lru = TileLru::with_budget(4 * (256 * 256 * 4 + ENTRY_OVERHEAD));
    for i in 0..4 {
        lru.put(t(i), tile(256));
    }
    assert!(lru.get(&t(0)).is_some()); // now the newest
    lru.put(t(4), tile(256));
    assert_eq!(lru.entries.len(), 4);
    assert!(lru.get(&t(0)).is_some());
    assert!(lru.get(&t(1)).is_none());
    // One 512² tile weighs four 256² ones: it pushes out all the rest.
    lru.put(t(9), tile(512));
    assert_eq!(lru.entries.len(), 1);
    assert!(lru.bytes <= lru.budget + ENTRY_OVERHEAD);
    // Missing tiles cost next to nothing.
    for i in 100..200 {
        lru.put(t(i), Arc::new(None));
    }
    assert!(lru.bytes <= lru.budget);
}
