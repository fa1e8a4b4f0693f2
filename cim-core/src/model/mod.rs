//! The city model's data: features with attributes (`layer`, `attr`),
//! their geometry (`geometry`) and raster grids (`grid`).

pub mod attr;
pub mod geometry;
pub mod grid;
pub mod layer;
