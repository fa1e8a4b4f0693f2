//! Off-screen rendering: `cim snapshot` and `cim bench`.
//!
//! No window, no display server: the camera renders into an image (Mesa's
//! lavapipe works on CPU-only machines). The snapshot waits until the scene
//! has *settled* — every layer loaded and spawned, and no render pipeline
//! still compiling for several consecutive frames — then captures. Images
//! larger than one tile are rendered tile by tile with a sub-camera view
//! (an off-centre crop of the full frustum) and stitched.

use crate::cli::SnapshotArgs;
use crate::render::render_probe::RenderProbe;
use crate::scene::load;
use crate::scene::store::{SceneStore, SlotState};
use crate::stream::basemap::Drapes;
use crate::view::camera::MainCamera;
use crate::viewer::{core_plugins, initial_pose};
use anyhow::{Context, Result, bail};
use bevy::app::ScheduleRunnerPlugin;
use bevy::camera::{RenderTarget, SubCameraView};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use super::tiles::{Tile, blit, plan_tiles};

/// Default largest tile; also bounds GPU memory for huge images.
pub const DEFAULT_TILE: u32 = 4096;
/// Consecutive quiet frames that count as settled.
const SETTLE_FRAMES: u32 = 3;
/// Give up waiting for the scene after this long.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Clone, Debug)]
enum Phase {
    Settling { quiet: u32 },
    Aim { tile: usize, wait: u32 },
    Capturing { tile: usize },
    Measuring { frame: u32, started: Instant },
    Done,
}

/// What the headless run is for.
#[derive(Clone, Debug)]
pub enum Job {
    Snapshot {
        out: PathBuf,
        tile: u32,
        labels: bool,
    },
    Bench {
        frames: u32,
        path: Option<crate::headless::bench_path::CameraPath>,
    },
}

#[derive(Resource)]
struct Capture {
    job: Job,
    width: u32,
    height: u32,
    tiles: Vec<Tile>,
    target: Handle<Image>,
    phase: Phase,
    canvas: Option<image::RgbaImage>,
    captured: Arc<Mutex<Option<Image>>>,
    started: Instant,
    report: Arc<Mutex<Report>>,
    /// Labels placed on the full image once the scene has settled, and
    /// the font they were measured with (read once: a CJK font is ~20 MB).
    labels: Option<Vec<crate::ui::labels::Placed>>,
    label_font: Option<crate::headless::snapshot_labels::LabelFont>,
    /// `cim bench --path`: where the data is (found once), and the process
    /// CPU time when timing began.
    bench_focus: Option<Option<cim_core::Bbox>>,
    bench_cpu_start: f64,
}

/// Timings and the outcome, read after the app exits.
#[derive(Default, Debug, Clone)]
pub struct Report {
    pub error: Option<String>,
    /// The image was written (set only after the file is in place).
    pub written: bool,
    /// Every message of the run (load, style, basemap, tiles), at its end.
    pub notices: Vec<crate::scene::store::Notice>,
    pub first_frame_s: Option<f64>,
    pub settled_s: Option<f64>,
    pub frame_times_ms: Vec<f64>,
    /// Process CPU time (all threads) while the frames were timed, seconds.
    pub measured_cpu_s: f64,
    /// Per timed frame: triangles of the meshes in view.
    pub triangles: Vec<u64>,
    /// CPU time of the data-bound stages over the timed frames, seconds.
    pub lod_s: f64,
    pub upload_s: f64,
    /// At the end: bytes of meshes uploaded (drawn or kept), and of
    /// streamed content resident.
    pub gpu_mesh_bytes: u64,
    pub stream_resident_bytes: u64,
    /// Of those, what stays in main memory (3D Tiles geometry and
    /// properties kept for picking), and the budget they are held to.
    pub stream_cpu_bytes: u64,
    pub stream_budget_bytes: u64,
    pub total_s: f64,
}

