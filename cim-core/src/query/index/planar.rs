//! Geometry predicates in the XY plane behind the index's exact answers:
//! true distance to a geometry, point in rings, segment intersection, and
//! the box / polygon selection shape.

use crate::model::geometry::{Geometry, Polygon};
use glam::{DVec2, DVec3};

/// Distance in the XY plane from `p` to the segment `a`–`b`.
pub fn point_segment_distance(p: DVec2, a: DVec2, b: DVec2) -> f64 {
    let ab = b - a;
    let len2 = ab.length_squared();
    let t = if len2 > 0.0 {
        ((p - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t).distance(p)
}

/// Even-odd test of `p` against a set of rings (exterior plus holes).
pub fn rings_contain(rings: &[Vec<DVec2>], p: DVec2) -> bool {
    rings
        .iter()
        .fold(false, |inside, r| inside ^ ring_contains(r, p))
}

/// Even-odd test of `p` against one ring (closed or not).
pub fn ring_contains(ring: &[DVec2], p: DVec2) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn ring_edges(ring: &[DVec2]) -> impl Iterator<Item = (DVec2, DVec2)> + '_ {
    let n = ring.len();
    (0..if n >= 2 { n } else { 0 }).map(move |i| (ring[i], ring[(i + 1) % n]))
}

fn ring_distance(ring: &[DVec3], p: DVec2) -> f64 {
    let n = ring.len();
    match n {
        0 => f64::INFINITY,
        1 => ring[0].truncate().distance(p),
        _ => (0..n)
            .map(|i| point_segment_distance(p, ring[i].truncate(), ring[(i + 1) % n].truncate()))
            .fold(f64::INFINITY, f64::min),
    }
}

fn line_distance(line: &[DVec3], p: DVec2) -> f64 {
    match line.len() {
        0 => f64::INFINITY,
        1 => line[0].truncate().distance(p),
        _ => line
            .windows(2)
            .map(|w| point_segment_distance(p, w[0].truncate(), w[1].truncate()))
            .fold(f64::INFINITY, f64::min),
    }
}

fn polygon_distance(poly: &Polygon, p: DVec2) -> f64 {
    if poly.exterior.len() >= 3 && poly.contains_xy(p.x, p.y) {
        return 0.0;
    }
    std::iter::once(&poly.exterior)
        .chain(&poly.interiors)
        .map(|r| ring_distance(r, p))
        .fold(f64::INFINITY, f64::min)
}

fn triangles<'a>(
    positions: &'a [DVec3],
    indices: &'a [u32],
) -> impl Iterator<Item = [DVec2; 3]> + 'a {
    indices.chunks_exact(3).filter_map(move |t| {
        let v = |k: u32| positions.get(k as usize).map(|p| p.truncate());
        Some([v(t[0])?, v(t[1])?, v(t[2])?])
    })
}

fn triangle_contains(t: &[DVec2; 3], p: DVec2) -> bool {
    let cross = |a: DVec2, b: DVec2| (b - a).perp_dot(p - a);
    let (d0, d1, d2) = (cross(t[0], t[1]), cross(t[1], t[2]), cross(t[2], t[0]));
    let neg = d0 < 0.0 || d1 < 0.0 || d2 < 0.0;
    let pos = d0 > 0.0 || d1 > 0.0 || d2 > 0.0;
    !(neg && pos) && (neg || pos)
}

/// Distance in the XY plane from `p` to a geometry: to the point(s), to the
/// nearest segment of lines, to the nearest ring edge of polygons (0 inside,
/// holes excluded), to the nearest triangle of a mesh (0 inside one).
/// `f64::INFINITY` for an empty geometry.
pub fn distance_2d(g: &Geometry, p: DVec2) -> f64 {
    match g {
        Geometry::Point(q) => q.truncate().distance(p),
        Geometry::MeshRef { anchor, .. } => anchor.truncate().distance(p),
        Geometry::MultiPoint(ps) => ps
            .iter()
            .map(|q| q.truncate().distance(p))
            .fold(f64::INFINITY, f64::min),
        Geometry::LineString(l) => line_distance(l, p),
        Geometry::MultiLineString(ls) => ls
            .iter()
            .map(|l| line_distance(l, p))
            .fold(f64::INFINITY, f64::min),
        Geometry::Polygon(poly) => polygon_distance(poly, p),
        Geometry::MultiPolygon(ps) => {
            let mut best = f64::INFINITY;
            for poly in ps {
                best = best.min(polygon_distance(poly, p));
                if best == 0.0 {
                    break;
                }
            }
            best
        }
        Geometry::Mesh { positions, indices } => {
            if indices.len() < 3 {
                return positions
                    .iter()
                    .map(|q| q.truncate().distance(p))
                    .fold(f64::INFINITY, f64::min);
            }
            let mut best = f64::INFINITY;
            for t in triangles(positions, indices) {
                if triangle_contains(&t, p) {
                    return 0.0;
                }
                for k in 0..3 {
                    best = best.min(point_segment_distance(p, t[k], t[(k + 1) % 3]));
                }
            }
            best
        }
    }
}

/// Do the closed segments `a`–`b` and `c`–`d` share a point?
pub fn segments_intersect(a: DVec2, b: DVec2, c: DVec2, d: DVec2) -> bool {
    let o = |p: DVec2, q: DVec2, r: DVec2| (q - p).perp_dot(r - p);
    let on = |p: DVec2, q: DVec2, r: DVec2| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    let (d1, d2, d3, d4) = (o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on(c, d, a))
        || (d2 == 0.0 && on(c, d, b))
        || (d3 == 0.0 && on(a, b, c))
        || (d4 == 0.0 && on(a, b, d))
}

