//! The tile tree of an OGC 3D Tiles tileset (3D Tiles 1.1, OGC 22-025r4),
//! as the level-of-detail core sees it: an arena of tiles with their
//! bounding volumes, transforms, geometric errors, refinement and contents.
//!
//! Readers (`cim_loaders::tiles3d`, later the OSGB and IFC tile sources)
//! build a [`TileTree`]; implicit tiling is expanded into explicit tiles by
//! the reader, with bounds from [`BoundingVolume::subdivide`]. Coordinates
//! stay in the tileset's own frame (ECEF for georeferenced tilesets) in
//! f64; placing them in the scene CRS is the caller's job.

use crate::model::geometry::Bbox;
use glam::{DMat4, DVec3};

/// Index of a tile in its [`TileTree`].
pub type TileId = u32;

/// A bounding volume (3D Tiles 1.1 §"Bounding volumes").
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BoundingVolume {
    /// An oriented box: centre and three half-axis vectors.
    Box {
        center: DVec3,
        half_axes: [DVec3; 3],
    },
    /// A geographic region on WGS 84: west, south, east, north in radians,
    /// minimum and maximum height in metres above the ellipsoid. Not
    /// affected by tile transforms.
    Region([f64; 6]),
    Sphere {
        center: DVec3,
        radius: f64,
    },
}

impl BoundingVolume {
    /// The `[x0, x1) × [y0, y1) (× [z0, z1))` part of the volume as fractions
    /// of its extent along its first, second (and third) axis: how implicit
    /// tiling (3D Tiles 1.1 §"Implicit tiling") subdivides a box or a region.
    /// `level` and `(x, y, z)` follow the implicit tile coordinates; `z` is
    /// `None` for a quadtree, which keeps the full height.
    ///
    /// ```
    /// use cim_core::lod::tileset::BoundingVolume;
    /// use cim_core::DVec3;
    /// let root = BoundingVolume::Box {
    ///     center: DVec3::ZERO,
    ///     half_axes: [DVec3::X * 8.0, DVec3::Y * 8.0, DVec3::Z],
    /// };
    /// let BoundingVolume::Box { center, half_axes } = root.subdivide(1, 1, 0, None).unwrap() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(center, DVec3::new(4.0, -4.0, 0.0));
    /// assert_eq!(half_axes, [DVec3::X * 4.0, DVec3::Y * 4.0, DVec3::Z]);
    /// ```
    pub fn subdivide(&self, level: u32, x: u64, y: u64, z: Option<u64>) -> Option<BoundingVolume> {
        let n = 2f64.powi(level.min(62) as i32);
        // Fraction [lo, hi] of an axis covered by index i of n.
        let span = |i: u64| (i as f64 / n, (i + 1) as f64 / n);
        let (sx, sy) = (span(x), span(y));
        let sz = z.map(span).unwrap_or((0.0, 1.0));
        match *self {
            BoundingVolume::Box { center, half_axes } => {
                // A fraction f ∈ [0, 1] of an axis is the point
                // centre + axis·(2f − 1).
                let mid = |s: (f64, f64)| s.0 + s.1 - 1.0;
                let half = |s: (f64, f64)| s.1 - s.0;
                Some(BoundingVolume::Box {
                    center: center
                        + half_axes[0] * mid(sx)
                        + half_axes[1] * mid(sy)
                        + half_axes[2] * mid(sz),
                    half_axes: [
                        half_axes[0] * half(sx),
                        half_axes[1] * half(sy),
                        half_axes[2] * half(sz),
                    ],
                })
            }
            BoundingVolume::Region([w, s, e, nn, h0, h1]) => {
                let lerp = |a: f64, b: f64, f: f64| a + (b - a) * f;
                Some(BoundingVolume::Region([
                    lerp(w, e, sx.0),
                    lerp(s, nn, sy.0),
                    lerp(w, e, sx.1),
                    lerp(s, nn, sy.1),
                    lerp(h0, h1, sz.0),
                    lerp(h0, h1, sz.1),
                ]))
            }
            BoundingVolume::Sphere { .. } => None,
        }
    }

    /// Corner points enclosing the volume in the frame `transform` maps
    /// into (regions are placed on WGS 84 and ignore `transform`, as the
    /// specification says): eight box corners, the eight corners of a
    /// sphere's bounding cube, or a region's corners and edge midpoints in
    /// ECEF (enough for an enclosing box of regions up to a few degrees).
    pub fn hull_points(&self, transform: &DMat4) -> Vec<DVec3> {
        match *self {
            BoundingVolume::Box { center, half_axes } => {
                let mut out = Vec::with_capacity(8);
                for i in 0..8 {
                    let sign = |bit: u32| if i >> bit & 1 == 1 { 1.0 } else { -1.0 };
                    let p = center
                        + half_axes[0] * sign(0)
                        + half_axes[1] * sign(1)
                        + half_axes[2] * sign(2);
                    out.push(transform.transform_point3(p));
                }
                out
            }
            BoundingVolume::Sphere { center, radius } => {
                let r = DVec3::splat(radius);
                BoundingVolume::Box {
                    center,
                    half_axes: [DVec3::X * r.x, DVec3::Y * r.y, DVec3::Z * r.z],
                }
                .hull_points(transform)
            }
            BoundingVolume::Region([w, s, e, n, h0, h1]) => {
                let mut out = Vec::with_capacity(18);
                for lon in [w, (w + e) / 2.0, e] {
                    for lat in [s, (s + n) / 2.0, n] {
                        for h in [h0, h1] {
                            out.push(crate::crs::enu::geodetic_to_ecef(DVec3::new(
                                lon.to_degrees(),
                                lat.to_degrees(),
                                h,
                            )));
                        }
                    }
                }
                out
            }
        }
    }

