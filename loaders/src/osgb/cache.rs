//! The OSGB files a tile source read last: a file with several pages is
//! several tiles, read one by one as they stream in, and each would
//! otherwise parse the whole file again.

use super::{OsgbFile, read_file};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many parsed files are kept.
pub const KEPT_FILES: usize = 16;

/// The last [`KEPT_FILES`] files read, most recent last.
#[derive(Debug, Default)]
pub struct FileCache {
    files: Mutex<Vec<(PathBuf, Arc<OsgbFile>)>>,
}

impl FileCache {
    /// The file at `path`, parsed (or kept from before).
    pub fn get(&self, path: &Path) -> Result<Arc<OsgbFile>, String> {
        if let Some(f) = self.lock().iter().find(|(p, _)| p == path) {
            return Ok(f.1.clone());
        }
        // Read without the lock: other tiles stream meanwhile.
        let file = Arc::new(read_file(path).map_err(|e| e.to_string())?);
        let mut files = self.lock();
        files.retain(|(p, _)| p != path);
        files.push((path.to_path_buf(), file.clone()));
        if files.len() > KEPT_FILES {
            files.remove(0);
        }
        Ok(file)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(PathBuf, Arc<OsgbFile>)>> {
        // A reader that panicked left the list whole: keep using it.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}