/// Do the open segments cross at a single interior point of both?
fn segments_cross_properly(a: DVec2, b: DVec2, c: DVec2, d: DVec2) -> bool {
    let o = |p: DVec2, q: DVec2, r: DVec2| (q - p).perp_dot(r - p);
    let (d1, d2, d3, d4) = (o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d));
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// One geometry broken into what the predicates need: vertices, edges and
/// areal parts (as rings, first the exterior).
struct Parts {
    points: Vec<DVec2>,
    edges: Vec<(DVec2, DVec2)>,
    areas: Vec<Vec<Vec<DVec2>>>,
}

impl Parts {
    fn of(g: &Geometry) -> Parts {
        let mut parts = Parts {
            points: Vec::new(),
            edges: Vec::new(),
            areas: Vec::new(),
        };
        let xy = |ps: &[DVec3]| ps.iter().map(|p| p.truncate()).collect::<Vec<_>>();
        let add_line = |parts: &mut Parts, l: &[DVec3]| {
            let l = xy(l);
            parts.edges.extend(l.windows(2).map(|w| (w[0], w[1])));
            parts.points.extend(l);
        };
        let add_poly = |parts: &mut Parts, poly: &Polygon| {
            let rings: Vec<Vec<DVec2>> = std::iter::once(&poly.exterior)
                .chain(&poly.interiors)
                .map(|r| xy(r))
                .collect();
            for r in &rings {
                parts.edges.extend(ring_edges(r));
                parts.points.extend(r.iter().copied());
            }
            if rings[0].len() >= 3 {
                parts.areas.push(rings);
            }
        };
        match g {
            Geometry::Point(p) | Geometry::MeshRef { anchor: p, .. } => {
                parts.points.push(p.truncate())
            }
            Geometry::MultiPoint(ps) => parts.points = xy(ps),
            Geometry::LineString(l) => add_line(&mut parts, l),
            Geometry::MultiLineString(ls) => ls.iter().for_each(|l| add_line(&mut parts, l)),
            Geometry::Polygon(poly) => add_poly(&mut parts, poly),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|poly| add_poly(&mut parts, poly)),
            Geometry::Mesh { positions, indices } => {
                if indices.len() < 3 {
                    parts.points = xy(positions);
                }
                for t in triangles(positions, indices) {
                    let ring = t.to_vec();
                    parts.edges.extend(ring_edges(&ring));
                    parts.points.extend(t);
                    parts.areas.push(vec![ring]);
                }
            }
        }
        parts
    }

    fn area_contains(&self, p: DVec2) -> bool {
        self.areas.iter().any(|rings| rings_contain(rings, p))
    }
}

/// A selection polygon (exterior ring plus holes) in the XY plane.
pub(super) struct SelectionShape {
    pub(super) rings: Vec<Vec<DVec2>>,
    pub(super) min: DVec2,
    pub(super) max: DVec2,
}

impl SelectionShape {
    pub(super) fn new(rings: Vec<Vec<DVec2>>) -> SelectionShape {
        let (mut min, mut max) = (DVec2::INFINITY, DVec2::NEG_INFINITY);
        for p in &rings[0] {
            min = min.min(*p);
            max = max.max(*p);
        }
        SelectionShape { rings, min, max }
    }

    fn contains_point(&self, p: DVec2) -> bool {
        rings_contain(&self.rings, p)
    }

    fn edges(&self) -> impl Iterator<Item = (DVec2, DVec2)> + '_ {
        self.rings.iter().flat_map(|r| ring_edges(r))
    }

    pub(super) fn intersects(&self, g: &Geometry) -> bool {
        if let Geometry::Point(p) | Geometry::MeshRef { anchor: p, .. } = g {
            return self.contains_point(p.truncate());
        }
        let parts = Parts::of(g);
        if parts.points.iter().any(|&p| self.contains_point(p)) {
            return true;
        }
        if parts
            .edges
            .iter()
            .any(|&(a, b)| self.edges().any(|(c, d)| segments_intersect(a, b, c, d)))
        {
            return true;
        }
        // The selection lies entirely inside an areal part of the geometry.
        !parts.areas.is_empty() && parts.area_contains(self.rings[0][0])
    }

    /// Is `g` entirely inside the shape?
    pub(super) fn contains(&self, g: &Geometry) -> bool {
        if let Geometry::Point(p) | Geometry::MeshRef { anchor: p, .. } = g {
            return self.contains_point(p.truncate());
        }
        let parts = Parts::of(g);
        if parts.points.is_empty() || !parts.points.iter().all(|&p| self.contains_point(p)) {
            return false;
        }
        // With every vertex inside, the geometry leaves the shape only if
        // one of its edges crosses the boundary (a concave shape)…
        if parts.edges.iter().any(|&(a, b)| {
            self.edges()
                .any(|(c, d)| segments_cross_properly(a, b, c, d))
        }) {
            return false;
        }
        // …or an edge runs through a concave notch touching only vertices:
        // its midpoint is outside then.
        if parts
            .edges
            .iter()
            .any(|&(a, b)| !self.contains_point((a + b) * 0.5) && !on_boundary(self, (a + b) * 0.5))
        {
            return false;
        }
        // …or an areal part covers one of the shape's holes.
        !self.rings[1..]
            .iter()
            .any(|hole| hole.first().is_some_and(|&h| parts.area_contains(h)))
    }
}

fn on_boundary(shape: &SelectionShape, p: DVec2) -> bool {
    shape
        .edges()
        .any(|(a, b)| point_segment_distance(p, a, b) <= 1e-9 * (1.0 + a.abs().max_element()))
}
