//! Putting a dataset in a projected CRS (a Gauss-Krüger zone, UTM…) on the
//! globe for a 3D Tiles writer: 3D Tiles is earth-centred, and a tileset
//! whose root transform is a Gauss-Krüger offset would land inside the
//! Earth in CesiumJS.
//!
//! Every vertex goes through PROJ (CRS → EPSG:4978) and into one east-
//! north-up frame at the dataset's centre; the root's transform is that
//! frame's ENU → ECEF matrix. Per vertex, not per tile, so the projection's
//! scale factor and grid convergence are applied exactly.

use cim_core::Bbox;
use cim_core::crs::CrsDef;
use cim_core::crs::enu::{EnuFrame, ecef_to_geodetic};
use cim_core::crs::transform::Transformer;
use cim_core::lod::tileset::{BoundingVolume, TileTree};
use cim_core::model::tile_content::TileContent;
use glam::{DMat4, DVec3};

thread_local! {
    /// This thread's transformer to EPSG:4978, and the CRS it is from.
    static TO_ECEF: std::cell::RefCell<Option<(CrsDef, Transformer)>> =
        const { std::cell::RefCell::new(None) };
}

/// A transformer from `crs` to earth-centred coordinates.
fn transformer(crs: &CrsDef) -> Result<Transformer, String> {
    let ecef = CrsDef::parse("EPSG:4978").expect("EPSG:4978 parses");
    Transformer::new(crs, &ecef).map_err(|e| e.to_string())
}

/// A projected CRS → one ENU frame at the dataset's centre.
pub struct ToEnu {
    crs: CrsDef,
    frame: EnuFrame,
    /// The dataset's frame → the CRS (the tree's `world`).
    world: DMat4,
}

impl ToEnu {
    /// The frame for `tree`, whose `world` maps into `crs`.
    pub fn new(crs: &CrsDef, tree: &TileTree) -> Result<ToEnu, String> {
        let to_ecef = transformer(crs)?;
        let root = tree.tile(0);
        let center = root.world.transform_point3(match root.bounds {
            BoundingVolume::Box { center, .. } | BoundingVolume::Sphere { center, .. } => center,
            BoundingVolume::Region(_) => DVec3::ZERO,
        });
        let c = to_ecef.transform(center).map_err(|e| e.to_string())?;
        Ok(ToEnu {
            crs: crs.clone(),
            frame: EnuFrame::new(ecef_to_geodetic(c)),
            world: root.world,
        })
    }

    /// The root's transform: ENU → ECEF.
    pub fn enu_to_ecef(&self) -> DMat4 {
        let o = self.frame.enu_to_ecef(DVec3::ZERO);
        let axis = |v: DVec3| (self.frame.enu_to_ecef(v) - o).extend(0.0);
        DMat4::from_cols(
            axis(DVec3::X),
            axis(DVec3::Y),
            axis(DVec3::Z),
            o.extend(1.0),
        )
    }

    /// Points of the dataset's frame (after `m`) in the ENU frame.
    fn to_enu(&self, m: DMat4, pts: &mut [DVec3]) -> Result<(), String> {
        let m = self.world * m;
        for p in pts.iter_mut() {
            *p = m.transform_point3(*p);
        }
        // One transformer per writer thread: a shared one would serialize
        // every PROJ call behind its lock.
        TO_ECEF.with(|cell| -> Result<(), String> {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().is_none_or(|(c, _)| *c != self.crs) {
                *cell = Some((self.crs.clone(), transformer(&self.crs)?));
            }
            let (_, t) = cell.as_ref().expect("set above");
            t.transform_many(pts).map_err(|e| e.to_string())
        })?;
        for p in pts.iter_mut() {
            *p = self.frame.ecef_to_enu(*p);
        }
        Ok(())
    }

    /// Moves a content's meshes into the ENU frame: positions through
    /// PROJ, each mesh around its first vertex (kept exact in f32).
    /// Normals keep their directions (grid convergence is a few degrees at
    /// most, and photogrammetry is drawn unlit).
    pub fn content(&self, c: &mut TileContent) -> Result<(), String> {
        for mesh in &mut c.meshes {
            let mut pts: Vec<DVec3> = mesh
                .positions
                .iter()
                .map(|p| DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64))
                .collect();
            self.to_enu(mesh.transform, &mut pts)?;
            let anchor = pts.first().copied().unwrap_or(DVec3::ZERO);
            mesh.positions = pts
                .iter()
                .map(|p| (*p - anchor).as_vec3().to_array())
                .collect();
            mesh.transform = DMat4::from_translation(anchor);
        }
        Ok(())
    }

    /// The tree with each tile's box in the ENU frame (around its corners
    /// moved there) and the ENU → ECEF matrix as every tile's `world`.
    pub fn tree(&self, tree: &TileTree) -> Result<TileTree, String> {
        let mut out = tree.clone();
        let world = self.enu_to_ecef();
        for t in &mut out.tiles {
            let b = t.bounds.aabb(&DMat4::IDENTITY);
            let mut corners: Vec<DVec3> = (0..8)
                .map(|i| {
                    DVec3::new(
                        if i & 1 == 0 { b.min.x } else { b.max.x },
                        if i & 2 == 0 { b.min.y } else { b.max.y },
                        if i & 4 == 0 { b.min.z } else { b.max.z },
                    )
                })
                .collect();
            self.to_enu(DMat4::IDENTITY, &mut corners)?;
            let mut e = Bbox::EMPTY;
            for p in corners {
                e.extend(p);
            }
            t.bounds = BoundingVolume::from_bbox(&e);
            t.world = world;
        }
        Ok(out)
    }
}
