//! Hydraulic results on pipe layers. An EPANET network opened as a layer
//! (`cim_loaders::pipes`) is simulated on the task pool as soon as it is
//! ready (`cim_hydraulics`: EPANET 2.3), the scene clock takes in the
//! simulation's span (time 0 at the clock's start when the results
//! arrive), and the pipes are coloured by the reporting step the clock is
//! at — velocity, flow or pressure — through the layer's per-feature colour
//! buffer: a new step rewrites colours, never meshes. Colours span each
//! quantity's range over the whole simulation, so steps compare.
//!
//! A scenario (a burst's valves closed, `cim_hydraulics::scenario`) is
//! simulated on request and shown in place of normal operation, on the
//! same clock and the same colour ranges (both widened to cover both), so
//! what the edits change reads as a change of colour; normal operation is
//! kept to compare with and to go back to.

use crate::render::feature_style::{FeatureStyles, follow_styles, upload_styles};
use crate::scene::clock::{Clock, ClockCommand};
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::model::attr::AttrValue;
use cim_core::scene::{SceneDoc, Source};
use cim_core::style::color_ramp::ColorRamp;
use cim_hydraulics::Simulation;
use cim_hydraulics::scenario::{Impact, Scenario};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};

pub struct PipeResultsPlugin;

impl Plugin for PipeResultsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PipeResults>()
            .add_message::<PipeResultsCommand>()
            .add_systems(
                Update,
                (apply_commands, start_simulations, receive_simulations).chain(),
            )
            .add_systems(
                PostUpdate,
                colour_pipes.after(follow_styles).before(upload_styles),
            );
    }
}

/// What the pipes are coloured by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// Mean speed of the water, m/s.
    #[default]
    Velocity,
    /// Flow either way, L/s.
    Flow,
    /// Mean pressure head of the pipe's two ends, m.
    Pressure,
}

impl Quantity {
    pub const ALL: [Quantity; 3] = [Quantity::Velocity, Quantity::Flow, Quantity::Pressure];

    pub fn unit(self) -> &'static str {
        match self {
            Quantity::Velocity => "m/s",
            Quantity::Flow => "L/s",
            Quantity::Pressure => "m",
        }
    }

    /// The i18n key of its name.
    pub fn key(self) -> &'static str {
        match self {
            Quantity::Velocity => "pipes.velocity",
            Quantity::Flow => "pipes.flow",
            Quantity::Pressure => "pipes.pressure",
        }
    }

    /// The ramp its values are coloured through.
    pub fn ramp(self) -> ColorRamp {
        // Low pressure is the alarm: red at the bottom.
        let name = if self == Quantity::Pressure {
            "RdYlGn"
        } else {
            "turbo"
        };
        ColorRamp::by_name(name).unwrap_or_else(|| ColorRamp::by_name("viridis").expect("built in"))
    }
}

/// A change asked of the pipe results (from the legend, the burst panel).
#[derive(Message, Clone, Debug, PartialEq)]
pub enum PipeResultsCommand {
    SetQuantity(Quantity),
    /// Flow direction chevrons on or off (the viewer's).
    SetAnimate(bool),
    /// Simulate a layer's network with a scenario's edits and show it in
    /// place of normal operation; junctions below `floor_m` are counted.
    RunScenario {
        layer: u64,
        label: String,
        scenario: Scenario,
        floor_m: f64,
    },
    /// Back to a layer's normal operation.
    ShowNormal {
        layer: u64,
    },
}

/// One pipe layer's simulation.
pub enum LayerRun {
    Running,
    Failed(String),
    Ready(Box<Results>),
}

/// What a scenario shown in place of normal operation is and does.
pub struct ScenarioShown {
    pub label: String,
    pub floor_m: f64,
    pub closed_links: usize,
    pub out_of_service: usize,
    /// Against normal operation.
    pub impact: Impact,
    /// Controls and rules the edits disabled.
    pub edits: Vec<String>,
}

