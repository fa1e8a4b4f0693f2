//! Planning edits of a streamed tileset, applied to each tile as it is
//! placed: **clip** — hide the model inside a polygon (make room for a
//! proposed building) — and **flatten** (压平) — lower it to a height
//! inside a polygon (an oblique-photography mesh flattened where a site is
//! cleared, or where a BIM model stands in for it).
//!
//! Triangles that cross a region's edge are cut along it, so the edge is
//! sharp whatever the size of the mesh's triangles: each polygon is
//! triangulated (earcut), and a triangle is split by each region triangle's
//! three half-planes (Sutherland–Hodgman clipping of convex pieces: I. E.
//! Sutherland, G. W. Hodgman, "Reentrant Polygon Clipping", CACM 17(1),
//! 1974), its attributes interpolated barycentrically. A vertex is lowered
//! when it lies inside or on a flatten polygon; that rule depends on the
//! vertex's position only, so pieces on both sides of an edge meet without
//! a crack.

use crate::lod::place_content::{PlacedContent, PlacedMesh, smooth_normals};
use crate::model::geometry::Polygon;
use crate::model::tile_content::NO_FEATURE;
use glam::{DVec2, DVec3};

/// The edits of one tileset, in scene coordinates (polygons' z ignored).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileEdits {
    /// Nothing is drawn inside these.
    pub clip: Vec<Polygon>,
    /// Inside these, nothing is drawn above the height (scene-CRS z).
    pub flatten: Vec<(Polygon, f64)>,
}

/// What covers a piece of a triangle. (How low a flattened piece goes is
/// decided vertex by vertex, by position.)
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cover {
    Hidden,
    Flat,
}

/// One triangle of a region's polygon, counter-clockwise, relative to a
/// tile's anchor.
struct RegionTri {
    corners: [DVec2; 3],
    min: DVec2,
    max: DVec2,
    cover: Cover,
}

/// A convex piece of a mesh triangle: its corners in the triangle's
/// barycentric coordinates, and in the plane.
#[derive(Clone, Debug)]
struct Piece {
    bary: Vec<DVec3>,
    xy: Vec<DVec2>,
    cover: Option<Cover>,
}

/// Pieces smaller than this share of their triangle are dropped: slivers
/// of a cut along an edge the triangle merely touches. (Measured in the
/// triangle's own coordinates, so a wall — nothing in plan — keeps its
/// pieces.)
const SLIVER: f64 = 1e-9;
/// How close to a flatten polygon a vertex is taken as on it (m): the f32
/// step of vertices a few kilometres from their anchor is below this.
const ON_EDGE_M: f64 = 1e-3;

impl TileEdits {
    pub fn is_empty(&self) -> bool {
        self.clip.is_empty() && self.flatten.is_empty()
    }

    /// Applies the edits to a placed tile: triangles are cut along the
    /// regions' edges, hidden pieces dropped, flattened vertices lowered,
    /// normals worked out again; points inside a clip region are dropped
    /// and inside a flatten region lowered.
    pub fn apply(&self, placed: &mut PlacedContent) {
        if self.is_empty() {
            return;
        }
        // A flatten height above the whole tile changes nothing in it.
        let top = placed
            .meshes
            .iter()
            .flat_map(|m| m.positions.iter())
            .fold(f64::NEG_INFINITY, |t, p| t.max(p[2] as f64));
        let regions = self.regions(placed.anchor, top);
        let flats: Vec<(&Polygon, f64)> = self
            .flatten
            .iter()
            .map(|(p, h)| (p, h - placed.anchor.z))
            .collect();
        let flats: Vec<(&Polygon, f64, crate::model::geometry::Bbox)> = flats
            .into_iter()
            .filter_map(|(p, h)| {
                let mut bb = crate::model::geometry::Bbox::EMPTY;
                p.points().for_each(|q| bb.extend(q));
                (!bb.is_empty()).then_some((p, h, bb))
            })
            .collect();
        let lower = |p: &mut [f32; 3]| {
            let at = placed.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0);
            for (poly, h, bb) in &flats {
                let near = at.x >= bb.min.x - ON_EDGE_M
                    && at.x <= bb.max.x + ON_EDGE_M
                    && at.y >= bb.min.y - ON_EDGE_M
                    && at.y <= bb.max.y + ON_EDGE_M;
                if (p[2] as f64) > *h && near && inside_or_on(poly, at) {
                    p[2] = *h as f32;
                }
            }
        };
        for m in &mut placed.meshes {
            if m.points {
                keep_points(m, |p| {
                    let at = placed.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0);
                    !self.clip.iter().any(|c| c.contains_xy(at.x, at.y))
                });
                m.positions.iter_mut().for_each(&lower);
            } else {
                cut_mesh(m, &regions);
                m.positions.iter_mut().for_each(&lower);
                m.normals = smooth_normals(&m.positions, &m.indices);
            }
        }
        placed.measure();
    }

    /// Every region's triangles around `anchor`, flatten regions below
    /// `top` (anchor-relative) first: a clip region cuts through a
    /// flattened piece.
    fn regions(&self, anchor: DVec3, top: f64) -> Vec<RegionTri> {
        let flat = self
            .flatten
            .iter()
            .filter(|(_, h)| h - anchor.z < top)
            .map(|(p, _)| (p, Cover::Flat));
        let clip = self.clip.iter().map(|p| (p, Cover::Hidden));
        let mut out = Vec::new();
        for (poly, cover) in flat.chain(clip) {
            let pts: Vec<DVec2> = poly.points().map(|p| (p - anchor).truncate()).collect();
            for t in poly.triangulate().chunks_exact(3) {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| pts[i]);
                // Counter-clockwise, so "inside" is left of every edge.
                let corners = if (b - a).perp_dot(c - a) >= 0.0 {
                    [a, b, c]
                } else {
                    [a, c, b]
                };
                out.push(RegionTri {
                    min: a.min(b).min(c),
                    max: a.max(b).max(c),
                    corners,
                    cover,
                });
            }
        }
        out
    }
}

