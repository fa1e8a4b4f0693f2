//! Picking streamed tile content: which triangle (or point) of a placed
//! tile a ray from the camera meets first, and which features it belongs
//! to.
//!
//! The viewer keeps a [`Pickable`] copy of each resident tile's geometry
//! (positions, indices, feature ids — no normals, colours or textures),
//! so a click finds a feature of a photogrammetry mesh, a BIM storey or a
//! b3dm building and its properties, at f64 precision: the ray is moved
//! into the tile's anchor frame before it meets the f32 vertices.
//! Triangles are tested with the Möller–Trumbore algorithm (T. Möller,
//! B. Trumbore, "Fast, Minimum Storage Ray/Triangle Intersection",
//! Journal of Graphics Tools 2(1), 1997), both faces hit.

use crate::lod::pick_grid::PickGrid;
use crate::lod::place_content::PlacedContent;
use crate::model::tile_content::{FeatureIds, NO_FEATURE, PropertyTable};
use crate::query::pick::{Ray, ray_box};
use glam::DVec3;

/// One mesh or point cloud of a tile, as picking needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PickMesh {
    /// Relative to [`Pickable::anchor`].
    pub positions: Vec<[f32; 3]>,
    /// A triangle list; empty for points.
    pub indices: Vec<u32>,
    pub features: Vec<FeatureIds>,
    pub points: bool,
    /// The positions' box (relative to the anchor), for a quick miss.
    pub min: DVec3,
    pub max: DVec3,
    /// The triangles by plan cell, for meshes large enough to need it.
    pub grid: Option<PickGrid>,
}

/// Meshes with fewer triangles are scanned whole.
const GRID_FROM: usize = 256;

/// A resident tile's geometry and feature properties, for picking.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pickable {
    pub anchor: DVec3,
    pub meshes: Vec<PickMesh>,
    pub tables: Vec<PropertyTable>,
    /// All meshes' box (relative to the anchor): most tiles are nowhere
    /// near a ray. (A tile's bounding volume would do, were content always
    /// inside it.)
    pub min: DVec3,
    pub max: DVec3,
}

/// Where a ray meets a tile's content.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentHit {
    /// Ray parameter: `origin + dir * t`.
    pub t: f64,
    pub point: DVec3,
    /// The mesh (index into [`Pickable::meshes`]) and the vertex whose
    /// features the hit takes (a triangle's first vertex, or the point).
    pub mesh: usize,
    pub vertex: u32,
}

/// A feature a hit belongs to: its id in one feature id set and the
/// table holding its properties.
#[derive(Clone, Debug, PartialEq)]
pub struct HitFeature {
    pub set: usize,
    pub id: u32,
    pub table: Option<u32>,
    pub label: Option<String>,
}

impl Pickable {
    /// Copies what picking needs from a placed tile (the placed arrays go
    /// on to the GPU).
    pub fn of(placed: &PlacedContent) -> Pickable {
        let meshes = placed
            .meshes
            .iter()
            .map(|m| {
                let (min, max) = bounds(&m.positions);
                let grid = (!m.points && m.indices.len() / 3 >= GRID_FROM).then(|| {
                    PickGrid::build(&m.positions, &m.indices, min.truncate(), max.truncate())
                });
                PickMesh {
                    positions: m.positions.clone(),
                    indices: m.indices.clone(),
                    features: m.features.clone(),
                    points: m.points,
                    min,
                    max,
                    grid,
                }
            })
            .collect::<Vec<PickMesh>>();
        let min = meshes.iter().fold(DVec3::INFINITY, |a, m| a.min(m.min));
        let max = meshes.iter().fold(DVec3::NEG_INFINITY, |a, m| a.max(m.max));
        Pickable {
            anchor: placed.anchor,
            meshes,
            tables: placed.tables.clone(),
            min,
            max,
        }
    }

