//! A GeoTIFF file as the full-resolution source of a grid held as an
//! overview ([`GridSource`](cim_core::model::grid_source::GridSource)).

use super::*;

/// The full-resolution cells of a GeoTIFF file, read a window at a time
/// (only the strips or tiles under it are decoded).
#[derive(Debug)]
pub struct GeoTiffSource {
    path: std::path::PathBuf,
    shape: cim_core::model::grid_source::GridShape,
    /// Decoded strips or tiles, shared by neighbouring windows.
    cache: ChunkCache,
}

/// Decoded chunks a streamed GeoTIFF keeps (64 tiles of 512² `f32`).
const STREAM_CACHE_BYTES: usize = 64 << 20;

impl GeoTiffSource {
    /// The file at `path`, whose full-resolution grid is `shape`.
    pub fn new(path: &Path, shape: cim_core::model::grid_source::GridShape) -> GeoTiffSource {
        GeoTiffSource {
            path: path.to_path_buf(),
            shape,
            cache: ChunkCache::new(STREAM_CACHE_BYTES),
        }
    }

    /// Chunk lookups that were found decoded, and those that were not.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}

impl cim_core::model::grid_source::GridSource for GeoTiffSource {
    fn shape(&self) -> cim_core::model::grid_source::GridShape {
        self.shape
    }

    fn read_window(&self, col0: usize, row0: usize, w: usize, h: usize) -> Result<Grid, String> {
        let g = open_file(&self.path)
            .and_then(|f| {
                read_window_cached(
                    &self.path,
                    f,
                    (col0, row0, w, h),
                    usize::MAX,
                    Some(&self.cache),
                )
            })
            .map_err(|e| e.to_string())?
            .0;
        // The file may have been replaced since it was opened.
        if (g.dx, g.dy) != (self.shape.dx, self.shape.dy) {
            return Err(format!(
                "{}: changed on disk since it was loaded",
                crate::show(&self.path)
            ));
        }
        Ok(g)
    }
}
