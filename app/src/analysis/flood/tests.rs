//! The plugin in a Bevy app without a GPU: a scene document naming a
//! scenario over a small valley with two buildings, one on its floor.

use super::*;
use crate::render::feature_style::FeatureStyles;
use cim_core::DVec2;
use std::path::Path;
use std::time::{Duration, Instant};

/// A 40 × 30 valley of 5 m cells draining west (floor along row 15),
/// a building on the floor and one up the side, rain and an inflow.
fn write_scene(dir: &Path) -> PathBuf {
    let (nx, ny) = (40, 30);
    let mut dem = format!(
        "ncols {nx}\nnrows {ny}\nxllcorner 500000\nyllcorner 2500000\ncellsize 5\nNODATA_value -9999\n"
    );
    for r in 0..ny {
        let j = (ny - 1 - r) as f64;
        let row: Vec<String> = (0..nx)
            .map(|i| format!("{:.3}", 10.0 + 0.02 * i as f64 + 0.01 * (j - 15.0).powi(2)))
            .collect();
        dem.push_str(&row.join(" "));
        dem.push('\n');
    }
    std::fs::write(dir.join("dem.asc"), dem).unwrap();
    let square = |x: f64, y: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"h":10}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}"#,
            x + 20.0,
            x + 20.0,
            y + 20.0,
            y + 20.0
        )
    };
    std::fs::write(
        dir.join("buildings.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:4547"}}}},"features":[{},{}]}}"#,
            square(500030.0, 2500065.0),
            square(500100.0, 2500125.0)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("s.toml"),
        r#"[grid]
dem = "dem.asc"
[friction]
manning = 0.035
[rain]
series = [[0, 60.0], [600, 0.0]]
[[inflow]]
x = 500190.0
y = 2500077.0
series = [[0, 3.0], [900, 3.0]]
[city]
buildings = "buildings.geojson"
[run]
duration_s = 900
output_every_s = 300
backend = "cpu"
"#,
    )
    .unwrap();
    let doc = dir.join("scene.cim.toml");
    std::fs::write(
        &doc,
        r#"format_version = 1
name = "valley"
crs = "EPSG:4547"
origin = [500100.0, 2500075.0, 0.0]

[[layer]]
name = "buildings"
source = "buildings.geojson"
kind = "buildings"

[flood]
scenario = "s.toml"
threshold_m = 0.1
"#,
    )
    .unwrap();
    doc
}

fn valley_app(dir: &Path) -> (App, u64) {
    let doc = write_scene(dir);
    let mut store = SceneStore::new(crate::scene::load::open_inputs(&[doc]).unwrap());
    store.load_all_blocking();
    let id = store.layers[0].id;
    let mut app = crate::analysis::test_app::styled_app();
    app.init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .add_plugins(FloodPlugin);
    crate::analysis::test_app::style_layers(&mut app, &[(id, 2)]);
    app.world_mut().insert_resource(store);
    (app, id)
}

fn until(app: &mut App, done: impl Fn(&Flood) -> bool) {
    let start = Instant::now();
    while !done(app.world().resource::<Flood>()) {
        assert!(start.elapsed() < Duration::from_secs(60), "no result");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    app.update();
}

/// The water mesh's vertices: 4 a wet cell, 7 an arrow.
fn water_vertices(app: &mut App) -> usize {
    let world = app.world_mut();
    let handles: Vec<Handle<Mesh>> = world
        .query_filtered::<&Mesh3d, With<WaterSurface>>()
        .iter(world)
        .map(|m| m.0.clone())
        .collect();
    let meshes = world.resource::<Assets<Mesh>>();
    handles
        .iter()
        .map(|h| meshes.get(h).unwrap().count_vertices())
        .sum()
}

#[test]
fn the_documents_scenario_runs_and_its_water_and_flooded_buildings_show() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, layer) = valley_app(dir.path());
    until(&mut app, |f| f.summary.is_some());
    let f = app.world().resource::<Flood>();
    let times: Vec<f64> = f.frames.iter().map(|f| f.time_s).collect();
    assert_eq!(times, [300.0, 600.0, 900.0]);
    assert_eq!(f.shown, Some(2), "following the run");
    let summary = f.summary.as_ref().unwrap();
    assert!(summary.mass_error_rel < 1e-4, "{summary:?}");
    assert_eq!(f.threshold_m, 0.1, "the document's threshold");
    let wet = f.frames[2]
        .depth
        .iter()
        .filter(|&&h| h >= SHOWN_DEPTH_M)
        .count();
    assert!(wet > 50, "{wet} wet cells");
    // The building on the valley floor stands in water, the one up the
    // side does not.
    let flooded: Vec<u32> = f.flooded.iter().map(|b| b.feature).collect();
    assert_eq!(flooded, [0], "{:?}", f.flooded);
    assert!(f.flooded[0].max_m >= f.flooded[0].depth_m);
    let styles = app.world().resource::<FeatureStyles>();
    assert_eq!(styles.flags(layer, 0).unwrap() & ALERT, ALERT);
    assert_eq!(styles.flags(layer, 1).unwrap() & ALERT, 0);
    let arrows = f.frames[2].arrows.clone();
    assert!(!arrows.is_empty());
    // The inflow at the east end runs west down the valley.
    let west = arrows.iter().filter(|a| a.velocity.x < 0.0).count();
    assert!(2 * west > arrows.len(), "{arrows:?}");
    assert_eq!(water_vertices(&mut app), 4 * wet + 7 * arrows.len());
    app.world_mut()
        .write_message(FloodViewCommand::Arrows(false));
    until(&mut app, |f| f.settled());
    assert_eq!(water_vertices(&mut app), 4 * wet, "a quad per wet cell");

    // An earlier output: less water, drawn in its place.
    app.world_mut().write_message(FloodViewCommand::Show(0));
    until(&mut app, |f| f.settled());
    let early = water_vertices(&mut app) / 4;
    assert!(early > 0 && early < wet, "{early} then {wet}");
    assert!(!app.world().resource::<Flood>().following);

    // A probe on the floor: its depth over the three outputs.
    let floor = DVec3::new(500012.5, 2500077.5, 10.0);
    app.world_mut()
        .write_message(FloodViewCommand::Probe(floor));
    app.update();
    let f = app.world().resource::<Flood>();
    assert_eq!(f.probe.unwrap().cell, 15 * 40 + 2);
    let series = f.probe_series();
    assert_eq!(series.len(), 3);
    assert!(series.iter().all(|s| s.1 > 0.05), "{series:?}");

    // A threshold above every depth flags nothing.
    app.world_mut()
        .write_message(FloodViewCommand::Threshold(50.0));
    app.update();
    app.update();
    assert!(app.world().resource::<Flood>().flooded.is_empty());
    let styles = app.world().resource::<FeatureStyles>();
    assert_eq!(styles.flags(layer, 0).unwrap() & ALERT, 0);
}

