//! A flood run: an [`Engine`] — the CPU solver here, the GPU one in
//! `cim-gpu` — stepped to the end of a scenario, its outputs handed over
//! at each output time, the maxima and arrival times kept as it goes.
//!
//! Both engines step by the same rule ([`Engine::advance`]), so a
//! scenario gives the same water on either, to `f32` round-off.

use crate::flood::flux::H_EPS;
use crate::flood::scenario::{held, linear};
use crate::flood::solver::{Ledger, Solver, State};
use std::sync::Arc;

/// Depth (m) at which water counts as having arrived at a cell.
pub const ARRIVAL_DEPTH_M: f32 = 0.05;

/// The longest step taken while everything is dry (no CFL limit then):
/// rain falls on dry ground in steps no coarser than this.
pub const DRY_STEP_S: f64 = 10.0;

/// What drives the water: rain as held `(from time s, m/s)` steps, and
/// point inflows as (cell, `[time s, m³/s]` linear series).
#[derive(Clone, Debug, Default)]
pub struct Forcing {
    pub rain: Vec<(f64, f64)>,
    pub inflows: Vec<(usize, Vec<[f64; 2]>)>,
    /// Rain that varies over the grid: from each time (one of `rain`'s),
    /// the share of that step's rate each cell gets (0–1) — a raster's
    /// cells over its largest. Uniform rain without.
    pub rain_fields: Vec<(f64, Arc<Vec<f32>>)>,
}

impl Forcing {
    /// The rain field held at `t`, if the rain varies over the grid.
    pub fn rain_field_at(&self, t: f64) -> Option<&Arc<Vec<f32>>> {
        match self.rain_fields.partition_point(|f| f.0 <= t) {
            0 => None,
            k => Some(&self.rain_fields[k - 1].1),
        }
    }

    /// Rain from `rasters` (`(from s,
    /// mm/h per cell)`, each held until the next): the held rates are
    /// each raster's largest cell, the fields its cells over that.
    pub fn with_rain_rasters(mut self, rasters: Vec<(f64, Vec<f32>)>) -> Forcing {
        self.rain.clear();
        self.rain_fields.clear();
        for (t, mm_h) in rasters {
            let top = mm_h.iter().fold(0.0f32, |a, &v| a.max(v));
            let share = mm_h
                .iter()
                .map(|&v| if top > 0.0 { v / top } else { 0.0 })
                .collect();
            self.rain.push((t, top as f64 / 3_600_000.0));
            self.rain_fields.push((t, Arc::new(share)));
        }
        self
    }

    /// The first time after `t` at which the rain changes (∞: never).
    pub fn rain_change_after(&self, t: f64) -> f64 {
        self.rain
            .iter()
            .map(|r| r.0)
            .find(|&c| c > t)
            .unwrap_or(f64::INFINITY)
    }
}

/// Per cell, over the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracks {
    pub max_depth: Vec<f32>,
    pub max_speed: Vec<f32>,
    /// When the depth first reached [`ARRIVAL_DEPTH_M`] (s); NaN: never.
    pub arrival_s: Vec<f32>,
}

impl Tracks {
    /// What the water `s` at `time_s` starts the tracks with.
    pub fn new(s: &State, time_s: f64) -> Tracks {
        let n = s.h.len();
        let mut t = Tracks {
            max_depth: vec![0.0; n],
            max_speed: vec![0.0; n],
            arrival_s: vec![f32::NAN; n],
        };
        t.record(s, time_s);
        t
    }

    fn record(&mut self, s: &State, time_s: f64) {
        for c in 0..s.h.len() {
            let h = s.h[c];
            self.max_depth[c] = self.max_depth[c].max(h);
            if h > H_EPS {
                let speed = (s.hu[c] * s.hu[c] + s.hv[c] * s.hv[c]).sqrt() / h;
                self.max_speed[c] = self.max_speed[c].max(speed);
            }
            if h >= ARRIVAL_DEPTH_M && self.arrival_s[c].is_nan() {
                self.arrival_s[c] = time_s as f32;
            }
        }
    }
}

/// Why an engine could not go on (the GPU's device lost, a read-back
/// failed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

/// What steps the water.
///
/// [`advance`](Engine::advance) takes steps of
/// `min(CFL step, DRY_STEP_S, until − t, next rain change − t)`, the rain
/// held and the inflows interpolated at each step's start, lands exactly on
/// `until`, and records the tracks after every step.
pub trait Engine {
    /// "cpu" or "gpu": what `summary.json` names.
    fn backend(&self) -> &'static str;
    /// What it runs on, for people: "2 threads", a GPU adapter's name.
    fn device(&self) -> String;
    fn cells(&self) -> usize;
    /// The area of one cell, m².
    fn cell_area(&self) -> f64;
    fn time_s(&self) -> f64;
    fn steps(&self) -> u64;
    /// Steps to `until` (s), calling `progress` with the time now and
    /// then.
    fn advance(
        &mut self,
        forcing: &Forcing,
        until: f64,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(), EngineError>;
    /// The water now.
    fn state(&mut self) -> Result<State, EngineError>;
    fn tracks(&mut self) -> Result<Tracks, EngineError>;
    fn ledger(&mut self) -> Result<Ledger, EngineError>;
}

/// The CPU engine: [`Solver`] stepped by the rule above, rows in parallel.
pub struct CpuEngine {
    pub solver: Solver,
    tracks: Tracks,
    inflows: Vec<(usize, f64)>,
}

impl CpuEngine {
    pub fn new(solver: Solver) -> CpuEngine {
        let tracks = Tracks::new(&solver.state, solver.time_s);
        CpuEngine {
            solver,
            tracks,
            inflows: Vec::new(),
        }
    }
}

impl Engine for CpuEngine {
    fn backend(&self) -> &'static str {
        "cpu"
    }

