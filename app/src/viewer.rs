//! The desktop viewer: the plugins shared with `cim snapshot` plus the
//! window, the egui UI and the interactive camera controls.

use crate::render::layers::LayerRenderPlugin;
use crate::render::sun::SunPlugin;
use crate::scene::load::{self, OpenedScene};
use crate::scene::origin::OriginPlugin;
use crate::scene::store::{AsyncLoading, Notice, ScenePlugin, SceneStore};
use crate::ui::UiPlugin;
use crate::ui::i18n::Lang;
use crate::view::camera::{CameraControlsPlugin, CameraPlugin, Pose};
use crate::view::picking::PickingPlugin;
use anyhow::Result;
use bevy::diagnostic::FrameTimeDiagnosticsPlugin;
use bevy::prelude::*;
use cim_core::time::SceneClock;
use glam::DVec3;
use std::path::PathBuf;

/// The clock used when a scene has none: a fixed summer afternoon, so
/// renders are reproducible. `lon` (the scene's longitude) picks the time
/// zone, nominally `lon / 15` hours from UTC: 15:00 in China is UTC+8, but
/// data from elsewhere would otherwise be shown at night.
pub fn default_clock(lon: Option<f64>) -> SceneClock {
    SceneClock::for_local_day(2024, 6, 21, 15.0, nominal_utc_offset(lon))
}

/// Hours from UTC of the nominal time zone at longitude `lon` (China
/// Standard Time when unknown).
pub fn nominal_utc_offset(lon: Option<f64>) -> f64 {
    lon.map_or(8.0, |l| (l / 15.0).round().clamp(-12.0, 14.0))
}

/// The first camera pose: the named view, else the scene's first view,
/// else a view of its origin.
pub fn initial_pose(doc: &cim_core::scene::SceneDoc, view: Option<&str>) -> Result<Pose> {
    if let Some(name) = view {
        let v = doc.view(name).ok_or_else(|| {
            let names: Vec<&str> = doc.views.iter().map(|v| v.name.as_str()).collect();
            anyhow::anyhow!(
                "no view named `{name}` in the scene (views: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )
        })?;
        return Ok(Pose::from_view(v));
    }
    if let Some(v) = doc.views.first() {
        return Ok(Pose::from_view(v));
    }
    let o = DVec3::from_array(doc.origin);
    Ok(Pose::look_at(o + DVec3::new(-600.0, -800.0, 700.0), o))
}

/// The plugins every mode shares: the store, origin, layers, sun, camera.
pub fn core_plugins(app: &mut App, store: SceneStore, pose: Pose) {
    let lon = store.wgs84(store.origin()).map(|p| p.x);
    let clock = store
        .doc
        .clock
        .clone()
        .unwrap_or_else(|| default_clock(lon));
    let origin = store.origin();
    app.init_resource::<crate::headless::frame_stats::FrameStats>();
    app.add_plugins((
        ScenePlugin::new(store),
        crate::stream::basemap::BasemapPlugin,
        OriginPlugin { origin },
        LayerRenderPlugin,
        crate::render::point_icons::PointIconsPlugin,
        crate::render::point_cloud::PointCloudPlugin,
        crate::render::feature_style::FeatureStylePlugin,
        crate::stream::terrain::TerrainPlugin,
        crate::stream::tiles3d::Tiles3dPlugin,
        crate::stream::budget::StreamBudgetPlugin,
        crate::scene::clock::ClockPlugin { clock },
        SunPlugin,
        CameraPlugin { initial: pose },
        crate::render::render_probe::RenderProbePlugin,
        crate::render::underground::UndergroundPlugin {
            ground_opacity: 1.0,
        },
    ));
    app.add_plugins((
        crate::render::pipe_results::PipeResultsPlugin,
        crate::analysis::corridor::CorridorPlugin,
        crate::analysis::burst::BurstPlugin,
        crate::analysis::flood::FloodPlugin,
    ));
}

pub fn run(inputs: Vec<PathBuf>) -> Result<()> {
    let (opened, error) = match load::open_inputs(&inputs) {
        Ok(o) => (o, None),
        // The viewer still opens (on the demo city) and shows the error.
        Err(e) => {
            eprintln!("cim: error: {e:#}");
            (load::open_inputs(&[])?, Some(format!("{e:#}")))
        }
    };
    run_viewer(opened, error)
}

fn run_viewer(opened: OpenedScene, error: Option<String>) -> Result<()> {
    let pose = initial_pose(&opened.doc, None)?;
    let title = format!("CIM Studio — {}", opened.doc.name);
    let mut store = SceneStore::new(opened);
    if let Some(text) = error {
        store.notices.push(Notice { error: true, text });
    }
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: bevy::window::WindowResolution::new(1600, 900),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(FrameTimeDiagnosticsPlugin::default())
    .insert_resource(AsyncLoading);
    core_plugins(&mut app, store, pose);
    app.add_plugins((
        PickingPlugin,
        CameraControlsPlugin,
        crate::tools::ToolsPlugin,
        crate::render::quality::AdaptiveQualityPlugin,
        UiPlugin {
            lang: Lang::from_env(),
        },
    ));
    // Moving chevrons follow real time: the viewer's only (snapshots stay
    // deterministic).
    app.add_systems(Update, crate::render::flow_animation::animate_flow);
    // A click probes the flood's water while the flood panel's probe is on.
    app.add_systems(Update, crate::analysis::flood::probe_on_click);
    app.run();
    Ok(())
}
