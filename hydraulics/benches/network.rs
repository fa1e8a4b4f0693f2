//! Pipe network bench (`cargo bench -p cim-hydraulics --bench network`): a
//! generated grid of `CIM_PIPE_NODES` (default 100 000) junctions
//! (`cim_hydraulics::generate::grid`: pumps, tanks, valves, patterns,
//! controls and rules over 24 hours) —
//!
//! * read by our `.inp` reader (`cim_loaders::pipes::inp`);
//! * simulated by EPANET 2.3 through `cim_hydraulics::simulate` (open,
//!   solve every step, results at each reporting step in SI) and, with
//!   `CIM_PIPE_PYTHON` naming a Python that has WNTR, by EPANET 2.2 through
//!   WNTR's binding in the same run (`tests/reference/pipes_bench_epanet.py`),
//!   their pressures at the last step compared;
//! * isolation: the valve segments of a valve layer (a valve at the start
//!   of every other pipe) and bursts of 200 pipes spread over the grid,
//!   each query timed;
//! * a burst in the middle of the grid simulated with its valves closed
//!   and compared with normal operation (`cim pipe isolate --simulate`:
//!   `cim_hydraulics::scenario`);
//! * connectivity check;
//! * colouring every link by its velocity at a new step through a colour
//!   ramp (the CPU side of per-feature colours).

use cim_core::pipes::connectivity;
use cim_core::pipes::graph::Adjacency;
use cim_core::pipes::isolation::{IsolationValve, Isolator};
use cim_core::style::color_ramp::ColorRamp;
use std::time::Instant;

fn main() {
    let nodes: usize = std::env::var("CIM_PIPE_NODES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let cols = (nodes as f64).sqrt().ceil() as usize;
    let rows = nodes.div_ceil(cols).max(3);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("grid.inp");
    let t = Instant::now();
    let text = cim_hydraulics::generate::grid(cols.max(3), rows);
    std::fs::write(&path, &text).expect("write");
    println!(
        "network: {cols} x {rows} junctions, {:.1} MB .inp, generated in {:.2} s",
        text.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let net = cim_loaders::pipes::inp::read(&path).expect("read");
    println!(
        "read (.inp → network, checked whole): {:.3} s ({} nodes, {} links)",
        t.elapsed().as_secs_f64(),
        net.nodes.len(),
        net.links.len()
    );

    let t = Instant::now();
    let sim = cim_hydraulics::simulate(&path).expect("simulate");
    let ours = t.elapsed().as_secs_f64();
    println!(
        "simulate (EPANET 2.3 via cim-hydraulics, {} reporting steps, results in SI): {ours:.3} s",
        sim.periods.len()
    );

    if let Some(python) = std::env::var_os("CIM_PIPE_PYTHON") {
        epanet_side_by_side(&python, &path, &sim, ours);
    }

    let valves: Vec<IsolationValve> = net
        .links
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, l)| IsolationValve {
            id: format!("V{i}"),
            link: i as u32,
            node: l.from,
        })
        .collect();
    let t = Instant::now();
    let isolator = Isolator::new(&net, &valves, &[]);
    println!(
        "isolation: {} valves, {} segments found in {:.1} ms",
        valves.len(),
        isolator.segments().count,
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut times: Vec<f64> = (0..200)
        .map(|k| {
            let link = (k * net.links.len() / 200) as u32;
            let t = Instant::now();
            let iso = isolator.isolate(link);
            std::hint::black_box(iso.valves_to_close.len());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "isolate one burst (200 pipes): median {:.2} ms, max {:.2} ms",
        times[100], times[199]
    );

    burst_scenario(&path, &net, &valves, &isolator, &sim);

    let t = Instant::now();
    let report = connectivity::check(&net, &Adjacency::new(&net));
    println!(
        "connectivity check: {:.1} ms ({} islands, {} dead ends)",
        t.elapsed().as_secs_f64() * 1e3,
        report.islands.len(),
        report.dead_ends.len()
    );

    let ramp = ColorRamp::by_name("turbo").expect("turbo");
    let period = &sim.periods[sim.periods.len() / 2];
    let t = Instant::now();
    let colours: Vec<(u32, [u8; 4])> = period
        .velocity_ms
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32, ramp.sample((v.abs() / 2.0).min(1.0) as f32)))
        .collect();
    std::hint::black_box(&colours);
    println!(
        "colour {} links by velocity for one step: {:.2} ms",
        colours.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
}

/// A burst in the middle of the grid: its isolation simulated and compared
/// with normal operation (`sim`).
fn burst_scenario(
    path: &std::path::Path,
    net: &cim_core::pipes::Network,
    valves: &[IsolationValve],
    isolator: &Isolator,
    sim: &cim_hydraulics::Simulation,
) {
    use cim_hydraulics::scenario::{SERVICE_FLOOR_M, Scenario, compare};
    let iso = isolator.isolate((net.links.len() / 2) as u32);
    let scenario = Scenario::isolating(net, valves, &iso);
    let t = Instant::now();
    let after = cim_hydraulics::simulate_scenario(path, &scenario).expect("scenario");
    let run = t.elapsed().as_secs_f64();
    let skip = scenario.out_of_service.iter().map(String::as_str).collect();
    let t = Instant::now();
    let impact = compare(sim, &after, SERVICE_FLOOR_M, &skip);
    println!(
        "burst simulated with its valves closed ({} links closed, {} junctions out of service): {run:.3} s; \
         compared with normal operation in {:.1} ms ({} junctions lose pressure, {} newly below {SERVICE_FLOOR_M} m)",
        scenario.closed_links.len(),
        scenario.out_of_service.len(),
        t.elapsed().as_secs_f64() * 1e3,
        impact.drops.len(),
        impact.newly_low.len()
    );
}

/// EPANET 2.2 through WNTR on the same file; the last step's pressures
/// compared node by node.
fn epanet_side_by_side(
    python: &std::ffi::OsStr,
    path: &std::path::Path,
    sim: &cim_hydraulics::Simulation,
    ours: f64,
) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/pipes_bench_epanet.py"
    );
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let secs = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let total = secs("open_s") + secs("solve_s") + secs("results_s");
    let last = sim.periods.last().expect("a period");
    let mut worst: f64 = 0.0;
    for (i, id) in sim.node_ids.iter().enumerate() {
        let theirs = v["last_pressure_m"][id]
            .as_f64()
            .expect("node in EPANET's results");
        worst = worst.max((theirs - last.pressure_m[i]).abs());
    }
    println!(
        "EPANET 2.2 (WNTR binding): open {:.3} s, solve {:.3} s, results {:.3} s = {total:.3} s; \
         cim/EPANET {:.2}x; largest pressure difference at the last step {worst:.2e} m",
        secs("open_s"),
        secs("solve_s"),
        secs("results_s"),
        ours / total
    );
}
