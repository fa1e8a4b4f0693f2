//! An OSGB dataset as a streamed tile source: each file's paging
//! PagedLODs its tiles, the files they page in their children (REPLACE
//! refinement), drawn through the same engine as 3D Tiles.
//!
//! A dataset is opened from any of the forms producers deliver:
//! * the root folder, with `metadata.xml` and `Data/Tile_*/Tile_*.osgb`;
//! * the `Data/` folder itself (its parent's `metadata.xml` is used);
//! * a folder of `.osgb` files, whose roots are the files no other file
//!   there pages in;
//! * a single `.osgb` file.
//!
//! Opening reads the root files only (on all cores), so a dataset of ten
//! thousand blocks opens in seconds: each file's outline
//! ([`super::outline`]) gives its tiles — one for its rest (geometry
//! outside paging PagedLODs), one per paging PagedLOD with the PagedLOD's
//! coarse children as content, the error that reaches 16 px where
//! OpenSceneGraph would switch, and the file it pages in as its deferred
//! children ([`Tile::children_uri`]), which [`TileSource::expand`] reads
//! when the view first wants to refine the tile. A page whose file is not
//! on disk (a dataset copied in part) is a leaf, so refining it leaves no
//! hole. The root files are grouped under contentless tiles by place, at
//! most [`FANOUT`] to a group, so the selection walks only the blocks
//! near the view.

