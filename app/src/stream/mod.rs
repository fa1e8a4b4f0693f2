//! Streamed content under one memory budget (`budget`): terrain tiles
//! (`terrain`), basemap drapes (`basemap`) and 3D Tiles tilesets
//! (`tiles3d`); OSGB and tiled IFC next. `view`: the viewport and culling
//! frustum they all select for.

pub mod basemap;
pub mod budget;
pub mod drawn;
pub mod terrain;
pub mod tiles3d;
pub mod uploads;
pub mod view;
