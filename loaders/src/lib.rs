//! # cim-loaders
//!
//! Reads GIS files into [`cim_core`] layers: ESRI Shapefiles (also zipped),
//! GeoJSON, GeoPackage vector tables, ESRI ASCII grids and GeoTIFF DEMs.
//! No Bevy: the viewer and the `cim` command-line tool both use it.
//!
//! * [`load_all`] gives one result per layer in a file, so a bad layer in a
//!   zip archive or GeoPackage does not hide the good ones, with the warnings
//!   of each layer (an unparsable `.prj`, say);
//! * [`load_path`] is the all-or-nothing form;
//! * [`inspect_path`] / [`inspect_paths`] summarise files for `cim inspect`;
//! * [`raster::geotiff::read_window`] and [`raster::geotiff::read_decimated`] read parts or
//!   overviews of rasters too large to load whole;
//! * [`tiles::basemap`] composes a scene's basemaps for a patch of ground;
//! * [`tiles::tile_source`] reads basemap tiles (XYZ, WMTS, a folder) for
//!   `cim_core::imagery`, with a disk cache for HTTP(S).
//!
//! A side file that cannot be understood — an unparsable `.prj`, a GeoJSON
//! `crs` member or GeoTIFF GeoKeys naming no known CRS, an unknown `.cpg`
//! code page — does not fail the layer: it loads with `crs: None` (or a
//! guessed encoding) and a warning naming the file. The geometry and
//! attributes are intact and the viewer can let the user assign a CRS, while
//! refusing the layer would lose data over metadata. Damaged data itself (a
//! truncated `.shp`, a `.dbf` with fewer records than the `.shp` has shapes,
//! a corrupt zip member, an unsupported GeoTIFF compression) is an error.
//!
//! Every reader checks declared lengths and counts against the bytes actually
//! present before allocating, so truncated or hostile files give a
//! [`LoadError`] naming the file instead of a panic or an unbounded
//! allocation. Beyond that:
//!
//! * every file is opened by [`source_file::open_regular`], which refuses
//!   FIFOs, devices and directories without blocking on them;
//! * headers are read and checked before bodies, and a load whose estimated
//!   size in memory exceeds half of what the process can still get is refused
//!   ([`budget`]);
//! * data a reader cannot keep (features, fields, values) is never dropped
//!   silently: the layer's warnings say how much and why;
//! * text from files and paths reaches messages only through
//!   [`cim_core::message`]: bounded, control characters escaped.

pub mod archive;
pub mod budget;
pub mod citygml;
pub mod convert;
mod crs;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod ifc;
pub mod inspect;
pub mod osgb;
pub mod pipes;
pub mod raster;
pub mod source_file;
pub mod tiles;
pub mod tiles3d;
pub mod vector;

pub use error::LoadError;
pub use inspect::{InspectReport, LayerReport, inspect_path, inspect_path_with, inspect_paths};
pub use tiles::tile_source::{FetchOptions, TileError, TileFetcher, TileSource, TmsRef};

use cim_core::Layer;
use std::path::Path;

/// A path as it may appear in a message (see [`cim_core::message::path`]).
pub(crate) fn show(path: &Path) -> String {
    cim_core::message::path(path)
}

/// A number read from a file, as it may appear in a message: in exponent
/// form when its plain form would be long (`1e308`, not 309 digits).
pub(crate) fn show_num(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() > 24 {
        format!("{v:e}")
    } else {
        plain
    }
}

/// A layer read from a file, with what the reader had to say about it
/// (problems that did not stop it loading, e.g. an unrecognised `.prj`, a
/// raster read at reduced resolution, values that could not be parsed).
/// Each warning names the file it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub layer: Layer,
    pub warnings: Vec<String>,
    /// The full-resolution cells of a raster loaded as an overview (too
    /// large to hold), read a window at a time as the terrain needs them.
    pub detail: Option<cim_core::model::grid_source::SharedSource>,
}

/// The file formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileFormat {
    Shapefile,
    Zip,
    GeoJson,
    GeoPackage,
    AsciiGrid,
    GeoTiff,
}

