//! OSGB → 3D Tiles 1.1 (`cim convert INPUT --to 3dtiles --out DIR`): the
//! dataset's tree as the viewer streams it ([`super::source`]) written as
//! `tileset.json`, each tile's part of its file as a `.glb` where the
//! `.osgb` was under `Data/` (`Data/Tile_A/Tile_A.osgb#page=2` →
//! `OUT/Tile_A/Tile_A_page2.glb`), textures kept as the JPEG/PNG files
//! they were, each written once beside the `.glb` files that use it (the
//! pages of one `.osgb` share its texture). Geometric errors are the PagedLOD ranges' (see
//! [`super::outline::Page::geometric_error`]). The tileset is on the globe
//! as 3D Tiles expects: an ENU `metadata.xml` frame is the root's
//! `transform`; a dataset in a projected CRS is moved vertex by vertex
//! through PROJ into an east-north-up frame at its centre
//! ([`crate::tiles3d::georeference`]); one without `metadata.xml` stays
//! local. The writing is [`crate::tiles3d::convert`]'s.

use super::source::OsgbSource;
use crate::tiles3d::convert::{Converted, Dataset};
use std::path::Path;

/// The `.glb` name of a content URI (`FILE.osgb#part`).
pub fn glb_uri(uri: &str) -> String {
    let (file, part) = uri.rsplit_once('#').unwrap_or((uri, "all"));
    let stem = file
        .strip_suffix(".osgb")
        .or_else(|| file.strip_suffix(".OSGB"))
        .unwrap_or(file);
    match part {
        "all" => format!("{stem}.glb"),
        "rest" => format!("{stem}_rest.glb"),
        p => format!("{stem}_{}.glb", p.replace('=', "")),
    }
}

/// Converts the OSGB dataset at `input` into a 3D Tiles tileset in `out`.
pub fn to_3dtiles(
    input: &Path,
    out: &Path,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Converted, String> {
    let src = OsgbSource::open(input).map_err(|e| format!("{}: {e}", crate::show(input)))?;
    let d = Dataset {
        source: &src,
        crs: src.crs(),
        read: &|uri| src.read_for_writing(uri),
        glb_uri: &glb_uri,
        // A PagedLOD's sphere need not hold the file it pages in.
        enclose_children: true,
    };
    crate::tiles3d::convert::to_3dtiles(&d, out, progress)
}

#[cfg(test)]
mod tests {
    use super::glb_uri;

    #[test]
    fn glb_names_follow_the_parts() {
        assert_eq!(glb_uri("Data/T/T.osgb#all"), "Data/T/T.glb");
        assert_eq!(glb_uri("Data/T/T.osgb#rest"), "Data/T/T_rest.glb");
        assert_eq!(glb_uri("Data/T/T.osgb#page=12"), "Data/T/T_page12.glb");
        assert_eq!(glb_uri("a#b.osgb#page=1"), "a#b_page1.glb");
    }
}
