//! Basemap tile sources: where the tiles of a [`TileMatrixSet`] come from,
//! as stored in the scene document ([`TileSource`]), and how they are read
//! ([`TileFetcher`]): local files directly, HTTP(S) through a disk cache.
//!
//! ```toml
//! [basemap]
//! kind = "xyz"
//! url = "https://t{s}.tianditu.gov.cn/DataServer?T=img_w&x={x}&y={y}&l={z}&tk=KEY"
//! subdomains = ["0", "1", "2", "3", "4", "5", "6", "7"]
//! tms = "web_mercator"   # or "cgcs2000" (Tianditu `_c`)
//! max_zoom = 18
//! ```
//!
//! The fetcher is `Sync`: the viewer may fetch tiles from several threads
//! (see `cim_core::imagery::tiles_needed`) and then compose with
//! `cim_core::imagery::compose`.

use crate::tiles::disk_cache::DiskCache;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use std::time::Duration;

use cim_core::imagery::RgbaImage;
use cim_core::imagery::tiles::{
    TileId, TileMatrixSet, TileUrlVars, TilesError, expand_tile_url, parse_wmts_capabilities,
};
pub use cim_core::scene::basemap::{TileSource, TmsRef};

/// The largest tile or capabilities body read (a tile is typically 5–50 KB).
const MAX_BODY_BYTES: u64 = 16 << 20;
/// The largest decoded tile edge (tiles are 256 or 512 px).
const MAX_TILE_EDGE: u32 = 4096;

/// Why a tile source could not be opened or a tile not be read. Every
/// variant names the URL or file.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// Connection, TLS, timeout or transfer failure.
    #[error("{url}: {detail}")]
    Http { url: String, detail: String },
    /// An HTTP status other than success or 404.
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    /// The body is not a PNG or JPEG image we can decode.
    #[error("{url}: not a readable PNG or JPEG tile: {detail}")]
    Decode { url: String, detail: String },
    /// A local tile, capabilities file or the cache could not be read or written.
    #[error("{}: {source}", cim_core::message::path(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The capabilities or a URL template are unusable.
    #[error("{url}: {source}")]
    Tiles {
        url: String,
        #[source]
        source: TilesError,
    },
    /// Offline, and the capabilities document is not in the cache.
    #[error("{url}: not in the tile cache, and offline")]
    NotCached { url: String },
    /// The source's settings contradict each other.
    #[error("{url}: {detail}")]
    Config { url: String, detail: String },
}

/// How a [`TileFetcher`] reaches the network and its cache.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The disk cache; `None` uses [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Do not cache at all (local sources are never cached).
    pub no_cache: bool,
    /// Use only the cache: no network requests (tiles not cached are missing).
    pub offline: bool,
    /// Per request: connecting plus reading the body.
    pub timeout: Duration,
    /// Relative `Folder` paths and capabilities files are resolved against
    /// this (the scene document's folder); `None`: the working directory.
    pub base_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cache_dir: None,
            no_cache: false,
            offline: false,
            timeout: Duration::from_secs(20),
            base_dir: None,
        }
    }
}

/// The tile cache folder: `$XDG_CACHE_HOME/cim-studio/tiles`, else
/// `~/.cache/cim-studio/tiles` (XDG Base Directory spec); on Windows
/// `%LOCALAPPDATA%\cim-studio\tiles`, on macOS `~/Library/Caches/cim-studio/tiles`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| env("HOME").map(|h| h.join(".cache")))
    }?;
    Some(base.join("cim-studio").join("tiles"))
}

/// Reads the tiles of one [`TileSource`].
pub struct TileFetcher {
    tms: TileMatrixSet,
    /// The tile URL or path template (see `expand_tile_url`).
    template: String,
    subdomains: Vec<String>,
    style: String,
    /// For relative local templates: the folder they are relative to.
    local_base: Option<PathBuf>,
    http: Option<reqwest::blocking::Client>,
    cache: Option<DiskCache>,
    offline: bool,
}

impl std::fmt::Debug for TileFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileFetcher")
            .field("tms", &self.tms.id)
            .field("template", &self.template)
            .field("cache_dir", &self.cache_dir())
            .field("offline", &self.offline)
            .finish()
    }
}

