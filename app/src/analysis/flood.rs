//! Flood scenarios in the viewer (城市内涝 / 三防): a scenario file run in
//! the background on the CPU or the GPU as `cim flood run` runs it
//! (`crate::flood::prepare`, `cim_core::flood::run`), each output shown
//! as it arrives as a translucent water surface coloured by depth, any
//! output shown again from the panel's time slider, a probe's depth over
//! time at a clicked point, and the buildings standing in water deeper than
//! a threshold flagged (alert colour) and listed.
//!
//! A scene document may name a scenario (`[flood] scenario = "…"`): it runs
//! when the scene opens, and snapshots wait for it.

use crate::render::feature_style::{ALERT, FeatureStyles, FlagMarks, follow_styles, upload_styles};
use crate::render::mesh::MeshData;
use crate::scene::origin::GeoAnchor;
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use bevy::light::{NotShadowCaster, NotShadowReceiver};
use bevy::prelude::*;
use cim_core::crs::{CrsDef, Transformer};
use cim_core::flood::run::{EngineError, run};
use cim_core::model::geometry::Geometry;
use cim_core::model::layer::LayerKind;
use cim_core::scene::georef::RenderFrame;
use cim_core::style::color_ramp::ColorRamp;
use cim_core::{DVec2, DVec3, Layer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Water shallower than this (m) is not drawn: a film of rain.
pub const SHOWN_DEPTH_M: f32 = 0.01;
/// Water against a building deeper than this (m) flags it, unless the
/// panel or the document says otherwise: 15 cm, the ponding depth at
/// which GB 51222 (城镇内涝防治技术规范) counts a road as waterlogged.
pub const DEFAULT_THRESHOLD_M: f32 = 0.15;

pub struct FloodPlugin;

impl Plugin for FloodPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Flood>()
            .add_message::<FloodViewCommand>()
            .add_systems(
                Update,
                (run_documents, apply_commands, receive, draw_water).chain(),
            )
            .add_systems(
                PostUpdate,
                flag_buildings.after(follow_styles).before(upload_styles),
            );
    }
}

#[derive(Message, Clone, Debug, PartialEq)]
pub enum FloodViewCommand {
    /// Run the scenario file (replacing what is shown).
    Run(PathBuf),
    /// Stop the run (what has arrived stays).
    Stop,
    /// Show output `k` (and stop following the run).
    Show(usize),
    /// Show each output as it arrives.
    Follow,
    /// Probe the water at a scene point.
    Probe(DVec3),
    /// Turn the probe tool on (a click in the view probes) or off.
    Probing(bool),
    /// Draw velocity arrows on the water, or not.
    Arrows(bool),
    /// Flag buildings in water deeper than this, m.
    Threshold(f32),
    Clear,
}

/// The scenario's grid as the viewer places it.
pub struct FloodGrid {
    pub nx: usize,
    pub ny: usize,
    /// Bed level per cell (buildings raised), rows from the south.
    pub bed: Vec<f32>,
    /// Each cell's corners in the scene CRS, `(nx + 1) × (ny + 1)` from
    /// the south-west, row by row.
    corners: Vec<DVec2>,
    /// Cells on the DEM.
    ground: Vec<bool>,
}

impl FloodGrid {
    fn corner(&self, i: usize, j: usize) -> DVec2 {
        self.corners[j * (self.nx + 1) + i]
    }

