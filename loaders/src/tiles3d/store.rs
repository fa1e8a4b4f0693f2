//! Where a tileset's files come from: a folder ([`LocalStore`]) or a web
//! server ([`HttpStore`]). Every URI is resolved against the file that
//! names it. A local tileset must stay inside its root folder (a `../`
//! that climbs out, an absolute path or a `file://` URI is refused), so a
//! tileset cannot make the viewer read arbitrary files; an HTTP tileset may
//! name other http(s) URLs, never a `file://` one.

use crate::tiles::disk_cache::DiskCache;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// A tileset's store, local or remote.
#[derive(Clone, Debug)]
pub enum Store {
    Local(LocalStore),
    Http(HttpStore),
}

impl Store {
    /// `uri` as named by the file at `from` (`""` for the root tileset):
    /// a path below a local root, or an absolute URL.
    pub fn resolve(&self, from: &str, uri: &str) -> Result<String, String> {
        match self {
            Store::Local(s) => s.resolve(from, uri),
            Store::Http(s) => s.resolve(from, uri),
        }
    }

    /// The bytes of a resolved file.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        match self {
            Store::Local(s) => s.read(rel),
            Store::Http(s) => s.read(rel),
        }
    }

    /// How to name a resolved file in a message.
    pub fn show(&self, rel: &str) -> String {
        match self {
            Store::Local(s) => cim_core::message::path(&s.path(rel)),
            Store::Http(_) => cim_core::message::quote(rel).into_owned(),
        }
    }
}

/// A tileset on a web server. Requests time out (a stalled server fails
/// the tile, it does not hang it) and bodies are bounded. Content and
/// binary subtrees are kept in a disk cache; JSON (tilesets, which are
/// republished in place) is always asked for.
#[derive(Clone, Debug)]
pub struct HttpStore {
    client: reqwest::blocking::Client,
    cache: Option<DiskCache>,
}

/// The 3D Tiles download cache: `3dtiles` beside the basemap tile cache
/// (`$XDG_CACHE_HOME/cim-studio/3dtiles`, …).
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::tiles::tile_source::default_cache_dir().map(|d| d.with_file_name("3dtiles"))
}

/// Longest a request may take, headers and body.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

impl HttpStore {
    /// A store for the tileset at `url`; `cache`: where downloads are
    /// kept (`None`: nowhere).
    pub fn new(url: &str, timeout: Duration, cache: Option<PathBuf>) -> Result<HttpStore, String> {
        let client =
            crate::tiles::tile_source::http_client(timeout, url).map_err(|e| e.to_string())?;
        Ok(HttpStore {
            client,
            cache: cache.map(DiskCache::new),
        })
    }

    /// `uri` against the URL `from` (an absolute URL: the root tileset's
    /// own, or a file below it).
    ///
    /// ```
    /// use cim_loaders::tiles3d::store::HttpStore;
    /// let s = HttpStore::new("http://example.com/t/tileset.json", std::time::Duration::from_secs(5), None).unwrap();
    /// let from = "http://example.com/t/sub/tileset.json";
    /// assert_eq!(s.resolve(from, "../a b.b3dm").unwrap(), "http://example.com/t/a%20b.b3dm");
    /// assert!(s.resolve(from, "file:///etc/passwd").is_err());
    /// ```
    pub fn resolve(&self, from: &str, uri: &str) -> Result<String, String> {
        let base = reqwest::Url::parse(from)
            .map_err(|e| format!("{}: {e}", cim_core::message::quote(from)))?;
        let url = base
            .join(uri)
            .map_err(|e| format!("{}: {e}", cim_core::message::quote(uri)))?;
        match url.scheme() {
            "http" | "https" => Ok(url.to_string()),
            other => Err(format!(
                "{}: a {other}: URI in an HTTP tileset is refused",
                cim_core::message::quote(uri)
            )),
        }
    }

    /// GETs `url`: a success status and a body of at most
    /// [`MAX_FILE_BYTES`], within the store's timeout.
    pub fn read(&self, url: &str) -> Result<Vec<u8>, String> {
        let cacheable = !super::names_json(url);
        let cache = self.cache.as_ref().filter(|_| cacheable);
        if let Some(bytes) = cache.and_then(|c| c.get(url)) {
            return Ok(bytes);
        }
        let body = self.download(url)?;
        if let Some(c) = cache {
            // A cache that cannot be written costs a download next time.
            let _ = c.put(url, &body);
        }
        Ok(body)
    }

    fn download(&self, url: &str) -> Result<Vec<u8>, String> {
        use std::io::Read;
        let shown = cim_core::message::quote(url);
        let chain = |e: &reqwest::Error| crate::tiles::tile_source::error_chain(e);
        let resp = self
            .client
            .get(url)
            .send()
            .map_err(|e| format!("{shown}: {}", chain(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("{shown}: HTTP status {}", status.as_u16()));
        }
        let mut body = Vec::new();
        resp.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("{shown}: reading the body: {e}"))?;
        if body.len() as u64 > MAX_FILE_BYTES {
            return Err(format!("{shown}: larger than {MAX_FILE_BYTES} bytes"));
        }
        Ok(body)
    }
}

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
