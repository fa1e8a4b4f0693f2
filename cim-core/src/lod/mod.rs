//! One level-of-detail selection for every tree of tiles: terrain
//! ([`crate::lod::terrain::TerrainQuadtree`]), the draped base plane
//! ([`crate::lod::drape::PlaneQuadtree`]), and the streamed sources still to
//! come (3D Tiles, OSGB PagedLOD, tiled IFC), which implement [`LodTree`]
//! and get the same refinement rule.
//!
//! The rule is the screen-space error of chunked LOD (Ulrich 2002) and of
//! OGC 3D Tiles 1.1 §"Geometric error": a node whose geometric error `ε`
//! (metres), seen at distance `d` through a perspective that maps one metre
//! at one metre to `k` pixels, would be off by `ε·k/d > τ` pixels is
//! replaced by its children. Trees carrying imagery are also refined while
//! a texel would cover too many pixels ([`DrapeLod`]).
//!
//! What is *drawn* is the cut as far as its content is loaded: [`stream`]
//! keeps parents until their children are ready, loads in priority order
//! and evicts least-recently-used content over a byte budget.

use crate::lod::drape::{DrapeLod, distance_to_bbox, projection_scale};
use crate::model::geometry::Bbox;
use glam::DVec3;

pub mod drape;
pub mod pick_content;
pub mod pick_grid;
pub mod place_content;
pub mod shared_bytes;
pub mod stream;
pub mod streamed_tree;
pub mod terrain;
pub mod tile_edits;
pub mod tile_source;
pub mod tileset;

/// A tree of level-of-detail nodes, as the selection sees it.
pub trait LodTree {
    type Id: Copy;
    /// The root node.
    fn root(&self) -> Self::Id;
    /// The node one level up, `None` for the root.
    fn parent(&self, id: Self::Id) -> Option<Self::Id>;
    /// Appends the children of `id` (none for a leaf) to `out`, in the
    /// order the cut should list them.
    fn children_into(&self, id: Self::Id, out: &mut Vec<Self::Id>);
    /// The node's bounds in the scene CRS.
    fn bounds(&self, id: Self::Id) -> Bbox;
    /// The node's geometric error in metres: how far its content may be
    /// from the full-resolution data (0: refined for imagery alone).
    fn geometric_error(&self, id: Self::Id) -> f64;
}

/// The view a cut is selected for.
#[derive(Clone, Copy, Debug)]
pub struct LodView<'a> {
    /// The camera position, scene CRS.
    pub camera: DVec3,
    pub viewport_height_px: f64,
    pub fov_y_rad: f64,
    /// The largest screen-space error a drawn node may have, pixels.
    pub max_screen_error_px: f64,
    /// Refinement for draped imagery, when the tree carries it.
    pub drape: Option<&'a DrapeLod>,
    /// Nodes wholly outside it are left out of the cut (not drawn, not
    /// refined); `None` keeps the whole tree.
    pub frustum: Option<&'a Frustum>,
}

/// The four side planes of a perspective view (near and far are left to
/// the renderer), in the scene CRS.
#[derive(Clone, Copy, Debug)]
pub struct Frustum {
    eye: DVec3,
    /// Inward normals: a point `p` is inside when `n · (p − eye) ≥ 0` for all.
    normals: [DVec3; 4],
}

impl Frustum {
    /// The view from `eye` along `forward` (z is up), `fov_y_rad` high and
    /// `aspect` (width / height) wide.
    ///
    /// ```
    /// use cim_core::lod::Frustum;
    /// use cim_core::{Bbox, DVec3};
    /// let f = Frustum::new(DVec3::ZERO, DVec3::X, 1.0, 1.5);
    /// let ahead = Bbox { min: DVec3::new(90.0, -5.0, -5.0), max: DVec3::new(100.0, 5.0, 5.0) };
    /// let behind = Bbox { min: DVec3::new(-100.0, -5.0, -5.0), max: DVec3::new(-90.0, 5.0, 5.0) };
    /// assert!(f.intersects(&ahead));
    /// assert!(!f.intersects(&behind));
    /// ```
    pub fn new(eye: DVec3, forward: DVec3, fov_y_rad: f64, aspect: f64) -> Frustum {
        let f = forward.normalize_or(DVec3::Y);
        let right = f.cross(DVec3::Z).normalize_or(DVec3::X);
        let up = right.cross(f);
        let tan_v = (fov_y_rad / 2.0).tan();
        let tan_h = tan_v * aspect;
        Frustum {
            eye,
            normals: [
                right + f * tan_h,
                -right + f * tan_h,
                up + f * tan_v,
                -up + f * tan_v,
            ],
        }
    }