use super::cache::FileCache;
use super::mesh::{Part, to_content_part_shared};
use super::metadata::Metadata;
use super::outline::{Outline, outline};
use super::{child_path, read_file};
use crate::tiles3d::grouping::{grouped, tile};
use crate::{LoadError, Loaded};
use cim_core::Bbox;
use cim_core::lod::tile_source::{MAX_SCREEN_ERROR_PX, TileSource};
use cim_core::lod::tileset::{Branch, ContentRef, Tile, TileId, TileTree};
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::{MetadataEntity, TileContent};
use glam::DMat4;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most root files under one tile (a group's tiles, or its four
/// quarters).
pub const FANOUT: usize = 8;

/// An opened OSGB dataset.
#[derive(Debug)]
pub struct OsgbSource {
    /// The folder content URIs are relative to.
    root: PathBuf,
    /// The tree of the root files; their pages' files are read later.
    tree: TileTree,
    metadata: Option<Metadata>,
    /// Every tile's frame → the tree's (from `metadata.xml`).
    world: DMat4,
    problems: Vec<String>,
    /// Files read lately: the parts of one file are read one by one.
    files: FileCache,
}

impl OsgbSource {
    /// Opens the dataset at `path` (see the module docs for the forms); the
    /// message says what is wrong, and the caller names `path`.
    pub fn open(path: &Path) -> Result<OsgbSource, String> {
        let (root, roots, metadata) = dataset(path)?;
        let metadata = match metadata {
            Some(p) => Some(
                std::fs::read_to_string(&p)
                    .map_err(|e| e.to_string())
                    .and_then(|t| Metadata::parse(&t))
                    .map_err(|e| format!("{}: {e}", crate::show(&p)))?,
            ),
            None => None,
        };
        if roots.is_empty() {
            return Err("no .osgb tiles found".into());
        }
        let world = metadata.as_ref().map_or(DMat4::IDENTITY, Metadata::world);
        let read = crate::tiles3d::summary::parallel_map(&roots, |(p, read)| {
            read.is_none().then(|| read_outline(p))
        });
        let mut problems = Vec::new();
        let mut blocks = Vec::new();
        let (mut missing, mut outside) = (0, 0);
        for ((path, before), now) in roots.into_iter().zip(read) {
            match now.or(before).expect("read here or before") {
                Ok(o) => {
                    let f = file_tiles(&root, world, &path, &o);
                    missing += f.missing;
                    outside += f.outside;
                    // A file with no geometry and no pages adds nothing.
                    if !f.tiles.is_empty() {
                        blocks.push(f);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
        if blocks.is_empty() && !problems.is_empty() {
            return Err(format!(
                "no tile could be read: {}",
                problems.first().map_or("", String::as_str)
            ));
        }
        problems.extend(missing_children(missing, outside));
        Ok(OsgbSource {
            tree: grouped(
                world,
                blocks,
                FANOUT,
                &|f: &FileTiles| f.bbox,
                &mut graft_files,
            ),
            root,
            metadata,
            world,
            problems,
            files: FileCache::default(),
        })
    }
}

/// The folder URIs are relative to, the root files (with their outlines
/// when read already), and `metadata.xml`.
type Dataset = (PathBuf, Vec<Root>, Option<PathBuf>);

/// A root file, and its outline if it was read to find it.
type Root = (PathBuf, Option<Result<Outline, String>>);

fn dataset(path: &Path) -> Result<Dataset, String> {
    let meta = |dir: &Path| Some(dir.join("metadata.xml")).filter(|p| p.is_file());
    if path.is_file() {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let up = dir.parent().and_then(|d| d.parent()).and_then(meta);
        return Ok((dir, vec![(path.to_path_buf(), None)], up));
    }
    if !path.is_dir() {
        return Err("no such file or folder".into());
    }
    let (data, metadata) = if path.join("Data").is_dir() {
        (path.join("Data"), meta(path))
    } else {
        (path.to_path_buf(), path.parent().and_then(meta))
    };
    let list = |dir: &Path| -> Result<Vec<PathBuf>, String> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", crate::show(dir)))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let mut roots = Vec::new();
    let mut loose = Vec::new();
    for p in list(&data)? {
        if p.is_dir() {
            // ContextCapture's block layout: Tile_X/Tile_X.osgb.
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let root = name.map(|n| p.join(format!("{n}.osgb")));
            roots.extend(root.filter(|r| r.is_file()));
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("osgb"))
        {
            loose.push(p);
        }
    }
    let mut roots: Vec<Root> = roots.into_iter().map(|r| (r, None)).collect();
    roots.extend(unreferenced(&loose));
    Ok((data, roots, metadata))
}

/// The files of `files` (all in one folder) that none of the others pages
/// in: the roots of a folder of loose tiles, with their outlines (read
/// here, so not again). A file that cannot be read is a root, so that its
/// error is reported.
fn unreferenced(files: &[PathBuf]) -> Vec<Root> {
    let outlines = crate::tiles3d::summary::parallel_map(files, |p| read_outline(p));
    let named: HashSet<String> = outlines
        .iter()
        .flatten()
        .flat_map(|o| o.pages.iter().map(|p| p.file.clone()))
        .collect();
    files
        .iter()
        .zip(outlines)
        .filter(|(p, _)| {
            let name = p.file_name().map(|n| n.to_string_lossy());
            !name.is_some_and(|n| named.contains(n.as_ref()))
        })
        .map(|(p, o)| (p.clone(), Some(o)))
        .collect()
}

/// The outline of the file at `path`.
fn read_outline(path: &Path) -> Result<Outline, String> {
    read_file(path)
        .map_err(|e| e.to_string())
        .and_then(|file| outline(file.root.as_deref()))
}

/// One file's tiles: a branch to hang under the tile that pages the file
/// in (or a group of roots), the box around them, and its child files
/// named but not read.
struct FileTiles {
    tiles: Vec<Tile>,
    bbox: Bbox,
    /// Child files named but not on disk.
    missing: usize,
    /// Child files named outside the folder of the file naming them.
    outside: usize,
}

/// Hangs a group of root files' tiles under `parent`.
fn graft_files(tree: &mut TileTree, parent: TileId, group: Vec<FileTiles>) {
    for f in group {
        let branch = Branch {
            tiles: f.tiles,
            problems: Vec::new(),
        };
        tree.graft(parent, branch).expect("one level, parents none");
    }
}

/// The tiles of the file at `path` from its outline: one for its rest
/// (geometry outside its pages), one per page (its coarse children,
/// refined by the page's file, which is read later).
fn file_tiles(root: &Path, world: DMat4, path: &Path, o: &Outline) -> FileTiles {
    let uri = relative(root, path);
    let rest = o.rest.filter(|b| !b.is_empty());
    let boxes: Vec<Bbox> = o.pages.iter().map(|p| p.bounds()).collect();
    let bbox = boxes
        .iter()
        .fold(rest.unwrap_or(Bbox::EMPTY), |a, b| a.union(b));
    let mut f = FileTiles {
        tiles: Vec::new(),
        bbox,
        missing: 0,
        outside: 0,
    };
    if let Some(b) = rest {
        let contents = vec![content_ref(&uri, "rest")];
        f.tiles.push(tile(world, None, contents, 0.0, b, None));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    for (i, (page, b)) in o.pages.iter().zip(boxes).enumerate() {
        let child = match child_path(dir, &page.file) {
            None => {
                f.outside += 1;
                None
            }
            Some(c) if !c.is_file() => {
                f.missing += 1;
                None
            }
            c => c,
        };
        // A page whose file is not there is a leaf: refining it would
        // leave a hole.
        let error = match child {
            Some(_) => page.geometric_error(MAX_SCREEN_ERROR_PX),
            None => 0.0,
        };
        let contents = if page.bbox.is_some_and(|b| !b.is_empty()) {
            vec![content_ref(&uri, &format!("page={i}"))]
        } else {
            Vec::new()
        };
        // A page with neither coarse geometry nor a sphere is placed over
        // the whole file, not at the origin (its children grow it when
        // read).
        let b = if b.is_empty() { bbox } else { b };
        let children_uri = child.map(|c| relative(root, &c));
        f.tiles
            .push(tile(world, None, contents, error, b, children_uri));
    }
    f
}

/// What is said of child files named but not read.
fn missing_children(missing: usize, outside: usize) -> Vec<String> {
    let mut out = Vec::new();
    if missing > 0 {
        out.push(format!(
            "{missing} PagedLOD child files are named but not on disk; the tiles that name them are shown at their own level"
        ));
    }
    if outside > 0 {
        out.push(format!(
            "{outside} PagedLOD child files are named outside the folder of the file naming them (through `..` or an absolute path) and are not read"
        ));
    }
    out
}

/// `path` as a URI relative to the dataset's folder `root`, `.` left out
/// (so that one file has one name).
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

impl OsgbSource {
    /// A content, for a writer: textures kept as the files they were
    /// ([`super::mesh::to_content_for_writing`]).
    pub fn read_for_writing(&self, uri: &str) -> Result<TileContent, String> {
        let ((file, _), path, part) = self.part(uri)?;
        super::mesh::to_content_for_writing(&file, path.parent(), part)
            .map_err(|e| format!("{}: {e}", crate::show(&path)))
    }

    /// The parsed file and the part a content URI names.
    fn part(&self, uri: &str) -> Result<(super::cache::Kept, PathBuf, Part), String> {
        let (file, part) =
            split_ref(uri).ok_or_else(|| format!("{uri}: not a part of an OSGB file"))?;
        let path =
            child_path(&self.root, file).ok_or_else(|| format!("{file}: outside the dataset"))?;
        Ok((self.files.get(&path)?, path, part))
    }

    /// The CRS `metadata.xml` places the dataset in, if it has one.
    pub fn crs(&self) -> Option<cim_core::crs::CrsDef> {
        self.metadata.as_ref().map(Metadata::crs)
    }
}

impl TileSource for OsgbSource {
    fn tree(&self) -> &TileTree {
        &self.tree
    }

    fn read(&self, content: &ContentRef) -> Result<TileContent, String> {
        let ((file, memo), path, part) = self.part(&content.uri)?;
        to_content_part_shared(&file, path.parent(), part, &memo)
            .map_err(|e| format!("{}: {e}", crate::show(&path)))
    }

    fn is_ecef(&self) -> bool {
        matches!(
            self.metadata.as_ref().map(|m| &m.srs),
            Some(super::metadata::Srs::Enu { .. })
        )
    }

    fn problems(&self) -> Vec<String> {
        self.problems.clone()
    }

    /// Reads the file a page's tile pages in (kept for its contents,
    /// which are read next) and makes its tiles.
    fn expand(&self, tile: &Tile) -> Result<Branch, String> {
        let uri = tile
            .children_uri
            .as_deref()
            .ok_or("the tile has no deferred children")?;
        let path =
            child_path(&self.root, uri).ok_or_else(|| format!("{uri}: outside the dataset"))?;
        let named = |e: String| format!("{}: {e}", crate::show(&path));
        // A file paging in itself would grow the tree without end (longer
        // cycles stop at the tree's depth limit).
        let own = |c: &ContentRef| split_ref(&c.uri).is_some_and(|(f, _)| f == uri);
        if tile.contents.iter().any(own) {
            return Err(named("the file pages in itself".into()));
        }
        let (file, _) = self.files.get(&path)?;
        let o = outline(file.root.as_deref()).map_err(named)?;
        let f = file_tiles(&self.root, self.world, &path, &o);
        Ok(Branch {
            tiles: f.tiles,
            problems: missing_children(f.missing, f.outside)
                .into_iter()
                .map(named)
                .collect(),
        })
    }

    fn metadata(&self, _tile: TileId) -> Vec<MetadataEntity> {
        let Some(m) = &self.metadata else {
            return Vec::new();
        };
        let srs = match &m.srs {
            super::metadata::Srs::Crs(c) => c.to_string(),
            super::metadata::Srs::Enu { lat, lon } => format!("ENU:{lat},{lon}"),
        };
        vec![MetadataEntity {
            scope: "dataset".into(),
            class: Some("metadata.xml".into()),
            about: None,
            properties: vec![
                ("SRS".into(), AttrValue::String(srs)),
                (
                    "SRSOrigin".into(),
                    AttrValue::String(format!("{},{},{}", m.origin.x, m.origin.y, m.origin.z)),
                ),
            ],
        }]
    }
}

/// The content URI of part `part` of the file `uri`: `uri#part`.
fn content_ref(uri: &str, part: &str) -> ContentRef {
    ContentRef {
        uri: format!("{uri}#{part}"),
        bounds: None,
        group: None,
    }
}

/// The file and part a content URI names (the part after the last `#`).
fn split_ref(uri: &str) -> Option<(&str, Part)> {
    let (file, part) = uri.rsplit_once('#')?;
    let part = match part {
        "all" => Part::All,
        "rest" => Part::Rest,
        p => Part::Page(p.strip_prefix("page=")?.parse().ok()?),
    };
    Some((file, part))
}

/// Opens the OSGB dataset at `path` as a layer (its tree built, no
/// content read yet).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let source = OsgbSource::open(path).map_err(|detail| LoadError::Invalid {
        path: path.to_path_buf(),
        format: "OSGB",
        detail,
    })?;
    let name = path
        .file_stem()
        .map_or_else(|| "osgb".into(), |s| s.to_string_lossy().into_owned());
    let crs = source.crs();
    Ok(crate::tiles3d::source::tiles_layer(
        name,
        "OSGB",
        crs,
        Arc::new(source),
    ))
}
