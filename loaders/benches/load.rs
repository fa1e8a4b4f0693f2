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

use cim_loaders::geotiff;
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use std::path::Path;
use std::time::{Duration, Instant};
use tiff::encoder::{Compression, DeflateLevel, TiffEncoder, colortype};
use tiff::tags::Tag;

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

fn write_footprints(path: &Path, n: usize) {
    let table = TableWriterBuilder::new()
        .add_numeric_field(FieldName::try_from("ID").unwrap(), 10, 0)
        .add_numeric_field(FieldName::try_from("HEIGHT").unwrap(), 8, 2)
        .add_character_field(FieldName::try_from("USE").unwrap(), 12);
    let mut w = shapefile::Writer::from_path(path, table).unwrap();
    let per_row = 1000;
    for i in 0..n {
        // 12 m × 9 m footprints on a 20 m grid in CGCS2000 GK zone 38 numbers.
        let x = 38_500_000.0 + (i % per_row) as f64 * 20.0;
        let y = 2_470_000.0 + (i / per_row) as f64 * 20.0;
        let ring = vec![
            shapefile::Point::new(x, y),
            shapefile::Point::new(x, y + 9.0),
            shapefile::Point::new(x + 12.0, y + 9.0),
            shapefile::Point::new(x + 12.0, y),
            shapefile::Point::new(x, y),
        ];
        let mut rec = Record::default();
        rec.insert("ID".into(), FieldValue::Numeric(Some(i as f64)));
        rec.insert(
            "HEIGHT".into(),
            FieldValue::Numeric(Some(3.0 * (1 + i % 30) as f64)),
        );
        rec.insert(
            "USE".into(),
            FieldValue::Character(Some(
                if i % 3 == 0 { "residential" } else { "office" }.into(),
            )),
        );
        w.write_shape_and_record(
            &shapefile::Polygon::new(shapefile::PolygonRing::Outer(ring)),
            &rec,
        )
        .unwrap();
    }
}

fn write_dem(path: &Path, size: usize, compression: Compression) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = TiffEncoder::new(file)
        .unwrap()
        .with_compression(compression);
    let mut img = enc
        .new_image::<colortype::Gray32Float>(size as u32, size as u32)
        .unwrap();
    let e = img.encoder();
    e.write_tag(Tag::ModelPixelScaleTag, &[2.0, 2.0, 0.0][..])
        .unwrap();
    e.write_tag(
        Tag::ModelTiepointTag,
        &[0.0, 0.0, 0.0, 500_000.0, 3_520_000.0, 0.0][..],
    )
    .unwrap();
    e.write_tag(
        Tag::GeoKeyDirectoryTag,
        &[1u16, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32650][..],
    )
    .unwrap();
    e.write_tag(Tag::GdalNodata, "-9999").unwrap();
    let rows_per_strip = 16;
    img.rows_per_strip(rows_per_strip).unwrap();
    let value = |r: usize, c: usize| {
        let (x, y) = (c as f32 * 0.002, r as f32 * 0.002);
        100.0 + 40.0 * x.sin() * y.cos() + 0.01 * (c % 7) as f32
    };
    if matches!(compression, Compression::Uncompressed) {
        // Streamed strip by strip. (tiff 0.11's `write_strip` does not apply
        // the encoder's compression, so compressed files go through
        // `write_data` below.)
        let mut strip = Vec::with_capacity(size * rows_per_strip as usize);
        for r0 in (0..size).step_by(rows_per_strip as usize) {
            strip.clear();
            for r in r0..(r0 + rows_per_strip as usize).min(size) {
                strip.extend((0..size).map(|c| value(r, c)));
            }
            img.write_strip(&strip).unwrap();
        }
        img.finish().unwrap();
    } else {
        let data: Vec<f32> = (0..size * size)
            .map(|i| value(i / size, i % size))
            .collect();
        img.write_data(&data).unwrap();
    }
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
