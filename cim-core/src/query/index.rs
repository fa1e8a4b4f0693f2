//! A 2D spatial index over one layer's features, for picking, box and lasso
//! selection and "what is here" queries.
//!
//! The index is an R*-tree ([`rstar`]) of the features' XY bounding boxes,
//! bulk loaded in `O(n log n)`. Queries use the boxes only to find
//! candidates; answers are then decided on the real geometry:
//!
//! * [`SpatialIndex::nearest`] returns the feature at the smallest *true*
//!   distance from a point: to a point, to the nearest segment of a line,
//!   to the nearest edge of a polygon and 0 inside it (holes excluded). The
//!   tree is walked in order of box distance, which is a lower bound of the
//!   true distance, so the walk stops as soon as no unvisited box can beat
//!   the best feature found.
//! * [`SpatialIndex::in_box`] and [`SpatialIndex::in_polygon`] select the
//!   features that intersect, or lie entirely within, a rectangle or a
//!   polygon (see [`SelectMode`]).
//! * [`SpatialIndex::at_point`] lists everything within a tolerance of a
//!   point, nearest first and, among features containing the point, the
//!   smallest first (a building before the land-use parcel it stands on).
//!
//! The index stores feature *indices* only, not geometry, so it holds no
//! borrow and can live next to its data (e.g. in a Bevy resource). Every
//! query that needs geometry takes the [`VectorData`] it was built from;
//! rebuild the index when the features change.
//!
//! All tests are in the XY plane of the layer's CRS; heights are ignored.
//!
//! ```
//! use cim_core::model::geometry::{Geometry, Polygon};
//! use cim_core::query::index::{SelectMode, SpatialIndex};
//! use cim_core::model::layer::{Feature, FeatureId, VectorData};
//! use glam::{DVec2, DVec3};
//! let square = Polygon::new(vec![
//!     DVec3::new(0.0, 0.0, 0.0), DVec3::new(10.0, 0.0, 0.0),
//!     DVec3::new(10.0, 10.0, 0.0), DVec3::new(0.0, 10.0, 0.0),
//! ]);
//! let geoms = [Geometry::Polygon(square), Geometry::Point(DVec3::new(13.0, 5.0, 0.0))];
//! let data = VectorData {
//!     fields: vec![],
//!     features: geoms.into_iter().enumerate().map(|(i, geometry)| Feature {
//!         id: FeatureId(i as u64), geometry, attributes: vec![],
//!     }).collect(),
//! };
//! let index = SpatialIndex::build(&data);
//! // 1 m from the square's edge, 2 m from the point.
//! let hit = index.nearest(&data, DVec2::new(11.0, 5.0), f64::INFINITY).unwrap();
//! assert_eq!((hit.id, hit.distance), (FeatureId(0), 1.0));
//! let inside = index.at_point(&data, DVec2::new(5.0, 5.0), 0.0);
//! assert_eq!(inside[0].id, FeatureId(0));
//! let sel = index.in_box(&data, DVec2::new(9.0, 4.0), DVec2::new(14.0, 6.0), SelectMode::Intersects);
//! assert_eq!(sel, vec![0, 1]);
//! ```

use crate::model::geometry::{Geometry, Polygon};
use crate::model::layer::{FeatureId, VectorData};
use glam::{DVec2, DVec3};
use rstar::{AABB, Envelope, PointDistance, RTree, RTreeObject};

/// How a selection shape selects features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SelectMode {
    /// Features that touch or overlap the shape (a "crossing" selection).
    #[default]
    Intersects,
    /// Features lying entirely inside the shape (a "window" selection).
    Within,
}

/// One feature found by a distance query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Position of the feature in `VectorData::features`.
    pub index: usize,
    pub id: FeatureId,
    /// Distance in the XY plane from the query point to the geometry
    /// (0 when a polygon contains the point), in CRS units.
    pub distance: f64,
}

/// An R-tree entry: one feature's XY bounding box.
#[derive(Clone, Debug)]
struct Entry {
    env: AABB<[f64; 2]>,
    index: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PointDistance for Entry {
    /// Squared distance to the bounding box: a lower bound of the squared
    /// distance to the geometry inside it.
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        self.env.distance_2(point)
    }
}

/// Selects the boxes a segment crosses.
struct SegmentCrossing {
    a: DVec2,
    b: DVec2,
}

