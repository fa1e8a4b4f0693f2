//! Burst analysis (爆管分析) in the viewer: for a pipe of an EPANET
//! network picked in the view, the valves to close, the pipes that go dry
//! and the demand and length affected — `cim_core::pipes::isolation`, the
//! same answer as `cim pipe isolate`, on the task pool. The dry pipes are
//! drawn in the alert colour, the valve links highlighted. An EPANET
//! network's burst can then be simulated with its valves closed: the
//! isolation goes to the pipe results as a scenario
//! (`cim_hydraulics::Scenario::isolating`, as `cim pipe isolate --simulate`).
//!
//! Valves: a valve layer `NET.valves.csv` beside `NET.inp` (columns
//! `id,link,node`, as `--valves`), else the network's own `[VALVES]`.
//!
//! A GIS line layer of pipes is joined into a network as `cim pipe check`
//! joins it (`topology`, ends within 0.5 m); the scene's point layers named
//! like valves (`阀门`, `valve`) give its valves (each on the nearest pipe
//! within 2 m, `snap_points`), those named like sources (`水源`, `水厂`,
//! `source`, `reservoir`) its sources (at the nearest node), those named
//! like hydrants (`消火栓`, `hydrant`) are checked for supply. Without a
//! source only the broken pipe's segment is counted.

use crate::render::feature_style::{
    ALERT, FeatureStyles, FlagMarks, HIGHLIGHT, follow_styles, upload_styles,
};
use crate::render::pipe_results::PipeResultsCommand;
use crate::scene::store::{Notice, SceneStore, StoreCommand};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::model::attr::AttrValue;
use cim_core::pipes::isolation::{self, Isolator};
use cim_core::scene::{SceneDoc, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

pub struct BurstPlugin;

impl Plugin for BurstPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Burst>()
            .add_message::<BurstCommand>()
            .add_systems(Update, (apply_commands, receive).chain())
            .add_systems(PostUpdate, mark.after(follow_styles).before(upload_styles));
    }
}

#[derive(Message, Clone, Debug, PartialEq)]
pub enum BurstCommand {
    /// Isolate the link `link` (its ID) of the network in layer `layer`.
    Isolate {
        layer: u64,
        link: String,
    },
    /// Isolate the pipe drawn by feature `feature` of a GIS line layer: the
    /// layer is joined into a network, the scene's valve point layers
    /// placed on it, its source point layers made its sources.
    IsolateLine {
        layer: u64,
        feature: u32,
    },
    /// Simulate the network of the burst shown with its valves closed
    /// (EPANET networks): sent on to the pipe results as a scenario named
    /// `label`.
    Simulate {
        label: String,
    },
    Clear,
}

/// What a burst takes and costs, by link ID and by the layer's features.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstResult {
    pub layer: u64,
    pub link: String,
    /// (valve ID, the feature of the link it sits on, when drawn).
    pub valves: Vec<(String, Option<u32>)>,
    pub valves_from: String,
    /// Features of the links that go dry.
    pub dry: Vec<u32>,
    pub isolated_nodes: usize,
    pub isolated_links: usize,
    pub affected_demand_lps: f64,
    pub affected_length_m: f64,
    /// Hydrants on the dry pipes (GIS networks: the scene's point layers
    /// named like hydrants).
    pub hydrants_out: Vec<String>,
    /// Point features the burst cuts off, by layer: an EPANET network's
    /// isolated nodes, a GIS network's hydrants out of service.
    pub points: Vec<(u64, Vec<u32>)>,
    /// The isolation as edits to simulate (EPANET networks only: a GIS
    /// layer has no hydraulic model).
    pub scenario: Option<cim_hydraulics::Scenario>,
}

type Done = (u64, Result<BurstResult, String>);

