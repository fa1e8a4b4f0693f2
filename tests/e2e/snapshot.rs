//! End-to-end: runs the real `cim` binary off-screen (Mesa lavapipe on a
//! CPU-only machine) and checks the images it writes.
//!
//! Built as a test of the `cim-app` package (see app/Cargo.toml) so that
//! cargo builds the binary and hands us its path.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cim"));
    // Keep logs quiet and deterministic.
    c.env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> Output {
    let out = cim().args(args).output().expect("cim runs");
    eprintln!(
        "$ cim {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn snapshot(dir: &Path, name: &str, extra: &[&str]) -> image::RgbaImage {
    let path = dir.join(name);
    let p = path.to_str().unwrap();
    let mut args = vec!["snapshot", "--out", p];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "cim snapshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // To look at the images: CIM_E2E_KEEP=folder keeps a copy of each.
    if let Some(keep) = std::env::var_os("CIM_E2E_KEEP") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&path, Path::new(&keep).join(name));
    }
    image::open(&path).expect("a readable PNG").to_rgba8()
}

/// Share of pixels that differ clearly from the sky colour (the clear
/// colour, hazed by fog towards the horizon).
fn non_background_share(img: &image::RgbaImage) -> f64 {
    let sky = [158i32, 194, 235];
    let n = img
        .pixels()
        .filter(|p| {
            let d: i32 = (0..3).map(|i| (p.0[i] as i32 - sky[i]).abs()).sum();
            d > 60
        })
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

/// A GeoJSON FeatureCollection of `features` (JSON texts) in EPSG:4526,
/// the CGCS2000 zone of the scenes these tests build.
fn feature_collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4526"}}}},"features":[{}]}}"#,
        features.join(",")
    )
}

fn mean_abs_diff(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as i64 - *y as i64).unsigned_abs())
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn demo_city_snapshots_are_sane() {
    let dir = tempfile::tempdir().unwrap();
    let overview = snapshot(
        dir.path(),
        "overview.png",
        &["--width", "640", "--height", "360", "--view", "overview"],
    );
    assert_eq!(overview.dimensions(), (640, 360));
    let share = non_background_share(&overview);
    assert!(
        share > 0.4,
        "only {:.0}% of the overview is not sky",
        share * 100.0
    );

    let cbd = snapshot(
        dir.path(),
        "cbd.png",
        &["--width", "640", "--height", "360", "--view", "cbd"],
    );
    let diff = mean_abs_diff(&overview, &cbd);
    assert!(
        diff > 10.0,
        "two different views gave near-identical images (mean diff {diff:.2})"
    );

    // Tiled rendering stitches into the same picture as one pass.
    let tiled = snapshot(
        dir.path(),
        "tiled.png",
        &[
            "--width",
            "640",
            "--height",
            "360",
            "--view",
            "overview",
            "--tile-size",
            "256",
        ],
    );
    assert_eq!(tiled.dimensions(), (640, 360));
    let d = mean_abs_diff(&overview, &tiled);
    assert!(
        d < 4.0,
        "tiled image differs from the single pass by {d:.2} on average"
    );
}

