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

use crate::model::geometry::Polygon;
use crate::model::layer::{FeatureId, VectorData};
use glam::{DVec2, DVec3};
use rstar::{AABB, Envelope, PointDistance, RTree, RTreeObject};

pub(crate) mod planar;
use planar::SelectionShape;
pub use planar::{distance_2d, point_segment_distance, segments_intersect};

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

    /// [`SpatialIndex::nearest`] among the features `keep` accepts (by
    /// index): those drawn, say.
    pub fn nearest_where(
        &self,
        data: &VectorData,
        p: DVec2,
        max_distance: f64,
        keep: impl Fn(usize) -> bool,
    ) -> Option<Hit> {
        self.nearest_k_where(data, p, 1, max_distance, keep).pop()
    }

    /// The `k` features nearest to `p` by true distance, nearest first,
    /// among those within `max_distance`.
    pub fn nearest_k(&self, data: &VectorData, p: DVec2, k: usize, max_distance: f64) -> Vec<Hit> {
        self.nearest_k_where(data, p, k, max_distance, |_| true)
    }

    fn nearest_k_where(
        &self,
        data: &VectorData,
        p: DVec2,
        k: usize,
        max_distance: f64,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<Hit> {
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
            if !keep(i) {
                continue;
            }
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

#[cfg(test)]
mod tests;