impl TileFetcher {
    /// Opens a source: picks its tile matrix set (for WMTS: reads the
    /// capabilities, from the cache when offline or when the service cannot
    /// be reached) and checks its URL template.
    pub fn new(source: &TileSource, options: &FetchOptions) -> Result<TileFetcher, TileError> {
        let cache = if options.no_cache {
            None
        } else {
            options
                .cache_dir
                .clone()
                .or_else(default_cache_dir)
                .map(DiskCache::new)
        };
        let resolve = |p: &Path| match &options.base_dir {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.to_path_buf(),
        };
        let mut f = TileFetcher {
            tms: TmsRef::WebMercator.tile_matrix_set(),
            template: String::new(),
            subdomains: Vec::new(),
            style: String::new(),
            local_base: None,
            http: None,
            cache,
            offline: options.offline,
        };
        match source {
            TileSource::Xyz {
                url,
                subdomains,
                tms,
                min_zoom,
                max_zoom,
            } => {
                f.tms = restrict_levels(tms.tile_matrix_set(), *min_zoom, *max_zoom).map_err(
                    |detail| TileError::Config {
                        url: url.clone(),
                        detail,
                    },
                )?;
                f.template = url.clone();
                f.subdomains = subdomains.clone();
                if !is_http(url) {
                    f.local_base = options.base_dir.clone();
                }
            }
            TileSource::Folder { path, pattern, tms } => {
                let dir = resolve(path);
                // A folder that is not there would show as nothing but
                // missing tiles: say so once, now.
                if !dir.is_dir() {
                    return Err(TileError::Io {
                        path: dir,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no such tile folder",
                        ),
                    });
                }
                f.tms = tms.tile_matrix_set();
                f.template = pattern.clone();
                f.local_base = Some(dir);
            }
            TileSource::Wmts {
                url,
                layer,
                style,
                tile_matrix_set,
                format,
            } => {
                if is_http(url) && !options.offline {
                    f.http = Some(http_client(options.timeout, url)?);
                }
                let xml = f.read_capabilities(url, &resolve)?;
                let caps = parse_wmts_capabilities(&xml).map_err(|source| TileError::Tiles {
                    url: url.clone(),
                    source,
                })?;
                let (set, template) = caps
                    .resolve(layer, style, tile_matrix_set, format)
                    .map_err(|source| TileError::Tiles {
                        url: url.clone(),
                        source,
                    })?;
                f.tms = set;
                f.template = template;
                f.style = style.clone();
                if !is_http(&f.template) && !is_http(url) {
                    // A ResourceURL relative to a local capabilities file.
                    f.local_base = resolve(Path::new(strip_file_scheme(url)))
                        .parent()
                        .map(Path::to_path_buf);
                }
            }
        }
        if f.tms.matrices.is_empty() {
            return Err(TileError::Config {
                url: f.template.clone(),
                detail: "the tile matrix set has no levels".to_string(),
            });
        }
        if f.http.is_none() && is_http(&f.template) && !options.offline {
            f.http = Some(http_client(options.timeout, &f.template)?);
        }
        // Surfaces template errors (unknown placeholders, {s} without
        // subdomains) now rather than once per tile.
        f.tile_url(TileId {
            matrix: 0,
            col: 0,
            row: 0,
        })?;
        Ok(f)
    }

    /// The tile matrix set the source's tiles are in; [`TileId::matrix`]
    /// indexes its matrices.
    pub fn tile_matrix_set(&self) -> &TileMatrixSet {
        &self.tms
    }

    /// The disk cache in use, if any.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.as_ref().map(DiskCache::dir)
    }

    /// The URL (or path) of a tile.
    pub fn tile_url(&self, tile: TileId) -> Result<String, TileError> {
        let m = self
            .tms
            .matrices
            .get(tile.matrix)
            .ok_or_else(|| TileError::Config {
                url: self.template.clone(),
                detail: format!("no tile matrix {} in \"{}\"", tile.matrix, self.tms.id),
            })?;
        let vars = TileUrlVars {
            matrix_id: &m.id,
            col: tile.col,
            row: tile.row,
            matrix_height: m.matrix_height,
            subdomains: &self.subdomains,
            style: &self.style,
            tile_matrix_set: &self.tms.id,
        };
        expand_tile_url(&self.template, &vars).map_err(|source| TileError::Tiles {
            url: self.template.clone(),
            source,
        })
    }

    /// Reads and decodes one tile. `Ok(None)`: there is no such tile (outside
    /// the matrix, a missing file, HTTP 404/204, or offline and not cached).
    pub fn fetch(&self, tile: TileId) -> Result<Option<RgbaImage>, TileError> {
        let Some(m) = self.tms.matrices.get(tile.matrix) else {
            return Ok(None);
        };
        if tile.col >= m.matrix_width || tile.row >= m.matrix_height {
            return Ok(None);
        }
        let url = self.tile_url(tile)?;
        if !is_http(&url) {
            let path = self.local_path(&url);
            return match std::fs::read(&path) {
                Ok(bytes) => decode_tile(&bytes, &path.display().to_string()).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(TileError::Io { path, source }),
            };
        }
        if let Some(bytes) = self.cache_get(&url) {
            match decode_tile(&bytes, &url) {
                Ok(img) => return Ok(Some(img)),
                // A damaged cache entry: drop it and download again.
                Err(_) => self.cache_remove(&url),
            }
        }
        if self.offline {
            return Ok(None);
        }
        let Some(bytes) = self.download(&url)? else {
            return Ok(None);
        };
        let img = decode_tile(&bytes, &url)?;
        self.cache_put(&url, &bytes)?;
        Ok(Some(img))
    }

    fn local_path(&self, location: &str) -> PathBuf {
        let p = Path::new(strip_file_scheme(location));
        match &self.local_base {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// The capabilities XML, from the file, the network or (offline, or the
    /// network failing) the cache.
    fn read_capabilities(
        &self,
        url: &str,
        resolve: &dyn Fn(&Path) -> PathBuf,
    ) -> Result<String, TileError> {
        let bytes = if is_http(url) {
            let cached = self.cache_get(url);
            if self.offline {
                cached.ok_or_else(|| TileError::NotCached {
                    url: url.to_string(),
                })?
            } else {
                match self.download(url) {
                    Ok(Some(b)) => {
                        self.cache_put(url, &b)?;
                        b
                    }
                    Ok(None) => {
                        return Err(TileError::Status {
                            url: url.to_string(),
                            status: 404,
                        });
                    }
                    Err(e) => cached.ok_or(e)?,
                }
            }
        } else {
            let path = resolve(Path::new(strip_file_scheme(url)));
            read_limited(&path)?
        };
        String::from_utf8(bytes).map_err(|_| TileError::Tiles {
            url: url.to_string(),
            source: TilesError::Xml("not UTF-8 text".to_string()),
        })
    }

    /// GET; `Ok(None)` for 404 and 204.
    fn download(&self, url: &str) -> Result<Option<Vec<u8>>, TileError> {
        let client = self.http.as_ref().ok_or_else(|| TileError::Config {
            url: url.to_string(),
            detail: "no HTTP client for this source".to_string(),
        })?;
        let http_err = |e: reqwest::Error| TileError::Http {
            url: url.to_string(),
            detail: error_chain(&e),
        };
        let resp = client.get(url).send().map_err(http_err)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(TileError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        resp.take(MAX_BODY_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| TileError::Http {
                url: url.to_string(),
                detail: format!("reading the body: {e}"),
            })?;
        if body.len() as u64 > MAX_BODY_BYTES {
            return Err(TileError::Http {
                url: url.to_string(),
                detail: format!("body larger than {MAX_BODY_BYTES} bytes"),
            });
        }
        Ok(Some(body))
    }

    fn cache_get(&self, url: &str) -> Option<Vec<u8>> {
        self.cache.as_ref()?.get(url)
    }

    fn cache_remove(&self, url: &str) {
        if let Some(c) = &self.cache {
            c.remove(url);
        }
    }

    fn cache_put(&self, url: &str, bytes: &[u8]) -> Result<(), TileError> {
        match &self.cache {
            Some(c) => c
                .put(url, bytes)
                .map_err(|(path, source)| TileError::Io { path, source }),
            None => Ok(()),
        }
    }
}

/// Keeps the levels whose identifier, read as a number, lies in
/// `min..=max` (identifiers that are not numbers are kept).
fn restrict_levels(
    mut tms: TileMatrixSet,
    min: Option<u32>,
    max: Option<u32>,
) -> Result<TileMatrixSet, String> {
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err(format!("min_zoom {a} is above max_zoom {b}"));
    }
    tms.matrices.retain(|m| {
        m.id.parse::<u32>().map_or(true, |z| {
            min.is_none_or(|a| z >= a) && max.is_none_or(|b| z <= b)
        })
    });
    if tms.matrices.is_empty() {
        return Err(format!(
            "no level of \"{}\" lies within min_zoom..=max_zoom",
            tms.id
        ));
    }
    Ok(tms)
}

pub(crate) fn http_client(
    timeout: Duration,
    url: &str,
) -> Result<reqwest::blocking::Client, TileError> {
    // reqwest is built without a default crypto provider (to avoid aws-lc's
    // C build); use ring's. An error means one is installed already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .user_agent(concat!("CIM-Studio/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| TileError::Http {
            url: url.to_string(),
            detail: format!("cannot set up the HTTP client: {}", error_chain(&e)),
        })
}

