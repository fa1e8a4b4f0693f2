//! A tileset (a folder or a web server) as a [`TileSource`] layer: what
//! `load_all` returns for a `tileset.json`, and [`load_url`] for an
//! `http(s)://…/tileset.json`.

use super::{summary, tileset};
use crate::{LoadError, Loaded};
use cim_core::lod::tile_source::{TileLayer, TileSource};
use cim_core::lod::tileset::{ContentRef, TileId, TileTree};
use cim_core::model::tile_content::{MetadataEntity, TileContent};
use cim_core::{Layer, LayerContent, LayerKind};
use std::path::Path;
use std::sync::Arc;

/// A tileset, read a content at a time.
#[derive(Debug)]
pub struct TilesetSource {
    tileset: tileset::Tileset,
    ecef: bool,
}

impl TileSource for TilesetSource {
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

    fn metadata(&self, tile: TileId) -> Vec<MetadataEntity> {
        let ts = &self.tileset;
        let Some(t) = ts.tree.tiles.get(tile as usize) else {
            return Vec::new();
        };
        let null = serde_json::Value::Null;
        let schema = ts.schema.as_ref().unwrap_or(&null);
        let entity = |scope: &str, about: Option<&str>, value: &serde_json::Value| {
            let (class, properties) = super::structural_metadata::entity(schema, value);
            MetadataEntity {
                scope: scope.into(),
                class,
                about: about.map(str::to_string),
                properties,
            }
        };
        let mut out: Vec<MetadataEntity> = ts
            .metadata
            .iter()
            .map(|m| entity("tileset", None, m))
            .collect();
        out.extend(ts.tile_metadata.get(&tile).map(|m| entity("tile", None, m)));
        for (k, c) in t.contents.iter().enumerate() {
            let about = Some(c.uri.as_str());
            let group = c.group.and_then(|g| ts.groups.as_ref()?.get(g as usize));
            out.extend(group.map(|g| entity("group", about, g)));
            let content = ts.content_metadata.get(&(tile, k));
            out.extend(content.map(|m| entity("content", about, m)));
        }
        out
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
    let name = crate::layer_name(path);
    Ok(layer(ts, name))
}

/// Opens the tileset at an `http(s)://` URL as a layer.
pub fn load_url(url: &str) -> Result<Loaded, LoadError> {
    let ts = tileset::open_url(url, &tileset::Limits::default()).map_err(|detail| {
        LoadError::Invalid {
            path: url.into(),
            format: "3D Tiles",
            detail,
        }
    })?;
    let path = Path::new(url.split(['?', '#']).next().unwrap_or(url));
    Ok(layer(ts, crate::layer_name(path)))
}

/// The layer of an opened tileset. Parts that could not be read are left
/// to the caller ([`TileSource::problems`]): they are lost data, not
/// warnings.
fn layer(ts: tileset::Tileset, name: String) -> Loaded {
    // A georeferenced tileset sits near the Earth's surface in ECEF; any
    // other is in a local frame.
    let ecef = summary::wgs84_extent(&ts).is_some();
    let crs = ecef.then(|| cim_core::crs::CrsDef::parse("EPSG:4978").expect("EPSG:4978 parses"));
    tiles_layer(
        name,
        "3D Tiles",
        crs,
        Arc::new(TilesetSource { tileset: ts, ecef }),
    )
}

/// A layer of streamed tiles from `source`, not placed yet. What could not
/// be read is the source's [`TileSource::problems`], not the layer's
/// warnings.
pub(crate) fn tiles_layer(
    name: String,
    format: &str,
    crs: Option<cim_core::crs::CrsDef>,
    source: Arc<dyn TileSource>,
) -> Loaded {
    Loaded {
        layer: Layer {
            name,
            format: format.into(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Tiles(TileLayer {
                unmoved: None,
                source,
                placement: None,
                edits: Default::default(),
            }),
        },
        warnings: Vec::new(),
        detail: None,
    }
}
