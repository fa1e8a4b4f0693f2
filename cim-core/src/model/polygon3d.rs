//! Planar polygons with holes in 3D (CityGML and IFC faces, MultiPatch
//! rings): their normal and their triangles.
//!
//! The normal is Newell's (Sutherland, Sproull & Schumacker, "A
//! Characterization of Ten Hidden-Surface Algorithms", 1974, after
//! M. E. Newell): the sum over edges of the cross products, robust for
//! concave and slightly non-planar rings. The polygon is projected onto
//! the plane through its first vertex with that normal and triangulated
//! there by ear clipping with holes (Mapbox's earcut, `earcutr`).

use glam::DVec3;

/// Newell's normal of a ring (not closed), unit length, or `None` for a
/// degenerate ring (collinear, fewer than three points, not finite).
///
/// ```
/// use cim_core::model::polygon3d::newell_normal;
/// use glam::DVec3;
/// let wall = [
///     DVec3::new(0.0, 0.0, 0.0),
///     DVec3::new(10.0, 0.0, 0.0),
///     DVec3::new(10.0, 0.0, 3.0),
///     DVec3::new(0.0, 0.0, 3.0),
/// ];
/// assert_eq!(newell_normal(&wall), Some(DVec3::new(0.0, -1.0, 0.0)));
/// ```
pub fn newell_normal(ring: &[DVec3]) -> Option<DVec3> {
    let n = ring.len();
    if n < 3 {
        return None;
    }
    let o = ring[0];
    let mut normal = DVec3::ZERO;
    for i in 0..n {
        // Relative to the first vertex: at projected magnitudes (10⁷ m)
        // the products would lose the centimetres.
        let (a, b) = (ring[i] - o, ring[(i + 1) % n] - o);
        normal += DVec3::new(
            (a.y - b.y) * (a.z + b.z),
            (a.z - b.z) * (a.x + b.x),
            (a.x - b.x) * (a.y + b.y),
        );
    }
    let len = normal.length();
    (len.is_finite() && len > 0.0).then(|| normal / len)
}

/// Triangles of a planar polygon: `rings[0]` the exterior, the rest
/// holes, none closed (the last point is not the first). Indices count
/// the rings' points in order; a degenerate polygon gives none.
///
/// ```
/// use cim_core::model::polygon3d::triangulate;
/// use glam::DVec3;
/// let square = |s: f64, z: f64| vec![
///     DVec3::new(-s, -s, z), DVec3::new(s, -s, z),
///     DVec3::new(s, s, z), DVec3::new(-s, s, z),
/// ];
/// // A roof with a skylight: 8 triangles around the hole.
/// let tris = triangulate(&[square(10.0, 5.0), square(2.0, 5.0)]);
/// assert_eq!(tris.len(), 8 * 3);
/// ```
pub fn triangulate(rings: &[Vec<DVec3>]) -> Vec<u32> {
    let Some(exterior) = rings.first() else {
        return Vec::new();
    };
    if !rings.iter().flatten().all(|p| p.is_finite()) {
        return Vec::new();
    }
    let Some(normal) = newell_normal(exterior) else {
        return Vec::new();
    };
    let (u, v) = normal.any_orthonormal_pair();
    let o = exterior[0];
    let mut flat = Vec::with_capacity(rings.iter().map(Vec::len).sum::<usize>() * 2);
    let mut holes = Vec::with_capacity(rings.len() - 1);
    for (k, ring) in rings.iter().enumerate() {
        if k > 0 {
            holes.push(flat.len() / 2);
        }
        for p in ring {
            let q = *p - o;
            flat.push(q.dot(u));
            flat.push(q.dot(v));
        }
    }
    let mut tris: Vec<u32> = earcutr::earcut(&flat, &holes, 2)
        .unwrap_or_default()
        .into_iter()
        .map(|i| i as u32)
        .collect();
    // Turn the triangles to face along the normal, as the ring does
    // (earcut emits one winding whatever the input's).
    let area2 = |t: &[u32]| {
        let p = |k: usize| (flat[2 * t[k] as usize], flat[2 * t[k] as usize + 1]);
        let (a, b, c) = (p(0), p(1), p(2));
        (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
    };
    let turned: f64 = tris.chunks(3).map(area2).sum();
    if turned < 0.0 {
        for t in tris.chunks_mut(3) {
            t.swap(1, 2);
        }
    }
    tris
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangles_keep_the_ring_s_winding() {
        // Counter-clockwise seen from +z: every triangle's normal is +z.
        let ring = vec![
            DVec3::new(0.0, 0.0, 1.0),
            DVec3::new(4.0, 0.0, 1.0),
            DVec3::new(4.0, 3.0, 1.0),
            DVec3::new(2.0, 1.0, 1.0),
            DVec3::new(0.0, 3.0, 1.0),
        ];
        let tris = triangulate(std::slice::from_ref(&ring));
        assert_eq!(tris.len(), 3 * 3, "a concave pentagon is three triangles");
        for t in tris.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| ring[t[k] as usize]);
            assert!((b - a).cross(c - a).z > 0.0);
        }
        // Reversed, the triangles face down.
        let rev: Vec<DVec3> = ring.iter().rev().copied().collect();
        let tris = triangulate(std::slice::from_ref(&rev));
        for t in tris.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| rev[t[k] as usize]);
            assert!((b - a).cross(c - a).z < 0.0);
        }
    }

    #[test]
    fn far_from_the_origin_a_small_face_still_triangulates() {
        // A 10 cm window at Gauss-Krüger magnitudes.
        let o = DVec3::new(38_500_000.0, 2_500_000.0, 12.0);
        let ring: Vec<DVec3> = [(0.0, 0.0), (0.1, 0.0), (0.1, 0.1), (0.0, 0.1)]
            .iter()
            .map(|&(x, z)| o + DVec3::new(x, 0.0, z))
            .collect();
        assert_eq!(triangulate(&[ring]).len(), 6);
    }

    #[test]
    fn degenerate_and_non_finite_rings_give_nothing() {
        let line = vec![DVec3::ZERO, DVec3::X, DVec3::X * 2.0];
        assert!(triangulate(&[line]).is_empty());
        let nan = vec![DVec3::ZERO, DVec3::X, DVec3::new(f64::NAN, 1.0, 0.0)];
        assert!(triangulate(&[nan]).is_empty());
        assert!(triangulate(&[]).is_empty());
    }
}
