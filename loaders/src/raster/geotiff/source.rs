//! A GeoTIFF file as the full-resolution source of a grid held as an
//! overview ([`GridSource`](cim_core::model::grid_source::GridSource)).

use super::*;

/// The full-resolution cells of a GeoTIFF file, read a window at a time
/// (only the strips or tiles under it are decoded).
#[derive(Debug)]
pub struct GeoTiffSource {
    path: std::path::PathBuf,
    /// Its header, read once when it was loaded.
    info: GeoTiffInfo,
    /// Decoded strips or tiles, shared by neighbouring windows.
    cache: ChunkCache,
}

/// Decoded chunks a streamed GeoTIFF keeps (64 tiles of 512² `f32`).
const STREAM_CACHE_BYTES: usize = 64 << 20;

impl GeoTiffSource {
    /// The file at `path`, whose header says `info`.
    pub fn new(path: &Path, info: GeoTiffInfo) -> GeoTiffSource {
        GeoTiffSource {
            path: path.to_path_buf(),
            info,
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
        self.info.shape()
    }

    fn read_window(&self, col0: usize, row0: usize, w: usize, h: usize) -> Result<Grid, String> {
        let path = &self.path;
        let mut d = open_file(path)
            .and_then(|f| open_decoder(path, f))
            .map_err(|e| e.to_string())?;
        // The file may have been replaced since it was loaded.
        let lay = layout(&mut d, path).map_err(|e| e.to_string())?;
        if (lay.width, lay.height) != (self.info.width, self.info.height) {
            return Err(format!(
                "{}: changed on disk since it was loaded",
                crate::show(path)
            ));
        }
        read_window_in(
            &mut d,
            path,
            &self.info,
            (col0, row0, w, h),
            usize::MAX,
            Some(&self.cache),
        )
        .map_err(|e| e.to_string())
    }
}