pub(super) fn build_headless(
    store: SceneStore,
    pose: crate::view::camera::Pose,
    job: Job,
    width: u32,
    height: u32,
) -> (App, Arc<Mutex<Report>>) {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .build()
            .disable::<bevy::winit::WinitPlugin>()
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .set(RenderPlugin {
                synchronous_pipeline_compilation: true,
                ..default()
            })
            .set(bevy::log::LogPlugin {
                level: bevy::log::Level::WARN,
                filter: "wgpu=error,naga=warn,bevy_render=warn".into(),
                fmt_layer: plain_log_layer,
                ..default()
            }),
    )
    .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::ZERO));
    core_plugins(&mut app, store, pose);
    let tile = match &job {
        Job::Snapshot { tile, .. } => *tile,
        Job::Bench { .. } => width.max(height),
    };
    let tiles = plan_tiles(width, height, tile);
    let report = Arc::new(Mutex::new(Report::default()));
    let (tw, th) = (tiles[0].w, tiles[0].h);
    let target = {
        let mut images = app.world_mut().resource_mut::<Assets<Image>>();
        images.add(Image::new_target_texture(
            tw,
            th,
            TextureFormat::Rgba8UnormSrgb,
            None,
        ))
    };
    app.insert_resource(Capture {
        job,
        width,
        height,
        tiles,
        target,
        phase: Phase::Settling { quiet: 0 },
        canvas: None,
        captured: Arc::new(Mutex::new(None)),
        started: Instant::now(),
        report: report.clone(),
        labels: None,
        label_font: None,
        bench_focus: None,
        bench_cpu_start: 0.0,
    })
    .add_systems(PostStartup, attach_target)
    .add_systems(
        Update,
        (sample_bench_frame, drive_capture, place_labels).chain(),
    );
    (app, report)
}

/// Log lines on stderr, coloured only for a terminal: redirected output
/// (a log file, a script reading it) gets no escape sequences.
fn plain_log_layer(_: &mut App) -> Option<bevy::log::BoxedFmtLayer> {
    use std::io::IsTerminal;
    Some(Box::new(
        bevy::log::tracing_subscriber::fmt::Layer::default()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr),
    ))
}

fn attach_target(
    mut commands: Commands,
    capture: Res<Capture>,
    cameras: Query<Entity, With<MainCamera>>,
) {
    for e in &cameras {
        commands
            .entity(e)
            .insert(RenderTarget::Image(capture.target.clone().into()));
    }
}

/// `cim bench`: per timed frame, the triangles in view; when timing
/// starts and ends, the stage times and memory.
fn sample_bench_frame(
    capture: Res<Capture>,
    stats: Res<crate::headless::frame_stats::FrameStats>,
    terrain: Res<crate::stream::terrain::TerrainTiles>,
    plane: Res<crate::stream::basemap::PlaneTiles>,
    tilesets: Res<crate::stream::tiles3d::TilesetStreams>,
    budget: Res<crate::stream::budget::StreamBudget>,
    meshes: Query<(
        &crate::headless::frame_stats::MeshStats,
        Has<Mesh3d>,
        &ViewVisibility,
    )>,
) {
    use crate::headless::frame_stats::Stage;
    let (Phase::Measuring { frame, .. }, Job::Bench { frames, .. }) =
        (&capture.phase, &capture.job)
    else {
        return;
    };
    let Ok(mut r) = capture.report.lock() else {
        return;
    };
    if *frame == 0 {
        // Timing starts: forget what settling cost.
        stats.take(Stage::Lod);
        stats.take(Stage::Upload);
        return;
    }
    let drawn: u64 = meshes
        .iter()
        .filter(|(_, has_mesh, v)| *has_mesh && v.get())
        .map(|(m, _, _)| u64::from(m.triangles))
        .sum();
    r.triangles.push(drawn);
    if *frame >= *frames {
        r.lod_s = stats.take(Stage::Lod).as_secs_f64();
        r.upload_s = stats.take(Stage::Upload).as_secs_f64();
        r.gpu_mesh_bytes = meshes.iter().map(|(m, _, _)| u64::from(m.bytes)).sum();
        r.stream_resident_bytes =
            (terrain.resident_bytes() + plane.resident_bytes() + tilesets.resident_bytes()) as u64;
        r.stream_cpu_bytes = tilesets.resident_cpu_bytes() as u64;
        r.stream_budget_bytes = budget.bytes as u64;
    }
}

