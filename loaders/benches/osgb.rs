//! OSGB parse throughput (`cargo bench -p cim-loaders --bench osgb`): every
//! `.osgb` under `$CIM_TEST_DATA/osgb` read from memory over and over,
//! parsed alone and parsed then meshed (primitive sets triangulated,
//! embedded JPEGs decoded), in MB of file per second. Skipped without
//! `CIM_TEST_DATA`.
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
