//! Fuzz target `subtree`: 3D Tiles content and implicit tiling.
//! Body: `cim_loaders::fuzzing::subtree`. Run: `cargo +nightly fuzz run subtree` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::subtree(data));