fn settled(
    store: &SceneStore,
    probe: &RenderProbe,
    drapes: &Drapes,
    terrain: &crate::stream::terrain::TerrainTiles,
    plane: &crate::stream::basemap::PlaneTiles,
    tilesets: &crate::stream::tiles3d::TilesetStreams,
    (pipes, flood): (
        &crate::render::pipe_results::PipeResults,
        &crate::analysis::flood::Flood,
    ),
) -> bool {
    store.all_loaded()
        && pipes.settled()
        && flood.settled()
        && drapes.idle()
        && terrain.settled(store)
        && tilesets.settled(store)
        && plane.settled()
        && store
            .layers
            .iter()
            .all(|s| s.spawned || matches!(s.state, SlotState::Failed(_)))
        && probe.frames() > 2
        && probe.waiting_pipelines() == 0
}

/// Labels grow with the image past 1080 px high, so a poster keeps the
/// screen's proportions.
fn label_scale(height: u32) -> f32 {
    (height as f32 / 1080.0).max(1.0)
}

/// Once the scene has settled (the first tile is being aimed), places the
/// labels for the whole image with the full frame's projection.
#[allow(clippy::too_many_arguments)]
fn place_labels(
    mut capture: ResMut<Capture>,
    store: Res<SceneStore>,
    styled: Res<crate::scene::derived::StyleResults>,
    styles: Res<crate::render::feature_style::FeatureStyles>,
    ground: Res<crate::render::layers::Ground>,
    origin: Res<crate::scene::origin::RenderOrigin>,
    rig: Res<crate::view::camera::CameraRig>,
    cameras: Query<&GlobalTransform, With<MainCamera>>,
) {
    let Job::Snapshot { labels: true, .. } = capture.job else {
        return;
    };
    if capture.labels.is_some() || !matches!(capture.phase, Phase::Aim { tile: 0, .. }) {
        return;
    }
    let Ok(cam_t) = cameras.single() else { return };
    let (w, h) = (capture.width as f32, capture.height as f32);
    let view_from_world = cam_t.affine().inverse();
    let tan = (rig.fov_y as f32 * 0.5).tan();
    let project = |p: glam::DVec3| -> Option<Vec2> {
        let v = view_from_world.transform_point3(origin.to_render(p));
        if v.z > -0.1 {
            return None;
        }
        let ndc = Vec2::new(v.x / (-v.z * tan * w / h), v.y / (-v.z * tan));
        Some(Vec2::new((ndc.x + 1.0) * 0.5 * w, (1.0 - ndc.y) * 0.5 * h))
    };
    let scale = label_scale(capture.height);
    let font = crate::headless::snapshot_labels::LabelFont::load();
    let px = crate::headless::snapshot_labels::TEXT_PX * scale;
    let in_view = |p: glam::DVec3| {
        project(p).is_some_and(|s| s.x >= 0.0 && s.y >= 0.0 && s.x <= w && s.y <= h)
    };
    let placed = crate::ui::labels::declutter(
        crate::ui::labels::candidates(&store, &styled, &styles, &ground, rig.pose.eye, &in_view),
        Rect::new(0.0, 0.0, w, h),
        project,
        |text| {
            font.as_ref()
                .map_or(Vec2::new(px * text.chars().count() as f32, px), |f| {
                    f.measure(text, px)
                })
        },
        scale,
    );
    capture.labels = Some(placed);
    capture.label_font = font;
}

fn fail(capture: &mut Capture, exit: &mut MessageWriter<AppExit>, msg: String) {
    if let Ok(mut r) = capture.report.lock() {
        r.error = Some(msg);
    }
    capture.phase = Phase::Done;
    exit.write(AppExit::error());
}

