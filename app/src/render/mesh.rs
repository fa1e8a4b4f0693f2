//! Mesh builders: city-model geometry → triangle meshes, in render axes,
//! relative to an f64 anchor (see `cim_core::scene::georef`). Bevy-free data so
//! the builders are easy to test; [`MeshData::into_mesh`] hands them over.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, Mesh, PrimitiveTopology};
use cim_core::model::geometry::Polygon;
use cim_core::scene::georef::Anchor;
use glam::{DVec2, DVec3, Vec3};

/// How a vertex is painted: the index of the feature it belongs to in its
/// layer (a feature material looks its colour up by it, see
/// `feature_style`), or a colour of its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paint {
    /// Linear RGBA; `None` for a layer's features, whose colours come
    /// from the layer's style buffer (no vertex colour is made for them).
    pub rgba: Option<[f32; 4]>,
    pub feature: u32,
}

impl Paint {
    /// Unshaded (white) vertices of feature `feature`.
    pub fn feature(feature: u32) -> Paint {
        Paint {
            rgba: None,
            feature,
        }
    }

    /// A colour of its own, for meshes that are not a layer's features.
    pub fn plain(rgba: [f32; 4]) -> Paint {
        Paint {
            rgba: Some(rgba),
            feature: 0,
        }
    }

    /// Darker by `k` (alpha kept).
    fn shaded(self, k: f32) -> Paint {
        Paint {
            rgba: self.rgba.map(|[r, g, b, a]| [r * k, g * k, b * k, a]),
            ..self
        }
    }
}

/// Features per row of the feature index as a mesh carries it (see
/// [`MeshData::into_mesh`]).
pub const FEATURE_ROW: u32 = 4096;

/// Triangles with per-vertex normals, feature indices and, for meshes that
/// are not a layer's features, colours (linear RGBA).
#[derive(Default, Debug, Clone)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub features: Vec<u32>,
    pub indices: Vec<u32>,
}

impl MeshData {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Adds `other`'s triangles to these.
    pub fn append(&mut self, other: MeshData) {
        let base = self.positions.len() as u32;
        self.positions.extend(other.positions);
        self.normals.extend(other.normals);
        self.colors.extend(other.colors);
        self.features.extend(other.features);
        self.indices
            .extend(other.indices.into_iter().map(|i| i + base));
    }

    fn push(&mut self, p: Vec3, n: Vec3, c: Paint) -> u32 {
        self.positions.push(p.to_array());
        self.normals.push(n.to_array());
        if let Some(rgba) = c.rgba {
            self.colors.push(rgba);
        }
        self.features.push(c.feature);
        (self.positions.len() - 1) as u32
    }

    /// A flat-shaded quad a-b-c-d (counter-clockwise seen from outside).
    fn quad(&mut self, a: Vec3, b: Vec3, c: Vec3, d: Vec3, color: Paint) {
        let n = (b - a).cross(d - a).normalize_or_zero();
        let i = self.push(a, n, color);
        self.push(b, n, color);
        self.push(c, n, color);
        self.push(d, n, color);
        self.indices
            .extend_from_slice(&[i, i + 1, i + 2, i, i + 2, i + 3]);
    }

    /// The Bevy mesh, coloured by its vertices' colours (white where a
    /// vertex has none).
    pub fn into_mesh(mut self) -> Mesh {
        self.colors.resize(self.positions.len(), [1.0; 4]);
        Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.colors)
        .with_inserted_indices(Indices::U32(self.indices))
    }

    /// The Bevy mesh of a feature-styled layer: no vertex colours (the
    /// style buffer gives them, `feature_style`), and each vertex's feature
    /// index as its UV (vector layers have no textures), split into (index
    /// mod [`FEATURE_ROW`], index div [`FEATURE_ROW`]) so both halves stay
    /// small, exact floats whatever the interpolation does. 32 bytes a
    /// vertex instead of 40 with colours.
    pub fn into_feature_mesh(self) -> Mesh {
        let features: Vec<[f32; 2]> = self
            .features
            .iter()
            .map(|&f| [(f % FEATURE_ROW) as f32, (f / FEATURE_ROW) as f32])
            .collect();
        Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, features)
        .with_inserted_indices(Indices::U32(self.indices))
    }
}