impl SegmentCrossing {
    /// Slab test (Kay & Kajiya 1986) of the segment against a box, closed
    /// on both ends so points and zero-width boxes count.
    fn crosses(&self, env: &AABB<[f64; 2]>) -> bool {
        let (lo, hi) = (env.lower(), env.upper());
        let d = self.b - self.a;
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (o, d, lo, hi) in [(self.a.x, d.x, lo[0], hi[0]), (self.a.y, d.y, lo[1], hi[1])] {
            if d.abs() < 1e-300 {
                if o < lo || o > hi {
                    return false;
                }
                continue;
            }
            let (mut u, mut v) = ((lo - o) / d, (hi - o) / d);
            if u > v {
                std::mem::swap(&mut u, &mut v);
            }
            t0 = t0.max(u);
            t1 = t1.min(v);
            if t0 > t1 {
                return false;
            }
        }
        true
    }
}

impl rstar::SelectionFunction<Entry> for SegmentCrossing {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        self.crosses(envelope)
    }

    fn should_unpack_leaf(&self, leaf: &Entry) -> bool {
        self.crosses(&leaf.env)
    }
}

/// A spatial index over the features of one [`VectorData`].
#[derive(Clone, Debug)]
pub struct SpatialIndex {
    tree: RTree<Entry>,
    /// Number of features of the data the index was built from (including
    /// those with empty geometry, which are not in the tree).
    feature_count: usize,
}

impl Default for SpatialIndex {
    fn default() -> Self {
        SpatialIndex {
            tree: RTree::new(),
            feature_count: 0,
        }
    }
}

fn aabb(min: DVec2, max: DVec2) -> AABB<[f64; 2]> {
    AABB::from_corners([min.x, min.y], [max.x, max.y])
}

