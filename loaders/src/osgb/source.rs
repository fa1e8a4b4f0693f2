//! An OSGB dataset as a streamed tile source: each file a tile, its
//! PagedLOD child files its children (REPLACE refinement), drawn through
//! the same engine as 3D Tiles.
//!
//! A dataset is opened from any of the forms producers deliver:
//! * the root folder, with `metadata.xml` and `Data/Tile_*/Tile_*.osgb`;
//! * the `Data/` folder itself (its parent's `metadata.xml` is used);
//! * a folder of `.osgb` files, whose roots are the files no other file
//!   there pages in;
//! * a single `.osgb` file.
//!
//! The tree is built when the dataset opens, by reading every file that
//! the roots page in (breadth first, one level at a time on all cores, at
//! most [`MAX_FILES`] files): each file's outline gives its box, its
//! children and its geometric error ([`super::outline`]). A file whose
//! PagedLOD children are not all on disk (a dataset copied in part) is
//! kept as a leaf, so refining it leaves no hole; the files named but
//! missing are reported.

use super::cache::FileCache;
use super::mesh::{Part, to_content_part_shared};
use super::metadata::Metadata;
use super::outline::{Outline, outline};
use super::{child_path, read_file};
use crate::{LoadError, Loaded};
use cim_core::Bbox;
use cim_core::lod::tile_source::{MAX_SCREEN_ERROR_PX, TileSource};
use cim_core::lod::tileset::{BoundingVolume, ContentRef, Refine, Tile, TileId, TileTree};
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::{MetadataEntity, TileContent};
use glam::{DMat4, DVec3};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most files a dataset's tree is built from.
pub const MAX_FILES: usize = 200_000;

/// An opened OSGB dataset.
#[derive(Debug)]
pub struct OsgbSource {
    /// The folder content URIs are relative to.
    root: PathBuf,
    tree: TileTree,
    metadata: Option<Metadata>,
    problems: Vec<String>,
    /// Files read lately: the parts of one file are read one by one.
    files: FileCache,
}