#[test]
fn odd_sizes_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let img = snapshot(
        dir.path(),
        "odd.png",
        &["--width", "333", "--height", "217", "--view", "top"],
    );
    assert_eq!(img.dimensions(), (333, 217));
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out_png = dir.path().join("x.png");
    let out = out_png.to_str().unwrap();

    let missing = run(&["snapshot", "/no/such/city.geojson", "--out", out]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/city.geojson"));

    let bad_doc = dir.path().join("bad.cim.toml");
    std::fs::write(&bad_doc, "format_version = 1\nname = [unterminated").unwrap();
    let r = run(&["snapshot", bad_doc.to_str().unwrap(), "--out", out]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("bad.cim.toml") && err.contains("not a valid scene document"),
        "{err}"
    );

    let newer = dir.path().join("newer.cim.toml");
    std::fs::write(&newer, "format_version = 99\nname = 'x'").unwrap();
    let r = run(&["snapshot", newer.to_str().unwrap(), "--out", out]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("upgrade"));

    let r = run(&[
        "snapshot", "--out", out, "--view", "nowhere", "--width", "64", "--height", "64",
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("nowhere"));
    assert!(!out_png.exists(), "no image may be written on failure");

    let r = run(&["snapshot", "--out", out, "--width", "0"]);
    assert!(!r.status.success());
}

#[test]
fn a_scene_with_a_missing_layer_renders_the_rest_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("city.cim.toml");
    let text = format!(
        r#"format_version = 1
name = "partial"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]

[[layer]]
name = "buildings"
source = "builtin:demo/buildings"

[[layer]]
name = "gone"
source = "{}/gone.geojson"

[[view]]
name = "v"
eye = [38447500.0, 2466000.0, 900.0]
target = [38448500.0, 2467100.0, 0.0]
"#,
        dir.path().display()
    );
    std::fs::write(&doc, text).unwrap();
    let png = dir.path().join("p.png");
    let r = run(&[
        "snapshot",
        doc.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
        "--width",
        "320",
        "--height",
        "200",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(
        r.status.code(),
        Some(2),
        "a failed layer must be reported in the exit code (2: partial)"
    );
    assert!(err.contains("gone.geojson"), "{err}");
    let img = image::open(&png)
        .expect("the other layers are still rendered")
        .to_rgba8();
    assert!(non_background_share(&img) > 0.05);
}

#[test]
fn bench_flies_a_path_and_reports_stable_keys() {
    let r = run(&[
        "bench", "--path", "orbit", "--frames", "3", "--width", "64", "--height", "48",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("JSON on stdout");
    for key in [
        "width",
        "height",
        "path",
        "load_layers_s",
        "first_frame_s",
        "settled_s",
        "frames",
        "frame_ms_median",
        "frame_ms_p95",
        "frame_ms_p99",
        "frame_ms_max",
        "frame_ms_min",
        "cpu_ms_per_frame",
        "lod_ms_per_frame",
        "upload_ms_per_frame",
        "triangles_median",
        "triangles_max",
        "gpu_mesh_mb",
        "stream_resident_mb",
        "stream_cpu_mb",
        "stream_budget_mb",
        "peak_rss_mb",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["path"], "orbit");
    assert_eq!(v["frames"], 3);
    assert!(v["frame_ms_max"].as_f64() >= v["frame_ms_median"].as_f64());
    // The demo city is drawn: its meshes and terrain tiles are counted.
    assert!(v["triangles_median"].as_u64().unwrap() > 1_000, "{v}");
    assert!(v["gpu_mesh_mb"].as_f64().unwrap() > 0.1, "{v}");
    assert!(v["stream_resident_mb"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["lod_ms_per_frame"].as_f64().unwrap() > 0.0, "{v}");
}

#[test]
fn version_and_help() {
    let v = run(&["--version"]);
    assert!(v.status.success() && String::from_utf8_lossy(&v.stdout).starts_with("cim "));
    for sub in ["snapshot", "inspect", "crs", "bench"] {
        let h = run(&[sub, "--help"]);
        assert!(h.status.success(), "{sub} --help");
    }
}

#[allow(dead_code)]
fn data_dir() -> Option<PathBuf> {
    std::env::var_os("CIM_TEST_DATA")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
}

/// A 1 km ESRI ASCII DEM (50 × 50 cells of 20 m, south-west corner at
/// (38 448 000, 2 466 600) in EPSG:4526) of a Gaussian hill `height` m
/// over a 10 m plain, `spread` cells² wide.
fn hill_dem(path: &Path, height: f64, spread: f64) {
    let mut asc = String::from(
        "ncols 50\nnrows 50\nxllcorner 38448000\nyllcorner 2466600\ncellsize 20\nNODATA_value -9999\n",
    );
    for r in 0..50 {
        let row: Vec<String> = (0..50)
            .map(|c| {
                let (dx, dy) = (c as f64 - 25.0, r as f64 - 25.0);
                format!(
                    "{:.2}",
                    10.0 + height * (-(dx * dx + dy * dy) / spread).exp()
                )
            })
            .collect();
        asc.push_str(&row.join(" "));
        asc.push('\n');
    }
    std::fs::write(path, asc).unwrap();
}

/// Pixels of the magenta used for the test pipes.
fn magenta_share(img: &image::RgbaImage) -> f64 {
    let n = img
        .pixels()
        .filter(|p| p.0[0] > 120 && p.0[2] > 120 && (p.0[1] as i32) < (p.0[0] as i32) / 2)
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

#[test]
fn underground_pipes_show_only_through_a_see_through_ground() {
    let dir = tempfile::tempdir().unwrap();
    // A 1 km DEM (a gentle hill), in the scene CRS.
    hill_dem(&dir.path().join("dem.asc"), 8.0, 400.0);
    // Two crossing mains, 0.8 m across, 2 m deep.
    let pipes = r#"{"type":"FeatureCollection",
      "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},
      "features":[
        {"type":"Feature","properties":{"DN":800},"geometry":{"type":"LineString","coordinates":[[38448100,2467100],[38448900,2467100]]}},
        {"type":"Feature","properties":{"DN":800},"geometry":{"type":"LineString","coordinates":[[38448500,2466700],[38448500,2467500]]}}
      ]}"#;
    std::fs::write(dir.path().join("mains.geojson"), pipes).unwrap();
    let doc = dir.path().join("underground.cim.toml");
    std::fs::write(
        &doc,
        r##"format_version = 1
name = "underground"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]

[[layer]]
name = "dem"
source = "dem.asc"

[[layer]]
name = "mains"
source = "mains.geojson"
kind = "pipes"
[layer.style]
color = "#ff00ff"
width_field = "DN"
depth = 2.0

[[view]]
name = "down"
eye = [38448500.0, 2466900.0, 450.0]
target = [38448500.0, 2467100.0, 0.0]
"##,
    )
    .unwrap();
    let d = doc.to_str().unwrap();
    let size = ["--width", "320", "--height", "200"];
    let mut opaque_args = vec![d];
    opaque_args.extend_from_slice(&size);
    let opaque = snapshot(dir.path(), "opaque.png", &opaque_args);
    let mut clear_args = opaque_args.clone();
    clear_args.extend_from_slice(&["--ground-opacity", "0.2"]);
    let clear = snapshot(dir.path(), "clear.png", &clear_args);
    let (hidden, shown) = (magenta_share(&opaque), magenta_share(&clear));
    assert!(
        hidden < 0.001,
        "pipes must stay under an opaque ground: {hidden}"
    );
    // Two 1–2 px lines across a 320 × 200 image: about 0.3–0.8 %.
    assert!(shown > 0.002, "pipes must show through the ground: {shown}");
    // The terrain itself is drawn (LOD tiles), not just the sky.
    assert!(non_background_share(&opaque) > 0.5);
    let bad = run(&["snapshot", d, "--out", "x.png", "--ground-opacity", "2"]);
    assert!(!bad.status.success());
}

const TILE_RED: [u8; 4] = [210, 40, 40, 255];
const TILE_YELLOW: [u8; 4] = [225, 205, 30, 255];

/// A folder of Web Mercator tiles, z 10–18, covering a scene-CRS box:
/// solid red and yellow in a checkerboard.
fn checker_tiles(root: &Path, scene_crs: &str, min: (f64, f64), max: (f64, f64)) {
    use cim_core::crs::{CrsDef, DVec3, Transformer};
    let t = Transformer::new(
        &CrsDef::parse(scene_crs).unwrap(),
        &CrsDef::parse("EPSG:3857").unwrap(),
    )
    .unwrap();
    let a = t.transform(DVec3::new(min.0, min.1, 0.0)).unwrap();
    let b = t.transform(DVec3::new(max.0, max.1, 0.0)).unwrap();
    const HALF: f64 = 20_037_508.342_789_244;
    let mut encoded: Vec<Vec<u8>> = Vec::new();
    for rgba in [TILE_RED, TILE_YELLOW] {
        let img = image::RgbaImage::from_pixel(256, 256, image::Rgba(rgba));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        encoded.push(out.into_inner());
    }
    for z in 10..=18u32 {
        let span = 2.0 * HALF / f64::from(1u32 << z);
        let col = |x: f64| ((x + HALF) / span).floor() as i64;
        let row = |y: f64| ((HALF - y) / span).floor() as i64;
        for x in col(a.x.min(b.x)) - 1..=col(a.x.max(b.x)) + 1 {
            for y in row(a.y.max(b.y)) - 1..=row(a.y.min(b.y)) + 1 {
                let p = root.join(format!("{z}/{x}/{y}.png"));
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, &encoded[((x + y) % 2) as usize]).unwrap();
            }
        }
    }
}

/// Shares of pixels showing the red and the yellow test tiles (lit).
fn checker_shares(img: &image::RgbaImage) -> (f64, f64) {
    let n = f64::from(img.width() * img.height());
    let (mut red, mut yellow) = (0, 0);
    for p in img.pixels() {
        let [r, g, b, _] = p.0.map(i32::from);
        if r > g + 80 && r > b + 80 {
            red += 1;
        } else if r > 150 && g > 150 && b + 60 < g {
            yellow += 1;
        }
    }
    (f64::from(red) / n, f64::from(yellow) / n)
}

const BASEMAP: &str = r#"
[[basemap]]
name = "checker"
kind = "folder"
path = "tiles"
"#;

#[test]
fn basemap_tiles_drape_the_terrain_and_the_base_plane() {
    let dir = tempfile::tempdir().unwrap();
    checker_tiles(
        &dir.path().join("tiles"),
        "EPSG:4526",
        (38_440_000.0, 2_460_000.0),
        (38_457_000.0, 2_474_000.0),
    );
    // A 1 km DEM with a hill, and a road on its own (no terrain).
    hill_dem(&dir.path().join("dem.asc"), 30.0, 200.0);
    std::fs::write(
        dir.path().join("road.geojson"),
        r#"{"type":"FeatureCollection",
      "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},
      "features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString",
        "coordinates":[[38448100,2467100],[38448900,2467100]]}}]}"#,
    )
    .unwrap();
    let head = |layer: &str| {
        format!(
            r#"format_version = 1
name = "draped"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]

[[layer]]
name = "data"
source = "{layer}"

[[view]]
name = "down"
eye = [38448500.0, 2466500.0, 700.0]
target = [38448500.0, 2467100.0, 0.0]
"#
        )
    };
    let size = ["--width", "320", "--height", "200", "--view", "down"];
    let shot = |name: &str, text: String| {
        let doc = dir.path().join(format!("{name}.cim.toml"));
        std::fs::write(&doc, text).unwrap();
        let mut args = vec![doc.to_str().unwrap().to_owned()];
        args.extend(size.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        snapshot(dir.path(), &format!("{name}.png"), &args)
    };
    let mut plain_dem = None;
    for (layer, tag) in [("dem.asc", "dem"), ("road.geojson", "plane")] {
        let plain = shot(&format!("{tag}-plain"), head(layer));
        let draped = shot(&format!("{tag}-draped"), head(layer) + BASEMAP);
        let (r0, y0) = checker_shares(&plain);
        let (r1, y1) = checker_shares(&draped);
        assert!(r0 + y0 < 0.01, "{layer}: no basemap, no checker: {r0} {y0}");
        // The ground fills most of the view: both colours of the checker
        // show (several tiles), and together most of it.
        assert!(r1 > 0.05 && y1 > 0.05, "{layer}: draped: {r1} {y1}");
        assert!(r1 + y1 > 0.4, "{layer}: draped: {r1} {y1}");
        plain_dem.get_or_insert(plain);
    }
    // A basemap that cannot be opened: the terrain keeps its own colours,
    // and the run says so (exit 2: written, but not all as asked).
    let broken = head("dem.asc")
        + "\n[[basemap]]\nkind = \"wmts\"\nurl = \"missing-capabilities.xml\"\nlayer = \"img\"\n";
    let doc = dir.path().join("broken.cim.toml");
    std::fs::write(&doc, broken).unwrap();
    let png = dir.path().join("broken.png");
    let mut args = vec![doc.to_str().unwrap(), "--out", png.to_str().unwrap()];
    args.extend_from_slice(&size);
    let mut all = vec!["snapshot"];
    all.extend(args);
    let r = run(&all);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("missing-capabilities.xml"), "{err}");
    let img = image::open(&png).unwrap().to_rgba8();
    let diff = mean_abs_diff(&img, &plain_dem.unwrap());
    assert!(diff < 2.0, "{diff}");
}

