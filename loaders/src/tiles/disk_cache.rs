//! A disk cache of downloaded files keyed by URL, shared by basemap tiles
//! and 3D Tiles content: one file per URL under a folder, named by a
//! 128-bit FNV-1a hash of the URL (two-letter subfolders keep folders
//! small), written through a temporary file and a rename so a reader
//! (another thread, another CIM Studio) never sees half a file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Debug)]
pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub fn new(dir: PathBuf) -> DiskCache {
        DiskCache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `url` is kept.
    pub fn path(&self, url: &str) -> PathBuf {
        let key = format!("{:032x}", fnv1a_128(url.as_bytes()));
        self.dir.join(&key[..2]).join(&key)
    }

    pub fn get(&self, url: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(url)).ok()
    }

    pub fn remove(&self, url: &str) {
        let _ = std::fs::remove_file(self.path(url));
    }

    /// Keeps `bytes` for `url`; the error names the file that could not be
    /// written.
    pub fn put(&self, url: &str, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let path = self.path(url);
        let dir = path.parent().expect("cache paths have a parent");
        std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
        let tmp = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&tmp, bytes).map_err(|e| (tmp.clone(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            (path.clone(), e)
        })
    }
}

/// 128-bit FNV-1a (Fowler–Noll–Vo), enough to tell URLs apart.
fn fnv1a_128(data: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    data.iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_stable() {
        // FNV-1a 128 test vectors (draft-eastlake-fnv): "" and "a".
        assert_eq!(super::fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(super::fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn files_come_back_and_go() {
        let dir = tempfile::tempdir().unwrap();
        let c = super::DiskCache::new(dir.path().to_path_buf());
        assert!(c.get("http://a/b").is_none());
        c.put("http://a/b", b"abc").unwrap();
        assert_eq!(c.get("http://a/b").as_deref(), Some(&b"abc"[..]));
        assert!(c.get("http://a/c").is_none());
        c.remove("http://a/b");
        assert!(c.get("http://a/b").is_none());
    }
}
