//! Fuzz target `zip`: zip archives and every layer inside them.
//! Body: `cim_loaders::fuzzing::zip`. Run: `cargo +nightly fuzz run zip` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::zip(data));
