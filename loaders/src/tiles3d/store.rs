//! Where a tileset's files come from. A local tileset is a folder: every
//! URI it names is resolved against the file that names it, and must stay
//! inside the tileset's root folder (a `../` that climbs out, an absolute
//! path or a `file://` URI is refused), so a tileset cannot make the
//! viewer read arbitrary files.

use std::path::{Component, Path, PathBuf};

/// Largest file read as one tile, tileset or subtree.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A tileset's folder on disk.
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The store of the folder holding `tileset_json`.
    pub fn for_tileset(tileset_json: &Path) -> LocalStore {
        let root = tileset_json
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        LocalStore { root }
    }

    /// `uri` as named by the file at `from` (a path relative to the root,
    /// `""` for the root tileset), as a path relative to the root.
    ///
    /// ```
    /// use cim_loaders::tiles3d::store::LocalStore;
    /// let s = LocalStore::for_tileset(std::path::Path::new("/data/city/tileset.json"));
    /// assert_eq!(s.resolve("sub/tileset.json", "../b%20c.b3dm?v=2").unwrap(), "b c.b3dm");
    /// assert!(s.resolve("", "../../etc/passwd").is_err());
    /// assert!(s.resolve("", "file:///etc/passwd").is_err());
    /// ```
    pub fn resolve(&self, from: &str, uri: &str) -> Result<String, String> {
        let uri = uri.split(['?', '#']).next().unwrap_or("");
        if uri.contains("://") || uri.starts_with('/') || uri.starts_with('\\') {
            return Err(format!(
                "{}: an absolute URI in a local tileset is refused",
                cim_core::message::quote(uri)
            ));
        }
        let decoded = percent_decode(uri);
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let mut parts: Vec<String> = Vec::new();
        for c in base.join(&decoded).components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(format!(
                            "{}: climbs out of the tileset's folder",
                            cim_core::message::quote(uri)
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "{}: not a relative path",
                        cim_core::message::quote(uri)
                    ));
                }
            }
        }
        Ok(parts.join("/"))
    }

    /// The file at `rel` (from [`resolve`](Self::resolve)) on disk.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads the file at `rel`: a regular file of at most
    /// [`MAX_FILE_BYTES`].
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        use std::io::Read;
        let path = self.path(rel);
        let (file, len) = crate::source_file::open_sized(&path).map_err(|e| e.to_string())?;
        if len > MAX_FILE_BYTES {
            return Err(format!(
                "{}: {len} bytes, more than the {MAX_FILE_BYTES} a tile may hold",
                cim_core::message::path(&path),
            ));
        }
        let mut out = Vec::with_capacity(len as usize);
        file.take(MAX_FILE_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: {e}", cim_core::message::path(&path)))?;
        Ok(out)
    }
}

/// `%XX` escapes decoded (an invalid escape stays as it is).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
