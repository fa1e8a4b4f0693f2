//! Picking: which feature, and which point, a ray from the camera hits.
//!
//! Works on the model in f64 rather than on GPU meshes, so that merged
//! render meshes keep per-feature identity and hit points are exact at
//! Gauss-Krüger magnitudes. Buildings are footprint prisms; terrain is a
//! height field ray-marched and refined by bisection.

use crate::model::geometry::{Geometry, Polygon};
use crate::model::grid::Grid;
use crate::model::layer::{FeatureId, VectorData};
use glam::DVec3;

/// A ray in scene CRS (x east, y north, z up); `dir` need not be unit length.
#[derive(Clone, Copy, Debug)]
pub struct Ray {
    pub origin: DVec3,
    pub dir: DVec3,
}

impl Ray {
    pub fn at(&self, t: f64) -> DVec3 {
        self.origin + self.dir * t
    }
}

/// The nearest hit of a ray.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Ray parameter: `origin + dir * t`.
    pub t: f64,
    pub point: DVec3,
    /// The feature hit, when the target was a feature layer.
    pub feature: Option<FeatureId>,
}

/// Slab test: the ray's entry/exit parameters in an axis-aligned box
/// (entry clamped to the ray's origin), if it meets the box ahead.
pub fn ray_box(ray: &Ray, min: DVec3, max: DVec3) -> Option<(f64, f64)> {
    let inv = ray.dir.recip();
    let t0 = (min - ray.origin) * inv;
    let t1 = (max - ray.origin) * inv;
    let tmin = t0.min(t1);
    let tmax = t0.max(t1);
    // NaN (ray parallel to a slab and on its plane) is treated as a miss by max/min.
    let enter = tmin.x.max(tmin.y).max(tmin.z).max(0.0);
    let exit = tmax.x.min(tmax.y).min(tmax.z);
    (enter <= exit).then_some((enter, exit))
}

/// Nearest intersection of a ray with a vertical prism: `footprint`
/// extruded from `base` to `top` (heights in metres).
pub fn ray_prism(ray: &Ray, footprint: &Polygon, base: f64, top: f64) -> Option<f64> {
    let mut best: Option<f64> = None;
    let mut consider = |t: f64| {
        if t >= 0.0 && best.is_none_or(|b| t < b) {
            best = Some(t);
        }
    };
    // Roof and floor caps.
    if ray.dir.z.abs() > 1e-12 {
        for z in [top, base] {
            let t = (z - ray.origin.z) / ray.dir.z;
            let p = ray.at(t);
            if footprint.contains_xy(p.x, p.y) {
                consider(t);
            }
        }
    }
    // Walls: each edge of each ring is a vertical quad.
    let rings = std::iter::once(&footprint.exterior).chain(footprint.interiors.iter());
    for ring in rings {
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let e = b - a;
            // Solve origin.xy + dir.xy t = a.xy + e.xy s (2D line intersection).
            let denom = ray.dir.x * e.y - ray.dir.y * e.x;
            if denom.abs() < 1e-12 {
                continue;
            }
            let w = a - ray.origin;
            let t = (w.x * e.y - w.y * e.x) / denom;
            let s = (w.x * ray.dir.y - w.y * ray.dir.x) / denom;
            if (0.0..=1.0).contains(&s) {
                let z = ray.origin.z + ray.dir.z * t;
                if z >= base && z <= top {
                    consider(t);
                }
            }
        }
    }
    best
}

/// Picks the nearest extruded building. `height_of` gives each feature's
/// (base, top) heights, or `None` to skip it.
pub fn pick_buildings(
    ray: &Ray,
    data: &VectorData,
    height_of: impl FnMut(usize) -> Option<(f64, f64)>,
) -> Option<Hit> {
    pick_buildings_among(ray, data, 0..data.features.len(), height_of)
}