#[derive(Resource)]
pub struct Burst {
    pub running: bool,
    pub result: Option<BurstResult>,
    /// Marked in the buffers: (slot, features, flag).
    shown: FlagMarks,
    changed: bool,
    tx: mpsc::Sender<Done>,
    rx: Mutex<mpsc::Receiver<Done>>,
}

impl Default for Burst {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Burst {
            running: false,
            result: None,
            shown: FlagMarks::default(),
            changed: false,
            tx,
            rx: Mutex::new(rx),
        }
    }
}

/// The IDs of an EPANET layer's features (its first field: link or node).
fn features_by_id(layer: &cim_core::Layer) -> HashMap<String, u32> {
    layer.vector().map_or_else(HashMap::new, |v| {
        v.features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| match f.attributes.first() {
                Some(AttrValue::String(id)) => Some((id.clone(), i as u32)),
                _ => None,
            })
            .collect()
    })
}

/// `NET.valves.csv` beside `NET.inp`.
fn valve_layer(inp: &Path) -> PathBuf {
    inp.with_extension("valves.csv")
}

/// A layer's features by ID (an EPANET network's links or nodes).
struct Features {
    layer: u64,
    by_id: HashMap<String, u32>,
}

fn isolate(
    path: &Path,
    link: &str,
    links: &Features,
    nodes: Option<&Features>,
) -> Result<BurstResult, String> {
    let (features, layer) = (&links.by_id, links.layer);
    let net = cim_loaders::pipes::inp::read(path).map_err(|e| e.to_string())?;
    let broken = net.link(link).ok_or_else(|| {
        format!(
            "{}: no link `{}`",
            cim_core::message::path(path),
            cim_core::message::clip(link, 60)
        )
    })?;
    let csv = valve_layer(path);
    let (valves, valves_from) = if csv.is_file() {
        (
            cim_loaders::pipes::valves::read(&csv, &net).map_err(|e| e.to_string())?,
            cim_core::message::path(&csv),
        )
    } else {
        (isolation::valve_links(&net), "[VALVES]".to_string())
    };
    let iso = Isolator::new(&net, &valves, &[]).isolate(broken);
    let scenario = cim_hydraulics::Scenario::isolating(&net, &valves, &iso);
    let feature = |l: u32| features.get(&net.links[l as usize].id).copied();
    Ok(BurstResult {
        layer,
        link: link.to_string(),
        valves: iso
            .valves_to_close
            .iter()
            .map(|&v| (valves[v].id.clone(), feature(valves[v].link)))
            .collect(),
        valves_from,
        dry: iso
            .isolated_links
            .iter()
            .filter_map(|&l| feature(l))
            .collect(),
        isolated_nodes: iso.isolated_nodes.len(),
        isolated_links: iso.isolated_links.len(),
        affected_demand_lps: iso.affected_demand_lps,
        affected_length_m: iso.affected_length_m,
        hydrants_out: Vec::new(),
        points: nodes
            .map(|n| {
                let cut = iso
                    .isolated_nodes
                    .iter()
                    .filter_map(|&i| n.by_id.get(&net.nodes[i as usize].id).copied());
                (n.layer, cut.collect())
            })
            .into_iter()
            .collect(),
        scenario: Some(scenario),
    })
}

/// Whether a point layer's name says it holds valves, or water sources.
fn names_valves(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.contains("阀") || lower.contains("valve")
}

fn names_hydrants(name: &str) -> bool {
    name.contains("消火栓") || name.contains("消防栓") || name.to_lowercase().contains("hydrant")
}

fn names_sources(name: &str) -> bool {
    let lower = name.to_lowercase();
    ["水源", "水厂", "清水池"].iter().any(|w| name.contains(w))
        || ["source", "reservoir", "plant"]
            .iter()
            .any(|w| lower.contains(w))
}

/// The points of a layer: (ID, position).
fn points_of(layer: &cim_core::Layer) -> Vec<(String, cim_core::DVec2)> {
    layer
        .vector()
        .map(cim_core::pipes::snap_points::points_of)
        .unwrap_or_default()
}

