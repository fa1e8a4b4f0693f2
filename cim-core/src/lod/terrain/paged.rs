//! Terrain finer than memory holds: the quadtree of an in-memory overview
//! of a DEM, with *pages* of the full-resolution DEM under its leaves, read
//! a window at a time from a [`GridSource`] (a tiled GeoTIFF with
//! overviews, a COG) as the camera comes near.
//!
//! The overview's quadtree ([`TerrainQuadtree::build`]) gives the levels
//! above its leaves. Each of its leaves is the root of a page: the window
//! of full-resolution cells between the same cell centres, with a quadtree
//! of its own, built the same way when the window is read, so the page's
//! errors are exact with respect to the full-resolution surface. Global
//! node `(L, x, y)` with `L ≥ page_level` is node `(k, x − px·2ᵏ, y − py·2ᵏ)`
//! of page `(px, py) = (x >> k, y >> k)`, `k = L − page_level`: the pages
//! continue the overview's 2 × 2 subdivision, and neighbouring pages share
//! their edge cells, so their meshes meet.
//!
//! A page root is drawn from the overview (its leaf, in memory: no wait,
//! however fast the camera moves). Its other nodes are known once the page
//! is read: until then the root counts as a leaf; when a view would refine
//! it, the caller reads the page ([`PagedTerrain::page_read`]) and hands it
//! over ([`PagedTerrain::insert_page`]); from then on the selection refines
//! into it as into any subtree — as a 3D Tiles external tileset is expanded
//! when its content arrives.
//!
//! The overview's own errors are measured against the overview. The detail
//! it leaves out is estimated as half the error of the overview's finest
//! refinement under each node (the roughness of natural terrain about halves
//! with each halving of the sample spacing; Cesium's heightmap terrain makes
//! the same kind of estimate per level), and added, so the selection reaches
//! for the pages where the overview was rough (and, for a page not read
//! yet, at least a quarter of an overview cell). Skirts are deepened by the
//! same estimate where an overview tile meets a page.

use super::{NodeId, TerrainMesh, TerrainNode, TerrainQuadtree};
use crate::lod::LodTree;
use crate::model::geometry::Bbox;
use crate::model::grid::Grid;
use crate::model::grid_source::{GridShape, GridSource};
use std::collections::HashMap;
use std::sync::Arc;

/// A page is named by the overview leaf it replaces: `(x, y)` at the page
/// level.
pub type PageKey = (u32, u32);

/// Full-resolution cells under one overview leaf, and their quadtree.
#[derive(Debug)]
pub struct Page {
    grid: Grid,
    tree: TerrainQuadtree,
    /// Skirts hang at least this deep (the overview tiles around the page
    /// may be coarser than anything inside it).
    min_skirt: f64,
}

impl Page {
    /// Memory the page holds: its cells and its nodes.
    pub fn bytes(&self) -> usize {
        self.grid.data.len() * 4 + self.tree.node_count() * std::mem::size_of::<TerrainNode>()
    }

    /// Levels below the page root (0: the root is at full resolution).
    pub fn depth(&self) -> u8 {
        self.tree.leaf_level()
    }
}

#[derive(Debug)]
struct Detail {
    source: Arc<dyn GridSource>,
    full: GridShape,
    overview: GridShape,
    /// The overview's leaf level: the level of the page roots.
    page_level: u8,
    /// Estimated detail the overview leaves out under each overview node,
    /// metres, by node index.
    extra: Vec<f64>,
    pages: HashMap<PageKey, Arc<Page>>,
}

/// The level-of-detail tree of one DEM: its overview's quadtree, and the
/// pages of full-resolution cells read so far (none without a source).
#[derive(Debug)]
pub struct PagedTerrain {
    overview: Arc<TerrainQuadtree>,
    detail: Option<Detail>,
}

/// Where a node's content comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    Overview(NodeId),
    Page { key: PageKey, local: NodeId },
}

/// The work of making one node's mesh, to run on a worker thread.
#[derive(Debug)]
pub enum TileJob {
    /// Cut from the overview grid (the layer's in-memory grid).
    Overview {
        tree: Arc<TerrainQuadtree>,
        id: NodeId,
        min_skirt: f64,
    },
    /// Cut from a page already read.
    Page { page: Arc<Page>, local: NodeId },
}

impl TileJob {
    /// Makes the mesh. `overview_grid` is the grid the overview tree was
    /// built from.
    pub fn run(self, overview_grid: &Grid) -> TerrainMesh {
        match self {
            TileJob::Overview {
                tree,
                id,
                min_skirt,
            } => tree.node_mesh_with_skirt(overview_grid, id, min_skirt),
            TileJob::Page { page, local } => {
                page.tree
                    .node_mesh_with_skirt(&page.grid, local, page.min_skirt)
            }
        }
    }
}

/// The reading of one page, to run on a worker thread.
#[derive(Debug)]
pub struct PageRead {
    source: Arc<dyn GridSource>,
    /// Column, row, width, height in full-resolution cells.
    window: [usize; 4],
    /// Quads per side of the page's tiles (the overview's).
    tile_cells: usize,
    min_skirt: f64,
}

