//! A tile source's tree as a stream walks it: the tree the source read
//! when it opened, grown by the branches it reads later under tiles that
//! deferred their children ([`Tile::children_uri`]). A branch is read when
//! the view first wants to refine such a tile, so opening an OSGB dataset
//! of ten thousand blocks reads its ten thousand root files, not the
//! hundreds of thousands of files they page in.
//!
//! The source's tree is shared, not copied: grown tiles are numbered after
//! its tiles, and the children grafted under one of its tiles are kept
//! beside it. Every tile is placed in the scene CRS as it arrives.

use crate::lod::place_content::TilePlace;
use crate::lod::tile_source::{TilePlacement, TileSource};
use crate::lod::tileset::{Branch, Tile, TileId};
use crate::lod::{LodTree, LodView, drape::distance_to_bbox};
use crate::model::geometry::Bbox;
use glam::DVec3;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Tiles a tree grows to at most (some 0.8 GB): a branch past it is
/// refused.
pub const MAX_TILES: usize = 1_000_000;

/// A source's tree as far as it has been read, placed in the scene CRS.
pub struct StreamedTree {
    source: Arc<dyn TileSource>,
    placement: Arc<TilePlacement>,
    /// Tiles read since the source opened, numbered from the source
    /// tree's length, with their scene bounds and request volumes.
    grown: Vec<Grown>,
    /// The children grafted under each expanded tile.
    grafted: HashMap<TileId, Vec<TileId>>,
    /// Tiles whose deferred children were asked for: read, being read,
    /// or not readable (then the tile stays a leaf).
    asked: HashSet<TileId>,
    /// Expansions started and not yet grafted.
    expanding: usize,
    /// The `children_uri`s asked for: each is read once (a file paged in
    /// twice, or by a file it pages in, would grow the tree without end).
    uris: HashSet<String>,
    /// Scene bounds of the source's tiles grown around their grafted
    /// descendants.
    enlarged: HashMap<TileId, Bbox>,
    /// What is wrong and not told yet.
    problems: Vec<String>,
}

struct Grown {
    tile: Tile,
    bounds: Bbox,
    request_volume: Option<Bbox>,
}

impl StreamedTree {
    /// The source's tree, placed by `placement` (made for that tree).
    pub fn new(source: Arc<dyn TileSource>, placement: Arc<TilePlacement>) -> StreamedTree {
        StreamedTree {
            source,
            placement,
            grown: Vec::new(),
            grafted: HashMap::new(),
            asked: HashSet::new(),
            expanding: 0,
            uris: HashSet::new(),
            enlarged: HashMap::new(),
            problems: Vec::new(),
        }
    }

    fn base_len(&self) -> usize {
        self.source.tree().len()
    }

    /// Tiles known so far.
    pub fn len(&self) -> usize {
        self.base_len() + self.grown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tiles read since the source opened.
    pub fn grown_len(&self) -> usize {
        self.grown.len()
    }

    /// The tile `id` (which must be known).
    pub fn tile(&self, id: TileId) -> &Tile {
        let base = self.source.tree();
        match (id as usize).checked_sub(base.len()) {
            None => base.tile(id),
            Some(i) => &self.grown[i].tile,
        }
    }

    /// The tile `id`, if it is known.
    pub fn get(&self, id: TileId) -> Option<&Tile> {
        ((id as usize) < self.len()).then(|| self.tile(id))
    }

    /// The children known of `id`.
    pub fn children(&self, id: TileId) -> &[TileId] {
        match self.grafted.get(&id) {
            Some(c) => c,
            None => &self.tile(id).children,
        }
    }

    /// The scene-CRS bounds of tile `id`.
    pub fn bounds(&self, id: TileId) -> Bbox {
        match (id as usize).checked_sub(self.base_len()) {
            None => self
                .enlarged
                .get(&id)
                .copied()
                .unwrap_or(self.placement.bounds[id as usize]),
            Some(i) => self.grown[i].bounds,
        }
    }

    /// Grows the bounds of `id` and its ancestors around `b` (the culling
    /// of a parent must not hide children that reach past it).
    fn enlarge(&mut self, id: TileId, b: Bbox) {
        let mut at = Some(id);
        while let Some(id) = at {
            let old = self.bounds(id);
            let new = old.union(&b);
            if new == old {
                return;
            }
            match (id as usize).checked_sub(self.base_len()) {
                None => {
                    self.enlarged.insert(id, new);
                }
                Some(i) => self.grown[i].bounds = new,
            }
            at = self.tile(id).parent;
        }
    }

    /// What went wrong since last asked (children named twice), to tell.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    fn request_volume(&self, id: TileId) -> Option<Bbox> {
        match (id as usize).checked_sub(self.base_len()) {
            None => self.placement.request_volumes[id as usize],
            Some(i) => self.grown[i].request_volume,
        }
    }

    /// What reading tile `id`'s content on another thread needs.
    pub fn place_of(&self, id: TileId) -> TilePlace {
        TilePlace {
            world: self.tile(id).world,
            frame: self.placement.frame.clone(),
            anchor: self.bounds(id).center(),
        }
    }

