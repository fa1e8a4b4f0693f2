//! Flood solver throughput on the CPU (`cargo bench -p cim-core --bench
//! flood`): the synthetic city dam break (`flood::generate`) of 1 M and
//! 4 M cells (`CIM_FLOOD_CELLS=n,n…` for others), 20 steps each after one
//! warm-up — cell-updates per second, and the memory traffic that is at
//! `BYTES_PER_CELL_UPDATE`. `cim flood bench --cells N` prints the same
//! as JSON.

use cim_core::flood::generate::{BYTES_PER_CELL_UPDATE, dam_break_city};
use std::time::Instant;

fn main() {
    let sizes: Vec<usize> = std::env::var("CIM_FLOOD_CELLS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 4_000_000]);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for cells in sizes {
        let mut s = dam_break_city(cells);
        let step = |s: &mut cim_core::flood::Solver| {
            let dt = s.stable_dt().unwrap_or(1.0);
            s.step(dt, 0.0, &[]);
        };
        step(&mut s);
        let steps = 20;
        let t = Instant::now();
        for _ in 0..steps {
            step(&mut s);
        }
        let wall = t.elapsed().as_secs_f64();
        let rate = s.domain.cells() as f64 * steps as f64 / wall;
        println!(
            "{} cells, {threads} threads: {:.1} M cell-updates/s ({:.2} GB/s at {BYTES_PER_CELL_UPDATE} B each); mass error {:.1e}",
            s.domain.cells(),
            rate / 1e6,
            rate * BYTES_PER_CELL_UPDATE as f64 / 1e9,
            s.mass_error_rel()
        );
    }
}