impl PageRead {
    /// Reads the window and builds the page's tree. Errors name the source
    /// and the window.
    pub fn run(self) -> Result<Arc<Page>, String> {
        let [c, r, w, h] = self.window;
        let grid = self.source.read_window(c, r, w, h)?;
        if (grid.width, grid.height) != (w, h) {
            return Err(format!(
                "{:?}: asked for {w}×{h} cells at ({c}, {r}), got {}×{}",
                self.source, grid.width, grid.height
            ));
        }
        let tree = TerrainQuadtree::build(&grid, self.tile_cells);
        Ok(Arc::new(Page {
            grid,
            tree,
            min_skirt: self.min_skirt,
        }))
    }
}

impl PagedTerrain {
    /// The tree of a DEM whose in-memory grid is `overview_grid` (with its
    /// quadtree `overview`), paged from `source` when that is finer. A
    /// source no finer than the overview is not used.
    pub fn new(
        overview: Arc<TerrainQuadtree>,
        overview_grid: &Grid,
        source: Option<Arc<dyn GridSource>>,
    ) -> PagedTerrain {
        let detail = source
            .filter(|s| {
                let full = s.shape();
                full.width > overview_grid.width || full.height > overview_grid.height
            })
            .map(|source| Detail {
                full: source.shape(),
                source,
                overview: GridShape::of(overview_grid),
                page_level: overview.leaf_level(),
                extra: estimated_detail(&overview),
                pages: HashMap::new(),
            });
        PagedTerrain { overview, detail }
    }

    /// The level of the page roots (the overview's leaves), if paged.
    pub fn page_level(&self) -> Option<u8> {
        self.detail.as_ref().map(|d| d.page_level)
    }

    /// Pages in memory, and their bytes.
    pub fn pages_resident(&self) -> (usize, usize) {
        self.detail.as_ref().map_or((0, 0), |d| {
            (d.pages.len(), d.pages.values().map(|p| p.bytes()).sum())
        })
    }

    fn place(&self, id: NodeId) -> Place {
        match &self.detail {
            Some(d) if id.level >= d.page_level => {
                let k = u32::from(id.level - d.page_level);
                let key = (id.x >> k, id.y >> k);
                Place::Page {
                    key,
                    local: NodeId::new(k as u8, id.x - (key.0 << k), id.y - (key.1 << k)),
                }
            }
            _ => Place::Overview(id),
        }
    }

    /// Whether `id` is the root of a page.
    pub fn is_page_root(&self, id: NodeId) -> bool {
        matches!(self.place(id), Place::Page { local, .. } if local == NodeId::ROOT)
    }

    /// Whether the page under page root `id` has been read.
    pub fn has_page(&self, id: NodeId) -> bool {
        match (self.place(id), &self.detail) {
            (Place::Page { key, .. }, Some(d)) => d.pages.contains_key(&key),
            _ => false,
        }
    }

    /// The reading of the page under page root `id`, when it is one and
    /// its page is not in.
    pub fn page_read(&self, id: NodeId) -> Option<PageRead> {
        let d = self.detail.as_ref()?;
        let Place::Page { key, local } = self.place(id) else {
            return None;
        };
        if local != NodeId::ROOT || d.pages.contains_key(&key) {
            return None;
        }
        Some(PageRead {
            source: d.source.clone(),
            window: self.page_window(key)?,
            tile_cells: self.overview.tile_cells(),
            min_skirt: self.page_skirt(key),
        })
    }

    /// The estimated detail under overview node `id` (0 without pages).
    fn extra(&self, id: NodeId) -> f64 {
        match &self.detail {
            Some(d) if id.level < d.page_level => d.extra[self.overview.index(id)],
            _ => 0.0,
        }
    }

    /// The job that makes node `id`'s mesh; `None` for a node not in the
    /// tree (or in a page not read yet). Page roots are cut from the
    /// overview, so they never wait for a read.
    pub fn job(&self, id: NodeId) -> Option<TileJob> {
        match (self.place(id), &self.detail) {
            (Place::Overview(id), _) => self.overview.contains(id).then(|| TileJob::Overview {
                tree: self.overview.clone(),
                id,
                min_skirt: self.overview.skirt_depth(id) + self.extra(id),
            }),
            (Place::Page { key, local }, Some(d)) if local == NodeId::ROOT => {
                let leaf = NodeId::new(d.page_level, key.0, key.1);
                self.overview.contains(leaf).then(|| TileJob::Overview {
                    tree: self.overview.clone(),
                    id: leaf,
                    min_skirt: self.overview.skirt_depth(leaf).max(self.page_skirt(key)),
                })
            }
            (Place::Page { key, local }, Some(d)) => {
                let page = d.pages.get(&key)?;
                page.tree.contains(local).then(|| TileJob::Page {
                    page: page.clone(),
                    local,
                })
            }
            (Place::Page { .. }, None) => None,
        }
    }