/// Whether `p` is inside `poly`, or within [`ON_EDGE_M`] of its boundary.
fn inside_or_on(poly: &Polygon, p: DVec3) -> bool {
    if poly.contains_xy(p.x, p.y) {
        return true;
    }
    let q = p.truncate();
    std::iter::once(&poly.exterior)
        .chain(&poly.interiors)
        .any(|ring| {
            (0..ring.len()).any(|i| {
                let (a, b) = (ring[i].truncate(), ring[(i + 1) % ring.len()].truncate());
                segment_distance(q, a, b) <= ON_EDGE_M
            })
        })
}

fn segment_distance(p: DVec2, a: DVec2, b: DVec2) -> f64 {
    let ab = b - a;
    let t = if ab.length_squared() > 0.0 {
        ((p - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.distance(a + ab * t)
}

/// Keeps the points `keep` accepts, with their attributes.
fn keep_points(m: &mut PlacedMesh, keep: impl Fn(&[f32; 3]) -> bool) {
    let kept: Vec<usize> = (0..m.positions.len())
        .filter(|&i| keep(&m.positions[i]))
        .collect();
    if kept.len() == m.positions.len() {
        return;
    }
    fn pick<T: Copy>(v: &[T], kept: &[usize]) -> Vec<T> {
        if v.is_empty() {
            return Vec::new();
        }
        kept.iter().filter_map(|&i| v.get(i).copied()).collect()
    }
    m.positions = pick(&m.positions, &kept);
    m.colors = pick(&m.colors, &kept);
    m.normals = pick(&m.normals, &kept);
    for f in &mut m.features {
        f.ids = pick(&f.ids, &kept);
    }
}

/// Cuts the mesh's triangles along the regions: triangles clear of every
/// region keep their vertices; the others are replaced by their pieces
/// (hidden ones dropped), on new vertices.
fn cut_mesh(m: &mut PlacedMesh, regions: &[RegionTri]) {
    let old = std::mem::take(&mut m.indices);
    let mut indices = Vec::with_capacity(old.len());
    for tri in old.chunks_exact(3) {
        let [a, b, c] = [tri[0], tri[1], tri[2]];
        let corner = |i: u32| {
            let p = m.positions[i as usize];
            DVec2::new(p[0] as f64, p[1] as f64)
        };
        let xy = [corner(a), corner(b), corner(c)];
        let (min, max) = (xy[0].min(xy[1]).min(xy[2]), xy[0].max(xy[1]).max(xy[2]));
        let near: Vec<&RegionTri> = regions
            .iter()
            .filter(|r| r.min.cmple(max).all() && min.cmple(r.max).all())
            .collect();
        if near.is_empty() {
            indices.extend_from_slice(tri);
            continue;
        }
        for piece in pieces(xy, &near) {
            if piece.cover == Some(Cover::Hidden) {
                continue;
            }
            let first = m.positions.len() as u32;
            for bary in &piece.bary {
                push_vertex(m, [a, b, c], *bary);
            }
            // A convex piece: a fan from its first corner.
            for k in 1..piece.bary.len() as u32 - 1 {
                indices.extend_from_slice(&[first, first + k, first + k + 1]);
            }
        }
    }
    m.indices = indices;
}

/// A mesh triangle (corners `xy`) cut by the region triangles near it.
fn pieces(xy: [DVec2; 3], near: &[&RegionTri]) -> Vec<Piece> {
    let mut pieces = vec![Piece {
        bary: vec![DVec3::X, DVec3::Y, DVec3::Z],
        xy: xy.to_vec(),
        cover: None,
    }];
    for r in near {
        let mut next = Vec::with_capacity(pieces.len() + 3);
        for p in pieces {
            if p.cover == Some(Cover::Hidden) || !overlaps(&p, r) {
                next.push(p);
                continue;
            }
            // Outside each edge in turn; what is left is inside all three.
            let mut rest = p;
            for k in 0..3 {
                let (e0, e1) = (r.corners[k], r.corners[(k + 1) % 3]);
                let (inside, outside) = split(&rest, e0, e1);
                next.extend(outside);
                let Some(inside) = inside else {
                    rest = Piece {
                        bary: Vec::new(),
                        xy: Vec::new(),
                        cover: None,
                    };
                    break;
                };
                rest = inside;
            }
            if rest.bary.len() >= 3 {
                rest.cover = Some(combine(rest.cover, r.cover));
                next.push(rest);
            }
        }
        pieces = next;
    }
    pieces
}

/// What covers a piece inside two regions: hidden wins.
fn combine(old: Option<Cover>, new: Cover) -> Cover {
    match (old, new) {
        (Some(Cover::Hidden), _) | (_, Cover::Hidden) => Cover::Hidden,
        _ => Cover::Flat,
    }
}

fn overlaps(p: &Piece, r: &RegionTri) -> bool {
    let min = p.xy.iter().fold(DVec2::INFINITY, |a, b| a.min(*b));
    let max = p.xy.iter().fold(DVec2::NEG_INFINITY, |a, b| a.max(*b));
    r.min.cmple(max).all() && min.cmple(r.max).all()
}

/// Splits a convex piece by the line through `e0` → `e1` into the part on
/// its left (inside a counter-clockwise region) and the part on its right,
/// each `None` when empty (or a sliver).
fn split(p: &Piece, e0: DVec2, e1: DVec2) -> (Option<Piece>, Option<Piece>) {
    let side = |q: DVec2| (e1 - e0).perp_dot(q - e0);
    let d: Vec<f64> = p.xy.iter().map(|q| side(*q)).collect();
    let mut left = (Vec::new(), Vec::new());
    let mut right = (Vec::new(), Vec::new());
    let n = p.xy.len();
    for i in 0..n {
        let j = (i + 1) % n;
        if d[i] >= 0.0 {
            left.0.push(p.bary[i]);
            left.1.push(p.xy[i]);
        }
        if d[i] <= 0.0 {
            right.0.push(p.bary[i]);
            right.1.push(p.xy[i]);
        }
        if (d[i] > 0.0 && d[j] < 0.0) || (d[i] < 0.0 && d[j] > 0.0) {
            // Where the edge crosses the line: from the end with the larger
            // coordinates, so both triangles sharing a mesh edge cut it at
            // the same point.
            let (s, t) = if (p.xy[i].x, p.xy[i].y) < (p.xy[j].x, p.xy[j].y) {
                (j, i)
            } else {
                (i, j)
            };
            let f = d[s] / (d[s] - d[t]);
            let bary = p.bary[s] + (p.bary[t] - p.bary[s]) * f;
            let xy = p.xy[s] + (p.xy[t] - p.xy[s]) * f;
            left.0.push(bary);
            left.1.push(xy);
            right.0.push(bary);
            right.1.push(xy);
        }
    }
    let piece = |(bary, xy): (Vec<DVec3>, Vec<DVec2>)| {
        (bary.len() >= 3 && share(&bary) > SLIVER).then_some(Piece {
            bary,
            xy,
            cover: p.cover,
        })
    };
    (piece(left), piece(right))
}

/// A piece's share of its triangle's area, from its barycentric corners
/// (the triangle is (1,0,0), (0,1,0), (0,0,1): half a unit square in the
/// last two coordinates).
fn share(bary: &[DVec3]) -> f64 {
    let n = bary.len();
    let uv = |i: usize| DVec2::new(bary[i].y, bary[i].z);
    (0..n)
        .map(|i| uv(i).perp_dot(uv((i + 1) % n)))
        .sum::<f64>()
        .abs()
}

/// Appends the vertex at barycentric `w` of triangle `tri`, every
/// attribute interpolated (feature ids from the nearest corner).
fn push_vertex(m: &mut PlacedMesh, tri: [u32; 3], w: DVec3) {
    let w = [w.x, w.y, w.z];
    // Summed in f64 and rounded once, so a cut point does not depend on
    // the order of the corners.
    let mix3 = |v: &[[f32; 3]]| {
        let mut out = [0.0f64; 3];
        for (k, &i) in tri.iter().enumerate() {
            for (o, x) in out.iter_mut().zip(v[i as usize]) {
                *o += w[k] * x as f64;
            }
        }
        out.map(|x| x as f32)
    };
    m.positions.push(mix3(&m.positions));
    if !m.uvs.is_empty() {
        let mut uv = [0.0f64; 2];
        for (k, &i) in tri.iter().enumerate() {
            for (o, x) in uv.iter_mut().zip(m.uvs[i as usize]) {
                *o += w[k] * x as f64;
            }
        }
        m.uvs.push(uv.map(|x| x as f32));
    }
    if !m.colors.is_empty() {
        let mut c = [0.0f64; 4];
        for (k, &i) in tri.iter().enumerate() {
            for (o, x) in c.iter_mut().zip(m.colors[i as usize]) {
                *o += w[k] * x as f64;
            }
        }
        m.colors.push(c.map(|x| x.round().clamp(0.0, 255.0) as u8));
    }
    let nearest = tri[(0..3).fold(0, |b, k| if w[k] > w[b] { k } else { b })];
    for f in &mut m.features {
        let id = f.ids.get(nearest as usize).copied().unwrap_or(NO_FEATURE);
        f.ids.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tile_content::FeatureIds;

    /// A 10 m square of two triangles at z = 20 (one feature each), anchor
    /// at a Gauss-Krüger easting.
    fn tile() -> PlacedContent {
        PlacedContent {
            anchor: DVec3::new(38_500_000.0, 2_500_000.0, 0.0),
            meshes: vec![PlacedMesh {
                positions: vec![
                    [0.0, 0.0, 20.0],
                    [10.0, 0.0, 20.0],
                    [10.0, 10.0, 20.0],
                    [0.0, 10.0, 20.0],
                ],
                uvs: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
                indices: vec![0, 1, 2, 0, 2, 3],
                features: vec![FeatureIds {
                    ids: vec![7, 7, 7, 7],
                    ..FeatureIds::default()
                }],
                ..PlacedMesh::default()
            }],
            ..PlacedContent::default()
        }
    }

    /// The square `[x0, x0 + side]²` (tile coordinates) in scene
    /// coordinates.
    fn region(t: &PlacedContent, x0: f64, side: f64) -> Polygon {
        Polygon::square(t.anchor.x + x0, t.anchor.y + x0, side)
    }

    fn area_of(m: &PlacedMesh) -> f64 {
        m.indices
            .chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| {
                    let p = m.positions[i as usize];
                    DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64)
                });
                (b - a).cross(c - a).length() / 2.0
            })
            .sum()
    }

    #[test]
    fn a_clip_region_cuts_a_sharp_hole() {
        let mut t = tile();
        let edits = TileEdits {
            clip: vec![region(&t, 2.0, 4.0)],
            ..TileEdits::default()
        };
        edits.apply(&mut t);
        let m = &t.meshes[0];
        assert!((area_of(m) - (100.0 - 16.0)).abs() < 1e-4, "{}", area_of(m));
        // Nothing left inside the hole.
        for tri in m.indices.chunks_exact(3) {
            let c = tri
                .iter()
                .map(|&i| {
                    DVec2::new(
                        m.positions[i as usize][0] as f64,
                        m.positions[i as usize][1] as f64,
                    )
                })
                .sum::<DVec2>()
                / 3.0;
            assert!(!(c.x > 2.0 && c.x < 6.0 && c.y > 2.0 && c.y < 6.0), "{c}");
        }
        // Attributes follow the cut: u = x / 10 everywhere.
        for (p, uv) in m.positions.iter().zip(&m.uvs) {
            assert!((uv[0] - p[0] / 10.0).abs() < 1e-5);
        }
        assert!(m.features[0].ids.iter().all(|&i| i == 7));
        assert_eq!(m.normals.len(), m.positions.len());
    }

    #[test]
    fn a_flatten_region_lowers_what_is_inside_without_cracks() {
        let mut t = tile();
        let edits = TileEdits {
            flatten: vec![(region(&t, 2.0, 4.0), 5.0)],
            ..TileEdits::default()
        };
        edits.apply(&mut t);
        let m = &t.meshes[0];
        for tri in m.indices.chunks_exact(3) {
            for &i in tri {
                let p = m.positions[i as usize];
                let inside = (2.0..=6.0).contains(&p[0]) && (2.0..=6.0).contains(&p[1]);
                assert_eq!(p[2], if inside { 5.0 } else { 20.0 }, "{p:?}");
            }
        }
        // The flattened floor is all there: its plan area is 16 m².
        let floor: f64 = m
            .indices
            .chunks_exact(3)
            .filter(|t| t.iter().all(|&i| m.positions[i as usize][2] == 5.0))
            .map(|t| {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| {
                    let p = m.positions[i as usize];
                    DVec2::new(p[0] as f64, p[1] as f64)
                });
                (b - a).perp_dot(c - a).abs() / 2.0
            })
            .sum();
        assert!((floor - 16.0).abs() < 1e-4, "{floor}");
        // Up-facing normals on the floor.
        let up = m
            .indices
            .iter()
            .filter(|&&i| m.positions[i as usize][2] == 5.0)
            .all(|&i| m.normals[i as usize][2] > 0.0);
        assert!(up);
    }

    #[test]
    fn a_flatten_region_above_the_model_or_a_region_elsewhere_changes_nothing() {
        let mut t = tile();
        let before = t.clone();
        TileEdits {
            flatten: vec![(region(&t, 2.0, 4.0), 30.0)],
            clip: vec![region(&t, 100.0, 4.0)],
        }
        .apply(&mut t);
        let m = &t.meshes[0];
        assert!((area_of(m) - 100.0).abs() < 1e-4);
        assert!(m.positions.iter().all(|p| p[2] == 20.0));
        assert_eq!(m.uvs.len(), m.positions.len());
        assert_eq!(before.meshes[0].indices, m.indices, "nothing cut");
    }

    /// A wall (nothing in plan) along y = 5 from x = 0 to 10, 20 m high,
    /// crossing a clip region over x ∈ [2, 6]: the part inside goes, the
    /// rest stays whole — a wall is not a sliver.
    #[test]
    fn walls_are_cut_along_a_region_not_dropped_as_slivers() {
        let mut t = tile();
        t.meshes[0] = PlacedMesh {
            positions: vec![
                [0.0, 5.0, 0.0],
                [10.0, 5.0, 0.0],
                [10.0, 5.0, 20.0],
                [0.0, 5.0, 20.0],
            ],
            indices: vec![0, 1, 2, 0, 2, 3],
            ..PlacedMesh::default()
        };
        let edits = TileEdits {
            clip: vec![region(&t, 2.0, 4.0)],
            ..TileEdits::default()
        };
        edits.apply(&mut t);
        let m = &t.meshes[0];
        assert!((area_of(m) - (200.0 - 80.0)).abs() < 1e-3, "{}", area_of(m));
        // Nothing left between x = 2 and 6.
        for tri in m.indices.chunks_exact(3) {
            let x = tri.iter().map(|&i| m.positions[i as usize][0]).sum::<f32>() / 3.0;
            assert!(!(2.0..=6.0).contains(&x), "{x}");
        }
    }

    #[test]
    fn points_inside_a_clip_region_go_and_inside_a_flatten_region_drop() {
        let mut t = tile();
        t.meshes = vec![PlacedMesh {
            positions: vec![[3.0, 3.0, 20.0], [8.0, 8.0, 20.0], [8.5, 1.0, 20.0]],
            colors: vec![[1, 1, 1, 255], [2, 2, 2, 255], [3, 3, 3, 255]],
            points: true,
            ..PlacedMesh::default()
        }];
        TileEdits {
            clip: vec![region(&t, 2.0, 4.0)],
            flatten: vec![(region(&t, 7.0, 2.0), 1.0)],
        }
        .apply(&mut t);
        let m = &t.meshes[0];
        assert_eq!(m.positions, vec![[8.0, 8.0, 1.0], [8.5, 1.0, 20.0]]);
        assert_eq!(m.colors, vec![[2, 2, 2, 255], [3, 3, 3, 255]]);
    }
}