    /// Bytes held (about).
    pub fn bytes(&self) -> usize {
        let meshes: usize = self
            .meshes
            .iter()
            .map(|m| {
                m.positions.len() * 12
                    + m.indices.len() * 4
                    + m.features.iter().map(|f| f.ids.len() * 4).sum::<usize>()
                    + m.grid.as_ref().map_or(0, PickGrid::bytes)
            })
            .sum();
        meshes + self.tables.iter().map(table_bytes).sum::<usize>()
    }

    /// The nearest hit of `ray` closer than `max_t`. Points are hit when the
    /// ray passes within `point_tolerance` × distance of them (a few
    /// pixels' worth of metres).
    pub fn pick(&self, ray: &Ray, max_t: f64, point_tolerance: f64) -> Option<ContentHit> {
        self.pick_where(ray, max_t, point_tolerance, |_, _| true)
    }

    /// [`Pickable::pick`] among the triangles and points `keep(mesh,
    /// vertex)` keeps (a triangle by its first vertex): a style's hidden
    /// features are not hit, and what is behind them is.
    pub fn pick_where(
        &self,
        ray: &Ray,
        max_t: f64,
        point_tolerance: f64,
        keep: impl Fn(usize, u32) -> bool,
    ) -> Option<ContentHit> {
        // The ray in the anchor's frame: small numbers meet small numbers.
        let local = Ray {
            origin: ray.origin - self.anchor,
            dir: ray.dir,
        };
        let points = self.meshes.iter().any(|m| m.points);
        let (min, max) = grown(
            self.min,
            self.max,
            &local,
            if points { point_tolerance } else { 0.0 },
        );
        if ray_box(&local, min, max).is_none_or(|(enter, _)| enter > max_t) {
            return None;
        }
        let mut best: Option<(f64, usize, u32)> = None;
        for (k, m) in self.meshes.iter().enumerate() {
            let reach = best.map_or(max_t, |b| b.0);
            let tolerance = if m.points { point_tolerance } else { 0.0 };
            let (min, max) = grown(m.min, m.max, &local, tolerance);
            let Some((enter, exit)) = ray_box(&local, min, max) else {
                continue;
            };
            if enter > reach {
                continue;
            }
            let keep = |v: u32| keep(k, v);
            let hit = match (&m.grid, m.points) {
                (_, true) => nearest_point(&local, &m.positions, reach, point_tolerance, &keep),
                (Some(grid), false) => {
                    nearest_in_grid(&local, m, grid, (enter, exit.min(reach)), reach, &keep)
                }
                (None, false) => nearest_triangle(&local, &m.positions, &m.indices, reach, &keep),
            };
            if let Some((t, v)) = hit {
                best = Some((t, k, v));
            }
        }
        best.map(|(t, mesh, vertex)| ContentHit {
            t,
            point: ray.at(t),
            mesh,
            vertex,
        })
    }

    /// The features of a hit, one per feature id set that gives it one.
    pub fn features_of(&self, hit: &ContentHit) -> Vec<HitFeature> {
        let Some(m) = self.meshes.get(hit.mesh) else {
            return Vec::new();
        };
        m.features
            .iter()
            .enumerate()
            .filter_map(|(set, f)| {
                let id = *f.ids.get(hit.vertex as usize)?;
                (id != NO_FEATURE).then(|| HitFeature {
                    set,
                    id,
                    table: f.table,
                    label: f.label.clone(),
                })
            })
            .collect()
    }
}

/// A box grown by what a point tolerance of `tolerance` × distance allows
/// at the box's far side: wide enough to find a point near the ray, no
/// wider.
fn grown(min: DVec3, max: DVec3, ray: &Ray, tolerance: f64) -> (DVec3, DVec3) {
    if tolerance == 0.0 {
        return (min, max);
    }
    let far = ray.origin.distance((min + max) / 2.0) + min.distance(max) / 2.0;
    let pad = DVec3::splat(tolerance * far);
    (min - pad, max + pad)
}

fn table_bytes(t: &PropertyTable) -> usize {
    t.columns
        .iter()
        .map(|(name, values)| {
            name.len()
                + values
                    .iter()
                    .map(|v| match v {
                        crate::model::attr::AttrValue::String(s) => 24 + s.len(),
                        _ => 24,
                    })
                    .sum::<usize>()
        })
        .sum()
}

