//! `cim flood run` end to end: a generated valley with a building block,
//! rain and an inflow; the documented outputs, their georeferencing, the
//! volume balance against the rain and inflow put in; bad scenarios.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A 60 × 40 valley of 5 m cells draining west, its floor along the
/// middle row, with a 5 × 6-cell block standing in it.
fn valley(dir: &Path) {
    let (nx, ny) = (60, 40);
    let mut text = format!(
        "ncols {nx}\nnrows {ny}\nxllcorner 500000\nyllcorner 2500000\ncellsize 5\nNODATA_value -9999\n"
    );
    for r in 0..ny {
        let y = (ny - 1 - r) as f64;
        let row: Vec<String> = (0..nx)
            .map(|i| {
                let block = (25..30).contains(&i) && (17..23).contains(&(y as i32));
                let z = if block {
                    30.0
                } else {
                    10.0 + 0.02 * i as f64 + 0.004 * (y - 20.0).powi(2)
                };
                format!("{z:.3}")
            })
            .collect();
        text.push_str(&row.join(" "));
        text.push('\n');
    }
    std::fs::write(dir.join("dem.asc"), text).unwrap();
}

const SCENARIO: &str = r#"
[grid]
dem = "dem.asc"
[friction]
manning = 0.035
[boundary]
type = "closed"
[rain]
series = [[0, 50.0], [600, 0.0]]
[[inflow]]
x = 500280.0
y = 2500100.0
series = [[0, 0.0], [300, 2.0], [600, 0.0]]
[run]
duration_s = 1200
output_every_s = 400
backend = "auto"
"#;

fn cim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cim"))
        .args(["flood", "run"])
        .args(args)
        .output()
        .expect("cim runs")
}

/// Runs the valley scenario in `dir` with `sections` added before `[run]`;
/// returns the results folder.
fn run_with(dir: &Path, name: &str, sections: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        SCENARIO.replace("[run]", &format!("{sections}\n[run]")),
    )
    .unwrap();
    let out = dir.join(name);
    let r = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    out
}

fn grid(path: &Path) -> cim_core::Grid {
    cim_loaders::load_path(path).unwrap()[0]
        .grid()
        .unwrap()
        .clone()
}

#[test]
fn a_scenario_writes_the_documented_results_and_keeps_its_water() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let run = cim(&[scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for name in [
        "depth_400.asc",
        "depth_800.asc",
        "depth_1200.asc",
        "max_depth.asc",
        "arrival_time.asc",
        "max_velocity.asc",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "backend",
            "cells",
            "steps",
            "simulated_s",
            "wall_s",
            "volume_in_m3",
            "volume_out_m3",
            "volume_final_m3",
            "mass_error_rel",
            "volume_infiltrated_m3",
            "volume_drained_m3"
        ]
    );
    assert_eq!(summary["backend"], "cpu");
    assert_eq!(summary["cells"], 2400);
    assert_eq!(summary["simulated_s"], 1200.0);
    // 50 mm/h for 10 minutes on 60 × 40 cells of 25 m², and a triangle
    // of inflow peaking at 2 m³/s over 600 s.
    let rain = 0.05 / 6.0 * 2400.0 * 25.0;
    let inflow = 0.5 * 600.0 * 2.0;
    let v_in = summary["volume_in_m3"].as_f64().unwrap();
    assert!(
        (v_in - (rain + inflow)).abs() / (rain + inflow) < 2e-3,
        "{v_in}"
    );
    assert_eq!(summary["volume_out_m3"], 0.0, "closed");
    let final_m3 = summary["volume_final_m3"].as_f64().unwrap();
    assert!((final_m3 - v_in).abs() / v_in < 1e-4);
    assert!(summary["mass_error_rel"].as_f64().unwrap() < 1e-4);

    // On the DEM's grid; the block stays all but dry, the valley floor is wetter
    // than its sides, the water gathers at the low (west) end.
    let (dem, max) = (
        grid(&dir.path().join("dem.asc")),
        grid(&out.join("max_depth.asc")),
    );
    assert_eq!((max.x0, max.y0, max.dx), (dem.x0, dem.y0, dem.dx));
    let at = |col: usize, y: usize| max.get(col, 39 - y).unwrap();
    // Rain falls on the block's roof too, and runs off it.
    assert!(at(27, 20) < 0.01, "the block's roof: {}", at(27, 20));
    assert!(at(24, 20) > 0.05, "beside it: {}", at(24, 20));
    assert!(
        at(5, 20) > at(5, 2),
        "floor {} side {}",
        at(5, 20),
        at(5, 2)
    );
    assert!(
        at(1, 20) > at(50, 20),
        "west end {} east {}",
        at(1, 20),
        at(50, 20)
    );
    let arrival = grid(&out.join("arrival_time.asc"));
    assert_eq!(arrival.get(27, 19), None, "never reached: nodata");
}