#[test]
fn a_stopped_run_keeps_what_arrived_and_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = valley_app(dir.path());
    until(&mut app, |f| f.summary.is_some());
    // The same scenario, longer, outputs every 30 s: stopped after the
    // first arrives.
    let long = dir.path().join("long.toml");
    let text = std::fs::read_to_string(dir.path().join("s.toml"))
        .unwrap()
        .replace("duration_s = 900", "duration_s = 90000")
        .replace("output_every_s = 300", "output_every_s = 30");
    std::fs::write(&long, text).unwrap();
    app.world_mut().write_message(FloodViewCommand::Run(long));
    until(&mut app, |f| !f.frames.is_empty());
    app.world_mut().write_message(FloodViewCommand::Stop);
    until(&mut app, |f| !f.running);
    let f = app.world().resource::<Flood>();
    assert!(f.frames.len() < 3000, "{} outputs", f.frames.len());
    assert!(f.summary.is_none(), "not finished");
    assert!(f.settled(), "what arrived is drawn");
    let notices = app.world().resource::<Messages<StoreCommand>>();
    let errors = notices
        .iter_current_update_messages()
        .chain(notices.get_cursor().read(notices))
        .filter(|c| matches!(c, StoreCommand::Notify(n) if n.error))
        .count();
    assert_eq!(errors, 0, "stopping is not an error");
}

#[test]
fn points_and_cells_of_a_grid_placed_as_it_is() {
    let grid = FloodGrid {
        nx: 3,
        ny: 2,
        bed: vec![0.0; 6],
        corners: (0..3)
            .flat_map(|j| {
                (0..4).map(move |i| DVec2::new(100.0 + 5.0 * i as f64, 200.0 + 5.0 * j as f64))
            })
            .collect(),
        ground: vec![true; 6],
    };
    assert_eq!(grid.at(DVec2::new(1.5, 0.5)), DVec2::new(107.5, 202.5));
    assert_eq!(grid.at(DVec2::new(3.0, 2.0)), DVec2::new(115.0, 210.0));
    assert_eq!(grid.cell_at(DVec3::new(112.0, 207.0, 0.0)), Some(5));
    assert_eq!(grid.cell_at(DVec3::new(99.0, 207.0, 0.0)), None);
    assert_eq!(grid.cell_at(DVec3::new(112.0, 211.0, 0.0)), None);
}

#[test]
fn a_bad_scenario_is_a_notice_and_nothing_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = valley_app(dir.path());
    until(&mut app, |f| f.summary.is_some());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[grid]\ndem = \"missing.asc\"\n[run]\nduration_s = 60\noutput_every_s = 60\n",
    )
    .unwrap();
    app.world_mut().write_message(FloodViewCommand::Run(bad));
    app.update();
    until(&mut app, |f| !f.running);
    let f = app.world().resource::<Flood>();
    assert!(f.frames.is_empty() && f.summary.is_none());
    assert_eq!(
        water_vertices(&mut app),
        0,
        "the earlier run's water is gone"
    );
    let notices = app.world().resource::<Messages<StoreCommand>>();
    let text: Vec<String> = notices
        .iter_current_update_messages()
        .chain(notices.get_cursor().read(notices))
        .filter_map(|c| match c {
            StoreCommand::Notify(n) => Some(n.text.clone()),
            _ => None,
        })
        .collect();
    assert!(text.iter().any(|t| t.contains("missing.asc")), "{text:?}");
}
