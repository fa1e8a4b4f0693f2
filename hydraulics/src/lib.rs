//! # cim-hydraulics
//!
//! Extended-period hydraulic simulation of pipe networks by EPANET 2.3, the
//! US EPA / Open Water Analytics engine every water utility's results are
//! checked against, linked in through `epanet-sys`: pumps, tanks,
//! reservoirs, every valve type, patterns, curves, simple and rule-based
//! controls, Hazen-Williams / Darcy-Weisbach / Chezy-Manning head loss,
//! demand- and pressure-driven demand — all as EPANET reads them from the
//! `.inp` file. Results are gathered at each reporting step and converted
//! to SI (`simulation`), made on an edited network and compared with
//! normal operation (`scenario`), and written as `cim pipe simulate --json` prints
//! them (`json`).
//!
//! A crate of its own because it builds a C library (CMake + bindgen): the
//! network model and its analyses in `cim-core` stay quick to test.

pub mod csv;
pub mod epanet;
pub mod generate;
pub mod json;
pub mod scenario;
pub mod simulation;

pub use scenario::Scenario;
pub use simulation::{LinkState, Period, Simulation, simulate, simulate_scenario};

use std::path::PathBuf;

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum HydraulicsError {
    /// EPANET refused the input file; `detail` holds its report's errors.
    #[error("{}: EPANET cannot read it: {}", cim_core::message::path(.path), cim_core::message::clip(.detail, 2000))]
    Input { path: PathBuf, detail: String },
    /// The hydraulic solution failed at `time_s` of the simulation.
    #[error("{}: EPANET failed at {} s: {}", cim_core::message::path(.path), .time_s, .detail)]
    Solve {
        path: PathBuf,
        time_s: u64,
        detail: String,
    },
    /// A scenario's edit cannot be made (an unknown link or node).
    #[error("{}: scenario: {}", cim_core::message::path(.path), .detail)]
    Scenario { path: PathBuf, detail: String },
    /// A scratch file or folder could not be made.
    #[error("scratch files for EPANET: {0}")]
    Io(#[from] std::io::Error),
}
