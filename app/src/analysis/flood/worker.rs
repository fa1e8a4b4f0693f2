//! The run, on a thread of its own: the scenario set up as `cim flood run`
//! sets it up, run on the engine its backend asks for, each output sent
//! back as it is written.

use super::grid::{building_cells, place_grid};
use super::{Frame, Report, RunSummary, arrows};
use cim_core::Layer;
use cim_core::crs::{CrsDef, Transformer};
use cim_core::flood::run::{EngineError, run};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

/// The run, on its own thread: the scenario set up, the grid placed in
/// the scene, the buildings' cells found, each output sent as it comes.
pub(super) fn run_in_background(
    path: &std::path::Path,
    (scene_crs, shared): (&CrsDef, Option<cim_gpu::Gpu>),
    buildings: &[(u64, Arc<Layer>)],
    tx: &mpsc::Sender<Report>,
    cancel: &AtomicBool,
) -> anyhow::Result<(RunSummary, Arc<Vec<f32>>)> {
    let started = std::time::Instant::now();
    let p = crate::flood::prepare(path)?;
    let grid = place_grid(&p, scene_crs)?;
    let cells = crate::flood::cell_grid(&p.dem);
    let to_dem = match &p.dem_crs {
        Some(c) if c != scene_crs => Some(Transformer::new(scene_crs, c)?),
        _ => None,
    };
    let around = building_cells(buildings, &cells, to_dem.as_ref());
    let run_s = &p.scenario.run;
    let (duration_s, every_s) = (run_s.duration_s, run_s.output_every_s);
    let grid = Arc::new(grid);
    let _ = tx.send(Report::Started {
        grid: grid.clone(),
        duration_s,
        buildings: around,
    });
    let mut engine = crate::flood::engine_for(run_s.backend, p.solver, path, shared.as_ref())?;
    let device = match &shared {
        Some(gpu) if engine.backend() == "gpu" => format!("{}, the view's device", gpu.adapter),
        _ => engine.device(),
    };
    eprintln!(
        "cim: flood on the {} ({device})",
        engine.backend().to_uppercase()
    );
    let mut last = std::time::Instant::now();
    let tracks = run(
        engine.as_mut(),
        &p.forcing,
        duration_s,
        every_s,
        |t, state| {
            if cancel.load(Ordering::Relaxed) {
                return Err(EngineError("stopped".into()));
            }
            let _ = tx.send(Report::Frame(Frame {
                time_s: t,
                depth: Arc::new(state.h.clone()),
                arrows: Arc::new(arrows(&grid, state)),
            }));
            Ok(())
        },
        |t| {
            if last.elapsed().as_millis() >= 100 {
                last = std::time::Instant::now();
                let _ = tx.send(Report::Progress(t));
            }
        },
    )?;
    let ledger = engine.ledger()?;
    let volume = engine.state()?.volume(engine.cell_area());
    let summary = RunSummary {
        backend: engine.backend(),
        device,
        steps: engine.steps(),
        wall_s: started.elapsed().as_secs_f64(),
        mass_error_rel: ledger.mass_error_rel(volume),
    };
    Ok((summary, Arc::new(tracks.max_depth)))
}
