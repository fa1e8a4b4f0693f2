//! The scenario's grid placed in the scene: its cells' corners in the
//! scene CRS, and the cells round each of the scene's buildings.

use cim_core::crs::{CrsDef, Transformer};
use cim_core::model::geometry::Geometry;
use cim_core::{DVec2, DVec3, Layer};
use std::sync::Arc;

/// The scenario's grid as the viewer places it.
pub struct FloodGrid {
    pub nx: usize,
    pub ny: usize,
    /// Bed level per cell (buildings raised), rows from the south.
    pub bed: Vec<f32>,
    /// Each cell's corners in the scene CRS, `(nx + 1) × (ny + 1)` from
    /// the south-west, row by row.
    pub(super) corners: Vec<DVec2>,
    /// Cells on the DEM.
    pub(super) ground: Vec<bool>,
}

impl FloodGrid {
    pub(super) fn corner(&self, i: usize, j: usize) -> DVec2 {
        self.corners[j * (self.nx + 1) + i]
    }

    /// A point `g` cells from the south-west corner, in the scene CRS:
    /// bilinear between the corners of the cell it falls in.
    pub fn at(&self, g: DVec2) -> DVec2 {
        let i = (g.x.floor().max(0.0) as usize).min(self.nx - 1);
        let j = (g.y.floor().max(0.0) as usize).min(self.ny - 1);
        let (fx, fy) = (g.x - i as f64, g.y - j as f64);
        let (a, b) = (self.corner(i, j), self.corner(i + 1, j));
        let (c, d) = (self.corner(i, j + 1), self.corner(i + 1, j + 1));
        (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy
    }

    /// The cell holding a scene point (by the cells' corners: exact for a
    /// grid in the scene CRS, to the reprojection's curvature otherwise).
    pub fn cell_at(&self, p: DVec3) -> Option<usize> {
        let (o, ex, ny) = (
            self.corner(0, 0),
            self.corner(self.nx, 0),
            self.corner(0, self.ny),
        );
        let (u, v) = (ex - o, ny - o);
        let d = p.truncate() - o;
        let det = u.perp_dot(v);
        if det == 0.0 {
            return None;
        }
        let (a, b) = (d.perp_dot(v) / det, u.perp_dot(d) / det);
        let (i, j) = ((a * self.nx as f64).floor(), (b * self.ny as f64).floor());
        ((0.0..self.nx as f64).contains(&i) && (0.0..self.ny as f64).contains(&j))
            .then(|| j as usize * self.nx + i as usize)
    }
}

/// The grid's corners in the scene CRS.
pub(super) fn place_grid(
    p: &crate::flood::Prepared,
    scene_crs: &CrsDef,
) -> anyhow::Result<FloodGrid> {
    let d = &p.solver.domain;
    let g = crate::flood::cell_grid(&p.dem);
    let to_scene = match &p.dem_crs {
        Some(c) if c != scene_crs => Some(Transformer::new(c, scene_crs)?),
        _ => None,
    };
    let mut corners = Vec::with_capacity((d.nx + 1) * (d.ny + 1));
    for j in 0..=d.ny {
        for i in 0..=d.nx {
            let at = g.origin + DVec2::new(i as f64, j as f64) * g.cell_m;
            let at = match &to_scene {
                Some(t) => t.transform(at.extend(0.0))?.truncate(),
                None => at,
            };
            corners.push(at);
        }
    }
    Ok(FloodGrid {
        nx: d.nx,
        ny: d.ny,
        bed: d.bed.clone(),
        corners,
        ground: p.ground.clone(),
    })
}

/// Each building's footprint and the ring of cells round it: where the
/// water against its walls is (its own cells are raised when the
/// scenario burns the buildings in).
pub(super) fn building_cells(
    buildings: &[(u64, Arc<Layer>)],
    grid: &cim_core::flood::city::CellGrid,
    to_dem: Option<&Transformer>,
) -> Vec<(u64, u32, Vec<u32>)> {
    let mut out = Vec::new();
    for (id, layer) in buildings {
        let Some(v) = layer.vector() else { continue };
        for (k, f) in v.features.iter().enumerate() {
            let rings: Vec<&Vec<DVec3>> = match &f.geometry {
                Geometry::Polygon(p) => vec![&p.exterior],
                Geometry::MultiPolygon(ps) => ps.iter().map(|p| &p.exterior).collect(),
                _ => continue,
            };
            let (mut lo, mut hi) = (DVec2::splat(f64::MAX), DVec2::splat(f64::MIN));
            for p in rings.into_iter().flatten() {
                let q = match to_dem {
                    Some(t) => match t.transform(*p) {
                        Ok(q) => q,
                        Err(_) => continue,
                    },
                    None => *p,
                };
                lo = lo.min(q.truncate());
                hi = hi.max(q.truncate());
            }
            if lo.x > hi.x {
                continue;
            }
            // The footprint's box grown by a cell: its cells and the ring.
            let cell = |x: f64, y: f64| {
                (
                    ((x - grid.origin.x) / grid.cell_m).floor() as i64,
                    ((y - grid.origin.y) / grid.cell_m).floor() as i64,
                )
            };
            let ((i0, j0), (i1, j1)) = (cell(lo.x, lo.y), cell(hi.x, hi.y));
            let mut cells = Vec::new();
            for j in (j0 - 1).max(0)..=(j1 + 1).min(grid.ny as i64 - 1) {
                for i in (i0 - 1).max(0)..=(i1 + 1).min(grid.nx as i64 - 1) {
                    cells.push((j as usize * grid.nx + i as usize) as u32);
                }
            }
            if !cells.is_empty() {
                out.push((*id, k as u32, cells));
            }
        }
    }
    out
}