#[test]
fn point_icons_keep_their_size_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    // A row of 6 points 200 m apart on flat ground.
    let features: Vec<String> = (0..6)
        .map(|i| {
            let (x, y) = (38_448_000 + i * 200, 2_467_100);
            format!(
                r#"{{"type":"Feature","properties":{{"id":{i}}},"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}"#
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("points.geojson"),
        feature_collection(&features),
    )
    .unwrap();
    let doc = dir.path().join("points.cim.toml");
    std::fs::write(
        &doc,
        r##"format_version = 1
name = "points"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]

[[layer]]
name = "sensors"
source = "points.geojson"
kind = "points"
[layer.style]
color = "#ff0000"
label_field = "id"

[[view]]
name = "near"
eye = [38448500.0, 2466100.0, 800.0]
target = [38448500.0, 2467100.0, 0.0]

[[view]]
name = "far"
eye = [38448500.0, 2465100.0, 1600.0]
target = [38448500.0, 2467100.0, 0.0]
"##,
    )
    .unwrap();
    let d = doc.to_str().unwrap();
    let red = |img: &image::RgbaImage| {
        img.pixels()
            .filter(|p| p.0[0] > 150 && (p.0[1] as i32) < 90 && (p.0[2] as i32) < 90)
            .count() as f64
    };
    let size = ["--width", "320", "--height", "200"];
    let mut near_args = vec![d, "--view", "near"];
    near_args.extend_from_slice(&size);
    let mut far_args = vec![d, "--view", "far"];
    far_args.extend_from_slice(&size);
    let near_img = snapshot(dir.path(), "near.png", &near_args);
    let near = red(&near_img);
    let far = red(&snapshot(dir.path(), "far.png", &far_args));
    // Labels are burnt in above the icons (not over them), unless asked not to.
    let mut bare_args = near_args.clone();
    bare_args.push("--no-labels");
    let bare = snapshot(dir.path(), "bare.png", &bare_args);
    if cim_app::ui::fonts::find_cjk_font().is_some() {
        let diff = mean_abs_diff(&near_img, &bare);
        assert!(diff > 0.3, "labels drawn: {diff}");
        assert_eq!(red(&bare), near, "labels keep clear of the icons");
    } else {
        eprintln!("labels not checked: no CJK font installed");
    }
    // 6 icons of 14 px with a red core of about 4 px radius each.
    assert!(near > 6.0 * 20.0, "icons drawn: {near}");
    // Twice as far: a 3D marker would cover a quarter; icons the same.
    let ratio = far / near;
    assert!((0.7..1.4).contains(&ratio), "near {near} far {far}");
    // The layer's opacity applies to its icons (it once did not): at 0.3
    // the red cores blend into the ground and stop reading as pure red.
    let faint = dir.path().join("faint.cim.toml");
    let text = std::fs::read_to_string(&doc)
        .unwrap()
        .replace("kind = \"points\"", "kind = \"points\"\nopacity = 0.3");
    std::fs::write(&faint, text).unwrap();
    let mut faint_args = vec![faint.to_str().unwrap(), "--view", "near", "--no-labels"];
    faint_args.extend_from_slice(&size);
    let faint_img = snapshot(dir.path(), "faint.png", &faint_args);
    let faint_red = red(&faint_img);
    assert!(
        faint_red < near / 4.0,
        "opacity 0.3: {faint_red} red pixels, {near} opaque"
    );
    assert!(
        mean_abs_diff(&faint_img, &bare) > 0.05,
        "the faint icons still show"
    );
}