    /// A point `g` cells from the south-west corner, in the scene CRS:
    /// bilinear between the corners of the cell it falls in.
    pub fn at(&self, g: DVec2) -> DVec2 {
        let i = (g.x.floor().max(0.0) as usize).min(self.nx - 1);
        let j = (g.y.floor().max(0.0) as usize).min(self.ny - 1);
        let (fx, fy) = (g.x - i as f64, g.y - j as f64);
        let (a, b) = (self.corner(i, j), self.corner(i + 1, j));
        let (c, d) = (self.corner(i, j + 1), self.corner(i + 1, j + 1));
        (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy
    }

    /// The cell holding a scene point (by the cells' corners: exact for a
    /// grid in the scene CRS, to the reprojection's curvature otherwise).
    pub fn cell_at(&self, p: DVec3) -> Option<usize> {
        let (o, ex, ny) = (
            self.corner(0, 0),
            self.corner(self.nx, 0),
            self.corner(0, self.ny),
        );
        let (u, v) = (ex - o, ny - o);
        let d = p.truncate() - o;
        let det = u.perp_dot(v);
        if det == 0.0 {
            return None;
        }
        let (a, b) = (d.perp_dot(v) / det, u.perp_dot(d) / det);
        let (i, j) = ((a * self.nx as f64).floor(), (b * self.ny as f64).floor());
        ((0.0..self.nx as f64).contains(&i) && (0.0..self.ny as f64).contains(&j))
            .then(|| j as usize * self.nx + i as usize)
    }
}

/// One output: its time (s from the start) and every cell's depth (m).
pub struct Frame {
    pub time_s: f64,
    pub depth: Arc<Vec<f32>>,
    /// The flow on a coarse lattice, for arrows.
    pub arrows: Arc<Vec<Arrow>>,
}

/// The flow over a block of cells: where (in cells from the grid's
/// south-west corner), the water level there (m) and the depth-weighted
/// mean velocity (m/s, east and north along the grid).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrow {
    pub at: DVec2,
    pub level: f32,
    pub velocity: Vec2,
}

/// Arrows across the grid's longer side, at most.
const ARROWS_ACROSS: usize = 40;
/// Slower water gets no arrow, m/s.
const ARROW_MIN_SPEED: f32 = 0.05;

/// The flow of `state` on blocks of cells: an arrow for each block mostly
/// under water and moving.
pub fn arrows(grid: &FloodGrid, state: &cim_core::flood::State) -> Vec<Arrow> {
    let k = grid.nx.max(grid.ny).div_ceil(ARROWS_ACROSS).max(1);
    let mut out = Vec::new();
    for bj in (0..grid.ny).step_by(k) {
        for bi in (0..grid.nx).step_by(k) {
            let (mut wet, mut all, mut h, mut q, mut level) = (0, 0, 0.0f32, Vec2::ZERO, 0.0f32);
            for j in bj..(bj + k).min(grid.ny) {
                for i in bi..(bi + k).min(grid.nx) {
                    let c = j * grid.nx + i;
                    all += 1;
                    if state.h[c] >= SHOWN_DEPTH_M {
                        wet += 1;
                        h += state.h[c];
                        q += Vec2::new(state.hu[c], state.hv[c]);
                        level += grid.bed[c] + state.h[c];
                    }
                }
            }
            if 2 * wet < all {
                continue;
            }
            let velocity = q / h;
            if velocity.length() >= ARROW_MIN_SPEED {
                let w = ((bi + k).min(grid.nx) - bi, (bj + k).min(grid.ny) - bj);
                out.push(Arrow {
                    at: DVec2::new(bi as f64 + w.0 as f64 / 2.0, bj as f64 + w.1 as f64 / 2.0),
                    level: level / wet as f32,
                    velocity,
                });
            }
        }
    }
    out
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    pub backend: &'static str,
    /// What it ran on ("2 threads", a GPU's name, and whether it was the
    /// view's own).
    pub device: String,
    pub steps: u64,
    pub wall_s: f64,
    pub mass_error_rel: f64,
}

/// A building in water: its layer and feature, the deepest water against
/// it at the output shown and over the run (m).
#[derive(Clone, Debug, PartialEq)]
pub struct Flooded {
    pub layer: u64,
    pub feature: u32,
    pub depth_m: f32,
    pub max_m: f32,
}

/// A probed point: where, and its cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probe {
    pub point: DVec3,
    pub cell: usize,
}

enum Report {
    Started {
        grid: Arc<FloodGrid>,
        duration_s: f64,
        /// (layer, feature, the cells round its footprint).
        buildings: Vec<(u64, u32, Vec<u32>)>,
    },
    Progress(f64),
    Frame(Frame),
    Done(Result<(RunSummary, Arc<Vec<f32>>), String>),
}