    fn device(&self) -> String {
        format!("{} threads", rayon::current_num_threads())
    }

    fn cells(&self) -> usize {
        self.solver.domain.cells()
    }

    fn cell_area(&self) -> f64 {
        self.solver.domain.cell_m * self.solver.domain.cell_m
    }

    fn time_s(&self) -> f64 {
        self.solver.time_s
    }

    fn steps(&self) -> u64 {
        self.solver.steps
    }

    fn advance(
        &mut self,
        forcing: &Forcing,
        until: f64,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(), EngineError> {
        let s = &mut self.solver;
        while s.time_s < until {
            let t = s.time_s;
            let dt = s
                .stable_dt()
                .unwrap_or(DRY_STEP_S)
                .min(DRY_STEP_S)
                .min(until - t)
                .min(forcing.rain_change_after(t) - t);
            self.inflows.clear();
            let at = |(c, q): &(usize, Vec<[f64; 2]>)| (*c, linear(q, t));
            self.inflows.extend(forcing.inflows.iter().map(at));
            s.rain_field = forcing.rain_field_at(t).cloned();
            s.step(dt, held(&forcing.rain, t), &self.inflows);
            if s.time_s >= until - 1e-9 {
                // Land exactly on the time asked for (round-off in the sums).
                s.time_s = until;
            }
            self.tracks.record(&s.state, s.time_s);
            progress(s.time_s);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<State, EngineError> {
        Ok(self.solver.state.clone())
    }

    fn tracks(&mut self) -> Result<Tracks, EngineError> {
        Ok(self.tracks.clone())
    }

    fn ledger(&mut self) -> Result<Ledger, EngineError> {
        Ok(self.solver.ledger)
    }
}

/// Runs `engine` to `duration_s`, calling `output` at every multiple of
/// `every_s` (and at the end) and `progress` with the time now and then.
pub fn run<E: From<EngineError>>(
    engine: &mut dyn Engine,
    forcing: &Forcing,
    duration_s: f64,
    every_s: f64,
    mut output: impl FnMut(f64, &State) -> Result<(), E>,
    mut progress: impl FnMut(f64),
) -> Result<Tracks, E> {
    let mut next_output = every_s;
    while engine.time_s() < duration_s {
        let until = next_output.min(duration_s);
        engine.advance(forcing, until, &mut progress)?;
        output(until, &engine.state()?)?;
        next_output += every_s;
    }
    Ok(engine.tracks()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flood::solver::Domain;

    #[test]
    fn rain_rasters_fall_cell_by_cell() {
        // Four cells between walls: 0, 10, 20, 40 mm/h for 360 s, then
        // 40, 0, 0, 0 for 360 s, then dry.
        let bed = vec![0.0, 50.0, 0.0, 50.0, 0.0, 50.0, 0.0];
        let d = Domain::new(7, 1, 100.0, bed, 0.03);
        let mut e = CpuEngine::new(Solver::new(d, vec![0.0; 7]));
        let walled = |v: [f32; 4]| vec![v[0], 0.0, v[1], 0.0, v[2], 0.0, v[3]];
        let forcing = Forcing::default().with_rain_rasters(vec![
            (0.0, walled([0.0, 10.0, 20.0, 40.0])),
            (360.0, walled([40.0, 0.0, 0.0, 0.0])),
            (720.0, vec![0.0; 7]),
        ]);
        assert_eq!(forcing.rain[0].1, 40.0 / 3_600_000.0);
        e.advance(&forcing, 1000.0, &mut |_| {}).unwrap();
        let h = &e.solver.state.h;
        for (c, want) in [(0, 4e-3), (2, 1e-3), (4, 2e-3), (6, 4e-3)] {
            assert!((h[c] - want).abs() < 1e-7, "cell {c}: {} vs {want}", h[c]);
        }
        let added = e.solver.ledger.added;
        assert!((added - 0.011 * 1e4).abs() < 1e-4, "{added}");
    }

    #[test]
    fn outputs_land_on_their_times_and_rain_is_all_counted() {
        let d = Domain::new(20, 10, 5.0, vec![0.0; 200], 0.03);
        let mut e = CpuEngine::new(Solver::new(d, vec![0.0; 200]));
        // 36 mm/h for 250 s, then dry: 2.5 mm.
        let forcing = Forcing {
            rain: vec![(0.0, 0.01 / 1000.0), (250.0, 0.0)],
            ..Forcing::default()
        };
        let mut times = Vec::new();
        let tracks = run(
            &mut e,
            &forcing,
            1000.0,
            300.0,
            |t, _| {
                times.push(t);
                Ok::<(), EngineError>(())
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(times, [300.0, 600.0, 900.0, 1000.0]);
        let want = 0.0025 * 200.0 * 25.0;
        let added = e.solver.ledger.added;
        assert!((added - want).abs() < 1e-6 * want, "{added}");
        assert!(tracks.max_depth.iter().all(|&h| (h - 0.0025).abs() < 1e-6));
        assert!(
            tracks.arrival_s.iter().all(|a| a.is_nan()),
            "never 5 cm deep"
        );
    }
}