fn signed_area_xy(ring: &[DVec3]) -> f64 {
    cim_core::model::geometry::ring_signed_area(ring)
}

/// Triangle meshes as they are (MultiPatch, TIN), flat-shaded and
/// two-sided: their winding is not specified, so each triangle is emitted
/// facing both ways. Triangles with an index out of range are skipped.
pub fn triangles<'a>(
    anchor: Anchor,
    meshes: impl IntoIterator<Item = (&'a [DVec3], &'a [u32], Paint)>,
) -> MeshData {
    let mut m = MeshData::default();
    for (positions, indices, color) in meshes {
        for t in indices.chunks_exact(3) {
            let Some(p) = t
                .iter()
                .map(|&i| positions.get(i as usize).map(|p| anchor.local(*p)))
                .collect::<Option<Vec<Vec3>>>()
            else {
                continue;
            };
            let n = (p[1] - p[0]).cross(p[2] - p[0]).normalize_or_zero();
            if n == Vec3::ZERO {
                continue;
            }
            for (order, normal) in [([0, 1, 2], n), ([0, 2, 1], -n)] {
                let first = m.positions.len() as u32;
                for k in order {
                    m.push(p[k], normal, color);
                }
                m.indices.extend_from_slice(&[first, first + 1, first + 2]);
            }
        }
    }
    m
}

/// Extrudes footprints into prisms: walls plus a flat roof.
/// `prisms` yields (polygon, base height, top height, colour).
pub fn extrude<'a>(
    anchor: Anchor,
    prisms: impl IntoIterator<Item = (&'a Polygon, f64, f64, Paint)>,
) -> MeshData {
    let mut m = MeshData::default();
    for (poly, base, top, color) in prisms {
        if poly.exterior.len() < 3 || top <= base {
            continue;
        }
        let roof_color = color.shaded(0.92);
        for (k, ring) in std::iter::once(&poly.exterior)
            .chain(&poly.interiors)
            .enumerate()
        {
            // Walls face outward: exterior counter-clockwise, holes clockwise.
            let ccw = signed_area_xy(ring) > 0.0;
            let outward = if k == 0 { ccw } else { !ccw };
            let n = ring.len();
            for i in 0..n {
                let (mut a, mut b) = (ring[i], ring[(i + 1) % n]);
                if !outward {
                    std::mem::swap(&mut a, &mut b);
                }
                let a0 = anchor.local(DVec3::new(a.x, a.y, base));
                let b0 = anchor.local(DVec3::new(b.x, b.y, base));
                let b1 = anchor.local(DVec3::new(b.x, b.y, top));
                let a1 = anchor.local(DVec3::new(a.x, a.y, top));
                m.quad(a0, b0, b1, a1, color);
            }
        }
        let tris = poly.triangulate();
        let pts: Vec<DVec3> = poly.points().collect();
        let first = m.positions.len() as u32;
        for p in &pts {
            m.push(anchor.local(DVec3::new(p.x, p.y, top)), Vec3::Y, roof_color);
        }
        for t in tris.chunks_exact(3) {
            // Earcut's winding follows the input; make roofs face up.
            let (a, b, c) = (pts[t[0]], pts[t[1]], pts[t[2]]);
            let up = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) > 0.0;
            let (i, j, k) = (
                first + t[0] as u32,
                first + t[1] as u32,
                first + t[2] as u32,
            );
            // Render space flips north to -Z, so counter-clockwise in the map
            // is counter-clockwise seen from +Y as well.
            if up {
                m.indices.extend_from_slice(&[i, j, k]);
            } else {
                m.indices.extend_from_slice(&[i, k, j]);
            }
        }
    }
    m
}

