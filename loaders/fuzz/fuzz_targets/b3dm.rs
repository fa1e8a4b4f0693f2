//! Fuzz target `b3dm`: 3D Tiles content and implicit tiling.
//! Body: `cim_loaders::fuzzing::b3dm`. Run: `cargo +nightly fuzz run b3dm` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::b3dm(data));