/// A file met while building the tree.
struct Found {
    path: PathBuf,
    /// The tile the file's tiles go under.
    parent: TileId,
    /// The parent's PagedLOD sphere around this file's content.
    sphere: Option<(DVec3, f64)>,
    /// The file's outline, when it was read already (finding the roots
    /// of a folder of loose tiles reads them).
    read: Option<Result<Outline, String>>,
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
        let mut b = Builder {
            root: root.clone(),
            world,
            tree: TileTree::default(),
            problems: Vec::new(),
            seen: roots.iter().map(|(p, _)| p.clone()).collect(),
            missing: 0,
            outside: 0,
            unreadable: 0,
        };
        b.build(roots);
        let mut problems = b.problems;
        if b.missing > 0 {
            problems.push(format!(
                "{} PagedLOD child files are named but not on disk; the tiles that name them are shown at their own level",
                b.missing
            ));
        }
        if b.outside > 0 {
            problems.push(format!(
                "{} PagedLOD child files are named outside the folder of the file naming them (through `..` or an absolute path) and are not read",
                b.outside
            ));
        }
        if b.unreadable == b.tree.len() - 1 {
            return Err(format!(
                "no tile could be read: {}",
                problems.first().map_or("", String::as_str)
            ));
        }
        Ok(OsgbSource {
            root,
            tree: b.tree,
            metadata,
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

struct Builder {
    root: PathBuf,
    world: DMat4,
    tree: TileTree,
    problems: Vec<String>,
    seen: HashSet<PathBuf>,
    /// Child files named but not on disk.
    missing: usize,
    /// Child files named outside the folder of the file naming them.
    outside: usize,
    /// Files that could not be read.
    unreadable: usize,
}

impl Builder {
    /// Builds the tree: a root without content over the dataset's root
    /// files, then each level of child files in turn.
    fn build(&mut self, roots: Vec<Root>) {
        self.tree.push(self.tile(None, Vec::new(), 0.0));
        let mut level: Vec<Found> = roots
            .into_iter()
            .map(|(path, read)| Found {
                path,
                parent: 0,
                sphere: None,
                read,
            })
            .collect();
        let mut boxes: HashMap<TileId, Bbox> = HashMap::new();
        while !level.is_empty() {
            let room = MAX_FILES.saturating_sub(self.tree.len());
            if level.len() > room {
                self.problems.push(format!(
                    "the dataset has more than {MAX_FILES} files; the tree stops there"
                ));
                level.truncate(room);
            }
            let outlines = crate::tiles3d::summary::parallel_map(&level, |f| {
                f.read.is_none().then(|| read_outline(&f.path))
            });
            let mut next = Vec::new();
            for (mut found, o) in level.into_iter().zip(outlines) {
                let o = o
                    .or_else(|| found.read.take())
                    .expect("read here or before");
                let o = o.map_err(|e| {
                    self.unreadable += 1;
                    self.problems.push(e);
                });
                self.add(found, o, &mut boxes, &mut next);
            }
            level = next;
        }
        self.finish_bounds(boxes);
    }

    /// Adds the tiles of one file under `found.parent`: one for its rest
    /// (geometry outside its pages), one per page (its coarse children,
    /// refined by the page's file), and queues the pages' files.
    fn add(
        &mut self,
        found: Found,
        o: Result<Outline, ()>,
        boxes: &mut HashMap<TileId, Bbox>,
        next: &mut Vec<Found>,
    ) {
        let parent = found.parent;
        let uri = found
            .path
            .strip_prefix(&self.root)
            .unwrap_or(&found.path)
            .to_string_lossy()
            .replace('\\', "/");
        let sphere_box = found.sphere.map(|(c, r)| Bbox {
            min: c - DVec3::splat(r),
            max: c + DVec3::splat(r),
        });
        let Ok(o) = o else {
            // A file that cannot be read stays a tile (inside its parent's
            // sphere): streaming reports it again and shows the parent
            // there, as for any tile that fails.
            let id = self.push(parent, &uri, Some(Part::All), 0.0);
            boxes.insert(id, sphere_box.unwrap_or(Bbox::EMPTY));
            return;
        };
        if let Some(b) = o.rest.filter(|b| !b.is_empty()) {
            let id = self.push(parent, &uri, Some(Part::Rest), 0.0);
            boxes.insert(id, b);
        }
        let dir = found.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        for (i, page) in o.pages.iter().enumerate() {
            let child = match child_path(&dir, &page.file) {
                None => {
                    self.outside += 1;
                    None
                }
                Some(c) if !c.is_file() => {
                    self.missing += 1;
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
            let has_content = page.bbox.is_some_and(|b| !b.is_empty());
            let part = has_content.then_some(Part::Page(i));
            let id = self.push(parent, &uri, part, error);
            let mut b = page.bbox.filter(|b| !b.is_empty()).unwrap_or(Bbox::EMPTY);
            if let Some((c, r)) = page.sphere {
                b = b.union(&Bbox {
                    min: c - DVec3::splat(r),
                    max: c + DVec3::splat(r),
                });
            }
            boxes.insert(id, b);
            if let Some(path) = child
                && self.seen.insert(path.clone())
            {
                next.push(Found {
                    read: None,
                    path,
                    parent: id,
                    sphere: page.sphere,
                });
            }
        }
    }

    /// Appends a tile under `parent` drawing `part` of the file `uri`
    /// (nothing: `None`).
    fn push(
        &mut self,
        parent: TileId,
        uri: &str,
        part: Option<Part>,
        geometric_error: f64,
    ) -> TileId {
        let contents = match part {
            None => Vec::new(),
            Some(Part::All) => vec![content_ref(uri, "all")],
            Some(Part::Rest) => vec![content_ref(uri, "rest")],
            Some(Part::Page(i)) => vec![content_ref(uri, &format!("page={i}"))],
        };
        let tile = self.tile(Some(parent), contents, geometric_error);
        self.tree.push(tile)
    }

    /// A tile under `parent` (bounds are set when the tree is complete).
    fn tile(
        &self,
        parent: Option<TileId>,
        contents: Vec<ContentRef>,
        geometric_error: f64,
    ) -> Tile {
        Tile {
            parent,
            children: Vec::new(),
            bounds: BoundingVolume::Sphere {
                center: DVec3::ZERO,
                radius: 0.0,
            },
            request_volume: None,
            world: self.world,
            geometric_error,
            refine: Refine::Replace,
            contents,
            depth: parent.map_or(0, |p| self.tree.tile(p).depth + 1),
        }
    }

    /// Gives each tile a box around its own content and all its
    /// descendants' (children come after their parents in the arena), and
    /// the root an error that always opens it.
    fn finish_bounds(&mut self, mut boxes: HashMap<TileId, Bbox>) {
        for id in (1..self.tree.len() as TileId).rev() {
            let b = boxes.get(&id).copied().unwrap_or(Bbox::EMPTY);
            let parent = self.tree.tile(id).parent.unwrap_or(0);
            let pb = boxes.entry(parent).or_insert(Bbox::EMPTY);
            *pb = pb.union(&b);
        }
        for (id, t) in self.tree.tiles.iter_mut().enumerate() {
            let b = boxes
                .get(&(id as TileId))
                .copied()
                .filter(|b| !b.is_empty())
                .unwrap_or(Bbox {
                    min: DVec3::ZERO,
                    max: DVec3::ZERO,
                });
            let half = (b.max - b.min) * 0.5;
            t.bounds = BoundingVolume::Box {
                center: b.center(),
                half_axes: [DVec3::X * half.x, DVec3::Y * half.y, DVec3::Z * half.z],
            };
        }
        let root = &mut self.tree.tiles[0];
        let diagonal = match root.bounds {
            BoundingVolume::Box { half_axes, .. } => {
                2.0 * half_axes
                    .iter()
                    .map(|a| a.length_squared())
                    .sum::<f64>()
                    .sqrt()
            }
            _ => 0.0,
        };
        root.geometric_error = diagonal.max(1.0) * 1e3;
    }
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
