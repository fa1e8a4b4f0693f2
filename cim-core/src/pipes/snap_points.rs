//! Point features of a GIS pipe network — valves (阀门), hydrants (消火栓),
//! water sources — placed on the network built from its lines
//! (`topology`): each point goes to the nearest pipe within a tolerance
//! (an R*-tree of the pipes' segments), a valve sitting on that pipe next
//! to the end it is nearer along the pipe — the position isolation needs
//! (`isolation::IsolationValve`): closing it cuts the pipe there.

use crate::DVec2;
use crate::model::geometry::Geometry;
use crate::model::layer::VectorData;
use crate::pipes::Network;
use crate::pipes::isolation::IsolationValve;
use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};

/// Where a point lies on the network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OnPipe {
    pub link: u32,
    /// The end of `link` the point is nearer to, along the pipe.
    pub node: u32,
    /// From the point to the pipe, metres.
    pub distance_m: f64,
}

type Segment = GeomWithData<Line<[f64; 2]>, (u32, f64, f64)>;

/// Snaps points to a network's links.
pub struct PointSnapper {
    tree: RTree<Segment>,
    /// Each link's length along its polyline, and its end nodes.
    links: Vec<(f64, u32, u32)>,
}

impl PointSnapper {
    /// Indexes the links of `net` that have positions at both ends.
    pub fn new(net: &Network) -> PointSnapper {
        let mut segments = Vec::new();
        let mut links: Vec<(f64, u32, u32)> =
            net.links.iter().map(|l| (0.0, l.from, l.to)).collect();
        for (i, l) in net.links.iter().enumerate() {
            let (Some(a), Some(b)) = (
                net.nodes[l.from as usize].position,
                net.nodes[l.to as usize].position,
            ) else {
                continue;
            };
            let pts: Vec<DVec2> = std::iter::once(a)
                .chain(l.vertices.iter().copied())
                .chain([b])
                .collect();
            let mut run = 0.0;
            for w in pts.windows(2) {
                let len = w[0].distance(w[1]);
                segments.push(GeomWithData::new(
                    Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]),
                    (i as u32, run, len),
                ));
                run += len;
            }
            links[i].0 = run;
        }
        PointSnapper {
            tree: RTree::bulk_load(segments),
            links,
        }
    }

    /// The pipe nearest `p` within `tolerance` metres.
    ///
    /// ```
    /// use cim_core::DVec2;
    /// use cim_core::pipes::topology::{LinePipe, build};
    /// use cim_core::pipes::snap_points::PointSnapper;
    /// let t = build(&[LinePipe { id: "P".into(), diameter_mm: 200.0,
    ///     line: vec![DVec2::new(0.0, 0.0), DVec2::new(100.0, 0.0)] }], 0.1, 1.0);
    /// let s = PointSnapper::new(&t.network);
    /// let v = s.snap(DVec2::new(10.0, 0.4), 1.0).unwrap();
    /// assert_eq!(v.link, 0);
    /// assert_eq!(v.node, t.network.links[0].from, "near the start");
    /// assert!((v.distance_m - 0.4).abs() < 1e-9);
    /// assert!(s.snap(DVec2::new(50.0, 3.0), 1.0).is_none());
    /// ```
    pub fn snap(&self, p: DVec2, tolerance: f64) -> Option<OnPipe> {
        let q = [p.x, p.y];
        let seg = self.tree.nearest_neighbor(&q)?;
        let d2 = seg.distance_2(&q);
        if d2 > tolerance * tolerance {
            return None;
        }
        let (link, start, len) = seg.data;
        let [a, b] = [seg.geom().from, seg.geom().to].map(|c| DVec2::new(c[0], c[1]));
        let t = if len > 0.0 {
            ((p - a).dot(b - a) / (len * len)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let along = start + t * len;
        let (total, from, to) = self.links[link as usize];
        Some(OnPipe {
            link,
            node: if along <= total / 2.0 { from } else { to },
            distance_m: d2.sqrt(),
        })
    }
}

/// The node nearest `p` (with a position).
pub fn nearest_node(net: &Network, p: DVec2) -> Option<u32> {
    net.nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i as u32, n.position?.distance(p))))
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(i, _)| i)
}

