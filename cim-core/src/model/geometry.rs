//! Feature geometry in a layer's CRS: x = easting (or longitude), y = northing
//! (or latitude), z = height in metres. f64 throughout; conversion to render
//! space happens in [`crate::scene::georef`].

use glam::DVec3;
use serde::{Deserialize, Serialize};

/// A polygon: one outer ring and zero or more holes. Rings are not closed
/// (the last point is not a repeat of the first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Polygon {
    pub exterior: Vec<DVec3>,
    pub interiors: Vec<Vec<DVec3>>,
}

/// Geometry of one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Geometry {
    Point(DVec3),
    LineString(Vec<DVec3>),
    Polygon(Polygon),
    MultiPoint(Vec<DVec3>),
    MultiLineString(Vec<Vec<DVec3>>),
    MultiPolygon(Vec<Polygon>),
    /// A 3D triangle mesh (MultiPatch, TIN): positions and triangle indices.
    Mesh {
        positions: Vec<DVec3>,
        indices: Vec<u32>,
    },
    /// A 3D model stored elsewhere (glTF, tile), placed at `anchor`.
    MeshRef {
        uri: String,
        anchor: DVec3,
    },
}

impl Geometry {
    /// The geometry type's name as in OGC Simple Features.
    pub fn type_name(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::LineString(_) => "LineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::MultiPolygon(_) => "MultiPolygon",
            Geometry::Mesh { .. } => "Mesh",
            Geometry::MeshRef { .. } => "MeshRef",
        }
    }

    /// Calls `f` on every vertex.
    pub fn for_each_point(&self, mut f: impl FnMut(DVec3)) {
        match self {
            Geometry::Point(p) => f(*p),
            Geometry::MeshRef { anchor, .. } => f(*anchor),
            Geometry::LineString(ps) | Geometry::MultiPoint(ps) => ps.iter().copied().for_each(f),
            Geometry::Mesh { positions, .. } => positions.iter().copied().for_each(f),
            Geometry::MultiLineString(ls) => ls.iter().flatten().copied().for_each(f),
            Geometry::Polygon(p) => p.points().for_each(f),
            Geometry::MultiPolygon(ps) => ps.iter().flat_map(|p| p.points()).for_each(f),
        }
    }

    /// Applies `f` to every vertex in place (e.g. a CRS transform).
    pub fn map_points(&mut self, mut f: impl FnMut(&mut DVec3)) {
        match self {
            Geometry::Point(p) => f(p),
            Geometry::MeshRef { anchor, .. } => f(anchor),
            Geometry::LineString(ps) | Geometry::MultiPoint(ps) => ps.iter_mut().for_each(f),
            Geometry::Mesh { positions, .. } => positions.iter_mut().for_each(f),
            Geometry::MultiLineString(ls) => ls.iter_mut().flatten().for_each(f),
            Geometry::Polygon(p) => p.points_mut().for_each(f),
            Geometry::MultiPolygon(ps) => ps.iter_mut().flat_map(|p| p.points_mut()).for_each(f),
        }
    }

    /// The bounding box, or `None` for an empty geometry.
    pub fn bbox(&self) -> Option<Bbox> {
        let mut b = Bbox::EMPTY;
        self.for_each_point(|p| b.extend(p));
        (!b.is_empty()).then_some(b)
    }
}

impl Polygon {
    pub fn new(exterior: Vec<DVec3>) -> Self {
        Polygon {
            exterior,
            interiors: Vec::new(),
        }
    }

    /// The axis-aligned square with south-west corner (`x`, `y`) and
    /// sides `side` long, counter-clockwise, at z = 0.
    ///
    /// ```
    /// use cim_core::model::geometry::Polygon;
    /// let sq = Polygon::square(10.0, 20.0, 5.0);
    /// assert_eq!(sq.exterior.len(), 4);
    /// assert_eq!(sq.exterior[2].truncate(), glam::DVec2::new(15.0, 25.0));
    /// ```
    pub fn square(x: f64, y: f64, side: f64) -> Polygon {
        Polygon::new(vec![
            DVec3::new(x, y, 0.0),
            DVec3::new(x + side, y, 0.0),
            DVec3::new(x + side, y + side, 0.0),
            DVec3::new(x, y + side, 0.0),
        ])
    }