/// The feature a topology link came from: its ID is the feature's index,
/// `#k` for a piece of a split pipe, `/k` for a part, `~n` when repeated.
fn feature_of_piece(id: &str) -> Option<u32> {
    id.split(['#', '/', '~']).next()?.parse().ok()
}

fn isolate_line(
    layer: u64,
    lines: &cim_core::Layer,
    feature: u32,
    valve_layers: &[std::sync::Arc<cim_core::Layer>],
    source_layers: &[std::sync::Arc<cim_core::Layer>],
    hydrant_layers: &[(u64, std::sync::Arc<cim_core::Layer>)],
) -> Result<BurstResult, String> {
    use cim_core::pipes::NodeKind;
    use cim_core::pipes::corridor::from_layer::{feature_id, id_field};
    use cim_core::pipes::snap_points::{nearest_node, valves_from_points};
    use cim_core::pipes::topology::{build, line_pipes};
    let v = lines.vector().ok_or("not a vector layer")?;
    let pipes = line_pipes(v, |i| i.to_string());
    let mut net = build(&pipes, 0.5, 0.5).network;
    let sources: Vec<_> = source_layers.iter().flat_map(|l| points_of(l)).collect();
    for (_, p) in &sources {
        if let Some(n) = nearest_node(&net, *p) {
            net.nodes[n as usize].kind = NodeKind::Reservoir;
        }
    }
    let points: Vec<_> = valve_layers.iter().flat_map(|l| points_of(l)).collect();
    let (valves, missed) = valves_from_points(&net, &points, 2.0);
    let broken = net
        .links
        .iter()
        .position(|l| feature_of_piece(&l.id) == Some(feature))
        .ok_or("the selected pipe was left out of the network (shorter than the snap)")?;
    let iso = Isolator::new(&net, &valves, &[]).isolate(broken as u32);
    // Layer by layer, so each hydrant found is marked in its own layer.
    let (mut hydrants_out, mut points) = (Vec::new(), Vec::new());
    for (slot, l) in hydrant_layers {
        let hydrants = points_of(l);
        let out =
            cim_core::pipes::snap_points::on_dry_pipes(&net, &hydrants, 5.0, &iso.isolated_links);
        let ids = l.vector().map(|v| (v, id_field(v)));
        let marked = ids.map_or_else(Vec::new, |(v, field)| {
            (0..v.features.len())
                .filter(|&i| out.contains(&feature_id(v, field, i)))
                .map(|i| i as u32)
                .collect()
        });
        points.push((*slot, marked));
        hydrants_out.extend(out);
    }
    let mut dry: Vec<u32> = iso
        .isolated_links
        .iter()
        .filter_map(|&l| feature_of_piece(&net.links[l as usize].id))
        .collect();
    dry.sort_unstable();
    dry.dedup();
    let feature_of_link = |l: u32| feature_of_piece(&net.links[l as usize].id);
    Ok(BurstResult {
        layer,
        link: feature_id(v, id_field(v), feature as usize),
        valves: iso
            .valves_to_close
            .iter()
            .map(|&i| (valves[i].id.clone(), feature_of_link(valves[i].link)))
            .collect(),
        valves_from: format!(
            "{} valve point(s) ({} off the pipes), {} source(s)",
            valves.len(),
            missed.len(),
            sources.len()
        ),
        dry,
        isolated_nodes: iso.isolated_nodes.len(),
        isolated_links: iso.isolated_links.len(),
        affected_demand_lps: iso.affected_demand_lps,
        affected_length_m: iso.affected_length_m,
        hydrants_out,
        points,
        scenario: None,
    })
}

