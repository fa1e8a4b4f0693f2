//! The 2D shallow-water solver on a regular grid: first-order Godunov
//! finite volumes with the HLLC flux over hydrostatically reconstructed
//! faces (`flux`), explicit in time with the step the CFL condition
//! allows, Manning friction applied semi-implicitly (the velocity divided
//! by `1 + Δt g n² |u| / h^{4/3}`, which can slow water but never turn it
//! round), rain and point inflows added as sources, closed (reflecting) or
//! open (free outflow) boundaries.
//!
//! Each cell is updated from its four faces on its own — a face's flux is
//! worked out by both its cells, identically — so rows update in parallel
//! (rayon) with no shared writes, as a GPU compute shader's threads do.
//! Every volume that enters or leaves (rain, inflow, boundary outflow) is
//! counted in `f64`, so the mass balance can be checked.

use crate::flood::flux::{FaceFlux, G, H_EPS, Side, face_flux};
use crate::flood::infiltration::Infiltration;
use rayon::prelude::*;

/// What the domain's edge does.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Boundary {
    /// A wall: water reflects.
    #[default]
    Closed,
    /// Free outflow: water leaves as if the ground went on level.
    Open,
    /// A water level held beyond the edge (a sea, a river stage, m): water
    /// comes in below it and goes out above it, its velocity the cell's.
    Level(f32),
}

/// A grid of square cells: bed levels and Manning coefficients, row by
/// row from the south-west corner (cell `(i, j)` at `j * nx + i`).
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub nx: usize,
    pub ny: usize,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Bed level per cell, metres.
    pub bed: Vec<f32>,
    /// Manning's n per cell, s/m^(1/3).
    pub manning: Vec<f32>,
    pub boundary: Boundary,
}

impl Domain {
    /// A domain with one Manning coefficient everywhere.
    pub fn new(nx: usize, ny: usize, cell_m: f64, bed: Vec<f32>, manning: f32) -> Domain {
        assert_eq!(bed.len(), nx * ny, "one bed level per cell");
        Domain {
            nx,
            ny,
            cell_m,
            bed,
            manning: vec![manning; nx * ny],
            boundary: Boundary::Closed,
        }
    }

    pub fn cells(&self) -> usize {
        self.nx * self.ny
    }

    fn cell_area(&self) -> f64 {
        self.cell_m * self.cell_m
    }
}

/// Depth and unit discharges per cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Water depth, m.
    pub h: Vec<f32>,
    /// Unit discharge east, m²/s.
    pub hu: Vec<f32>,
    /// Unit discharge north, m²/s.
    pub hv: Vec<f32>,
}

impl State {
    /// The water held, m³, on cells of `cell_area` m².
    pub fn volume(&self, cell_area: f64) -> f64 {
        self.h.iter().map(|&h| h as f64).sum::<f64>() * cell_area
    }
}

/// The volumes that crossed the domain's bounds, m³.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ledger {
    /// Water present at the start.
    pub initial: f64,
    /// Rain and inflows.
    pub added: f64,
    /// Out through open boundaries (less any that came in through them).
    pub outflow: f64,
    /// Taken in by the ground.
    pub infiltrated: f64,
    /// Taken away by the drains.
    pub drained: f64,
}

impl Ledger {
    /// The relative difference between `volume` (m³, the water present)
    /// and what the ledger says should be there (0: nothing lost or
    /// made), relative to all the water there has been: what was there,
    /// what was added, what came in over the edges.
    pub fn mass_error_rel(&self, volume: f64) -> f64 {
        let expected = self.initial + self.added - self.outflow - self.infiltrated - self.drained;
        let all = self.initial + self.added + (-self.outflow).max(0.0);
        (volume - expected).abs() / all.max(f64::MIN_POSITIVE)
    }
}

