//! Pipe networks: EPANET input files (`inp`) and isolation valve layers
//! (`valves`), read into `cim_core::pipes` networks; a network file opened
//! as map layers (`load`).

pub mod inp;
pub mod valves;

use crate::{LoadError, Loaded};
use cim_core::pipes::layers::{links_layer, nodes_layer};
use std::path::Path;

/// Whether `path` names an EPANET input file (by its extension).
pub fn is_inp(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("inp"))
}

/// An EPANET network as two layers: its links as pipes (named after the
/// file) and its nodes as points (`… nodes`), in the CRS a `.prj` beside
/// the file names (EPANET files name none; without one the layers have no
/// CRS and the viewer takes their coordinates as the scene's). A network
/// whose nodes have no coordinates cannot be placed and is an error.
pub fn load(path: &Path) -> Vec<Result<Loaded, LoadError>> {
    let net = match inp::read(path) {
        Ok(net) => net,
        Err(e) => return vec![Err(e)],
    };
    let name = crate::layer_name(path);
    let mut warnings = Vec::new();
    let crs = side_crs(path, &mut warnings);
    let (mut links, unplaced) = links_layer(&net, &name, "EPANET");
    links.crs = crs.clone();
    let placed = links.vector().map_or(0, |v| v.features.len());
    if placed == 0 {
        return vec![Err(LoadError::Invalid {
            path: path.to_path_buf(),
            format: "EPANET .inp",
            detail: "no link has coordinates at both ends ([COORDINATES]): nothing to place".into(),
        })];
    }
    if unplaced > 0 {
        warnings.push(format!(
            "{}: {unplaced} of {} links lack coordinates at an end and are not drawn",
            cim_core::message::path(path),
            net.links.len()
        ));
    }
    let mut nodes = nodes_layer(&net, &format!("{name} nodes"), "EPANET");
    nodes.crs = crs;
    vec![
        Ok(Loaded {
            layer: links,
            warnings,
            detail: None,
        }),
        Ok(Loaded {
            layer: nodes,
            warnings: Vec::new(),
            detail: None,
        }),
    ]
}

/// The CRS of `NET.prj` beside `NET.inp`, if there is one (a `.prj` that
/// cannot be read or understood is a warning, not an error).
pub(crate) fn side_crs(path: &Path, warnings: &mut Vec<String>) -> Option<cim_core::crs::CrsDef> {
    let prj = path.with_extension("prj");
    if !prj.is_file() {
        return None;
    }
    let text = match crate::read_file_limited(&prj, 1 << 20, 1.0) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            warnings.push(format!("{e}; the network is loaded without a CRS"));
            return None;
        }
    };
    match crate::crs::parse(&text) {
        Ok(c) => Some(c),
        Err(e) => {
            warnings.push(format!(
                "{}: CRS not recognised ({e}); the network is loaded without a CRS",
                cim_core::message::path(&prj)
            ));
            None
        }
    }
}

/// What `cim inspect` tells of a network.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NetworkSummary {
    pub title: String,
    /// The flow units of the file (results are always SI).
    pub flow_units: Option<&'static str>,
    pub junctions: usize,
    pub reservoirs: usize,
    pub tanks: usize,
    pub pipes: usize,
    pub pumps: usize,
    pub valves: usize,
    pub pipe_length_m: f64,
    /// Base demand of every junction together, L/s.
    pub base_demand_lps: f64,
}

/// Counts a network's parts.
pub fn summarise(net: &cim_core::pipes::Network) -> NetworkSummary {
    use cim_core::pipes::{LinkKind, NodeKind};
    let nodes = |k: NodeKind| net.nodes.iter().filter(|n| n.kind == k).count();
    let links = |f: fn(&LinkKind) -> bool| net.links.iter().filter(|l| f(&l.kind)).count();
    NetworkSummary {
        title: net.title.lines().next().unwrap_or("").trim().to_string(),
        flow_units: net.flow_units.map(|u| u.name()),
        junctions: nodes(NodeKind::Junction),
        reservoirs: nodes(NodeKind::Reservoir),
        tanks: nodes(NodeKind::Tank),
        pipes: links(|k| *k == LinkKind::Pipe),
        pumps: links(|k| *k == LinkKind::Pump),
        valves: links(|k| matches!(k, LinkKind::Valve(_))),
        pipe_length_m: net.links.iter().map(|l| l.length_m).sum(),
        base_demand_lps: net.nodes.iter().map(|n| n.base_demand_lps).sum(),
    }
}
