//! Fuzz target `shp`: the shapefile reader (.shp + optional .shx/.dbf split off the input's start).
//! Body: `cim_loaders::fuzzing::shp`. Run: `cargo +nightly fuzz run shp` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::shp(data));
