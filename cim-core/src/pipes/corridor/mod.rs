//! Pipe-corridor analyses for every utility (water, drainage, reclaimed
//! water, gas, heat, power, telecom) — what Chinese 3D pipeline systems
//! (三维管线系统) run over a city's surveyed lines:
//!
//! - `clearance`: horizontal and vertical clearance and collision between
//!   lines against a rule table (`rules`, GB 50289-2016 by default);
//! - `cover`: burial depth against the minimum cover;
//! - `section`: cross-sections (横断面) and longitudinal profiles (纵断面)
//!   along a drawn line, drawn by `svg`;
//! - `excavation`: the lines a dig (polygon and depth) reaches.
//!
//! Lines come from GIS layers (`from_layer`) in planar metres; heights
//! are elevations in metres, depth measured from a `ground` surface.

pub mod clearance;
pub mod cover;
pub mod excavation;
pub mod from_layer;
pub mod generate;
pub mod ground;
pub mod plan;
pub mod rules;
pub mod section;
pub mod svg;
pub mod utility;

pub use rules::ClearanceRules;
pub use utility::{GasPressure, Laying, Location, Section, Utility, UtilityLine};
