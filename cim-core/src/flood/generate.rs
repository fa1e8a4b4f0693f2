//! A synthetic flood domain for benchmarks (`cim flood bench`): a square
//! grid of 2 m cells over gently rolling ground with a street grid of
//! building blocks standing out of it, half of it under a metre of water
//! released at once (a dam break), so most cells are wet and moving.

use crate::flood::solver::{Domain, Solver};

/// A solver on about `cells` cells (the nearest square), set to go.
pub fn dam_break_city(cells: usize) -> Solver {
    let n = (cells as f64).sqrt().round().max(8.0) as usize;
    let mut bed = Vec::with_capacity(n * n);
    let mut h = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            let (x, y) = (i as f32, j as f32);
            let ground = 0.3 * (0.05 * x).sin() * (0.04 * y).cos();
            // 40 m blocks of 30 m buildings, 10 m streets between.
            let block = (i % 20) >= 5 && (j % 20) >= 5;
            bed.push(if block { ground + 20.0 } else { ground });
            h.push(if i < n / 2 && !block {
                1.0 - ground
            } else {
                0.0
            });
        }
    }
    Solver::new(Domain::new(n, n, 2.0, bed, 0.02), h)
}

/// The bytes a step moves per cell, each array read or written once (the
/// flux pass reads depth, both discharges and bed and writes the three;
/// friction reads depth and Manning's n and rewrites both discharges; the
/// time step reads depth and discharges): what the throughput is measured
/// against a memory bandwidth with. Neighbours' values come from cache.
pub const BYTES_PER_CELL_UPDATE: usize = 4 * (4 + 3) + 4 * (2 + 2 * 2) + 4 * 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_of_the_water_moves_and_none_is_lost() {
        let mut s = dam_break_city(10_000);
        assert_eq!(s.domain.cells(), 10_000);
        for _ in 0..50 {
            let dt = s.stable_dt().unwrap();
            s.step(dt, 0.0, &[]);
        }
        assert!(s.mass_error_rel() < 1e-5);
        let moving = s.state.hu.iter().filter(|q| q.abs() > 1e-3).count();
        assert!(moving > 500, "{moving} cells flowing");
    }
}
