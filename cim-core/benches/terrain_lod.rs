//! Chunked-LOD terrain at scale: a 10 000 × 10 000 synthetic DEM (1 m
//! cells, 10 km square, 10⁸ samples), as plain wall-clock measurements.
//!
//! ```text
//! # opt-level 1, the workspace's dev profile (the app's debug builds):
//! cargo bench -p cim-core --bench terrain_lod --profile dev
//! # optimised (the bench profile):
//! cargo bench -p cim-core --bench terrain_lod
//! ```
//!
//! Without `--bench` on the command line (`cargo bench` passes it; `cargo
//! test --all-targets` does not) it runs the same code on a 1 000 × 1 000
//! DEM as a smoke test.

use cim_core::Grid;
use cim_core::lod::terrain::{NodeId, TerrainQuadtree};
use glam::DVec3;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1e6 {
        format!("{:.3} s", us / 1e6)
    } else if us >= 1e3 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{us:.2} µs")
    }
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = black_box(f());
    println!("{label:<44} {:>10}", fmt(t.elapsed()));
    out
}

/// Fractal-ish terrain: eight octaves of products of sines, each octave at
/// twice the frequency and half the amplitude of the one before, from a
/// 5 km wavelength and ±150 m down to ~40 m and ±1 m. Separable per octave,
/// so it is cheap to fill even at 10⁸ cells.
fn synthetic_dem(n: usize, cell: f64) -> Grid {
    let mut g = Grid::new(n, n, 38_490_000.0, 2_484_000.0, cell, cell);
    g.data.fill(50.0);
    let (mut amp, mut wavelength) = (150.0f64, 5_000.0f64);
    for octave in 0..8 {
        let k = std::f64::consts::TAU / wavelength;
        let (px, py) = (octave as f64 * 1.7, octave as f64 * 0.9);
        // Slightly different x and y frequencies keep octaves from lining up.
        let xs: Vec<f32> = (0..n)
            .map(|c| (amp * (k * 1.13 * c as f64 * cell + px).sin()) as f32)
            .collect();
        let ys: Vec<f32> = (0..n)
            .map(|r| (k * 0.87 * r as f64 * cell + py).cos() as f32)
            .collect();
        for (row, &y) in g.data.chunks_exact_mut(n).zip(&ys) {
            for (v, &x) in row.iter_mut().zip(&xs) {
                *v += x * y;
            }
        }
        amp *= 0.5;
        wavelength *= 0.5;
    }
    g
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 10_000 } else { 1_000 };
    println!(
        "cim-core terrain LOD bench: {n} × {n} DEM, 1 m cells, 64-quad tiles ({})",
        if full {
            "full"
        } else {
            "smoke run; pass --bench for the full one"
        }
    );
    let dem = timed(&format!("synthetic DEM ({} samples)", n * n), || {
        synthetic_dem(n, 1.0)
    });
    let tree = timed("TerrainQuadtree::build", || {
        TerrainQuadtree::build(&dem, 64)
    });
    println!(
        "  {} nodes, {} levels, root error {:.2} m",
        tree.node_count(),
        tree.leaf_level() + 1,
        tree.nodes()[0].geometric_error
    );

    // 500 m above the centre, 1920 × 1080, 60° vertical fov, 2 px.
    let (cx, cy) = dem.cell_center(n / 2, n / 2);
    let ground = dem.get(n / 2, n / 2).unwrap_or(0.0) as f64;
    let camera = DVec3::new(cx, cy, ground + 500.0);
    let (vh, fov, px) = (1080.0, 60f64.to_radians(), 2.0);
    let mut cut: Vec<NodeId> = Vec::new();
    let reps = 200;
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            tree.select(black_box(camera), vh, fov, px, &mut cut);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{:<44} {:>10}  (median of {reps}; best {})",
        "select (500 m above centre, 60°, 2 px)",
        fmt(times[reps / 2]),
        fmt(times[0])
    );
    let mut per_level = vec![0usize; tree.leaf_level() as usize + 1];
    for id in &cut {
        per_level[id.level as usize] += 1;
    }
    let verts = tree.vertex_count(&cut);
    println!(
        "  cut: {} nodes (per level, root first: {per_level:?})",
        cut.len()
    );
    println!(
        "  {verts} vertices with skirts ({:.1} MiB at 32 B), vs {} at full resolution ({:.0}×)",
        verts as f64 * 32.0 / (1 << 20) as f64,
        n * n,
        (n * n) as f64 / verts as f64
    );
    let tris = timed("node_mesh for the whole cut", || {
        cut.iter()
            .map(|&id| tree.node_mesh(&dem, id).triangle_count())
            .sum::<usize>()
    });
    println!("  {tris} triangles");
}
