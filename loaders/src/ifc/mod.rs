//! IFC (ISO 16739: IFC2X3, IFC4, IFC4X3) building models: `.ifc` STEP
//! files, and `.ifczip`.
//!
//! - [`read`]: the file through IFC-Lite (`ifc-lite-core`,
//!   `ifc-lite-geometry`) → [`model::IfcModel`]: elements with their
//!   triangles (openings cut), storeys, georeference, counts by class.
//! - [`source`]: the model as a tile source drawn by the 3D Tiles engine.
//! - [`summary`]: what `cim inspect` reports.

pub mod model;
pub mod read;
pub mod source;
pub mod style;
pub mod summary;

use crate::{LoadError, Loaded};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Bytes of STEP text → memory while the model is held: the text (1×),
/// IFC-Lite's entity index, and the triangles (measured: see the closing
/// note of the IFC step; 4 leaves room).
pub const IFC_FACTOR: f64 = 4.0;

/// The largest `.ifc` read, and the largest member of an `.ifczip`.
pub const MAX_IFC_BYTES: u64 = 4 << 30;

/// Whether `path` is an IFC file: `.ifc` / `.ifczip`, or STEP text.
pub fn is_ifc(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "ifc" || ext == "ifczip" {
        return true;
    }
    let Ok(mut f) = crate::source_file::open_regular(path) else {
        return false;
    };
    let mut head = [0u8; 16];
    f.read_exact(&mut head).is_ok() && head.starts_with(b"ISO-10303-21")
}

/// The STEP text of `path` (the `.ifc` inside an `.ifczip`), within the
/// memory budget.
fn text(path: &Path) -> Result<String, LoadError> {
    let zipped = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ifczip"));
    let bytes = if zipped {
        unzip(path)?
    } else {
        crate::read_file_limited(path, MAX_IFC_BYTES, IFC_FACTOR)?
    };
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        // STEP is ASCII with escapes; stray bytes are kept as they read.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// The first `.ifc` member of an `.ifczip`.
fn unzip(path: &Path) -> Result<Vec<u8>, LoadError> {
    let invalid = |detail: String| LoadError::Invalid {
        path: path.to_path_buf(),
        format: "IFC",
        detail,
    };
    let f = crate::source_file::open_regular(path)?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| invalid(e.to_string()))?;
    let index = (0..zip.len())
        .find(|&i| {
            zip.by_index_raw(i).is_ok_and(|m| {
                m.name()
                    .is_ok_and(|n| n.to_ascii_lowercase().ends_with(".ifc"))
            })
        })
        .ok_or_else(|| invalid("the archive holds no .ifc file".into()))?;
    let member = zip.by_index(index).map_err(|e| invalid(e.to_string()))?;
    let name = member.name().map(|n| n.into_owned()).unwrap_or_default();
    let size = member.size();
    if size > MAX_IFC_BYTES {
        return Err(invalid(format!("{name} is {size} bytes unzipped")));
    }
    crate::budget::check(path, crate::budget::scaled(size, IFC_FACTOR))?;
    let mut bytes = Vec::with_capacity(size as usize);
    member
        .take(MAX_IFC_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(bytes)
}

/// Reads the IFC file at `path` into a model.
pub fn read_file(path: &Path) -> Result<model::IfcModel, LoadError> {
    let text = text(path)?;
    read::read(&text).map_err(|detail| LoadError::Invalid {
        path: path.to_path_buf(),
        format: "IFC",
        detail,
    })
}

/// Opens the IFC file at `path` as a tiles layer.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let source = source::IfcSource::new(read_file(path)?);
    let crs = source.crs();
    Ok(crate::tiles3d::source::tiles_layer(
        crate::layer_name(path),
        "IFC",
        crs,
        Arc::new(source),
    ))
}