#[test]
fn bad_scenarios_are_errors_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    let out = dir.path().join("out");
    for (name, text, want) in [
        (
            "typo.toml",
            SCENARIO.replace("[run]", "[run]\nspeed = 2"),
            "unknown field",
        ),
        (
            "nodem.toml",
            SCENARIO.replace("dem.asc", "missing.asc"),
            "missing.asc",
        ),
        (
            "outside.toml",
            SCENARIO.replace("x = 500280.0", "x = 400000.0"),
            "[[inflow]] 1 at (400000, 2500100) is not on the DEM",
        ),
        (
            "tpu.toml",
            SCENARIO.replace("backend = \"auto\"", "backend = \"tpu\""),
            "unknown variant `tpu`",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let run = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{name}");
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (a DEM in degrees)"
)]
fn a_dem_in_degrees_is_refused() {
    let data = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA");
    let dem = Path::new(&data).join("gis/dem/pysheds-dem.tif");
    assert!(dem.is_file(), "{}: missing", dem.display());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    let text = SCENARIO.replace("dem.asc", &dem.to_string_lossy()).replace(
        "[[inflow]]\nx = 500280.0\ny = 2500100.0\nseries = [[0, 0.0], [300, 2.0], [600, 0.0]]\n",
        "",
    );
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("out");
    let run = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && err.contains("in degrees"), "{err}");
}

