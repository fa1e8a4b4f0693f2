//! Picking a placed tile (`lod::pick_content::Pickable::pick`): how long a
//! ray takes against one tile of a photogrammetry-like mesh — a 224 × 224
//! cell height field (100 352 triangles) — from above at random places,
//! and how long copying a placed tile for picking takes.
//!
//! ```text
//! cargo bench -p cim-core --bench pick_content
//! ```
//!
//! Without `--bench` (as under `cargo test --all-targets`) it runs a few
//! rays as a smoke test.

use cim_core::lod::pick_content::Pickable;
use cim_core::lod::place_content::{PlacedContent, PlacedMesh};
use cim_core::query::pick::Ray;
use glam::DVec3;
use std::hint::black_box;
use std::time::Instant;

const CELLS: usize = 224;
const CELL_M: f32 = 0.5;

fn tile() -> PlacedContent {
    let n = CELLS + 1;
    let height = |i: usize, j: usize| ((i as f32 * 0.3).sin() + (j as f32 * 0.2).cos()) * 3.0;
    let positions = (0..n * n)
        .map(|k| {
            let (i, j) = (k % n, k / n);
            [i as f32 * CELL_M, j as f32 * CELL_M, height(i, j)]
        })
        .collect();
    let mut indices = Vec::with_capacity(CELLS * CELLS * 6);
    for j in 0..CELLS {
        for i in 0..CELLS {
            let a = (j * n + i) as u32;
            let n = n as u32;
            indices.extend([a, a + 1, a + n + 1, a, a + n + 1, a + n]);
        }
    }
    PlacedContent {
        anchor: DVec3::new(38_500_000.0, 2_500_000.0, 0.0),
        meshes: vec![PlacedMesh {
            positions,
            indices,
            ..PlacedMesh::default()
        }],
        ..PlacedContent::default()
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let placed = tile();
    let start = Instant::now();
    let pick = Pickable::of(&placed);
    let copy_ms = start.elapsed().as_secs_f64() * 1e3;
    let rays = if full { 2_000 } else { 20 };
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut hits = 0;
    let start = Instant::now();
    for _ in 0..rays {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (x, y) = (
            (seed % 1000) as f64 / 1000.0 * CELLS as f64 * CELL_M as f64,
            (seed / 1000 % 1000) as f64 / 1000.0 * CELLS as f64 * CELL_M as f64,
        );
        let ray = Ray {
            origin: pick.anchor + DVec3::new(x * 0.9, y * 0.9, 20.0),
            dir: DVec3::new(0.1, 0.05, -1.0),
        };
        hits += black_box(pick.pick(&ray, 1e9, 0.006)).is_some() as usize;
    }
    let per = start.elapsed().as_secs_f64() / rays as f64;
    println!(
        "pick one tile of {} triangles: {:.3} ms a ray ({hits}/{rays} hit); copying it for picking {copy_ms:.2} ms, {:.1} MB",
        placed.meshes[0].indices.len() / 3,
        per * 1e3,
        pick.bytes() as f64 / 1e6
    );
}
