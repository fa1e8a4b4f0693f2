//! How features and grids are coloured: thematic classification and its
//! legend (`thematic`), colour ramps (`color_ramp`), DEM shading
//! (`terrain_shading`).

pub mod color_ramp;
pub mod terrain_shading;
pub mod thematic;
