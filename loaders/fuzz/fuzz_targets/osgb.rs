//! Fuzz target `osgb`: OpenSceneGraph binary files (photogrammetry tiles).
//! Body: `cim_loaders::fuzzing::osgb`. Run: `cargo +nightly fuzz run osgb` in loaders/fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cim_loaders::fuzzing::osgb(data));