    /// The axis-aligned box `b` as a volume (an empty `b`: a point at
    /// the origin).
    ///
    /// ```
    /// use cim_core::lod::tileset::BoundingVolume;
    /// use cim_core::{Bbox, DVec3};
    /// let b = Bbox { min: DVec3::ZERO, max: DVec3::new(2.0, 4.0, 6.0) };
    /// let BoundingVolume::Box { center, half_axes } = BoundingVolume::from_bbox(&b) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(center, DVec3::new(1.0, 2.0, 3.0));
    /// assert_eq!(half_axes, [DVec3::X, DVec3::Y * 2.0, DVec3::Z * 3.0]);
    /// ```
    pub fn from_bbox(b: &Bbox) -> BoundingVolume {
        if b.is_empty() {
            return BoundingVolume::Box {
                center: DVec3::ZERO,
                half_axes: [DVec3::ZERO; 3],
            };
        }
        let half = (b.max - b.min) * 0.5;
        BoundingVolume::Box {
            center: b.center(),
            half_axes: [DVec3::X * half.x, DVec3::Y * half.y, DVec3::Z * half.z],
        }
    }

    /// The axis-aligned box around [`hull_points`](Self::hull_points).
    pub fn aabb(&self, transform: &DMat4) -> Bbox {
        let mut b = Bbox::EMPTY;
        for p in self.hull_points(transform) {
            b.extend(p);
        }
        b
    }
}

/// How a tile's content relates to its children's (3D Tiles 1.1
/// §"Refinement").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refine {
    /// Children replace the parent's content.
    Replace,
    /// Children add to the parent's content, which stays drawn.
    Add,
}

impl Refine {
    pub fn as_str(self) -> &'static str {
        match self {
            Refine::Replace => "REPLACE",
            Refine::Add => "ADD",
        }
    }
}

/// One content of a tile (3D Tiles 1.1 allows several).
#[derive(Clone, Debug, PartialEq)]
pub struct ContentRef {
    /// The URI resolved against the tileset that lists it: a path below the
    /// tileset's root, or an absolute URL.
    pub uri: String,
    /// A tighter volume around the content, when the tileset gives one.
    pub bounds: Option<BoundingVolume>,
    /// The metadata group (3D Tiles 1.1 `group`), an index into the
    /// tileset's groups.
    pub group: Option<u32>,
}

/// One tile.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    pub parent: Option<TileId>,
    pub children: Vec<TileId>,
    pub bounds: BoundingVolume,
    /// The camera must be inside this volume for the tile to refine or
    /// draw (3D Tiles `viewerRequestVolume`).
    pub request_volume: Option<BoundingVolume>,
    /// This tile's frame → the tileset's frame: the product of the
    /// `transform`s from the root down to this tile.
    pub world: DMat4,
    pub geometric_error: f64,
    /// Inherited from the parent when the tile does not say.
    pub refine: Refine,
    pub contents: Vec<ContentRef>,
    /// Depth below the root of the whole tree (external tilesets and
    /// implicit tiles included); the root is 0.
    pub depth: u32,
    /// Where the tile's children are, when they were not read with the
    /// tree: the source reads them when the view first needs them
    /// ([`crate::lod::tile_source::TileSource::expand`]), so that opening
    /// a dataset of thousands of files reads only its roots. The tile has
    /// no `children` until then.
    pub children_uri: Option<String>,
}

/// The tiles a source reads under one tile whose children it deferred
/// ([`Tile::children_uri`]), in the tree's frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Branch {
    /// Parents before their children. A tile's `parent` is the index of
    /// its parent in `tiles`, or `None` for a child of the tile expanded;
    /// `children` and `depth` are set when the branch is grafted.
    pub tiles: Vec<Tile>,
    /// What was wrong but did not stop the read (child files missing…),
    /// to tell once.
    pub problems: Vec<String>,
}

/// Depth a tree grows to at most by [`Branch`]es: deeper is a file paging
/// in one of its ancestors, or hostile.
pub const MAX_DEPTH: u32 = 100;

