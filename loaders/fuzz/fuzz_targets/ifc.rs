//! Fuzz target `ifc`: IFC STEP files (IFC-Lite's parser and geometry).
//! Body: `cim_loaders::fuzzing::ifc`. Run: `cargo +nightly fuzz run ifc` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::ifc(data));
