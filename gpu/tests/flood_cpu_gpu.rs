//! The GPU flood engine against the CPU one on the same inputs: depths at
//! every output time, the tracks and the volume ledger agree to 1e-4 of the
//! peak depth (the acceptance); a lake at rest stays at rest.
//!
//! These need a GPU adapter; without a GPU, Mesa's lavapipe (Vulkan on the
//! CPU, `mesa-vulkan-drivers`, installed by `.ci/run`) is one. They fail,
//! not skip, when there is none: the GPU path is part of the product.

use cim_core::flood::generate::dam_break_city;
use cim_core::flood::infiltration::Infiltration;
use cim_core::flood::run::{CpuEngine, Engine, EngineError, Forcing, Tracks, run};
use cim_core::flood::{Boundary, Domain, Solver, State};
use cim_gpu::Gpu;
use cim_gpu::flood::GpuFlood;
use std::sync::OnceLock;

fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::headless().unwrap_or_else(|e| panic!("{e}")))
}

/// Every output's state and the tracks, of a run of `solver` on `engine`.
fn outputs(
    engine: &mut dyn Engine,
    forcing: &Forcing,
    duration: f64,
    every: f64,
) -> (Vec<State>, Tracks) {
    let mut states = Vec::new();
    let tracks = run(
        engine,
        forcing,
        duration,
        every,
        |_, s| {
            states.push(s.clone());
            Ok::<(), EngineError>(())
        },
        |_| {},
    )
    .unwrap();
    (states, tracks)
}

/// The largest difference between two fields, relative to `scale`.
fn worst(a: &[f32], b: &[f32], scale: f32) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
        / scale
}

/// Runs `solver` on both engines and holds them to 1e-4 of the peak depth;
/// the two engines, for further checks.
fn both_agree(
    solver: Solver,
    forcing: &Forcing,
    duration: f64,
    every: f64,
) -> (CpuEngine, GpuFlood) {
    let mut gpu_engine = GpuFlood::new(gpu(), &solver).unwrap();
    let mut cpu_engine = CpuEngine::new(solver);
    let (cpu, cpu_tracks) = outputs(&mut cpu_engine, forcing, duration, every);
    let (gpu, gpu_tracks) = outputs(&mut gpu_engine, forcing, duration, every);
    assert_eq!(cpu.len(), gpu.len());
    let peak = cpu_tracks.max_depth.iter().cloned().fold(0.0, f32::max);
    assert!(peak > 0.0);
    for (k, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        let d = worst(&c.h, &g.h, peak);
        eprintln!("output {k}: depths differ by at most {d:e} of the peak ({peak} m)");
        assert!(d <= 1e-4, "output {k}: depths differ by {d:e} of the peak");
    }
    let d = worst(&cpu_tracks.max_depth, &gpu_tracks.max_depth, peak);
    assert!(d <= 1e-4, "max depth differs by {d:e} of the peak");
    let fastest = cpu_tracks.max_speed.iter().cloned().fold(0.0, f32::max);
    let d = worst(&cpu_tracks.max_speed, &gpu_tracks.max_speed, fastest);
    assert!(d <= 1e-2, "max speed differs by {d:e} of the fastest");
    assert_eq!(cpu_engine.steps(), gpu_engine.steps(), "the same steps");
    (cpu_engine, gpu_engine)
}

#[test]
fn a_dam_break_through_a_city_is_the_same_on_the_gpu() {
    let solver = dam_break_city(96 * 96);
    let wet_at_start = solver.state.h.iter().filter(|&&h| h >= 0.05).count();
    let (mut cpu, mut gpu) = both_agree(solver, &Forcing::default(), 30.0, 10.0);
    let (c, g) = (cpu.ledger().unwrap(), gpu.ledger().unwrap());
    assert_eq!(c.added, 0.0);
    let volume = gpu.state().unwrap().volume(gpu.cell_area());
    assert!(
        g.mass_error_rel(volume) < 1e-5,
        "{}",
        g.mass_error_rel(volume)
    );
    let tracks = gpu.tracks().unwrap();
    let arrived = tracks.arrival_s.iter().filter(|a| a.is_finite()).count();
    assert!(
        arrived > wet_at_start + 500,
        "{arrived} cells reached, {wet_at_start} wet at the start"
    );
}

/// A 60 × 40 basin with a block of buildings, sloping to an open east
/// edge; rain on all but a strip, an inflow hydrograph, Green–Ampt, drains
/// along a street.
fn rainy_basin() -> (Solver, Forcing) {
    let (nx, ny) = (60, 40);
    let mut bed = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = (i as f32, j as f32);
            let mut z = 30.0 - 0.04 * x + 0.3 * (0.25 * x).sin() * (0.2 * y).cos();
            if (20..26).contains(&i) && (10..30).contains(&j) {
                z += 12.0;
            }
            bed.push(z);
        }
    }
    let mut d = Domain::new(nx, ny, 2.0, bed, 0.035);
    d.boundary = Boundary::Open;
    let mut s = Solver::new(d, vec![0.0; nx * ny]);
    s.rain_mask = Some((0..nx * ny).map(|c| c / nx >= 4).collect());
    s.infiltration = Infiltration::GreenAmpt {
        ks_ms: 10.0 / 3.6e6,
        suction_m: 0.11,
        deficit: 0.3,
    };
    // 20 L/s inlets every 4 cells along row 15.
    s.drain = Some(
        (0..nx * ny)
            .map(|c| {
                if c / nx == 15 && c % 4 == 0 {
                    0.02 / 4.0
                } else {
                    0.0
                }
            })
            .collect(),
    );
    let forcing = Forcing {
        // 80 mm/h for 5 minutes, 20 mm/h for 5, then dry.
        rain: vec![(0.0, 0.08 / 3600.0), (300.0, 0.02 / 3600.0), (600.0, 0.0)],
        inflows: vec![(20 * nx + 5, vec![[0.0, 0.0], [200.0, 1.5], [500.0, 0.0]])],
        ..Forcing::default()
    };
    (s, forcing)
}

