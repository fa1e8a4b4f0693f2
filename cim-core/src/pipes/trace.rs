//! Upstream and downstream tracing: the nodes and links water passes
//! through on its way to (upstream) or from (downstream) a point, following
//! the flow directions of one moment of a simulation — or, for gravity
//! networks without one, each link's drawn direction (start to end).

use crate::pipes::Network;
use crate::pipes::graph::Adjacency;

/// Which way to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Against the flow: where the water comes from.
    Upstream,
    /// With the flow: where it goes.
    Downstream,
}

/// Flows below this (litres per second) carry no water for tracing.
pub const STILL_LPS: f64 = 1e-6;

/// What a trace reaches: node and link indices in the order met (the start
/// node first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traced {
    pub nodes: Vec<u32>,
    pub links: Vec<u32>,
}

/// Traces from `start` (a node index). `flows` gives each link's flow
/// (positive from its start node to its end node), e.g. one period of a
/// simulation; `None` takes every link as flowing start to end.
///
/// ```
/// use cim_core::pipes::{Network, Node, NodeKind, Link, LinkKind, LinkStatus};
/// use cim_core::pipes::graph::Adjacency;
/// use cim_core::pipes::trace::{trace, Direction};
/// let mut net = Network::default();
/// for id in ["A", "B", "C"] {
///     net.add_node(Node { id: id.into(), kind: NodeKind::Junction, elevation_m: 0.0,
///         base_demand_lps: 0.0, position: None, source_line: None }).unwrap();
/// }
/// let pipe = |from, to| Link { id: String::new(), kind: LinkKind::Pipe, from, to,
///     length_m: 1.0, diameter_mm: 100.0, initial_status: LinkStatus::Open,
///     vertices: vec![], source_line: None };
/// net.add_link("1", "A", "B", pipe).unwrap();
/// net.add_link("2", "B", "C", pipe).unwrap();
/// let adj = Adjacency::new(&net);
/// // Water runs A → B, and C → B (link 2 flows backwards).
/// let flows = [3.0, -1.0];
/// assert_eq!(trace(&net, &adj, 1, Some(&flows), Direction::Upstream).nodes, vec![1, 0, 2]);
/// assert_eq!(trace(&net, &adj, 0, Some(&flows), Direction::Downstream).nodes, vec![0, 1]);
/// ```
pub fn trace(
    net: &Network,
    adj: &Adjacency,
    start: u32,
    flows: Option<&[f64]>,
    direction: Direction,
) -> Traced {
    let mut seen_node = vec![false; net.nodes.len()];
    let mut seen_link = vec![false; net.links.len()];
    let mut out = Traced {
        nodes: vec![start],
        links: Vec::new(),
    };
    seen_node[start as usize] = true;
    let mut next = 0;
    while next < out.nodes.len() {
        let node = out.nodes[next];
        next += 1;
        for inc in adj.of(node) {
            let link = &net.links[inc.link as usize];
            let q = flows.map_or(1.0, |f| f[inc.link as usize]);
            if q.abs() < STILL_LPS || seen_link[inc.link as usize] {
                continue;
            }
            // Water leaves `node` through this link when it flows away from it.
            let leaves = (link.from == node) == (q > 0.0);
            if leaves != (direction == Direction::Downstream) {
                continue;
            }
            seen_link[inc.link as usize] = true;
            out.links.push(inc.link);
            if !seen_node[inc.other as usize] {
                seen_node[inc.other as usize] = true;
                out.nodes.push(inc.other);
            }
        }
    }
    out
}
