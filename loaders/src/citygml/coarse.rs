//! Coarse levels of a CityGML model's tile tree, so that a city seen from
//! afar is drawn cheaply and not missing: every tile above the leaves
//! draws the boxes of up to [`PER_TILE`](super::source::PER_TILE) objects
//! under it, REPLACE-refined by its children. The objects are taken from
//! its children in turn, each child's largest first, so the boxes spread
//! over the whole tile. Its geometric error is four times the size of the
//! largest object it leaves out, or — when it boxes them all — a fifth of
//! the largest box's diagonal (a box standing in for a roof and walls).

use super::model::ObjectId;
use cim_core::Bbox;
use cim_core::lod::tileset::{ContentRef, TileTree};
use std::collections::HashMap;

/// An object left out counts as this many times its size in error: a
/// building is missed well before it would span the 16 px a geometric
/// error is allowed on screen, so it appears at about 4 px.
const OMITTED_WEIGHT: f64 = 4.0;

/// The objects a tile stands for, most telling first, and the size of
/// the largest object under it that they leave out.
#[derive(Clone, Default)]
struct Picked {
    list: Vec<ObjectId>,
    omitted: f64,
}

/// Gives every contentless tile of `tree` the content `coarse=N` (the
/// `N`th list returned: the objects it boxes) and its error. `groups`
/// names the objects of each content tile's `group=N`.
pub(super) fn add_levels(
    tree: &mut TileTree,
    groups: &[Vec<ObjectId>],
    boxes: &HashMap<ObjectId, Bbox>,
    per_tile: usize,
) -> Vec<Vec<ObjectId>> {
    let size = |o: &ObjectId| boxes.get(o).map_or(0.0, |b| (b.max - b.min).length());
    // Tiles come parents before their children: children first here.
    let mut picked: Vec<Picked> = vec![Picked::default(); tree.len()];
    for t in (0..tree.len()).rev() {
        let tile = &tree.tiles[t];
        picked[t] = match tile.contents.first() {
            Some(c) => {
                let mut list = c
                    .uri
                    .strip_prefix("group=")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| groups.get(n))
                    .cloned()
                    .unwrap_or_default();
                // Larger first, by bands of about a fifth; within a band
                // in a scattered order, so that the first few of a group
                // of like buildings spread over it.
                let band = |o: &ObjectId| (size(o).max(1e-3).log2() * 4.0).floor() as i64;
                list.sort_by_key(|o| (std::cmp::Reverse(band(o)), scatter(*o)));
                Picked { list, omitted: 0.0 }
            }
            None => {
                let children: Vec<&Picked> =
                    tile.children.iter().map(|&c| &picked[c as usize]).collect();
                in_turn(&children, per_tile, size)
            }
        };
    }
    let mut lists = Vec::new();
    for (t, p) in picked.into_iter().enumerate() {
        let tile = &mut tree.tiles[t];
        if !tile.contents.is_empty() || p.list.is_empty() {
            continue;
        }
        let largest = p.list.iter().map(size).fold(0.0, f64::max);
        tile.geometric_error = (p.omitted * OMITTED_WEIGHT).max(largest * 0.2);
        tile.contents.push(ContentRef {
            uri: format!("coarse={}", lists.len()),
            bounds: None,
            group: None,
        });
        lists.push(p.list);
    }
    lists
}

/// Up to `n` objects from `children`'s lists, taken in turn (the first of
/// each, then the second of each, …).
fn in_turn(children: &[&Picked], n: usize, size: impl Fn(&ObjectId) -> f64) -> Picked {
    let mut list = Vec::with_capacity(n);
    let mut taken = vec![0; children.len()];
    'rounds: for round in 0.. {
        let mut any = false;
        for (c, child) in children.iter().enumerate() {
            let Some(&o) = child.list.get(round) else {
                continue;
            };
            any = true;
            if list.len() == n {
                break 'rounds;
            }
            list.push(o);
            taken[c] += 1;
        }
        if !any {
            break;
        }
    }
    let omitted = children
        .iter()
        .zip(&taken)
        .flat_map(|(c, &k)| c.list[k..].iter().map(&size).chain([c.omitted]))
        .fold(0.0, f64::max);
    Picked { list, omitted }
}

/// A fixed pseudo-random order of object ids (SplitMix64's finaliser).
fn scatter(o: ObjectId) -> u64 {
    let mut z = u64::from(o).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
