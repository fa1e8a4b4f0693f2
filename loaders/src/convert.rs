//! `cim convert INPUT --to 3dtiles --out DIR`: the inputs that convert —
//! an OSGB dataset ([`crate::osgb::convert`]), an IFC model, a CityGML
//! file — written through one converter ([`crate::tiles3d::convert`]).
//! A model's tiles are its groups of elements or city objects
//! (`group=N` → `groupN.glb`, a CityGML city's coarse levels
//! `coarse=N` → `coarseN.glb`), each element or object a feature with its
//! attributes and properties.

use crate::tiles3d::convert::{Converted, Dataset};
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::ContentRef;
use std::path::Path;

/// Converts the dataset or model at `input` into a 3D Tiles tileset in
/// `out`; `progress(done, total)` as each tile is written.
pub fn to_3dtiles(
    input: &Path,
    out: &Path,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Converted, String> {
    if crate::ifc::is_ifc(input) {
        let src = crate::ifc::source::IfcSource::new(
            crate::ifc::read_file(input).map_err(|e| e.to_string())?,
        );
        if src.model.elements.is_empty() {
            return Err(nothing(input, "elements with geometry"));
        }
        let crs = src.crs();
        model(&src, crs, out, progress)
    } else if crate::citygml::is_citygml(input) {
        let city = crate::citygml::read_file(input).map_err(|e| e.to_string())?;
        if city.objects.is_empty() {
            return Err(nothing(input, "city objects"));
        }
        let dir = input.parent().map(Path::to_path_buf);
        let src = crate::citygml::source::CityGmlSource::new(city, dir);
        let crs = src.crs();
        model(&src, crs, out, progress)
    } else {
        crate::osgb::convert::to_3dtiles(input, out, progress)
    }
}

/// A model read whole (IFC, CityGML) as a tileset.
fn model(
    src: &dyn TileSource,
    crs: Option<cim_core::crs::CrsDef>,
    out: &Path,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Converted, String> {
    let read = |uri: &str| {
        src.read(&ContentRef {
            uri: uri.to_string(),
            bounds: None,
            group: None,
        })
    };
    let d = Dataset {
        source: src,
        crs,
        read: &read,
        glb_uri: &glb_uri,
        enclose_children: false,
    };
    crate::tiles3d::convert::to_3dtiles(&d, out, progress)
}

/// Why a model gives no tileset.
fn nothing(input: &Path, what: &str) -> String {
    format!("{}: no {what} to convert", crate::show(input))
}

/// `group=3` → `group3.glb`.
fn glb_uri(uri: &str) -> String {
    format!("{}.glb", uri.replace(['=', '/', '\\'], ""))
}
