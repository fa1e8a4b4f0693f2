//! Pipe-corridor analyses in the viewer: the scene's utility line layers
//! (any layer whose lines read as utility lines — by their class field, or
//! their layer's name) are checked for clearance and collisions, cut by a
//! section along the measured line, or dug into inside the measured area,
//! with `cim_core::pipes::corridor`, on the task pool. The lines a result
//! names are highlighted through the layers' feature style buffers.
//!
//! Panels ask through [`CorridorCommand`]s; [`Corridor`] holds the
//! results they show.

use crate::render::feature_style::{
    FeatureStyles, FlagMarks, HIGHLIGHT, follow_styles, upload_styles,
};
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::model::layer::LayerKind;
use cim_core::pipes::corridor::clearance::{self, CheckOptions, ClearanceReport};
use cim_core::pipes::corridor::cover::{self, CoverReport};
use cim_core::pipes::corridor::excavation::{self, Dig, DigBottom, DigHit};
use cim_core::pipes::corridor::from_layer::{LineOptions, lines_from_layer};
use cim_core::pipes::corridor::ground::{Ground, NoGround};
use cim_core::pipes::corridor::section::{self, Section};
use cim_core::pipes::corridor::{ClearanceRules, Location, Utility, UtilityLine};
use cim_core::{DVec2, Layer};
use std::sync::{Arc, Mutex, mpsc};

pub struct CorridorPlugin;

impl Plugin for CorridorPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Corridor>()
            .add_message::<CorridorCommand>()
            .add_systems(Update, (apply_commands, receive).chain())
            .add_systems(
                PostUpdate,
                highlight.after(follow_styles).before(upload_styles),
            );
    }
}

/// What a panel asks for.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum CorridorCommand {
    /// Clearance and collision check of every utility line in the scene.
    CheckClearance,
    /// Cover over every utility line (roadway minimum where a line's data
    /// does not say where it runs).
    CheckCover,
    /// A section along a path (scene CRS); lines within `along_m` of it are
    /// unrolled (0: a cross-section).
    Section { path: Vec<DVec2>, along_m: f64 },
    /// A dig inside `outline` down to `depth_m` below the ground.
    Dig {
        outline: Vec<DVec2>,
        depth_m: f64,
        margin_m: f64,
    },
    /// Highlight these lines (indices into the result's lines).
    Highlight(Vec<usize>),
    /// Forget the result.
    Clear,
}

/// The utility lines of the scene and where each came from.
pub struct SceneLines {
    pub lines: Vec<UtilityLine>,
    /// (layer slot id, feature index) of each line.
    pub source: Vec<(u64, u32)>,
    /// The layers read: (slot id, tick when read).
    pub layers: Vec<(u64, u64)>,
}

/// An analysis' outcome.
pub enum Outcome {
    Clearance(ClearanceReport),
    Cover(CoverReport),
    Section(Section),
    Dig(Vec<DigHit>),
}

/// The last result, over the lines it was computed on.
pub struct CorridorResult {
    pub lines: Arc<SceneLines>,
    pub outcome: Outcome,
    /// How long the analysis took (lines read included), seconds.
    pub seconds: f64,
}

type Done = Result<CorridorResult, String>;

#[derive(Resource)]
pub struct Corridor {
    pub running: bool,
    /// Moves with every new result (panels redraw what they made of it).
    pub generation: u64,
    pub result: Option<CorridorResult>,
    /// Lines highlighted now.
    pub highlighted: Vec<usize>,
    /// What is highlighted in the buffers: (slot, features).
    shown: FlagMarks,
    highlight_changed: bool,
    tx: mpsc::Sender<Done>,
    rx: Mutex<mpsc::Receiver<Done>>,
}

impl Default for Corridor {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Corridor {
            running: false,
            generation: 0,
            result: None,
            highlighted: Vec::new(),
            shown: FlagMarks::default(),
            highlight_changed: false,
            tx,
            rx: Mutex::new(rx),
        }
    }
}