/// The point features of a layer: (name, plan position), named by its ID
/// field (`corridor::from_layer::id_field`), else by index.
pub fn points_of(v: &VectorData) -> Vec<(String, DVec2)> {
    use crate::pipes::corridor::from_layer::{feature_id, id_field};
    let ids = id_field(v);
    v.features
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.geometry {
            Geometry::Point(p) => Some((feature_id(v, ids, i), p.truncate())),
            _ => None,
        })
        .collect()
}

/// Valves from points (id, position): each on its nearest pipe within
/// `tolerance`, next to the nearer end. Returns the valves and the IDs of
/// points no pipe is near.
pub fn valves_from_points(
    net: &Network,
    points: &[(String, DVec2)],
    tolerance: f64,
) -> (Vec<IsolationValve>, Vec<String>) {
    let snapper = PointSnapper::new(net);
    let (mut valves, mut missed) = (Vec::new(), Vec::new());
    for (id, p) in points {
        match snapper.snap(*p, tolerance) {
            Some(on) => valves.push(IsolationValve {
                id: id.clone(),
                link: on.link,
                node: on.node,
            }),
            None => missed.push(id.clone()),
        }
    }
    (valves, missed)
}

/// The points (hydrants, customers' meters…) whose nearest pipe within
/// `tolerance` is among `dry` links: what a burst puts out of service.
pub fn on_dry_pipes(
    net: &Network,
    points: &[(String, DVec2)],
    tolerance: f64,
    dry: &[u32],
) -> Vec<String> {
    let snapper = PointSnapper::new(net);
    let mut is_dry = vec![false; net.links.len()];
    for &l in dry {
        is_dry[l as usize] = true;
    }
    points
        .iter()
        .filter(|(_, p)| {
            snapper
                .snap(*p, tolerance)
                .is_some_and(|o| is_dry[o.link as usize])
        })
        .map(|(id, _)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::isolation::Isolator;
    use crate::pipes::topology::{LinePipe, build};
    use crate::pipes::{NodeKind, connectivity};

    #[test]
    fn valve_points_isolate_a_gis_main_between_them() {
        // A main of three drawn pipes, a source at its west end, valves
        // drawn 0.3 m off the pipe near x = 95 and x = 205.
        let pipe = |id: &str, x0: f64, x1: f64| LinePipe {
            id: id.into(),
            line: vec![DVec2::new(x0, 0.0), DVec2::new(x1, 0.0)],
            diameter_mm: 300.0,
        };
        let mut t = build(
            &[
                pipe("A", 0.0, 100.0),
                pipe("B", 100.0, 200.0),
                pipe("C", 200.0, 300.0),
            ],
            0.5,
            5.0,
        );
        let net = &mut t.network;
        let west = (0..net.nodes.len())
            .find(|&n| net.nodes[n].position == Some(DVec2::ZERO))
            .unwrap();
        net.nodes[west].kind = NodeKind::Reservoir;
        for n in &mut net.nodes {
            if n.kind == NodeKind::Junction {
                n.base_demand_lps = 1.0;
            }
        }
        let points = [
            ("V1".to_string(), DVec2::new(105.0, 0.3)),
            ("V2".to_string(), DVec2::new(195.0, -0.3)),
            ("far".to_string(), DVec2::new(150.0, 30.0)),
        ];
        let (valves, missed) = valves_from_points(net, &points, 2.0);
        assert_eq!(missed, ["far"]);
        let b = net.link("B").unwrap();
        assert!(valves.iter().all(|v| v.link == b), "both on pipe B");
        let burst = Isolator::new(net, &valves, &[]).isolate(b);
        assert_eq!(burst.valves_to_close.len(), 2);
        assert_eq!(burst.segment_links, vec![b]);
        // The east end is fed only through B: it loses supply too.
        let east = net
            .nodes
            .iter()
            .position(|n| n.position == Some(DVec2::new(300.0, 0.0)))
            .unwrap() as u32;
        assert!(burst.isolated_nodes.contains(&east));
        // Hydrants on C (dry) and on A (still fed).
        let hydrants = [
            ("H1".to_string(), DVec2::new(250.0, 0.5)),
            ("H2".to_string(), DVec2::new(50.0, 0.5)),
        ];
        assert_eq!(
            on_dry_pipes(net, &hydrants, 2.0, &burst.isolated_links),
            ["H1"]
        );
        assert!(
            connectivity::check(net, &crate::pipes::graph::Adjacency::new(net))
                .islands
                .is_empty(),
            "the source reaches the whole main"
        );
    }
}
