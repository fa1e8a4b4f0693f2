//! Fuzz target `geotiff`: the GeoTIFF reader (full load and a small window).
//! Body: `cim_loaders::fuzzing::geotiff`. Run: `cargo +nightly fuzz run geotiff` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::geotiff(data));
