//! Connectivity of a network: which nodes a source (reservoir or tank) can
//! reach, the islands no source reaches, and dead ends.

use crate::pipes::Network;
use crate::pipes::graph::Adjacency;
use std::collections::VecDeque;

/// Marks every node reachable from a source through links for which
/// `passes(link)` holds, never entering a node for which `blocked(node)`.
pub fn reach_from_sources(
    net: &Network,
    adj: &Adjacency,
    passes: impl Fn(u32) -> bool,
    blocked: impl Fn(u32) -> bool,
) -> Vec<bool> {
    let mut reached = vec![false; net.nodes.len()];
    let mut queue = VecDeque::new();
    for (i, n) in net.nodes.iter().enumerate() {
        if n.kind.is_source() && !blocked(i as u32) {
            reached[i] = true;
            queue.push_back(i as u32);
        }
    }
    while let Some(node) = queue.pop_front() {
        for inc in adj.of(node) {
            let o = inc.other as usize;
            if !reached[o] && passes(inc.link) && !blocked(inc.other) {
                reached[o] = true;
                queue.push_back(inc.other);
            }
        }
    }
    reached
}

/// What a connectivity check finds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connectivity {
    /// Groups of connected nodes that no reservoir or tank reaches (each
    /// sorted by index), largest first.
    pub islands: Vec<Vec<u32>>,
    /// Junctions with exactly one link.
    pub dead_ends: Vec<u32>,
    /// Nodes with no link at all.
    pub unconnected: Vec<u32>,
}

/// Checks the network's topology, every link counted whatever its status
/// (a closed link may be opened by a control).
///
/// ```
/// use cim_core::pipes::{Network, Node, NodeKind, Link, LinkKind, LinkStatus};
/// use cim_core::pipes::{graph::Adjacency, connectivity::check};
/// let mut net = Network::default();
/// for (id, kind) in [("R", NodeKind::Reservoir), ("A", NodeKind::Junction),
///                    ("B", NodeKind::Junction), ("C", NodeKind::Junction)] {
///     net.add_node(Node { id: id.into(), kind, elevation_m: 0.0, base_demand_lps: 0.0,
///                         position: None, source_line: None }).unwrap();
/// }
/// let pipe = |from, to| Link { id: String::new(), kind: LinkKind::Pipe, from, to,
///     length_m: 1.0, diameter_mm: 100.0, initial_status: LinkStatus::Open,
///     vertices: vec![], source_line: None };
/// net.add_link("1", "R", "A", pipe).unwrap();
/// net.add_link("2", "B", "C", pipe).unwrap();
/// let report = check(&net, &Adjacency::new(&net));
/// assert_eq!(report.islands, vec![vec![2, 3]]);
/// assert_eq!(report.dead_ends, vec![1, 2, 3]);
/// ```
pub fn check(net: &Network, adj: &Adjacency) -> Connectivity {
    let reached = reach_from_sources(net, adj, |_| true, |_| false);
    let mut report = Connectivity::default();
    let mut seen = reached.clone();
    for start in 0..net.nodes.len() as u32 {
        let degree = adj.degree(start);
        if degree == 0 {
            report.unconnected.push(start);
            seen[start as usize] = true;
            continue;
        }
        if degree == 1 && net.nodes[start as usize].kind == crate::pipes::NodeKind::Junction {
            report.dead_ends.push(start);
        }
        if seen[start as usize] {
            continue;
        }
        let mut island = vec![start];
        seen[start as usize] = true;
        let mut next = 0;
        while next < island.len() {
            for inc in adj.of(island[next]) {
                if !seen[inc.other as usize] {
                    seen[inc.other as usize] = true;
                    island.push(inc.other);
                }
            }
            next += 1;
        }
        island.sort_unstable();
        report.islands.push(island);
    }
    report.islands.sort_by_key(|i| std::cmp::Reverse(i.len()));
    report
}
