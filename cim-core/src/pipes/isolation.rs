//! Burst isolation: which valves to close to isolate a broken pipe, and who
//! loses water when they are.
//!
//! Isolation valves sit on a link next to one of its nodes; closing one cuts
//! the link from that node. The valves cut the network into *segments*
//! (Walski 1993, "Water distribution valve topology for reliability
//! analysis", *Reliability Engineering & System Safety* 42): the nodes and
//! links that stay connected when every valve is shut. A break is isolated
//! by closing the valves around its segment; every node that then no longer
//! reaches a reservoir or tank loses supply — the segment itself and
//! whatever was fed only through it. If one of those valves fails (seized,
//! buried), the segments on both of its sides merge and the next ring of
//! valves must close: [`Isolator::new`] takes the failed valves.
//!
//! Segments are found with a union-find over nodes and links together (as
//! WNTR's `valve_segments` does), so a valve-free stretch of any length is
//! one segment.

use crate::pipes::connectivity::reach_from_sources;
use crate::pipes::graph::Adjacency;
use crate::pipes::{LinkKind, LinkStatus, Network};
use petgraph::unionfind::UnionFind;
use std::collections::HashSet;

/// An isolation valve: on `link`, next to `node` (one of its ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsolationValve {
    pub id: String,
    pub link: u32,
    pub node: u32,
}

/// The network's own valve links (EPANET `[VALVES]`) as isolation valves,
/// each at its start node: closing the valve cuts the network there.
pub fn valve_links(net: &Network) -> Vec<IsolationValve> {
    net.links
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.kind, LinkKind::Valve(_)))
        .map(|(i, l)| IsolationValve {
            id: l.id.clone(),
            link: i as u32,
            node: l.from,
        })
        .collect()
}

/// The segment of every node and link when all working valves are shut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segments {
    /// Segment of each node, numbered from 0 in order of first appearance
    /// (nodes first, then links).
    pub node_segment: Vec<u32>,
    /// Segment of each link.
    pub link_segment: Vec<u32>,
    pub count: u32,
}

/// Splits the network into valve segments. `valves[i]` is ignored where
/// `working(i)` is false.
pub fn segments(
    net: &Network,
    valves: &[IsolationValve],
    working: impl Fn(usize) -> bool,
) -> Segments {
    let n = net.nodes.len();
    let cut: HashSet<(u32, u32)> = valves
        .iter()
        .enumerate()
        .filter(|(i, _)| working(*i))
        .map(|(_, v)| (v.link, v.node))
        .collect();
    let mut sets = UnionFind::<u32>::new(n + net.links.len());
    for (i, l) in net.links.iter().enumerate() {
        let element = (n + i) as u32;
        for end in [l.from, l.to] {
            if !cut.contains(&(i as u32, end)) {
                sets.union(element, end);
            }
        }
    }
    let mut label = vec![u32::MAX; n + net.links.len()];
    let mut count = 0;
    let mut segment_of = |e: usize| {
        let root = sets.find(e as u32) as usize;
        if label[root] == u32::MAX {
            label[root] = count;
            count += 1;
        }
        label[root]
    };
    let node_segment = (0..n).map(&mut segment_of).collect();
    let link_segment = (n..n + net.links.len()).map(&mut segment_of).collect();
    Segments {
        node_segment,
        link_segment,
        count,
    }
}

/// What isolating one link takes and costs.
#[derive(Clone, Debug, PartialEq)]
pub struct Isolation {
    /// The broken link.
    pub link: u32,
    /// Indices (into the valve list) of the valves to close.
    pub valves_to_close: Vec<usize>,
    /// The broken link's segment: shut off directly.
    pub segment_nodes: Vec<u32>,
    pub segment_links: Vec<u32>,
    /// Every node that loses supply (the segment's and those fed only
    /// through it), and the links that then carry no water.
    pub isolated_nodes: Vec<u32>,
    pub isolated_links: Vec<u32>,
    /// Base demand of the isolated nodes, litres per second.
    pub affected_demand_lps: f64,
    /// Length of the isolated pipes, metres.
    pub affected_length_m: f64,
}

/// Answers isolation queries on one network and valve set: the segments
/// and the supply before any break are found once.
pub struct Isolator<'a> {
    net: &'a Network,
    adj: Adjacency,
    segments: Segments,
    /// Which nodes a source reaches with every valve open.
    supplied: Vec<bool>,
    /// Per segment: its nodes, its links and the working valves that
    /// bound it (so a query does not scan the whole network for them).
    members: Vec<Members>,
}

#[derive(Clone, Default)]
struct Members {
    nodes: Vec<u32>,
    links: Vec<u32>,
    valves: Vec<usize>,
}

