//! A streamed tile source (a 3D Tiles tileset, an OSGB dataset; tiled IFC
//! next) and its placement in the scene CRS.
//!
//! A source gives its [`TileTree`] as read when it opens, reads one tile's
//! content on demand, and reads the children a tile deferred when the
//! view first needs them ([`TileSource::expand`], grown into a
//! [`StreamedTree`](crate::lod::streamed_tree::StreamedTree));
//! a [`TilePlacement`] maps the tree's frame (earth-centred for
//! georeferenced tilesets, or a local frame) into the scene CRS in f64,
//! exactly, through PROJ, so a city in CGCS2000 Gauss-Krüger coordinates
//! stays jitter-free.

use crate::crs::transform::Transformer;
use crate::lod::tile_edits::TileEdits;
use crate::lod::tileset::{Branch, ContentRef, Tile, TileId, TileTree};
use crate::model::geometry::Bbox;
use crate::model::tile_content::{MetadataEntity, TileContent};
use glam::{DMat4, DVec3};
use std::fmt;
use std::sync::Arc;

/// Largest screen-space error of drawn tiles, pixels (CesiumJS's default
/// `maximumScreenSpaceError`): what a source's geometric errors are
/// measured against (an OSGB PagedLOD's switch range becomes the error that
/// reaches it where OpenSceneGraph would switch).
pub const MAX_SCREEN_ERROR_PX: f64 = 16.0;

/// Where tiles come from.
pub trait TileSource: Send + Sync + fmt::Debug {
    fn tree(&self) -> &TileTree;
    /// Reads one content; the message names the file or URL.
    fn read(&self, content: &ContentRef) -> Result<TileContent, String>;
    /// Whether the tree's frame is earth-centred, earth-fixed (EPSG:4978).
    fn is_ecef(&self) -> bool;
    /// Problems met while reading the tree (external tilesets or subtrees
    /// that could not be read), to show once.
    fn problems(&self) -> Vec<String>;
    /// The metadata that applies to tile `tile`: the source's own, the
    /// tile's, its contents' and their groups' (3D Tiles 1.1 metadata),
    /// broadest first.
    fn metadata(&self, tile: TileId) -> Vec<MetadataEntity> {
        let _ = tile;
        Vec::new()
    }
    /// Reads the children of `tile`, which deferred them
    /// ([`Tile::children_uri`]); the message names the file or URL.
    fn expand(&self, tile: &Tile) -> Result<Branch, String> {
        let _ = tile;
        Err("this source reads its whole tree when it opens".into())
    }
}

/// How the tree's frame maps into the scene CRS; each then moved by an
/// affine map in scene coordinates (a placement the scene document asks
/// for; identity otherwise).
#[derive(Clone)]
pub enum Frame {
    /// Earth-centred coordinates, through PROJ (EPSG:4978 → scene CRS).
    Ecef(Arc<Transformer>, DMat4),
    /// A local frame in metres, taken as scene coordinates.
    Local(DMat4),
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Ecef(_, m) => write!(f, "Ecef({m})"),
            Frame::Local(m) => write!(f, "Local({m})"),
        }
    }
}

impl Frame {
    /// Maps points of the tree's frame into the scene CRS, in place.
    pub fn to_scene(&self, pts: &mut [DVec3]) -> Result<(), String> {
        let m = match self {
            Frame::Ecef(t, m) => {
                t.transform_many(pts).map_err(|e| e.to_string())?;
                m
            }
            Frame::Local(m) => m,
        };
        if *m != DMat4::IDENTITY {
            for p in pts {
                *p = m.transform_point3(*p);
            }
        }
        Ok(())
    }

    /// The scene-CRS bounds of a tile's bounding volume and of its
    /// request volume.
    pub fn place(&self, t: &Tile) -> Result<(Bbox, Option<Bbox>), String> {
        let place = |v: &crate::lod::tileset::BoundingVolume| -> Result<Bbox, String> {
            let mut pts = v.hull_points(&t.world);
            self.to_scene(&mut pts)?;
            let mut b = Bbox::EMPTY;
            for p in pts {
                b.extend(p);
            }
            Ok(b)
        };
        let request = t.request_volume.as_ref().map(place).transpose()?;
        Ok((place(&t.bounds)?, request))
    }

    /// The same frame, then moved by `m` (scene coordinates).
    pub fn then(&self, m: DMat4) -> Frame {
        match self {
            Frame::Ecef(t, a) => Frame::Ecef(t.clone(), m * *a),
            Frame::Local(a) => Frame::Local(m * *a),
        }
    }
}

/// The tree placed in the scene CRS: each tile's bounds there.
#[derive(Clone, Debug)]
pub struct TilePlacement {
    pub frame: Frame,
    /// Scene-CRS bounds of each tile (of its bounding volume's hull).
    pub bounds: Vec<Bbox>,
    /// Scene-CRS bounds of each tile's `viewerRequestVolume`.
    pub request_volumes: Vec<Option<Bbox>>,
}

impl TilePlacement {
    /// Places every tile of `tree` through `frame`.
    pub fn new(tree: &TileTree, frame: Frame) -> Result<TilePlacement, String> {
        let mut bounds = Vec::with_capacity(tree.len());
        let mut request_volumes = Vec::with_capacity(tree.len());
        for t in &tree.tiles {
            let (b, v) = frame.place(t)?;
            bounds.push(b);
            request_volumes.push(v);
        }
        Ok(TilePlacement {
            frame,
            bounds,
            request_volumes,
        })
    }

    /// The whole tree's scene bounds.
    pub fn extent(&self) -> Option<Bbox> {
        self.bounds.first().copied()
    }
}

/// A tile source and its placement: what a tiles layer holds.
#[derive(Clone, Debug)]
pub struct TileLayer {
    pub source: Arc<dyn TileSource>,
    /// Set when the layer is brought into the scene CRS.
    pub placement: Option<Arc<TilePlacement>>,
    /// The placement before the document's `[layer.placement]` moved it:
    /// what a new placement moves again ([`TileLayer::moved`]).
    pub unmoved: Option<Arc<TilePlacement>>,
    /// Clip and flatten regions, applied to each tile as it is placed.
    pub edits: Arc<TileEdits>,
}

/// The same source, placed the same, with the same edits: a new placement
/// or new edits redraw every tile.
impl PartialEq for TileLayer {
    fn eq(&self, other: &Self) -> bool {
        let same_place = match (&self.placement, &other.placement) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        Arc::ptr_eq(&self.source, &other.source)
            && Arc::ptr_eq(&self.edits, &other.edits)
            && same_place
    }
}

impl TileLayer {
    /// The tileset moved by `placement` (turned and scaled about the
    /// centre of its unmoved extent, then offset); `None` puts it back
    /// where it was read to be. Without an unmoved placement (not brought
    /// into the scene yet) it is unchanged.
    pub fn moved(&self, placement: Option<&crate::scene::Placement>) -> Result<TileLayer, String> {
        let Some(unmoved) = self.unmoved.clone() else {
            return Ok(self.clone());
        };
        let placed = match (placement, unmoved.extent()) {
            (Some(p), Some(extent)) => {
                p.check()?;
                let frame = unmoved.frame.then(p.matrix(extent.center()));
                Arc::new(TilePlacement::new(self.source.tree(), frame)?)
            }
            _ => unmoved.clone(),
        };
        Ok(TileLayer {
            placement: Some(placed),
            ..self.clone()
        })
    }
}
