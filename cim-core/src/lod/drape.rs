//! Level of detail for imagery draped on the ground.
//!
//! A drape texture is fine enough when one of its texels covers at most a
//! pixel or two on screen. Under perspective a texel of `s` metres seen from
//! `d` metres covers `s · k / d` pixels, with `k = H / (2 tan(fov/2))` for
//! a viewport `H` pixels high — the same projection as the terrain's
//! screen-space error (Ulrich 2002), applied to the texel size instead of
//! the geometric error. The terrain cut refines by both
//! ([`crate::lod::terrain::TerrainQuadtree::select_draped`]); a scene
//! without terrain drapes its base plane through a flat quadtree
//! ([`PlaneQuadtree`]) cut by texel size alone.

use crate::lod::terrain::NodeId;
use crate::model::geometry::Bbox;
use glam::DVec3;

/// Pixels per metre at unit distance: `H / (2 tan(fov/2))`.
pub fn projection_scale(viewport_height_px: f64, fov_y_rad: f64) -> f64 {
    viewport_height_px / (2.0 * (fov_y_rad * 0.5).tan())
}

/// Distance from `p` to the box (0 inside), at least 1 m.
pub fn distance_to_bbox(b: &Bbox, p: DVec3) -> f64 {
    (b.min - p)
        .max(p - b.max)
        .max(DVec3::ZERO)
        .length()
        .max(1.0)
}

/// How a drape is sized: texture edges are powers of two from `min_px`
/// to `max_px`, and a texel may cover at most `max_texel_px` pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrapeLod {
    /// The texture edge a node is refined against: a node whose texel at
    /// this size is still too coarse is split (where it can be).
    pub texture_px: u32,
    pub min_px: u32,
    /// For nodes that cannot be split (terrain leaves, the plane's deepest
    /// level): textures grow up to this edge instead.
    pub max_px: u32,
    pub max_texel_px: f64,
}

impl Default for DrapeLod {
    fn default() -> Self {
        DrapeLod {
            texture_px: 256,
            min_px: 32,
            max_px: 2048,
            max_texel_px: 1.5,
        }
    }
}

impl DrapeLod {
    /// On-screen pixels covered by one texel of a `texture_px` texture
    /// spanning `extent` metres, at `distance` metres.
    ///
    /// ```
    /// use cim_core::lod::drape::DrapeLod;
    /// // 256 m on 256 texels, 1 000 m away, k = 1 000 px/m: 1 px per texel.
    /// assert!((DrapeLod::texel_px(256.0, 256, 1_000.0, 1_000.0) - 1.0).abs() < 1e-12);
    /// ```
    pub fn texel_px(extent: f64, texture_px: u32, distance: f64, scale: f64) -> f64 {
        extent / f64::from(texture_px.max(1)) * scale / distance.max(1.0)
    }

    /// Whether a node spanning `extent` metres at `distance` needs more
    /// texels than [`DrapeLod::texture_px`] gives.
    pub fn wants_split(&self, extent: f64, distance: f64, scale: f64) -> bool {
        Self::texel_px(extent, self.texture_px, distance, scale) > self.max_texel_px
    }

    /// The smallest power-of-two texture edge (within `min_px..=max_px`)
    /// whose texels stay under `max_texel_px` on screen.
    ///
    /// ```
    /// use cim_core::lod::drape::DrapeLod;
    /// let lod = DrapeLod::default(); // 32..=2048 px, 1.5 px per texel
    /// // 1 km seen from 1 km with k = 1 000: 1 000 px on screen → 1 024 texels.
    /// assert_eq!(lod.texture_size(1_000.0, 1_000.0, 1_000.0), 1024);
    /// assert_eq!(lod.texture_size(1_000.0, 1e9, 1_000.0), 32);
    /// assert_eq!(lod.texture_size(1_000.0, 1.0, 1_000.0), 2048);
    /// ```
    pub fn texture_size(&self, extent: f64, distance: f64, scale: f64) -> u32 {
        let on_screen = extent * scale / distance.max(1.0);
        let texels = (on_screen / self.max_texel_px).max(1.0);
        let mut size = self.min_px.max(1).next_power_of_two();
        while f64::from(size) < texels && size < self.max_px {
            size *= 2;
        }
        size.min(self.max_px.max(1))
    }
}

/// A flat square quadtree over `bounds`, for ground without terrain: the
/// node `(level, x, y)` is the `x`-th column (east) and `y`-th row (south)
/// of a `2^level × 2^level` split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaneQuadtree {
    /// x and y are used; z is the plane's height.
    pub bounds: Bbox,
    pub max_level: u8,
}

impl PlaneQuadtree {
    /// A square plane centred on `centre`, `size` metres wide, split at
    /// most until nodes are about `finest` metres wide (at most level 20).
    pub fn new(centre: DVec3, size: f64, finest: f64) -> PlaneQuadtree {
        let h = size.abs() / 2.0;
        let mut max_level = 0u8;
        while size / f64::from(1u32 << max_level) > finest.max(1e-3) && max_level < 20 {
            max_level += 1;
        }
        PlaneQuadtree {
            bounds: Bbox {
                min: centre - DVec3::new(h, h, 0.0),
                max: centre + DVec3::new(h, h, 0.0),
            },
            max_level,
        }
    }

