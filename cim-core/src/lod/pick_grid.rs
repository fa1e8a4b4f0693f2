//! A uniform grid over a mesh's triangles in plan (x, y), so a picking ray
//! tests the triangles of the cells its plan crosses instead of all of
//! them. City meshes (photogrammetry, BIM storeys, buildings) are wide in
//! plan, so a ray from a viewer above them crosses a few cells; walls fall
//! in the cells their base runs through.
//!
//! Cells are walked front to back along the ray with the traversal of
//! J. Amanatides, A. Woo, "A Fast Voxel Traversal Algorithm for Ray
//! Tracing", Eurographics 1987, stopping once a cell begins beyond the
//! nearest hit found.

use crate::query::pick::Ray;
use glam::DVec2;

/// Triangles per cell aimed at.
const PER_CELL: usize = 8;
/// Most cells a side (bounds the grid of a degenerate mesh).
const MAX_SIDE: usize = 1024;

/// The cells of a span `[x0, x1, y0, y1]` in a grid `nx` cells wide.
fn cells(nx: usize, [x0, x1, y0, y1]: [usize; 4]) -> impl Iterator<Item = usize> {
    (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| y * nx + x))
}

/// Triangle ids by cell, in compressed rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PickGrid {
    min: DVec2,
    cell: f64,
    nx: usize,
    ny: usize,
    /// `starts[c]..starts[c + 1]` index `tris` for cell `c`.
    starts: Vec<u32>,
    tris: Vec<u32>,
}

impl PickGrid {
    /// The grid of a triangle list over `positions`, whose plan box is
    /// `min`–`max`.
    pub fn build(positions: &[[f32; 3]], indices: &[u32], min: DVec2, max: DVec2) -> PickGrid {
        let count = indices.len() / 3;
        let size = (max - min).max(DVec2::splat(1e-6));
        let wanted = (count / PER_CELL).max(1) as f64;
        let cell = (size.x * size.y / wanted)
            .sqrt()
            .max(size.max_element() / MAX_SIDE as f64);
        let nx = ((size.x / cell).ceil() as usize).clamp(1, MAX_SIDE);
        let ny = ((size.y / cell).ceil() as usize).clamp(1, MAX_SIDE);
        let mut grid = PickGrid {
            min,
            cell,
            nx,
            ny,
            starts: vec![0; nx * ny + 1],
            tris: Vec::new(),
        };
        let spans: Vec<Option<[usize; 4]>> = indices
            .chunks_exact(3)
            .map(|t| grid.span(positions, t))
            .collect();
        // Two passes: count per cell, then fill.
        for s in spans.iter().flatten() {
            for c in cells(nx, *s) {
                grid.starts[c + 1] += 1;
            }
        }
        for c in 1..grid.starts.len() {
            grid.starts[c] += grid.starts[c - 1];
        }
        let mut next = grid.starts.clone();
        grid.tris = vec![0; grid.starts[nx * ny] as usize];
        for (t, s) in spans.iter().enumerate() {
            let Some(s) = s else { continue };
            for c in cells(nx, *s) {
                grid.tris[next[c] as usize] = t as u32;
                next[c] += 1;
            }
        }
        grid
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        (self.starts.len() + self.tris.len()) * 4
    }

    /// The cell range `[x0, x1, y0, y1]` (inclusive) a triangle's plan box
    /// covers, or `None` for a triangle with a vertex missing.
    fn span(&self, positions: &[[f32; 3]], tri: &[u32]) -> Option<[usize; 4]> {
        let mut lo = DVec2::INFINITY;
        let mut hi = DVec2::NEG_INFINITY;
        for &i in tri {
            let p = positions.get(i as usize)?;
            let q = DVec2::new(p[0] as f64, p[1] as f64);
            lo = lo.min(q);
            hi = hi.max(q);
        }
        let (x0, y0) = self.cell_of(lo);
        let (x1, y1) = self.cell_of(hi);
        Some([x0, x1, y0, y1])
    }

    fn cell_of(&self, p: DVec2) -> (usize, usize) {
        let c = ((p - self.min) / self.cell).floor();
        let clamp = |v: f64, n: usize| (v.max(0.0) as usize).min(n - 1);
        (clamp(c.x, self.nx), clamp(c.y, self.ny))
    }

    /// Visits the triangles of the cells the ray's plan crosses between
    /// parameters `t0` and `t1`, nearest cells first; `visit(triangle)`
    /// returns the nearest hit so far, and the walk stops at cells that
    /// begin beyond it.
    pub fn walk(&self, ray: &Ray, t0: f64, t1: f64, mut visit: impl FnMut(u32) -> f64) {
        let start = ray.at(t0).truncate();
        let (mut x, mut y) = self.cell_of(start);
        let d = ray.dir.truncate();
        // Per axis: the step, the ray parameter of the next cell boundary
        // and how far apart boundaries are.
        let axis = |d: f64, p: f64, origin: f64, cell: usize| {
            if d > 0.0 {
                let edge = origin + (cell + 1) as f64 * self.cell;
                (1isize, t0 + (edge - p) / d, self.cell / d)
            } else if d < 0.0 {
                let edge = origin + cell as f64 * self.cell;
                (-1isize, t0 + (edge - p) / d, -self.cell / d)
            } else {
                (0isize, f64::INFINITY, f64::INFINITY)
            }
        };
        let (sx, mut tx, dx) = axis(d.x, start.x, self.min.x, x);
        let (sy, mut ty, dy) = axis(d.y, start.y, self.min.y, y);
        let mut enter = t0;
        let mut best = f64::INFINITY;
        loop {
            let c = y * self.nx + x;
            for k in self.starts[c]..self.starts[c + 1] {
                best = best.min(visit(self.tris[k as usize]));
            }
            // Nothing nearer lies in the cells further on.
            if best <= enter.max(tx.min(ty)) || enter > t1 {
                return;
            }
            if tx < ty {
                enter = tx;
                tx += dx;
                match x.checked_add_signed(sx).filter(|&v| v < self.nx) {
                    Some(v) => x = v,
                    None => return,
                }
            } else {
                enter = ty;
                ty += dy;
                match y.checked_add_signed(sy).filter(|&v| v < self.ny) {
                    Some(v) => y = v,
                    None => return,
                }
            }
            if sx == 0 && sy == 0 {
                return;
            }
        }
    }
}