#[derive(Resource)]
pub struct Flood {
    pub scenario: Option<PathBuf>,
    pub running: bool,
    pub progress_s: f64,
    pub duration_s: f64,
    pub grid: Option<Arc<FloodGrid>>,
    pub frames: Vec<Frame>,
    /// The output drawn (the latest while following).
    pub shown: Option<usize>,
    pub following: bool,
    /// Each cell's deepest water over the run, once it has ended.
    pub max_depth: Option<Arc<Vec<f32>>>,
    pub summary: Option<RunSummary>,
    pub threshold_m: f32,
    /// Buildings in water deeper than the threshold at the output shown,
    /// deepest first.
    pub flooded: Vec<Flooded>,
    pub probe: Option<Probe>,
    /// The panel's probe tool is on: a click probes.
    pub probing: bool,
    /// Velocity arrows are drawn on the water.
    pub arrows: bool,
    buildings: Vec<(u64, u32, Vec<u32>)>,
    drawn: Option<usize>,
    marks: FlagMarks,
    marks_changed: bool,
    cancel: Arc<AtomicBool>,
    document_run: bool,
    tx: mpsc::Sender<Report>,
    rx: Mutex<mpsc::Receiver<Report>>,
}

impl Default for Flood {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Flood {
            scenario: None,
            running: false,
            progress_s: 0.0,
            duration_s: 0.0,
            grid: None,
            frames: Vec::new(),
            shown: None,
            following: true,
            max_depth: None,
            summary: None,
            threshold_m: DEFAULT_THRESHOLD_M,
            flooded: Vec::new(),
            probe: None,
            probing: false,
            arrows: true,
            buildings: Vec::new(),
            drawn: None,
            marks: FlagMarks::default(),
            marks_changed: false,
            cancel: Arc::new(AtomicBool::new(false)),
            document_run: false,
            tx,
            rx: Mutex::new(rx),
        }
    }
}

impl Flood {
    /// Nothing running and the output shown drawn: what snapshots wait for.
    pub fn settled(&self) -> bool {
        !self.running && self.drawn == self.shown
    }

    /// The probe's depth at each output: (time s, depth m).
    pub fn probe_series(&self) -> Vec<(f64, f32)> {
        let Some(p) = self.probe else {
            return Vec::new();
        };
        self.frames
            .iter()
            .map(|f| (f.time_s, f.depth[p.cell]))
            .collect()
    }

    fn reset(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        (self.tx, self.rx) = (tx, Mutex::new(rx));
        self.running = false;
        self.grid = None;
        self.frames.clear();
        self.shown = None;
        self.following = true;
        self.max_depth = None;
        self.summary = None;
        self.flooded.clear();
        self.buildings.clear();
        self.probe = None;
        self.marks_changed = true;
    }

    /// Which buildings stand in water deeper than the threshold at the
    /// output shown.
    fn find_flooded(&mut self) {
        let Some(depth) = self
            .shown
            .and_then(|k| self.frames.get(k))
            .map(|f| &f.depth)
        else {
            self.flooded.clear();
            return;
        };
        let deepest =
            |d: &[f32], cells: &[u32]| cells.iter().map(|&c| d[c as usize]).fold(0.0f32, f32::max);
        let mut flooded: Vec<Flooded> = self
            .buildings
            .iter()
            .filter_map(|(layer, feature, cells)| {
                let depth_m = deepest(depth, cells);
                (depth_m >= self.threshold_m).then(|| Flooded {
                    layer: *layer,
                    feature: *feature,
                    depth_m,
                    max_m: self
                        .max_depth
                        .as_ref()
                        .map_or(depth_m, |m| deepest(m, cells)),
                })
            })
            .collect();
        flooded.sort_by(|a, b| b.depth_m.total_cmp(&a.depth_m));
        self.flooded = flooded;
        self.marks_changed = true;
    }
}

/// Runs the scene document's scenario once, when its layers have loaded.
fn run_documents(
    store: Res<SceneStore>,
    mut flood: ResMut<Flood>,
    mut commands: MessageWriter<FloodViewCommand>,
) {
    if flood.document_run || !store.all_loaded() {
        return;
    }
    flood.document_run = true;
    if let Some(f) = &store.doc.flood {
        let dir = store.doc_dir().unwrap_or_default();
        commands.write(FloodViewCommand::Run(dir.join(&f.scenario)));
        if let Some(t) = f.threshold_m {
            commands.write(FloodViewCommand::Threshold(t as f32));
        }
    }
}

/// The view's GPU, when it has one (the viewer and snapshots; not tests
/// without a renderer).
type ViewGpu<'w> = Option<(
    Res<'w, bevy::render::renderer::RenderDevice>,
    Res<'w, bevy::render::renderer::RenderQueue>,
    Res<'w, bevy::render::renderer::RenderAdapterInfo>,
)>;

