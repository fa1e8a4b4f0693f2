//! OSGB parse throughput (`cargo bench -p cim-loaders --bench osgb`): every
//! `.osgb` under `$CIM_TEST_DATA/osgb` read from memory over and over,
//! parsed alone and parsed then meshed (primitive sets triangulated,
//! embedded JPEGs decoded), in MB of file per second. Skipped without
//! `CIM_TEST_DATA`.
//!
//! With `CIM_OSGB_DATASET` naming a dataset folder (one that
//! `examples/make_osgb_dataset.rs` writes, say), also the time to open it
//! — its root files read, as the viewer does — against the time to read
//! its whole tree, as `cim convert` does.
//!
//! OpenSceneGraph's own reader on the same files, in one process, for the
//! comparison in the closing note: `osgDB::readNodeFile` of each file the
//! same number of times (a 30-line C++ program linked with
//! `-losgDB -losg`; the numbers and the command are in the note).

use std::path::PathBuf;
use std::time::Instant;

fn files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "osgb") {
            out.push(p);
        }
    }
}

fn main() {
    if let Some(dataset) = std::env::var_os("CIM_OSGB_DATASET") {
        open_dataset(&PathBuf::from(dataset));
    }
    let Some(data) = std::env::var_os("CIM_TEST_DATA") else {
        println!("osgb: skipped (CIM_TEST_DATA is not set)");
        return;
    };
    let mut paths = Vec::new();
    files(&PathBuf::from(data).join("osgb"), &mut paths);
    paths.sort();
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let total: usize = bytes.iter().map(Vec::len).sum();
    let rounds = 2000;
    let mb = (total * rounds) as f64 / 1e6;
    println!(
        "osgb: {} files, {} bytes, {rounds} rounds",
        paths.len(),
        total
    );
    let t = Instant::now();
    for _ in 0..rounds {
        for b in &bytes {
            std::hint::black_box(cim_loaders::osgb::parse(b).unwrap());
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!("osgb parse              {:>8.1} MB/s  ({s:.3} s)", mb / s);
    let t = Instant::now();
    for _ in 0..rounds / 10 {
        for b in &bytes {
            let f = cim_loaders::osgb::parse(b).unwrap();
            std::hint::black_box(cim_loaders::osgb::mesh::to_content(&f, None).unwrap());
        }
    }
    let s = t.elapsed().as_secs_f64() * 10.0;
    println!(
        "osgb parse + mesh       {:>8.1} MB/s  ({s:.3} s per {rounds} rounds)",
        mb / s
    );
}

/// Opening a dataset (its root files) against reading its whole tree.
fn open_dataset(dir: &std::path::Path) {
    use cim_core::lod::tile_source::TileSource;
    let t = Instant::now();
    let src = cim_loaders::osgb::source::OsgbSource::open(dir).expect("open");
    let open = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (whole, problems) = cim_loaders::tiles3d::whole_tree::whole_tree(&src);
    let all = t.elapsed().as_secs_f64();
    println!(
        "osgb dataset open       {open:>8.2} s  ({} tiles; {} problems)",
        src.tree().len(),
        src.problems().len()
    );
    println!(
        "osgb dataset whole tree {all:>8.2} s  ({} tiles; {} problems)",
        whole.len(),
        problems.len()
    );
}
