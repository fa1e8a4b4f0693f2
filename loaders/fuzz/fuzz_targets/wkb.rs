//! Fuzz target `wkb`: GeoPackage geometry blobs and bare WKB.
//! Body: `cim_loaders::fuzzing::wkb`. Run: `cargo +nightly fuzz run wkb` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::wkb(data));