fn apply_commands(
    mut commands: MessageReader<FloodViewCommand>,
    store: Res<SceneStore>,
    mut flood: ResMut<Flood>,
    view_gpu: ViewGpu,
) {
    for c in commands.read() {
        match c {
            FloodViewCommand::Run(path) => {
                flood.reset();
                flood.scenario = Some(path.clone());
                flood.running = true;
                // The scene's buildings, to flag the ones in water.
                let buildings: Vec<(u64, Arc<Layer>)> = store
                    .layers
                    .iter()
                    .filter(|s| s.state == SlotState::Ready && s.kind() == LayerKind::Buildings)
                    .filter_map(|s| Some((s.id, s.layer.clone()?)))
                    .collect();
                let (tx, cancel) = (flood.tx.clone(), flood.cancel.clone());
                let (path, crs) = (path.clone(), store.crs.clone());
                let shared = view_gpu.as_ref().map(|(device, queue, info)| {
                    cim_gpu::Gpu::from_device(
                        device.wgpu_device().clone(),
                        (*queue.0).clone().into_inner(),
                        &info.0,
                    )
                });
                let spawned = std::thread::Builder::new()
                    .name("flood".into())
                    .spawn(move || {
                        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run_in_background(&path, (&crs, shared), &buildings, &tx, &cancel)
                        }))
                        .map_err(|_| "the flood run crashed".to_string())
                        .and_then(|r| r.map_err(|e| format!("{e:#}")));
                        let _ = tx.send(Report::Done(done));
                    });
                if let Err(e) = spawned {
                    flood.running = false;
                    error!("flood: no thread: {e}");
                }
            }
            FloodViewCommand::Stop => flood.cancel.store(true, Ordering::Relaxed),
            FloodViewCommand::Show(k) => {
                if *k < flood.frames.len() {
                    flood.shown = Some(*k);
                    flood.following = false;
                    flood.find_flooded();
                }
            }
            FloodViewCommand::Follow => {
                flood.following = true;
                flood.shown = flood.frames.len().checked_sub(1);
                flood.find_flooded();
            }
            FloodViewCommand::Probe(p) => {
                let cell = flood.grid.as_ref().and_then(|g| g.cell_at(*p));
                flood.probe = cell.map(|cell| Probe { point: *p, cell });
            }
            FloodViewCommand::Probing(on) => flood.probing = *on,
            FloodViewCommand::Arrows(on) => {
                flood.arrows = *on;
                // Drawn again.
                flood.drawn = None;
            }
            FloodViewCommand::Threshold(t) => {
                flood.threshold_m = t.max(0.0);
                flood.find_flooded();
            }
            FloodViewCommand::Clear => {
                flood.reset();
                flood.scenario = None;
            }
        }
    }
}

/// The run, on its own thread: the scenario set up, the grid placed in
/// the scene, the buildings' cells found, each output sent as it comes.
fn run_in_background(
    path: &std::path::Path,
    (scene_crs, shared): (&CrsDef, Option<cim_gpu::Gpu>),
    buildings: &[(u64, Arc<Layer>)],
    tx: &mpsc::Sender<Report>,
    cancel: &AtomicBool,
) -> anyhow::Result<(RunSummary, Arc<Vec<f32>>)> {
    let started = std::time::Instant::now();
    let p = crate::flood::prepare(path)?;
    let grid = place_grid(&p, scene_crs)?;
    let cells = crate::flood::cell_grid(&p.dem);
    let to_dem = match &p.dem_crs {
        Some(c) if c != scene_crs => Some(Transformer::new(scene_crs, c)?),
        _ => None,
    };
    let around = building_cells(buildings, &cells, to_dem.as_ref());
    let run_s = &p.scenario.run;
    let (duration_s, every_s) = (run_s.duration_s, run_s.output_every_s);
    let grid = Arc::new(grid);
    let _ = tx.send(Report::Started {
        grid: grid.clone(),
        duration_s,
        buildings: around,
    });
    let mut engine = crate::flood::engine_for(run_s.backend, p.solver, path, shared.as_ref())?;
    let device = match &shared {
        Some(gpu) if engine.backend() == "gpu" => format!("{}, the view's device", gpu.adapter),
        _ => engine.device(),
    };
    eprintln!(
        "cim: flood on the {} ({device})",
        engine.backend().to_uppercase()
    );
    let mut last = std::time::Instant::now();
    let tracks = run(
        engine.as_mut(),
        &p.forcing,
        duration_s,
        every_s,
        |t, state| {
            if cancel.load(Ordering::Relaxed) {
                return Err(EngineError("stopped".into()));
            }
            let _ = tx.send(Report::Frame(Frame {
                time_s: t,
                depth: Arc::new(state.h.clone()),
                arrows: Arc::new(arrows(&grid, state)),
            }));
            Ok(())
        },
        |t| {
            if last.elapsed().as_millis() >= 100 {
                last = std::time::Instant::now();
                let _ = tx.send(Report::Progress(t));
            }
        },
    )?;
    let ledger = engine.ledger()?;
    let volume = engine.state()?.volume(engine.cell_area());
    let summary = RunSummary {
        backend: engine.backend(),
        device,
        steps: engine.steps(),
        wall_s: started.elapsed().as_secs_f64(),
        mass_error_rel: ledger.mass_error_rel(volume),
    };
    Ok((summary, Arc::new(tracks.max_depth)))
}