/// Shares of clearly red and clearly blue pixels in columns `x0..x1`,
/// rows `y0..y1`.
fn red_blue_shares(
    img: &image::RgbaImage,
    (x0, x1): (u32, u32),
    (y0, y1): (u32, u32),
) -> (f64, f64) {
    let (mut red, mut blue, mut n) = (0, 0, 0);
    for y in y0..y1 {
        for x in x0..x1 {
            let [r, _, b, _] = img.get_pixel(x, y).0;
            red += usize::from(r as i32 > b as i32 + 60);
            blue += usize::from(b as i32 > r as i32 + 60);
            n += 1;
        }
    }
    (red as f64 / n as f64, blue as f64 / n as f64)
}

/// Each feature is coloured from the layer's style buffer by its index:
/// 5 000 areas, categorised red (west half) and blue (east half); the
/// easternmost have indices past 4 096, the second row of the index as
/// meshes carry it.
#[test]
fn every_feature_takes_its_own_colour_from_the_style_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let (x0, y0) = (38_448_000.0, 2_466_850.0);
    let mut features = Vec::new();
    // Column by column (west to east), 50 squares of 8 m per 10 m column.
    for col in 0..100 {
        for row in 0..50 {
            let (x, y) = (x0 + col as f64 * 10.0, y0 + row as f64 * 10.0);
            let cls = if col < 50 { "a" } else { "b" };
            features.push(format!(
                r#"{{"type":"Feature","properties":{{"cls":"{cls}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}"#,
                x + 8.0,
                x + 8.0,
                y + 8.0,
                y + 8.0
            ));
        }
    }
    let geojson = feature_collection(&features);
    std::fs::write(dir.path().join("blocks.geojson"), geojson).unwrap();
    let doc = dir.path().join("blocks.cim.toml");
    std::fs::write(
        &doc,
        r##"format_version = 1
name = "blocks"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]

