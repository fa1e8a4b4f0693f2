//! Urban flood simulation: the 2D shallow-water equations on a regular
//! grid, solved by a well-balanced, positivity-preserving Godunov scheme
//! (`flux`: HLLC over hydrostatic reconstruction; `solver`: the grid, its
//! sources — rain, inflows —, friction and boundaries, and the volume
//! ledger; `scenario`: the scenario file and its rain — series or a
//! design storm; `run`: the `Engine` both paths implement and a scenario
//! stepped to its end on one, outputs, maxima and arrival times; `city`:
//! building footprints and land use burnt into cells; `infiltration`: a
//! constant rate or Green–Ampt).
//!
//! The CPU path here is written cell by cell in `f32`, as the GPU compute
//! path (`cim-gpu`, `shaders/flood.wgsl`) is, so the two agree to
//! round-off.

pub mod city;
pub mod flux;
pub mod generate;
pub mod infiltration;
pub mod run;
pub mod scenario;
pub mod solver;

pub use solver::{Boundary, Domain, Ledger, Solver, State};