/// The grid's corners in the scene CRS.
fn place_grid(p: &crate::flood::Prepared, scene_crs: &CrsDef) -> anyhow::Result<FloodGrid> {
    let d = &p.solver.domain;
    let g = crate::flood::cell_grid(&p.dem);
    let to_scene = match &p.dem_crs {
        Some(c) if c != scene_crs => Some(Transformer::new(c, scene_crs)?),
        _ => None,
    };
    let mut corners = Vec::with_capacity((d.nx + 1) * (d.ny + 1));
    for j in 0..=d.ny {
        for i in 0..=d.nx {
            let at = g.origin + DVec2::new(i as f64, j as f64) * g.cell_m;
            let at = match &to_scene {
                Some(t) => t.transform(at.extend(0.0))?.truncate(),
                None => at,
            };
            corners.push(at);
        }
    }
    Ok(FloodGrid {
        nx: d.nx,
        ny: d.ny,
        bed: d.bed.clone(),
        corners,
        ground: p.ground.clone(),
    })
}

/// Each building's footprint and the ring of cells round it: where the
/// water against its walls is (its own cells are raised when the
/// scenario burns the buildings in).
fn building_cells(
    buildings: &[(u64, Arc<Layer>)],
    grid: &cim_core::flood::city::CellGrid,
    to_dem: Option<&Transformer>,
) -> Vec<(u64, u32, Vec<u32>)> {
    let mut out = Vec::new();
    for (id, layer) in buildings {
        let Some(v) = layer.vector() else { continue };
        for (k, f) in v.features.iter().enumerate() {
            let rings: Vec<&Vec<DVec3>> = match &f.geometry {
                Geometry::Polygon(p) => vec![&p.exterior],
                Geometry::MultiPolygon(ps) => ps.iter().map(|p| &p.exterior).collect(),
                _ => continue,
            };
            let (mut lo, mut hi) = (DVec2::splat(f64::MAX), DVec2::splat(f64::MIN));
            for p in rings.into_iter().flatten() {
                let q = match to_dem {
                    Some(t) => match t.transform(*p) {
                        Ok(q) => q,
                        Err(_) => continue,
                    },
                    None => *p,
                };
                lo = lo.min(q.truncate());
                hi = hi.max(q.truncate());
            }
            if lo.x > hi.x {
                continue;
            }
            // The footprint's box grown by a cell: its cells and the ring.
            let cell = |x: f64, y: f64| {
                (
                    ((x - grid.origin.x) / grid.cell_m).floor() as i64,
                    ((y - grid.origin.y) / grid.cell_m).floor() as i64,
                )
            };
            let ((i0, j0), (i1, j1)) = (cell(lo.x, lo.y), cell(hi.x, hi.y));
            let mut cells = Vec::new();
            for j in (j0 - 1).max(0)..=(j1 + 1).min(grid.ny as i64 - 1) {
                for i in (i0 - 1).max(0)..=(i1 + 1).min(grid.nx as i64 - 1) {
                    cells.push((j as usize * grid.nx + i as usize) as u32);
                }
            }
            if !cells.is_empty() {
                out.push((*id, k as u32, cells));
            }
        }
    }
    out
}