impl FileFormat {
    /// The short name used in [`cim_core::Layer::format`] and by `cim inspect`.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Shapefile => "ESRI Shapefile",
            FileFormat::Zip => "Zip archive",
            FileFormat::GeoJson => "GeoJSON",
            FileFormat::GeoPackage => "GeoPackage",
            FileFormat::AsciiGrid => "ESRI ASCII Grid",
            FileFormat::GeoTiff => "GeoTIFF",
        }
    }

    /// The format a file name's extension stands for (case-insensitive).
    pub fn from_extension(name: &str) -> Option<FileFormat> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "shp" => FileFormat::Shapefile,
            "zip" => FileFormat::Zip,
            "geojson" | "json" => FileFormat::GeoJson,
            "gpkg" => FileFormat::GeoPackage,
            "asc" => FileFormat::AsciiGrid,
            "tif" | "tiff" => FileFormat::GeoTiff,
            _ => return None,
        })
    }

    /// The format the first bytes of a file announce, if any.
    pub fn from_magic(head: &[u8]) -> Option<FileFormat> {
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let first_text = text.iter().copied().find(|b| !b.is_ascii_whitespace());
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(FileFormat::Zip)
        } else if head.starts_with(b"SQLite format 3\0") {
            Some(FileFormat::GeoPackage)
        } else if head.starts_with(b"II*\0")
            || head.starts_with(b"MM\0*")
            || head.starts_with(b"II+\0")
            || head.starts_with(b"MM\0+")
        {
            Some(FileFormat::GeoTiff)
        } else if head.starts_with(&[0, 0, 0x27, 0x0A]) {
            Some(FileFormat::Shapefile)
        } else if first_text == Some(b'{') {
            Some(FileFormat::GeoJson)
        } else if String::from_utf8_lossy(text)
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("ncols")
        {
            Some(FileFormat::AsciiGrid)
        } else {
            None
        }
    }
}

/// Says what format `path` is in: by extension first, then by its first
/// bytes. A shapefile's side files (`.dbf`, `.shx`, …) and unknown types are
/// errors that say so.
pub fn detect_format(path: &Path) -> Result<FileFormat, LoadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(f) = FileFormat::from_extension(&name) {
        return Ok(f);
    }
    let mut head = [0u8; 64];
    let n = read_head(path, &mut head)?;
    if let Some(f) = FileFormat::from_magic(&head[..n]) {
        return Ok(f);
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let detail = match ext.as_str() {
        "dbf" | "shx" | "prj" | "cpg" | "sbn" | "sbx" => {
            format!(".{ext} is a side file of a shapefile: open the .shp next to it")
        }
        "" => "no extension and no known signature".to_string(),
        _ => format!(
            "extension .{ext} and the first bytes match none of: shapefile (.shp, .zip), \
             GeoJSON, GeoPackage, ESRI ASCII grid (.asc), GeoTIFF, \
             CityGML (.gml/.xml whose root element is a CityModel)"
        ),
    };
    Err(LoadError::UnknownFormat {
        path: path.to_path_buf(),
        detail,
    })
}

fn read_head(path: &Path, buf: &mut [u8]) -> Result<usize, LoadError> {
    let mut f = source_file::open_regular(path)?;
    source_file::read_up_to(&mut f, path, buf)
}

/// Loads every layer of a file, one result per layer: a shapefile, GeoJSON,
/// ASCII grid or GeoTIFF gives one; a zip archive one per shapefile (or other
/// supported file) inside; a GeoPackage one per feature table. A file that
/// cannot be opened or recognised at all gives a single error.
pub fn load_all(path: &Path) -> Vec<Result<Loaded, LoadError>> {
    if tiles3d::is_tileset(path) {
        return vec![tiles3d::source::load(path)];
    }
    if osgb::is_osgb(path) || osgb::is_dataset(path) {
        return vec![osgb::source::load(path)];
    }
    if citygml::is_citygml(path) {
        return vec![citygml::load(path)];
    }
    if ifc::is_ifc(path) {
        return vec![ifc::load(path)];
    }
    if pipes::is_inp(path) {
        return pipes::load(path);
    }
    let format = match detect_format(path) {
        Ok(f) => f,
        Err(e) => return vec![Err(e)],
    };
    match format {
        FileFormat::Shapefile => vec![vector::shapefile::load(path)],
        FileFormat::Zip => archive::load(path),
        FileFormat::GeoJson => vec![vector::geojson::load(path)],
        FileFormat::GeoPackage => vector::gpkg::load(path),
        FileFormat::AsciiGrid => vec![raster::ascii_grid::load(path)],
        FileFormat::GeoTiff => vec![raster::geotiff::load(path)],
    }
}

