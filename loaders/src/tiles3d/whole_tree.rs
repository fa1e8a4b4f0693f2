//! A tile source's whole tree, every branch it deferred read (a level at a
//! time, on all cores): what `cim convert` writes and `cim inspect --deep`
//! counts. The viewer reads branches only where the view needs them
//! (`cim_core::lod::streamed_tree`).

use super::summary::parallel_map;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::{TileId, TileTree};

/// Tiles a whole tree is read to at most.
pub const MAX_TILES: usize = 1_000_000;
/// Problems told one by one; the rest are counted (a dataset copied in
/// part has one per file).
pub const MAX_PROBLEMS: usize = 20;

/// `src`'s tree with every deferred branch read, and what was wrong (the
/// first [`MAX_PROBLEMS`], then how many more): a branch that cannot be
/// read leaves its tile a leaf; past [`MAX_TILES`] tiles the rest are
/// left unread.
pub fn whole_tree(src: &dyn TileSource) -> (TileTree, Vec<String>) {
    let mut tree = src.tree().clone();
    let mut problems = Vec::new();
    let mut level = deferred(&tree, 0);
    // Each branch is read once: a file paged in twice, or by a file it
    // pages in, would grow the tree without end.
    let mut seen = std::collections::HashSet::new();
    while !level.is_empty() {
        level.retain(|&id| {
            let t = &mut tree.tiles[id as usize];
            let uri = t.children_uri.clone().unwrap_or_default();
            if seen.insert(uri.clone()) {
                return true;
            }
            t.children_uri = None;
            problems.push(format!(
                "{uri} is paged in more than once (or by a file it pages in); it is read once"
            ));
            false
        });
        let read = {
            let tree = &tree;
            parallel_map(&level, |&id| src.expand(tree.tile(id)))
        };
        let mut next = Vec::new();
        let mut full = false;
        for (id, branch) in level.into_iter().zip(read) {
            let grafted = match branch {
                Ok(b) if tree.len() + b.tiles.len() > MAX_TILES => {
                    if !std::mem::replace(&mut full, true) {
                        problems.push(format!(
                            "the tree has more than {MAX_TILES} tiles; it stops there"
                        ));
                    }
                    Err(None)
                }
                Ok(mut b) => {
                    problems.append(&mut b.problems);
                    tree.graft(id, b).map_err(Some)
                }
                Err(e) => Err(Some(e)),
            };
            match grafted {
                Ok(first) => next.extend(deferred(&tree, first)),
                Err(e) => {
                    tree.tiles[id as usize].children_uri = None;
                    problems.extend(e);
                }
            }
        }
        level = next;
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("… and {more} more problems like these"));
    }
    (tree, problems)
}

/// The tiles from `first` on that defer their children.
fn deferred(tree: &TileTree, first: TileId) -> Vec<TileId> {
    (first..tree.len() as TileId)
        .filter(|&id| tree.tile(id).children_uri.is_some())
        .collect()
}