/// Hypsometric tint for terrain: green lowlands to brown hills.
pub fn terrain_color(h: f32) -> [f32; 4] {
    let stops: [(f32, [f32; 3]); 5] = [
        (-5.0, [0.42, 0.40, 0.33]),
        (2.0, [0.36, 0.46, 0.25]),
        (20.0, [0.30, 0.42, 0.22]),
        (50.0, [0.40, 0.40, 0.26]),
        (120.0, [0.52, 0.46, 0.36]),
    ];
    let mut c = stops[0].1;
    for w in stops.windows(2) {
        let ((h0, c0), (h1, c1)) = (w[0], w[1]);
        if h >= h0 {
            let t = ((h - h0) / (h1 - h0)).clamp(0.0, 1.0);
            c = [
                c0[0] + (c1[0] - c0[0]) * t,
                c0[1] + (c1[1] - c0[1]) * t,
                c0[2] + (c1[2] - c0[2]) * t,
            ];
        }
    }
    [c[0], c[1], c[2], 1.0]
}

/// Ribbons of `width` metres along polylines, `lift` metres above the
/// heights `height_at` gives (the draped ground, or the line's own z),
/// with a vertex at least every `step` metres (see [`DRAPE_MAX_POINTS`]).
pub fn ribbons<'a>(
    anchor: Anchor,
    lines: impl IntoIterator<Item = (&'a [DVec3], f64, Paint)>,
    lift: f64,
    step: f64,
    height_at: &dyn Fn(DVec3) -> f64,
) -> MeshData {
    let mut m = MeshData::default();
    for (line, width, color) in lines {
        let pts = densify(line, step);
        if pts.len() < 2 {
            continue;
        }
        let first = m.positions.len() as u32;
        for i in 0..pts.len() {
            let prev = pts[i.saturating_sub(1)];
            let next = pts[(i + 1).min(pts.len() - 1)];
            let t = DVec2::new(next.x - prev.x, next.y - prev.y).normalize_or_zero();
            let left = DVec2::new(-t.y, t.x) * (width / 2.0);
            for side in [left, -left] {
                let q = DVec3::new(pts[i].x + side.x, pts[i].y + side.y, 0.0);
                let z = height_at(q) + lift;
                m.push(anchor.local(DVec3::new(q.x, q.y, z)), Vec3::Y, color);
            }
        }
        for i in 0..(pts.len() as u32 - 1) {
            let (l0, r0, l1, r1) = (
                first + 2 * i,
                first + 2 * i + 1,
                first + 2 * i + 2,
                first + 2 * i + 3,
            );
            // Up-facing whichever way the line runs.
            let (a, b) = (m.positions[l0 as usize], m.positions[r0 as usize]);
            let c = m.positions[l1 as usize];
            let n = (Vec3::from(b) - Vec3::from(a)).cross(Vec3::from(c) - Vec3::from(a));
            if n.y >= 0.0 {
                m.indices.extend_from_slice(&[l0, r0, l1, r0, r1, l1]);
            } else {
                m.indices.extend_from_slice(&[l0, l1, r0, r0, l1, r1]);
            }
        }
    }
    m
}

