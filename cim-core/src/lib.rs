//! # cim-core
//!
//! The city model of CIM Studio: coordinate systems, layers of features and
//! grids, the scene document, the built-in demo city, the shared time model
//! and the analyses that run on them. Pure data and algorithms: no Bevy, so it
//! builds and tests in seconds and can be reused by command-line tools.

pub mod crs;
pub mod flood;
pub mod imagery;
pub mod lod;
pub mod message;
pub mod model;
pub mod pipes;
pub mod query;
pub mod scene;
pub mod style;
pub mod time;

pub use glam::{DVec2, DVec3};
pub use model::attr::{AttrType, AttrValue, Field};
pub use model::geometry::{Bbox, Geometry};
pub use model::grid::Grid;
pub use model::layer::{Feature, FeatureId, Layer, LayerContent, LayerKind, VectorData};