/// The solver: a domain, its water, and the clock.
pub struct Solver {
    pub domain: Domain,
    pub state: State,
    pub time_s: f64,
    /// Courant number of each step (≤ 0.5 keeps depths non-negative).
    pub cfl: f64,
    pub ledger: Ledger,
    pub steps: u64,
    /// The cells rain falls on (all without a mask): outside a study
    /// area's edge, nothing.
    pub rain_mask: Option<Vec<bool>>,
    /// The share of the step's rain each cell gets (0–1; all of it
    /// without): a rain raster's cells over its largest.
    pub rain_field: Option<std::sync::Arc<Vec<f32>>>,
    /// How the ground takes water in, and how much each cell has (m).
    pub infiltration: Infiltration,
    pub infiltrated: Vec<f32>,
    /// What the drains can take from each cell, m/s (none without).
    pub drain: Option<Vec<f32>>,
    next: State,
}

/// A point source this step: the cell and its inflow, m³/s.
pub type Inflow = (usize, f64);

impl Solver {
    /// Starts from depths `h0` (m) at rest.
    pub fn new(domain: Domain, h0: Vec<f32>) -> Solver {
        assert_eq!(h0.len(), domain.cells(), "one depth per cell");
        let n = domain.cells();
        let state = State {
            h: h0.iter().map(|h| h.max(0.0)).collect(),
            hu: vec![0.0; n],
            hv: vec![0.0; n],
        };
        let mut s = Solver {
            domain,
            next: state.clone(),
            state,
            time_s: 0.0,
            cfl: 0.45,
            ledger: Ledger::default(),
            steps: 0,
            rain_mask: None,
            rain_field: None,
            infiltration: Infiltration::None,
            infiltrated: vec![0.0; n],
            drain: None,
        };
        s.ledger.initial = s.volume();
        s
    }

    /// The water in the domain, m³.
    pub fn volume(&self) -> f64 {
        self.state.volume(self.domain.cell_area())
    }

    /// The relative difference between the water present and what the
    /// ledger says should be (0 for perfect conservation).
    pub fn mass_error_rel(&self) -> f64 {
        self.ledger.mass_error_rel(self.volume())
    }

    /// The longest step the CFL condition allows now (`None` when all is
    /// dry and still: any step is stable).
    pub fn stable_dt(&self) -> Option<f64> {
        let (s, d) = (&self.state, &self.domain);
        let fastest = (0..d.cells())
            .into_par_iter()
            .map(|c| wave_speed(d, s, c))
            .reduce(|| 0.0, f32::max);
        (fastest > 0.0).then(|| self.cfl * self.domain.cell_m / fastest as f64)
    }

    /// Advances by `dt` seconds with rain `rain_ms` (m/s, over every cell)
    /// and `inflows`.
    pub fn step(&mut self, dt: f64, rain_ms: f64, inflows: &[Inflow]) {
        let d = &self.domain;
        let (nx, ny) = (d.nx, d.ny);
        let ratio = (dt / d.cell_m) as f32;
        let state = &self.state;
        let next = &mut self.next;
        // Rows in parallel; each returns the unit-width volume it let out.
        let out: f64 = next
            .h
            .par_chunks_mut(nx)
            .zip(next.hu.par_chunks_mut(nx))
            .zip(next.hv.par_chunks_mut(nx))
            .enumerate()
            .map(|(j, ((h, hu), hv))| {
                let mut out = 0.0f64;
                for i in 0..nx {
                    let u = update(d, state, i, j, ratio);
                    h[i] = u.h;
                    hu[i] = u.hu;
                    hv[i] = u.hv;
                    out += u.out as f64;
                }
                out
            })
            .sum();
        debug_assert_eq!(self.next.h.len(), nx * ny);
        std::mem::swap(&mut self.state, &mut self.next);
        self.ledger.outflow += out * dt * d.cell_m;
        self.add_sources(dt, rain_ms, inflows);
        self.infiltrate(dt);
        self.drain(dt);
        self.apply_friction(dt);
        self.time_s += dt;
        self.steps += 1;
    }

