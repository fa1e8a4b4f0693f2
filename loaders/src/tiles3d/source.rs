//! A local tileset as a [`TileSource`] layer: what `load_all` returns for
//! a `tileset.json`.

use super::{summary, tileset};
use crate::{LoadError, Loaded};
use cim_core::lod::tile_source::{TileLayer, TileSource};
use cim_core::lod::tileset::{ContentRef, TileTree};
use cim_core::model::tile_content::TileContent;
use cim_core::{Layer, LayerContent, LayerKind};
use std::path::Path;
use std::sync::Arc;

/// A tileset on disk, read a content at a time.
#[derive(Debug)]
pub struct LocalTileset {
    tileset: tileset::Tileset,
    ecef: bool,
}

impl TileSource for LocalTileset {
    fn tree(&self) -> &TileTree {
        &self.tileset.tree
    }

    fn read(&self, content: &ContentRef) -> Result<TileContent, String> {
        super::read_content(&self.tileset, content)
    }

    fn is_ecef(&self) -> bool {
        self.ecef
    }

    fn problems(&self) -> Vec<String> {
        self.tileset
            .errors
            .iter()
            .map(|e| format!("{}: {}", cim_core::message::quote(&e.uri), e.message))
            .collect()
    }
}

/// Opens the tileset at `path` as a layer (its tree read, no content yet).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let ts =
        tileset::open(path, &tileset::Limits::default()).map_err(|detail| LoadError::Invalid {
            path: path.to_path_buf(),
            format: "3D Tiles",
            detail,
        })?;
    // A georeferenced tileset sits near the Earth's surface in ECEF; any
    // other is in a local frame.
    let ecef = summary::wgs84_extent(&ts).is_some();
    let name = match path.parent().and_then(|p| p.file_name()) {
        Some(dir) if crate::layer_name(path).eq_ignore_ascii_case("tileset") => {
            dir.to_string_lossy().into_owned()
        }
        _ => crate::layer_name(path),
    };
    let source = LocalTileset { tileset: ts, ecef };
    let warnings = source
        .problems()
        .into_iter()
        .map(|p| format!("{}: {p}", crate::show(path)))
        .collect();
    Ok(Loaded {
        layer: Layer {
            name,
            format: "3D Tiles".into(),
            crs: ecef.then(|| cim_core::crs::CrsDef::parse("EPSG:4978").expect("EPSG:4978 parses")),
            kind: LayerKind::Auto,
            content: LayerContent::Tiles(TileLayer {
                source: Arc::new(source),
                placement: None,
            }),
        },
        warnings,
        detail: None,
    })
}
