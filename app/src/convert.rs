//! `cim convert INPUT --to 3dtiles --out DIR`: an OSGB dataset, an IFC
//! model or a CityGML file as a 3D Tiles 1.1 tileset
//! (`cim_loaders::convert`), with a progress bar on a terminal. Exit status as for `cim snapshot`: 2 when some tiles (or
//! files the dataset names) could not be converted, 1 when nothing was.

use crate::cli::{ConvertArgs, ConvertTo};
use anyhow::{Result, anyhow};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let ConvertTo::Tiles3d = args.to;
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let last = std::sync::Mutex::new(Instant::now());
    let progress = |done: usize, total: usize| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if tty && (done == total || last.elapsed().as_millis() >= 100) {
            *last = Instant::now();
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\rconverting [{}{}] {done}/{total} tiles",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let c = cim_loaders::convert::to_3dtiles(&args.input, &args.out, progress)
        .map_err(|e| anyhow!(e))?;
    if tty {
        eprintln!();
    }
    for p in &c.problems {
        eprintln!("cim: error: {}", cim_core::message::lines(p, 2000));
    }
    for e in &c.errors {
        eprintln!(
            "cim: error: {}: {}",
            cim_core::message::quote(&e.uri),
            cim_core::message::lines(&e.message, 2000)
        );
    }
    let features = match c.feature_count {
        0 => String::new(),
        n => format!(", {n} features"),
    };
    eprintln!(
        "cim: wrote {} ({} tiles, {} .glb files{features}, {:.1} MB) in {:.2} s",
        cim_core::message::path(&args.out.join("tileset.json")),
        c.tile_count,
        c.glb_count,
        c.glb_bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(if c.glb_count == 0 {
        ExitCode::FAILURE
    } else if c.errors.is_empty() && c.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::headless::snapshot::EXIT_PARTIAL)
    })
}
