//! Any tile source → a 3D Tiles 1.1 tileset (`cim convert INPUT --to
//! 3dtiles --out DIR`): the source's whole tree ([`super::whole_tree`])
//! as `tileset.json`, each content as a `.glb` ([`super::write`]) with its
//! features' ids and properties (`EXT_mesh_features`,
//! `EXT_structural_metadata`), written on every core.
//!
//! The tileset is on the globe as 3D Tiles expects: a source in a CRS of
//! its own (a Gauss-Krüger zone, an IFC map conversion's projection) is
//! moved vertex by vertex through PROJ into an east-north-up frame at its
//! centre ([`super::georeference`]); an earth-centred one is there
//! already; one without a CRS stays in its local frame.

use super::georeference::ToEnu;
use super::tileset::PartError;
use cim_core::crs::CrsDef;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::{TileId, TileTree};
use cim_core::model::tile_content::{EncodedImage, TileContent};
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
    /// Features the `.glb` files carry (ids with properties).
    pub feature_count: usize,
    /// Tiles whose content could not be converted (left without content).
    pub errors: Vec<PartError>,
    /// What the dataset itself lacks (child files named but missing, files
    /// that cannot be read, elements without geometry).
    pub problems: Vec<String>,
}

/// A source to convert, and how its contents are written.
pub struct Dataset<'a> {
    pub source: &'a dyn TileSource,
    /// The CRS the tree's frame maps into, when it is not earth-centred.
    pub crs: Option<CrsDef>,
    /// A content as it is written (a reader may keep image files as they
    /// were rather than decode them).
    pub read: &'a (dyn Fn(&str) -> Result<TileContent, String> + Sync),
    /// The `.glb` path, relative to the output folder, of a content URI.
    pub glb_uri: &'a (dyn Fn(&str) -> String + Sync),
    /// Whether tiles' boxes are grown around their children's (a source
    /// whose parents need not hold their children: OSGB's PagedLOD).
    pub enclose_children: bool,
}

/// Writes `d` as a 3D Tiles tileset in `out`, calling `progress(done,
/// total)` as each content is written.
pub fn to_3dtiles(
    d: &Dataset,
    out: &Path,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Converted, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", crate::show(out)))?;
    let (mut tree, mut problems) = super::whole_tree::whole_tree(d.source);
    if d.enclose_children {
        enclose_children(&mut tree);
    }
    let tree = &tree;
    let with_content: Vec<TileId> = (0..tree.len() as TileId)
        .filter(|&id| !tree.tile(id).contents.is_empty())
        .collect();
    let georef = match d.crs.as_ref().filter(|_| !d.source.is_ecef()) {
        Some(crs) => Some(ToEnu::new(crs, tree).map_err(|e| format!("{crs}: {e}"))?),
        None => None,
    };
    let total = with_content.len();
    let done = AtomicUsize::new(0);
    let results = super::summary::parallel_map(&with_content, |&id| {
        let uri = &tree.tile(id).contents[0].uri;
        let r = write_tile(d, uri, out, georef.as_ref());
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        r
    });
    let mut c = Converted {
        tile_count: tree.len(),
        problems: d.source.problems(),
        ..Converted::default()
    };
    c.problems.append(&mut problems);
    let mut written = vec![false; tree.len()];
    for (&id, r) in with_content.iter().zip(results) {
        match r {
            Ok((bytes, features)) => {
                c.glb_count += 1;
                c.glb_bytes += bytes;
                c.feature_count += features;
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
    let json = super::write::tileset_json(placed.as_ref().unwrap_or(tree), |id| {
        written[id as usize].then(|| (d.glb_uri)(&tree.tile(id).contents[0].uri))
    });
    let path = out.join("tileset.json");
    let text = serde_json::to_string_pretty(&json).expect("JSON");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", crate::show(&path)))?;
    Ok(c)
}

/// Grows each tile's box around its children's, as 3D Tiles expects;
/// children come after their parents. The tiles are axis-aligned boxes in
/// one frame.
fn enclose_children(tree: &mut TileTree) {
    use cim_core::lod::tileset::BoundingVolume;
    use glam::DMat4;
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
/// there yet: the bytes written and the features the `.glb` carries.
fn write_tile(
    d: &Dataset,
    uri: &str,
    out: &Path,
    georef: Option<&ToEnu>,
) -> Result<(u64, usize), String> {
    let mut content = (d.read)(uri)?;
    if let Some(g) = georef {
        g.content(&mut content)?;
    }
    let path: PathBuf = out.join((d.glb_uri)(uri));
    let dir = path.parent().unwrap_or(out).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", crate::show(&dir)))?;
    let mut written = 0u64;
    let mut sink = |image: &EncodedImage| -> Result<Option<String>, String> {
        let name = image_name(image);
        written += write_once(&dir.join(&name), &image.bytes)?;
        Ok(Some(name))
    };
    let glb = super::write::glb_with(&content, &mut sink)?;
    std::fs::write(&path, &glb).map_err(|e| format!("{}: {e}", crate::show(&path)))?;
    Ok((written + glb.len() as u64, content.feature_count))
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
