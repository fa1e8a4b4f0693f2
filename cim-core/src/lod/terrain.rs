//! Chunked level-of-detail terrain: a quadtree of fixed-size mesh tiles over
//! a DEM, selected by screen-space error and stitched with skirts.
//!
//! This is the scheme of T. Ulrich, *"Rendering Massive Terrains using
//! Chunked Level of Detail Control"*, SIGGRAPH 2002 course notes: every node
//! of the quadtree is a regular mesh of the same size (`tile_cells` quads per
//! side), the leaves sample the grid at full resolution and each level up
//! doubles the sampling stride, so a parent covers its 2 × 2 children with as
//! many vertices as one of them. Each node carries a conservative
//! *geometric error* (metres): a bound of how far its simplified surface may
//! lie above or below the full-resolution surface. A view selects a *cut* of
//! the tree, refining a node while its error, projected to the screen at
//! the node's distance, exceeds a pixel threshold. Neighbouring nodes of a
//! cut may differ in level; the small cracks along their shared edges are
//! hidden by *skirts*, vertical strips hanging from every tile edge, deep
//! enough to close the largest possible crack.
//!
//! # Geometry conventions
//!
//! The surface runs through cell centres, as [`Grid::cell_center`] places
//! them, so a `w × h` grid has `(w - 1) × (h - 1)` *quads* (the squares
//! between four neighbouring cell centres). A node covers a rectangle of
//! quads, `[c0, c1) × [r0, r1)` by [`TerrainQuadtree::quad_range`], and its
//! mesh samples the grid on its level's lattice: the columns `c0, c0 + s,
//! c0 + 2s, …` (stride `s = 2^(leaf_level - level)`) below the node's east
//! edge, plus that edge itself. The lattice is padded only logically: a
//! node that reaches past the grid is clamped to the last cell centre, so
//! edge tiles are narrower (their last quad column or row may be narrower
//! than `s`) and non-square or non-power-of-two grids need no resampling.
//! Each lattice quad is split along its north-east–south-west diagonal, the
//! same split at every level, so a level's triangulation refines the next
//! coarser one's (exactly wherever the quads are full-size).
//!
//! # Geometric error
//!
//! Computed bottom-up, level by level, in `O(cells)` (each level reads
//! about a quarter of the samples the level below it reads; a 10⁸-cell DEM
//! builds in under a second at opt-level 1 on two cores, see `benches/terrain_lod.rs`): a
//! leaf's error is 0; a parent's is the largest vertical distance
//! between its own triangulated surface and its children's, plus the largest
//! of the children's errors. Since the children's triangulation refines the
//! parent's, the distance between the two piecewise-linear surfaces peaks
//! at a vertex of the finer one, so it is measured at the finer level's
//! samples; in the narrower edge quads, where the diagonals do not nest, it
//! is also measured at the crossings of the two triangulations' edges. By
//! the triangle inequality the sum bounds the node's deviation from the
//! full-resolution surface everywhere (not only at the samples). A tilted
//! plane is exact under linear interpolation, so its errors are all 0.
//! Nodata samples are skipped: a mesh leaves out the triangles touching one,
//! and deviations count only where both surfaces exist (a coarser level may
//! bridge a small hole that its lattice steps over).
//!
//! # Skirts
//!
//! Along an edge shared with a neighbour of the same level both meshes
//! sample the same points, so there is no crack. Against a finer or coarser
//! neighbour the gap is at most the *coarser* node's error (the finer
//! lattice contains the coarser one along the shared edge, and both pass
//! through the grid's own values at the coarse samples). A node's skirt
//! therefore hangs [`TerrainQuadtree::skirt_depth`] metres below its edge:
//! the largest error among the node itself and every coarser node that
//! shares an edge with it, plus [`SKIRT_MARGIN_M`]. Whichever of two
//! neighbours has the higher edge, its skirt reaches below the other's.
//!
//! ```
//! use cim_core::lod::terrain::TerrainQuadtree;
//! use cim_core::{DVec3, Grid};
//! // A 1 km × 1 km DEM at 2 m with a hill in the middle.
//! let mut dem = Grid::new(500, 500, 38_500_000.0, 2_470_000.0, 2.0, 2.0);
//! for r in 0..500 {
//!     for c in 0..500 {
//!         let (x, y) = ((c as f64 - 250.0) / 80.0, (r as f64 - 250.0) / 80.0);
//!         dem.set(c, r, (40.0 * (-(x * x + y * y)).exp()) as f32);
//!     }
//! }
//! let tree = TerrainQuadtree::build(&dem, 64);
//! assert_eq!(tree.leaf_level(), 3); // 64 · 2³ = 512 ≥ 499 quads
//!
//! // Far away the root is enough; standing on the hill needs the leaves.
//! let mut cut = Vec::new();
//! let far = DVec3::new(38_500_500.0, 2_469_500.0, 200_000.0);
//! tree.select(far, 1080.0, 60f64.to_radians(), 2.0, &mut cut);
//! assert_eq!(cut, vec![tree.root()]);
//! let near = DVec3::new(38_500_500.0, 2_469_500.0, 42.0);
//! tree.select(near, 1080.0, 60f64.to_radians(), 2.0, &mut cut);
//! assert!(cut.iter().any(|id| id.level == tree.leaf_level()));
//!
//! // One mesh per selected node, relative to its own anchor.
//! let mesh = tree.node_mesh(&dem, cut[0]);
//! assert_eq!(mesh.positions.len(), tree.vertex_count(&cut[..1]));
//! ```