fn apply_commands(
    mut commands: MessageReader<BurstCommand>,
    store: Res<SceneStore>,
    mut burst: ResMut<Burst>,
    mut pipes: MessageWriter<PipeResultsCommand>,
) {
    for c in commands.read() {
        match c {
            BurstCommand::Simulate { label } => {
                if let Some(r) = &burst.result
                    && let Some(scenario) = &r.scenario
                {
                    pipes.write(PipeResultsCommand::RunScenario {
                        layer: r.layer,
                        label: label.clone(),
                        scenario: scenario.clone(),
                        floor_m: cim_hydraulics::scenario::SERVICE_FLOOR_M,
                    });
                }
            }
            BurstCommand::Clear => {
                burst.result = None;
                burst.changed = true;
            }
            BurstCommand::IsolateLine { layer, feature } => {
                if burst.running {
                    continue;
                }
                let Some(lines) = store.slot(*layer).and_then(|s| s.layer.clone()) else {
                    continue;
                };
                let points = |want: fn(&str) -> bool| -> Vec<(u64, Arc<cim_core::Layer>)> {
                    store
                        .layers
                        .iter()
                        .filter(|s| {
                            s.kind() == cim_core::model::layer::LayerKind::Points
                                && want(&s.reference.name)
                        })
                        .filter_map(|s| Some((s.id, s.layer.clone()?)))
                        .collect()
                };
                let layers = |want| points(want).into_iter().map(|p| p.1).collect::<Vec<_>>();
                let (valves, sources, hydrants) = (
                    layers(names_valves),
                    layers(names_sources),
                    points(names_hydrants),
                );
                burst.running = true;
                let (tx, id, feature) = (burst.tx.clone(), *layer, *feature);
                AsyncComputeTaskPool::get()
                    .spawn(async move {
                        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            isolate_line(id, &lines, feature, &valves, &sources, &hydrants)
                        }))
                        .map_err(|_| "the burst analysis crashed".to_string())
                        .and_then(|r| r);
                        let _ = tx.send((id, run));
                    })
                    .detach();
            }
            BurstCommand::Isolate { layer, link } => {
                if burst.running {
                    continue;
                }
                let Some(slot) = store.slot(*layer) else {
                    continue;
                };
                let Some(l) = slot.layer.clone() else {
                    continue;
                };
                let Source::File(path) =
                    SceneDoc::resolve_source(&slot.reference.source, store.doc_dir().as_deref())
                else {
                    continue;
                };
                // The network's nodes: the layer read from the same file.
                let nodes = store
                    .layers
                    .iter()
                    .find(|s| {
                        s.id != *layer
                            && s.reference.source == slot.reference.source
                            && s.kind() == cim_core::model::layer::LayerKind::Points
                    })
                    .and_then(|s| Some((s.id, s.layer.clone()?)));
                burst.running = true;
                let (tx, id, link) = (burst.tx.clone(), *layer, link.clone());
                AsyncComputeTaskPool::get()
                    .spawn(async move {
                        let links = Features {
                            layer: id,
                            by_id: features_by_id(&l),
                        };
                        let nodes = nodes.map(|(layer, n)| Features {
                            layer,
                            by_id: features_by_id(&n),
                        });
                        let run = std::panic::catch_unwind(|| {
                            isolate(&path, &link, &links, nodes.as_ref())
                        })
                        .map_err(|_| "the burst analysis crashed".to_string())
                        .and_then(|r| r);
                        let _ = tx.send((id, run));
                    })
                    .detach();
            }
        }
    }
}

fn receive(mut burst: ResMut<Burst>, mut notify: MessageWriter<StoreCommand>) {
    let done: Vec<Done> = match burst.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for (_, run) in done {
        burst.running = false;
        burst.changed = true;
        match run {
            Ok(r) => burst.result = Some(r),
            Err(e) => {
                burst.result = None;
                notify.write(StoreCommand::Notify(Notice {
                    error: true,
                    text: format!("burst analysis: {e}"),
                }));
            }
        }
    }
}

