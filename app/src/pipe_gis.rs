//! Pipe networks from GIS layers for `cim pipe check|isolate`: line
//! features joined into a network (`cim_core::pipes::topology`), valve
//! points placed on its pipes and water sources on its nodes
//! (`cim_core::pipes::snap_points`), all in one planar CRS in metres.

use anyhow::{Context, Result, anyhow, bail};
use cim_core::crs::CrsDef;
use cim_core::pipes::isolation::IsolationValve;
use cim_core::pipes::snap_points::{nearest_node, valves_from_points};
use cim_core::pipes::topology::{LinePipe, build};
use cim_core::pipes::{Network, NodeKind};
use cim_core::{DVec2, Geometry, LayerContent, VectorData};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// The line features of `v` as pipes, named by their ID field's value
/// (`编号`, `id`, …), else by the feature's index.
pub fn line_pipes(v: &VectorData) -> Vec<LinePipe> {
    use cim_core::pipes::corridor::from_layer::{feature_id, id_field};
    let ids = id_field(v);
    cim_core::pipes::topology::line_pipes(v, |i| feature_id(v, ids, i))
}

/// The points of a layer (any CRS) in `work`: (ID, position).
fn points_in(path: &Path, work: &CrsDef) -> Result<Vec<(String, DVec2)>> {
    points_of(path, Some(work))
}

/// The points of a layer in its own coordinates (an EPANET network's
/// hydrants, drawn in the network's coordinates).
pub fn points_as_they_are(path: &Path) -> Result<Vec<(String, DVec2)>> {
    points_of(path, None)
}

fn points_of(path: &Path, work: Option<&CrsDef>) -> Result<Vec<(String, DVec2)>> {
    let layers = cim_loaders::load_path(path).map_err(|e| anyhow!(e))?;
    let mut layer = layers
        .into_iter()
        .find(|l| {
            l.vector().is_some_and(|v| {
                v.features
                    .iter()
                    .any(|f| matches!(f.geometry, Geometry::Point(_)))
            })
        })
        .with_context(|| format!("{}: no layer of points", cim_core::message::path(path)))?;
    // Points that declare no CRS are taken to be in the lines'.
    if let Some(work) = work
        && layer.crs.is_some()
    {
        crate::pipe_corridor::into_crs(&mut layer, path, work)?;
    }
    let LayerContent::Vector(v) = &layer.content else {
        unreachable!("a vector layer")
    };
    Ok(cim_core::pipes::snap_points::points_of(v))
}

/// What `cim pipe isolate` takes for a GIS network.
pub struct LinesIsolate<'a> {
    pub path: &'a Path,
    pub link: &'a str,
    pub valves: Option<&'a Path>,
    pub failed: &'a [String],
    pub sources: &'a [String],
    pub hydrants: Option<&'a Path>,
    pub snap: f64,
    pub valve_snap: f64,
    pub json: bool,
}

/// Burst isolation on a network built from a line layer, valves from a
/// point layer, sources at the nodes nearest the given points.
pub fn isolate_lines(a: LinesIsolate) -> Result<ExitCode> {
    if !(a.snap >= 0.0 && a.valve_snap >= 0.0) {
        bail!("--snap and --valve-snap must be ≥ 0");
    }
    let planar = crate::pipe_corridor::planar_layers(&[a.path.to_path_buf()])?;
    let t = build(&line_pipes(&planar.layers[0].1), a.snap, a.snap);
    let mut net: Network = t.network;
    for s in a.sources {
        let p = parse_point(s)?;
        let p = match &planar.from_input {
            Some(t) => t.transform(p.extend(0.0))?.truncate(),
            None => p,
        };
        let nearest = nearest_node(&net, p).context("the network has no nodes")?;
        net.nodes[nearest as usize].kind = NodeKind::Reservoir;
    }
    if a.sources.is_empty() {
        eprintln!(
            "cim: no --source given: only the broken pipe's segment is counted as losing supply"
        );
    }
    let (valves, missed, from): (Vec<IsolationValve>, Vec<String>, String) = match a.valves {
        Some(f) => {
            let points = points_in(f, &planar.work)?;
            let (v, m) = valves_from_points(&net, &points, a.valve_snap);
            (v, m, format!("valve layer {}", cim_core::message::path(f)))
        }
        None => (Vec::new(), Vec::new(), "no valves".into()),
    };
    if !missed.is_empty() {
        eprintln!(
            "cim: {} valve(s) farther than {} m from any pipe, left out: {}",
            missed.len(),
            a.valve_snap,
            missed
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut extra = serde_json::Map::new();
    extra.insert("valves_unplaced".into(), json!(missed));
    extra.insert("crs".into(), json!(planar.work.label()));
    let hydrants = match a.hydrants {
        Some(f) => points_in(f, &planar.work)?,
        None => Vec::new(),
    };
    crate::pipe::report_isolation(crate::pipe::IsolationRequest {
        path: a.path,
        net: &net,
        valves: &valves,
        source: &from,
        link: a.link,
        failed: a.failed,
        json: a.json,
        extra,
        hydrants: &hydrants,
        simulate_floor: None,
    })
}

fn parse_point(s: &str) -> Result<DVec2> {
    s.split_once(',')
        .and_then(|(x, y)| Some(DVec2::new(x.trim().parse().ok()?, y.trim().parse().ok()?)))
        .filter(|p| p.is_finite())
        .with_context(|| format!("--source `{}` is not `x,y`", cim_core::message::clip(s, 40)))
}
