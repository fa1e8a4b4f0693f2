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
//! ([`super::georeference`]); one without `metadata.xml` stays local.
//!
//! Tiles are written on every core; `progress(done, total)` is called as
//! each is.

use super::georeference::ToEnu;
use super::source::OsgbSource;
use crate::tiles3d::tileset::PartError;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::{TileId, TileTree};
use cim_core::model::tile_content::EncodedImage;
use glam::DMat4;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a conversion did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Converted {
    /// Tiles in `tileset.json`.
    pub tile_count: usize,
    /// `.glb` files written.
    pub glb_count: usize,
    /// Bytes written: `.glb` files and the image files they share.
    pub glb_bytes: u64,
    /// Tiles whose content could not be converted (left without content).
    pub errors: Vec<PartError>,
    /// What the dataset itself lacks (child files named but missing, files
    /// that cannot be read).
    pub problems: Vec<String>,
}

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
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", crate::show(out)))?;
    let (mut tree, mut problems) = crate::tiles3d::whole_tree::whole_tree(&src);
    enclose_children(&mut tree);
    let tree = &tree;
    let with_content: Vec<TileId> = (0..tree.len() as TileId)
        .filter(|&id| !tree.tile(id).contents.is_empty())
        .collect();
    // A dataset in a CRS of its own goes on the globe (3D Tiles is
    // earth-centred); an ENU one is there already, a local one stays local.
    let georef = match src.crs().filter(|_| !src.is_ecef()) {
        Some(crs) => Some(ToEnu::new(&crs, tree).map_err(|e| format!("{}: {e}", crs))?),
        None => None,
    };
    let total = with_content.len();
    let done = AtomicUsize::new(0);
    let results = crate::tiles3d::summary::parallel_map(&with_content, |&id| {
        let uri = &tree.tile(id).contents[0].uri;
        let r = write_tile(&src, uri, out, georef.as_ref());
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        r
    });
    let mut c = Converted {
        tile_count: tree.len(),
        problems: src.problems(),
        ..Converted::default()
    };
    c.problems.append(&mut problems);
    let mut written = vec![false; tree.len()];
    for (&id, r) in with_content.iter().zip(results) {
        match r {
            Ok(bytes) => {
                c.glb_count += 1;
                c.glb_bytes += bytes;
                written[id as usize] = true;
            }
            Err(message) => c.errors.push(PartError {
                uri: tree.tile(id).contents[0].uri.clone(),
                message,
            }),
        }
    }
    let placed = match &georef {
        Some(g) => Some(g.tree(tree)?),
        None => None,
    };
    let json = crate::tiles3d::write::tileset_json(placed.as_ref().unwrap_or(tree), |id| {
        written[id as usize].then(|| glb_uri(&tree.tile(id).contents[0].uri))
    });
    let path = out.join("tileset.json");
    let text = serde_json::to_string_pretty(&json).expect("JSON");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", crate::show(&path)))?;
    Ok(c)
}

/// Grows each tile's box around its children's, as 3D Tiles expects (a
/// PagedLOD's sphere need not hold the file it pages in); children come
/// after their parents. The dataset's tiles are axis-aligned boxes in one
/// frame.
fn enclose_children(tree: &mut TileTree) {
    use cim_core::lod::tileset::BoundingVolume;
    let mut boxes: Vec<_> = tree
        .tiles
        .iter()
        .map(|t| t.bounds.aabb(&DMat4::IDENTITY))
        .collect();
    for id in (1..tree.len()).rev() {
        if let Some(p) = tree.tiles[id].parent {
            boxes[p as usize] = boxes[p as usize].union(&boxes[id]);
        }
    }
    for (t, b) in tree.tiles.iter_mut().zip(boxes) {
        t.bounds = BoundingVolume::from_bbox(&b);
    }
}

/// Writes one tile's `.glb`, and the image files it uses that are not
/// there yet; the bytes written.
fn write_tile(
    src: &OsgbSource,
    uri: &str,
    out: &Path,
    georef: Option<&ToEnu>,
) -> Result<u64, String> {
    let mut content = src.read_for_writing(uri)?;
    if let Some(g) = georef {
        g.content(&mut content)?;
    }
    let path: PathBuf = out.join(glb_uri(uri));
    let dir = path.parent().unwrap_or(out).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", crate::show(&dir)))?;
    let mut written = 0u64;
    let mut sink = |image: &EncodedImage| -> Result<Option<String>, String> {
        let name = image_name(image);
        written += write_once(&dir.join(&name), &image.bytes)?;
        Ok(Some(name))
    };
    let glb = crate::tiles3d::write::glb_with(&content, &mut sink)?;
    std::fs::write(&path, &glb).map_err(|e| format!("{}: {e}", crate::show(&path)))?;
    Ok(written + glb.len() as u64)
}

/// The file name of a kept image: its bytes' hash, so that the pages of
/// one file (and identical images anywhere in the folder) share it.
fn image_name(image: &EncodedImage) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    image.bytes.hash(&mut h);
    let ext = if image.mime == "image/png" {
        "png"
    } else {
        "jpg"
    };
    format!("tex_{:016x}_{}.{ext}", h.finish(), image.bytes.len())
}

/// Writes `bytes` to `path` unless it is there already (another tile's
/// thread may be writing it: each writes a file of its own and renames
/// it into place). The bytes written.
fn write_once(path: &Path, bytes: &[u8]) -> Result<u64, String> {
    if path.is_file() {
        return Ok(0);
    }
    let tmp = path
        .with_extension(format!("tmp{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", crate::show(&tmp)))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", crate::show(path)))?;
    Ok(bytes.len() as u64)
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
