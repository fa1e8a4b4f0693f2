//! Fuzz target `pnts`: 3D Tiles content and implicit tiling.
//! Body: `cim_loaders::fuzzing::pnts`. Run: `cargo +nightly fuzz run pnts` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::pnts(data));