use crate::lod::drape::{DrapeLod, distance_to_bbox, projection_scale};
use crate::model::geometry::Bbox;
use crate::model::grid::Grid;
use glam::DVec3;
use std::ops::Range;

/// How much deeper than the largest possible crack a skirt hangs, metres.
pub const SKIRT_MARGIN_M: f64 = 1.0;

/// A node of the quadtree: `level` 0 is the root, `x` counts tiles eastward
/// and `y` tiles southward (from the grid's north-west corner).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub x: u32,
    pub y: u32,
}

impl NodeId {
    pub const ROOT: NodeId = NodeId {
        level: 0,
        x: 0,
        y: 0,
    };

    pub fn new(level: u8, x: u32, y: u32) -> NodeId {
        NodeId { level, x, y }
    }

    /// The node one level up, `None` for the root.
    pub fn parent(self) -> Option<NodeId> {
        (self.level > 0).then(|| NodeId::new(self.level - 1, self.x / 2, self.y / 2))
    }
}

/// One tile of the quadtree.
#[derive(Clone, Debug, PartialEq)]
pub struct TerrainNode {
    pub id: NodeId,
    /// Scene CRS. x and y span the node's outermost cell centres; z spans
    /// the valid full-resolution samples under the node (0..0 if none).
    /// Skirts hang below `min.z`.
    pub bbox: Bbox,
    /// Metres: a bound of the vertical distance between this node's mesh
    /// and the full-resolution surface; 0 for leaves.
    pub geometric_error: f64,
}

/// A node's mesh, ready to upload: f32 vertices relative to an f64 anchor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TerrainMesh {
    /// Scene CRS: the node's centre rounded to whole metres, z = 0.
    pub anchor: DVec3,
    /// Scene axes (east, north, up) relative to `anchor`. The first
    /// `cols × rows` are the surface (row-major, north row first); then the
    /// skirt vertices, one under each edge vertex, edge by edge.
    pub positions: Vec<[f32; 3]>,
    /// Unit normals in scene axes; skirt vertices copy their edge vertex's.
    pub normals: Vec<[f32; 3]>,
    /// (0, 0) at the grid's north-west corner, (1, 1) at its south-east one:
    /// a texel per grid cell when draping a `width × height` image.
    pub uvs: Vec<[f32; 2]>,
    /// Triangles, counter-clockwise seen from above (+z) for the surface and
    /// from outside the tile for the skirts.
    pub indices: Vec<u32>,
}

impl TerrainMesh {
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }
}

#[derive(Clone, Copy, Debug)]
struct Level {
    stride: usize,
    nx: usize,
    ny: usize,
    first: usize,
}