#[allow(clippy::too_many_arguments)]
fn drive_capture(
    mut commands: Commands,
    mut capture: ResMut<Capture>,
    store: Res<SceneStore>,
    probe: Res<RenderProbe>,
    drapes: Res<Drapes>,
    terrain: Res<crate::stream::terrain::TerrainTiles>,
    plane: Res<crate::stream::basemap::PlaneTiles>,
    tilesets: Res<crate::stream::tiles3d::TilesetStreams>,
    pipes: Res<crate::render::pipe_results::PipeResults>,
    flood: Res<crate::analysis::flood::Flood>,
    mut cameras: Query<&mut Camera, With<MainCamera>>,
    mut exit: MessageWriter<AppExit>,
    mut rig: ResMut<crate::view::camera::CameraRig>,
    ground: Res<crate::render::layers::Ground>,
) {
    let capture = &mut *capture;
    if probe.frames() == 1
        && let Ok(mut r) = capture.report.lock()
        && r.first_frame_s.is_none()
    {
        r.first_frame_s = Some(capture.started.elapsed().as_secs_f64());
    }
    match capture.phase.clone() {
        Phase::Settling { quiet } => {
            if capture.started.elapsed() > SETTLE_TIMEOUT {
                return fail(
                    capture,
                    &mut exit,
                    format!(
                        "the scene did not settle within {} s",
                        SETTLE_TIMEOUT.as_secs()
                    ),
                );
            }
            let quiet = if settled(
                &store,
                &probe,
                &drapes,
                &terrain,
                &plane,
                &tilesets,
                (&pipes, &flood),
            ) {
                quiet + 1
            } else {
                0
            };
            capture.phase = Phase::Settling { quiet };
            if quiet >= SETTLE_FRAMES {
                let max = probe.max_texture();
                let t = capture.tiles[0];
                if max > 0 && (t.w > max || t.h > max) {
                    return fail(
                        capture,
                        &mut exit,
                        format!(
                            "tile {}×{} exceeds the GPU's texture limit {max}; pass a smaller --tile-size",
                            t.w, t.h
                        ),
                    );
                }
                if let Ok(mut r) = capture.report.lock() {
                    r.settled_s = Some(capture.started.elapsed().as_secs_f64());
                }
                capture.phase = match capture.job {
                    Job::Snapshot { .. } => Phase::Aim { tile: 0, wait: 0 },
                    Job::Bench { .. } => Phase::Measuring {
                        frame: 0,
                        started: Instant::now(),
                    },
                };
            }
        }
        Phase::Aim { tile, wait } => {
            if wait == 0 {
                let t = capture.tiles[tile];
                let tiled = capture.tiles.len() > 1;
                for mut cam in &mut cameras {
                    cam.sub_camera_view = tiled.then(|| SubCameraView {
                        full_size: UVec2::new(capture.width, capture.height),
                        offset: Vec2::new(t.x as f32, t.y as f32),
                        size: UVec2::new(t.w, t.h),
                    });
                }
            }
            // Two frames for the new projection to reach the render world
            // (pipelined rendering runs one frame behind).
            if wait < 2 {
                capture.phase = Phase::Aim {
                    tile,
                    wait: wait + 1,
                };
            } else {
                let slot = capture.captured.clone();
                commands
                    .spawn(Screenshot::image(capture.target.clone()))
                    .observe(move |ev: On<ScreenshotCaptured>| {
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(ev.image.clone());
                        }
                    });
                capture.phase = Phase::Capturing { tile };
            }
        }
        Phase::Capturing { tile } => {
            let Some(img) = capture.captured.lock().ok().and_then(|mut s| s.take()) else {
                if capture.started.elapsed() > SETTLE_TIMEOUT {
                    fail(
                        capture,
                        &mut exit,
                        "the GPU never returned the image".into(),
                    );
                }
                return;
            };
            let rgba = match img.try_into_dynamic() {
                Ok(d) => d.to_rgba8(),
                Err(e) => {
                    return fail(
                        capture,
                        &mut exit,
                        format!("cannot read back the image: {e}"),
                    );
                }
            };
            let (w, h) = (capture.width, capture.height);
            let canvas = capture
                .canvas
                .get_or_insert_with(|| image::RgbaImage::new(w, h));
            let t = capture.tiles[tile];
            blit(canvas, &rgba, t);
            if tile + 1 < capture.tiles.len() {
                capture.phase = Phase::Aim {
                    tile: tile + 1,
                    wait: 0,
                };
                return;
            }
            let Job::Snapshot { out, .. } = capture.job.clone() else {
                return;
            };
            let mut canvas = capture.canvas.take().expect("canvas exists");
            if let Some(labels) = capture.labels.take().filter(|l| !l.is_empty()) {
                match &capture.label_font {
                    Some(font) => {
                        let scale = label_scale(capture.height);
                        font.draw(
                            &mut canvas,
                            &labels,
                            crate::headless::snapshot_labels::TEXT_PX * scale,
                            scale,
                        );
                    }
                    None => eprintln!("cim: warning: no CJK font found; labels left out"),
                }
            }
            if let Err(e) = write_png(&canvas, &out) {
                return fail(capture, &mut exit, format!("{e:#}"));
            }
            if let Ok(mut r) = capture.report.lock() {
                r.total_s = capture.started.elapsed().as_secs_f64();
                r.written = true;
                r.notices = store.notices.clone();
            }
            capture.phase = Phase::Done;
            exit.write(AppExit::Success);
        }
        Phase::Measuring { frame, started } => {
            let Job::Bench { frames, path } = capture.job else {
                return;
            };
            if frame == 0 {
                capture.bench_cpu_start = process_cpu_s();
            }
            if frame > 0
                && let Ok(mut r) = capture.report.lock()
            {
                r.frame_times_ms.push(started.elapsed().as_secs_f64() * 1e3);
            }
            if let Some(path) = path
                && let Some(focus) = capture
                    .bench_focus
                    .get_or_insert_with(|| crate::view::camera::focus_bbox(&store))
                    .as_ref()
            {
                let t = frame as f64 / frames.max(1) as f64;
                rig.pose =
                    crate::headless::bench_path::pose_at(path, focus, &|p| ground.height(p), t);
                rig.flight = None;
            }
            if frame >= frames {
                if let Ok(mut r) = capture.report.lock() {
                    r.total_s = capture.started.elapsed().as_secs_f64();
                    r.notices = store.notices.clone();
                    r.measured_cpu_s = process_cpu_s() - capture.bench_cpu_start;
                }
                capture.phase = Phase::Done;
                exit.write(AppExit::Success);
            } else {
                capture.phase = Phase::Measuring {
                    frame: frame + 1,
                    started: Instant::now(),
                };
            }
        }
        Phase::Done => {}
    }
}

