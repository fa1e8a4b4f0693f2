//! A tile tree over things placed by their boxes (an OSGB dataset's root
//! files, a CityGML model's buildings): contentless tiles splitting them
//! by place, as a k-d tree does, down to groups small enough to be leaves.

use cim_core::Bbox;
use cim_core::lod::tileset::{BoundingVolume, Refine, Tile, TileId, TileTree};
use glam::DMat4;

/// A REPLACE-refined tile over box `b`, in frame `world`.
pub(crate) fn tile(
    world: DMat4,
    parent: Option<TileId>,
    contents: Vec<cim_core::lod::tileset::ContentRef>,
    geometric_error: f64,
    b: Bbox,
    children_uri: Option<String>,
) -> Tile {
    Tile {
        parent,
        children: Vec::new(),
        bounds: BoundingVolume::from_bbox(&b),
        request_volume: None,
        world,
        geometric_error,
        refine: Refine::Replace,
        contents,
        depth: 0,
        children_uri,
    }
}

/// An error that always opens a contentless tile of box `b` (the root,
/// a group): a thousand times its diagonal.
pub(crate) fn always_open(b: &Bbox) -> f64 {
    (b.max - b.min).length().max(1.0) * 1e3
}

/// The tree over `items`: a contentless root, then, while a group has more
/// than `fanout` items, its quarters (halves of halves, each along the
/// longer side of its items' centres) as contentless tiles. `leaf` hangs
/// a group of at most `fanout` items under the tile given.
pub(crate) fn grouped<T>(
    world: DMat4,
    items: Vec<T>,
    fanout: usize,
    bbox: &impl Fn(&T) -> Bbox,
    leaf: &mut impl FnMut(&mut TileTree, TileId, Vec<T>),
) -> TileTree {
    let b = items.iter().fold(Bbox::EMPTY, |b, i| b.union(&bbox(i)));
    let mut tree = TileTree::default();
    tree.push(tile(world, None, Vec::new(), always_open(&b), b, None));
    group(&mut tree, 0, items, world, fanout.max(1), bbox, leaf);
    tree
}

fn group<T>(
    tree: &mut TileTree,
    parent: TileId,
    items: Vec<T>,
    world: DMat4,
    fanout: usize,
    bbox: &impl Fn(&T) -> Bbox,
    leaf: &mut impl FnMut(&mut TileTree, TileId, Vec<T>),
) {
    if items.len() <= fanout {
        leaf(tree, parent, items);
        return;
    }
    let quarters = halves(items, bbox)
        .into_iter()
        .flat_map(|h| halves(h, bbox));
    for part in quarters.filter(|p| !p.is_empty()) {
        let b = part.iter().fold(Bbox::EMPTY, |b, i| b.union(&bbox(i)));
        let mut t = tile(world, Some(parent), Vec::new(), always_open(&b), b, None);
        t.depth = tree.tile(parent).depth + 1;
        let id = tree.push(t);
        group(tree, id, part, world, fanout, bbox, leaf);
    }
}

/// `items` split in two at the median of their centres along the longer
/// side of the centres' box.
fn halves<T>(mut items: Vec<T>, bbox: &impl Fn(&T) -> Bbox) -> [Vec<T>; 2] {
    let mut centres = Bbox::EMPTY;
    for i in &items {
        centres.extend(bbox(i).center());
    }
    let along_x = centres.max.x - centres.min.x >= centres.max.y - centres.min.y;
    let key = |i: &T| {
        let c = bbox(i).center();
        if along_x { c.x } else { c.y }
    };
    items.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let rest = items.split_off(items.len() / 2);
    [items, rest]
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec3;

    #[test]
    fn groups_split_by_place_down_to_the_fanout() {
        // 100 unit boxes on a line: leaves of at most 8, neighbours together.
        let items: Vec<f64> = (0..100).map(f64::from).collect();
        let bbox = |x: &f64| Bbox {
            min: DVec3::new(*x, 0.0, 0.0),
            max: DVec3::new(x + 1.0, 1.0, 1.0),
        };
        let mut leaves: Vec<Vec<f64>> = Vec::new();
        let tree = grouped(DMat4::IDENTITY, items, 8, &bbox, &mut |_, _, g| {
            leaves.push(g)
        });
        assert_eq!(leaves.iter().map(Vec::len).sum::<usize>(), 100);
        assert!(leaves.iter().all(|g| g.len() <= 8 && !g.is_empty()));
        for g in &leaves {
            let (lo, hi) = g
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            assert!(
                hi - lo < g.len() as f64,
                "a group is a run of neighbours: {g:?}"
            );
        }
        assert!(tree.len() > 1 && tree.tile(0).contents.is_empty());
    }
}
