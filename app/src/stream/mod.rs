//! Streamed content under one memory budget (`budget`): terrain tiles
//! (`terrain`) and basemap drapes (`basemap`); 3D Tiles, OSGB and tiled IFC
//! next.

pub mod basemap;
pub mod budget;
pub mod terrain;