fn bounds(positions: &[[f32; 3]]) -> (DVec3, DVec3) {
    let mut min = DVec3::splat(f64::INFINITY);
    let mut max = DVec3::splat(f64::NEG_INFINITY);
    for p in positions {
        let p = DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64);
        min = min.min(p);
        max = max.max(p);
    }
    (min, max)
}

fn vertex(positions: &[[f32; 3]], i: u32) -> Option<DVec3> {
    let p = positions.get(i as usize)?;
    Some(DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64))
}

/// The nearest triangle the ray meets before `reach`, among those whose
/// first vertex `keep` keeps: `(t, first vertex)`.
fn nearest_triangle(
    ray: &Ray,
    positions: &[[f32; 3]],
    indices: &[u32],
    reach: f64,
    keep: &dyn Fn(u32) -> bool,
) -> Option<(f64, u32)> {
    let mut best: Option<(f64, u32)> = None;
    for tri in indices.chunks_exact(3).filter(|tri| keep(tri[0])) {
        let (Some(a), Some(b), Some(c)) = (
            vertex(positions, tri[0]),
            vertex(positions, tri[1]),
            vertex(positions, tri[2]),
        ) else {
            continue;
        };
        if let Some(t) = ray_triangle(ray, a, b, c)
            && t < best.map_or(reach, |b| b.0)
        {
            best = Some((t, tri[0]));
        }
    }
    best
}

/// [`nearest_triangle`] over the triangles of the grid cells the ray
/// crosses between `t0` and `t1`.
fn nearest_in_grid(
    ray: &Ray,
    m: &PickMesh,
    grid: &PickGrid,
    (t0, t1): (f64, f64),
    reach: f64,
    keep: &dyn Fn(u32) -> bool,
) -> Option<(f64, u32)> {
    let mut best: Option<(f64, u32)> = None;
    grid.walk(ray, t0, t1, |t| {
        let tri = &m.indices[3 * t as usize..3 * t as usize + 3];
        let reach = best.map_or(reach, |b| b.0);
        if let Some(hit) = nearest_triangle(ray, &m.positions, tri, reach, keep) {
            best = Some(hit);
        }
        best.map_or(f64::INFINITY, |b| b.0)
    });
    best
}

