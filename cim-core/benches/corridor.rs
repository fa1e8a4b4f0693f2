//! Pipe-corridor analyses at city scale: clearance and collision check,
//! cover check, a dig and a section over a generated city of about
//! 100 000 utility lines (`pipes::corridor::generate::city`, 79 × 79
//! blocks), as plain wall-clock measurements (median of runs).
//!
//! ```text
//! cargo bench -p cim-core --bench corridor
//! ```
//!
//! Without `--bench` (as under `cargo test --all-targets`) it runs the same
//! code on a 10 × 10 block city as a smoke test.

use cim_core::pipes::corridor::clearance::{CheckOptions, check};
use cim_core::pipes::corridor::excavation::{Dig, DigBottom, impact};
use cim_core::pipes::corridor::ground::NoGround;
use cim_core::pipes::corridor::section::section;
use cim_core::pipes::corridor::{ClearanceRules, Location, cover, generate};
use glam::DVec2;
use std::hint::black_box;
use std::time::Instant;

fn median_ms<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(black_box(f()));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], last.expect("at least one run"))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (blocks, runs) = if full { (79, 5) } else { (10, 1) };
    let lines = generate::city(blocks, 100.0, 200, 7);
    let rules = ClearanceRules::gb50289_2016();
    println!(
        "cim-core corridor bench: {} lines, {blocks}² blocks ({})",
        lines.len(),
        if full {
            "full"
        } else {
            "smoke run; pass --bench for the full one"
        }
    );
    let (ms, r) = median_ms(runs, || check(&lines, &rules, CheckOptions::default()));
    println!(
        "clearance check: {ms:.1} ms ({} segment pairs, {} crossings, {} violations)",
        r.pairs_examined,
        r.crossings,
        r.violations.len()
    );
    let (ms, r) = median_ms(runs, || {
        cover::check(&lines, &rules, &NoGround, Location::Roadway, 1.0)
    });
    println!(
        "cover check (1 m samples): {ms:.1} ms ({} lines checked, {} short)",
        r.checked,
        r.shortfalls.len()
    );
    // A pit over the middle of a street, half a block along it.
    let (c, street) = (blocks as f64 * 50.0, (blocks / 2) as f64 * 100.0);
    let dig = Dig {
        outline: vec![
            DVec2::new(c - 20.0, street - 20.0),
            DVec2::new(c + 20.0, street - 20.0),
            DVec2::new(c + 20.0, street + 20.0),
            DVec2::new(c - 20.0, street + 20.0),
        ],
        bottom: DigBottom::Depth(2.0),
        margin_m: 0.5,
    };
    let (ms, hits) = median_ms(runs, || impact(&lines, &dig, &NoGround, 0.5));
    println!("dig 40 × 40 m: {ms:.2} ms ({} lines)", hits.len());
    let path = [DVec2::new(c, street - 30.0), DVec2::new(c, street + 30.0)];
    let (ms, s) = median_ms(runs, || section(&lines, &path, 0.0, &NoGround, 0.5));
    println!(
        "cross-section 60 m: {ms:.2} ms ({} lines cut)",
        s.cuts.len()
    );
}
