//! `cim flood run SCENARIO.toml --out DIR`: a flood scenario read
//! (`cim_core::flood::scenario`), its rasters loaded (`cim-loaders`: ESRI
//! ASCII grids, GeoTIFF), run on the CPU (`cim_core::flood`) or the GPU
//! (`cim_gpu::flood`), and its results written as ESRI ASCII grids on the
//! DEM's georeferencing with a `summary.json`; `cim flood bench`.

use crate::cli::{BenchBackend, FloodCommand};
use anyhow::{Context, Result, anyhow, bail};
use cim_core::Grid;
use cim_core::flood::run::{CpuEngine, Engine, Forcing, Tracks, run as run_flood};
use cim_core::flood::scenario::{Backend, BoundaryKind, Manning, Scenario};
use cim_core::flood::{Boundary, Domain, Solver, State};
use cim_core::message::path as show;
use cim_gpu::Gpu;
use cim_gpu::flood::GpuFlood;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The CLI's entry (`cim flood …`).
pub fn run(cmd: FloodCommand) -> Result<ExitCode> {
    match cmd {
        FloodCommand::Run { scenario, out } => run_scenario(&scenario, &out),
        FloodCommand::Bench {
            cells,
            steps,
            backend,
        } => bench(cells, steps, backend),
    }
}

