//! Fuzz target `geojson`: the GeoJSON reader.
//! Body: `cim_loaders::fuzzing::geojson`. Run: `cargo +nightly fuzz run geojson` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::geojson(data));
