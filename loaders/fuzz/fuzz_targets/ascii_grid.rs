//! Fuzz target `ascii_grid`: the ESRI ASCII grid reader.
//! Body: `cim_loaders::fuzzing::ascii_grid`. Run: `cargo +nightly fuzz run ascii_grid` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::ascii_grid(data));