/// Times `steps` steps of the synthetic dam break on each backend asked
/// for; a JSON line each.
fn bench(cells: usize, steps: u64, backend: BenchBackend) -> Result<ExitCode> {
    if cells == 0 || steps == 0 {
        bail!("--cells and --steps must be above 0");
    }
    if backend != BenchBackend::Gpu {
        println!("{}", bench_cpu(cells, steps));
    }
    if backend != BenchBackend::Cpu {
        match Gpu::headless() {
            Ok(gpu) => println!("{}", bench_gpu(&gpu, cells, steps)?),
            Err(e) if backend == BenchBackend::All => eprintln!("cim: GPU not timed: {e}"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn bench_cpu(cells: usize, steps: u64) -> serde_json::Value {
    use cim_core::flood::generate::{BYTES_PER_CELL_UPDATE, dam_break_city};
    let started = std::time::Instant::now();
    let mut s = dam_break_city(cells);
    let setup_s = started.elapsed().as_secs_f64();
    let advance = |s: &mut Solver| {
        let dt = s.stable_dt().unwrap_or(1.0);
        s.step(dt, 0.0, &[]);
    };
    advance(&mut s);
    let started = std::time::Instant::now();
    for _ in 0..steps {
        advance(&mut s);
    }
    let wall_s = started.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mass_error = s.mass_error_rel();
    throughput(
        "cpu",
        &format!("{threads} threads"),
        s.domain.cells(),
        steps,
        setup_s,
        wall_s,
        BYTES_PER_CELL_UPDATE,
        mass_error,
    )
}

fn bench_gpu(gpu: &Gpu, cells: usize, steps: u64) -> Result<serde_json::Value> {
    use cim_core::flood::generate::dam_break_city;
    let started = std::time::Instant::now();
    let s = dam_break_city(cells);
    let mut e = GpuFlood::new(gpu, &s)?;
    e.take_steps(1)?;
    let setup_s = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    e.take_steps(u32::try_from(steps).context("--steps")?)?;
    let wall_s = started.elapsed().as_secs_f64();
    let volume = e.state()?.volume(e.cell_area());
    let mass_error = e.ledger()?.mass_error_rel(volume);
    let bytes = cim_gpu::flood::BYTES_PER_CELL_UPDATE;
    Ok(throughput(
        "gpu",
        &gpu.adapter,
        s.domain.cells(),
        steps,
        setup_s,
        wall_s,
        bytes,
        mass_error,
    ))
}

/// One backend's bench line.
#[allow(clippy::too_many_arguments)]
fn throughput(
    backend: &str,
    on: &str,
    cells: usize,
    steps: u64,
    setup_s: f64,
    wall_s: f64,
    bytes: usize,
    mass_error_rel: f64,
) -> serde_json::Value {
    let rate = cells as f64 * steps as f64 / wall_s;
    serde_json::json!({
        "backend": backend,
        "device": on,
        "cells": cells,
        "steps": steps,
        "setup_s": setup_s,
        "wall_s": wall_s,
        "cell_updates_per_s": rate,
        "bytes_per_cell_update": bytes,
        "bandwidth_gb_s": rate * bytes as f64 / 1e9,
        "mass_error_rel": mass_error_rel,
    })
}

/// The engine the scenario's `backend` asks for: "cpu"; "gpu", any
/// adapter (lavapipe too), an error without one; "auto", a hardware GPU
/// when there is one that takes the grid, else the CPU (a GPU emulated on
/// the CPU is slower there than the CPU path). `shared` is the viewer's
/// device, taken before one of the engine's own.
pub(crate) fn engine_for(
    backend: Backend,
    solver: Solver,
    path: &Path,
    shared: Option<&Gpu>,
) -> Result<Box<dyn Engine>> {
    let cpu = |solver| Ok(Box::new(CpuEngine::new(solver)) as Box<dyn Engine>);
    let device = || match shared {
        Some(gpu) => Ok(gpu.clone()),
        None => Gpu::headless(),
    };
    let on = |gpu: &Gpu| {
        GpuFlood::new(gpu, &solver).map(|mut engine| {
            if shared.is_some() {
                // The view draws on the same device: short batches (some
                // 5 ms on a desktop GPU), so its frames come between them.
                engine.set_batch_limit(cim_gpu::flood::BatchLimit::CellUpdates(5e7));
            }
            Box::new(engine) as Box<dyn Engine>
        })
    };
    match backend {
        Backend::Cpu => cpu(solver),
        Backend::Gpu => {
            let gpu = device().with_context(|| format!("{}: backend \"gpu\"", show(path)))?;
            on(&gpu).with_context(|| format!("{}: backend \"gpu\" on {}", show(path), gpu.adapter))
        }
        Backend::Auto => match device() {
            Ok(gpu) if !gpu.software => match on(&gpu) {
                Ok(engine) => Ok(engine),
                Err(e) => {
                    eprintln!("cim: {}: {e}; running on the CPU", gpu.adapter);
                    cpu(solver)
                }
            },
            Ok(_) | Err(_) => cpu(solver),
        },
    }
}

/// A raster of the scenario, loaded whole.
fn load_grid(path: &Path) -> Result<Grid> {
    load_raster(path).map(|r| r.0)
}

/// A raster of the scenario, loaded whole, and its CRS if it declares one.
fn load_raster(path: &Path) -> Result<(Grid, Option<cim_core::crs::CrsDef>)> {
    let loaded = cim_loaders::load_all(path)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("{}: nothing could be read", show(path)))?
        .map_err(|e| anyhow!(e))?;
    if loaded.detail.is_some() {
        bail!(
            "{}: too large to hold whole (it loads as an overview); the flood solver needs every cell",
            show(path)
        );
    }
    if let Some(crs) = &loaded.layer.crs
        && crs.is_geographic()
    {
        bail!(
            "{}: its cells are in degrees ({}); the flood solver needs metres — reproject it to a projected CRS (a Gauss-Krüger zone, UTM) first",
            show(path),
            crs.label()
        );
    }
    let grid = loaded
        .layer
        .grid()
        .cloned()
        .ok_or_else(|| anyhow!("{}: not a raster", show(path)))?;
    Ok((grid, loaded.layer.crs))
}

/// The DEM's grid, and a grid of the same shape from `path` (what it is
/// for named in errors).
fn same_grid(dem: &Grid, path: &Path, what: &str) -> Result<Grid> {
    let g = load_grid(path)?;
    if (g.width, g.height) != (dem.width, dem.height) {
        bail!(
            "{}: {what} is {}×{} cells, the DEM {}×{}",
            show(path),
            g.width,
            g.height,
            dem.width,
            dem.height
        );
    }
    Ok(g)
}

/// A grid's values in the solver's order (rows from the south), with
/// `missing` for nodata.
fn south_up(g: &Grid, missing: f32) -> Vec<f32> {
    let mut v = Vec::with_capacity(g.width * g.height);
    for row in (0..g.height).rev() {
        for col in 0..g.width {
            v.push(g.get(col, row).unwrap_or(missing));
        }
    }
    v
}

/// Solver values (rows from the south) as a grid on the DEM's
/// georeferencing; NaN where `keep` is false (nodata).
fn as_grid(dem: &Grid, values: &[f32], keep: &[bool]) -> Grid {
    let mut g = Grid::new(dem.width, dem.height, dem.x0, dem.y0, dem.dx, dem.dy);
    g.nodata = Some(-9999.0);
    for (c, &v) in values.iter().enumerate() {
        let (i, j) = (c % dem.width, c / dem.width);
        g.data[(dem.height - 1 - j) * dem.width + i] = if keep[c] { v } else { f32::NAN };
    }
    g
}

fn write_grid(dir: &Path, name: &str, g: &Grid) -> Result<()> {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).with_context(|| show(&path))?;
    let mut w = std::io::BufWriter::new(file);
    cim_loaders::raster::ascii_grid::write(g, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| show(&path))
}

/// The solver's domain from the scenario's rasters, and which cells hold
/// ground (nodata cells become walls).
fn domain(s: &Scenario, dir: &Path, dem: &Grid) -> Result<(Domain, Vec<bool>)> {
    if (dem.dx - dem.dy).abs() > 1e-9 * dem.dx {
        bail!(
            "{}: cells are {} × {} m; the solver needs square cells",
            s.grid.dem,
            dem.dx,
            dem.dy
        );
    }
    let ground: Vec<bool> = south_up(dem, f32::NAN)
        .iter()
        .map(|z| z.is_finite())
        .collect();
    let (_, top) = dem
        .min_max()
        .ok_or_else(|| anyhow!("{}: no cell has a value", s.grid.dem))?;
    // Nodata is outside the study area: a wall well above everything.
    let bed = south_up(dem, top + 1000.0);
    let mut d = Domain::new(dem.width, dem.height, dem.dx, bed, 0.0);
    d.manning = match &s.friction.manning {
        Manning::Uniform(n) => vec![*n as f32; dem.width * dem.height],
        Manning::Raster(p) => {
            let g = same_grid(dem, &dir.join(p), "the Manning raster")?;
            south_up(&g, 0.03)
        }
    };
    d.boundary = match s.boundary.kind {
        BoundaryKind::Closed => Boundary::Closed,
        BoundaryKind::Open => Boundary::Open,
        BoundaryKind::Level => Boundary::Level(s.boundary.level_m.unwrap_or(0.0) as f32),
    };
    Ok((d, ground))
}

/// A vector layer of the scenario, in the DEM's CRS (taken as it is when
/// either has none).
fn load_vector(path: &Path, dem_crs: Option<&cim_core::crs::CrsDef>) -> Result<cim_core::Layer> {
    let mut layer = cim_loaders::load_path(path)
        .map_err(|e| anyhow!(e))?
        .into_iter()
        .find(|l| l.vector().is_some())
        .ok_or_else(|| anyhow!("{}: no vector layer", show(path)))?;
    if let (Some(_), Some(work)) = (&layer.crs, dem_crs) {
        crate::pipe_corridor::into_crs(&mut layer, path, work)?;
    }
    Ok(layer)
}

/// The cells inside a polygon layer's polygons.
fn mask_of(
    grid: &cim_core::flood::city::CellGrid,
    path: &Path,
    crs: Option<&cim_core::crs::CrsDef>,
) -> Result<Vec<bool>> {
    let layer = load_vector(path, crs)?;
    Ok(layer.vector().map_or_else(Vec::new, |v| grid.mask(v)))
}

/// Buildings raise the bed inside their footprints; land-use layers set
/// Manning's n inside them.
fn add_city(
    s: &Scenario,
    dir: &Path,
    (dem, crs): (&Grid, Option<&cim_core::crs::CrsDef>),
    d: &mut Domain,
    ground: &[bool],
) -> Result<()> {
    if s.city.buildings.is_none() && s.city.friction.is_empty() {
        return Ok(());
    }
    let grid = cell_grid(dem);
    if let Some(b) = &s.city.buildings {
        let raise = s.city.building_height_m as f32;
        let mut n = 0;
        for (c, inside) in mask_of(&grid, &dir.join(b), crs)?.iter().enumerate() {
            if *inside && ground[c] {
                d.bed[c] += raise;
                n += 1;
            }
        }
        eprintln!("cim: {b}: {n} cells under buildings, raised {raise} m");
    }
    for zone in &s.city.friction {
        let mask = mask_of(&grid, &dir.join(&zone.layer), crs)?;
        for (c, inside) in mask.iter().enumerate() {
            if *inside {
                d.manning[c] = zone.manning as f32;
            }
        }
    }
    Ok(())
}

/// The drains' capacity per cell (m/s): `rate_mm_h` over the area (or
/// all ground), and each inlet's capacity over its cell.
fn drains(
    s: &Scenario,
    dir: &Path,
    (dem, crs): (&Grid, Option<&cim_core::crs::CrsDef>),
    ground: &[bool],
) -> Result<Option<Vec<f32>>> {
    use cim_core::model::geometry::Geometry;
    let Some(d) = &s.drainage else {
        return Ok(None);
    };
    let grid = cell_grid(dem);
    let mut rate = vec![0.0f32; ground.len()];
    if let Some(mm_h) = d.rate_mm_h {
        let inside = match &d.area {
            Some(a) => mask_of(&grid, &dir.join(a), crs)?,
            None => ground.to_vec(),
        };
        for (c, _) in inside
            .iter()
            .enumerate()
            .filter(|(c, on)| **on && ground[*c])
        {
            rate[c] += (mm_h / 3_600_000.0) as f32;
        }
    }
    if let Some(inlets) = &d.inlets {
        let path = dir.join(inlets);
        let layer = load_vector(&path, crs)?;
        let v = layer.vector().expect("a vector layer");
        if let Some(field) = &d.capacity_field
            && v.field_index(field).is_none()
        {
            bail!("{}: no field {field:?} (capacity_field)", show(&path));
        }
        let (mut placed, mut outside) = (0, 0);
        for f in &v.features {
            let capacity_l_s = d
                .capacity_field
                .as_ref()
                .and_then(|name| v.attr(f, name).as_f64())
                .unwrap_or(d.inlet_capacity_l_s);
            let points = match &f.geometry {
                Geometry::Point(p) => vec![*p],
                Geometry::MultiPoint(ps) => ps.clone(),
                _ => Vec::new(),
            };
            for p in points {
                match grid.cell_at(p.x, p.y).filter(|&c| ground[c]) {
                    Some(c) => {
                        rate[c] += (capacity_l_s / 1000.0 / (dem.dx * dem.dx)) as f32;
                        placed += 1;
                    }
                    None => outside += 1,
                }
            }
        }
        eprint!("cim: {inlets}: {placed} inlets");
        if outside > 0 {
            eprint!(", {outside} off the DEM left out");
        }
        eprintln!();
    }
    Ok(Some(rate))
}

/// Each rain raster's cells (mm/h, rows from the south; nodata and `""`
/// dry) from its time on.
fn rain_rasters(dir: &Path, dem: &Grid, rasters: &[(f64, String)]) -> Result<Vec<(f64, Vec<f32>)>> {
    rasters
        .iter()
        .map(|(t, name)| {
            if name.is_empty() {
                return Ok((*t, vec![0.0; dem.width * dem.height]));
            }
            let path = dir.join(name);
            let mm_h = south_up(&same_grid(dem, &path, "the rain raster")?, 0.0);
            if let Some(bad) = mm_h.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                bail!(
                    "{}: rain of {bad} mm/h; rain rasters hold rates ≥ 0",
                    show(&path)
                );
            }
            Ok((*t, mm_h))
        })
        .collect()
}

/// The DEM's cells, as the city layers are burnt into them.
pub(crate) fn cell_grid(dem: &Grid) -> cim_core::flood::city::CellGrid {
    cim_core::flood::city::CellGrid {
        nx: dem.width,
        ny: dem.height,
        cell_m: dem.dx,
        origin: cim_core::DVec2::new(dem.x0, dem.y0 - dem.height as f64 * dem.dy),
    }
}

/// A scenario read and set up: its DEM, which cells hold ground, the
/// solver with the city, infiltration and drains in it, and the forcing.
pub(crate) struct Prepared {
    pub scenario: Scenario,
    pub dem: Grid,
    pub dem_crs: Option<cim_core::crs::CrsDef>,
    /// Cells on the DEM (nodata cells are walls), rows from the south.
    pub ground: Vec<bool>,
    pub solver: Solver,
    pub forcing: Forcing,
}

/// Reads the scenario at `path` and everything it names.
pub(crate) fn prepare(path: &Path) -> Result<Prepared> {
    let text = std::fs::read_to_string(path).with_context(|| show(path))?;
    let s = Scenario::from_toml_str(&text).map_err(|e| anyhow!("{}: {e}", show(path)))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dem_path: PathBuf = dir.join(&s.grid.dem);
    let (dem, dem_crs) = load_raster(&dem_path)?;
    let (mut domain, ground) = domain(&s, &dir, &dem)?;
    add_city(&s, &dir, (&dem, dem_crs.as_ref()), &mut domain, &ground)?;
    let h0 = match &s.initial.depth {
        Some(p) => {
            let g = same_grid(&dem, &dir.join(p), "the initial depth")?;
            south_up(&g, 0.0)
                .into_iter()
                .zip(&ground)
                .map(|(h, &on)| if on && h.is_finite() { h.max(0.0) } else { 0.0 })
                .collect()
        }
        None => vec![0.0; dem.width * dem.height],
    };
    let inflows = s
        .inflow
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let c = cell_grid(&dem)
                .cell_at(f.x, f.y)
                .filter(|&c| ground[c])
                .ok_or_else(|| {
                    anyhow!(
                        "{}: [[inflow]] {} at ({}, {}) is not on the DEM",
                        show(path),
                        k + 1,
                        f.x,
                        f.y
                    )
                })?;
            Ok((c, f.series.clone()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut forcing = Forcing {
        rain: s.rain_steps(),
        inflows,
        ..Forcing::default()
    };
    if let Some(rasters) = s.rain.as_ref().and_then(|r| r.rasters.as_ref()) {
        forcing = forcing.with_rain_rasters(rain_rasters(&dir, &dem, rasters)?);
    }
    let mut solver = Solver::new(domain, h0);
    solver.infiltration = s
        .infiltration()
        .map_err(|e| anyhow!("{}: {e}", show(path)))?;
    if forcing.rain.iter().any(|r| r.1 > 0.0) {
        // Rain falls on the study area only: walls stay dry.
        solver.rain_mask = Some(ground.clone());
    }
    solver.drain = drains(&s, &dir, (&dem, dem_crs.as_ref()), &ground)?;
    Ok(Prepared {
        scenario: s,
        dem,
        dem_crs,
        ground,
        solver,
        forcing,
    })
}

fn run_scenario(path: &Path, out: &Path) -> Result<ExitCode> {
    let Prepared {
        scenario: s,
        dem,
        ground,
        solver,
        forcing,
        ..
    } = prepare(path)?;
    std::fs::create_dir_all(out).with_context(|| show(out))?;
    let cells = solver.domain.cells();
    let mut engine = engine_for(s.run.backend, solver, path, None)?;
    let started = std::time::Instant::now();
    let mut bar = Progress::new(s.run.duration_s);
    let tracks = run_flood(
        engine.as_mut(),
        &forcing,
        s.run.duration_s,
        s.run.output_every_s,
        |t, state: &State| {
            write_grid(
                out,
                &format!("depth_{}.asc", t.round() as u64),
                &as_grid(&dem, &state.h, &ground),
            )
        },
        |t| bar.show(t),
    )?;
    bar.done();
    let wall_s = started.elapsed().as_secs_f64();
    write_tracks(out, &dem, &tracks, &ground)?;
    let l = engine.ledger()?;
    let volume = engine.state()?.volume(engine.cell_area());
    let (steps, time_s) = (engine.steps(), engine.time_s());
    let summary = serde_json::json!({
        "backend": engine.backend(),
        "cells": cells,
        "steps": steps,
        "simulated_s": time_s,
        "wall_s": wall_s,
        "volume_in_m3": l.initial + l.added,
        "volume_out_m3": l.outflow,
        "volume_final_m3": volume,
        "mass_error_rel": l.mass_error_rel(volume),
        "volume_infiltrated_m3": l.infiltrated,
        "volume_drained_m3": l.drained,
    });
    let summary_path = out.join("summary.json");
    std::fs::write(&summary_path, format!("{summary:#}\n")).with_context(|| show(&summary_path))?;
    eprintln!(
        "cim: {cells} cells on the {}, {steps} steps, {time_s:.0} s simulated in {wall_s:.1} s; volume in {:.1} m³, out {:.1} m³, mass error {:.1e}",
        engine.backend().to_uppercase(),
        l.initial + l.added,
        l.outflow,
        l.mass_error_rel(volume)
    );
    Ok(ExitCode::SUCCESS)
}

fn write_tracks(out: &Path, dem: &Grid, t: &Tracks, ground: &[bool]) -> Result<()> {
    write_grid(out, "max_depth.asc", &as_grid(dem, &t.max_depth, ground))?;
    write_grid(out, "max_velocity.asc", &as_grid(dem, &t.max_speed, ground))?;
    write_grid(out, "arrival_time.asc", &as_grid(dem, &t.arrival_s, ground))
}

/// A progress bar on a terminal's stderr (nothing when it is not one).
struct Progress {
    total: f64,
    on: bool,
    last: std::time::Instant,
}

impl Progress {
    fn new(total: f64) -> Progress {
        Progress {
            total,
            on: std::io::stderr().is_terminal(),
            last: std::time::Instant::now(),
        }
    }

    fn show(&mut self, t: f64) {
        if !self.on || self.last.elapsed().as_millis() < 100 {
            return;
        }
        self.last = std::time::Instant::now();
        let done = (t / self.total).clamp(0.0, 1.0);
        let filled = (done * 40.0) as usize;
        eprint!(
            "\r[{}{}] {:3.0}% {:.0}/{:.0} s",
            "#".repeat(filled),
            ".".repeat(40 - filled),
            done * 100.0,
            t,
            self.total
        );
    }

    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}