/// The chunked-LOD quadtree of one grid. Holds no grid data (only each
/// node's bounding box and error); meshes are cut from the grid on demand
/// with [`TerrainQuadtree::node_mesh`].
#[derive(Clone, Debug)]
pub struct TerrainQuadtree {
    width: usize,
    height: usize,
    tile_cells: usize,
    levels: Vec<Level>,
    nodes: Vec<TerrainNode>,
}

/// Valid samples of a grid, as f64.
#[derive(Clone, Copy)]
struct Samples<'a> {
    data: &'a [f32],
    width: usize,
    nodata: Option<f32>,
}

impl Samples<'_> {
    #[inline]
    fn at(&self, c: usize, r: usize) -> Option<f64> {
        let v = self.data[r * self.width + c];
        (Some(v) != self.nodata && !v.is_nan()).then_some(v as f64)
    }
}

/// `start, start + stride, …` below `end`, then `end`.
fn lattice(start: usize, end: usize, stride: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (start..end).step_by(stride).collect();
    v.push(end);
    v
}

fn lattice_len(start: usize, end: usize, stride: usize) -> usize {
    (end - start).div_ceil(stride) + 1
}

/// The height at `(u, v)` (fractional column, row) of the quad
/// `[u0, u1] × [v0, v1]` with corner values `a` (north-west), `b`
/// (north-east), `d` (south-west), `e` (south-east), split along `b–d`.
/// `None` when the triangle under the point touches nodata.
#[allow(clippy::too_many_arguments)]
fn tri_interp(
    (u0, u1, v0, v1): (f64, f64, f64, f64),
    a: Option<f64>,
    b: Option<f64>,
    d: Option<f64>,
    e: Option<f64>,
    u: f64,
    v: f64,
) -> Option<f64> {
    let s = ((u - u0) / (u1 - u0)).clamp(0.0, 1.0);
    let t = ((v - v0) / (v1 - v0)).clamp(0.0, 1.0);
    if s + t <= 1.0 {
        let (a, b, d) = (a?, b?, d?);
        Some(a + s * (b - a) + t * (d - a))
    } else {
        let (b, d, e) = (b?, d?, e?);
        Some(e + (1.0 - s) * (d - e) + (1.0 - t) * (b - e))
    }
}

/// The largest vertical distance between a coarse quad `[u0, u1] × [v0, v1]`
/// and the next finer level's surface over it (fine stride `half`), for
/// quads whose diagonals need not nest (the narrower quads at the grid's
/// east and south edges). Exact: the difference of the two piecewise-linear
/// surfaces peaks at a vertex of their common refinement, i.e. at a fine
/// vertex or where the coarse diagonal crosses a fine edge.
fn quad_deviation_general(
    g: Samples,
    (u0, u1, v0, v1): (usize, usize, usize, usize),
    half: usize,
) -> f64 {
    let split = |lo: usize, hi: usize| -> Vec<usize> {
        if lo + half < hi {
            vec![lo, lo + half, hi]
        } else {
            vec![lo, hi]
        }
    };
    let (xs, ys) = (split(u0, u1), split(v0, v1));
    let quad = (u0 as f64, u1 as f64, v0 as f64, v1 as f64);
    let coarse = |u: f64, v: f64| {
        tri_interp(
            quad,
            g.at(u0, v0),
            g.at(u1, v0),
            g.at(u0, v1),
            g.at(u1, v1),
            u,
            v,
        )
    };
    let fine = |u: f64, v: f64| {
        let i = usize::from(xs.len() == 3 && u > xs[1] as f64);
        let j = usize::from(ys.len() == 3 && v > ys[1] as f64);
        let (a0, a1, b0, b1) = (xs[i], xs[i + 1], ys[j], ys[j + 1]);
        tri_interp(
            (a0 as f64, a1 as f64, b0 as f64, b1 as f64),
            g.at(a0, b0),
            g.at(a1, b0),
            g.at(a0, b1),
            g.at(a1, b1),
            u,
            v,
        )
    };
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(16);
    for &y in &ys {
        for &x in &xs {
            pts.push((x as f64, y as f64));
        }
    }
    let (uu, vv) = (quad.1 - quad.0, quad.3 - quad.2);
    // The coarse diagonal: (u - u0)/uu + (v - v0)/vv = 1.
    if xs.len() == 3 {
        let um = xs[1] as f64;
        pts.push((um, quad.2 + vv * (1.0 - (um - quad.0) / uu)));
    }
    if ys.len() == 3 {
        let vm = ys[1] as f64;
        pts.push((quad.0 + uu * (1.0 - (vm - quad.2) / vv), vm));
    }
    for w in ys.windows(2) {
        for q in xs.windows(2) {
            let (a0, a1, b0, b1) = (q[0] as f64, q[1] as f64, w[0] as f64, w[1] as f64);
            let (al1, be1, ga1) = (1.0 / uu, 1.0 / vv, 1.0 + quad.0 / uu + quad.2 / vv);
            let (al2, be2) = (1.0 / (a1 - a0), 1.0 / (b1 - b0));
            let ga2 = 1.0 + a0 * al2 + b0 * be2;
            let det = al1 * be2 - al2 * be1;
            if det.abs() < 1e-12 {
                continue; // parallel: the diagonals meet only at fine vertices
            }
            let u = (ga1 * be2 - ga2 * be1) / det;
            let v = (al1 * ga2 - al2 * ga1) / det;
            let eps = 1e-9;
            if u >= a0 - eps && u <= a1 + eps && v >= b0 - eps && v <= b1 + eps {
                pts.push((u.clamp(a0, a1), v.clamp(b0, b1)));
            }
        }
    }
    pts.into_iter()
        .filter_map(|(u, v)| Some((fine(u, v)? - coarse(u, v)?).abs()))
        .fold(0.0, f64::max)
}

