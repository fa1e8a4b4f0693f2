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

#[cfg(test)]
mod tests {
    use super::*;
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