/// An error with its causes ("error sending request: connection refused").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

fn is_http(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn strip_file_scheme(s: &str) -> &str {
    s.strip_prefix("file://").unwrap_or(s)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, TileError> {
    let io = |source| TileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    f.take(MAX_BODY_BYTES).read_to_end(&mut buf).map_err(io)?;
    Ok(buf)
}

/// Decodes a PNG or JPEG tile (by its signature, whatever the URL or
/// Content-Type say: Tianditu serves format "tiles"). `what` names the tile
/// in errors.
pub fn decode_tile(bytes: &[u8], what: &str) -> Result<RgbaImage, TileError> {
    let err = |detail: String| TileError::Decode {
        url: what.to_string(),
        detail,
    };
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| err(e.to_string()))?;
    if reader.format().is_none() {
        let head: String = bytes
            .iter()
            .take(16)
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        return Err(err(format!("unknown signature \"{head}\"")));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TILE_EDGE);
    limits.max_image_height = Some(MAX_TILE_EDGE);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| err(e.to_string()))?
        .into_rgba8();
    let (w, h) = img.dimensions();
    Ok(RgbaImage::from_raw(w, h, img.into_raw()).expect("RGBA8 buffers are w·h·4 bytes"))
}

#[cfg(test)]
mod tests;