/// Round tubes of `radius` metres along 3D centre lines (pipes): `sides`
/// vertices per ring, smooth radial normals, flat end caps. Rings are
/// oriented by the mitred tangent at each vertex, so bends do not pinch.
pub fn tubes<'a>(
    anchor: Anchor,
    lines: impl IntoIterator<Item = (&'a [DVec3], f64, Paint)>,
    sides: usize,
) -> MeshData {
    use cim_core::scene::georef::RenderFrame;
    let sides = sides.max(3);
    let mut m = MeshData::default();
    for (line, radius, color) in lines {
        // Drop repeated vertices: they have no tangent.
        let mut pts: Vec<DVec3> = Vec::with_capacity(line.len());
        for p in line {
            if pts.last().is_none_or(|q: &DVec3| q.distance(*p) > 1e-6) {
                pts.push(*p);
            }
        }
        if pts.len() < 2 || radius <= 0.0 {
            continue;
        }
        let first = m.positions.len() as u32;
        let n = pts.len();
        let mut frames = Vec::with_capacity(n);
        for i in 0..n {
            let prev = (pts[i] - pts[i.saturating_sub(1)]).normalize_or_zero();
            let next = (pts[(i + 1).min(n - 1)] - pts[i]).normalize_or_zero();
            let t = (prev + next).normalize_or(next);
            // Side vector horizontal; falls back to east for vertical runs.
            let side = t.cross(DVec3::Z).normalize_or(DVec3::X);
            let up = side.cross(t).normalize_or(DVec3::Z);
            frames.push((t, side, up));
            for k in 0..sides {
                let a = std::f64::consts::TAU * k as f64 / sides as f64;
                let dir = side * a.cos() + up * a.sin();
                m.push(
                    anchor.local(pts[i] + dir * radius),
                    RenderFrame::dir_to_render(dir).as_vec3(),
                    color,
                );
            }
        }
        let s = sides as u32;
        for i in 0..(n as u32 - 1) {
            for k in 0..s {
                let k1 = (k + 1) % s;
                let (a, b) = (first + i * s + k, first + i * s + k1);
                let (c, d) = (a + s, b + s);
                // side×up points backwards along the tangent: this winding
                // faces outward.
                m.indices.extend_from_slice(&[a, c, b, b, c, d]);
            }
        }
        // End caps as fans facing along -t at the start, +t at the end.
        for (i, sign) in [(0usize, -1.0), (n - 1, 1.0)] {
            let (t, _, _) = frames[i];
            let normal = RenderFrame::dir_to_render(t * sign).as_vec3();
            let centre = m.push(anchor.local(pts[i]), normal, color);
            let ring0 = m.positions.len() as u32;
            for k in 0..s {
                let p = m.positions[(first + i as u32 * s + k) as usize];
                m.push(Vec3::from(p), normal, color);
            }
            for k in 0..s {
                let (a, b) = (ring0 + k, ring0 + (k + 1) % s);
                if sign < 0.0 {
                    m.indices.extend_from_slice(&[centre, a, b]);
                } else {
                    m.indices.extend_from_slice(&[centre, b, a]);
                }
            }
        }
    }
    m
}

/// Most vertices one draped line part gets, whatever its length: a line
/// longer than `step × DRAPE_MAX_POINTS` is draped more coarsely.
pub const DRAPE_MAX_POINTS: usize = 4096;
/// Most triangles one draped polygon is split into.
pub const DRAPE_MAX_TRIANGLES: usize = 65_536;

/// Inserts points so no segment is longer than `step` metres (for draping),
/// at most [`DRAPE_MAX_POINTS`] of them.
pub fn densify(line: &[DVec3], step: f64) -> Vec<DVec3> {
    cim_core::model::geometry::densify(line, step, DRAPE_MAX_POINTS)
}

