//! `cim bench`: the scene rendered off screen along a camera path, and
//! what its frames cost printed as JSON.

use super::snapshot::{Job, build_headless, outcome, prepare_store, print_notices, validate_size};
use crate::cli::BenchArgs;
use crate::viewer::initial_pose;
use anyhow::{Result, bail};
use std::time::Instant;

pub fn run_bench(args: BenchArgs) -> Result<std::process::ExitCode> {
    validate_size(args.width, args.height)?;
    let started = Instant::now();
    let (store, printed) = prepare_store(&args.inputs)?;
    let load_s = started.elapsed().as_secs_f64();
    let pose = initial_pose(&store.doc, args.view.as_deref())?;
    let (mut app, report) = build_headless(
        store,
        pose,
        Job::Bench {
            frames: args.frames.max(1),
            path: args.path,
        },
        args.width,
        args.height,
    );
    app.run();
    let r = report.lock().map(|r| r.clone()).unwrap_or_default();
    if let Some(e) = r.error {
        bail!("bench: {e}");
    }
    print_notices(r.notices.get(printed..).unwrap_or_default());
    let mut ft = r.frame_times_ms.clone();
    ft.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        ft.get(((ft.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let json = serde_json::json!({
        "width": args.width,
        "height": args.height,
        "load_layers_s": load_s,
        "first_frame_s": r.first_frame_s.map(|s| s + load_s),
        "settled_s": r.settled_s.map(|s| s + load_s),
        "path": args.path,
        "frames": ft.len(),
        "frame_ms_median": pct(0.5),
        "frame_ms_p95": pct(0.95),
        "frame_ms_p99": pct(0.99),
        "frame_ms_max": ft.last().copied().unwrap_or(0.0),
        "frame_ms_min": ft.first().copied().unwrap_or(0.0),
        "cpu_ms_per_frame": r.measured_cpu_s * 1e3 / ft.len().max(1) as f64,
        "lod_ms_per_frame": r.lod_s * 1e3 / ft.len().max(1) as f64,
        "upload_ms_per_frame": r.upload_s * 1e3 / ft.len().max(1) as f64,
        "triangles_median": median_u64(&r.triangles),
        "triangles_max": r.triangles.iter().max().copied().unwrap_or(0),
        "gpu_mesh_mb": r.gpu_mesh_bytes as f64 / MB,
        "stream_resident_mb": r.stream_resident_bytes as f64 / MB,
        "stream_cpu_mb": r.stream_cpu_bytes as f64 / MB,
        "stream_budget_mb": r.stream_budget_bytes as f64 / MB,
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(outcome(&r.notices))
}

const MB: f64 = 1024.0 * 1024.0;

fn median_u64(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// The process's peak resident memory (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
