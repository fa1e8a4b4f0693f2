//! Node → link incidence of a network, in compressed rows: the links at a
//! node and the node at each one's other end, for walks over the network.

use crate::pipes::Network;

/// A link met at a node, and the node at its other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incidence {
    pub link: u32,
    pub other: u32,
}

/// Every node's incident links.
#[derive(Clone, Debug)]
pub struct Adjacency {
    start: Vec<u32>,
    items: Vec<Incidence>,
}

impl Adjacency {
    pub fn new(net: &Network) -> Self {
        let mut degree = vec![0u32; net.nodes.len() + 1];
        for l in &net.links {
            degree[l.from as usize + 1] += 1;
            degree[l.to as usize + 1] += 1;
        }
        for i in 1..degree.len() {
            degree[i] += degree[i - 1];
        }
        let start = degree;
        let mut fill = start.clone();
        let mut items = vec![Incidence { link: 0, other: 0 }; net.links.len() * 2];
        for (i, l) in net.links.iter().enumerate() {
            for (at, other) in [(l.from, l.to), (l.to, l.from)] {
                let slot = &mut fill[at as usize];
                items[*slot as usize] = Incidence {
                    link: i as u32,
                    other,
                };
                *slot += 1;
            }
        }
        Self { start, items }
    }

    /// The links at `node`.
    pub fn of(&self, node: u32) -> &[Incidence] {
        let (a, b) = (self.start[node as usize], self.start[node as usize + 1]);
        &self.items[a as usize..b as usize]
    }

    /// How many links meet at `node`.
    pub fn degree(&self, node: u32) -> usize {
        self.of(node).len()
    }
}