/// The scene's layers that may hold utility lines: ready vector layers of
/// lines, drawn as tubes or ribbons (an EPANET network's pipes read as
/// water supply).
fn candidate_layers(store: &SceneStore) -> Vec<(u64, u64, String, Arc<Layer>)> {
    store
        .layers
        .iter()
        .filter(|s| {
            s.state == SlotState::Ready && matches!(s.kind(), LayerKind::Roads | LayerKind::Pipes)
        })
        .filter_map(|s| Some((s.id, s.tick, s.reference.name.clone(), s.layer.clone()?)))
        .collect()
}

/// Reads the utility lines of `layers`.
fn read_lines(layers: &[(u64, u64, String, Arc<Layer>)]) -> SceneLines {
    let mut out = SceneLines {
        lines: Vec::new(),
        source: Vec::new(),
        layers: Vec::new(),
    };
    for (id, tick, name, layer) in layers {
        let Some(v) = layer.vector() else { continue };
        let utility = if layer.format == "EPANET" {
            Some(Utility::Water)
        } else {
            Utility::from_name(name)
        };
        let opts = LineOptions {
            utility,
            ..LineOptions::default()
        };
        let got = lines_from_layer(v, &opts, None);
        out.source
            .extend(got.feature.iter().map(|f| (*id, *f as u32)));
        out.lines.extend(got.lines);
        out.layers.push((*id, *tick));
    }
    out
}

fn apply_commands(
    mut commands: MessageReader<CorridorCommand>,
    store: Res<SceneStore>,
    ground: Res<crate::render::layers::Ground>,
    mut corridor: ResMut<Corridor>,
) {
    for c in commands.read() {
        match c {
            CorridorCommand::Clear => {
                corridor.result = None;
                corridor.generation += 1;
                corridor.highlighted.clear();
                corridor.highlight_changed = true;
            }
            CorridorCommand::Highlight(lines) => {
                corridor.highlighted = lines.clone();
                corridor.highlight_changed = true;
            }
            job => {
                if corridor.running {
                    continue;
                }
                let layers = candidate_layers(&store);
                // Lines already read stay valid while their layers do.
                let cached = corridor
                    .result
                    .as_ref()
                    .map(|r| r.lines.clone())
                    .filter(|l| {
                        l.layers.len() == layers.len()
                            && l.layers
                                .iter()
                                .zip(&layers)
                                .all(|(a, b)| a.0 == b.0 && a.1 == b.1)
                    });
                let terrain = ground.layer();
                let (job, tx) = (job.clone(), corridor.tx.clone());
                corridor.running = true;
                AsyncComputeTaskPool::get()
                    .spawn(async move {
                        // The layers are only read: a panic leaves nothing half-changed.
                        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run(job, layers, cached, terrain)
                        }))
                        .map_err(|_| "the analysis crashed".to_string());
                        let _ = tx.send(run);
                    })
                    .detach();
            }
        }
    }
}