/// The largest vertical distance between the surface on lattice `cols` ×
/// `rows` (stride `stride`) and the surface at half that stride.
fn deviation(g: Samples, cols: &[usize], rows: &[usize], stride: usize) -> f64 {
    let half = stride / 2;
    let mut dev = 0.0f64;
    for j in 0..rows.len() - 1 {
        let (v0, v1) = (rows[j], rows[j + 1]);
        let last_row = j + 2 == rows.len();
        for i in 0..cols.len() - 1 {
            let (u0, u1) = (cols[i], cols[i + 1]);
            if u1 - u0 != stride || v1 - v0 != stride {
                dev = dev.max(quad_deviation_general(g, (u0, u1, v0, v1), half));
                continue;
            }
            // A full-size quad: the fine vertices are the edge midpoints and
            // the centre, which lies on the coarse diagonal b–d. Each quad
            // checks its north and west edges; the node's last column and
            // row also their east and south ones.
            let (a, b, d) = (g.at(u0, v0), g.at(u1, v0), g.at(u0, v1));
            let mut check = |p: Option<f64>, q: Option<f64>, c: usize, r: usize| {
                if let (Some(p), Some(q), Some(f)) = (p, q, g.at(c, r)) {
                    dev = dev.max((f - 0.5 * (p + q)).abs());
                }
            };
            check(a, b, u0 + half, v0);
            check(a, d, u0, v0 + half);
            check(b, d, u0 + half, v0 + half);
            if i + 2 == cols.len() || last_row {
                let e = g.at(u1, v1);
                if i + 2 == cols.len() {
                    check(b, e, u1, v0 + half);
                }
                if last_row {
                    check(d, e, u0 + half, v1);
                }
            }
        }
    }
    dev
}