/// Loads every layer of a file, failing with the first error if any layer
/// fails (use [`load_all`] to keep the layers that did load, and the
/// warnings).
pub fn load_path(path: &Path) -> Result<Vec<Layer>, LoadError> {
    load_all(path)
        .into_iter()
        .map(|r| r.map(|l| l.layer))
        .collect()
}

/// The name of a layer read from `path`: the file name without its
/// extension(s) (`roads.shp.zip` → `roads`).
pub fn layer_name(path: &Path) -> String {
    if let Some(folder) = tiles3d::folder_name(path) {
        return folder;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    while let Some((s, ext)) = stem.rsplit_once('.') {
        let citygml = ["gml", "xml", "citygml", "gz", "ifc", "ifczip"]
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e));
        if s.is_empty() || (FileFormat::from_extension(&format!("x.{ext}")).is_none() && !citygml) {
            break;
        }
        stem = s;
    }
    stem.to_string()
}

/// Reads a whole regular file, refusing files over `max` bytes and files
/// whose size times `factor` does not fit the memory [`budget`].
pub(crate) fn read_file_limited(path: &Path, max: u64, factor: f64) -> Result<Vec<u8>, LoadError> {
    let (f, len) = source_file::open_sized(path)?;
    if len <= max {
        budget::check(path, budget::scaled(len, factor))?;
    }
    source_file::read_rest(f, path, Vec::new(), len, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_extension_and_magic() {
        assert_eq!(
            FileFormat::from_extension("A.SHP"),
            Some(FileFormat::Shapefile)
        );
        assert_eq!(
            FileFormat::from_extension("roads.shp.zip"),
            Some(FileFormat::Zip)
        );
        assert_eq!(FileFormat::from_extension("x.dbf"), None);
        assert_eq!(
            FileFormat::from_magic(b"\xEF\xBB\xBF {\"type\""),
            Some(FileFormat::GeoJson)
        );
        assert_eq!(
            FileFormat::from_magic(b"NCOLS 4\n"),
            Some(FileFormat::AsciiGrid)
        );
        assert_eq!(
            FileFormat::from_magic(b"II*\0\x08\0\0\0"),
            Some(FileFormat::GeoTiff)
        );
        assert_eq!(
            FileFormat::from_magic(&[0, 0, 0x27, 0x0A, 0]),
            Some(FileFormat::Shapefile)
        );
        assert_eq!(FileFormat::from_magic(b"hello"), None);
    }

    #[test]
    fn layer_names_drop_known_extensions() {
        assert_eq!(layer_name(Path::new("a/Roads_2016.shp.zip")), "Roads_2016");
        assert_eq!(layer_name(Path::new("dem.tif")), "dem");
        assert_eq!(layer_name(Path::new("v1.2.geojson")), "v1.2");
        assert_eq!(
            layer_name(Path::new("city/LoD2_Zhuhai.gml.gz")),
            "LoD2_Zhuhai"
        );
    }

    #[test]
    fn unknown_files_and_side_files_say_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.txt");
        std::fs::write(&p, "just some text").unwrap();
        let e = load_path(&p).unwrap_err();
        assert!(matches!(e, LoadError::UnknownFormat { .. }), "{e}");
        assert!(e.to_string().contains("notes.txt"), "{e}");
        let p = dir.path().join("roads.dbf");
        std::fs::write(&p, [3u8, 0, 0, 0]).unwrap();
        let e = load_path(&p).unwrap_err().to_string();
        assert!(e.contains("open the .shp"), "{e}");
        let e = load_path(&dir.path().join("missing.shp")).unwrap_err();
        assert!(matches!(e, LoadError::Io { .. }), "{e}");
    }

    #[test]
    fn extensionless_files_are_sniffed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("download");
        std::fs::write(
            &p,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
        )
        .unwrap();
        let layers = load_path(&p).unwrap();
        assert_eq!(layers[0].format, "GeoJSON");
        assert_eq!(layers[0].feature_count(), 1);
    }
}
