//! Feeds arbitrary bytes to the GeoTIFF reader (full load, which reads
//! rasters over the full-read limit decimated, and a small window).
//! Run with `cargo +nightly fuzz run geotiff` in loaders/.
#![no_main]

use cim_loaders::geotiff::{load_from, read_window_resampled_from};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.tif");
    let _ = load_from(path, Cursor::new(data));
    let _ = read_window_resampled_from(path, Cursor::new(data), (1, 1, 3, 2), 2);
});
