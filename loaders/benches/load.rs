//! Loader benchmarks (`cargo bench -p cim-loaders --bench load`):
//!
//! 1. writes 1 000 000 building footprints (5-vertex rings, three attribute
//!    fields) as a shapefile with the `shapefile` crate and times
//!    `load_path` on it;
//! 2. writes a 10 000 × 10 000 float32 GeoTIFF (striped, uncompressed, and a
//!    Deflate copy) and times a decimated read to 1000 × 1000, a 1000 × 1000
//!    full-resolution window and `load_path` (which reads rasters this large
//!    decimated).
//!
//! Everything is generated once into a temporary folder. `CIM_BENCH_SCALE`
//! (default 1.0) scales both sizes for a quick run.

mod bench_data;

use bench_data::{write_dem, write_footprints};
use cim_loaders::raster::geotiff;
use std::time::{Duration, Instant};
use tiff::encoder::{Compression, DeflateLevel};

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut best = Duration::MAX;
    let mut all = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        let d = t.elapsed();
        best = best.min(d);
        all.push(format!("{:.3}", d.as_secs_f64()));
        out = Some(r);
    }
    println!(
        "{label:<52} best {:>8.3} s   (runs: {})",
        best.as_secs_f64(),
        all.join(", ")
    );
    out.expect("at least one run")
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let scale: f64 = std::env::var("CIM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let n = (1_000_000.0 * scale) as usize;
    let size = (10_000.0 * scale.sqrt()) as usize;
    let dir = tempfile::tempdir().unwrap();

    let shp = dir.path().join("footprints.shp");
    time(
        &format!("generate {n} footprints (shapefile crate)"),
        1,
        || write_footprints(&shp, n),
    );
    let mb = std::fs::metadata(&shp).unwrap().len() as f64 / 1e6
        + std::fs::metadata(shp.with_extension("dbf")).unwrap().len() as f64 / 1e6;
    println!("  .shp + .dbf: {mb:.0} MB");
    let layers = time(&format!("load_path {n} footprints"), 3, || {
        cim_loaders::load_path(&shp).unwrap()
    });
    assert_eq!(layers[0].feature_count(), n);
    drop(layers);

    for (label, compression) in [
        ("uncompressed", Compression::Uncompressed),
        ("deflate", Compression::Deflate(DeflateLevel::Fast)),
    ] {
        let tif = dir.path().join(format!("dem-{label}.tif"));
        time(
            &format!("generate {size}² float32 GeoTIFF, {label}"),
            1,
            || write_dem(&tif, size, compression),
        );
        println!(
            "  file: {:.0} MB",
            std::fs::metadata(&tif).unwrap().len() as f64 / 1e6
        );
        let g = time(&format!("read_decimated to 1000² ({label})"), 3, || {
            geotiff::read_decimated(&tif, 1000).unwrap()
        });
        assert_eq!(g.width.max(g.height), 1000);
        let g = time(
            &format!("read_window 1000² at full res ({label})"),
            3,
            || {
                geotiff::read_window(
                    &tif,
                    size / 2,
                    size / 2,
                    1000.min(size / 2),
                    1000.min(size / 2),
                )
                .unwrap()
            },
        );
        assert!(g.min_max().is_some());
        let l = time(
            &format!("load_path (decimated to ≤ 8192²) ({label})"),
            1,
            || cim_loaders::load_path(&tif).unwrap(),
        );
        let g = l[0].grid().unwrap();
        println!("  loaded as {} × {}", g.width, g.height);
    }
}
