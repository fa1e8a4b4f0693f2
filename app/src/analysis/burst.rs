//! Burst analysis (爆管分析) in the viewer: for a pipe of an EPANET
//! network picked in the view, the valves to close, the pipes that go dry
//! and the demand and length affected — `cim_core::pipes::isolation`, the
//! same answer as `cim pipe isolate`, on the task pool. The dry pipes are
//! drawn in the alert colour, the valve links highlighted.
//!
//! Valves: a valve layer `NET.valves.csv` beside `NET.inp` (columns
//! `id,link,node`, as `--valves`), else the network's own `[VALVES]`.

use crate::render::feature_style::{ALERT, FeatureStyles, HIGHLIGHT, follow_styles, upload_styles};
use crate::scene::store::{Notice, SceneStore, StoreCommand};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::model::attr::AttrValue;
use cim_core::pipes::isolation::{self, Isolator};
use cim_core::scene::{SceneDoc, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

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
}

type Done = (u64, Result<BurstResult, String>);

#[derive(Resource)]
pub struct Burst {
    pub running: bool,
    pub result: Option<BurstResult>,
    /// Marked in the buffers: (slot, features, flag).
    shown: Vec<(u64, Vec<u32>, u32)>,
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
            shown: Vec::new(),
            changed: false,
            tx,
            rx: Mutex::new(rx),
        }
    }
}

/// The link IDs of an EPANET layer's features (its first field).
fn feature_of_link(layer: &cim_core::Layer) -> HashMap<String, u32> {
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

fn isolate(
    path: &Path,
    link: &str,
    features: &HashMap<String, u32>,
    layer: u64,
) -> Result<BurstResult, String> {
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
    })
}

fn apply_commands(
    mut commands: MessageReader<BurstCommand>,
    store: Res<SceneStore>,
    mut burst: ResMut<Burst>,
) {
    for c in commands.read() {
        match c {
            BurstCommand::Clear => {
                burst.result = None;
                burst.changed = true;
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
                burst.running = true;
                let (tx, id, link) = (burst.tx.clone(), *layer, link.clone());
                AsyncComputeTaskPool::get()
                    .spawn(async move {
                        let features = feature_of_link(&l);
                        let run = std::panic::catch_unwind(|| isolate(&path, &link, &features, id))
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
    for (slot, features, flag) in std::mem::take(&mut burst.shown) {
        styles.set_flag(slot, &features, flag, false);
    }
    let Some(r) = &burst.result else { return };
    let valves: Vec<u32> = r.valves.iter().filter_map(|v| v.1).collect();
    styles.set_flag(r.layer, &r.dry, ALERT, true);
    styles.set_flag(r.layer, &valves, HIGHLIGHT, true);
    let shown = vec![
        (r.layer, r.dry.clone(), ALERT),
        (r.layer, valves, HIGHLIGHT),
    ];
    burst.shown = shown;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_mapped_onto_the_layers_features() {
        // tests/reference/pipes_generated.inp has [VALVES]; the CLI's
        // answer for the same link is checked against WNTR in e2e_pipes.
        let inp =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp");
        let net = cim_loaders::pipes::inp::read(&inp).unwrap();
        let features: HashMap<String, u32> = net
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i as u32))
            .collect();
        let link = net
            .links
            .iter()
            .find(|l| l.kind == cim_core::pipes::LinkKind::Pipe)
            .unwrap()
            .id
            .clone();
        let r = isolate(&inp, &link, &features, 7).unwrap();
        let valves = isolation::valve_links(&net);
        let want = Isolator::new(&net, &valves, &[]).isolate(net.link(&link).unwrap());
        assert_eq!(r.valves.len(), want.valves_to_close.len());
        assert_eq!(r.dry.len(), want.isolated_links.len());
        assert!(r.dry.contains(&features[&link]), "the broken pipe is dry");
        assert_eq!(r.affected_length_m, want.affected_length_m);
        assert!(
            isolate(&inp, "no-such-link", &features, 7)
                .unwrap_err()
                .contains("no link")
        );
    }
}