[[layer]]
name = "blocks"
source = "blocks.geojson"
kind = "areas"
[layer.style.theme]
mode = "categorized"
field = "cls"
colors = { a = "#ff0000", b = "#0000ff" }

[[view]]
name = "down"
eye = [38448500.0, 2467099.0, 700.0]
target = [38448500.0, 2467100.0, 0.0]
"##,
    )
    .unwrap();
    let img = snapshot(
        dir.path(),
        "blocks.png",
        &[doc.to_str().unwrap(), "--width", "400", "--height", "200"],
    );
    // Straight down from 700 m, 45° high: the image spans about 1 160 m
    // east–west, so the block (1 000 m) sits in columns ~28–372.
    let rows = (70, 130);
    let west = red_blue_shares(&img, (50, 180), rows);
    let east = red_blue_shares(&img, (215, 300), rows);
    let far_east = red_blue_shares(&img, (330, 365), rows);
    assert!(west.0 > 0.4 && west.1 < 0.02, "west half red: {west:?}");
    assert!(east.1 > 0.4 && east.0 < 0.02, "east half blue: {east:?}");
    assert!(
        far_east.1 > 0.4 && far_east.0 < 0.02,
        "indices past 4 096 blue too: {far_east:?}"
    );
}

/// A style `filter` hides the features it does not match — and their
/// shadows: a scene of two towers where the filter drops one renders like
/// the scene of the other tower alone.
#[test]
fn a_filter_hides_features_and_their_shadows() {
    let dir = tempfile::tempdir().unwrap();
    let tower = |x: f64, h: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"h":{h}}},"geometry":{{"type":"Polygon","coordinates":[[[{x},2467080],[{},2467080],[{},2467120],[{x},2467120],[{x},2467080]]]}}}}"#,
            x + 40.0,
            x + 40.0
        )
    };
    let write = |name: &str, features: &[String]| {
        let g = feature_collection(features);
        std::fs::write(dir.path().join(name), g).unwrap();
    };
    write(
        "both.geojson",
        &[tower(38_448_400.0, 120.0), tower(38_448_560.0, 30.0)],
    );
    write("short.geojson", &[tower(38_448_560.0, 30.0)]);
    let doc = |name: &str, source: &str, filter: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r##"format_version = 1