    /// Whether any part of `b` may be inside (a conservative test: the
    /// box's corner farthest along each plane's normal).
    pub fn intersects(&self, b: &Bbox) -> bool {
        self.normals.iter().all(|n| {
            let p = DVec3::new(
                if n.x >= 0.0 { b.max.x } else { b.min.x },
                if n.y >= 0.0 { b.max.y } else { b.min.y },
                if n.z >= 0.0 { b.max.z } else { b.min.z },
            );
            n.dot(p - self.eye) >= 0.0
        })
    }
}

impl LodView<'_> {
    /// The screen-space error in pixels of `geometric_error` metres over
    /// `bounds` (distance to the box, at least 1 m).
    ///
    /// ```
    /// use cim_core::lod::LodView;
    /// use cim_core::{Bbox, DVec3};
    /// let view = LodView {
    ///     camera: DVec3::new(0.0, 0.0, 1000.0),
    ///     viewport_height_px: 1000.0,
    ///     fov_y_rad: 2.0 * 0.5f64.atan(), // k = 1000 px per m at 1 m
    ///     max_screen_error_px: 2.0,
    ///     drape: None,
    ///     frustum: None,
    /// };
    /// let ground = Bbox { min: DVec3::new(-10.0, -10.0, 0.0), max: DVec3::new(10.0, 10.0, 0.0) };
    /// // 1 m of error seen from 1 km: one pixel.
    /// assert!((view.screen_error(1.0, &ground) - 1.0).abs() < 1e-9);
    /// ```
    pub fn screen_error(&self, geometric_error: f64, bounds: &Bbox) -> f64 {
        geometric_error * projection_scale(self.viewport_height_px, self.fov_y_rad)
            / distance_to_bbox(bounds, self.camera)
    }

    /// Whether a node of these bounds and error must give way to its
    /// children (by its error, or for imagery).
    pub fn wants_split(&self, geometric_error: f64, bounds: &Bbox) -> bool {
        if self.screen_error(geometric_error, bounds) > self.max_screen_error_px {
            return true;
        }
        self.drape.is_some_and(|d| {
            let extent = (bounds.max.x - bounds.min.x).max(bounds.max.y - bounds.min.y);
            d.wants_split(
                extent,
                distance_to_bbox(bounds, self.camera),
                projection_scale(self.viewport_height_px, self.fov_y_rad),
            )
        })
    }
}

/// Clears `out` and fills it with the cut of `tree` for `view`: from the
/// root down, a node is replaced by its children while it
/// [wants to split](LodView::screen_error) and has any, and a node outside
/// the view's frustum is left out. Without a frustum, and when children
/// partition their parent, the cut covers the root exactly once.
pub fn select<T: LodTree + ?Sized>(tree: &T, view: &LodView, out: &mut Vec<T::Id>) {
    out.clear();
    let mut stack = vec![tree.root()];
    let mut children = Vec::with_capacity(8);
    while let Some(id) = stack.pop() {
        let bounds = tree.bounds(id);
        if view.frustum.is_some_and(|f| !f.intersects(&bounds)) {
            continue;
        }
        children.clear();
        if view.wants_split(tree.geometric_error(id), &bounds) {
            tree.children_into(id, &mut children);
        }
        if children.is_empty() {
            out.push(id);
        } else {
            // Reversed onto the stack, so they come off in order.
            stack.extend(children.iter().rev());
        }
    }
}

#[cfg(test)]
mod tests;
