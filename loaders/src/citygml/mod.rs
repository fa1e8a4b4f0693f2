//! CityGML 1.0 / 2.0 / 3.0 (OGC 12-019, OGC 20-010) city models: `.gml`
//! and `.xml` files, also gzipped.
//!
//! - [`read`]: one streaming pass (`quick-xml`) → [`model::CityModel`]:
//!   city objects (buildings and their parts, bridges, tunnels, …) with
//!   their attributes (thematic, generic, addresses), thematic surfaces
//!   and polygons at LOD0–4, `xlink:href` geometry references resolved;
//!   [`appearance`] materials and textures, [`implicit`] placements of
//!   shared prototypes.
//! - [`srs`]: the `srsName` as a CRS (EPSG forms, compound CRSs, AdV names).
//! - [`source`]: the model as a [`cim_core::lod::tile_source::TileSource`]
//!   (objects grouped into tiles by place), drawn by the 3D Tiles engine;
//!   [`mesh`] makes one tile's content (triangles coloured by surface,
//!   feature ids of objects, parts and surfaces over their attributes).
//! - [`summary`]: what `cim inspect` reports.

pub mod appearance;
mod capped;
pub mod coarse;
pub mod implicit;
pub mod mesh;
pub mod model;
mod names;
pub mod read;
pub mod source;
pub mod srs;
pub mod summary;

use crate::{LoadError, Loaded};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Bytes on disk → memory while the model is held: each coordinate's text
/// (8–12 bytes) becomes an 8-byte f64, the text is not kept. Measured on
/// the generated model of the `citygml` bench (`benches/citygml.rs`):
/// `cim inspect` of 100 000 LOD2 buildings (467 MB) peaks at 578 MB RSS,
/// 51 MB of it the process itself: 1.13×.
pub const CITYGML_FACTOR: f64 = 1.5;

/// A gzipped model's expansion on top of [`CITYGML_FACTOR`]: XML
/// compresses about tenfold.
pub const GZIP_FACTOR: f64 = 12.0;

/// How far into a file the `CityModel` root element is looked for.
const SNIFF_BYTES: usize = 16 << 10;

/// Whether `path` is a CityGML file: a `.gml`, `.xml`, `.citygml` (or
/// any of them `.gz`) whose root element is a `CityModel`.
pub fn is_citygml(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if ![".gml", ".xml", ".citygml"]
        .iter()
        .any(|e| stem.ends_with(e))
    {
        return false;
    }
    let Ok(mut r) = open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    if r.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .is_err()
    {
        return false;
    }
    root_is_city_model(&String::from_utf8_lossy(&head))
}

/// Whether the first element of `head` (past the declaration, comments
/// and processing instructions) is a `CityModel`, whatever its prefix.
fn root_is_city_model(head: &str) -> bool {
    let mut rest = head;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = &after[end + 3..];
            continue;
        }
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        return name.rsplit(':').next() == Some("CityModel");
    }
    false
}

/// The file's text, gunzipped when it is gzipped (by its first bytes).
fn open(path: &Path) -> Result<Box<dyn BufRead>, LoadError> {
    let f = crate::source_file::open_regular(path)?;
    let mut r = BufReader::with_capacity(1 << 16, f);
    let gz = r
        .fill_buf()
        .map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(r),
        ))
    } else {
        Box::new(r)
    })
}

/// Reads the CityGML file at `path` into a model, within the memory
/// budget.
pub fn read_file(path: &Path) -> Result<model::CityModel, LoadError> {
    let meta = crate::source_file::check_regular(path)?;
    let r = open(path)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let factor = CITYGML_FACTOR * if gz { GZIP_FACTOR } else { 1.0 };
    crate::budget::check(path, crate::budget::scaled(meta.len(), factor))?;
    read::read(r).map_err(|detail| LoadError::Invalid {
        path: path.to_path_buf(),
        format: "CityGML",
        detail,
    })
}

/// Opens the CityGML file at `path` as a tiles layer.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let model = read_file(path)?;
    let source = source::CityGmlSource::new(model, path.parent().map(Path::to_path_buf));
    let name = crate::layer_name(path);
    let crs = source.crs();
    // Its problems are told by the stream that draws it, once.
    Ok(crate::tiles3d::source::tiles_layer(
        name,
        "CityGML",
        crs,
        Arc::new(source),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_element_decides() {
        assert!(root_is_city_model(
            "<?xml version=\"1.0\"?>\n<!-- a <comment> -->\n<core:CityModel xmlns:core=\"x\">"
        ));
        assert!(root_is_city_model("<CityModel>"));
        assert!(!root_is_city_model("<gml:FeatureCollection><CityModel>"));
        assert!(!root_is_city_model("<!-- never closed <CityModel>"));
    }
}