#[test]
fn building_footprints_part_the_water_and_land_use_slows_it() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    // A footprint on the valley floor east of the block (cells 40–44 ×
    // 18–21), and a rough meadow (n = 0.3) over the floor's west end.
    let square = |x0: f64, y0: f64, x1: f64, y1: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
        )
    };
    let collection = |f: String| format!(r#"{{"type":"FeatureCollection","features":[{f}]}}"#);
    std::fs::write(
        dir.path().join("buildings.geojson"),
        collection(square(500200.0, 2500090.0, 500225.0, 2500110.0)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("meadow.geojson"),
        collection(square(500000.0, 2500000.0, 500050.0, 2500200.0)),
    )
    .unwrap();
    let run = |name: &str, city: &str| -> (cim_core::Grid, cim_core::Grid) {
        let out = run_with(dir.path(), name, city);
        (
            grid(&out.join("max_depth.asc")),
            grid(&out.join("max_velocity.asc")),
        )
    };
    let (bare_depth, bare_speed) = run("bare", "");
    let (depth, speed) = run(
        "city",
        "[city]\nbuildings = \"buildings.geojson\"\n[[city.friction]]\nlayer = \"meadow.geojson\"\nmanning = 0.3",
    );
    let at = |g: &cim_core::Grid, col: usize, y: usize| g.get(col, 39 - y).unwrap();
    // The building's cells: wet without it, all but dry with it (its
    // roof's rain runs off).
    assert!(
        at(&bare_depth, 42, 20) > 0.05,
        "{}",
        at(&bare_depth, 42, 20)
    );
    assert!(at(&depth, 42, 20) < 0.01, "{}", at(&depth, 42, 20));
    // The meadow slows the water on the floor's west end.
    assert!(
        at(&speed, 5, 20) < 0.5 * at(&bare_speed, 5, 20),
        "{} vs {}",
        at(&speed, 5, 20),
        at(&bare_speed, 5, 20)
    );
}

#[test]
fn infiltration_is_counted_out_of_the_water() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    let summary = |name: &str, extra: &str| -> Value {
        let out = run_with(dir.path(), name, extra);
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    let bare = summary("bare", "");
    assert_eq!(bare["volume_infiltrated_m3"], 0.0);
    for (name, law) in [
        ("rate", "[infiltration]\nrate_mm_h = 20.0"),
        (
            "ga",
            "[infiltration]\ngreen_ampt = { Ks_mm_h = 10.0, psi_mm = 110.0, delta_theta = 0.3 }",
        ),
    ] {
        let s = summary(name, law);
        let f = |k: &str| s[k].as_f64().unwrap();
        assert!(f("volume_infiltrated_m3") > 100.0, "{name}: {s}");
        assert!(f("volume_final_m3") < bare["volume_final_m3"].as_f64().unwrap());
        assert!(f("mass_error_rel") < 1e-4, "{name}: {s}");
    }
}

/// The valley scenario on one backend; its results folder and summary.
fn run_on(dir: &Path, backend: &str) -> (PathBuf, Value) {
    let path = dir.join(format!("{backend}.toml"));
    let text = SCENARIO.replace("backend = \"auto\"", &format!("backend = \"{backend}\""));
    std::fs::write(&path, text).unwrap();
    let out = dir.join(backend);
    let r = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (out, serde_json::from_str(&summary).unwrap())
}

/// `backend = "gpu"` runs on any adapter — lavapipe here and in CI — and
/// writes what the CPU writes, to 1e-4 of the peak depth.
#[test]
fn the_gpu_backend_writes_what_the_cpu_writes() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    let (cpu, cpu_summary) = run_on(dir.path(), "cpu");
    let (gpu, gpu_summary) = run_on(dir.path(), "gpu");
    assert_eq!(cpu_summary["backend"], "cpu");
    assert_eq!(gpu_summary["backend"], "gpu");
    assert_eq!(cpu_summary["steps"], gpu_summary["steps"]);
    assert!(gpu_summary["mass_error_rel"].as_f64().unwrap() < 1e-4);
    let v = |s: &Value| s["volume_in_m3"].as_f64().unwrap();
    assert!((v(&cpu_summary) - v(&gpu_summary)).abs() < 1e-4 * v(&cpu_summary));
    let peak = grid(&cpu.join("max_depth.asc"))
        .min_max()
        .map(|(_, top)| top)
        .unwrap();
    assert!(peak > 0.1, "{peak}");
    for name in ["depth_400.asc", "depth_1200.asc", "max_depth.asc"] {
        let (a, b) = (grid(&cpu.join(name)), grid(&gpu.join(name)));
        let worst = a
            .data
            .iter()
            .zip(&b.data)
            .filter(|(x, y)| x.is_finite() || y.is_finite())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-4 * peak,
            "{name}: {worst} m apart, peak {peak} m"
        );
    }
}