impl Branch {
    /// The branch's tiles numbered from `first`, hung under tile `at` (at
    /// depth `at_depth`): parents, children and depths set. Returns them
    /// and the ids of the ones directly under `at`; refuses a tile naming
    /// a parent after it, or deeper than [`MAX_DEPTH`].
    pub fn link(
        self,
        at: TileId,
        at_depth: u32,
        first: usize,
    ) -> Result<(Vec<Tile>, Vec<TileId>), String> {
        let mut tiles: Vec<Tile> = Vec::with_capacity(self.tiles.len());
        let mut top = Vec::new();
        for (i, mut tile) in self.tiles.into_iter().enumerate() {
            let me = (first + i) as TileId;
            tile.children = Vec::new();
            match tile.parent {
                None => {
                    tile.parent = Some(at);
                    tile.depth = at_depth + 1;
                    top.push(me);
                }
                Some(p) if (p as usize) < i => {
                    let parent = &mut tiles[p as usize];
                    parent.children.push(me);
                    tile.depth = parent.depth + 1;
                    tile.parent = Some((first + p as usize) as TileId);
                }
                Some(p) => return Err(format!("tile {i} of a branch names tile {p} as parent")),
            }
            if tile.depth > MAX_DEPTH {
                return Err(format!(
                    "the tree is deeper than {MAX_DEPTH} levels here (a file paging in one of its ancestors?); it stops here"
                ));
            }
            tiles.push(tile);
        }
        Ok((tiles, top))
    }
}

/// A tileset's tiles, the root first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileTree {
    pub tiles: Vec<Tile>,
}

impl TileTree {
    pub fn root(&self) -> Option<TileId> {
        (!self.tiles.is_empty()).then_some(0)
    }

    pub fn tile(&self, id: TileId) -> &Tile {
        &self.tiles[id as usize]
    }

    /// Appends `tile` under its `parent` (which must already be in the
    /// tree) and returns its id.
    pub fn push(&mut self, tile: Tile) -> TileId {
        let id = self.tiles.len() as TileId;
        if let Some(p) = tile.parent {
            self.tiles[p as usize].children.push(id);
        }
        self.tiles.push(tile);
        id
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    /// Hangs `branch` under tile `at` (which deferred its children) and
    /// returns the new tiles' first id; see [`Branch::link`].
    pub fn graft(&mut self, at: TileId, branch: Branch) -> Result<TileId, String> {
        let first = self.tiles.len();
        let parent = self
            .tiles
            .get(at as usize)
            .ok_or_else(|| format!("tile {at} is not in the tree"))?;
        let (tiles, top) = branch.link(at, parent.depth, first)?;
        let parent = &mut self.tiles[at as usize];
        parent.children.extend(top);
        parent.children_uri = None;
        self.tiles.extend(tiles);
        Ok(first as TileId)
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Contents over all tiles.
    pub fn content_count(&self) -> usize {
        self.tiles.iter().map(|t| t.contents.len()).sum()
    }

    /// The deepest tile's depth (0 for a root alone).
    pub fn max_depth(&self) -> u32 {
        self.tiles.iter().map(|t| t.depth).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octree_subdivision_of_a_region_splits_heights_too() {
        let r = BoundingVolume::Region([0.0, 0.0, 1.0, 1.0, 0.0, 100.0]);
        let BoundingVolume::Region(c) = r.subdivide(2, 3, 0, Some(1)).unwrap() else {
            panic!("a region stays a region")
        };
        assert_eq!(c, [0.75, 0.0, 1.0, 0.25, 25.0, 50.0]);
        assert!(
            BoundingVolume::Sphere {
                center: DVec3::ZERO,
                radius: 1.0
            }
            .subdivide(1, 0, 0, None)
            .is_none()
        );
    }

    #[test]
    fn box_hull_follows_the_transform() {
        let b = BoundingVolume::Box {
            center: DVec3::new(1.0, 0.0, 0.0),
            half_axes: [DVec3::X, DVec3::Y * 2.0, DVec3::Z * 3.0],
        };
        let aabb = b.aabb(&DMat4::from_translation(DVec3::new(10.0, 20.0, 30.0)));
        assert_eq!(aabb.min, DVec3::new(10.0, 18.0, 27.0));
        assert_eq!(aabb.max, DVec3::new(12.0, 22.0, 33.0));
    }

    #[test]
    fn region_hull_lies_on_the_ellipsoid() {
        let r = BoundingVolume::Region([0.0, 0.0, 0.001, 0.001, 0.0, 0.0]);
        for p in r.hull_points(&DMat4::IDENTITY) {
            assert!((p.length() - 6_378_137.0).abs() < 1.0, "{p}");
        }
    }

    #[test]
    fn push_links_parent_and_child() {
        let t = |parent, depth| Tile {
            parent,
            children: vec![],
            bounds: BoundingVolume::Sphere {
                center: DVec3::ZERO,
                radius: 1.0,
            },
            request_volume: None,
            world: DMat4::IDENTITY,
            geometric_error: 1.0,
            refine: Refine::Replace,
            contents: vec![],
            depth,
            children_uri: None,
        };
        let mut tree = TileTree::default();
        let root = tree.push(t(None, 0));
        let child = tree.push(t(Some(root), 1));
        assert_eq!(tree.tile(root).children, vec![child]);
        assert_eq!((tree.len(), tree.max_depth()), (2, 1));
    }
}