    fn add_sources(&mut self, dt: f64, rain_ms: f64, inflows: &[Inflow]) {
        let area = self.domain.cell_area();
        if rain_ms > 0.0 {
            let dh = (rain_ms * dt) as f32;
            let mask = self.rain_mask.as_deref();
            let field = self.rain_field.as_deref().map(Vec::as_slice);
            // Each cell's share as the GPU takes it: dh × (0 or the
            // field's factor); what was added, as added (in f32), so the
            // ledger balances.
            let added: f64 = self
                .state
                .h
                .par_iter_mut()
                .enumerate()
                .map(|(c, h)| {
                    let on = mask.is_none_or(|m| m[c]);
                    let share = if on { field.map_or(1.0, |f| f[c]) } else { 0.0 };
                    if share > 0.0 {
                        let before = *h;
                        *h += dh * share;
                        (*h - before) as f64
                    } else {
                        0.0
                    }
                })
                .sum();
            self.ledger.added += added * area;
        }
        for &(c, q) in inflows {
            let Some(h) = self.state.h.get_mut(c) else {
                continue;
            };
            let dh = (q * dt / area) as f32;
            let before = *h;
            *h = (*h + dh).max(0.0);
            self.ledger.added += (*h - before) as f64 * area;
        }
    }

    fn infiltrate(&mut self, dt: f64) {
        if self.infiltration.is_none() {
            return;
        }
        let law = self.infiltration;
        let taken: f64 = self
            .state
            .h
            .par_iter_mut()
            .zip(self.infiltrated.par_iter_mut())
            .map(|(h, f)| {
                let d = law.take(*f as f64, *h as f64, dt) as f32;
                let before = *h;
                *h = (*h - d).max(0.0);
                *f += before - *h;
                (before - *h) as f64
            })
            .sum();
        self.ledger.infiltrated += taken * self.domain.cell_area();
    }

    /// Each cell loses up to its drains' capacity over the step.
    fn drain(&mut self, dt: f64) {
        let Some(rates) = &self.drain else {
            return;
        };
        let dt = dt as f32;
        let taken: f64 = self
            .state
            .h
            .par_iter_mut()
            .zip(rates.par_iter())
            .map(|(h, &rate)| {
                let before = *h;
                *h = (*h - (rate * dt).min(*h)).max(0.0);
                (before - *h) as f64
            })
            .sum();
        self.ledger.drained += taken * self.domain.cell_area();
    }

    fn apply_friction(&mut self, dt: f64) {
        let s = &mut self.state;
        let manning = &self.domain.manning;
        let dt = dt as f32;
        s.h.par_iter()
            .zip(s.hu.par_iter_mut())
            .zip(s.hv.par_iter_mut())
            .zip(manning.par_iter())
            .for_each(|(((&h, hu), hv), &n)| {
                if h <= H_EPS {
                    *hu = 0.0;
                    *hv = 0.0;
                    return;
                }
                let speed = (*hu * *hu + *hv * *hv).sqrt() / h;
                let k = 1.0 + dt * G * n * n * speed / h.powf(4.0 / 3.0);
                *hu /= k;
                *hv /= k;
            });
    }
}

/// The fastest wave at cell `c` (m/s): its water's `|u| + √(gh)`, plus
/// how much faster its celerity is than its slowest neighbour's — at a
/// wet–dry front `|u| + 2√(gh)`, Toro's dry-bed speed, which the flux uses
/// (a CFL step on `|u| + √(gh)` alone lets a cell spilling onto dry ground
/// lose more than it holds, and clipping that to zero makes water); the
/// bound grows continuously with the step in depth, so a film's round-off
/// cannot switch it. On the edge under a held level, the water beyond's —
/// a dry shore must not take a long step while the sea is about to come
/// in.
fn wave_speed(d: &Domain, s: &State, c: usize) -> f32 {
    let h = s.h[c];
    let (u, v) = velocity(s, c);
    let along = u.abs().max(v.abs());
    let (i, j) = (c % d.nx, c / d.nx);
    let mut fastest = 0.0;
    if h > H_EPS {
        let celerity = |k: usize| (G * s.h[k].max(0.0)).sqrt();
        let mine = celerity(c);
        let mut slowest = mine;
        for (on, k) in [
            (i > 0, c.wrapping_sub(1)),
            (i + 1 < d.nx, c + 1),
            (j > 0, c.wrapping_sub(d.nx)),
            (j + 1 < d.ny, c + d.nx),
        ] {
            if on {
                slowest = slowest.min(celerity(k));
            }
        }
        fastest = along + mine + (mine - slowest);
    }
    if let Boundary::Level(eta) = d.boundary {
        let beyond = (eta - d.bed[c]).max(0.0);
        if (i == 0 || j == 0 || i + 1 == d.nx || j + 1 == d.ny) && beyond > H_EPS {
            fastest = fastest.max(along + (G * beyond).sqrt());
        }
    }
    fastest
}