impl SpatialIndex {
    /// Bulk loads the index from the XY bounding boxes of `data`'s features.
    /// Features with an empty geometry are left out.
    ///
    /// # Panics
    /// If `data` has more than `u32::MAX` features.
    pub fn build(data: &VectorData) -> SpatialIndex {
        assert!(
            data.features.len() <= u32::MAX as usize,
            "too many features for the spatial index"
        );
        let entries: Vec<Entry> = data
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let b = f.geometry.bbox()?;
                // NaN coordinates would poison the tree.
                if !(b.min.x.is_finite()
                    && b.min.y.is_finite()
                    && b.max.x.is_finite()
                    && b.max.y.is_finite())
                {
                    return None;
                }
                Some(Entry {
                    env: aabb(b.min.truncate(), b.max.truncate()),
                    index: i as u32,
                })
            })
            .collect();
        SpatialIndex {
            tree: RTree::bulk_load(entries),
            feature_count: data.features.len(),
        }
    }

    /// Number of indexed features (those with a non-empty geometry).
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    fn check(&self, data: &VectorData) {
        assert_eq!(
            data.features.len(),
            self.feature_count,
            "SpatialIndex queried with data it was not built from"
        );
    }

    fn hit(data: &VectorData, index: usize, distance: f64) -> Hit {
        Hit {
            index,
            id: data.features[index].id,
            distance,
        }
    }

    /// Indices of the features whose bounding box intersects the box
    /// `min..max`, in no particular order. A cheap candidate set (for
    /// frustum culling, say); [`SpatialIndex::in_box`] is the exact test.
    pub fn bbox_candidates(&self, min: DVec2, max: DVec2) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&aabb(min, max))
            .map(|e| e.index as usize)
    }

    /// Indices of the features whose bounding box the segment `a`–`b`
    /// crosses, in no particular order: the candidates of a pick along a
    /// ray's footprint. Only tree nodes the segment crosses are opened
    /// (slab test), so a long oblique ray over a city visits the boxes along
    /// its way, not every box of its bounding rectangle.
    ///
    /// ```
    /// use cim_core::model::geometry::Geometry;
    /// use cim_core::query::index::SpatialIndex;
    /// use cim_core::model::layer::{Feature, FeatureId, VectorData};
    /// use glam::{DVec2, DVec3};
    /// // A 100 × 100 grid of points one metre apart.
    /// let data = VectorData {
    ///     fields: vec![],
    ///     features: (0..10_000)
    ///         .map(|i| Feature {
    ///             id: FeatureId(i as u64),
    ///             geometry: Geometry::Point(DVec3::new((i % 100) as f64, (i / 100) as f64, 0.0)),
    ///             attributes: vec![],
    ///         })
    ///         .collect(),
    /// };
    /// let ix = SpatialIndex::build(&data);
    /// // The diagonal crosses the boxes of the 100 points on it, not all 10 000.
    /// let mut on = ix.segment_candidates(DVec2::ZERO, DVec2::splat(99.0)).collect::<Vec<_>>();
    /// on.sort();
    /// assert_eq!(on, (0..100).map(|k| k * 101).collect::<Vec<_>>());
    /// ```
    pub fn segment_candidates(&self, a: DVec2, b: DVec2) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_with_selection_function(SegmentCrossing { a, b })
            .map(|e| e.index as usize)
    }

    /// Every indexed feature, nearest bounding box to `p` first, with that
    /// box distance (0 inside the box), lazily: taking the first `k` costs
    /// about `O(k log n)`.
    pub fn nearest_boxes(&self, p: DVec2) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[p.x, p.y])
            .map(|(e, d2)| (e.index as usize, d2.sqrt()))
    }

    /// The feature nearest to `p` by true distance to its geometry, if one
    /// lies within `max_distance` (pass `f64::INFINITY` for no limit).
    pub fn nearest(&self, data: &VectorData, p: DVec2, max_distance: f64) -> Option<Hit> {
        self.nearest_k(data, p, 1, max_distance).pop()
    }

    /// The `k` features nearest to `p` by true distance, nearest first,
    /// among those within `max_distance`.
    pub fn nearest_k(&self, data: &VectorData, p: DVec2, k: usize, max_distance: f64) -> Vec<Hit> {
        self.check(data);
        let mut best: Vec<Hit> = Vec::with_capacity(k.min(64) + 1);
        if k == 0 {
            return best;
        }
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&[p.x, p.y]) {
            let bound = if best.len() == k {
                best[k - 1].distance.min(max_distance)
            } else {
                max_distance
            };
            // Box distance is a lower bound: nothing further on can be nearer.
            if d2 > bound * bound {
                break;
            }
            let i = e.index as usize;
            let d = distance_2d(&data.features[i].geometry, p);
            if d <= bound && (best.len() < k || d < best[k - 1].distance) {
                let at = best.partition_point(|h| h.distance <= d);
                best.insert(at, Self::hit(data, i, d));
                best.truncate(k);
            }
        }
        best
    }

    /// "What is here": every feature within `tolerance` of `p` (polygons
    /// containing `p` are at distance 0), nearest first; among equally near
    /// features the one with the smaller bounding box comes first.
    pub fn at_point(&self, data: &VectorData, p: DVec2, tolerance: f64) -> Vec<Hit> {
        self.check(data);
        let t = DVec2::splat(tolerance.max(0.0));
        let mut hits: Vec<(Hit, f64)> = self
            .tree
            .locate_in_envelope_intersecting(&aabb(p - t, p + t))
            .filter_map(|e| {
                let i = e.index as usize;
                let d = distance_2d(&data.features[i].geometry, p);
                (d <= tolerance).then(|| (Self::hit(data, i, d), e.env.area()))
            })
            .collect();
        hits.sort_by(|(a, aa), (b, ba)| {
            a.distance
                .total_cmp(&b.distance)
                .then(aa.total_cmp(ba))
                .then(a.index.cmp(&b.index))
        });
        hits.into_iter().map(|(h, _)| h).collect()
    }

    /// Indices (ascending) of the features selected by the axis-aligned box
    /// spanned by the corners `a` and `b` (in any order).
    pub fn in_box(&self, data: &VectorData, a: DVec2, b: DVec2, mode: SelectMode) -> Vec<usize> {
        self.check(data);
        let (min, max) = (a.min(b), a.max(b));
        let query = aabb(min, max);
        let mut rect: Option<SelectionShape> = None;
        let mut out: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&query)
            .filter_map(|e| {
                let i = e.index as usize;
                // A box within the query box: the geometry is inside too.
                if query.contains_envelope(&e.env) {
                    return Some(i);
                }
                match mode {
                    // Within a box <=> bounding box within the box.
                    SelectMode::Within => None,
                    SelectMode::Intersects => {
                        let shape = rect.get_or_insert_with(|| {
                            SelectionShape::new(vec![vec![
                                min,
                                DVec2::new(max.x, min.y),
                                max,
                                DVec2::new(min.x, max.y),
                            ]])
                        });
                        shape.intersects(&data.features[i].geometry).then_some(i)
                    }
                }
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Indices (ascending) of the features selected by a polygon (its holes
    /// are respected), e.g. a lasso drawn by the user.
    pub fn in_polygon(&self, data: &VectorData, polygon: &Polygon, mode: SelectMode) -> Vec<usize> {
        self.check(data);
        let ring = |r: &Vec<DVec3>| r.iter().map(|p| p.truncate()).collect::<Vec<_>>();
        let mut rings = vec![ring(&polygon.exterior)];
        rings.extend(polygon.interiors.iter().map(ring));
        let shape = SelectionShape::new(rings);
        if shape.rings[0].len() < 3 {
            return Vec::new();
        }
        let query = aabb(shape.min, shape.max);
        let mut out: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&query)
            .filter_map(|e| {
                let i = e.index as usize;
                let g = &data.features[i].geometry;
                let selected = match mode {
                    SelectMode::Intersects => shape.intersects(g),
                    SelectMode::Within => query.contains_envelope(&e.env) && shape.contains(g),
                };
                selected.then_some(i)
            })
            .collect();
        out.sort_unstable();
        out
    }
}

// ---------------------------------------------------------------------------
// Geometry predicates (XY plane)
// ---------------------------------------------------------------------------

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
fn rings_contain(rings: &[Vec<DVec2>], p: DVec2) -> bool {
    let mut inside = false;
    for ring in rings {
        let n = ring.len();
        if n < 3 {
            continue;
        }
        let mut j = n - 1;
        for i in 0..n {
            let (a, b) = (ring[i], ring[j]);
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            j = i;
        }
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
struct SelectionShape {
    rings: Vec<Vec<DVec2>>,
    min: DVec2,
    max: DVec2,
}

impl SelectionShape {
    fn new(rings: Vec<Vec<DVec2>>) -> SelectionShape {
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

    fn intersects(&self, g: &Geometry) -> bool {
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
    fn contains(&self, g: &Geometry) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::Feature;

    /// Against brute force: every box a segment crosses (sampled densely
    /// along it) is a candidate, and every candidate's box lies within
    /// reach of the segment.
    #[test]
    fn segment_candidates_are_the_boxes_along_the_segment() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let features: Vec<Feature> = (0..2_000)
            .map(|i| {
                let (x, y) = (next() * 1000.0, next() * 1000.0);
                let (w, h) = (1.0 + next() * 20.0, 1.0 + next() * 20.0);
                Feature {
                    id: FeatureId(i),
                    geometry: Geometry::Polygon(Polygon::new(vec![
                        v(x, y),
                        v(x + w, y),
                        v(x + w, y + h),
                        v(x, y + h),
                    ])),
                    attributes: vec![],
                }
            })
            .collect();
        let data = VectorData {
            fields: vec![],
            features,
        };
        let ix = SpatialIndex::build(&data);
        for _ in 0..50 {
            let a = DVec2::new(next() * 1200.0 - 100.0, next() * 1200.0 - 100.0);
            let b = DVec2::new(next() * 1200.0 - 100.0, next() * 1200.0 - 100.0);
            let got: std::collections::HashSet<usize> = ix.segment_candidates(a, b).collect();
            for (i, f) in data.features.iter().enumerate() {
                let bb = f.geometry.bbox().unwrap();
                let inside = |p: DVec2| {
                    p.x >= bb.min.x && p.x <= bb.max.x && p.y >= bb.min.y && p.y <= bb.max.y
                };
                let hit = (0..=4000).any(|k| inside(a.lerp(b, k as f64 / 4000.0)));
                if hit {
                    assert!(got.contains(&i), "box {i} on the segment was missed");
                }
                if got.contains(&i) {
                    let c = DVec2::new(bb.min.x + bb.max.x, bb.min.y + bb.max.y) / 2.0;
                    let reach = (bb.max - bb.min).truncate().length();
                    assert!(
                        point_segment_distance(c, a, b) <= reach,
                        "box {i} is off the segment"
                    );
                }
            }
        }
    }

    fn v(x: f64, y: f64) -> DVec3 {
        DVec3::new(x, y, 0.0)
    }

    fn square(x0: f64, y0: f64, s: f64) -> Polygon {
        Polygon::new(vec![
            v(x0, y0),
            v(x0 + s, y0),
            v(x0 + s, y0 + s),
            v(x0, y0 + s),
        ])
    }

    fn data(geoms: Vec<Geometry>) -> VectorData {
        VectorData {
            fields: Vec::new(),
            features: geoms
                .into_iter()
                .enumerate()
                .map(|(i, g)| Feature {
                    id: FeatureId(100 + i as u64),
                    geometry: g,
                    attributes: Vec::new(),
                })
                .collect(),
        }
    }

    /// 0: point (0,0); 1: line (10,0)-(10,10); 2: square 20..30 with a hole
    /// 24..26; 3: big parcel -100..100 containing everything; 4: empty line.
    fn sample() -> VectorData {
        let mut holed = square(20.0, 0.0, 10.0);
        holed.interiors.push(square(24.0, 4.0, 2.0).exterior);
        data(vec![
            Geometry::Point(v(0.0, 0.0)),
            Geometry::LineString(vec![v(10.0, 0.0), v(10.0, 10.0)]),
            Geometry::Polygon(holed),
            Geometry::Polygon(square(-100.0, -100.0, 200.0)),
            Geometry::LineString(Vec::new()),
        ])
    }

    #[test]
    fn distances_to_geometry() {
        let d = sample();
        let g = |i: usize| &d.features[i].geometry;
        assert_eq!(distance_2d(g(0), DVec2::new(3.0, 4.0)), 5.0);
        assert_eq!(distance_2d(g(1), DVec2::new(13.0, 5.0)), 3.0);
        assert_eq!(distance_2d(g(1), DVec2::new(13.0, 14.0)), 5.0);
        assert_eq!(distance_2d(g(2), DVec2::new(21.0, 1.0)), 0.0);
        // In the hole: distance to the hole's edge.
        assert!((distance_2d(g(2), DVec2::new(25.0, 5.5)) - 0.5).abs() < 1e-12);
        assert_eq!(distance_2d(g(2), DVec2::new(33.0, 14.0)), 5.0);
        assert_eq!(distance_2d(g(4), DVec2::ZERO), f64::INFINITY);
        let mesh = Geometry::Mesh {
            positions: vec![v(0.0, 0.0), v(4.0, 0.0), v(0.0, 4.0)],
            indices: vec![0, 1, 2],
        };
        assert_eq!(distance_2d(&mesh, DVec2::new(1.0, 1.0)), 0.0);
        assert_eq!(distance_2d(&mesh, DVec2::new(1.0, -2.0)), 2.0);
    }

    #[test]
    fn nearest_uses_true_distance_not_bbox() {
        // A diagonal line whose bbox contains the query point, and a point
        // 1.5 away: the bbox distance of the line is 0 but its true distance
        // is ~7.07, so the point must win.
        let d = data(vec![
            Geometry::LineString(vec![v(0.0, 0.0), v(10.0, 10.0)]),
            Geometry::Point(v(10.0, 1.5)),
        ]);
        let idx = SpatialIndex::build(&d);
        let h = idx
            .nearest(&d, DVec2::new(10.0, 0.0), f64::INFINITY)
            .unwrap();
        assert_eq!((h.index, h.id, h.distance), (1, FeatureId(101), 1.5));
        let k = idx.nearest_k(&d, DVec2::new(10.0, 0.0), 5, f64::INFINITY);
        assert_eq!(k.len(), 2);
        assert!((k[1].distance - 50f64.sqrt()).abs() < 1e-12);
        assert!(idx.nearest(&d, DVec2::new(10.0, 0.0), 1.0).is_none());
    }

    #[test]
    fn nearest_matches_brute_force() {
        let mut s = 12345u64;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 1000.0
        };
        let mut geoms = Vec::new();
        for i in 0..600 {
            let (x, y) = (rnd(), rnd());
            geoms.push(match i % 3 {
                0 => Geometry::Point(v(x, y)),
                1 => Geometry::LineString(vec![v(x, y), v(x + rnd() / 10.0, y - rnd() / 10.0)]),
                _ => Geometry::Polygon(square(x, y, rnd() / 20.0)),
            });
        }
        let d = data(geoms);
        let idx = SpatialIndex::build(&d);
        for _ in 0..200 {
            let p = DVec2::new(rnd(), rnd());
            let brute = d
                .features
                .iter()
                .map(|f| distance_2d(&f.geometry, p))
                .fold(f64::INFINITY, f64::min);
            let h = idx.nearest(&d, p, f64::INFINITY).unwrap();
            assert_eq!(h.distance, brute);
            let mut all: Vec<f64> = d
                .features
                .iter()
                .map(|f| distance_2d(&f.geometry, p))
                .collect();
            all.sort_by(f64::total_cmp);
            let k: Vec<f64> = idx
                .nearest_k(&d, p, 7, f64::INFINITY)
                .iter()
                .map(|h| h.distance)
                .collect();
            assert_eq!(k, all[..7]);
        }
    }

    #[test]
    fn what_is_here_orders_small_before_large() {
        let d = sample();
        let idx = SpatialIndex::build(&d);
        assert_eq!(idx.len(), 4);
        let hits = idx.at_point(&d, DVec2::new(21.0, 1.0), 0.5);
        let ids: Vec<usize> = hits.iter().map(|h| h.index).collect();
        assert_eq!(ids, vec![2, 3]);
        // In the hole of polygon 2, only the parcel contains the point.
        let hits = idx.at_point(&d, DVec2::new(25.0, 5.0), 0.5);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![3]);
        let hits = idx.at_point(&d, DVec2::new(10.4, 5.0), 0.5);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![3, 1]);
        assert!((hits[1].distance - 0.4).abs() < 1e-12);
    }

    #[test]
    fn box_selection_intersects_and_within() {
        let d = sample();
        let idx = SpatialIndex::build(&d);
        // Box crossing the line and the holed square's left edge.
        let (a, b) = (DVec2::new(5.0, 2.0), DVec2::new(22.0, 3.0));
        assert_eq!(idx.in_box(&d, a, b, SelectMode::Intersects), vec![1, 2, 3]);
        assert_eq!(
            idx.in_box(&d, a, b, SelectMode::Within),
            Vec::<usize>::new()
        );
        let (a, b) = (DVec2::new(-1.0, -1.0), DVec2::new(10.0, 10.0));
        assert_eq!(idx.in_box(&d, b, a, SelectMode::Within), vec![0, 1]);
        // A box inside the hole touches the parcel only.
        let (a, b) = (DVec2::new(24.5, 4.5), DVec2::new(25.5, 5.5));
        assert_eq!(idx.in_box(&d, a, b, SelectMode::Intersects), vec![3]);
        // A box whose bbox overlaps the diagonal line's bbox but not the line.
        let diag = data(vec![Geometry::LineString(vec![v(0.0, 0.0), v(10.0, 10.0)])]);
        let di = SpatialIndex::build(&diag);
        let (a, b) = (DVec2::new(6.0, 0.0), DVec2::new(9.0, 3.0));
        assert!(di.in_box(&diag, a, b, SelectMode::Intersects).is_empty());
        assert_eq!(di.bbox_candidates(a, b).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn polygon_selection_respects_concavity() {
        // A U-shaped lasso: x 0..30, y 0..30 with a notch x 10..20, y 10..30.
        let lasso = Polygon::new(vec![
            v(0.0, 0.0),
            v(30.0, 0.0),
            v(30.0, 30.0),
            v(20.0, 30.0),
            v(20.0, 10.0),
            v(10.0, 10.0),
            v(10.0, 30.0),
            v(0.0, 30.0),
        ]);
        let d = data(vec![
            Geometry::Point(v(5.0, 25.0)),                            // in left arm
            Geometry::Point(v(15.0, 25.0)),                           // in the notch
            Geometry::LineString(vec![v(5.0, 25.0), v(25.0, 25.0)]),  // spans the notch
            Geometry::Polygon(square(2.0, 2.0, 5.0)),                 // inside
            Geometry::Polygon(square(12.0, 15.0, 5.0)),               // in the notch
            Geometry::Polygon(square(-50.0, -50.0, 100.0)),           // covers the lasso
            Geometry::LineString(vec![v(10.0, 20.0), v(20.0, 20.0)]), // notch, touching both arms
        ]);
        let idx = SpatialIndex::build(&d);
        assert_eq!(
            idx.in_polygon(&d, &lasso, SelectMode::Intersects),
            vec![0, 2, 3, 5, 6]
        );
        assert_eq!(idx.in_polygon(&d, &lasso, SelectMode::Within), vec![0, 3]);
    }

    #[test]
    fn polygon_selection_with_hole() {
        let mut sel = square(0.0, 0.0, 100.0);
        sel.interiors.push(square(40.0, 40.0, 20.0).exterior);
        let d = data(vec![
            Geometry::Point(v(50.0, 50.0)),              // in the hole
            Geometry::Polygon(square(30.0, 30.0, 40.0)), // covers the hole
            Geometry::Polygon(square(10.0, 10.0, 5.0)),
        ]);
        let idx = SpatialIndex::build(&d);
        assert_eq!(idx.in_polygon(&d, &sel, SelectMode::Intersects), vec![1, 2]);
        assert_eq!(idx.in_polygon(&d, &sel, SelectMode::Within), vec![2]);
    }

    #[test]
    #[should_panic(expected = "not built from")]
    fn querying_other_data_panics() {
        let idx = SpatialIndex::build(&sample());
        idx.nearest(&VectorData::default(), DVec2::ZERO, 1.0);
    }
}
