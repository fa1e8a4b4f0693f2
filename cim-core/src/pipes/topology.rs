//! Networks from GIS lines: pipes drawn as polylines (a shapefile or
//! GeoJSON pipe layer, or a CAD export) joined into a network.
//!
//! GIS pipe data is drawn, not built: ends that should meet miss by
//! centimetres, a branch ends on the middle of a main without a vertex
//! there. The build follows the usual topology cleaning (as GRASS's
//! `v.clean tool=snap,break` and ArcGIS's geometric networks do):
//!
//! 1. **snap ends**: line ends within the tolerance of a node already made
//!    join it (first come, first placed);
//! 2. **break at T-junctions**: an end left alone that lies within the
//!    tolerance of another pipe's interior splits that pipe there;
//!    A line whose two ends meet (a ring) is cut at its middle vertex.
//! 3. **report gaps**: an end still alone with other pipe work within
//!    `gap_search` metres is a likely drawing error, reported with its
//!    distance — never joined silently.
//!
//! Coordinates must be planar and in metres (project lon/lat first).

use crate::DVec2;
use crate::model::geometry::Geometry;
use crate::model::layer::VectorData;
use crate::pipes::{Link, LinkKind, LinkStatus, Network, Node, NodeKind};
use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};

/// One pipe as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct LinePipe {
    pub id: String,
    /// At least two points, metres.
    pub line: Vec<DVec2>,
    pub diameter_mm: f64,
}

/// An end that meets nothing, near other pipe work.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// The lone node.
    pub node: u32,
    /// The nearest point of another pipe.
    pub nearest: DVec2,
    pub distance_m: f64,
}

/// A network built from lines, and what the build did.
#[derive(Clone, Debug)]
pub struct Topology {
    pub network: Network,
    /// Line ends that joined a node within the tolerance (beyond the first
    /// end at each node).
    pub snapped_ends: usize,
    /// Pipes split where another pipe's end meets their interior (rings
    /// cut in two not counted).
    pub splits: usize,
    /// Lines with fewer than two distinct points, or whose two points are
    /// within the tolerance, left out (their IDs).
    pub skipped: Vec<String>,
    pub gaps: Vec<Gap>,
}

type Segment = GeomWithData<Line<[f64; 2]>, (usize, usize)>;

/// The line features of a GIS layer as pipes to [`build`]: each named by
/// `id(feature index)` (`ID/k` for the parts of a multi-line), diameter
/// from a `diameter`/`dn`/`diam`/`管径` field (0 without).
pub fn line_pipes(v: &VectorData, id: impl Fn(usize) -> String) -> Vec<LinePipe> {
    let diameter = v.fields.iter().position(|f| {
        let n = f.name.to_ascii_lowercase();
        n == "diameter" || n == "dn" || n == "diam" || f.name == "管径"
    });
    let mut pipes = Vec::new();
    for (i, f) in v.features.iter().enumerate() {
        let parts: Vec<&Vec<crate::DVec3>> = match &f.geometry {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(ls) => ls.iter().collect(),
            _ => continue,
        };
        let d = diameter
            .and_then(|k| f.attributes.get(k)?.as_f64())
            .unwrap_or(0.0);
        let name = id(i);
        for (k, part) in parts.iter().enumerate() {
            pipes.push(LinePipe {
                id: if parts.len() > 1 {
                    format!("{name}/{k}")
                } else {
                    name.clone()
                },
                line: part.iter().map(|p| p.truncate()).collect(),
                diameter_mm: d,
            });
        }
    }
    pipes
}