/// Writes a PNG atomically (temp file + rename), so a failed run never
/// leaves a truncated image behind.
fn write_png(img: &image::RgbaImage, out: &Path) -> Result<()> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "{}: the folder does not exist",
            cim_core::message::path(dir)
        );
    }
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    img.save_with_format(&tmp, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", cim_core::message::path(&tmp)))?;
    std::fs::rename(&tmp, out)
        .with_context(|| format!("cannot write {}", cim_core::message::path(out)))?;
    Ok(())
}

pub(super) fn validate_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        bail!("--width and --height must be at least 1 (got {width}×{height})");
    }
    // 4 bytes a pixel for the stitched canvas; refuse what cannot fit.
    if width as u64 * height as u64 > 1 << 30 {
        bail!("{width}×{height} is too large (at most 2^30 pixels, e.g. 32768×32768)");
    }
    Ok(())
}

/// Loads the scene (blocking) and reports its messages on stderr; fails
/// when no layer could be loaded. Returns the store and how many of its
/// notices were printed.
pub(super) fn prepare_store(inputs: &[PathBuf]) -> Result<(SceneStore, usize)> {
    let opened = load::open_inputs(inputs)?;
    let mut store = SceneStore::new(opened);
    store.load_all_blocking();
    print_notices(&store.notices);
    let failed = store
        .layers
        .iter()
        .filter(|s| matches!(s.state, SlotState::Failed(_)))
        .count();
    if failed == store.layers.len() && failed > 0 {
        bail!("no layer could be loaded");
    }
    let printed = store.notices.len();
    Ok((store, printed))
}

pub(super) fn print_notices(notices: &[crate::scene::store::Notice]) {
    for n in notices {
        eprintln!(
            "cim: {}: {}",
            if n.error { "error" } else { "warning" },
            cim_core::message::lines(&n.text, 2000)
        );
    }
}

/// `cim snapshot` and `cim bench` exit codes: 0 when everything asked for
/// was produced as asked; [`EXIT_PARTIAL`] when the output was written but
/// something asked for is missing from it (a layer, features, a basemap or
/// some of its tiles, a style): the messages say what. Errors that leave
/// no output exit 1.
pub const EXIT_PARTIAL: u8 = 2;