    pub fn points(&self) -> impl Iterator<Item = DVec3> + '_ {
        self.exterior
            .iter()
            .chain(self.interiors.iter().flatten())
            .copied()
    }

    pub fn points_mut(&mut self) -> impl Iterator<Item = &mut DVec3> + '_ {
        self.exterior
            .iter_mut()
            .chain(self.interiors.iter_mut().flatten())
    }

    /// Triangulates the polygon (holes included) in the XY plane with
    /// earcut (Mapbox's ear-clipping algorithm, via `earcutr`). Returns
    /// index triples into [`Polygon::points`] order.
    ///
    /// Vertices that are not finite give no triangles (loaders drop such
    /// features, see `Layer::drop_unplaceable`; this keeps earcut, which
    /// panics on NaN, safe whatever it is handed).
    ///
    /// ```
    /// use cim_core::model::geometry::Polygon;
    /// let tris = Polygon::square(38_500_000.0, 2_500_000.0, 10.0).triangulate();
    /// assert_eq!(tris.len(), 6, "two triangles");
    /// ```
    pub fn triangulate(&self) -> Vec<usize> {
        if !self.points().all(|p| p.is_finite()) {
            return Vec::new();
        }
        let o = self.exterior.first().copied().unwrap_or_default();
        let mut flat = Vec::new();
        let mut holes = Vec::new();
        for (k, ring) in std::iter::once(&self.exterior)
            .chain(&self.interiors)
            .enumerate()
        {
            if k > 0 {
                holes.push(flat.len() / 2);
            }
            for p in ring {
                // Relative to the first vertex: earcut's arithmetic at GK
                // magnitudes would lose centimetres.
                flat.push(p.x - o.x);
                flat.push(p.y - o.y);
            }
        }
        earcutr::earcut(&flat, &holes, 2).unwrap_or_default()
    }

    /// Planar area (shoelace formula, holes subtracted), in CRS units².
    pub fn area(&self) -> f64 {
        ring_signed_area(&self.exterior).abs()
            - self
                .interiors
                .iter()
                .map(|r| ring_signed_area(r).abs())
                .sum::<f64>()
    }

    /// Even-odd point-in-polygon test in the XY plane.
    pub fn contains_xy(&self, x: f64, y: f64) -> bool {
        let inside = |ring: &[DVec3]| {
            let mut c = false;
            let n = ring.len();
            for i in 0..n {
                let (a, b) = (ring[i], ring[(i + n - 1) % n]);
                if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                    c = !c;
                }
            }
            c
        };
        inside(&self.exterior) && !self.interiors.iter().any(|r| inside(r))
    }
}

/// Coordinates larger than this (in metres or degrees) place nothing on
/// Earth: the equator is 4·10⁷ m long. A vertex beyond it is corrupt data.
pub const MAX_COORDINATE: f64 = 1e9;

/// Whether every vertex of `g` is finite and within ±[`MAX_COORDINATE`].
///
/// ```
/// use cim_core::{DVec3, Geometry};
/// use cim_core::model::geometry::is_placeable;
/// assert!(is_placeable(&Geometry::Point(DVec3::new(38_500_000.0, 2_470_000.0, 5.0))));
/// assert!(!is_placeable(&Geometry::Point(DVec3::new(f64::NAN, 0.0, 0.0))));
/// assert!(!is_placeable(&Geometry::Point(DVec3::new(1e300, 0.0, 0.0))));
/// ```
pub fn is_placeable(g: &Geometry) -> bool {
    let mut ok = true;
    g.for_each_point(|p| {
        ok &= p.is_finite() && p.abs().max_element() <= MAX_COORDINATE;
    });
    ok
}

