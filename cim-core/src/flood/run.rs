//! A flood run: the solver stepped to the end of a scenario, its forcing
//! applied step by step, outputs handed over at each output time, and the
//! maxima and arrival times kept as it goes.

use crate::flood::flux::H_EPS;
use crate::flood::scenario::{held, linear};
use crate::flood::solver::{Solver, State};

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
    fn new(n: usize) -> Tracks {
        Tracks {
            max_depth: vec![0.0; n],
            max_speed: vec![0.0; n],
            arrival_s: vec![f32::NAN; n],
        }
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

/// Runs `solver` to `duration_s`, calling `output` at every multiple of
/// `every_s` (and at the end) and `progress` with the time after each
/// step. Steps end exactly on output times and on the rain's changes.
pub fn run<E>(
    solver: &mut Solver,
    forcing: &Forcing,
    duration_s: f64,
    every_s: f64,
    mut output: impl FnMut(f64, &State) -> Result<(), E>,
    mut progress: impl FnMut(f64),
) -> Result<Tracks, E> {
    let mut tracks = Tracks::new(solver.domain.cells());
    tracks.record(&solver.state, solver.time_s);
    let mut next_output = every_s;
    let mut inflows = Vec::with_capacity(forcing.inflows.len());
    while solver.time_s < duration_s {
        let t = solver.time_s;
        let until = next_output.min(duration_s);
        let rain_change = forcing
            .rain
            .iter()
            .map(|r| r.0)
            .find(|&c| c > t)
            .unwrap_or(f64::INFINITY);
        let dt = solver
            .stable_dt()
            .unwrap_or(DRY_STEP_S)
            .min(DRY_STEP_S)
            .min(until - t)
            .min(rain_change - t);
        inflows.clear();
        inflows.extend(forcing.inflows.iter().map(|(c, s)| (*c, linear(s, t))));
        solver.step(dt, held(&forcing.rain, t), &inflows);
        tracks.record(&solver.state, solver.time_s);
        progress(solver.time_s);
        if solver.time_s >= until - 1e-9 {
            // Land exactly on the output time (round-off in the sums).
            solver.time_s = until;
            output(until, &solver.state)?;
            next_output += every_s;
        }
    }
    Ok(tracks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flood::solver::Domain;

    #[test]
    fn outputs_land_on_their_times_and_rain_is_all_counted() {
        let d = Domain::new(20, 10, 5.0, vec![0.0; 200], 0.03);
        let mut s = Solver::new(d, vec![0.0; 200]);
        // 36 mm/h for 250 s, then dry: 2.5 mm.
        let forcing = Forcing {
            rain: vec![(0.0, 0.01 / 1000.0), (250.0, 0.0)],
            inflows: vec![],
        };
        let mut times = Vec::new();
        let tracks = run(
            &mut s,
            &forcing,
            1000.0,
            300.0,
            |t, _| {
                times.push(t);
                Ok::<(), ()>(())
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(times, [300.0, 600.0, 900.0, 1000.0]);
        let want = 0.0025 * 200.0 * 25.0;
        assert!(
            (s.ledger.added - want).abs() < 1e-6 * want,
            "{}",
            s.ledger.added
        );
        assert!(tracks.max_depth.iter().all(|&h| (h - 0.0025).abs() < 1e-6));
        assert!(
            tracks.arrival_s.iter().all(|a| a.is_nan()),
            "never 5 cm deep"
        );
    }
}