name = "towers"
crs = "EPSG:4526"
origin = [38448500.0, 2467100.0, 0.0]
clock = {{ current = 1718953200.0, start = 1718899200.0, end = 1718985600.0 }}

[[layer]]
name = "towers"
source = "{source}"
kind = "buildings"
[layer.style]
height_field = "h"
color = "#d04040"
{filter}

[[view]]
name = "oblique"
eye = [38448500.0, 2466850.0, 260.0]
target = [38448500.0, 2467100.0, 0.0]
"##
            ),
        )
        .unwrap();
        path
    };
    let size = ["--width", "320", "--height", "200"];
    let shot = |name: &str, doc: &Path| {
        let mut args = vec![doc.to_str().unwrap()];
        args.extend_from_slice(&size);
        snapshot(dir.path(), name, &args)
    };
    let all = shot("all.png", &doc("all.cim.toml", "both.geojson", ""));
    let filtered = shot(
        "filtered.png",
        &doc("filtered.cim.toml", "both.geojson", r#"filter = "h < 100""#),
    );
    let alone = shot("alone.png", &doc("alone.cim.toml", "short.geojson", ""));
    // The tall tower (and its shadow) make a clear difference …
    let with_tall = mean_abs_diff(&all, &alone);
    assert!(with_tall > 2.0, "the tall tower shows: {with_tall}");
    // … which the filter removes, shadow included.
    let left = mean_abs_diff(&filtered, &alone);
    assert!(
        left < 0.2,
        "filtered ≈ the short tower alone: {left} (unfiltered {with_tall})"
    );
}

