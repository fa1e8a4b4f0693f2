//! OpenSceneGraph binary files (`.osgb`), as oblique-photography producers
//! (ContextCapture/Smart3D, DJI Terra, …) write them: a pure-Rust reader of
//! the `osg` plugin's binary serializer format, without OpenSceneGraph.
//!
//! The format (OpenSceneGraph's `osgDB::InputStream`, 3.0 and later) is a
//! header — magic, file type, serializer version, attributes, optional
//! custom domains and compressor — and then the root object. Each object
//! is its class name, a unique ID (an ID seen before refers back to that
//! object), and the properties of every class in its chain in the order
//! that class's serializer wrapper lists them for the file's version
//! ([`read`]). Files written with "binary brackets" (header attribute 0x4,
//! the default of recent writers) give each block's size, which lets this
//! reader step over classes it does not know with a warning; older files do
//! not, and an unknown class there is an error naming it.
//!
//! * [`parse`] reads a file's bytes into an [`OsgbFile`];
//! * [`OsgbFile::stats`] counts vertices, triangles, textures and the
//!   PagedLOD child files, as `cim inspect` shows them;
//! * [`mesh::to_content`] turns the scene graph into renderable meshes.
//!
//! Every count is checked against the bytes left before it is allocated,
//! objects nest at most 128 deep, an object that refers to itself is an
//! error, and a compressed stream is inflated to at most
//! [`MAX_INFLATED_BYTES`]; no input panics or allocates without bound.

mod cache;
pub mod convert;
pub mod dds;
pub mod mesh;
pub mod metadata;
pub mod model;
pub mod outline;
mod read;
mod read_geometry;
mod read_state;
pub mod source;
mod stream;
pub mod summary;
mod texture;

use crate::LoadError;
use model::{Node, NodeKind};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use stream::Stream;

/// The magic number that starts an OSGB file (two little-endian `u32`s:
/// `OSG_HEADER_LOW`, `OSG_HEADER_HIGH`).
pub const MAGIC: [u8; 8] = [0xA1, 0x0E, 0x91, 0x6C, 0x45, 0x45, 0xFB, 0x1A];

/// The most a zlib-compressed file is inflated to (a larger result is
/// refused as hostile: photogrammetry tiles are a few megabytes).
pub const MAX_INFLATED_BYTES: u64 = 1 << 30;

/// Why an OSGB stream cannot be read; `offset` is where in the stream
/// (after decompression, for a compressed file) the problem is.
#[derive(Debug, thiserror::Error)]
pub enum OsgbError {
    #[error("not an OSGB file (no OpenSceneGraph binary header)")]
    NotOsgb,
    #[error("truncated at byte {offset}: {detail}")]
    Truncated { offset: usize, detail: String },
    #[error("invalid at byte {offset}: {detail}")]
    Invalid { offset: usize, detail: String },
    #[error("unsupported at byte {offset}: {detail}")]
    Unsupported { offset: usize, detail: String },
}

/// What an `.osgb` file holds.
#[derive(Clone, Debug)]
pub struct OsgbFile {
    /// The serializer version the file was written with.
    pub version: u32,
    /// The root node; `None` when the file's root is not a node.
    pub root: Option<Arc<Node>>,
    /// Objects stepped over, and the like.
    pub warnings: Vec<String>,
}

/// Counts of one file's content, for `cim inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsgbStats {
    /// Vertices of every geometry, each time the graph draws it.
    pub vertex_count: usize,
    /// Triangles of every geometry (strips, fans, quads and polygons
    /// counted as the triangles they make).
    pub triangle_count: usize,
    /// Distinct textures with an image.
    pub texture_count: usize,
    /// The files PagedLOD nodes page in, in the order they name them.
    pub paged_lod_children: Vec<String>,
}

/// Where child file `name` of a file in `dir` is; `None` for a name that
/// leaves the folder (absolute, or through `..`).
pub fn child_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    let inside = !name.is_empty()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    inside.then(|| dir.join(rel))
}

/// Whether `path` names an OSGB file: by its `.osgb` extension, or by its
/// first bytes.
pub fn is_osgb(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("osgb"))
    {
        return true;
    }
    let Ok(mut f) = crate::source_file::open_regular(path) else {
        return false;
    };
    let mut head = [0u8; 8];
    f.read_exact(&mut head).is_ok() && head == MAGIC
}

/// Whether `path` is a folder of OSGB tiles: a dataset root with a
/// `Data/` folder, or a folder holding `Tile_*/Tile_*.osgb` blocks or
/// `.osgb` files.
pub fn is_dataset(path: &Path) -> bool {
    if !path.is_dir() {
        return false;
    }
    let data = path.join("Data");
    if data.is_dir() && (path.join("metadata.xml").is_file() || is_dataset(&data)) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    entries.filter_map(Result::ok).take(10_000).any(|e| {
        let p = e.path();
        let osgb = |p: &Path| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("osgb"))
        };
        if p.is_dir() {
            let name = e.file_name();
            p.join(format!("{}.osgb", name.to_string_lossy())).is_file()
        } else {
            osgb(&p)
        }
    })
}

/// The largest `.osgb` file read.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Reads the `.osgb` file at `path`; errors name the file.
pub fn read_file(path: &Path) -> Result<OsgbFile, LoadError> {
    // The graph holds about the file's bytes again (arrays and images).
    let bytes = crate::read_file_limited(path, MAX_FILE_BYTES, 2.0)?;
    parse(&bytes).map_err(|e| e.at(path))
}