/// A cell's new state, and what it let out through the domain's edge per
/// unit width (m²/s).
struct Update {
    h: f32,
    hu: f32,
    hv: f32,
    out: f32,
}

/// The state of cell `c` seen across a face whose normal is x (`east`) or
/// y: velocity across, velocity along.
/// A cell's velocity, east and north (none in a film too thin to carry
/// it: momentum over a vanishing depth is round-off).
fn velocity(s: &State, c: usize) -> (f32, f32) {
    let h = s.h[c];
    if h > H_EPS {
        (s.hu[c] / h, s.hv[c] / h)
    } else {
        (0.0, 0.0)
    }
}

fn side(d: &Domain, s: &State, c: usize, east: bool) -> Side {
    let h = s.h[c];
    let (u, v) = velocity(s, c);
    let (un, ut) = if east { (u, v) } else { (v, u) };
    Side {
        h,
        z: d.bed[c],
        un,
        ut,
    }
}

/// Beyond the edge, on either side: the cell mirrored (closed: the
/// velocity across reversed), copied (open), or at the held level over the
/// cell's bed (level).
fn ghost(d: &Domain, inside: Side) -> Side {
    match d.boundary {
        Boundary::Closed => Side {
            un: -inside.un,
            ..inside
        },
        Boundary::Open => inside,
        Boundary::Level(eta) => Side {
            h: (eta - inside.z).max(0.0),
            ..inside
        },
    }
}