/// `cim inspect FILE.osgb --json [--deep]`: the file's own counts and its
/// PagedLOD child files; `--deep` adds the child files on disk, and one
/// that cannot be read is an error of that file only (exit 2: partial).
#[test]
fn inspect_counts_an_osgb_file_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loaders/fuzz/corpus/osgb");
    let path = dir.path().join("a.osgb");
    std::fs::copy(corpus.join("seed-group-plain"), &path).unwrap();
    let child = dir.path().join("Tile_L2_0.osgb");
    std::fs::copy(corpus.join("seed-zlib"), &child).unwrap();
    let json = |args: &[&str]| {
        let out = run(args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        (out, v["layers"][0].clone())
    };
    let (out, l) = json(&["inspect", "--json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(l["format"], "OSGB");
    assert_eq!(l["name"], "a");
    for (key, want) in [
        ("vertex_count", 8),
        ("triangle_count", 6),
        ("texture_count", 1),
    ] {
        assert_eq!(l[key], want, "{key}");
    }
    assert_eq!(
        l["paged_lod_children"],
        serde_json::json!(["Tile_L2_0.osgb"])
    );
    assert!(l.get("deep").is_none());
    let (out, l) = json(&["inspect", "--json", "--deep", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(l["deep"]["file_count"], 2);
    assert_eq!(l["deep"]["triangle_count"], 6 + 2);
    assert_eq!(l["deep"]["max_depth"], 1);
    let bytes = std::fs::read(&child).unwrap();
    std::fs::write(&child, &bytes[..bytes.len() / 2]).unwrap();
    let (out, l) = json(&["inspect", "--json", "--deep", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "partial: a child file is corrupt"
    );
    assert_eq!(l["errors"][0]["uri"], "Tile_L2_0.osgb");
    assert_eq!(l["deep"]["file_count"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Tile_L2_0.osgb"));
}

/// `cim inspect TILESET --json --deep`: the tree's counts, the contents'
/// counts, and a missing tile as an error of that tile only (exit 2:
/// partial).
#[test]
fn inspect_counts_a_tileset_and_names_a_missing_tile() {
    let dir = tempfile::tempdir().unwrap();
    let seed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../loaders/fuzz/corpus/b3dm/seed-triangle");
    std::fs::copy(&seed, dir.path().join("a.b3dm")).unwrap();
    let child = |uri: &str| {
        format!(
            r#"{{"boundingVolume":{{"sphere":[0,0,0,5]}},"geometricError":0,"content":{{"uri":"{uri}"}}}}"#
        )
    };
    let tileset = format!(
        r#"{{"asset":{{"version":"1.0"}},"geometricError":10,"root":{{"boundingVolume":{{"sphere":[0,0,0,10]}},
            "geometricError":5,"refine":"REPLACE","children":[{},{}]}}}}"#,
        child("a.b3dm"),
        child("missing.b3dm")
    );
    let path = dir.path().join("tileset.json");
    std::fs::write(&path, tileset).unwrap();
    let out = run(&["inspect", "--json", "--deep", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "partial: one tile is missing");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let l = &v["layers"][0];
    assert_eq!(l["format"], "3D Tiles");
    for (key, want) in [
        ("tile_count", 3),
        ("content_count", 2),
        ("max_depth", 1),
        ("triangle_count", 1),
        ("feature_count", 2),
    ] {
        assert_eq!(l[key], want, "{key}");
    }
    assert_eq!(l["refine"], "REPLACE");
    let errors = l["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["uri"], "missing.b3dm");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.b3dm"));
    // Without --deep the content counts are left out.
    let out = run(&["inspect", "--json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["layers"][0].get("triangle_count").is_none());
    assert_eq!(out.status.code(), Some(0));
}
