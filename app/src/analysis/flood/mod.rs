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
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use bevy::prelude::*;
use cim_core::model::layer::LayerKind;
use cim_core::{DVec3, Layer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

mod grid;
mod water;
mod worker;

pub use grid::FloodGrid;
use water::draw_water;
pub use water::{Arrow, DepthRamp, WaterSurface, arrow_mesh, arrows, water_mesh};

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

/// One output: its time (s from the start) and every cell's depth (m).
pub struct Frame {
    pub time_s: f64,
    pub depth: Arc<Vec<f32>>,
    /// The flow on a coarse lattice, for arrows.
    pub arrows: Arc<Vec<Arrow>>,
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
                            worker::run_in_background(
                                &path,
                                (&crs, shared),
                                &buildings,
                                &tx,
                                &cancel,
                            )
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
mod tests;