/// Dry pipes in the alert colour, valve links highlighted (again after a
/// layer's buffer is rebuilt).
fn mark(mut burst: ResMut<Burst>, mut styles: ResMut<FeatureStyles>, mut seen: Local<u64>) {
    if !burst.changed && *seen == styles.generation() {
        return;
    }
    *seen = styles.generation();
    burst.changed = false;
    let marks = burst.result.as_ref().map_or_else(Vec::new, |r| {
        let valves: Vec<u32> = r.valves.iter().filter_map(|v| v.1).collect();
        let mut marks = vec![
            (r.layer, r.dry.clone(), ALERT),
            (r.layer, valves, HIGHLIGHT),
        ];
        marks.extend(r.points.iter().map(|(l, f)| (*l, f.clone(), ALERT)));
        marks
    });
    burst.shown.replace(&mut styles, marks);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, geometry: Vec<cim_core::Geometry>) -> std::sync::Arc<cim_core::Layer> {
        use cim_core::model::layer::{Feature, FeatureId, LayerContent, LayerKind, VectorData};
        std::sync::Arc::new(cim_core::Layer {
            name: name.into(),
            format: "GeoJSON".into(),
            crs: None,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData {
                fields: Vec::new(),
                features: geometry
                    .into_iter()
                    .enumerate()
                    .map(|(i, g)| Feature {
                        id: FeatureId(i as u64),
                        geometry: g,
                        attributes: Vec::new(),
                    })
                    .collect(),
            }),
        })
    }

    #[test]
    fn a_gis_pipe_is_isolated_by_the_scenes_valve_points() {
        use cim_core::{DVec3, Geometry};
        // The main A–B–C west to east, D north from B's middle (as in
        // e2e_pipes' GIS isolation test); valves beside the main and on D.
        let line = |pts: &[(f64, f64)]| {
            Geometry::LineString(pts.iter().map(|&(x, y)| DVec3::new(x, y, 0.0)).collect())
        };
        let pipes = layer(
            "mains",
            vec![
                line(&[(0.0, 0.0), (100.0, 0.0)]),
                line(&[(100.0, 0.0), (200.0, 0.0)]),
                line(&[(200.0, 0.0), (300.0, 0.0)]),
                line(&[(150.0, 0.05), (150.0, 80.0)]),
            ],
        );
        let point = |x: f64, y: f64| Geometry::Point(DVec3::new(x, y, 0.0));
        let valves = layer(
            "阀门",
            vec![point(104.0, 0.4), point(196.0, -0.4), point(150.3, 10.0)],
        );
        let sources = layer("水厂", vec![point(0.0, 0.0)]);
        assert!(names_valves("阀门") && names_sources("水厂") && !names_valves("hydrants"));
        let hydrants = layer("消火栓", vec![point(250.0, 1.5), point(50.0, -1.5)]);
        assert!(names_hydrants("消火栓"));
        let r = isolate_line(1, &pipes, 1, &[valves], &[sources], &[(9, hydrants)]).unwrap();
        assert_eq!(r.hydrants_out, ["0"], "the hydrant on C, not the one on A");
        assert_eq!(r.points, [(9, vec![0])], "marked in its layer");
        assert_eq!(r.valves.len(), 3);
        assert_eq!(r.dry, vec![1, 2, 3], "B, then C and D fed only through it");
        assert!(r.valves_from.contains("1 source"));
    }

    #[test]
    fn a_burst_is_mapped_onto_the_layers_features() {
        // tests/reference/pipes_generated.inp has [VALVES]; the CLI's
        // answer for the same link is checked against WNTR in e2e_pipes.
        let inp =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp");
        let net = cim_loaders::pipes::inp::read(&inp).unwrap();
        let by_id = |ids: Vec<&String>| Features {
            layer: 7,
            by_id: ids
                .into_iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i as u32))
                .collect(),
        };
        let links = by_id(net.links.iter().map(|l| &l.id).collect());
        let mut nodes = by_id(net.nodes.iter().map(|n| &n.id).collect());
        nodes.layer = 8;
        let features = &links.by_id;
        let link = net
            .links
            .iter()
            .find(|l| l.kind == cim_core::pipes::LinkKind::Pipe)
            .unwrap()
            .id
            .clone();
        let r = isolate(&inp, &link, &links, Some(&nodes)).unwrap();
        let valves = isolation::valve_links(&net);
        let want = Isolator::new(&net, &valves, &[]).isolate(net.link(&link).unwrap());
        assert_eq!(r.valves.len(), want.valves_to_close.len());
        assert_eq!(r.dry.len(), want.isolated_links.len());
        assert!(r.dry.contains(&features[&link]), "the broken pipe is dry");
        assert_eq!(r.affected_length_m, want.affected_length_m);
        let cut: Vec<u32> = want.isolated_nodes.clone();
        assert_eq!(
            r.points,
            [(8, cut)],
            "the cut-off nodes, in the nodes layer"
        );
        assert!(
            isolate(&inp, "no-such-link", &links, None)
                .unwrap_err()
                .contains("no link")
        );
    }

    /// The viewer's burst → scenario flow in a Bevy app without a GPU: the
    /// generated network is simulated, a pipe isolated, the isolation
    /// simulated as a scenario and shown in place of normal operation with
    /// the same impact `cim pipe isolate --simulate` reports (both are
    /// checked against EPANET in hydraulics' and e2e_pipes' tests), then
    /// normal operation comes back.
    #[test]
    fn a_burst_is_simulated_with_its_valves_closed_and_undone() {
        use crate::render::pipe_results::{LayerRun, PipeResults, PipeResultsPlugin};
        use crate::scene::clock::ClockPlugin;
        use crate::scene::store::SlotState;
        use std::time::{Duration, Instant};
        // Valves around H2_0 and its neighbours (NET.valves.csv beside the
        // network, as the viewer reads them): H2_0, H3_0 and V3_0 are shut
        // and J3_0 is cut off.
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("net.inp");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp"),
            &inp,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("net.valves.csv"),
            "id,link,node\nA,H2_0,J2_0\nB,H3_0,J4_0\nC,V3_0,J3_1\n",
        )
        .unwrap();
        let mut store =
            SceneStore::new(crate::scene::load::open_inputs(std::slice::from_ref(&inp)).unwrap());
        store.load_all_blocking();
        let slot = store
            .layers
            .iter()
            .find(|s| {
                s.state == SlotState::Ready && s.kind() == cim_core::model::layer::LayerKind::Pipes
            })
            .expect("the network loads");
        let (id, n) = (
            slot.id,
            slot.layer
                .as_ref()
                .unwrap()
                .vector()
                .unwrap()
                .features
                .len(),
        );
        let nodes = store
            .layers
            .iter()
            .find(|s| s.kind() == cim_core::model::layer::LayerKind::Points)
            .expect("the network's nodes");
        let node_layer = nodes.layer.clone().unwrap();
        let (nodes_id, node_features) = (nodes.id, features_by_id(&node_layer));
        let mut app = crate::analysis::test_app::styled_app();
        app.add_plugins(ClockPlugin {
            clock: cim_core::time::SceneClock::for_local_day(2024, 6, 21, 0.0, 8.0),
        })
        .add_plugins((PipeResultsPlugin, BurstPlugin));
        crate::analysis::test_app::style_layers(
            &mut app,
            &[(id, n), (nodes_id, node_features.len())],
        );
        let world = app.world_mut();
        world.insert_resource(store);
        let run_until = |app: &mut App, done: &dyn Fn(&World) -> bool| {
            let start = Instant::now();
            while !done(app.world()) {
                if start.elapsed() > Duration::from_secs(60) {
                    let states: Vec<String> = app
                        .world()
                        .resource::<PipeResults>()
                        .layers
                        .values()
                        .map(|r| match r {
                            LayerRun::Running => "running".into(),
                            LayerRun::Failed(e) => e.clone(),
                            LayerRun::Ready(_) => "ready".into(),
                        })
                        .collect();
                    let b = app.world().resource::<Burst>();
                    panic!(
                        "no result; simulations: {states:?}, burst running {}, result {}",
                        b.running,
                        b.result.is_some()
                    );
                }
                app.update();
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        run_until(&mut app, &|w| w.resource::<PipeResults>().ready(id));
        app.world_mut().write_message(BurstCommand::Isolate {
            layer: id,
            link: "H2_0".into(),
        });
        run_until(&mut app, &|w| w.resource::<Burst>().result.is_some());
        app.update();
        // The cut-off node is marked in the nodes layer, its neighbour not.
        let flags = |app: &App, node: &str| {
            app.world()
                .resource::<FeatureStyles>()
                .flags(nodes_id, node_features[node])
                .unwrap()
        };
        assert_ne!(flags(&app, "J3_0") & ALERT, 0);
        assert_eq!(flags(&app, "J2_0") & ALERT, 0);
        app.world_mut().write_message(BurstCommand::Simulate {
            label: "burst H2_0".into(),
        });
        let shown = |w: &World| match w.resource::<PipeResults>().layers.get(&id) {
            Some(LayerRun::Ready(r)) => r.scenario.is_some(),
            _ => false,
        };
        run_until(&mut app, &shown);
        // The same impact as the CLI's: EPANET run twice and compared.
        let net = cim_loaders::pipes::inp::read(&inp).unwrap();
        let valves = cim_loaders::pipes::valves::read(&valve_layer(&inp), &net).unwrap();
        let iso = Isolator::new(&net, &valves, &[]).isolate(net.link("H2_0").unwrap());
        let scenario = cim_hydraulics::Scenario::isolating(&net, &valves, &iso);
        let skip = scenario.out_of_service.iter().map(String::as_str).collect();
        let want = cim_hydraulics::scenario::compare(
            &cim_hydraulics::simulate(&inp).unwrap(),
            &cim_hydraulics::simulate_scenario(&inp, &scenario).unwrap(),
            cim_hydraulics::scenario::SERVICE_FLOOR_M,
            &skip,
        );
        {
            let results = app.world().resource::<PipeResults>();
            let Some(LayerRun::Ready(r)) = results.layers.get(&id) else {
                unreachable!()
            };
            let s = r.scenario.as_ref().unwrap();
            assert_eq!(scenario.closed_links, ["H2_0", "H3_0", "V3_0"]);
            assert_eq!(scenario.out_of_service, ["J3_0"]);
            assert_eq!(s.closed_links, 3);
            assert!(!want.drops.is_empty(), "closing mains lowers pressures");
            assert_eq!(s.impact, want);
            assert!(s.label.contains("H2_0"));
        }
        // Closed pipes carry nothing: coloured as the bottom of the
        // velocity ramp, and so differently from normal operation.
        app.update();
        let closed = net.link(&scenario.closed_links[0]).unwrap();
        let colour = |app: &App| {
            app.world()
                .resource::<FeatureStyles>()
                .color(id, closed)
                .unwrap()
        };
        let bottom = crate::render::pipe_results::Quantity::Velocity
            .ramp()
            .sample(0.0);
        assert_eq!(colour(&app)[..3], bottom[..3]);
        app.world_mut()
            .write_message(PipeResultsCommand::ShowNormal { layer: id });
        app.update();
        app.update();
        let results = app.world().resource::<PipeResults>();
        let Some(LayerRun::Ready(r)) = results.layers.get(&id) else {
            unreachable!()
        };
        assert!(r.scenario.is_none(), "normal operation again");
        assert_ne!(colour(&app)[..3], bottom[..3]);
    }
}