    /// The tree as the selection walks it from `camera`.
    pub fn placed(&self, camera: DVec3) -> PlacedTiles<'_> {
        PlacedTiles { tree: self, camera }
    }

    /// The tiles of `cut` (selected for `view`) that `view` would refine
    /// but whose children are not read yet and not being read, nearest
    /// first.
    pub fn wanted(&self, cut: &[TileId], view: &LodView) -> Vec<TileId> {
        let placed = self.placed(view.camera);
        let mut out: Vec<(f64, TileId)> = cut
            .iter()
            .copied()
            .filter(|&id| self.tile(id).children_uri.is_some() && !self.asked.contains(&id))
            .filter(|&id| view.wants_split(placed.geometric_error(id), &self.bounds(id)))
            .map(|id| (distance_to_bbox(&self.bounds(id), view.camera), id))
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.into_iter().map(|(_, id)| id).collect()
    }

    /// Marks tile `id`'s children as being read; returns a copy of the
    /// tile for the reader (`None`: it has no deferred children, they were
    /// asked for already, or another tile asked for the same ones — told
    /// as a problem, and the tile stays a leaf).
    pub fn begin(&mut self, id: TileId) -> Option<Tile> {
        let uri = self.get(id)?.children_uri.clone()?;
        if !self.asked.insert(id) {
            return None;
        }
        if !self.uris.insert(uri.clone()) {
            self.problems.push(format!(
                "{uri} is paged in more than once (or by a file it pages in); it is read once"
            ));
            return None;
        }
        self.expanding += 1;
        Some(self.tile(id).clone())
    }

    /// Expansions begun and not yet grafted.
    pub fn expanding(&self) -> usize {
        self.expanding
    }

    /// Hangs what was read under tile `id` (begun with [`begin`]) and
    /// places it; returns the branch's problems. A read that failed, or
    /// a branch too deep, too large, malformed or unplaceable, leaves the
    /// tile a leaf for good; the message says why.
    ///
    /// [`begin`]: StreamedTree::begin
    pub fn graft(
        &mut self,
        id: TileId,
        read: Result<Branch, String>,
    ) -> Result<Vec<String>, String> {
        self.expanding = self.expanding.saturating_sub(1);
        let mut branch = read?;
        let Some(parent) = self.get(id) else {
            return Err(format!("tile {id} is not in the tree"));
        };
        if self.grafted.contains_key(&id) {
            return Err(format!("tile {id}'s children were read already"));
        }
        let first = self.len();
        if first + branch.tiles.len() > MAX_TILES {
            return Err(format!(
                "the tree would grow past {MAX_TILES} tiles; it stops here"
            ));
        }
        let problems = std::mem::take(&mut branch.problems);
        let (tiles, top) = branch.link(id, parent.depth, first)?;
        let new = tiles
            .into_iter()
            .map(|tile| {
                let (bounds, request_volume) = self.placement.frame.place(&tile)?;
                Ok(Grown {
                    tile,
                    bounds,
                    request_volume,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let around = new.iter().fold(Bbox::EMPTY, |b, g| b.union(&g.bounds));
        self.grown.extend(new);
        self.grafted.insert(id, top);
        if !around.is_empty() {
            self.enlarge(id, around);
        }
        Ok(problems)
    }
}

/// The tree as the selection walks it, for a camera at `camera`: a tile
/// whose `viewerRequestVolume` does not hold the camera is left out (3D
/// Tiles 1.1 §"Viewer request volume").
pub struct PlacedTiles<'a> {
    pub tree: &'a StreamedTree,
    pub camera: DVec3,
}

impl PlacedTiles<'_> {
    fn visible(&self, id: TileId) -> bool {
        self.tree.request_volume(id).is_none_or(|v| {
            let c = self.camera;
            (v.min.x..=v.max.x).contains(&c.x)
                && (v.min.y..=v.max.y).contains(&c.y)
                && (v.min.z..=v.max.z).contains(&c.z)
        })
    }
}

impl LodTree for PlacedTiles<'_> {
    type Id = TileId;

    fn root(&self) -> TileId {
        0
    }

    fn parent(&self, id: TileId) -> Option<TileId> {
        self.tree.tile(id).parent
    }

    fn children_into(&self, id: TileId, out: &mut Vec<TileId>) {
        out.extend(
            self.tree
                .children(id)
                .iter()
                .copied()
                .filter(|&c| self.visible(c)),
        );
    }

    fn bounds(&self, id: TileId) -> Bbox {
        self.tree.bounds(id)
    }

    /// The tile's geometric error, scaled as its transform scales it (as
    /// CesiumJS does: a model scaled ×100 is off by 100 times as much).
    fn geometric_error(&self, id: TileId) -> f64 {
        let t = self.tree.tile(id);
        let w = &t.world;
        let scale = w
            .x_axis
            .truncate()
            .length()
            .max(w.y_axis.truncate().length())
            .max(w.z_axis.truncate().length());
        t.geometric_error * scale
    }
}

#[cfg(test)]
mod tests;
