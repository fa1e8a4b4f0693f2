//! Recolouring a million features through the style buffer (the path of
//! thematic restyles, simulation results and alarms), as plain wall-clock
//! measurements of the CPU side: writing the records and handing them to
//! the GPU buffer asset.
//!
//! ```text
//! cargo bench -p cim-app --bench feature_colors
//! ```
//!
//! Without `--bench` on the command line (`cargo test --all-targets`) it
//! runs the same code on 10 000 features as a smoke test.

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;
use cim_app::render::feature_style::{FeatureStyles, HIGHLIGHT};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n: u32 = if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        10_000
    };
    let mut buffers = Assets::<ShaderBuffer>::default();
    let mut styles = FeatureStyles::default();
    styles.insert_layer(1, (0..n).map(|_| [128, 128, 128, 255]), 0, &mut buffers);
    // A new colour for every feature (a simulation tick).
    let colors: Vec<(u32, [u8; 4])> = (0..n)
        .map(|i| (i, [(i % 251) as u8, (i % 241) as u8, (i % 239) as u8, 255]))
        .collect();
    let runs = 20;
    let mut set_ms = Vec::new();
    let mut upload_ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        black_box(styles.set_feature_colors(1, black_box(&colors)));
        set_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        black_box(styles.upload(&mut buffers));
        upload_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let t = Instant::now();
    styles.set_flag(1, &[n / 2], HIGHLIGHT, true);
    styles.upload(&mut buffers);
    let highlight_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("features                         {n:>10}");
    println!(
        "set_feature_colors (all), median {:>10.2} ms",
        median(&mut set_ms)
    );
    println!(
        "upload to the buffer asset       {:>10.2} ms",
        median(&mut upload_ms)
    );
    println!("highlight one + upload           {highlight_ms:>10.2} ms");
}
