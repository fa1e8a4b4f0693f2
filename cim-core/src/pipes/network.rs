//! A pipe network: nodes joined by links, in SI units, with the positions
//! its source gave them. Indices (`u32`) are positions in `nodes` and
//! `links`; IDs are the names the source used.

use crate::DVec2;
use crate::pipes::FlowUnits;
use std::collections::HashMap;

/// What a node is (EPANET's three kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A junction: where pipes meet and customers draw water.
    Junction,
    /// A fixed-head source (a lake, a treatment plant's clear well).
    Reservoir,
    /// A storage tank whose level moves with the flow in and out.
    Tank,
}

impl NodeKind {
    /// Whether water enters the network here (a reservoir or a tank).
    pub fn is_source(self) -> bool {
        matches!(self, Self::Reservoir | Self::Tank)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Junction => "junction",
            Self::Reservoir => "reservoir",
            Self::Tank => "tank",
        }
    }
}

/// A node of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    /// Elevation (a reservoir's: its head), metres.
    pub elevation_m: f64,
    /// Sum of the base demands of every demand category, litres per second
    /// (before patterns and multipliers).
    pub base_demand_lps: f64,
    /// Plan position in the network's coordinates, if the source gave one.
    pub position: Option<DVec2>,
    /// The line of the source file that defined the node (1-based).
    pub source_line: Option<u32>,
}

/// The kind of a control valve (EPANET `[VALVES]` types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValveType {
    /// Pressure reducing.
    Prv,
    /// Pressure sustaining.
    Psv,
    /// Pressure breaker.
    Pbv,
    /// Flow control.
    Fcv,
    /// Throttle control.
    Tcv,
    /// General purpose (head loss curve).
    Gpv,
    /// Positional control (EPANET 2.3).
    Pcv,
}

impl ValveType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "PRV" => Self::Prv,
            "PSV" => Self::Psv,
            "PBV" => Self::Pbv,
            "FCV" => Self::Fcv,
            "TCV" => Self::Tcv,
            "GPV" => Self::Gpv,
            "PCV" => Self::Pcv,
            _ => return None,
        })
    }
}

/// What a link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Pipe,
    Pump,
    Valve(ValveType),
}

/// A link's status before any control acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    Open,
    Closed,
    /// A pipe with a check valve: flow only from `from` to `to`.
    CheckValve,
}

/// A link of the network: a pipe, a pump or a valve.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub id: String,
    pub kind: LinkKind,
    /// Index of the start node (positive flow runs from here).
    pub from: u32,
    /// Index of the end node.
    pub to: u32,
    /// Length, metres (pumps and valves: 0).
    pub length_m: f64,
    /// Inside diameter, millimetres (pumps: 0).
    pub diameter_mm: f64,
    pub initial_status: LinkStatus,
    /// Interior points of its polyline, between the end nodes' positions.
    pub vertices: Vec<DVec2>,
    /// The line of the source file that defined the link (1-based).
    pub source_line: Option<u32>,
}

/// Why a network could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NetworkError {
    #[error("{kind} `{id}` is defined twice")]
    Duplicate { kind: &'static str, id: String },
    #[error("link `{link}` names node `{node}`, which is not defined")]
    UnknownNode { link: String, node: String },
    #[error("link `{link}` starts and ends at node `{node}`")]
    Loop { link: String, node: String },
}

/// A pipe network in SI units.
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub title: String,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    /// The flow units of the source (results are converted from them).
    pub flow_units: Option<FlowUnits>,
    node_index: HashMap<String, u32>,
    link_index: HashMap<String, u32>,
}

impl Network {
    /// Adds a node; its ID must be new (node IDs share one namespace).
    pub fn add_node(&mut self, node: Node) -> Result<u32, NetworkError> {
        let index = self.nodes.len() as u32;
        if self.node_index.contains_key(&node.id) {
            return Err(NetworkError::Duplicate {
                kind: "node",
                id: node.id,
            });
        }
        self.node_index.insert(node.id.clone(), index);
        self.nodes.push(node);
        Ok(index)
    }

    /// Adds a link between two nodes already added, named by ID.
    pub fn add_link(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        make: impl FnOnce(u32, u32) -> Link,
    ) -> Result<u32, NetworkError> {
        if self.link_index.contains_key(id) {
            return Err(NetworkError::Duplicate {
                kind: "link",
                id: id.to_string(),
            });
        }
        let end = |node: &str| {
            self.node(node).ok_or_else(|| NetworkError::UnknownNode {
                link: id.to_string(),
                node: node.to_string(),
            })
        };
        let (a, b) = (end(from)?, end(to)?);
        if a == b {
            return Err(NetworkError::Loop {
                link: id.to_string(),
                node: from.to_string(),
            });
        }
        let index = self.links.len() as u32;
        self.link_index.insert(id.to_string(), index);
        self.links.push(make(a, b));
        Ok(index)
    }

    /// The index of the node with this ID.
    pub fn node(&self, id: &str) -> Option<u32> {
        self.node_index.get(id).copied()
    }

    /// The index of the link with this ID.
    pub fn link(&self, id: &str) -> Option<u32> {
        self.link_index.get(id).copied()
    }

    /// Where a node is defined, for messages: `line 12` or its ID alone.
    pub fn node_place(&self, node: u32) -> String {
        let n = &self.nodes[node as usize];
        match n.source_line {
            Some(line) => format!("line {line}: {} `{}`", n.kind.name(), n.id),
            None => format!("{} `{}`", n.kind.name(), n.id),
        }
    }
}
