//! Content several tiles share, counted once against the streaming budget.
//!
//! The pages of an OSGB file each draw part of the file's one texture; a
//! glTF's meshes may share an image. Charging every tile the whole texture
//! counts it once per tile, and the budget then believes several times
//! what is resident. Here each holder is charged an equal share, divided
//! again as holders come and go, so the charges add up to what is held.

use std::collections::HashMap;
use std::hash::Hash;

/// Shared items (keyed by `K`, e.g. a GPU image's id) and the tiles
/// (`T`) holding them.
#[derive(Debug)]
pub struct SharedBytes<K, T> {
    /// Each item's bytes and holders.
    items: HashMap<K, (usize, Vec<T>)>,
    /// What each tile holds.
    held: HashMap<T, Vec<K>>,
}

impl<K, T> Default for SharedBytes<K, T> {
    fn default() -> Self {
        SharedBytes {
            items: HashMap::new(),
            held: HashMap::new(),
        }
    }
}

impl<K: Copy + Eq + Hash, T: Copy + Eq + Hash> SharedBytes<K, T> {
    /// Tile `t` holds `items` (key, bytes; each key once). Returns the
    /// tiles whose charge changed, `t` among them.
    ///
    /// ```
    /// use cim_core::lod::shared_bytes::SharedBytes;
    /// let mut s = SharedBytes::default();
    /// s.hold(1, vec![("texture", 4000)]);
    /// assert_eq!(s.charge(1), 4000);
    /// assert_eq!(s.hold(2, vec![("texture", 4000)]), vec![2, 1]);
    /// assert_eq!((s.charge(1), s.charge(2)), (2000, 2000));
    /// assert_eq!(s.release(1), vec![2]);
    /// assert_eq!(s.charge(2), 4000);
    /// ```
    pub fn hold(&mut self, t: T, items: Vec<(K, usize)>) -> Vec<T> {
        let mut changed = self.release(t);
        changed.retain(|&c| c != t);
        changed.insert(0, t);
        let mut keys = Vec::with_capacity(items.len());
        for (k, bytes) in items {
            let (_, holders) = self.items.entry(k).or_insert((bytes, Vec::new()));
            for &h in holders.iter() {
                if !changed.contains(&h) {
                    changed.push(h);
                }
            }
            holders.push(t);
            keys.push(k);
        }
        self.held.insert(t, keys);
        changed
    }

    /// Tile `t` holds nothing any more. Returns the tiles whose charge
    /// changed (the other holders of what it held).
    pub fn release(&mut self, t: T) -> Vec<T> {
        let mut changed = Vec::new();
        for k in self.held.remove(&t).unwrap_or_default() {
            let Some((_, holders)) = self.items.get_mut(&k) else {
                continue;
            };
            holders.retain(|&h| h != t);
            if holders.is_empty() {
                self.items.remove(&k);
                continue;
            }
            for &h in holders.iter() {
                if !changed.contains(&h) {
                    changed.push(h);
                }
            }
        }
        changed
    }

    /// Tile `t`'s share of what it holds, bytes.
    pub fn charge(&self, t: T) -> usize {
        self.held.get(&t).map_or(0, |keys| {
            keys.iter()
                .filter_map(|k| self.items.get(k))
                .map(|(bytes, holders)| bytes / holders.len().max(1))
                .sum()
        })
    }

    /// Bytes of all items held.
    pub fn total(&self) -> usize {
        self.items.values().map(|(b, _)| b).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_to_what_is_held_as_holders_come_and_go() {
        let mut s = SharedBytes::default();
        s.hold(1, vec![(10, 900), (11, 100)]);
        s.hold(2, vec![(10, 900)]);
        s.hold(3, vec![(10, 900)]);
        let sum = |s: &SharedBytes<u32, u32>| (1..=3).map(|t| s.charge(t)).sum::<usize>();
        assert_eq!((s.charge(1), s.charge(2)), (300 + 100, 300));
        assert_eq!(sum(&s), s.total());
        assert_eq!(s.total(), 1000);
        // Holding again replaces what the tile held.
        let changed = s.hold(1, vec![(11, 100)]);
        assert_eq!(changed, vec![1, 2, 3]);
        assert_eq!((s.charge(1), s.charge(2)), (100, 450));
        s.release(2);
        s.release(3);
        assert_eq!(s.total(), 100, "an item no tile holds is gone");
        assert_eq!(s.release(9), Vec::<u32>::new());
    }
}