#[test]
fn rain_inflow_infiltration_and_an_open_edge_are_the_same_on_the_gpu() {
    let (solver, forcing) = rainy_basin();
    let (mut cpu, mut gpu) = both_agree(solver, &forcing, 900.0, 300.0);
    let (c, g) = (cpu.ledger().unwrap(), gpu.ledger().unwrap());
    for (what, a, b) in [
        ("added", c.added, g.added),
        ("outflow", c.outflow, g.outflow),
        ("infiltrated", c.infiltrated, g.infiltrated),
        ("drained", c.drained, g.drained),
    ] {
        assert!(a > 0.0, "{what}: {a}");
        assert!((a - b).abs() <= 1e-3 * a, "{what}: cpu {a}, gpu {b}");
    }
    let volume = gpu.state().unwrap().volume(gpu.cell_area());
    assert!(
        g.mass_error_rel(volume) < 1e-4,
        "{}",
        g.mass_error_rel(volume)
    );
}

#[test]
fn a_held_sea_level_is_the_same_on_the_gpu() {
    let (nx, ny) = (48, 8);
    let bed: Vec<f32> = (0..nx * ny).map(|c| 0.05 * (c % nx) as f32).collect();
    let mut d = Domain::new(nx, ny, 1.0, bed, 0.03);
    d.boundary = Boundary::Level(1.2);
    let solver = Solver::new(d, vec![0.0; nx * ny]);
    let (_, mut gpu) = both_agree(solver, &Forcing::default(), 120.0, 60.0);
    let deepest = gpu
        .tracks()
        .unwrap()
        .max_depth
        .iter()
        .fold(0.0f32, |a, &h| a.max(h));
    // Bores from three edges meet and reflect, at most doubling.
    assert!(deepest < 2.5, "{deepest} m");
    let l = gpu.ledger().unwrap();
    assert!(l.outflow < -1.0, "came in: {}", l.outflow);
}

#[test]
fn a_lake_at_rest_stays_at_rest_on_the_gpu() {
    let (nx, ny) = (40, 30);
    let mut bed = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = (i as f32, j as f32);
            let mut z = 120.0 + 0.05 * x + 0.8 * (0.3 * x).sin() * (0.2 * y).cos();
            if (10..14).contains(&i) && (8..20).contains(&j) {
                z = 129.0;
            }
            bed.push(z);
        }
    }
    let h0: Vec<f32> = bed.iter().map(|z| (122.0 - z).max(0.0)).collect();
    let solver = Solver::new(Domain::new(nx, ny, 2.0, bed, 0.03), h0.clone());
    let mut gpu = GpuFlood::new(gpu(), &solver).unwrap();
    // 1 000 steps: every step is a CFL step of the still water's waves.
    let dt = solver.stable_dt().unwrap();
    gpu.advance(&Forcing::default(), 1000.0 * dt, &mut |_| {})
        .unwrap();
    assert!(gpu.steps() >= 1000, "{} steps", gpu.steps());
    let s = gpu.state().unwrap();
    let fastest = (0..s.h.len())
        .filter(|&c| s.h[c] > 1e-6)
        .map(|c| s.hu[c].abs().max(s.hv[c].abs()) / s.h[c])
        .fold(0.0f32, f32::max);
    assert!(fastest < 1e-6, "fastest {fastest} m/s");
    assert_eq!(s.h, h0, "not a drop moved");
}

#[test]
fn rain_rasters_are_the_same_on_the_gpu() {
    // The rainy basin under a storm cell crossing it west to east: three
    // rasters of rain, heaviest in a moving band, then dry.
    let (solver, _) = rainy_basin();
    let (nx, ny) = (solver.domain.nx, solver.domain.ny);
    let band = |centre: f32| -> Vec<f32> {
        (0..nx * ny)
            .map(|c| {
                let x = (c % nx) as f32;
                120.0 * (-((x - centre) / 8.0).powi(2)).exp()
            })
            .collect()
    };
    let forcing = Forcing::default().with_rain_rasters(vec![
        (0.0, band(10.0)),
        (200.0, band(30.0)),
        (400.0, band(50.0)),
        (600.0, vec![0.0; nx * ny]),
    ]);
    let (mut cpu, mut gpu) = both_agree(solver, &forcing, 900.0, 300.0);
    let (c, g) = (cpu.ledger().unwrap(), gpu.ledger().unwrap());
    assert!(
        (c.added - g.added).abs() <= 1e-4 * c.added,
        "{} vs {}",
        c.added,
        g.added
    );
    let volume = gpu.state().unwrap().volume(gpu.cell_area());
    assert!(
        g.mass_error_rel(volume) < 1e-4,
        "{}",
        g.mass_error_rel(volume)
    );
}
