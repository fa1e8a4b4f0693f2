//! Fuzz target `citygml`: CityGML city models (streaming XML).
//! Body: `cim_loaders::fuzzing::citygml`. Run: `cargo +nightly fuzz run citygml` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::citygml(data));