impl<'a> Isolator<'a> {
    /// `failed` lists valves (indices into `valves`) that cannot be closed.
    pub fn new(net: &'a Network, valves: &[IsolationValve], failed: &[usize]) -> Self {
        let mut is_failed = vec![false; valves.len()];
        for &f in failed {
            is_failed[f] = true;
        }
        let segments = segments(net, valves, |i| !is_failed[i]);
        let adj = Adjacency::new(net);
        let supplied = reach_from_sources(net, &adj, |l| conducts(net, l), |_| false);
        let mut members = vec![Members::default(); segments.count as usize];
        for (n, &seg) in segments.node_segment.iter().enumerate() {
            members[seg as usize].nodes.push(n as u32);
        }
        for (l, &seg) in segments.link_segment.iter().enumerate() {
            members[seg as usize].links.push(l as u32);
        }
        for (i, v) in valves.iter().enumerate().filter(|(i, _)| !is_failed[*i]) {
            let (a, b) = (
                segments.link_segment[v.link as usize],
                segments.node_segment[v.node as usize],
            );
            // A valve with the same segment on both sides bounds nothing.
            if a != b {
                members[a as usize].valves.push(i);
                members[b as usize].valves.push(i);
            }
        }
        Self {
            net,
            adj,
            segments,
            supplied,
            members,
        }
    }

    pub fn segments(&self) -> &Segments {
        &self.segments
    }

    /// Isolates `link`.
    ///
    /// ```
    /// use cim_core::pipes::{Network, Node, NodeKind, Link, LinkKind, LinkStatus};
    /// use cim_core::pipes::isolation::{IsolationValve, Isolator};
    /// // R ─1─ A ─2─ B ─3─ C, valves on pipe 2 at A and on pipe 3 at B.
    /// let mut net = Network::default();
    /// for (id, kind, demand) in [("R", NodeKind::Reservoir, 0.0), ("A", NodeKind::Junction, 1.0),
    ///                            ("B", NodeKind::Junction, 2.0), ("C", NodeKind::Junction, 4.0)] {
    ///     net.add_node(Node { id: id.into(), kind, elevation_m: 0.0, base_demand_lps: demand,
    ///                         position: None, source_line: None }).unwrap();
    /// }
    /// let pipe = |from, to| Link { id: String::new(), kind: LinkKind::Pipe, from, to,
    ///     length_m: 100.0, diameter_mm: 100.0, initial_status: LinkStatus::Open,
    ///     vertices: vec![], source_line: None };
    /// for (id, a, b) in [("1", "R", "A"), ("2", "A", "B"), ("3", "B", "C")] {
    ///     net.add_link(id, a, b, pipe).unwrap();
    /// }
    /// let valves = [IsolationValve { id: "V1".into(), link: 1, node: 1 },
    ///               IsolationValve { id: "V2".into(), link: 2, node: 2 }];
    /// let burst = Isolator::new(&net, &valves, &[]).isolate(1);
    /// assert_eq!(burst.valves_to_close, vec![0, 1]);
    /// assert_eq!(burst.segment_nodes, vec![2]);
    /// // C is fed only through the closed segment: it loses supply too.
    /// assert_eq!(burst.isolated_nodes, vec![2, 3]);
    /// assert_eq!(burst.affected_demand_lps, 6.0);
    /// // If V2 is seized, V1 alone cuts off B and C.
    /// let seized = Isolator::new(&net, &valves, &[1]).isolate(1);
    /// assert_eq!(seized.valves_to_close, vec![0]);
    /// assert_eq!(seized.segment_nodes, vec![2, 3]);
    /// ```
    pub fn isolate(&self, link: u32) -> Isolation {
        let s = self.segments.link_segment[link as usize];
        let (seg_node, seg_link) = (&self.segments.node_segment, &self.segments.link_segment);
        let m = &self.members[s as usize];
        let valves_to_close = m.valves.clone();
        let (segment_nodes, segment_links) = (m.nodes.clone(), m.links.clone());
        let after = reach_from_sources(
            self.net,
            &self.adj,
            |l| seg_link[l as usize] != s && conducts(self.net, l),
            |n| seg_node[n as usize] == s,
        );
        let lost = |n: u32| self.supplied[n as usize] && !after[n as usize];
        let isolated_nodes: Vec<u32> = (0..self.net.nodes.len() as u32)
            .filter(|&n| lost(n) || seg_node[n as usize] == s)
            .collect();
        let isolated_links: Vec<u32> = (0..self.net.links.len() as u32)
            .filter(|&l| {
                let k = &self.net.links[l as usize];
                seg_link[l as usize] == s
                    || (!after[k.from as usize]
                        && !after[k.to as usize]
                        && (lost(k.from) || lost(k.to)))
            })
            .collect();
        let affected_demand_lps = isolated_nodes
            .iter()
            .map(|&n| self.net.nodes[n as usize].base_demand_lps)
            .sum();
        let affected_length_m = isolated_links
            .iter()
            .map(|&l| self.net.links[l as usize].length_m)
            .sum();
        Isolation {
            link,
            valves_to_close,
            segment_nodes,
            segment_links,
            isolated_nodes,
            isolated_links,
            affected_demand_lps,
            affected_length_m,
        }
    }
}

/// Whether a link carries water before anything is closed: closed links
/// and closed valves do not.
fn conducts(net: &Network, link: u32) -> bool {
    net.links[link as usize].initial_status != LinkStatus::Closed
}