/// A finished simulation, matched to its layer's features.
pub struct Results {
    pub sim: Arc<Simulation>,
    /// Clock instant of simulation time 0.
    pub anchor: f64,
    /// Per simulation link: its feature's index in the layer, and its end
    /// nodes' indices in the simulation.
    links: Vec<(Option<u32>, Option<usize>, Option<usize>)>,
    /// Each quantity's range over the whole simulation.
    ranges: HashMap<Quantity, (f64, f64)>,
    /// What the buffer shows: step, quantity, style tick, buffer generation.
    drawn: Option<(usize, Quantity, u64, u64)>,
    /// The step shown now.
    pub period: usize,
    /// Set when these are a scenario's results.
    pub scenario: Option<Box<ScenarioShown>>,
}

impl Results {
    /// The layer feature drawing simulation link `i`, when drawn.
    pub fn feature(&self, i: usize) -> Option<u32> {
        self.links.get(i).and_then(|l| l.0)
    }

    pub fn range(&self, q: Quantity) -> (f64, f64) {
        self.ranges.get(&q).copied().unwrap_or((0.0, 1.0))
    }
}

/// A scenario being simulated: what to compare its results with.
struct Pending {
    label: String,
    floor_m: f64,
    scenario: Scenario,
}

/// A finished run: the layer, the simulation, the scenario it was of.
type Finished = (u64, Result<Simulation, String>, Option<Pending>);

/// Every pipe layer's simulation, and what the pipes are coloured by.
#[derive(Resource)]
pub struct PipeResults {
    /// What each layer shows: normal operation, or a scenario.
    pub layers: HashMap<u64, LayerRun>,
    /// Normal operation of the layers showing a scenario.
    normal: HashMap<u64, Box<Results>>,
    /// Layers whose scenario is being simulated (its label).
    pub scenario_running: HashMap<u64, String>,
    pub quantity: Quantity,
    /// Whether the viewer animates the flow (`render::flow_animation`).
    pub animate: bool,
    tx: mpsc::Sender<Finished>,
    rx: Mutex<mpsc::Receiver<Finished>>,
}

impl Default for PipeResults {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Self {
            layers: HashMap::new(),
            normal: HashMap::new(),
            scenario_running: HashMap::new(),
            quantity: Quantity::default(),
            animate: true,
            tx,
            rx: Mutex::new(rx),
        }
    }
}

impl PipeResults {
    /// Whether every pipe layer's simulation has finished (or failed).
    pub fn settled(&self) -> bool {
        self.scenario_running.is_empty()
            && !self.layers.values().any(|r| matches!(r, LayerRun::Running))
    }

    /// Whether a layer's network has been simulated (a scenario can run).
    pub fn ready(&self, layer: u64) -> bool {
        matches!(self.layers.get(&layer), Some(LayerRun::Ready(_)))
    }

    /// Runs EPANET on `path` on the task pool; the result comes back on the
    /// channel with `pending`.
    fn spawn(&self, layer: u64, path: std::path::PathBuf, pending: Option<Pending>) {
        let tx = self.tx.clone();
        AsyncComputeTaskPool::get()
            .spawn(async move {
                let none = Scenario::default();
                let scenario = pending.as_ref().map_or(&none, |p| &p.scenario);
                let run =
                    std::panic::catch_unwind(|| cim_hydraulics::simulate_scenario(&path, scenario))
                        .map_err(|_| "the simulation crashed".to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()));
                // The receiver is gone only when the app is.
                let _ = tx.send((layer, run, pending));
            })
            .detach();
    }
}

/// The network file of an EPANET layer.
fn network_file(store: &SceneStore, layer: u64) -> Option<std::path::PathBuf> {
    let slot = store.slot(layer)?;
    if !is_network(slot) {
        return None;
    }
    match SceneDoc::resolve_source(&slot.reference.source, store.doc_dir().as_deref()) {
        Source::File(path) => Some(path),
        _ => None,
    }
}

fn apply_commands(
    mut commands: MessageReader<PipeResultsCommand>,
    store: Res<SceneStore>,
    mut results: ResMut<PipeResults>,
) {
    for c in commands.read() {
        match c {
            PipeResultsCommand::SetQuantity(q) => results.quantity = *q,
            PipeResultsCommand::SetAnimate(on) => results.animate = *on,
            PipeResultsCommand::RunScenario {
                layer,
                label,
                scenario,
                floor_m,
            } => {
                let Some(path) = network_file(&store, *layer) else {
                    continue;
                };
                if !results.ready(*layer) || results.scenario_running.contains_key(layer) {
                    continue;
                }
                results.scenario_running.insert(*layer, label.clone());
                let pending = Pending {
                    label: label.clone(),
                    floor_m: *floor_m,
                    scenario: scenario.clone(),
                };
                results.spawn(*layer, path, Some(pending));
            }
            PipeResultsCommand::ShowNormal { layer } => {
                if let Some(mut normal) = results.normal.remove(layer) {
                    normal.drawn = None;
                    results.layers.insert(*layer, LayerRun::Ready(normal));
                }
            }
        }
    }
}