#[test]
fn drains_and_inlets_take_water_away_and_it_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    let summary = |name: &str, extra: &str| -> Value {
        let out = run_with(dir.path(), name, extra);
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    // Two inlets on the valley floor (row 20), one taking 50 L/s by its
    // field, one the default 20 L/s; one off the DEM.
    let inlet = |x: f64, cap: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{"cap":{cap}}},"geometry":{{"type":"Point","coordinates":[{x},2500102.5]}}}}"#
        )
    };
    std::fs::write(
        dir.path().join("inlets.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
            inlet(500052.5, "50"),
            inlet(500152.5, "null"),
            inlet(600000.0, "10")
        ),
    )
    .unwrap();
    let bare = summary("bare", "");
    assert_eq!(bare["volume_drained_m3"], 0.0);
    let f = |s: &Value, k: &str| s[k].as_f64().unwrap();
    for (name, drainage, most) in [
        // 20 mm/h over the valley's 60 000 m² for 1 200 s.
        (
            "network",
            "[drainage]\nrate_mm_h = 20.0",
            0.02 * 60_000.0 / 3.0,
        ),
        // 70 L/s for 1 200 s.
        (
            "inlets",
            "[drainage]\ninlets = \"inlets.geojson\"\ncapacity_field = \"cap\"",
            0.07 * 1200.0,
        ),
    ] {
        let s = summary(name, drainage);
        let drained = f(&s, "volume_drained_m3");
        assert!(drained > 50.0 && drained <= most + 1e-3, "{name}: {s}");
        let kept = f(&bare, "volume_final_m3") - f(&s, "volume_final_m3");
        assert!((kept - drained).abs() < 1e-3 * drained, "{name}: {s}");
        assert!(f(&s, "mass_error_rel") < 1e-4, "{name}: {s}");
    }
}

/// The valley as a scene: its DEM as terrain, two buildings (one on the
/// floor near the west end, where the water gathers; one up the north
/// side), a view from the south; `[flood]` naming the valley scenario (on
/// the GPU: the view's own device) or not.
fn valley_scene(dir: &Path, flood: bool) -> PathBuf {
    valley(dir);
    let on_gpu = SCENARIO.replace("backend = \"auto\"", "backend = \"gpu\"");
    std::fs::write(dir.join("s.toml"), on_gpu).unwrap();
    let square = |x: f64, y: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"h":12}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}"#,
            x + 25.0,
            x + 25.0,
            y + 20.0,
            y + 20.0
        )
    };
    std::fs::write(
        dir.join("buildings.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:4547"}}}},"features":[{},{}]}}"#,
            square(500020.0, 2500090.0),
            square(500150.0, 2500170.0)
        ),
    )
    .unwrap();
    let doc = dir.join(if flood {
        "flood.cim.toml"
    } else {
        "dry.cim.toml"
    });
    let section = if flood {
        "[flood]\nscenario = \"s.toml\"\nthreshold_m = 0.1\n"
    } else {
        ""
    };
    std::fs::write(
        &doc,
        format!(
            r##"format_version = 1
name = "valley"
crs = "EPSG:4547"
origin = [500150.0, 2500100.0, 0.0]

[[layer]]
name = "terrain"
source = "dem.asc"
kind = "terrain"

[[layer]]
name = "buildings"
source = "buildings.geojson"
kind = "buildings"
[layer.style]
height_field = "h"
color = "#c8c0b0"

{section}
[[view]]
name = "south"
eye = [500150.0, 2499850.0, 260.0]
target = [500150.0, 2500100.0, 0.0]
"##
        ),
    )
    .unwrap();
    doc
}

/// The image, and what `cim` said.
fn snapshot(doc: &Path, png: &Path) -> (image::RgbaImage, String) {
    let r = Command::new(env!("CARGO_BIN_EXE_cim"))
        .args([
            "snapshot",
            doc.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ])
        .args(["--width", "320", "--height", "200"])
        .output()
        .expect("cim runs");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    if let Some(keep) = std::env::var_os("CIM_E2E_KEEP") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(png, Path::new(&keep).join(png.file_name().unwrap()));
    }
    let said = String::from_utf8_lossy(&r.stderr).into_owned();
    (image::open(png).unwrap().to_rgba8(), said)
}

