//! Decoded strips and tiles kept for reuse. Neighbouring windows of a tiled
//! GeoTIFF share tiles (one 512² tile of a COG holds sixteen 129² terrain
//! pages), so a DEM streamed a window at a time decodes each tile once while
//! it is in use instead of once per window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A decoded chunk: its samples and the distance between its rows.
pub(crate) type Chunk = (Arc<Vec<f32>>, usize);

/// Decoded chunks by (image, chunk index), least recently used dropped
/// over a byte budget. Shared by the threads reading one file.
#[derive(Debug)]
pub struct ChunkCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    chunks: HashMap<(usize, usize), (Chunk, u64)>,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl ChunkCache {
    /// A cache holding at most `budget` bytes of decoded samples.
    pub fn new(budget: usize) -> ChunkCache {
        ChunkCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(crate) fn get(&self, image: usize, chunk: usize) -> Option<Chunk> {
        let mut g = self.inner.lock().ok()?;
        g.clock += 1;
        let now = g.clock;
        match g.chunks.get_mut(&(image, chunk)) {
            Some((c, used)) => {
                *used = now;
                let c = c.clone();
                g.hits += 1;
                Some(c)
            }
            None => {
                g.misses += 1;
                None
            }
        }
    }

    pub(crate) fn insert(&self, image: usize, chunk: usize, c: Chunk) {
        let bytes = c.0.len() * 4;
        if bytes > self.budget {
            return;
        }
        let Ok(mut g) = self.inner.lock() else { return };
        g.clock += 1;
        let now = g.clock;
        if let Some(((old, _), _)) = g.chunks.insert((image, chunk), (c, now)) {
            g.bytes -= old.len() * 4;
        }
        g.bytes += bytes;
        while g.bytes > self.budget {
            // A few dozen chunks at most: a scan is cheap.
            let Some(&oldest) = g
                .chunks
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k)
            else {
                break;
            };
            if let Some(((data, _), _)) = g.chunks.remove(&oldest) {
                g.bytes -= data.len() * 4;
            }
        }
    }

    /// Lookups that found their chunk, and those that did not.
    pub fn stats(&self) -> (u64, u64) {
        self.inner.lock().map_or((0, 0), |g| (g.hits, g.misses))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_chunk_goes_over_the_budget() {
        let c = ChunkCache::new(3 * 400);
        let chunk = || (Arc::new(vec![0.0f32; 100]), 10);
        for i in 0..3 {
            c.insert(0, i, chunk());
        }
        assert!(c.get(0, 0).is_some(), "0 is now the most recent");
        c.insert(0, 3, chunk());
        assert!(c.get(0, 1).is_none(), "1 was the least recent");
        assert!(c.get(0, 0).is_some() && c.get(0, 2).is_some() && c.get(0, 3).is_some());
        assert!(c.get(1, 0).is_none(), "another image");
        assert_eq!(c.stats(), (4, 2));
        // Larger than the whole budget: not kept.
        c.insert(0, 9, (Arc::new(vec![0.0; 1000]), 10));
        assert!(c.get(0, 9).is_none());
    }
}
