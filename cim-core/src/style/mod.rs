//! How features and grids are drawn: building heights (`extrusion`), when
//! features appear over scene time (`appearance`), thematic classification and its
//! legend (`thematic`), colour and show conditions over feature properties
//! (`conditions`, 3D Tiles Styling's model), colour ramps (`color_ramp`), DEM
//! shading (`terrain_shading`).

pub mod appearance;
pub mod color_ramp;
pub mod conditions;
pub mod extrusion;
pub mod terrain_shading;
pub mod thematic;