    /// The full-resolution window of a page: the cells between the centres
    /// of the overview leaf's first and last cells (to the grid's edge for
    /// the last leaves of a row or column).
    fn page_window(&self, key: PageKey) -> Option<[usize; 4]> {
        let d = self.detail.as_ref()?;
        let leaf = NodeId::new(d.page_level, key.0, key.1);
        if !self.overview.contains(leaf) {
            return None;
        }
        let (c0, c1, r0, r1) = self.overview.span(leaf);
        let (o, f) = (&d.overview, &d.full);
        let x = |c: usize| o.x0 + (c as f64 + 0.5) * o.dx;
        let y = |r: usize| o.y0 - (r as f64 + 0.5) * o.dy;
        let j0 = if c0 == 0 { 0 } else { f.col_of(x(c0)) };
        let j1 = if c1 + 1 >= o.width {
            f.width - 1
        } else {
            f.col_of(x(c1))
        };
        let i0 = if r0 == 0 { 0 } else { f.row_of(y(r0)) };
        let i1 = if r1 + 1 >= o.height {
            f.height - 1
        } else {
            f.row_of(y(r1))
        };
        Some([j0, i0, j1.max(j0) - j0 + 1, i1.max(i0) - i0 + 1])
    }

    /// How deep a page's skirts hang at least: as deep as the overview
    /// tile its root replaces would, with the detail estimate.
    fn page_skirt(&self, key: PageKey) -> f64 {
        match &self.detail {
            Some(d) if d.page_level > 0 => {
                let parent = NodeId::new(d.page_level - 1, key.0 / 2, key.1 / 2);
                self.overview.skirt_depth(parent) + self.extra(parent)
            }
            _ => 0.0,
        }
    }

    /// Takes the page read for node `id` (a page root): its nodes join the
    /// tree.
    pub fn insert_page(&mut self, id: NodeId, page: Arc<Page>) {
        if let (Place::Page { key, .. }, Some(d)) = (self.place(id), &mut self.detail) {
            d.pages.insert(key, page);
        }
    }

    /// Node `id`'s content was dropped: a page root takes its page with it
    /// (its nodes leave the tree until it is read again).
    pub fn forget(&mut self, id: NodeId) {
        if self.is_page_root(id)
            && let (Place::Page { key, .. }, Some(d)) = (self.place(id), &mut self.detail)
        {
            d.pages.remove(&key);
        }
    }
}

/// Half the error of the overview's finest refinement (its leaves'
/// parents), carried up as a maximum: see the module notes.
fn estimated_detail(t: &TerrainQuadtree) -> Vec<f64> {
    let mut extra = vec![0.0; t.node_count()];
    let leaf = t.leaf_level();
    for l in (0..leaf).rev() {
        let lv = t.levels[l as usize];
        for i in lv.first..lv.first + lv.nx * lv.ny {
            let id = t.nodes[i].id;
            extra[i] = if l + 1 == leaf {
                0.5 * t.nodes[i].geometric_error
            } else {
                t.children(id)
                    .map(|c| extra[t.index(c)])
                    .fold(0.0, f64::max)
            };
        }
    }
    extra
}

impl LodTree for PagedTerrain {
    type Id = NodeId;

    fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    fn parent(&self, id: NodeId) -> Option<NodeId> {
        id.parent()
    }

    fn children_into(&self, id: NodeId, out: &mut Vec<NodeId>) {
        match (self.place(id), &self.detail) {
            (Place::Overview(id), _) => out.extend(self.overview.children(id)),
            (Place::Page { key, local }, Some(d)) => {
                if let Some(p) = d.pages.get(&key) {
                    out.extend(p.tree.children(local).map(|c| {
                        let k = u32::from(c.level);
                        NodeId::new(
                            d.page_level + c.level,
                            (key.0 << k) + c.x,
                            (key.1 << k) + c.y,
                        )
                    }));
                }
            }
            (Place::Page { .. }, None) => {}
        }
    }

    fn bounds(&self, id: NodeId) -> Bbox {
        match (self.place(id), &self.detail) {
            (Place::Page { key, local }, Some(d)) => match d.pages.get(&key) {
                Some(p) => LodTree::bounds(&p.tree, local),
                None => {
                    let leaf = NodeId::new(d.page_level, key.0, key.1);
                    LodTree::bounds(&*self.overview, leaf)
                }
            },
            _ => LodTree::bounds(&*self.overview, id),
        }
    }

    /// A page root not read yet may hide the detail its parent's estimate
    /// says, and at least a quarter of an overview cell (the detail
    /// between samples that the overview cannot show at all; Cesium
    /// estimates heightmap tiles the same way), so a view near enough
    /// wants its page; read, its own exact error.
    fn geometric_error(&self, id: NodeId) -> f64 {
        match (self.place(id), &self.detail) {
            (Place::Page { key, local }, Some(d)) => match d.pages.get(&key) {
                Some(p) => LodTree::geometric_error(&p.tree, local),
                None => {
                    let parent = (d.page_level > 0)
                        .then(|| self.extra(NodeId::new(d.page_level - 1, key.0 / 2, key.1 / 2)));
                    parent
                        .unwrap_or(0.0)
                        .max(0.25 * d.overview.dx.max(d.overview.dy))
                }
            },
            _ => LodTree::geometric_error(&*self.overview, id) + self.extra(id),
        }
    }
}

#[cfg(test)]
mod tests;