impl TerrainQuadtree {
    /// Builds the tree of `grid` with leaves of `tile_cells × tile_cells`
    /// quads (64 is a good size; values below 1 count as 1). A grid of at
    /// most `tile_cells` quads per side gives a single node.
    pub fn build(grid: &Grid, tile_cells: usize) -> TerrainQuadtree {
        let t = tile_cells.max(1);
        let (w, h) = (grid.width, grid.height);
        let (qw, qh) = (w.saturating_sub(1), h.saturating_sub(1));
        let mut leaf_level = 0usize;
        while t << leaf_level < qw.max(qh) {
            leaf_level += 1;
        }
        let mut levels = Vec::with_capacity(leaf_level + 1);
        let mut first = 0;
        for l in 0..=leaf_level {
            let stride = 1usize << (leaf_level - l);
            let ext = t * stride;
            let (nx, ny) = (qw.div_ceil(ext).max(1), qh.div_ceil(ext).max(1));
            levels.push(Level {
                stride,
                nx,
                ny,
                first,
            });
            first += nx * ny;
        }
        let mut tree = TerrainQuadtree {
            width: w,
            height: h,
            tile_cells: t,
            levels,
            nodes: Vec::with_capacity(first),
        };
        for (l, lv) in tree.levels.clone().iter().enumerate() {
            for y in 0..lv.ny {
                for x in 0..lv.nx {
                    let id = NodeId::new(l as u8, x as u32, y as u32);
                    let (c0, c1, r0, r1) = tree.span(id);
                    let (xa, ya) = grid.cell_center(c0, r0);
                    let (xb, yb) = grid.cell_center(c1, r1);
                    tree.nodes.push(TerrainNode {
                        id,
                        bbox: Bbox {
                            min: DVec3::new(xa, yb, f64::INFINITY),
                            max: DVec3::new(xb, ya, f64::NEG_INFINITY),
                        },
                        geometric_error: 0.0,
                    });
                }
            }
        }
        if w == 0 || h == 0 {
            for n in &mut tree.nodes {
                n.bbox.min.z = 0.0;
                n.bbox.max.z = 0.0;
            }
            return tree;
        }
        let g = Samples {
            data: &grid.data,
            width: w,
            nodata: grid.nodata,
        };
        // Leaves: the value range of their samples.
        let leaf = tree.levels[leaf_level];
        for i in leaf.first..leaf.first + leaf.nx * leaf.ny {
            let (c0, c1, r0, r1) = tree.span(tree.nodes[i].id);
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for r in r0..=r1 {
                for &v in &grid.data[r * w + c0..=r * w + c1] {
                    if Some(v) != grid.nodata && !v.is_nan() {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            }
            tree.nodes[i].bbox.min.z = lo as f64;
            tree.nodes[i].bbox.max.z = hi as f64;
        }
        // Upward: union of the children's ranges, own deviation plus the
        // children's largest error.
        for l in (0..leaf_level).rev() {
            let lv = tree.levels[l];
            for i in lv.first..lv.first + lv.nx * lv.ny {
                let id = tree.nodes[i].id;
                let (c0, c1, r0, r1) = tree.span(id);
                let dev = deviation(
                    g,
                    &lattice(c0, c1, lv.stride),
                    &lattice(r0, r1, lv.stride),
                    lv.stride,
                );
                let (mut lo, mut hi, mut child_err) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
                for c in tree.children(id) {
                    let n = &tree.nodes[tree.index(c)];
                    lo = lo.min(n.bbox.min.z);
                    hi = hi.max(n.bbox.max.z);
                    child_err = child_err.max(n.geometric_error);
                }
                let n = &mut tree.nodes[i];
                n.bbox.min.z = lo;
                n.bbox.max.z = hi;
                n.geometric_error = dev + child_err;
            }
        }
        for n in &mut tree.nodes {
            if n.bbox.min.z > n.bbox.max.z {
                n.bbox.min.z = 0.0;
                n.bbox.max.z = 0.0;
            }
        }
        tree
    }

    fn index(&self, id: NodeId) -> usize {
        let lv = &self.levels[id.level as usize];
        lv.first + id.y as usize * lv.nx + id.x as usize
    }

    /// First and last sample column, first and last sample row.
    fn span(&self, id: NodeId) -> (usize, usize, usize, usize) {
        let ext = self.tile_cells * self.levels[id.level as usize].stride;
        let (c0, r0) = (id.x as usize * ext, id.y as usize * ext);
        (
            c0,
            (c0 + ext).min(self.width.saturating_sub(1)),
            r0,
            (r0 + ext).min(self.height.saturating_sub(1)),
        )
    }

    /// Quads per leaf side, as given to [`TerrainQuadtree::build`].
    pub fn tile_cells(&self) -> usize {
        self.tile_cells
    }

    /// The level of the leaves (full resolution); the root is level 0.
    pub fn leaf_level(&self) -> u8 {
        (self.levels.len() - 1) as u8
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every node, level by level from the root, row-major within a level.
    pub fn nodes(&self) -> &[TerrainNode] {
        &self.nodes
    }

    pub fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    /// Whether `id` is a node of this tree.
    pub fn contains(&self, id: NodeId) -> bool {
        self.levels
            .get(id.level as usize)
            .is_some_and(|lv| (id.x as usize) < lv.nx && (id.y as usize) < lv.ny)
    }

    pub fn node(&self, id: NodeId) -> Option<&TerrainNode> {
        self.contains(id).then(|| &self.nodes[self.index(id)])
    }

    /// Sample stride of a level, in grid cells (1 at the leaves).
    pub fn stride(&self, level: u8) -> usize {
        self.levels[level as usize].stride
    }

    /// The 1 to 4 children of a node that exist (none for a leaf).
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let (x, y) = (id.x * 2, id.y * 2);
        [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
            .into_iter()
            .map(move |(x, y)| NodeId::new(id.level + 1, x, y))
            .filter(move |c| id.level < self.leaf_level() && self.contains(*c))
    }

    /// The grid quads the node covers: columns and rows, where quad
    /// `(c, r)` lies between the centres of cells `(c, r)` and
    /// `(c + 1, r + 1)`. The nodes of any cut partition
    /// `[0, width - 1) × [0, height - 1)`.
    pub fn quad_range(&self, id: NodeId) -> (Range<usize>, Range<usize>) {
        let (c0, c1, r0, r1) = self.span(id);
        (c0..c1, r0..r1)
    }

    /// The grid columns and rows the node's mesh samples.
    pub fn sample_lattice(&self, id: NodeId) -> (Vec<usize>, Vec<usize>) {
        let (c0, c1, r0, r1) = self.span(id);
        let s = self.stride(id.level);
        (lattice(c0, c1, s), lattice(r0, r1, s))
    }

    /// Screen-space error of a node in pixels, seen from `camera` (scene
    /// CRS) with a perspective of vertical field of view `fov_y_rad` over
    /// `viewport_height_px` pixels. The distance is to the node's bounding
    /// box, at least 1 m.
    pub fn screen_space_error(
        &self,
        id: NodeId,
        camera: DVec3,
        viewport_height_px: f64,
        fov_y_rad: f64,
    ) -> f64 {
        let n = &self.nodes[self.index(id)];
        n.geometric_error * projection_scale(viewport_height_px, fov_y_rad)
            / distance_to_bbox(&n.bbox, camera)
    }

    /// Clears `out` and fills it with the cut for a view: starting at the
    /// root, a node is replaced by its children while its
    /// [screen-space error](TerrainQuadtree::screen_space_error) exceeds
    /// `max_screen_error_px`. The result covers the grid exactly once.
    /// (No frustum culling: the cut covers the whole grid; cull the
    /// selected nodes' boxes against the view separately.)
    pub fn select(
        &self,
        camera: DVec3,
        viewport_height_px: f64,
        fov_y_rad: f64,
        max_screen_error_px: f64,
        out: &mut Vec<NodeId>,
    ) {
        self.select_draped(
            camera,
            viewport_height_px,
            fov_y_rad,
            max_screen_error_px,
            None,
            out,
        );
    }

    /// [`TerrainQuadtree::select`] for terrain carrying imagery: a node is
    /// also split while a texture of `drape.texture_px` over it would have
    /// texels coarser than `drape.max_texel_px` on screen (see
    /// [`crate::lod::drape`]), so flat ground near the camera still gets
    /// small tiles and sharp imagery.
    pub fn select_draped(
        &self,
        camera: DVec3,
        viewport_height_px: f64,
        fov_y_rad: f64,
        max_screen_error_px: f64,
        drape: Option<&DrapeLod>,
        out: &mut Vec<NodeId>,
    ) {
        let view = crate::lod::LodView {
            camera,
            viewport_height_px,
            fov_y_rad,
            max_screen_error_px,
            drape,
            frustum: None,
        };
        crate::lod::select(self, &view, out);
    }

    /// Every node of one level (clamped to the leaves): a uniform cut.
    pub fn select_uniform(&self, level: u8) -> Vec<NodeId> {
        let l = level.min(self.leaf_level());
        let lv = &self.levels[l as usize];
        (0..lv.ny)
            .flat_map(|y| (0..lv.nx).map(move |x| NodeId::new(l, x as u32, y as u32)))
            .collect()
    }

    /// Vertices [`TerrainQuadtree::node_mesh`] produces for these nodes,
    /// skirts included (each is 32 bytes: position, normal, uv).
    pub fn vertex_count(&self, ids: &[NodeId]) -> usize {
        if self.width == 0 || self.height == 0 {
            return 0;
        }
        ids.iter()
            .map(|&id| {
                let (c0, c1, r0, r1) = self.span(id);
                let s = self.stride(id.level);
                let (nc, nr) = (lattice_len(c0, c1, s), lattice_len(r0, r1, s));
                nc * nr + if nc >= 2 && nr >= 2 { 2 * (nc + nr) } else { 0 }
            })
            .sum()
    }

    /// How far below its edges a node's skirt hangs: the largest error of
    /// the node and of every coarser node sharing an edge with it (the
    /// deepest crack any cut can open along its edges), plus
    /// [`SKIRT_MARGIN_M`].
    pub fn skirt_depth(&self, id: NodeId) -> f64 {
        let mut depth = self.nodes[self.index(id)].geometric_error;
        for k in 0..id.level {
            let shift = u32::from(id.level - k);
            let m = 1u64 << shift;
            let (x, y) = (u64::from(id.x), u64::from(id.y));
            let (ax, ay) = (x >> shift, y >> shift);
            let mut consider = |nx: u64, ny: u64| {
                let n = NodeId::new(k, nx as u32, ny as u32);
                if let Some(node) = self.node(n) {
                    depth = depth.max(node.geometric_error);
                }
            };
            if x % m == 0 && ax > 0 {
                consider(ax - 1, ay);
            }
            if (x + 1) % m == 0 {
                consider(ax + 1, ay);
            }
            if y % m == 0 && ay > 0 {
                consider(ax, ay - 1);
            }
            if (y + 1) % m == 0 {
                consider(ax, ay + 1);
            }
        }
        depth + SKIRT_MARGIN_M
    }

    /// The mesh of one node, cut from the grid the tree was built from:
    /// the surface through the node's lattice samples (triangles touching
    /// nodata are left out) and a skirt along each of its four edges.
    pub fn node_mesh(&self, grid: &Grid, id: NodeId) -> TerrainMesh {
        self.node_mesh_with_skirt(grid, id, 0.0)
    }

    /// [`TerrainQuadtree::node_mesh`] with skirts at least `min_skirt`
    /// metres deep (when coarser neighbours lie outside this tree).
    pub(crate) fn node_mesh_with_skirt(
        &self,
        grid: &Grid,
        id: NodeId,
        min_skirt: f64,
    ) -> TerrainMesh {
        assert!(
            grid.width == self.width && grid.height == self.height,
            "node_mesh: a {}×{} grid for a tree built on {}×{}",
            grid.width,
            grid.height,
            self.width,
            self.height
        );
        let node = &self.nodes[self.index(id)];
        let s = self.stride(id.level);
        let (cols, rows) = self.sample_lattice(id);
        let (nc, nr) = (cols.len(), rows.len());
        let c = node.bbox.center();
        let anchor = DVec3::new(c.x.round(), c.y.round(), 0.0);
        let mut m = TerrainMesh {
            anchor,
            ..TerrainMesh::default()
        };
        if grid.width == 0 || grid.height == 0 {
            return m;
        }
        let n_vert = self.vertex_count(&[id]);
        m.positions.reserve(n_vert);
        m.normals.reserve(n_vert);
        m.uvs.reserve(n_vert);
        let mut valid = Vec::with_capacity(nc * nr);
        let g = Samples {
            data: &grid.data,
            width: grid.width,
            nodata: grid.nodata,
        };
        let fill = node.bbox.min.z;
        let (wl, hl) = (grid.width - 1, grid.height - 1);
        for &r in &rows {
            for &col in &cols {
                let (x, y) = grid.cell_center(col, r);
                let z = g.at(col, r);
                valid.push(z.is_some());
                m.positions.push([
                    (x - anchor.x) as f32,
                    (y - anchor.y) as f32,
                    (z.unwrap_or(fill) - anchor.z) as f32,
                ]);
                // Central differences on this level's lattice (one-sided at
                // the grid's edges and next to nodata): neighbours at the
                // same level compute the same normal on a shared edge.
                let n = match z {
                    None => DVec3::Z,
                    Some(zc) => {
                        let side = |cc: usize, rr: usize| g.at(cc, rr).map(|z| (z, cc, rr));
                        let (zw, cw, _) = side(col.saturating_sub(s), r).unwrap_or((zc, col, r));
                        let (ze, ce, _) = side((col + s).min(wl), r).unwrap_or((zc, col, r));
                        let (zn, _, rn) = side(col, r.saturating_sub(s)).unwrap_or((zc, col, r));
                        let (zs, _, rs) = side(col, (r + s).min(hl)).unwrap_or((zc, col, r));
                        let dzdx = if ce > cw {
                            (ze - zw) / ((ce - cw) as f64 * grid.dx)
                        } else {
                            0.0
                        };
                        // Rows grow southward; y grows northward.
                        let dzdy = if rs > rn {
                            (zn - zs) / ((rs - rn) as f64 * grid.dy)
                        } else {
                            0.0
                        };
                        DVec3::new(-dzdx, -dzdy, 1.0).normalize()
                    }
                };
                m.normals.push(n.as_vec3().to_array());
                m.uvs.push([
                    ((col as f64 + 0.5) / grid.width as f64) as f32,
                    ((r as f64 + 0.5) / grid.height as f64) as f32,
                ]);
            }
        }
        let ok3 =
            |a: u32, b: u32, c: u32| valid[a as usize] && valid[b as usize] && valid[c as usize];
        for j in 0..nr.saturating_sub(1) {
            for i in 0..nc - 1 {
                let a = (j * nc + i) as u32;
                let (b, d) = (a + 1, a + nc as u32);
                let e = d + 1;
                // Counter-clockwise seen from above: rows grow southward.
                if ok3(a, d, b) {
                    m.indices.extend_from_slice(&[a, d, b]);
                }
                if ok3(b, d, e) {
                    m.indices.extend_from_slice(&[b, d, e]);
                }
            }
        }
        if nc < 2 || nr < 2 {
            return m;
        }
        // Skirts: each edge walked clockwise around the tile (seen from
        // above), so the outside is on the left of the walk.
        let depth = self.skirt_depth(id).max(min_skirt) as f32;
        let idx = |i: usize, j: usize| (j * nc + i) as u32;
        let edges: [Vec<u32>; 4] = [
            (0..nc).map(|i| idx(i, 0)).collect(),
            (0..nr).map(|j| idx(nc - 1, j)).collect(),
            (0..nc).rev().map(|i| idx(i, nr - 1)).collect(),
            (0..nr).rev().map(|j| idx(0, j)).collect(),
        ];
        for edge in &edges {
            let base = m.positions.len() as u32;
            for &v in edge {
                let [x, y, z] = m.positions[v as usize];
                m.positions.push([x, y, z - depth]);
                m.normals.push(m.normals[v as usize]);
                m.uvs.push(m.uvs[v as usize]);
            }
            for k in 0..edge.len() - 1 {
                let (p, q) = (edge[k], edge[k + 1]);
                if valid[p as usize] && valid[q as usize] {
                    let (pd, qd) = (base + k as u32, base + k as u32 + 1);
                    m.indices.extend_from_slice(&[p, q, pd, q, qd, pd]);
                }
            }
        }
        debug_assert_eq!(m.positions.len(), n_vert);
        m
    }
}

impl crate::lod::LodTree for TerrainQuadtree {
    type Id = NodeId;

    fn root(&self) -> NodeId {
        TerrainQuadtree::root(self)
    }

    fn parent(&self, id: NodeId) -> Option<NodeId> {
        id.parent()
    }

    fn children_into(&self, id: NodeId, out: &mut Vec<NodeId>) {
        out.extend(self.children(id));
    }

    fn bounds(&self, id: NodeId) -> Bbox {
        self.nodes[self.index(id)].bbox
    }

    fn geometric_error(&self, id: NodeId) -> f64 {
        self.nodes[self.index(id)].geometric_error
    }
}

pub mod paged;

#[cfg(test)]
mod tests;
