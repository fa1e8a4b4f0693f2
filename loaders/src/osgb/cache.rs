//! The OSGB files a tile source read last: a file with several pages is
//! several tiles, read one by one as they stream in, and each would
//! otherwise parse the whole file again.

use super::mesh::TextureMemo;
use super::{OsgbFile, read_file};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many parsed files are kept.
pub const KEPT_FILES: usize = 16;

/// A parsed file and the textures decoded from it so far.
pub type Kept = (Arc<OsgbFile>, Arc<TextureMemo>);

/// The last [`KEPT_FILES`] files read, most recent last.
#[derive(Debug, Default)]
pub struct FileCache {
    files: Mutex<Vec<(PathBuf, Kept)>>,
}

impl FileCache {
    /// The file at `path`, parsed (or kept from before), with its textures.
    pub fn get(&self, path: &Path) -> Result<Kept, String> {
        if let Some((_, kept)) = self.lock().iter().find(|(p, _)| p == path) {
            return Ok(kept.clone());
        }
        // Read without the lock: other tiles stream meanwhile.
        let file = Arc::new(read_file(path).map_err(|e| e.to_string())?);
        let kept = (file, Arc::new(TextureMemo::default()));
        let mut files = self.lock();
        files.retain(|(p, _)| p != path);
        files.push((path.to_path_buf(), kept.clone()));
        if files.len() > KEPT_FILES {
            files.remove(0);
        }
        Ok(kept)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(PathBuf, Kept)>> {
        // A reader that panicked left the list whole: keep using it.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}