fn receive(mut flood: ResMut<Flood>, mut notify: MessageWriter<StoreCommand>) {
    let reports: Vec<Report> = match flood.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for r in reports {
        match r {
            Report::Started {
                grid,
                duration_s,
                buildings,
            } => {
                flood.grid = Some(grid);
                flood.duration_s = duration_s;
                flood.buildings = buildings;
            }
            Report::Progress(t) => flood.progress_s = t,
            Report::Frame(f) => {
                flood.progress_s = f.time_s;
                flood.frames.push(f);
                if flood.following {
                    flood.shown = Some(flood.frames.len() - 1);
                    flood.find_flooded();
                }
            }
            Report::Done(done) => {
                flood.running = false;
                match done {
                    Ok((summary, max_depth)) => {
                        flood.summary = Some(summary);
                        flood.max_depth = Some(max_depth);
                        flood.find_flooded();
                    }
                    Err(e) if e.contains("stopped") => {}
                    Err(e) => {
                        notify.write(StoreCommand::Notify(Notice {
                            error: true,
                            text: format!("flood: {e}"),
                        }));
                    }
                }
            }
        }
    }
}

/// The water surface of the output shown.
#[derive(Component)]
pub struct WaterSurface;

/// Redraws the water when the output shown changes: a quad per wet cell
/// at its water level, coloured by depth.
fn draw_water(
    mut flood: ResMut<Flood>,
    mut commands: Commands,
    drawn: Query<Entity, With<WaterSurface>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut material: Local<Option<Handle<StandardMaterial>>>,
) {
    if flood.drawn == flood.shown {
        return;
    }
    for e in &drawn {
        commands.entity(e).despawn();
    }
    flood.drawn = flood.shown;
    let (Some(grid), Some(k)) = (flood.grid.clone(), flood.shown) else {
        return;
    };
    let frame = &flood.frames[k];
    let Some((anchor, mut mesh)) = water_mesh(&grid, &frame.depth) else {
        return;
    };
    if flood.arrows {
        mesh.append(arrow_mesh(&grid, &frame.arrows, anchor));
    }
    let material = material
        .get_or_insert_with(|| {
            materials.add(StandardMaterial {
                base_color: Color::WHITE,
                alpha_mode: AlphaMode::Blend,
                perceptual_roughness: 0.15,
                reflectance: 0.5,
                double_sided: true,
                cull_mode: None,
                depth_bias: 3.0,
                ..default()
            })
        })
        .clone();
    commands.spawn((
        Mesh3d(meshes.add(mesh.into_mesh())),
        MeshMaterial3d(material),
        Transform::default(),
        GeoAnchor(anchor),
        NotShadowCaster,
        NotShadowReceiver,
        WaterSurface,
    ));
}

/// The depth ramp: light to deep blue over 0–2 m, as the legend shows;
/// shallow water lets the ground through, deep water hides it.
pub struct DepthRamp(ColorRamp);

impl Default for DepthRamp {
    fn default() -> Self {
        DepthRamp(ColorRamp::by_name("Blues").expect("a built-in ramp"))
    }
}

impl DepthRamp {
    /// sRGB with alpha.
    pub fn colour(&self, depth_m: f32) -> [u8; 4] {
        let [r, g, b, _] = self.0.sample(0.5 + 0.5 * (depth_m / 2.0).clamp(0.0, 1.0));
        [r, g, b, (170.0 + 70.0 * depth_m.clamp(0.0, 1.0)) as u8]
    }
}