/// Möller–Trumbore: the ray parameter where it meets triangle `abc`
/// (either face), if it does ahead of its origin.
///
/// ```
/// use cim_core::lod::pick_content::ray_triangle;
/// use cim_core::query::pick::Ray;
/// use glam::DVec3;
/// let down = Ray { origin: DVec3::new(0.2, 0.2, 10.0), dir: DVec3::NEG_Z };
/// let (a, b, c) = (DVec3::ZERO, DVec3::X, DVec3::Y);
/// assert_eq!(ray_triangle(&down, a, b, c), Some(10.0));
/// let beside = Ray { origin: DVec3::new(0.8, 0.8, 10.0), ..down };
/// assert_eq!(ray_triangle(&beside, a, b, c), None);
/// ```
pub fn ray_triangle(ray: &Ray, a: DVec3, b: DVec3, c: DVec3) -> Option<f64> {
    let (e1, e2) = (b - a, c - a);
    let p = ray.dir.cross(e2);
    let det = e1.dot(p);
    // Parallel to the plane (or a degenerate triangle).
    if det.abs() < 1e-12 * e1.length() * e2.length() * ray.dir.length() {
        return None;
    }
    let inv = 1.0 / det;
    let s = ray.origin - a;
    let u = s.dot(p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = s.cross(e1);
    let v = ray.dir.dot(q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = e2.dot(q) * inv;
    (t >= 0.0).then_some(t)
}

/// The nearest point within `tolerance` × its distance of the ray.
fn nearest_point(
    ray: &Ray,
    positions: &[[f32; 3]],
    reach: f64,
    tolerance: f64,
    keep: &dyn Fn(u32) -> bool,
) -> Option<(f64, u32)> {
    let len2 = ray.dir.length_squared();
    if len2 == 0.0 {
        return None;
    }
    let mut best: Option<(f64, u32)> = None;
    for (i, p) in positions.iter().enumerate() {
        let p = DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64);
        let t = (p - ray.origin).dot(ray.dir) / len2;
        if t < 0.0 || t >= best.map_or(reach, |b| b.0) || !keep(i as u32) {
            continue;
        }
        let off = (ray.at(t) - p).length();
        if off <= tolerance * t * len2.sqrt() {
            best = Some((t, i as u32));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lod::place_content::PlacedMesh;
    use crate::model::attr::AttrValue;

    /// Two unit squares side by side at a Gauss-Krüger easting, features
    /// 0 and 1, the second 5 m higher; a cloud of two points above.
    fn tile() -> Pickable {
        let anchor = DVec3::new(38_500_000.0, 2_500_000.0, 10.0);
        let square = |x: f32, z: f32| {
            [
                [x, 0.0, z],
                [x + 1.0, 0.0, z],
                [x + 1.0, 1.0, z],
                [x, 1.0, z],
            ]
        };
        let mut positions = square(0.0, 0.0).to_vec();
        positions.extend(square(1.0, 5.0));
        let placed = PlacedContent {
            anchor,
            meshes: vec![
                PlacedMesh {
                    positions,
                    indices: vec![0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7],
                    features: vec![FeatureIds {
                        ids: vec![0, 0, 0, 0, 1, 1, 1, 1],
                        table: Some(0),
                        label: None,
                    }],
                    ..PlacedMesh::default()
                },
                PlacedMesh {
                    positions: vec![[0.5, 0.5, 20.0], [3.0, 3.0, 20.0]],
                    points: true,
                    ..PlacedMesh::default()
                },
            ],
            tables: vec![PropertyTable {
                count: 2,
                columns: vec![("h".into(), vec![AttrValue::Int(0), AttrValue::Int(5)])],
                ..PropertyTable::default()
            }],
            bytes: 0,
        };
        Pickable::of(&placed)
    }

    fn down_at(p: &Pickable, x: f64, y: f64) -> Ray {
        Ray {
            origin: p.anchor + DVec3::new(x, y, 30.0),
            dir: DVec3::new(0.0, 0.0, -2.0),
        }
    }

    #[test]
    fn a_ray_finds_the_feature_under_it_at_full_precision() {
        let p = tile();
        let hit = p.pick(&down_at(&p, 1.5, 0.5), 1e9, 0.0).unwrap();
        assert!((hit.point.z - (p.anchor.z + 5.0)).abs() < 1e-9);
        assert_eq!(hit.point.x, p.anchor.x + 1.5, "exact in f64");
        let f = p.features_of(&hit);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].id, f[0].table), (1, Some(0)));
        assert_eq!(
            p.tables[0].row(f[0].id as usize),
            vec![("h", &AttrValue::Int(5))]
        );
        let hit = p.pick(&down_at(&p, 0.5, 0.9), 1e9, 0.0).unwrap();
        assert_eq!(p.features_of(&hit)[0].id, 0);
    }

    #[test]
    fn rays_that_miss_or_stop_short_find_nothing() {
        let p = tile();
        assert_eq!(p.pick(&down_at(&p, 2.5, 0.5), 1e9, 0.0), None, "beside");
        // Reaching only 10 m (20 m of travel at |dir| = 2) of 25 needed.
        assert_eq!(p.pick(&down_at(&p, 1.5, 0.5), 5.0, 0.0), None);
        let up = Ray {
            dir: DVec3::Z,
            ..down_at(&p, 1.5, 0.5)
        };
        assert_eq!(p.pick(&up, 1e9, 0.0), None, "behind the origin");
    }

    /// What `keep` leaves out (a style's hidden features) is not hit, and
    /// what lies behind it is.
    #[test]
    fn left_out_features_are_seen_through() {
        let p = tile();
        let above_square = down_at(&p, 0.5, 0.5);
        let first = p.pick(&above_square, 1e9, 0.01).unwrap();
        assert_eq!((first.mesh, first.vertex), (1, 0), "the point above");
        let no_points = p.pick_where(&above_square, 1e9, 0.01, |mesh, _| mesh != 1);
        let hit = no_points.expect("the square under the point");
        assert_eq!(p.features_of(&hit)[0].id, 0);
        let feature = |mesh: usize, v: u32| {
            p.meshes[mesh]
                .features
                .first()?
                .ids
                .get(v as usize)
                .copied()
        };
        let not_1 = |mesh, v| feature(mesh, v) != Some(1);
        assert_eq!(p.pick_where(&down_at(&p, 1.5, 0.5), 1e9, 0.0, not_1), None);
    }

    #[test]
    fn points_are_hit_within_the_tolerance() {
        let p = tile();
        let near = down_at(&p, 3.05, 3.0);
        let hit = p.pick(&near, 1e9, 0.01).unwrap();
        assert_eq!((hit.mesh, hit.vertex), (1, 1));
        assert!(p.features_of(&hit).is_empty(), "points without features");
        assert_eq!(p.pick(&near, 1e9, 0.001), None, "too far off for 1 mm/m");
    }

    /// The grid finds what scanning every triangle finds: a 40 × 40 cell
    /// height field with walls standing on it, rays from every side
    /// (steep, grazing, vertical, horizontal).
    #[test]
    fn the_grid_walk_agrees_with_a_scan_of_every_triangle() {
        let n = 41;
        let mut positions: Vec<[f32; 3]> = (0..n * n)
            .map(|k| {
                let (i, j) = ((k % n) as f32, (k / n) as f32);
                [i, j, (i * 0.4).sin() * 2.0 + (j * 0.3).cos()]
            })
            .collect();
        let mut indices = Vec::new();
        for j in 0..n - 1 {
            for i in 0..n - 1 {
                let a = (j * n + i) as u32;
                let n = n as u32;
                indices.extend([a, a + 1, a + n + 1, a, a + n + 1, a + n]);
            }
        }
        // Walls: vertical quads along x = 10 and y = 25.
        for (a, b) in [([10.0, 2.0], [10.0, 30.0]), ([5.0, 25.0], [35.0, 25.0])] {
            let k = positions.len() as u32;
            positions.extend([
                [a[0], a[1], -5.0],
                [b[0], b[1], -5.0],
                [b[0], b[1], 15.0],
                [a[0], a[1], 15.0],
            ]);
            indices.extend([k, k + 1, k + 2, k, k + 2, k + 3]);
        }
        let placed = PlacedContent {
            meshes: vec![PlacedMesh {
                positions,
                indices,
                ..PlacedMesh::default()
            }],
            ..PlacedContent::default()
        };
        let p = Pickable::of(&placed);
        assert!(p.meshes[0].grid.is_some());
        let m = &p.meshes[0];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 10_000) as f64 / 10_000.0
        };
        let mut hits = 0;
        for k in 0..3000 {
            // (Not exactly on the mesh box's faces: a ray lying in one is a
            // degenerate case of the box test, grid or not.)
            let origin = DVec3::new(
                rnd() * 60.0 - 10.0,
                rnd() * 60.0 - 10.0,
                rnd() * 40.0 - 4.95,
            );
            let dir = match k % 4 {
                0 => DVec3::new(0.0, 0.0, -1.0),
                1 => DVec3::new(rnd() - 0.5, rnd() - 0.5, 0.0),
                _ => DVec3::new(rnd() - 0.5, rnd() - 0.5, rnd() - 0.7),
            };
            if dir.length() < 1e-3 {
                continue;
            }
            let ray = Ray { origin, dir };
            let scan =
                nearest_triangle(&ray, &m.positions, &m.indices, 1e9, &|_| true).map(|h| h.0);
            let walked = p.pick(&ray, 1e9, 0.0).map(|h| h.t);
            match (scan, walked) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "ray {k}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b, "ray {k}: {ray:?}"),
            }
            hits += scan.is_some() as usize;
        }
        assert!(hits > 500, "{hits} rays hit");
    }
}