    /// The square of one node.
    pub fn node_bounds(&self, id: NodeId) -> Bbox {
        let n = f64::from(1u32 << id.level.min(31));
        let (w, h) = (
            (self.bounds.max.x - self.bounds.min.x) / n,
            (self.bounds.max.y - self.bounds.min.y) / n,
        );
        let x0 = self.bounds.min.x + f64::from(id.x) * w;
        let y1 = self.bounds.max.y - f64::from(id.y) * h;
        Bbox {
            min: DVec3::new(x0, y1 - h, self.bounds.min.z),
            max: DVec3::new(x0 + w, y1, self.bounds.max.z),
        }
    }

    /// Clears `out` and fills it with the cut for a camera at `camera`:
    /// nodes are split while their texels at `lod.texture_px` are too
    /// coarse on screen. The cut covers the plane exactly once.
    ///
    /// ```
    /// use cim_core::lod::drape::{DrapeLod, PlaneQuadtree};
    /// use glam::DVec3;
    /// let plane = PlaneQuadtree::new(DVec3::ZERO, 10_000.0, 100.0);
    /// let mut cut = Vec::new();
    /// plane.select(DVec3::new(0.0, 0.0, 300.0), 1080.0, 0.8, &DrapeLod::default(), &mut cut);
    /// // Fine under the camera, coarse far away.
    /// assert!(cut.iter().any(|n| n.level == plane.max_level));
    /// assert!(cut.iter().any(|n| n.level <= 3));
    /// ```
    pub fn select(
        &self,
        camera: DVec3,
        viewport_height_px: f64,
        fov_y_rad: f64,
        lod: &DrapeLod,
        out: &mut Vec<NodeId>,
    ) {
        // Flat: no geometric error, refined for the imagery alone.
        let view = crate::lod::LodView {
            camera,
            viewport_height_px,
            fov_y_rad,
            max_screen_error_px: f64::INFINITY,
            drape: Some(lod),
            frustum: None,
        };
        crate::lod::select(self, &view, out);
    }
}

impl crate::lod::LodTree for PlaneQuadtree {
    type Id = NodeId;

    fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    fn parent(&self, id: NodeId) -> Option<NodeId> {
        id.parent()
    }

    fn children_into(&self, id: NodeId, out: &mut Vec<NodeId>) {
        if id.level < self.max_level {
            let (l, x, y) = (id.level + 1, id.x * 2, id.y * 2);
            out.extend([
                NodeId::new(l, x, y),
                NodeId::new(l, x + 1, y),
                NodeId::new(l, x, y + 1),
                NodeId::new(l, x + 1, y + 1),
            ]);
        }
    }

    fn bounds(&self, id: NodeId) -> Bbox {
        self.node_bounds(id)
    }

    fn geometric_error(&self, _: NodeId) -> f64 {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plane_cut_covers_the_plane_once() {
        let plane = PlaneQuadtree::new(DVec3::new(500.0, -200.0, 0.0), 8_000.0, 50.0);
        assert_eq!(plane.max_level, 8); // 8 000 / 2^8 = 31 m ≤ 50 m
        let mut cut = Vec::new();
        plane.select(
            DVec3::new(600.0, -100.0, 150.0),
            720.0,
            0.8,
            &DrapeLod::default(),
            &mut cut,
        );
        let area: f64 = cut
            .iter()
            .map(|&id| {
                let b = plane.node_bounds(id);
                (b.max.x - b.min.x) * (b.max.y - b.min.y)
            })
            .sum();
        assert!((area - 8_000.0 * 8_000.0).abs() < 1e-3, "{area}");
        // No node contains another's centre.
        for &a in &cut {
            let ba = plane.node_bounds(a);
            for &b in &cut {
                if a == b {
                    continue;
                }
                let c = plane.node_bounds(b).center();
                assert!(
                    !(c.x > ba.min.x && c.x < ba.max.x && c.y > ba.min.y && c.y < ba.max.y),
                    "{a:?} overlaps {b:?}"
                );
            }
        }
        // Every node's texels are fine enough, unless it is at the last level.
        let scale = projection_scale(720.0, 0.8);
        for &id in &cut {
            let b = plane.node_bounds(id);
            let d = distance_to_bbox(&b, DVec3::new(600.0, -100.0, 150.0));
            assert!(
                id.level == plane.max_level
                    || DrapeLod::texel_px(b.max.x - b.min.x, 256, d, scale) <= 1.5
            );
        }
    }

    #[test]
    fn node_bounds_tile_the_root() {
        let plane = PlaneQuadtree::new(DVec3::ZERO, 100.0, 1.0);
        let b = plane.node_bounds(NodeId::new(1, 1, 0));
        assert_eq!((b.min.x, b.max.x, b.min.y, b.max.y), (0.0, 50.0, 0.0, 50.0));
        let b = plane.node_bounds(NodeId::new(2, 0, 3));
        assert_eq!(
            (b.min.x, b.max.x, b.min.y, b.max.y),
            (-50.0, -25.0, -50.0, -25.0)
        );
    }

    #[test]
    fn texture_sizes_are_powers_of_two_in_range() {
        let lod = DrapeLod::default();
        for d in [1.0, 10.0, 100.0, 1e3, 1e4, 1e5] {
            let s = lod.texture_size(500.0, d, 900.0);
            assert!(s.is_power_of_two() && (32..=2048).contains(&s), "{s}");
            if s < 2048 {
                assert!(DrapeLod::texel_px(500.0, s, d, 900.0) <= lod.max_texel_px + 1e-9);
            }
        }
    }
}