/// Builds a network from `pipes`, joining ends within `tolerance` metres
/// and reporting lone ends within `gap_search` metres of other pipes.
///
/// ```
/// use cim_core::DVec2;
/// use cim_core::pipes::topology::{LinePipe, build};
/// let pipe = |id: &str, pts: &[(f64, f64)]| LinePipe {
///     id: id.into(),
///     line: pts.iter().map(|&(x, y)| DVec2::new(x, y)).collect(),
///     diameter_mm: 200.0,
/// };
/// let t = build(&[
///     pipe("main", &[(0.0, 0.0), (100.0, 0.0)]),
///     pipe("branch", &[(50.0, 0.05), (50.0, 40.0)]),  // ends on the main's middle
///     pipe("next", &[(100.02, 0.0), (180.0, 0.0)]),   // 2 cm short of the main's end
///     pipe("stub", &[(50.0, 43.0), (50.0, 60.0)]),    // 3 m beyond the branch's end
/// ], 0.1, 5.0);
/// assert_eq!(t.splits, 1);
/// assert_eq!(t.snapped_ends, 1);
/// assert_eq!(t.network.links.len(), 5, "the main in two, branch, next, stub");
/// assert_eq!(t.gaps.len(), 2, "the branch's top end and the stub's bottom end");
/// assert!((t.gaps[0].distance_m - 3.0).abs() < 1e-9);
/// ```
pub fn build(pipes: &[LinePipe], tolerance: f64, gap_search: f64) -> Topology {
    let mut t = Topology {
        network: Network::default(),
        snapped_ends: 0,
        splits: 0,
        skipped: Vec::new(),
        gaps: Vec::new(),
    };
    // Clean lines: no repeated points.
    let lines: Vec<(usize, Vec<DVec2>)> = pipes
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let mut l = p.line.clone();
            l.dedup();
            if l.len() < 2 {
                t.skipped.push(p.id.clone());
                return None;
            }
            Some((i, l))
        })
        .collect();

    // 1. Ends to nodes.
    let mut positions: Vec<DVec2> = Vec::new();
    let mut nodes: RTree<GeomWithData<[f64; 2], u32>> = RTree::new();
    let mut node_at = |p: DVec2, t: &mut Topology| -> u32 {
        let q = [p.x, p.y];
        if let Some(n) = nodes.nearest_neighbor(&q)
            && n.distance_2(&q) <= tolerance * tolerance
        {
            t.snapped_ends += 1;
            return n.data;
        }
        let id = positions.len() as u32;
        positions.push(p);
        nodes.insert(GeomWithData::new(q, id));
        id
    };
    let ends: Vec<(u32, u32)> = lines
        .iter()
        .map(|(_, l)| (node_at(l[0], &mut t), node_at(l[l.len() - 1], &mut t)))
        .collect();
    // A line whose ends meet (a ring) is cut at its middle vertex, so it
    // is two links between two nodes rather than none.
    let mut ring_cuts: Vec<Option<(usize, f64, u32)>> = vec![None; lines.len()];
    let mut live = vec![true; lines.len()];
    for (k, (_, l)) in lines.iter().enumerate() {
        if ends[k].0 == ends[k].1 && l.len() >= 3 {
            let m = l.len() / 2;
            let id = positions.len() as u32;
            positions.push(l[m]);
            ring_cuts[k] = Some((m - 1, l[m - 1].distance(l[m]), id));
        } else if ends[k].0 == ends[k].1 {
            // Shorter than the tolerance: it joins a node to itself.
            t.skipped.push(pipes[lines[k].0].id.clone());
            live[k] = false;
        }
    }
    let mut degree = vec![0u32; positions.len()];
    for (&(a, b), _) in ends.iter().zip(&live).filter(|(_, l)| **l) {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    for &(_, _, node) in ring_cuts.iter().flatten() {
        degree[node as usize] += 2;
    }

    // 2. Lone ends on another pipe's interior split it.
    let segments: RTree<Segment> = RTree::bulk_load(
        lines
            .iter()
            .enumerate()
            .filter(|(k, _)| live[*k])
            .flat_map(|(k, (_, l))| {
                l.windows(2).enumerate().map(move |(s, w)| {
                    GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), (k, s))
                })
            })
            .collect(),
    );
    // Per line: (segment, distance along it, node) where it is split.
    let mut cuts: Vec<Vec<(usize, f64, u32)>> = ring_cuts
        .iter()
        .map(|c| c.iter().copied().collect())
        .collect();
    for node in 0..positions.len() as u32 {
        if degree[node as usize] != 1 {
            continue;
        }
        let p = positions[node as usize];
        let own = ends
            .iter()
            .zip(&live)
            .position(|(&(a, b), live)| *live && (a == node || b == node))
            .expect("a node of degree 1 ends a line");
        let hit = segments
            .nearest_neighbor_iter(&[p.x, p.y])
            .take_while(|s| s.distance_2(&[p.x, p.y]) <= tolerance * tolerance)
            .find(|s| s.data.0 != own);
        if let Some(s) = hit {
            let (k, seg) = s.data;
            let l = &lines[k].1;
            let along = project(p, l[seg], l[seg + 1]);
            cuts[k].push((seg, along, node));
            degree[node as usize] += 2;
        }
    }

    // Nodes, then links (split where cut).
    for (i, p) in positions.iter().enumerate() {
        let node = Node {
            id: format!("N{i}"),
            kind: NodeKind::Junction,
            elevation_m: 0.0,
            base_demand_lps: 0.0,
            position: Some(*p),
            source_line: None,
        };
        t.network.add_node(node).expect("node IDs are unique");
    }
    // The source pipe of each link made.
    let mut link_pipe: Vec<usize> = Vec::new();
    for (k, (pipe, l)) in lines.iter().enumerate() {
        if !live[k] {
            continue;
        }
        let src = &pipes[*pipe];
        let mut c = std::mem::take(&mut cuts[k]);
        c.sort_by(|a, b| {
            (a.0, a.1)
                .partial_cmp(&(b.0, b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        t.splits += usize::from(c.len() > usize::from(ring_cuts[k].is_some()));
        let mut start = ends[k].0;
        let mut vertices: Vec<DVec2> = Vec::new();
        let mut piece = 0;
        let emit = |t: &mut Topology,
                    link_pipe: &mut Vec<usize>,
                    from: u32,
                    to: u32,
                    vertices: Vec<DVec2>,
                    piece: usize,
                    last: bool| {
            if from == to {
                return;
            }
            let id = if piece == 0 && last {
                src.id.clone()
            } else {
                format!("{}#{}", src.id, piece + 1)
            };
            // A cut at a vertex leaves that vertex at the piece's end.
            let mut vertices = vertices;
            if vertices.first() == Some(&positions[from as usize]) {
                vertices.remove(0);
            }
            if vertices.last() == Some(&positions[to as usize]) {
                vertices.pop();
            }
            let mut all = vec![positions[from as usize]];
            all.extend(&vertices);
            all.push(positions[to as usize]);
            let length_m = all.windows(2).map(|w| w[0].distance(w[1])).sum();
            let (a, b) = (format!("N{from}"), format!("N{to}"));
            // Duplicate IDs in the source get a suffix rather than failing.
            let mut link_id = id.clone();
            let mut n = 1;
            while t.network.link(&link_id).is_some() {
                n += 1;
                link_id = format!("{id}~{n}");
            }
            let added = t.network.add_link(&link_id, &a, &b, |f, to| Link {
                id: link_id.clone(),
                kind: LinkKind::Pipe,
                from: f,
                to,
                length_m,
                diameter_mm: src.diameter_mm,
                initial_status: LinkStatus::Open,
                vertices,
                source_line: None,
            });
            if added.is_ok() {
                link_pipe.push(*pipe);
            }
        };
        let mut next_cut = c.iter().peekable();
        for (s, w) in l.windows(2).enumerate() {
            if s > 0 {
                vertices.push(w[0]);
            }
            while let Some(&&(seg, _, node)) = next_cut.peek() {
                if seg != s {
                    break;
                }
                next_cut.next();
                emit(
                    &mut t,
                    &mut link_pipe,
                    start,
                    node,
                    std::mem::take(&mut vertices),
                    piece,
                    false,
                );
                piece += 1;
                start = node;
            }
        }
        emit(
            &mut t,
            &mut link_pipe,
            start,
            ends[k].1,
            vertices,
            piece,
            piece == 0,
        );
    }

    // 3. Gaps.
    let adj = crate::pipes::graph::Adjacency::new(&t.network);
    for node in 0..t.network.nodes.len() as u32 {
        if adj.degree(node) != 1 {
            continue;
        }
        let own = adj.of(node)[0].link;
        let p = positions[node as usize];
        let own_pipe = link_pipe[own as usize];
        let near = segments
            .nearest_neighbor_iter(&[p.x, p.y])
            .take_while(|s| s.distance_2(&[p.x, p.y]) <= gap_search * gap_search)
            .find(|s| lines[s.data.0].0 != own_pipe);
        if let Some(s) = near {
            let q = s.geom().nearest_point(&[p.x, p.y]);
            let nearest = DVec2::new(q[0], q[1]);
            t.gaps.push(Gap {
                node,
                nearest,
                distance_m: p.distance(nearest),
            });
        }
    }
    t
}

/// Distance along segment `a`→`b` of `p`'s projection onto it.
fn project(p: DVec2, a: DVec2, b: DVec2) -> f64 {
    let d = b - a;
    let len = d.length();
    if len == 0.0 {
        return 0.0;
    }
    ((p - a).dot(d) / len).clamp(0.0, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe(id: &str, pts: &[(f64, f64)]) -> LinePipe {
        LinePipe {
            id: id.into(),
            line: pts.iter().map(|&(x, y)| DVec2::new(x, y)).collect(),
            diameter_mm: 100.0,
        }
    }

    #[test]
    fn a_ring_is_two_links_and_a_tiny_pipe_is_named() {
        let t = build(
            &[
                pipe(
                    "ring",
                    &[
                        (0.0, 0.0),
                        (10.0, 0.0),
                        (10.0, 10.0),
                        (0.0, 10.0),
                        (0.0, 0.0),
                    ],
                ),
                pipe("tiny", &[(50.0, 0.0), (50.05, 0.0)]),
            ],
            0.1,
            5.0,
        );
        let ids: Vec<&str> = t.network.links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["ring#1", "ring#2"]);
        assert_eq!(t.skipped, ["tiny"]);
        let total: f64 = t.network.links.iter().map(|l| l.length_m).sum();
        assert!((total - 40.0).abs() < 1e-9, "{total}");
        // The cut vertex is a node, not also a vertex of either piece.
        for l in &t.network.links {
            assert_eq!(l.vertices.len(), 1, "{l:?}");
        }
        assert!(t.gaps.is_empty());
    }

    #[test]
    fn repeated_ids_are_kept_apart() {
        let t = build(
            &[
                pipe("p", &[(0.0, 0.0), (1.0, 0.0)]),
                pipe("p", &[(1.0, 0.0), (2.0, 0.0)]),
            ],
            0.1,
            1.0,
        );
        let ids: Vec<&str> = t.network.links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["p", "p~2"]);
        assert_eq!(t.snapped_ends, 1);
    }
}