/// Inserts points along `line` so that no segment is longer than `step`
/// (draping a line on terrain needs a vertex per terrain cell), but never
/// returns more than `max(max_points, line.len())` points: a longer line
/// gets a proportionally longer step. A non-finite or non-positive `step`
/// leaves the line as it is. The bound is what keeps a single hostile
/// 10⁸ m segment from taking gigabytes.
///
/// ```
/// use cim_core::DVec3;
/// use cim_core::model::geometry::densify;
/// let line = [DVec3::ZERO, DVec3::new(100.0, 0.0, 0.0)];
/// assert_eq!(densify(&line, 10.0, 1000).len(), 11);
/// let long = [DVec3::ZERO, DVec3::new(1e8, 0.0, 0.0)];
/// assert!(densify(&long, 10.0, 1000).len() <= 1000);
/// assert_eq!(densify(&line, f64::INFINITY, 1000).len(), 2);
/// ```
pub fn densify(line: &[DVec3], step: f64, max_points: usize) -> Vec<DVec3> {
    let total: f64 = line
        .windows(2)
        .map(|w| (w[1] - w[0]).truncate().length())
        .sum();
    if !(step > 0.0 && step.is_finite() && total.is_finite()) || line.len() < 2 {
        return line.to_vec();
    }
    // Points to spend on insertions; each segment rounds up once, so leave
    // one per segment for that.
    let spare = max_points.saturating_sub(2 * line.len()).max(1) as f64;
    let step = step.max(total / spare);
    let mut out = Vec::with_capacity(line.len());
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = ((b - a).truncate().length() / step).ceil().max(1.0) as usize;
        for k in 0..n {
            out.push(a.lerp(b, k as f64 / n as f64));
        }
    }
    out.extend(line.last());
    out
}

/// Signed area of a ring (positive when counter-clockwise), shoelace formula.
pub fn ring_signed_area(ring: &[DVec3]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    // Relative to the first vertex: keeps precision at Gauss-Krüger magnitudes.
    let o = ring[0];
    let mut s = 0.0;
    for i in 1..n - 1 {
        let (a, b) = (ring[i] - o, ring[i + 1] - o);
        s += a.x * b.y - b.x * a.y;
    }
    s * 0.5
}

/// An axis-aligned 3D bounding box.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bbox {
    pub min: DVec3,
    pub max: DVec3,
}

impl Bbox {
    pub const EMPTY: Bbox = Bbox {
        min: DVec3::splat(f64::INFINITY),
        max: DVec3::splat(f64::NEG_INFINITY),
    };

    pub fn is_empty(&self) -> bool {
        self.min.x > self.max.x
    }

    pub fn extend(&mut self, p: DVec3) {
        self.min = self.min.min(p);
        self.max = self.max.max(p);
    }

    pub fn union(&self, o: &Bbox) -> Bbox {
        Bbox {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }

    pub fn center(&self) -> DVec3 {
        (self.min + self.max) * 0.5
    }

    pub fn size(&self) -> DVec3 {
        self.max - self.min
    }

    /// `[minx, miny, maxx, maxy]`, the order `cim inspect` reports.
    pub fn to_xy_array(&self) -> [f64; 4] {
        [self.min.x, self.min.y, self.max.x, self.max.y]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(x0: f64, y0: f64, s: f64) -> Vec<DVec3> {
        vec![
            DVec3::new(x0, y0, 0.0),
            DVec3::new(x0 + s, y0, 0.0),
            DVec3::new(x0 + s, y0 + s, 0.0),
            DVec3::new(x0, y0 + s, 0.0),
        ]
    }

    #[test]
    fn polygon_area_and_containment_with_hole() {
        let mut p = Polygon::new(sq(38_500_000.0, 2_470_000.0, 10.0));
        p.interiors.push(sq(38_500_002.0, 2_470_002.0, 2.0));
        assert!((p.area() - 96.0).abs() < 1e-9);
        assert!(p.contains_xy(38_500_001.0, 2_470_001.0));
        assert!(!p.contains_xy(38_500_003.0, 2_470_003.0));
        assert!(!p.contains_xy(38_500_011.0, 2_470_001.0));
    }

    #[test]
    fn bbox_of_multilinestring() {
        let g = Geometry::MultiLineString(vec![sq(0.0, 0.0, 1.0), sq(5.0, -2.0, 1.0)]);
        let b = g.bbox().unwrap();
        assert_eq!(b.to_xy_array(), [0.0, -2.0, 6.0, 1.0]);
    }
}
