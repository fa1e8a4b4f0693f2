//! Fuzz target `dbf`: the .dbf attribute table reader.
//! Body: `cim_loaders::fuzzing::dbf`. Run: `cargo +nightly fuzz run dbf` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::dbf(data));
