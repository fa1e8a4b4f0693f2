//! Synthetic benchmark data, shared by `benches/load.rs` and
//! `examples/make_bench_data.rs` (which the app's `cim bench` numbers use):
//! building footprints as a shapefile with a `.prj`, and a float32 DEM as a
//! GeoTIFF.

pub mod tileset;

use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use std::path::Path;
use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Tag;

pub fn write_footprints(path: &Path, n: usize) {
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
    // CGCS2000 / 3-degree Gauss-Kruger zone 38, matching the coordinates.
    std::fs::write(path.with_extension("prj"), "EPSG:4526").unwrap();
}

pub fn write_dem(path: &Path, size: usize, compression: Compression) {
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
    let value = |r: usize, c: usize| dem_height(c as f64, r as f64) as f32;
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

/// Relief at several scales, as natural terrain has (each octave about a
/// quarter of the amplitude at an eighth of the wavelength): a 40 m swell
/// over kilometres down to decimetre ripples between neighbouring 2 m
/// cells, so level of detail has something to refine at every distance.
fn dem_height(c: f64, r: f64) -> f64 {
    100.0
        + 40.0 * (c * 0.002).sin() * (r * 0.002).cos()
        + 12.0 * (c * 0.0079 + 0.3 * (r * 0.011).sin()).sin() * (r * 0.0093).cos()
        + 3.0 * (c * 0.061 + 0.7).sin() * (r * 0.047 + 1.3).cos()
        + 0.8 * (c * 0.39 + r * 0.23).sin()
        + 0.25 * (c * 1.7).sin() * (r * 1.3).cos()
}
