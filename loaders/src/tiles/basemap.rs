//! Drapes a scene's basemaps: for a patch of ground (a box in the scene
//! CRS) and a texture size, fetches the tiles each basemap needs, composes
//! them into the scene CRS ([`cim_core::imagery::compose`]) and stacks the
//! basemaps over an opaque ground colour.
//!
//! [`BasemapComposer`] is `Sync`: the viewer calls it from a pool of
//! worker threads, one patch (a terrain tile) per call. Decoded tiles are
//! kept in a small in-memory LRU shared by all calls, because neighbouring
//! patches read the same tiles; HTTP tiles are also in the fetcher's disk
//! cache. A tile that cannot be read leaves its area to the layers below
//! (or the ground colour) and is counted, with its error kept for the
//! status bar: a basemap outage must not stop the scene. It is not cached:
//! it is asked for again after a back-off that doubles with each failure
//! (2 s up to 5 min), so a server that comes back fills the gaps while one
//! that stays down is not hammered.

use crate::tiles::tile_source::{FetchOptions, TileFetcher};
use cim_core::crs::{CrsDef, Transformer};
use cim_core::imagery::tiles::TileId;
use cim_core::imagery::{RgbaImage, choose_matrix, compose, tiles_needed};
use cim_core::model::geometry::Bbox;
use cim_core::scene::basemap::Basemap;
use glam::{DVec2, DVec3};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Memory for decoded tiles (256 tiles of 256² RGBA, or 64 of 512²).
const TILE_CACHE_BYTES: usize = 64 << 20;
/// Bytes a cache entry costs besides its pixels (a missing tile's marker).
const ENTRY_OVERHEAD: usize = 64;
/// Wait before asking again for a tile that failed once; doubled per
/// further failure up to [`RETRY_MAX`].
const RETRY_BASE: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// Tiles fetched at once for one patch (HTTP latency dominates).
const PARALLEL_FETCHES: usize = 8;
/// Errors kept for display; later ones are only counted.
const KEPT_ERRORS: usize = 8;

/// The ground colour under the basemaps (shows where no tile exists).
pub const GROUND_RGBA: [u8; 4] = [200, 200, 194, 255];

struct Source {
    label: String,
    opacity: f32,
    fetcher: TileFetcher,
    to_tms: Transformer,
}

type TileKey = (usize, TileId);

/// Composes the visible basemaps of a scene for patches of its ground.
pub struct BasemapComposer {
    sources: Vec<Source>,
    cache: Mutex<TileLru>,
    /// Tiles whose last fetch failed: how often, and when to try again.
    retry: Mutex<HashMap<TileKey, (u32, Instant)>>,
    failures: AtomicU64,
    errors: Mutex<Vec<String>>,
}

/// How long to wait after the `n`-th failure in a row of a tile (n ≥ 1).
///
/// ```
/// use cim_loaders::tiles::basemap::retry_after;
/// use std::time::Duration;
/// assert_eq!(retry_after(1), Duration::from_secs(2));
/// assert_eq!(retry_after(3), Duration::from_secs(8));
/// assert_eq!(retry_after(40), Duration::from_secs(300));
/// ```
pub fn retry_after(n: u32) -> Duration {
    RETRY_BASE
        .saturating_mul(1 << n.saturating_sub(1).min(16))
        .min(RETRY_MAX)
}