fn update(d: &Domain, s: &State, i: usize, j: usize, ratio: f32) -> Update {
    let (nx, ny) = (d.nx, d.ny);
    let c = j * nx + i;
    let mut out = 0.0f32;
    // Across x: the cell's west and east faces.
    let (me_x, me_y) = (side(d, s, c, true), side(d, s, c, false));
    let west = if i > 0 {
        face_flux(side(d, s, c - 1, true), me_x)
    } else {
        let f = face_flux(ghost(d, me_x), me_x);
        out -= f.mass;
        f
    };
    let east = if i + 1 < nx {
        face_flux(me_x, side(d, s, c + 1, true))
    } else {
        let f = face_flux(me_x, ghost(d, me_x));
        out += f.mass;
        f
    };
    let south = if j > 0 {
        face_flux(side(d, s, c - nx, false), me_y)
    } else {
        let f = face_flux(ghost(d, me_y), me_y);
        out -= f.mass;
        f
    };
    let north = if j + 1 < ny {
        face_flux(me_y, side(d, s, c + nx, false))
    } else {
        let f = face_flux(me_y, ghost(d, me_y));
        out += f.mass;
        f
    };
    let net = |a: FaceFlux, b: FaceFlux| {
        (
            a.mass - b.mass,
            a.normal_left - b.normal_right,
            a.tangential - b.tangential,
        )
    };
    let (mx, nxm, tx) = net(east, west);
    let (my, nym, ty) = net(north, south);
    let h = (s.h[c] - ratio * (mx + my)).max(0.0);
    Update {
        h,
        hu: s.hu[c] - ratio * (nxm + ty),
        hv: s.hv[c] - ratio * (nym + tx),
        out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 40 × 30 basin: a sloping bed with bumps, and "buildings" — blocks
    /// standing out of the water.
    fn basin() -> Domain {
        let (nx, ny) = (40, 30);
        let mut bed = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let (x, y) = (i as f32, j as f32);
                let mut z = 0.05 * x + 0.8 * (0.3 * x).sin() * (0.2 * y).cos();
                if (10..14).contains(&i) && (8..20).contains(&j) {
                    z = 9.0;
                }
                bed.push(z);
            }
        }
        Domain::new(nx, ny, 2.0, bed, 0.03)
    }

    fn level(d: &Domain, eta: f32) -> Vec<f32> {
        d.bed.iter().map(|z| (eta - z).max(0.0)).collect()
    }

    #[test]
    fn a_lake_at_rest_stays_at_rest() {
        // At sea level and at a city's elevation (where f32 levels are
        // coarser).
        for offset in [0.0, 120.0] {
            let mut d = basin();
            d.bed.iter_mut().for_each(|z| *z += offset);
            let h0 = level(&d, 2.0 + offset);
            assert!(
                h0.contains(&0.0),
                "dry cells too: the blocks and high ground"
            );
            let mut s = Solver::new(d, h0.clone());
            for _ in 0..1000 {
                let dt = s.stable_dt().unwrap();
                s.step(dt, 0.0, &[]);
            }
            let fastest = (0..s.state.h.len())
                .filter(|&c| s.state.h[c] > H_EPS)
                .map(|c| (s.state.hu[c].abs().max(s.state.hv[c].abs())) / s.state.h[c])
                .fold(0.0f32, f32::max);
            assert!(fastest < 1e-6, "fastest {fastest} m/s after 1000 steps");
            assert_eq!(s.state.h, h0, "not a drop moved");
        }
    }

    #[test]
    fn rain_on_a_closed_basin_is_all_kept() {
        let d = basin();
        let mut s = Solver::new(d, vec![0.0; 1200]);
        // 100 mm/h for 10 minutes, then 20 minutes of settling.
        let rain = 0.1 / 3600.0;
        while s.time_s < 1800.0 {
            let dt = s.stable_dt().unwrap_or(1.0).min(1.0);
            let r = if s.time_s < 600.0 { rain } else { 0.0 };
            s.step(dt, r, &[]);
        }
        let rained = 0.1 / 6.0 * 1200.0 * 4.0;
        assert!(
            (s.ledger.added - rained).abs() / rained < 1e-3,
            "{}",
            s.ledger.added
        );
        assert!(s.mass_error_rel() < 1e-4, "{}", s.mass_error_rel());
        assert_eq!(s.ledger.outflow, 0.0);
    }

    #[test]
    fn ponded_water_sinks_in_as_green_ampt_says() {
        // 0.5 m on a flat closed basin over 2 hours; the depth lost is F(t)
        // of Ks t = F − S ln(1 + F/S), S = ψΔθ (solved here by bisection).
        let (ks, psi, dtheta) = (20.0 / 3.6e6, 0.11, 0.3);
        let d = Domain::new(10, 10, 1.0, vec![0.0; 100], 0.03);
        let mut s = Solver::new(d, vec![0.5; 100]);
        s.infiltration = Infiltration::GreenAmpt {
            ks_ms: ks,
            suction_m: psi,
            deficit: dtheta,
        };
        while s.time_s < 7200.0 {
            s.step(10.0_f64.min(7200.0 - s.time_s), 0.0, &[]);
        }
        let sm = psi * dtheta;
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..100 {
            let mid: f64 = 0.5 * (lo + hi);
            if mid - sm * (1.0 + mid / sm).ln() < ks * 7200.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let lost = 0.5 - s.state.h[55] as f64;
        assert!((lost - lo).abs() < 1e-5, "{lost} vs {lo}");
        assert!(s.mass_error_rel() < 1e-5, "{}", s.mass_error_rel());
        assert!((s.ledger.infiltrated - lo * 100.0).abs() < 1e-3);
    }

    #[test]
    fn a_strong_inflow_onto_dry_ground_makes_no_water() {
        // 3 m³/s into one 5 m cell of a dry valley, its first (dry) step
        // 10 s long: a 1.2 m column spilling every way. With a CFL step on
        // |u| + √(gh) alone its neighbours' depths went negative, were
        // clipped, and 0.2 % of the water was made.
        let (nx, ny) = (40, 30);
        let bed: Vec<f32> = (0..nx * ny)
            .map(|c| {
                let (i, j) = ((c % nx) as f32, (c / nx) as f32);
                10.0 + 0.02 * i + 0.01 * (j - 15.0).powi(2)
            })
            .collect();
        let mut s = Solver::new(Domain::new(nx, ny, 5.0, bed, 0.035), vec![0.0; nx * ny]);
        let inflow = [(15 * nx + 38, 3.0)];
        while s.time_s < 900.0 {
            let dt = s.stable_dt().unwrap_or(10.0).min(10.0);
            s.step(dt, 0.0, &inflow);
        }
        assert!(s.mass_error_rel() < 1e-6, "{}", s.mass_error_rel());
    }

    #[test]
    fn drains_take_their_capacity_until_the_water_is_gone() {
        // 10 cm on a flat closed basin; the drains take 36 mm/h on half of
        // it (200 m²: 2 L/s), the other half's water flowing over to them.
        let d = Domain::new(10, 10, 2.0, vec![0.0; 100], 0.03);
        let mut s = Solver::new(d, vec![0.1; 100]);
        let rate = 0.036 / 3600.0;
        s.drain = Some((0..100).map(|c| if c < 50 { rate } else { 0.0 }).collect());
        let run_to = |s: &mut Solver, t: f64| {
            while s.time_s < t {
                let dt = s.stable_dt().unwrap_or(10.0).min(t - s.time_s);
                s.step(dt, 0.0, &[]);
            }
        };
        // At capacity while there is water: 24 m³ of the 40 by 12 000 s.
        for t in [600.0, 12_000.0] {
            run_to(&mut s, t);
            let drained = s.ledger.drained;
            assert!((drained - 0.002 * t).abs() < 1e-3 * 0.002 * t, "{drained}");
            assert!(s.mass_error_rel() < 1e-5, "{}", s.mass_error_rel());
        }
        // Until there is all but none (the last film creeps to them).
        run_to(&mut s, 30_000.0);
        assert!(
            (s.ledger.drained - 40.0).abs() < 0.01,
            "{}",
            s.ledger.drained
        );
        assert!(s.volume() < 0.01, "{}", s.volume());
    }

    #[test]
    fn a_held_level_fills_a_basin_to_it_and_counts_what_came_in() {
        // A dry basin sloping up from 0 m at its west edge to 2 m; the sea
        // beyond the edges at 1 m fills what lies below it.
        let (nx, ny) = (40, 4);
        let bed: Vec<f32> = (0..nx * ny).map(|c| 0.05 * (c % nx) as f32).collect();
        let mut d = Domain::new(nx, ny, 1.0, bed, 0.03);
        d.boundary = Boundary::Level(1.0);
        let mut s = Solver::new(d, vec![0.0; nx * ny]);
        let mut deepest = 0.0f32;
        while s.time_s < 600.0 {
            // Dry at first: the step must come from the sea's waves.
            let dt = s.stable_dt().expect("the sea beyond moves");
            s.step(dt, 0.0, &[]);
            deepest = s.state.h.iter().fold(deepest, |a, &h| a.max(h));
        }
        // The sea's bores meet and reflect (up to twice their depth), no
        // more: a first dry step of 10 s made 55 m.
        assert!(deepest < 2.1, "{deepest} m");
        let level = |c: usize| s.state.h[c] + s.domain.bed[c];
        assert!((level(nx + 5) - 1.0).abs() < 1e-3, "{}", level(nx + 5));
        assert_eq!(s.state.h[nx + 30], 0.0, "above the sea: dry");
        assert!(s.ledger.outflow < -10.0, "came in: {}", s.ledger.outflow);
        assert!(s.mass_error_rel() < 1e-4, "{}", s.mass_error_rel());
    }

    #[test]
    fn an_open_edge_lets_water_out_and_counts_it() {
        // A tilted channel draining east.
        let (nx, ny) = (50, 3);
        let bed: Vec<f32> = (0..nx * ny).map(|c| -0.02 * (c % nx) as f32).collect();
        let mut d = Domain::new(nx, ny, 1.0, bed, 0.02);
        d.boundary = Boundary::Open;
        let mut s = Solver::new(d, vec![0.5; nx * ny]);
        while s.time_s < 60.0 {
            let dt = s.stable_dt().unwrap_or(0.5);
            s.step(dt, 0.0, &[(0, 0.2)]);
        }
        assert!(s.ledger.outflow > 10.0, "{}", s.ledger.outflow);
        assert!(s.mass_error_rel() < 1e-4, "{}", s.mass_error_rel());
    }
}