/// [`pick_buildings`] over a candidate subset of feature indices (from a
/// spatial index, so a million footprints cost a few box tests).
pub fn pick_buildings_among(
    ray: &Ray,
    data: &VectorData,
    candidates: impl IntoIterator<Item = usize>,
    mut height_of: impl FnMut(usize) -> Option<(f64, f64)>,
) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    for i in candidates {
        let Some(f) = data.features.get(i) else {
            continue;
        };
        let Some((base, top)) = height_of(i) else {
            continue;
        };
        let Some(bb) = f.geometry.bbox() else {
            continue;
        };
        let (min, max) = (
            DVec3::new(bb.min.x, bb.min.y, base),
            DVec3::new(bb.max.x, bb.max.y, top),
        );
        let Some((enter, _)) = ray_box(ray, min, max) else {
            continue;
        };
        if best.is_some_and(|b| enter > b.t) {
            continue;
        }
        let polys: &[Polygon] = match &f.geometry {
            Geometry::Polygon(p) => std::slice::from_ref(p),
            Geometry::MultiPolygon(ps) => ps,
            _ => continue,
        };
        for p in polys {
            if let Some(t) = ray_prism(ray, p, base, top)
                && best.is_none_or(|b| t < b.t)
            {
                best = Some(Hit {
                    t,
                    point: ray.at(t),
                    feature: Some(f.id),
                });
            }
        }
    }
    best
}

/// Intersects a ray with a height field: marches in half-cell steps inside
/// the grid's bounds, then bisects the first crossing to 1 mm.
pub fn pick_terrain(ray: &Ray, grid: &Grid) -> Option<Hit> {
    pick_terrain_within(ray, grid, grid.min_max()?)
}

/// [`pick_terrain`] with the grid's height range already known: the range
/// costs a scan of every cell, too much to repeat for each pick.
pub fn pick_terrain_within(ray: &Ray, grid: &Grid, (lo, hi): (f32, f32)) -> Option<Hit> {
    let (x1, y0) = (
        grid.x0 + grid.width as f64 * grid.dx,
        grid.y0 - grid.height as f64 * grid.dy,
    );
    let (enter, exit) = ray_box(
        ray,
        DVec3::new(grid.x0, y0, lo as f64 - 1.0),
        DVec3::new(x1, grid.y0, hi as f64 + 1.0),
    )?;
    let len = ray.dir.length();
    let step = 0.5 * grid.dx.min(grid.dy) / len;
    let above = |t: f64| {
        let p = ray.at(t);
        grid.sample(p.x, p.y).map(|h| p.z - h)
    };
    let mut t0 = enter;
    let mut d0 = above(t0);
    let mut t = enter;
    while t < exit {
        t = (t + step).min(exit);
        let d = above(t);
        if let (Some(a), Some(b)) = (d0, d)
            && a >= 0.0
            && b < 0.0
        {
            let (mut lo_t, mut hi_t) = (t0, t);
            while (hi_t - lo_t) * len > 1e-3 {
                let mid = 0.5 * (lo_t + hi_t);
                match above(mid) {
                    Some(m) if m >= 0.0 => lo_t = mid,
                    _ => hi_t = mid,
                }
            }
            return Some(Hit {
                t: hi_t,
                point: ray.at(hi_t),
                feature: None,
            });
        }
        t0 = t;
        d0 = d;
        if t >= exit {
            break;
        }
    }
    None
}