impl OsgbError {
    /// The error as a [`LoadError`] naming `path`.
    pub fn at(self, path: &Path) -> LoadError {
        let path = path.to_path_buf();
        match self {
            OsgbError::NotOsgb => LoadError::UnknownFormat {
                path,
                detail: self.to_string(),
            },
            OsgbError::Truncated { .. } => LoadError::Truncated {
                path,
                detail: self.to_string(),
            },
            OsgbError::Invalid { .. } => LoadError::Invalid {
                path,
                format: "OSGB",
                detail: self.to_string(),
            },
            OsgbError::Unsupported { .. } => LoadError::Unsupported {
                path,
                format: "OSGB",
                detail: self.to_string(),
            },
        }
    }
}

/// Reads an OSGB file from its bytes.
pub fn parse(bytes: &[u8]) -> Result<OsgbFile, OsgbError> {
    let mut s = Stream::new(bytes);
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        if bytes.len() >= 8 && bytes[..4] == [0x6C, 0x91, 0x0E, 0xA1] {
            return Err(OsgbError::Unsupported {
                offset: 0,
                detail: "a big-endian OSGB file".into(),
            });
        }
        return Err(OsgbError::NotOsgb);
    }
    s.bytes(8, "magic")?;
    let kind = s.u32("file type")?;
    let version = s.u32("version")?;
    let attributes = s.u32("attributes")?;
    if !(1..=3).contains(&kind) || kind == 2 {
        return Err(OsgbError::Unsupported {
            offset: 8,
            detail: format!("file type {kind} (only scenes and objects are read)"),
        });
    }
    if attributes & 0x2 != 0 {
        return Err(OsgbError::Unsupported {
            offset: 16,
            detail: "a file with its own serializer schema".into(),
        });
    }
    s.version = version;
    s.set_brackets(attributes & 0x4 != 0);
    if attributes & 0x1 != 0 {
        let n = s.count(8, "custom domains")?;
        for _ in 0..n {
            s.string("domain name")?;
            s.i32("domain version")?;
        }
    }
    let compressor = s.string("compressor")?;
    let inflated;
    let s = match compressor.as_str() {
        "0" => s,
        "zlib" => {
            inflated = inflate(s.take_rest())?;
            let mut z = Stream::new(&inflated);
            z.version = version;
            z.set_brackets(attributes & 0x4 != 0);
            z
        }
        other => {
            return Err(OsgbError::Unsupported {
                offset: s.pos(),
                detail: format!("compressor `{}`", cim_core::message::clip(other, 40)),
            });
        }
    };
    let mut r = read::Reader::new(s);
    let root = match r.object()? {
        Some(read::Obj::Node(n)) => Some(n),
        _ => None,
    };
    Ok(OsgbFile {
        version,
        root,
        warnings: r.warnings,
    })
}

/// Inflates a zlib (or gzip) stream, refusing more than
/// [`MAX_INFLATED_BYTES`].
fn inflate(z: &[u8]) -> Result<Vec<u8>, OsgbError> {
    let mut out = Vec::new();
    let res = if z.first() == Some(&0x1f) {
        flate2::read::MultiGzDecoder::new(z)
            .take(MAX_INFLATED_BYTES + 1)
            .read_to_end(&mut out)
    } else {
        flate2::read::ZlibDecoder::new(z)
            .take(MAX_INFLATED_BYTES + 1)
            .read_to_end(&mut out)
    };
    res.map_err(|e| OsgbError::Invalid {
        offset: 0,
        detail: format!("the zlib stream is corrupt: {e}"),
    })?;
    if out.len() as u64 > MAX_INFLATED_BYTES {
        return Err(OsgbError::Invalid {
            offset: 0,
            detail: format!(
                "the zlib stream inflates past {} MB",
                MAX_INFLATED_BYTES >> 20
            ),
        });
    }
    Ok(out)
}

impl OsgbFile {
    /// Counts the file's own content (PagedLOD children in other files are
    /// named, not read); a graph that shares its nodes past
    /// [`mesh::MAX_VISITS`] visits is refused.
    pub fn stats(&self) -> Result<OsgbStats, String> {
        let mut st = OsgbStats::default();
        let mut textures = Vec::new();
        let mut visits = 0;
        if let Some(root) = &self.root {
            count(root, &mut st, &mut textures, &mut visits)?;
        }
        st.texture_count = textures.len();
        Ok(st)
    }
}

/// Adds `node`'s subtree to the counts; `textures` collects distinct
/// textures by address.
fn count(
    node: &Node,
    st: &mut OsgbStats,
    textures: &mut Vec<*const model::Texture>,
    visits: &mut usize,
) -> Result<(), String> {
    *visits += 1;
    if *visits > mesh::MAX_VISITS {
        return Err(format!(
            "the graph has more than {} nodes to visit",
            mesh::MAX_VISITS
        ));
    }
    let mut note_state = |s: &Option<Arc<model::StateSet>>| {
        for (_, t) in s.iter().flat_map(|s| s.textures.iter()) {
            let p = Arc::as_ptr(t);
            if t.image.is_some() && !textures.contains(&p) {
                textures.push(p);
            }
        }
    };
    note_state(&node.state);
    match &node.kind {
        NodeKind::Geode(geoms) => {
            for g in geoms {
                note_state(&g.state);
                st.vertex_count += g.vertices.as_ref().map_or(0, |v| v.array.len());
                st.triangle_count += mesh::triangle_count(g);
            }
        }
        NodeKind::PagedLod(_, paged) => {
            st.paged_lod_children
                .extend(paged.files.iter().filter(|f| !f.is_empty()).cloned());
        }
        _ => {}
    }
    for c in &node.children {
        count(c, st, textures, visits)?;
    }
    Ok(())
}