/// Whether a slot holds an EPANET network's pipes.
fn is_network(slot: &crate::scene::store::LayerSlot) -> bool {
    slot.layer
        .as_ref()
        .is_some_and(|l| l.format == "EPANET" && l.kind == cim_core::model::layer::LayerKind::Pipes)
}

fn start_simulations(store: Res<SceneStore>, mut results: ResMut<PipeResults>) {
    for slot in &store.layers {
        if slot.state != SlotState::Ready || results.layers.contains_key(&slot.id) {
            continue;
        }
        let Some(path) = network_file(&store, slot.id) else {
            continue;
        };
        results.layers.insert(slot.id, LayerRun::Running);
        results.spawn(slot.id, path, None);
    }
}

fn receive_simulations(
    store: Res<SceneStore>,
    clock: Res<Clock>,
    mut results: ResMut<PipeResults>,
    mut notify: MessageWriter<StoreCommand>,
    mut clock_commands: MessageWriter<ClockCommand>,
) {
    let done: Vec<_> = match results.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for (id, run, pending) in done {
        let name = store
            .slot(id)
            .map_or(String::new(), |s| s.reference.name.clone());
        if let Some(pending) = pending {
            results.scenario_running.remove(&id);
            match run {
                Ok(sim) => show_scenario(&mut results, &store, id, sim, pending),
                Err(e) => {
                    notify.write(StoreCommand::Notify(Notice {
                        error: true,
                        text: format!("{name}: {}: {e}", pending.label),
                    }));
                }
            }
            continue;
        }
        let state = match run {
            Err(e) => {
                notify.write(StoreCommand::Notify(Notice {
                    error: true,
                    text: format!("{name}: hydraulic simulation failed: {e}"),
                }));
                LayerRun::Failed(e)
            }
            Ok(sim) => {
                for w in sim.warnings.iter().take(3) {
                    notify.write(StoreCommand::Notify(Notice {
                        error: false,
                        text: format!("{name}: EPANET {w}"),
                    }));
                }
                let anchor = clock.0.start;
                let end = sim.periods.last().map_or(0, |p| p.time_s) as f64;
                clock_commands.write(ClockCommand::Include(anchor, anchor + end.max(1.0)));
                let Some(layer) = store.slot(id).and_then(|s| s.layer.clone()) else {
                    continue;
                };
                LayerRun::Ready(Box::new(match_features(sim, &layer, anchor)))
            }
        };
        results.layers.insert(id, state);
    }
}

/// Shows a scenario's results in place of the layer's normal operation
/// (kept aside), on its clock anchor and over both runs' colour ranges.
fn show_scenario(
    results: &mut PipeResults,
    store: &SceneStore,
    id: u64,
    sim: Simulation,
    pending: Pending,
) {
    let Some(layer) = store.slot(id).and_then(|s| s.layer.clone()) else {
        return;
    };
    if let Some(LayerRun::Ready(r)) = results.layers.remove(&id)
        && r.scenario.is_none()
    {
        results.normal.insert(id, r);
    }
    let Some(normal) = results.normal.get_mut(&id) else {
        return;
    };
    let skip: std::collections::HashSet<&str> = pending
        .scenario
        .out_of_service
        .iter()
        .map(String::as_str)
        .collect();
    let impact = cim_hydraulics::scenario::compare(&normal.sim, &sim, pending.floor_m, &skip);
    let edits = sim.edits.clone();
    let mut shown = match_features(sim, &layer, normal.anchor);
    for q in Quantity::ALL {
        let (a, b) = (normal.range(q), shown.range(q));
        let both = (a.0.min(b.0), a.1.max(b.1));
        normal.ranges.insert(q, both);
        shown.ranges.insert(q, both);
    }
    normal.drawn = None;
    shown.scenario = Some(Box::new(ScenarioShown {
        label: pending.label,
        floor_m: pending.floor_m,
        closed_links: pending.scenario.closed_links.len(),
        out_of_service: pending.scenario.out_of_service.len(),
        impact,
        edits,
    }));
    results.layers.insert(id, LayerRun::Ready(Box::new(shown)));
}

