//! Errors from the loaders. Every variant names the file (or the member of a
//! zip archive, written `archive.zip/member.shp`) and what is wrong with it,
//! so a message can be shown to a person as it is: the path is shown through
//! [`cim_core::message::path`] and the detail through
//! [`cim_core::message::clip`] (at most [`MAX_DETAIL_CHARS`] characters), so
//! neither a control character in a file name nor a huge value quoted from a
//! file reaches a terminal or a log raw.

use cim_core::message::{clip, path as show};
use std::fmt;
use std::path::{Path, PathBuf};

/// How many characters of detail an error message holds at most.
pub const MAX_DETAIL_CHARS: usize = 1000;

/// Why a file or one layer of it could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{}: {}", show(.path), clip(&.source.to_string(), MAX_DETAIL_CHARS))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path names something other than a regular file (a directory, a
    /// FIFO, a socket, a device), which is refused before it is read: a FIFO
    /// or a terminal would block the reader, `/dev/zero` would never end.
    #[error("{}: not a regular file ({kind}); only regular files are read", show(.path))]
    NotAFile { path: PathBuf, kind: &'static str },
    /// Loading the file would take more memory than this process has to
    /// spare (see [`crate::budget`]).
    #[error(
        "{}: too large: about {} MB in memory, {} MB available",
        show(.path),
        .needed.div_ceil(1_000_000),
        .available / 1_000_000
    )]
    TooLarge {
        path: PathBuf,
        /// Estimated bytes in memory once loaded.
        needed: u64,
        /// Bytes of memory available to the process when it was checked.
        available: u64,
    },
    /// Neither the extension nor the first bytes say what the file is.
    #[error("{}: unknown file type ({})", show(.path), clip(.detail, MAX_DETAIL_CHARS))]
    UnknownFormat { path: PathBuf, detail: String },
    /// The file ends before the data it declares (a cut-off download or copy).
    #[error("{}: truncated: {}", show(.path), clip(.detail, MAX_DETAIL_CHARS))]
    Truncated { path: PathBuf, detail: String },
    /// The bytes contradict the format's specification.
    #[error("{}: invalid {format}: {}", show(.path), clip(.detail, MAX_DETAIL_CHARS))]
    Invalid {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    /// Valid data that uses a feature this reader does not implement.
    #[error("{}: unsupported {format}: {}", show(.path), clip(.detail, MAX_DETAIL_CHARS))]
    Unsupported {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    /// A zip archive that cannot be read.
    #[error(
        "{}: corrupt or unreadable zip archive: {}",
        show(.path),
        clip(.detail, MAX_DETAIL_CHARS)
    )]
    Zip { path: PathBuf, detail: String },
    /// A GeoPackage that SQLite cannot read.
    #[error(
        "{}: GeoPackage (SQLite) error: {}",
        show(.path),
        clip(.detail, MAX_DETAIL_CHARS)
    )]
    Sqlite { path: PathBuf, detail: String },
    /// A requested read lies outside the data (a GeoTIFF window, say).
    #[error("{}: {}", show(.path), clip(.detail, MAX_DETAIL_CHARS))]
    OutOfRange { path: PathBuf, detail: String },
}

/// `detail` cut to [`MAX_DETAIL_CHARS`] when it is stored, so that an error
/// quoting a huge input does not keep it in memory either. Control
/// characters are escaped when the error is shown.
fn bounded(detail: impl fmt::Display) -> String {
    let s = detail.to_string();
    if s.len() <= MAX_DETAIL_CHARS * 4 {
        return s;
    }
    let cut = s
        .char_indices()
        .nth(MAX_DETAIL_CHARS)
        .map_or(s.len(), |(i, _)| i);
    format!("{}… (cut)", &s[..cut])
}

impl LoadError {
    /// The file (or archive member) the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::NotAFile { path, .. }
            | LoadError::TooLarge { path, .. }
            | LoadError::UnknownFormat { path, .. }
            | LoadError::Truncated { path, .. }
            | LoadError::Invalid { path, .. }
            | LoadError::Unsupported { path, .. }
            | LoadError::Zip { path, .. }
            | LoadError::Sqlite { path, .. }
            | LoadError::OutOfRange { path, .. } => path,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        LoadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn truncated(path: &Path, detail: impl fmt::Display) -> Self {
        LoadError::Truncated {
            path: path.to_path_buf(),
            detail: bounded(detail),
        }
    }

    pub(crate) fn invalid(path: &Path, format: &'static str, detail: impl fmt::Display) -> Self {
        LoadError::Invalid {
            path: path.to_path_buf(),
            format,
            detail: bounded(detail),
        }
    }

    pub(crate) fn unsupported(
        path: &Path,
        format: &'static str,
        detail: impl fmt::Display,
    ) -> Self {
        LoadError::Unsupported {
            path: path.to_path_buf(),
            format,
            detail: bounded(detail),
        }
    }

    pub(crate) fn zip(path: &Path, detail: impl fmt::Display) -> Self {
        LoadError::Zip {
            path: path.to_path_buf(),
            detail: bounded(detail),
        }
    }

    pub(crate) fn sqlite(path: &Path, detail: impl fmt::Display) -> Self {
        LoadError::Sqlite {
            path: path.to_path_buf(),
            detail: bounded(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_first() {
        let e = LoadError::truncated(Path::new("data/roads.shp"), "record 3 runs past the end");
        assert_eq!(
            e.to_string(),
            "data/roads.shp: truncated: record 3 runs past the end"
        );
        assert_eq!(e.path(), Path::new("data/roads.shp"));
        let e = LoadError::invalid(Path::new("a.dbf"), "dBASE table", "bad header");
        assert_eq!(e.to_string(), "a.dbf: invalid dBASE table: bad header");
    }

    #[test]
    fn paths_and_details_are_sanitised_and_bounded() {
        let e = LoadError::invalid(
            Path::new("evil\u{1b}[2J.shp"),
            "shapefile",
            format!("value {}\u{7}", "9".repeat(1_000_000)),
        );
        let msg = e.to_string();
        assert!(!msg.chars().any(char::is_control), "{:?}", &msg[..80]);
        assert!(msg.starts_with("evil\\u{1b}[2J.shp: invalid shapefile: value 999"));
        assert!(
            msg.chars().count() < MAX_DETAIL_CHARS + 200,
            "{}",
            msg.len()
        );
        let e = LoadError::Io {
            path: PathBuf::from("a\nb.tif"),
            source: std::io::Error::other("x"),
        };
        assert_eq!(e.to_string(), "a\\nb.tif: x");
        let e = LoadError::TooLarge {
            path: PathBuf::from("big.geojson"),
            needed: 12_600_000_000,
            available: 8_000_000_000,
        };
        assert_eq!(
            e.to_string(),
            "big.geojson: too large: about 12600 MB in memory, 8000 MB available"
        );
    }
}