fn run(
    job: CorridorCommand,
    layers: Vec<(u64, u64, String, Arc<Layer>)>,
    cached: Option<Arc<SceneLines>>,
    terrain: Option<Arc<Layer>>,
) -> CorridorResult {
    let t0 = std::time::Instant::now();
    let lines = cached.unwrap_or_else(|| Arc::new(read_lines(&layers)));
    // The scene's terrain, when it has one (a grid is a ground).
    let ground: &dyn Ground = match terrain.as_ref().and_then(|l| l.grid()) {
        Some(g) => g,
        None => &NoGround,
    };
    let rules = ClearanceRules::gb50289_2016();
    let outcome = match job {
        CorridorCommand::CheckClearance => Outcome::Clearance(clearance::check(
            &lines.lines,
            &rules,
            CheckOptions::default(),
        )),
        CorridorCommand::CheckCover => Outcome::Cover(cover::check(
            &lines.lines,
            &rules,
            ground,
            Location::Roadway,
            1.0,
        )),
        CorridorCommand::Section { path, along_m } => {
            Outcome::Section(section::section(&lines.lines, &path, along_m, ground, 0.5))
        }
        CorridorCommand::Dig {
            outline,
            depth_m,
            margin_m,
        } => Outcome::Dig(excavation::impact(
            &lines.lines,
            &Dig {
                outline,
                bottom: DigBottom::Depth(depth_m),
                margin_m,
            },
            ground,
            0.5,
        )),
        CorridorCommand::Highlight(_) | CorridorCommand::Clear => unreachable!("handled at once"),
    };
    CorridorResult {
        lines,
        outcome,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

fn receive(mut corridor: ResMut<Corridor>, mut notify: MessageWriter<StoreCommand>) {
    let done: Vec<Done> = match corridor.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for d in done {
        corridor.running = false;
        match d {
            Ok(r) => {
                if r.lines.lines.is_empty() {
                    notify.write(StoreCommand::Notify(Notice {
                        error: true,
                        text: "no utility lines in the scene (a line layer needs a class field such as 管线类别, or a name such as 给水管线)".into(),
                    }));
                }
                // A new result starts with what it names highlighted.
                corridor.highlighted = match &r.outcome {
                    Outcome::Clearance(c) => c.violations.iter().flat_map(|v| [v.a, v.b]).collect(),
                    Outcome::Cover(c) => c.shortfalls.iter().map(|s| s.line).collect(),
                    Outcome::Section(s) => s.cuts.iter().map(|c| c.line).collect(),
                    Outcome::Dig(h) => h
                        .iter()
                        .filter(|h| h.impact != excavation::Impact::Below)
                        .map(|h| h.line)
                        .collect(),
                };
                corridor.highlight_changed = true;
                corridor.result = Some(r);
                corridor.generation += 1;
            }
            Err(e) => {
                notify.write(StoreCommand::Notify(Notice {
                    error: true,
                    text: e,
                }));
            }
        }
    }
}

/// Moves the highlight flag to the lines highlighted now (again after a
/// layer's buffer is rebuilt).
fn highlight(
    mut corridor: ResMut<Corridor>,
    mut styles: ResMut<FeatureStyles>,
    mut seen: Local<u64>,
) {
    if !corridor.highlight_changed && *seen == styles.generation() {
        return;
    }
    *seen = styles.generation();
    corridor.highlight_changed = false;
    let mut marks: Vec<(u64, Vec<u32>, u32)> = Vec::new();
    if let Some(r) = &corridor.result {
        for &i in &corridor.highlighted {
            let Some(&(slot, f)) = r.lines.source.get(i) else {
                continue;
            };
            match marks.iter_mut().find(|(s, _, _)| *s == slot) {
                Some((_, v, _)) => v.push(f),
                None => marks.push((slot, vec![f], HIGHLIGHT)),
            }
        }
    }
    let corridor = &mut *corridor;
    corridor.shown.replace(&mut styles, marks);
}

#[cfg(test)]
mod tests {
    //! The plugin in a Bevy app without a GPU, on the reference street
    //! (`tests/reference/corridor_street.*`): results arrive from the task
    //! pool, match the CLI's, and highlight the lines they name.

    use super::*;
    use std::time::{Duration, Instant};

    fn street_app() -> (App, u64) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/reference/corridor_street.geojson");
        let mut store = SceneStore::new(crate::scene::load::open_inputs(&[path]).unwrap());
        store.load_all_blocking();
        let slot = store
            .layers
            .iter()
            .find(|s| s.state == SlotState::Ready && s.layer.is_some())
            .expect("the street loads");
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
        let mut app = crate::analysis::test_app::styled_app();
        app.init_resource::<crate::render::layers::Ground>()
            .add_plugins(CorridorPlugin);
        crate::analysis::test_app::style_layers(&mut app, &[(id, n)]);
        let world = app.world_mut();
        world.insert_resource(store);
        (app, id)
    }

    /// Sends `c` and runs the app until its result is in.
    fn ask(app: &mut App, c: CorridorCommand) {
        let before = app.world().resource::<Corridor>().generation;
        app.world_mut().write_message(c);
        let start = Instant::now();
        while app.world().resource::<Corridor>().generation == before {
            assert!(start.elapsed() < Duration::from_secs(30), "no result");
            app.update();
            std::thread::sleep(Duration::from_millis(5));
        }
        app.update();
    }

    fn highlighted(app: &App, slot: u64) -> Vec<u32> {
        let styles = app.world().resource::<FeatureStyles>();
        (0..14u32)
            .filter(|&f| styles.flags(slot, f).is_some_and(|x| x & HIGHLIGHT != 0))
            .collect()
    }

    #[test]
    fn a_check_in_the_viewer_finds_and_highlights_what_the_cli_finds() {
        let (mut app, slot) = street_app();
        ask(&mut app, CorridorCommand::CheckClearance);
        let c = app.world().resource::<Corridor>();
        let r = c.result.as_ref().unwrap();
        let Outcome::Clearance(report) = &r.outcome else {
            panic!("a clearance result")
        };
        assert_eq!(
            r.lines.lines.len(),
            13,
            "the line of unknown class is left out"
        );
        assert_eq!(report.violations.len(), 9);
        let named: std::collections::BTreeSet<u32> = report
            .violations
            .iter()
            .flat_map(|v| [v.a, v.b])
            .map(|i| r.lines.source[i].1)
            .collect();
        assert_eq!(
            highlighted(&app, slot),
            named.into_iter().collect::<Vec<_>>()
        );

        // A row clicked: only its pair stays lit.
        let first = &report.violations[0];
        let pair = [r.lines.source[first.a].1, r.lines.source[first.b].1];
        let (a, b) = (first.a, first.b);
        app.world_mut()
            .write_message(CorridorCommand::Highlight(vec![a, b]));
        app.update();
        let mut want = pair.to_vec();
        want.sort_unstable();
        assert_eq!(highlighted(&app, slot), want);
    }

    #[test]
    fn a_cover_check_counts_what_it_could_not_check() {
        let (mut app, _) = street_app();
        ask(&mut app, CorridorCommand::CheckCover);
        let c = app.world().resource::<Corridor>();
        let Some(Outcome::Cover(r)) = c.result.as_ref().map(|r| &r.outcome) else {
            panic!("a cover result")
        };
        // The bundled table has a cover rule for drainage only: the three
        // sewers and drains are deep enough, the rest are named.
        assert_eq!((r.checked, r.shortfalls.len()), (3, 0));
        assert!(r.without_rule.contains("water") && r.without_rule.contains("gas"));
    }

    #[test]
    fn a_section_and_a_dig_follow_the_measured_shapes() {
        let (mut app, _) = street_app();
        // Across the street at 50 m, in scene coordinates (the layer's
        // bounding box: the street runs east from its west edge).
        let bb = {
            let store = app.world().resource::<SceneStore>();
            store
                .layers
                .iter()
                .find_map(|s| s.layer.as_ref()?.bbox())
                .unwrap()
        };
        let x = bb.min.x + 50.0;
        ask(
            &mut app,
            CorridorCommand::Section {
                path: vec![DVec2::new(x, bb.min.y), DVec2::new(x, bb.max.y)],
                along_m: 0.0,
            },
        );
        let c = app.world().resource::<Corridor>();
        let Some(Outcome::Section(s)) = c.result.as_ref().map(|r| &r.outcome) else {
            panic!("a section")
        };
        assert_eq!(s.cuts.len(), 9, "every line along the street is cut");
        let ids: Vec<&str> = s
            .cuts
            .iter()
            .map(|k| c.result.as_ref().unwrap().lines.lines[k.line].id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "LD1", "DL1", "TX1", "JS1", "YS1", "WS1", "RQ1", "RL1", "ZS1"
            ]
        );

        // A pit over the water branch, 1.6 m deep: the mains are exposed.
        let (x0, y0) = (bb.min.x + 95.0, bb.min.y + 7.0);
        let pit = vec![
            DVec2::new(x0, y0),
            DVec2::new(x0 + 10.0, y0),
            DVec2::new(x0 + 10.0, y0 + 12.0),
            DVec2::new(x0, y0 + 12.0),
        ];
        ask(
            &mut app,
            CorridorCommand::Dig {
                outline: pit,
                depth_m: 1.6,
                margin_m: 0.5,
            },
        );
        let c = app.world().resource::<Corridor>();
        let r = c.result.as_ref().unwrap();
        let Outcome::Dig(hits) = &r.outcome else {
            panic!("a dig")
        };
        let exposed: Vec<&str> = hits
            .iter()
            .filter(|h| h.impact == excavation::Impact::Exposed)
            .map(|h| r.lines.lines[h.line].id.as_str())
            .collect();
        assert_eq!(exposed, ["JS1", "RQ1", "JS2"]);
    }
}