/// The text of a string attribute ("" for anything else).
fn text(a: Option<&AttrValue>) -> &str {
    match a {
        Some(AttrValue::String(s)) => s.as_str(),
        _ => "",
    }
}

/// Matches a simulation's links to the layer's features by ID.
fn match_features(sim: Simulation, layer: &cim_core::Layer, anchor: f64) -> Results {
    let mut by_id: HashMap<&str, (u32, &str, &str)> = HashMap::new();
    if let Some(v) = layer.vector() {
        for (i, f) in v.features.iter().enumerate() {
            let a = &f.attributes;
            by_id.insert(text(a.first()), (i as u32, text(a.get(2)), text(a.get(3))));
        }
    }
    let nodes: HashMap<&str, usize> = sim
        .node_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let links = sim
        .link_ids
        .iter()
        .map(|id| match by_id.get(id.as_str()) {
            Some(&(f, a, b)) => (Some(f), nodes.get(a).copied(), nodes.get(b).copied()),
            None => (None, None, None),
        })
        .collect::<Vec<_>>();
    let mut results = Results {
        sim: Arc::new(sim),
        anchor,
        links,
        ranges: HashMap::new(),
        drawn: None,
        period: 0,
        scenario: None,
    };
    for q in Quantity::ALL {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in 0..results.sim.periods.len() {
            for v in results.values(p, q).into_iter().flatten() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo.is_finite() {
            results.ranges.insert(q, (lo, hi.max(lo + 1e-9)));
        }
    }
    results
}

impl Results {
    /// Each simulation link's value of `q` at step `p` (None for links
    /// not drawn).
    fn values(&self, p: usize, q: Quantity) -> Vec<Option<f64>> {
        let period = &self.sim.periods[p];
        self.links
            .iter()
            .enumerate()
            .map(|(i, &(feature, a, b))| {
                feature?;
                Some(match q {
                    Quantity::Velocity => period.velocity_ms[i].abs(),
                    Quantity::Flow => period.flow_lps[i].abs(),
                    Quantity::Pressure => (period.pressure_m[a?] + period.pressure_m[b?]) / 2.0,
                })
            })
            .collect()
    }

    /// The last reporting step at or before clock instant `t`.
    fn period_at(&self, t: f64) -> usize {
        let since = t - self.anchor;
        self.sim
            .periods
            .iter()
            .rposition(|p| p.time_s as f64 <= since)
            .unwrap_or(0)
    }
}

/// Recolours a pipe layer when the step, the quantity, its style or its
/// buffer changed.
fn colour_pipes(
    store: Res<SceneStore>,
    clock: Res<Clock>,
    mut results: ResMut<PipeResults>,
    mut styles: ResMut<FeatureStyles>,
) {
    let quantity = results.quantity;
    let generation = styles.generation();
    for (id, run) in results.layers.iter_mut() {
        let LayerRun::Ready(r) = run else { continue };
        let (Some(slot), true) = (store.slot(*id), styles.has_layer(*id)) else {
            continue;
        };
        if r.sim.periods.is_empty() {
            continue;
        }
        r.period = r.period_at(clock.0.current);
        let want = (r.period, quantity, slot.style_tick, generation);
        if r.drawn == Some(want) {
            continue;
        }
        let ramp = quantity.ramp();
        let (lo, hi) = r.range(quantity);
        let colors: Vec<(u32, [u8; 4])> = r
            .values(r.period, quantity)
            .into_iter()
            .zip(&r.links)
            .filter_map(|(v, &(feature, _, _))| {
                let t = ((v? - lo) / (hi - lo)).clamp(0.0, 1.0);
                Some((feature?, ramp.sample(t as f32)))
            })
            .collect();
        styles.set_feature_colors(*id, &colors);
        r.drawn = Some(want);
    }
}