/// A quad per cell with water to show, at its level, around an anchor at
/// the grid's south-west corner; `None` when nothing is wet.
pub fn water_mesh(grid: &FloodGrid, depth: &[f32]) -> Option<(DVec3, MeshData)> {
    let anchor = grid.corner(0, 0).extend(0.0);
    let mut m = MeshData::default();
    let up = RenderFrame::offset_to_render(&[0.0, 0.0, 1.0]);
    let ramp = DepthRamp::default();
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let c = j * grid.nx + i;
            let h = depth[c];
            if h < SHOWN_DEPTH_M || !grid.ground[c] {
                continue;
            }
            let level = (grid.bed[c] + h) as f64;
            let [r, g, b, a] = ramp.colour(h).map(|v| v as f32 / 255.0);
            let colour = Color::srgba(r, g, b, a).to_linear().to_f32_array();
            let base = m.positions.len() as u32;
            for (di, dj) in [(0, 0), (1, 0), (1, 1), (0, 1)] {
                let p = grid.corner(i + di, j + dj).extend(level) - anchor;
                m.positions
                    .push(RenderFrame::offset_to_render(&p.as_vec3().to_array()));
                m.normals.push(up);
                m.colors.push(colour);
            }
            m.indices
                .extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
        }
    }
    (!m.is_empty()).then_some((anchor, m))
}

/// Flat white arrows floating on the water, along each block's flow, their
/// length growing with its speed up to 2 m/s.
pub fn arrow_mesh(grid: &FloodGrid, arrows: &[Arrow], anchor: DVec3) -> MeshData {
    let mut m = MeshData::default();
    let up = RenderFrame::offset_to_render(&[0.0, 0.0, 1.0]);
    let white = [1.0, 1.0, 1.0, 0.9];
    let block = grid.nx.max(grid.ny).div_ceil(ARROWS_ACROSS).max(1) as f64;
    for a in arrows {
        let speed = a.velocity.length();
        let along = a.velocity.as_dvec2() / speed as f64;
        let side = along.perp();
        let length = block * (0.3 + 0.6 * (speed / 2.0).min(1.0) as f64);
        let (tail, tip) = (a.at - along * length / 2.0, a.at + along * length / 2.0);
        let neck = tip - along * length * 0.35;
        let (shaft, head) = (0.06 * block, 0.2 * block);
        let level = a.level as f64 + 0.05;
        let base = m.positions.len() as u32;
        for g in [
            tail - side * shaft,
            neck - side * shaft,
            neck + side * shaft,
            tail + side * shaft,
            neck - side * head,
            tip,
            neck + side * head,
        ] {
            let p = grid.at(g).extend(level) - anchor;
            m.positions
                .push(RenderFrame::offset_to_render(&p.as_vec3().to_array()));
            m.normals.push(up);
            m.colors.push(white);
        }
        m.indices.extend_from_slice(&[
            base,
            base + 1,
            base + 2,
            base,
            base + 2,
            base + 3,
            base + 4,
            base + 5,
            base + 6,
        ]);
    }
    m
}

/// Flags the flooded buildings (alert colour), again after a layer's
/// buffer is rebuilt.
fn flag_buildings(
    mut flood: ResMut<Flood>,
    mut styles: ResMut<FeatureStyles>,
    mut seen: Local<u64>,
) {
    if !flood.marks_changed && *seen == styles.generation() {
        return;
    }
    *seen = styles.generation();
    flood.marks_changed = false;
    let mut by_layer: Vec<(u64, Vec<u32>, u32)> = Vec::new();
    for f in &flood.flooded {
        match by_layer.iter_mut().find(|m| m.0 == f.layer) {
            Some(m) => m.1.push(f.feature),
            None => by_layer.push((f.layer, vec![f.feature], ALERT)),
        }
    }
    let Flood { marks, .. } = &mut *flood;
    marks.replace(&mut styles, by_layer);
}

/// A click in the view probes the water while the panel's probe tool is
/// on (viewer only: the pointer's hit).
pub fn probe_on_click(
    buttons: Res<ButtonInput<MouseButton>>,
    hit: Res<crate::view::picking::CursorHit>,
    drag: Res<crate::view::camera::PointerDrag>,
    ui: Res<crate::ui::UiCapture>,
    flood: Res<Flood>,
    mut commands: MessageWriter<FloodViewCommand>,
) {
    if flood.probing
        && buttons.just_released(MouseButton::Left)
        && !drag.dragged
        && !ui.pointer
        && let Some(p) = hit.point
    {
        commands.write(FloodViewCommand::Probe(p));
    }
}

#[cfg(test)]
mod tests {
    //! The plugin in a Bevy app without a GPU: a scene document naming a
    //! scenario over a small valley with two buildings, one on its floor.

    use super::*;
    use crate::render::feature_style::FeatureStyles;
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
}
