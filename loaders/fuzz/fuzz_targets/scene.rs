//! Fuzz target `scene`: the scene document (*.cim.toml) parser.
//! Body: `cim_loaders::fuzzing::scene`. Run: `cargo +nightly fuzz run scene` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::scene(data));