/// Polygons triangulated and draped: triangles are split until no edge is
/// longer than `max_edge` (widened for huge polygons, so that none takes
/// more than about [`DRAPE_MAX_TRIANGLES`]), then every vertex is lifted to
/// `height_at + lift`. An infinite `max_edge` drapes without splitting.
pub fn draped_polygons<'a>(
    anchor: Anchor,
    polygons: impl IntoIterator<Item = (&'a Polygon, Paint)>,
    lift: f64,
    max_edge: f64,
    height_at: &dyn Fn(DVec3) -> f64,
) -> MeshData {
    let mut m = MeshData::default();
    for (poly, color) in polygons {
        let pts: Vec<DVec3> = poly.points().collect();
        let tris = poly.triangulate();
        // Splitting to edges of length e leaves about 2·area/e² triangles.
        let area = cim_core::Geometry::Polygon(poly.clone())
            .bbox()
            .map_or(0.0, |b| b.size().x * b.size().y);
        let max_edge = max_edge.max((2.0 * area / DRAPE_MAX_TRIANGLES as f64).sqrt());
        for t in tris.chunks_exact(3) {
            let (mut a, mut b, c) = (pts[t[0]], pts[t[1]], pts[t[2]]);
            if (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) < 0.0 {
                std::mem::swap(&mut a, &mut b);
            }
            subdivide(
                &mut m,
                anchor,
                [a, b, c],
                color,
                lift,
                max_edge,
                height_at,
                0,
            );
        }
    }
    m
}

