//! A streamed tile source (a 3D Tiles tileset now; OSGB PagedLOD and tiled
//! IFC next) and its placement in the scene CRS.
//!
//! A source gives its [`TileTree`] and reads one tile's content on demand;
//! a [`TilePlacement`] maps the tree's frame (earth-centred for
//! georeferenced tilesets, or a local frame) into the scene CRS in f64,
//! exactly, through PROJ, so a city in CGCS2000 Gauss-Krüger coordinates
//! stays jitter-free. [`PlacedTiles`] is the tree as the level-of-detail
//! selection sees it, in scene coordinates.

use crate::crs::transform::Transformer;
use crate::lod::LodTree;
use crate::lod::tile_edits::TileEdits;
use crate::lod::tileset::{ContentRef, TileId, TileTree};
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
        let place = |v: &crate::lod::tileset::BoundingVolume, world| -> Result<Bbox, String> {
            let mut pts = v.hull_points(world);
            frame.to_scene(&mut pts)?;
            let mut b = Bbox::EMPTY;
            for p in pts {
                b.extend(p);
            }
            Ok(b)
        };
        let mut bounds = Vec::with_capacity(tree.len());
        let mut request_volumes = Vec::with_capacity(tree.len());
        for t in &tree.tiles {
            bounds.push(place(&t.bounds, &t.world)?);
            request_volumes.push(
                t.request_volume
                    .as_ref()
                    .map(|v| place(v, &t.world))
                    .transpose()?,
            );
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

/// The placed tree as the selection walks it, for a camera at `camera`:
/// a tile whose `viewerRequestVolume` does not hold the camera is left
/// out (3D Tiles 1.1 §"Viewer request volume").
pub struct PlacedTiles<'a> {
    pub tree: &'a TileTree,
    pub placement: &'a TilePlacement,
    pub camera: DVec3,
}

impl PlacedTiles<'_> {
    fn visible(&self, id: TileId) -> bool {
        self.placement.request_volumes[id as usize].is_none_or(|v| {
            let c = self.camera;
            (v.min.x..=v.max.x).contains(&c.x)
                && (v.min.y..=v.max.y).contains(&c.y)
                && (v.min.z..=v.max.z).contains(&c.z)
        })
    }
}

impl LodTree for PlacedTiles<'_> {
    type Id = TileId;

    fn root(&self) -> TileId {
        0
    }

    fn parent(&self, id: TileId) -> Option<TileId> {
        self.tree.tile(id).parent
    }

    fn children_into(&self, id: TileId, out: &mut Vec<TileId>) {
        out.extend(
            self.tree
                .tile(id)
                .children
                .iter()
                .copied()
                .filter(|&c| self.visible(c)),
        );
    }

    fn bounds(&self, id: TileId) -> Bbox {
        self.placement.bounds[id as usize]
    }

    /// The tile's geometric error, scaled as its transform scales it (as
    /// CesiumJS does: a model scaled ×100 is off by 100 times as much).
    fn geometric_error(&self, id: TileId) -> f64 {
        let t = self.tree.tile(id);
        let w = &t.world;
        let scale = w
            .x_axis
            .truncate()
            .length()
            .max(w.y_axis.truncate().length())
            .max(w.z_axis.truncate().length());
        t.geometric_error * scale
    }
}
