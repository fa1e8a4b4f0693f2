//! # cim-core
//!
//! The city model of CIM Studio: coordinate systems, layers of features and
//! grids, the scene document, the built-in demo city, the shared time model
//! and the analyses that run on them. Pure data and algorithms: no Bevy, so it
//! builds and tests in seconds and can be reused by command-line tools.

pub mod attr;
pub mod basemap;
pub mod color_ramp;
pub mod crs;
pub mod demo;
pub mod drape_lod;
pub mod geometry;
pub mod georef;
pub mod grid;
pub mod imagery;
pub mod index;
pub mod layer;
pub mod lod;
pub mod measure;
pub mod message;
pub mod pick;
pub mod query;
pub mod scene;
pub mod search;
pub mod terrain_lod;
pub mod terrain_shading;
pub mod thematic;
pub mod tiles;
pub mod time;

pub use attr::{AttrType, AttrValue, Field};
pub use geometry::{Bbox, Geometry};
pub use glam::{DVec2, DVec3};
pub use grid::Grid;
pub use layer::{Feature, FeatureId, Layer, LayerContent, LayerKind, VectorData};