/// A scene document naming a scenario: the snapshot waits for the run (on
/// the GPU that draws the view: lavapipe here) and shows its water, blue
/// over the valley floor, and the building standing in it in the alert
/// colour; the same scene without it shows neither.
#[test]
fn a_scene_naming_a_scenario_shows_its_water_and_flooded_buildings() {
    let dir = tempfile::tempdir().unwrap();
    let flood_doc = valley_scene(dir.path(), true);
    let (wet, said) = snapshot(&flood_doc, &dir.path().join("flood.png"));
    assert!(
        said.contains("flood on the GPU") && said.contains("the view's device"),
        "{said}"
    );
    let dry_doc = valley_scene(dir.path(), false);
    let (dry, _) = snapshot(&dry_doc, &dir.path().join("dry.png"));
    let (mut water, mut alert, mut alert_dry) = (0, 0, 0);
    for (w, d) in wet.pixels().zip(dry.pixels()) {
        let [r, g, b, _] = w.0.map(i32::from);
        let changed: i32 = (0..3).map(|k| (w.0[k] as i32 - d.0[k] as i32).abs()).sum();
        if changed > 40 && b > r + 30 && b >= g {
            water += 1;
        }
        // The alert colour (feature_style.wgsl: red, lit).
        let red = |[r, g, b]: [i32; 3]| r > 150 && r > g + 50 && r > b + 50;
        alert += red([r, g, b]) as usize;
        alert_dry += red(d.0.map(i32::from)[..3].try_into().unwrap()) as usize;
    }
    let share = water as f64 / (320.0 * 200.0);
    assert!(share > 0.02, "water on {:.1} % of the image", 100.0 * share);
    assert!(alert > 20, "{alert} alert pixels");
    assert_eq!(alert_dry, 0, "nothing flagged without the flood");
}

/// Rain rasters (radar rainfall): each cell gets its own rate, each raster
/// held until the next; what fell is counted cell by cell.
#[test]
fn rain_rasters_fall_where_they_say() {
    let dir = tempfile::tempdir().unwrap();
    valley(dir.path());
    // 60 mm/h on the valley's west half for 5 minutes, then 30 mm/h on its
    // east half for 5 minutes, then dry.
    let raster = |name: &str, west: f64, east: f64| {
        let mut text = String::from(
            "ncols 60\nnrows 40\nxllcorner 500000\nyllcorner 2500000\ncellsize 5\nNODATA_value -9999\n",
        );
        for _ in 0..40 {
            let row: Vec<String> = (0..60)
                .map(|i| format!("{}", if i < 30 { west } else { east }))
                .collect();
            text.push_str(&row.join(" "));
            text.push('\n');
        }
        std::fs::write(dir.path().join(name), text).unwrap();
    };
    raster("r0.asc", 60.0, 0.0);
    raster("r1.asc", 0.0, 30.0);
    let text = SCENARIO
        .replace(
            "series = [[0, 50.0], [600, 0.0]]",
            r#"rasters = [[0, "r0.asc"], [300, "r1.asc"], [600, ""]]"#,
        )
        .replace(
            "[[inflow]]\nx = 500280.0\ny = 2500100.0\nseries = [[0, 0.0], [300, 2.0], [600, 0.0]]\n",
            "",
        );
    let path = dir.path().join("radar.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("radar");
    let r = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // 5 mm on 1 200 cells of 25 m², then 2.5 mm on the other 1 200.
    let want = (0.005 + 0.0025) * 1200.0 * 25.0;
    let v_in = summary["volume_in_m3"].as_f64().unwrap();
    assert!((v_in - want).abs() < 1e-4 * want, "{v_in} vs {want}");
    assert!(summary["mass_error_rel"].as_f64().unwrap() < 1e-4);

    // A negative rate is refused, naming the raster.
    raster("bad.asc", -5.0, 0.0);
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("r1.asc", "bad.asc"),
    )
    .unwrap();
    let r = cim(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains("bad.asc") && err.contains("-5"),
        "{err}"
    );
}
