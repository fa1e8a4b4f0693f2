//! 3D Tiles benchmarks (`cargo bench -p cim-loaders --bench tiles3d`):
//!
//! 1. decode throughput (MB/s of file read) of a generated glb block of
//!    about 100 000 triangles, alone and wrapped as b3dm, and — with
//!    `CIM_TEST_DATA` — of the sample `dragon_medium.b3dm`;
//! 2. opening a generated tileset (`tileset::open`: the tree, no content)
//!    and reading every content of it (`summary::summarise(.., true)`).
//!
//! Draco: the fixture `tests/fixtures/draco-grid.glb` (1 058 triangles,
//! made by Google's Draco encoder; see `tests/reference/draco_grid.py`);
//! and `tests/fixtures/meshopt-grid.glb` (the same grid, made by
//! meshoptimizer's encoders; `tests/reference/meshopt_grid.py`); compare
//! their triangles per second with the uncompressed lines.
//! `CIM_BENCH_SCALE` (default 1.0) scales the generated tileset.

#[path = "bench_data/tileset.rs"]
mod tileset_data;

use cim_loaders::tiles3d::{ContentContext, read_content_bytes, summary, tileset};
use std::time::{Duration, Instant};
use tileset_data::{b3dm, block_glb, write_tileset};

fn throughput(label: &str, bytes: &[u8]) {
    let resolve = |uri: &str| -> Result<Vec<u8>, String> { Err(uri.to_string()) };
    let ctx = ContentContext {
        y_up: true,
        resolve: &resolve,
    };
    let mut runs = 0u32;
    let start = Instant::now();
    let mut triangles = 0;
    while start.elapsed() < Duration::from_secs(3) || runs < 3 {
        let c = read_content_bytes(bytes, &ctx, 0).expect("the content decodes");
        triangles = c.triangle_count();
        runs += 1;
    }
    let per = start.elapsed().as_secs_f64() / f64::from(runs);
    println!(
        "{label:<44} {:>8.1} MB/s {:>6.1} M triangles/s  ({:.3} MB, {triangles} triangles, {:.3} ms each, {runs} runs)",
        bytes.len() as f64 / per / 1e6,
        triangles as f64 / per / 1e6,
        bytes.len() as f64 / 1e6,
        per * 1e3
    );
}

fn main() {
    let glb = block_glb(224, 512.0, 7);
    throughput("glb, float positions, u32 indices", &glb);
    throughput("b3dm (the same glb)", &b3dm(&glb));
    let draco = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/draco-grid.glb"
    ))
    .expect("the Draco fixture");
    throughput("glb, KHR_draco_mesh_compression (grid)", &draco);
    let meshopt = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/meshopt-grid.glb"
    ))
    .expect("the meshopt fixture");
    throughput("glb, EXT_meshopt_compression (grid)", &meshopt);
    if let Some(d) = std::env::var_os("CIM_TEST_DATA") {
        let p = std::path::Path::new(&d)
            .join("3dtiles/cesium-3d-tiles-samples/1.0/TilesetWithDiscreteLOD/dragon_medium.b3dm");
        match std::fs::read(&p) {
            Ok(b) => throughput("b3dm sample dragon_medium.b3dm", &b),
            Err(e) => println!("{}: {e}", p.display()),
        }
    }
    let scale: f64 = std::env::var("CIM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let levels = if scale >= 1.0 { 6 } else { 4 };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let stats = write_tileset(dir.path(), levels, 32);
    println!(
        "generated tileset: {} tiles, {} triangles, {:.1} MB",
        stats.tiles,
        stats.triangles,
        stats.bytes as f64 / 1e6
    );
    let path = dir.path().join("tileset.json");
    let t = Instant::now();
    let ts = tileset::open(&path, &tileset::Limits::default()).expect("the tileset opens");
    println!(
        "{:<44} {:>8.3} s",
        "open (tree only)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let s = summary::summarise(&ts, true);
    let secs = t.elapsed().as_secs_f64();
    let d = s.deep.expect("deep counts");
    assert_eq!(d.triangle_count, stats.triangles);
    println!(
        "{:<44} {:>8.3} s   ({:.0} MB/s, {:.1} M triangles/s, all cores)",
        "read every content",
        secs,
        stats.bytes as f64 / secs / 1e6,
        d.triangle_count as f64 / secs / 1e6
    );
}
