//! Fuzz target `inp`: EPANET input files and the network analyses on them.
//! Body: `cim_loaders::fuzzing::inp`. Run: `cargo +nightly fuzz run inp` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::inp(data));
