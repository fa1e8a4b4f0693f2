//! Off-screen runs: `cim snapshot` (`snapshot`, labels burnt in by
//! `snapshot_labels`, large images in `tiles`) and `cim bench` (`bench_report`, camera paths `bench_path`, stage
//! timings `frame_stats`), drawings rasterised for export (`svg_png`).

pub mod bench_path;
pub mod bench_report;
pub mod frame_stats;
pub mod snapshot;
pub mod snapshot_labels;
pub mod svg_png;
pub mod tiles;