#[allow(clippy::too_many_arguments)]
fn subdivide(
    m: &mut MeshData,
    anchor: Anchor,
    t: [DVec3; 3],
    color: Paint,
    lift: f64,
    max_edge: f64,
    height_at: &dyn Fn(DVec3) -> f64,
    depth: u32,
) {
    let longest = (0..3)
        .max_by(|&i, &j| {
            let li = (t[(i + 1) % 3] - t[i]).truncate().length();
            let lj = (t[(j + 1) % 3] - t[j]).truncate().length();
            li.total_cmp(&lj)
        })
        .unwrap_or(0);
    let len = (t[(longest + 1) % 3] - t[longest]).truncate().length();
    if len > max_edge && depth < 16 {
        // Split the longest edge: two triangles, same winding.
        let (a, b, c) = (t[longest], t[(longest + 1) % 3], t[(longest + 2) % 3]);
        let mid = (a + b) * 0.5;
        subdivide(
            m,
            anchor,
            [a, mid, c],
            color,
            lift,
            max_edge,
            height_at,
            depth + 1,
        );
        subdivide(
            m,
            anchor,
            [mid, b, c],
            color,
            lift,
            max_edge,
            height_at,
            depth + 1,
        );
        return;
    }
    let first = m.positions.len() as u32;
    for p in t {
        let z = height_at(p) + lift;
        m.push(anchor.local(DVec3::new(p.x, p.y, z)), Vec3::Y, color);
    }
    m.indices.extend_from_slice(&[first, first + 1, first + 2]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extruded_box_faces_outward_and_up() {
        let anchor = Anchor(DVec3::new(38_500_000.0, 2_470_000.0, 0.0));
        let p = Polygon::square(38_500_000.0, 2_470_000.0, 10.0);
        let m = extrude(anchor, [(&p, 0.0, 30.0, Paint::feature(0))]);
        assert_eq!(m.indices.len(), 4 * 6 + 2 * 3);
        // Every triangle's geometric normal agrees with its vertex normal.
        for t in m.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.positions[t[k] as usize]));
            let n = (b - a).cross(c - a).normalize();
            let vn = Vec3::from(m.normals[t[0] as usize]);
            assert!(n.dot(vn) > 0.99, "{n} vs {vn}");
        }
        let top = m.positions.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
        assert_eq!(top, 30.0);
    }

    #[test]
    fn clockwise_footprints_extrude_the_same_way() {
        let anchor = Anchor(DVec3::ZERO);
        let mut p = Polygon::square(0.0, 0.0, 10.0);
        p.exterior.reverse();
        let m = extrude(anchor, [(&p, 0.0, 5.0, Paint::feature(0))]);
        for t in m.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.positions[t[k] as usize]));
            assert!(
                (b - a)
                    .cross(c - a)
                    .dot(Vec3::from(m.normals[t[0] as usize]))
                    > 0.0
            );
        }
    }

    #[test]
    fn draped_triangles_follow_the_ground_and_face_up() {
        let p = Polygon::square(0.0, 0.0, 100.0);
        let ground = |q: DVec3| 0.1 * q.x;
        let m = draped_polygons(
            Anchor(DVec3::ZERO),
            [(&p, Paint::feature(0))],
            0.5,
            10.0,
            &ground,
        );
        assert!(m.indices.len() / 3 >= 200);
        for (pos, _) in m.positions.iter().zip(&m.normals) {
            assert!((pos[1] as f64 - (0.1 * pos[0] as f64 + 0.5)).abs() < 1e-3);
        }
        for t in m.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.positions[t[k] as usize]));
            assert!((b - a).cross(c - a).y > 0.0);
        }
    }

    #[test]
    fn tubes_are_round_and_face_outward() {
        let line = [
            DVec3::new(0.0, 0.0, -2.0),
            DVec3::new(10.0, 0.0, -2.0),
            DVec3::new(10.0, 10.0, -3.0),
        ];
        let m = tubes(
            Anchor(DVec3::ZERO),
            [(&line[..], 0.5, Paint::feature(0))],
            8,
        );
        assert_eq!(m.indices.len(), 2 * 8 * 6 + 2 * 8 * 3);
        // Ring vertices sit `radius` from the centre line (render axes:
        // x = east, y = up, z = -north).
        for p in &m.positions[0..8] {
            let d = Vec3::new(p[0], p[1] + 2.0, p[2]).length();
            assert!((d - 0.5).abs() < 1e-4, "{d}");
        }
        // Every triangle's normal agrees with its vertices' normals.
        for t in m.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.positions[t[k] as usize]));
            let n = (b - a).cross(c - a);
            if n.length() < 1e-9 {
                continue;
            }
            let vn: Vec3 = [0, 1, 2]
                .map(|k| Vec3::from(m.normals[t[k] as usize]))
                .into_iter()
                .sum();
            assert!(n.dot(vn) > 0.0, "inward triangle {t:?}");
        }
    }

    #[test]
    fn huge_or_broken_polygons_stay_bounded() {
        let ground = |_p: DVec3| 0.0;
        let p = Polygon::square(0.0, 0.0, 1e8);
        let m = draped_polygons(
            Anchor(DVec3::ZERO),
            [(&p, Paint::feature(0))],
            0.5,
            10.0,
            &ground,
        );
        assert!(
            m.indices.len() / 3 <= 2 * DRAPE_MAX_TRIANGLES,
            "{}",
            m.indices.len()
        );
        // One NaN vertex: no triangles, and no panic inside earcut.
        let mut bad = Polygon::square(0.0, 0.0, 10.0);
        bad.exterior[2].x = f64::NAN;
        assert!(bad.triangulate().is_empty());
        let m = ribbons(
            Anchor(DVec3::ZERO),
            [(
                &[DVec3::ZERO, DVec3::new(1e10, 0.0, 0.0)][..],
                6.0,
                Paint::feature(0),
            )],
            0.3,
            10.0,
            &ground,
        );
        assert!(m.positions.len() <= 2 * DRAPE_MAX_POINTS);
    }

    #[test]
    fn models_are_drawn_both_ways_and_bad_indices_skipped() {
        let pts = [
            DVec3::new(0.0, 0.0, 5.0),
            DVec3::new(10.0, 0.0, 5.0),
            DVec3::new(0.0, 10.0, 5.0),
        ];
        let m = triangles(
            Anchor(DVec3::ZERO),
            [(&pts[..], &[0u32, 1, 2, 0, 1, 9][..], Paint::feature(0))],
        );
        assert_eq!(m.indices.len(), 6, "one good triangle, both windings");
        // A horizontal triangle: one copy faces up, the other down.
        let ups: Vec<f32> = [0, 3].iter().map(|&i| m.normals[i][1]).collect();
        assert!(ups.contains(&1.0) && ups.contains(&-1.0), "{ups:?}");
        assert!(m.positions.iter().all(|p| p[1] == 5.0), "z kept as height");
    }
}
