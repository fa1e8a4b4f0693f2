//! Fuzz target `cmpt`: 3D Tiles content and implicit tiling.
//! Body: `cim_loaders::fuzzing::cmpt`. Run: `cargo +nightly fuzz run cmpt` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::cmpt(data));
