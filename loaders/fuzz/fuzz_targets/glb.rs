//! Fuzz target `glb`: 3D Tiles content and implicit tiling.
//! Body: `cim_loaders::fuzzing::glb`. Run: `cargo +nightly fuzz run glb` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::glb(data));