/// The point feature a ray passes nearest in angle, within `angle`
/// radians of it and no farther along it than `max_t`: what a click on a
/// point symbol drawn at a constant pixel size means (its points may stand
/// at any height — network nodes at their elevation, sensors on roofs —
/// so the ground under the cursor says nothing).
///
/// Candidates come from the plan index along the ray's plan path: the ray
/// is walked in steps as long as the cone around it is wide there (so
/// `ln(max_t / 1 m) / angle` steps at most), and at each the boxes within
/// that width plus half a step of its plan position are tested in 3D, each
/// point where `place` puts it (a point without a height is drawn on the
/// ground).
///
/// ```
/// use cim_core::model::geometry::Geometry;
/// use cim_core::model::layer::{Feature, FeatureId, VectorData};
/// use cim_core::query::index::SpatialIndex;
/// use cim_core::query::pick::{Ray, pick_point};
/// use glam::DVec3;
/// // A node 80 m up, 100 m north of a camera at 200 m looking at it.
/// let data = VectorData {
///     fields: vec![],
///     features: vec![Feature {
///         id: FeatureId(4),
///         geometry: Geometry::Point(DVec3::new(0.0, 100.0, 80.0)),
///         attributes: vec![],
///     }],
/// };
/// let ix = SpatialIndex::build(&data);
/// let ray = Ray { origin: DVec3::new(0.0, 0.0, 200.0), dir: DVec3::new(0.0, 100.0, -120.0) };
/// let hit = pick_point(&data, &ix, &ray, 10.0, 0.01, |_| true, |p| p).unwrap();
/// assert_eq!(hit.feature, Some(FeatureId(4)));
/// // Its plan position is 167 m short of where the ray meets the ground.
/// assert!((ray.at(200.0 / 120.0).y - 166.7).abs() < 0.1);
/// ```
pub fn pick_point(
    data: &VectorData,
    index: &crate::query::index::SpatialIndex,
    ray: &Ray,
    max_t: f64,
    angle: f64,
    keep: impl Fn(usize) -> bool,
    place: impl Fn(DVec3) -> DVec3,
) -> Option<Hit> {
    let len = ray.dir.length();
    if !(len > 0.0 && len.is_finite() && angle > 0.0) {
        return None;
    }
    let dir = ray.dir / len;
    let far = max_t * len;
    // Best so far: (angle off the ray, distance along it, feature, point).
    let mut best: Option<(f64, f64, usize, DVec3)> = None;
    let mut test = |i: usize, p: DVec3| {
        let v = p - ray.origin;
        let along = v.dot(dir);
        if along <= 0.0 || along > far {
            return;
        }
        // Angles equal to a micro-radian are equal: the nearer point,
        // drawn in front, wins.
        let off = ((v - dir * along).length() / along * 1e6).round() / 1e6;
        if off <= angle && best.is_none_or(|b| (off, along) < (b.0, b.1)) {
            best = Some((off, along, i, p));
        }
    };
    let mut t = 1.0f64.min(far);
    for _ in 0..100_000 {
        let step = (angle * t).max(0.05);
        let reach = angle * t + step;
        let c = (ray.origin + dir * t).truncate();
        let r = glam::DVec2::splat(reach);
        for i in index.bbox_candidates(c - r, c + r) {
            if keep(i) {
                data.features[i]
                    .geometry
                    .for_each_point(|p| test(i, place(p)));
            }
        }
        if t >= far {
            break;
        }
        t = (t + step).min(far);
    }
    let (_, along, i, point) = best?;
    Some(Hit {
        t: along / len,
        point,
        feature: Some(data.features[i].id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(at: &[DVec3]) -> VectorData {
        use crate::model::layer::Feature;
        VectorData {
            fields: vec![],
            features: at
                .iter()
                .enumerate()
                .map(|(i, p)| Feature {
                    id: FeatureId(i as u64),
                    geometry: Geometry::Point(*p),
                    attributes: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn the_point_nearest_the_ray_in_angle_is_picked_in_front_and_in_reach() {
        let data = points(&[
            DVec3::new(0.5, 50.0, 50.0),   // 0: beside the ray, 50 m on
            DVec3::new(0.0, 100.0, 100.0), // 1: on it, 141 m on
            DVec3::new(0.0, -10.0, -10.0), // 2: behind the camera
            DVec3::new(0.0, 300.0, 300.0), // 3: on it, beyond reach
        ]);
        let ix = crate::query::index::SpatialIndex::build(&data);
        let ray = Ray {
            origin: DVec3::ZERO,
            dir: DVec3::new(0.0, 2.0, 2.0),
        };
        let pick = |keep: &dyn Fn(usize) -> bool| {
            pick_point(&data, &ix, &ray, 100.0, 0.02, keep, |p| p).and_then(|h| h.feature)
        };
        assert_eq!(
            pick(&|_| true),
            Some(FeatureId(1)),
            "on the ray beats beside it"
        );
        assert_eq!(
            pick(&|i| i != 1),
            Some(FeatureId(0)),
            "0.5 m at 71 m: 0.007 rad"
        );
        assert_eq!(pick(&|i| i >= 2), None, "behind, or farther than max_t");
        let hit = pick_point(&data, &ix, &ray, 100.0, 0.02, |_| true, |p| p).unwrap();
        assert!(
            (ray.at(hit.t) - hit.point).length() < 1e-9,
            "t is in the ray's units"
        );
    }

    #[test]
    fn a_grazing_ray_finds_a_point_far_along_it() {
        // A 10 × 10 km field of points every 100 m at 2 m height, a ray
        // from 5 m up sloping down by 1 in 1000 along y = 50.
        let field: Vec<DVec3> = (0..10_000)
            .map(|k| DVec3::new((k % 100) as f64 * 100.0, (k / 100) as f64 * 100.0, 2.0))
            .collect();
        let data = points(&field);
        let ix = crate::query::index::SpatialIndex::build(&data);
        let ray = Ray {
            origin: DVec3::new(0.0, 5000.0, 5.0),
            dir: DVec3::new(1.0, 0.0, -0.001),
        };
        let hit = pick_point(&data, &ix, &ray, 20_000.0, 0.002, |_| true, |p| p).unwrap();
        // It passes 2 m up at x = 3000, where the point (3000, 5000, 2) is.
        assert_eq!(hit.point, DVec3::new(3000.0, 5000.0, 2.0));
    }
    use crate::model::attr::{AttrType, AttrValue, Field};
    use crate::model::layer::Feature;

    #[test]
    fn prism_hits_roof_from_above_and_wall_from_the_side() {
        let p = Polygon::square(38_500_000.0, 2_470_000.0, 20.0);
        let down = Ray {
            origin: DVec3::new(38_500_010.0, 2_470_010.0, 500.0),
            dir: DVec3::new(0.0, 0.0, -1.0),
        };
        assert!((ray_prism(&down, &p, 5.0, 35.0).unwrap() - 465.0).abs() < 1e-9);
        let side = Ray {
            origin: DVec3::new(38_499_900.0, 2_470_010.0, 20.0),
            dir: DVec3::new(1.0, 0.0, 0.0),
        };
        assert!((ray_prism(&side, &p, 5.0, 35.0).unwrap() - 100.0).abs() < 1e-9);
        let over = Ray {
            origin: DVec3::new(38_499_900.0, 2_470_010.0, 40.0),
            dir: DVec3::new(1.0, 0.0, 0.0),
        };
        assert!(ray_prism(&over, &p, 5.0, 35.0).is_none());
    }

    #[test]
    fn nearest_building_wins() {
        let data = VectorData {
            fields: vec![Field::new("h", AttrType::Float)],
            features: (0..3)
                .map(|i| Feature {
                    id: FeatureId(10 + i),
                    geometry: Geometry::Polygon(Polygon::square(i as f64 * 50.0, 0.0, 20.0)),
                    attributes: vec![AttrValue::Float(30.0)],
                })
                .collect(),
        };
        let ray = Ray {
            origin: DVec3::new(200.0, 10.0, 10.0),
            dir: DVec3::new(-1.0, 0.0, 0.0),
        };
        let hit = pick_buildings(&ray, &data, |_| Some((0.0, 30.0))).unwrap();
        assert_eq!(hit.feature, Some(FeatureId(12)));
        assert!((hit.point.x - 120.0).abs() < 1e-9);
    }

    #[test]
    fn terrain_hit_is_on_the_surface() {
        let mut g = Grid::new(50, 50, 0.0, 500.0, 10.0, 10.0);
        for r in 0..50 {
            for c in 0..50 {
                let (x, _) = g.cell_center(c, r);
                g.set(c, r, (0.1 * x) as f32);
            }
        }
        let ray = Ray {
            origin: DVec3::new(100.0, 250.0, 200.0),
            dir: DVec3::new(1.0, 0.0, -1.0),
        };
        let hit = pick_terrain(&ray, &g).unwrap();
        let h = g.sample(hit.point.x, hit.point.y).unwrap();
        assert!((hit.point.z - h).abs() < 0.01, "{} vs {h}", hit.point.z);
        // Analytic: 200 - s = 0.1 (100 + s) → s = 190/1.1.
        assert!((hit.point.x - (100.0 + 190.0 / 1.1)).abs() < 0.01);
        // With the range known beforehand: the same hit, no scan.
        let within = pick_terrain_within(&ray, &g, g.min_max().unwrap()).unwrap();
        assert_eq!(within.point, hit.point);
    }
}