/// The exit code for a run whose output was written, given its messages.
pub(super) fn outcome(notices: &[crate::scene::store::Notice]) -> std::process::ExitCode {
    if notices.iter().any(|n| n.error) {
        std::process::ExitCode::from(EXIT_PARTIAL)
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// Applies `--time YYYY-MM-DDThh:mm` (local time of the scene clock).
fn apply_time(store: &mut SceneStore, time: Option<&str>) -> Result<()> {
    let Some(t) = time else { return Ok(()) };
    let parse = || -> Option<(i32, u32, u32, f64)> {
        let (d, hm) = t.split_once(['T', ' '])?;
        let mut ds = d.split('-');
        let (y, m, dd) = (
            ds.next()?.parse().ok()?,
            ds.next()?.parse().ok()?,
            ds.next()?.parse().ok()?,
        );
        let (h, mi) = hm.split_once(':')?;
        let hour = h.parse::<f64>().ok()? + mi.parse::<f64>().ok()? / 60.0;
        ((1..=12).contains(&m) && (1..=31).contains(&dd) && (0.0..24.0).contains(&hour))
            .then_some((y, m, dd, hour))
    };
    let (y, m, d, h) =
        parse().with_context(|| format!("--time `{t}`: expected YYYY-MM-DDThh:mm"))?;
    let offset = match &store.doc.clock {
        Some(c) => c.display_utc_offset_hours,
        None => crate::viewer::nominal_utc_offset(store.wgs84(store.origin()).map(|p| p.x)),
    };
    store.doc.clock = Some(cim_core::time::SceneClock::for_local_day(
        y, m, d, h, offset,
    ));
    Ok(())
}

pub fn run_snapshot(args: SnapshotArgs) -> Result<std::process::ExitCode> {
    validate_size(args.width, args.height)?;
    if let Some(a) = args.ground_opacity
        && !(0.0..=1.0).contains(&a)
    {
        bail!("--ground-opacity must be between 0 and 1 (got {a})");
    }
    let tile = args.tile_size.unwrap_or(DEFAULT_TILE).max(16);
    let (mut store, printed) = prepare_store(&args.inputs)?;
    apply_time(&mut store, args.time.as_deref())?;
    let pose = initial_pose(&store.doc, args.view.as_deref())?;
    let job = Job::Snapshot {
        out: args.out.clone(),
        tile,
        labels: !args.no_labels,
    };
    let (mut app, report) = build_headless(store, pose, job, args.width, args.height);
    if let Some(a) = args.ground_opacity {
        app.insert_resource(crate::render::underground::UndergroundView { ground_opacity: a });
    }
    app.run();
    let r = report.lock().map(|r| r.clone()).unwrap_or_default();
    let out = cim_core::message::path(&args.out);
    if let Some(e) = r.error {
        bail!("{out}: {e}");
    }
    // Trust the file, not the run: a renderer that died (a GPU out of
    // memory) can end the app without an error reaching the report.
    if !r.written || !args.out.is_file() {
        bail!("{out}: no image was written: the renderer stopped before the capture");
    }
    print_notices(r.notices.get(printed..).unwrap_or_default());
    eprintln!(
        "cim: wrote {out} ({}×{}) in {:.2} s (settled after {:.2} s)",
        args.width,
        args.height,
        r.total_s,
        r.settled_s.unwrap_or(0.0)
    );
    let code = outcome(&r.notices);
    if code != std::process::ExitCode::SUCCESS {
        eprintln!(
            "cim: the image is incomplete: {} problem(s) above (exit status {EXIT_PARTIAL})",
            r.notices.iter().filter(|n| n.error).count()
        );
    }
    Ok(code)
}

/// CPU time this process has used so far, all threads, in seconds
/// (Linux `/proc/self/stat`; 0 where it cannot be read).
fn process_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces), from field 3:
    // utime and stime are fields 14 and 15, in clock ticks.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Linux reports in USER_HZ, 100 on every mainstream architecture.
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_validated() {
        assert!(validate_size(0, 10).is_err());
        assert!(validate_size(100_000, 100_000).is_err());
        assert!(validate_size(8192, 8192).is_ok());
    }
}
