//! Pipe networks: the model of a water-supply (or any pressurised) network —
//! nodes, links, their units — and the analyses that run on its topology:
//! valve segments and burst isolation (`isolation`), supply connectivity
//! (`connectivity`), upstream/downstream tracing (`trace`).
//!
//! Hydraulic simulation runs in the `cim-hydraulics` crate (EPANET); formats
//! are read in `cim-loaders` (`pipes::inp`). Everything here is in SI:
//! metres, millimetres for diameters, litres per second for flows.

pub mod connectivity;
pub mod corridor;
pub mod graph;
pub mod isolation;
pub mod layers;
pub mod network;
pub mod snap_points;
pub mod topology;
pub mod trace;
pub mod units;

pub use network::{Link, LinkKind, LinkStatus, Network, NetworkError, Node, NodeKind, ValveType};
pub use units::FlowUnits;