impl std::fmt::Debug for BasemapComposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasemapComposer")
            .field(
                "sources",
                &self.sources.iter().map(|s| &s.label).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BasemapComposer {
    /// Opens the visible basemaps for a scene in `scene_crs`. A basemap
    /// that cannot be opened (unreachable capabilities, a bad template, a
    /// tile CRS PROJ cannot reach) is left out with an error naming it;
    /// `None` when none could be opened (or none is visible).
    pub fn open(
        scene_crs: &CrsDef,
        basemaps: &[Basemap],
        options: &FetchOptions,
    ) -> (Option<BasemapComposer>, Vec<String>) {
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for (i, b) in basemaps.iter().enumerate().filter(|(_, b)| b.visible) {
            let label = if b.name.is_empty() {
                format!("basemap {}", i + 1)
            } else {
                format!("basemap `{}`", b.name)
            };
            let opened = TileFetcher::new(&b.source, options)
                .map_err(|e| e.to_string())
                .and_then(|fetcher| {
                    let to_tms = Transformer::new(scene_crs, &fetcher.tile_matrix_set().crs)
                        .map_err(|e| e.to_string())?;
                    Ok((fetcher, to_tms))
                });
            match opened {
                Ok((fetcher, to_tms)) => sources.push(Source {
                    label,
                    opacity: b.opacity.clamp(0.0, 1.0),
                    fetcher,
                    to_tms,
                }),
                Err(e) => errors.push(format!("{label}: {e}")),
            }
        }
        let composer = (!sources.is_empty()).then(|| BasemapComposer {
            sources,
            cache: Mutex::new(TileLru::default()),
            retry: Mutex::new(HashMap::new()),
            failures: AtomicU64::new(0),
            errors: Mutex::new(Vec::new()),
        });
        (composer, errors)
    }

    /// The opened basemaps' labels, bottom first.
    pub fn labels(&self) -> Vec<&str> {
        self.sources.iter().map(|s| s.label.as_str()).collect()
    }

    /// A `width × height` north-up image of the ground inside `target`
    /// (scene CRS): the basemaps, bottom first, over [`GROUND_RGBA`].
    /// Always opaque.
    pub fn compose(&self, target: Bbox, width: u32, height: u32) -> RgbaImage {
        let mut out = RgbaImage::new(width, height);
        for px in out.data.chunks_exact_mut(4) {
            px.copy_from_slice(&GROUND_RGBA);
        }
        for (i, s) in self.sources.iter().enumerate() {
            let to_tms = |p: DVec2| {
                s.to_tms
                    .transform(DVec3::new(p.x, p.y, 0.0))
                    .ok()
                    .filter(|q| q.is_finite())
                    .map(|q| q.truncate())
            };
            let tms = s.fetcher.tile_matrix_set();
            let matrix = choose_matrix(target, width, &to_tms, tms);
            let needed = tiles_needed(target, width, height, &to_tms, tms, matrix);
            let tiles = self.tiles(i, &needed);
            let layer = compose(target, width, height, &to_tms, tms, matrix, &mut |t| {
                tiles.get(&t).and_then(|img| img.as_ref().as_ref().cloned())
            });
            blend_over(&mut out, &layer, s.opacity);
        }
        out
    }

    /// Tiles that could not be read so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The first few tile errors (each names the URL or file), once each:
    /// the list is emptied by the call.
    pub fn take_errors(&self) -> Vec<String> {
        self.errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// The tiles `ids` of source `i`, from the memory cache or fetched
    /// (several at once); a tile that cannot be read is `None`.
    fn tiles(&self, i: usize, ids: &[TileId]) -> HashMap<TileId, Arc<Option<RgbaImage>>> {
        let mut have = HashMap::new();
        let mut missing = Vec::new();
        let now = Instant::now();
        let waiting = |t: TileId| {
            self.retry
                .lock()
                .is_ok_and(|r| r.get(&(i, t)).is_some_and(|(_, at)| *at > now))
        };
        if let Ok(mut cache) = self.cache.lock() {
            for &t in ids {
                match cache.get(&(i, t)) {
                    Some(img) => {
                        have.insert(t, img);
                    }
                    // Failed lately: left out until its back-off is over.
                    None if waiting(t) => {}
                    None => missing.push(t),
                }
            }
        }
        let fetcher = &self.sources[i].fetcher;
        for batch in missing.chunks(PARALLEL_FETCHES) {
            let fetched: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = batch
                    .iter()
                    .map(|&t| scope.spawn(move || (t, fetcher.fetch(t))))
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            let mut cache = self.cache.lock().ok();
            let mut retry = self.retry.lock().ok();
            for (t, result) in fetched {
                match result {
                    Ok(img) => {
                        let img = Arc::new(img);
                        if let Some(c) = cache.as_mut() {
                            c.put((i, t), img.clone());
                        }
                        if let Some(r) = retry.as_mut() {
                            r.remove(&(i, t));
                        }
                        have.insert(t, img);
                    }
                    Err(e) => {
                        self.record(e.to_string());
                        if let Some(r) = retry.as_mut() {
                            let n = r.get(&(i, t)).map_or(1, |(n, _)| n + 1);
                            r.insert((i, t), (n, Instant::now() + retry_after(n)));
                        }
                    }
                }
            }
        }
        have
    }

    fn record(&self, error: String) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut e) = self.errors.lock()
            && e.len() < KEPT_ERRORS
        {
            e.push(error);
        }
    }

    /// Ends every back-off now (tests: "later" without waiting).
    #[cfg(test)]
    fn end_backoff(&self) {
        if let Ok(mut r) = self.retry.lock() {
            for (_, at) in r.values_mut() {
                *at = Instant::now();
            }
        }
    }
}

/// `over` (straight alpha) drawn over `base` with extra `opacity`.
fn blend_over(base: &mut RgbaImage, over: &RgbaImage, opacity: f32) {
    for (b, o) in base.data.chunks_exact_mut(4).zip(over.data.chunks_exact(4)) {
        let a = f32::from(o[3]) / 255.0 * opacity;
        if a <= 0.0 {
            continue;
        }
        let ba = f32::from(b[3]) / 255.0;
        let out_a = a + ba * (1.0 - a);
        for k in 0..3 {
            let c = (f32::from(o[k]) * a + f32::from(b[k]) * ba * (1.0 - a)) / out_a;
            b[k] = c.round().clamp(0.0, 255.0) as u8;
        }
        b[3] = (out_a * 255.0).round() as u8;
    }
}

/// Least-recently-used decoded tiles (`None`: known to be missing), within
/// a budget of bytes: tiles of 512² cost four times those of 256².
struct TileLru {
    entries: HashMap<TileKey, (Arc<Option<RgbaImage>>, u64, usize)>,
    clock: u64,
    bytes: usize,
    budget: usize,
}

impl Default for TileLru {
    fn default() -> Self {
        TileLru::with_budget(TILE_CACHE_BYTES)
    }
}

impl TileLru {
    fn with_budget(budget: usize) -> Self {
        TileLru {
            entries: HashMap::new(),
            clock: 0,
            bytes: 0,
            budget,
        }
    }

    fn get(&mut self, k: &TileKey) -> Option<Arc<Option<RgbaImage>>> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(k).map(|e| {
            e.1 = now;
            e.0.clone()
        })
    }

    fn put(&mut self, k: TileKey, v: Arc<Option<RgbaImage>>) {
        self.clock += 1;
        let size = ENTRY_OVERHEAD + v.as_ref().as_ref().map_or(0, |img| img.data.len());
        if let Some(old) = self.entries.insert(k, (v, self.clock, size)) {
            self.bytes -= old.2;
        }
        self.bytes += size;
        // The newest entry always stays, however large.
        while self.bytes > self.budget && self.entries.len() > 1 {
            let Some(oldest) = self.entries.iter().min_by_key(|e| e.1.1).map(|e| *e.0) else {
                break;
            };
            if let Some(gone) = self.entries.remove(&oldest) {
                self.bytes -= gone.2;
            }
        }
    }
}

#[cfg(test)]
mod tests;
