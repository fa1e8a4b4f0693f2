//! Errors from the loaders. Every variant names the file (or the member of a
//! zip archive, written `archive.zip/member.shp`) and what is wrong with it,
//! so a message can be shown to a person as it is.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a file or one layer of it could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Neither the extension nor the first bytes say what the file is.
    #[error("{}: unknown file type ({detail})", .path.display())]
    UnknownFormat { path: PathBuf, detail: String },
    /// The file ends before the data it declares (a cut-off download or copy).
    #[error("{}: truncated: {detail}", .path.display())]
    Truncated { path: PathBuf, detail: String },
    /// The bytes contradict the format's specification.
    #[error("{}: invalid {format}: {detail}", .path.display())]
    Invalid {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    /// Valid data that uses a feature this reader does not implement.
    #[error("{}: unsupported {format}: {detail}", .path.display())]
    Unsupported {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    /// A zip archive that cannot be read.
    #[error("{}: corrupt or unreadable zip archive: {detail}", .path.display())]
    Zip { path: PathBuf, detail: String },
    /// A GeoPackage that SQLite cannot read.
    #[error("{}: GeoPackage (SQLite) error: {detail}", .path.display())]
    Sqlite { path: PathBuf, detail: String },
    /// A requested read lies outside the data (a GeoTIFF window, say).
    #[error("{}: {detail}", .path.display())]
    OutOfRange { path: PathBuf, detail: String },
}

impl LoadError {
    /// The file (or archive member) the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Io { path, .. }
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
            detail: detail.to_string(),
        }
    }

    pub(crate) fn invalid(path: &Path, format: &'static str, detail: impl fmt::Display) -> Self {
        LoadError::Invalid {
            path: path.to_path_buf(),
            format,
            detail: detail.to_string(),
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
            detail: detail.to_string(),
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
}
