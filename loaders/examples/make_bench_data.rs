//! Writes the synthetic benchmark data sets into a folder:
//!
//! ```sh
//! cargo run --release -p cim-loaders --example make_bench_data -- /tmp/bench 1000000 10000
//! ```
//!
//! gives `/tmp/bench/footprints.shp` (+ .shx/.dbf/.prj: N building
//! footprints, 12 m × 9 m on a 20 m grid, with ID/HEIGHT/USE) and
//! `/tmp/bench/dem.tif` (SIZE² float32 cells of 2 m, uncompressed, striped).
//! A fourth argument LEVELS writes `/tmp/bench/city/tileset.json`: a 3D
//! Tiles quadtree of LEVELS levels (8: 21 845 tiles, 57 M triangles of
//! 36 × 36-cell blocks with buildings; see `bench_data::tileset`).
//! `cim bench` then measures load, first frame, frame time and memory.

#[path = "../benches/bench_data/mod.rs"]
mod bench_data;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!(
            "usage: make_bench_data DIR [FOOTPRINTS (1000000)] [DEM_SIZE (10000)] [TILESET_LEVELS (0)]"
        );
        std::process::exit(2);
    };
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir).expect("create the output folder");
    if n > 0 {
        bench_data::write_footprints(&dir.join("footprints.shp"), n);
        println!(
            "wrote {} ({n} footprints)",
            dir.join("footprints.shp").display()
        );
    }
    if size > 0 {
        bench_data::write_dem(
            &dir.join("dem.tif"),
            size,
            tiff::encoder::Compression::Uncompressed,
        );
        println!("wrote {} ({size}² cells)", dir.join("dem.tif").display());
    }
    let levels: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    if levels > 0 {
        let s = bench_data::tileset::write_tileset(&dir.join("city"), levels, 36);
        println!(
            "wrote {} ({} tiles, {} triangles, {:.0} MB)",
            dir.join("city/tileset.json").display(),
            s.tiles,
            s.triangles,
            s.bytes as f64 / 1e6
        );
    }
}
