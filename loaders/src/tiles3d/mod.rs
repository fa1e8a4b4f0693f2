//! OGC 3D Tiles 1.0 / 1.1 (OGC 22-025r4): tilesets and their contents.
//!
//! - [`tileset`]: `tileset.json` → [`cim_core::lod::tileset::TileTree`]
//!   (external tilesets, implicit tiling through [`implicit`]).
//! - Contents → [`TileContent`]: [`gltf_content`] (glb/glTF), [`b3dm`],
//!   [`i3dm`], [`pnts`], [`cmpt`], sharing [`feature_table`].
//! - [`store`]: where the files come from (a local folder, confined to it).
//! - [`structural_metadata`]: 3D Metadata (property tables, metadata entities).
//! - [`summary`]: the counts `cim inspect` reports.
//! - [`source`]: a local tileset as a layer (`cim_core::lod::tile_source::TileSource`).
//!
//! Every reader takes bytes and returns a message for bad input; nothing
//! here panics on a hostile file or allocates more than the file implies.

pub mod b3dm;
pub mod cmpt;
pub mod convert;
pub mod draco;
pub mod feature_table;
pub mod georeference;
pub mod gltf_content;
pub mod grouping;
pub mod i3dm;
pub mod implicit;
pub mod meshopt;
pub mod pnts;
pub mod source;
pub mod store;
pub mod structural_metadata;
pub mod summary;
pub mod tileset;
pub mod whole_tree;
pub mod write;
pub mod write_features;

use cim_core::lod::tileset::ContentRef;
use cim_core::model::tile_content::TileContent;

/// What a content reader needs besides the bytes.
pub struct ContentContext<'a> {
    /// Whether glTF content is y-up (turned z-up on reading).
    pub y_up: bool,
    /// Reads a file the content names (an external glTF buffer or image,
    /// an i3dm's glTF), relative to the content.
    pub resolve: &'a dyn Fn(&str) -> Result<Vec<u8>, String>,
}

/// Reads one content's bytes, recognised by their magic.
pub fn read_content_bytes(
    bytes: &[u8],
    ctx: &ContentContext,
    depth: usize,
) -> Result<TileContent, String> {
    match bytes.get(..4) {
        Some(b"b3dm") => b3dm::read(bytes, ctx),
        Some(b"i3dm") => i3dm::read(bytes, ctx),
        Some(b"pnts") => pnts::read(bytes, ctx),
        Some(b"cmpt") => cmpt::read(bytes, ctx, depth),
        Some(b"glTF") => glb_alone(bytes, ctx),
        _ if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => {
            glb_alone(bytes, ctx)
        }
        Some(m) => Err(format!(
            "unknown content (first bytes {:?})",
            String::from_utf8_lossy(m)
        )),
        None => Err(format!("{} bytes: too short to be content", bytes.len())),
    }
}

/// A glTF (binary or JSON) as a content of its own: y-up, and no batch
/// table for `_BATCHID` to name.
fn glb_alone(bytes: &[u8], ctx: &ContentContext) -> Result<TileContent, String> {
    let mut content = gltf_content::read(bytes, &ContentContext { y_up: true, ..*ctx })?;
    content.no_batch_table();
    Ok(content)
}

/// Reads a content of a local tileset.
///
/// glTF is y-up in 3D Tiles 1.1 always, and in 1.0 unless the tileset
/// says `gltfUpAxis`; b3dm and i3dm follow the tileset.
/// A reader that panics (a bug, on some hostile input) fails that content
/// only.
pub fn read_content(ts: &tileset::Tileset, content: &ContentRef) -> Result<TileContent, String> {
    // Read errors name the file already; decoding errors are given it.
    let bytes = ts.store.read(&content.uri)?;
    let resolve = |uri: &str| ts.store.read(&ts.store.resolve(&content.uri, uri)?);
    let read = || {
        read_content_bytes(
            &bytes,
            &ContentContext {
                y_up: ts.y_up,
                resolve: &resolve,
            },
            0,
        )
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err("the content reader failed on this content (a bug)".into()))
        .map_err(|e| format!("{}: {e}", ts.store.show(&content.uri)))
}

/// Whether a URI or path names a JSON file (a tileset, external or
/// remote), its query and fragment aside.
pub fn names_json(uri: &str) -> bool {
    uri.split(['?', '#'])
        .next()
        .is_some_and(|p| p.to_ascii_lowercase().ends_with(".json"))
}

/// A tileset's name when its file is the usual `tileset.json`, which says
/// little: the folder holding it.
///
/// ```
/// use cim_loaders::tiles3d::folder_name;
/// use std::path::Path;
/// assert_eq!(folder_name(Path::new("/d/Zhuhai/tileset.json")).as_deref(), Some("Zhuhai"));
/// assert_eq!(folder_name(Path::new("/d/Zhuhai/city.json")), None);
/// ```
pub fn folder_name(path: &std::path::Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    if !file.eq_ignore_ascii_case("tileset.json") {
        return None;
    }
    Some(path.parent()?.file_name()?.to_string_lossy().into_owned())
}

/// Whether `path` is a 3D Tiles tileset: a `.json` file whose first
/// 64 KiB name an `asset` with a `version`, and a `root`, a
/// `geometricError` or a `schema` (GeoJSON has no `asset`).
pub fn is_tileset(path: &std::path::Path) -> bool {
    use std::io::Read;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let Ok(file) = is_json
        .then(|| crate::source_file::open_regular(path))
        .transpose()
    else {
        return false;
    };
    let mut head = Vec::new();
    if file.is_none_or(|f| f.take(1 << 16).read_to_end(&mut head).is_err()) {
        return false;
    }
    let has = |k: &[u8]| memchr::memmem::find(&head, k).is_some();
    // A large `schema` can push `root` past the head.
    has(b"\"asset\"")
        && has(b"\"version\"")
        && (has(b"\"root\"") || has(b"\"geometricError\"") || has(b"\"schema\""))
}
