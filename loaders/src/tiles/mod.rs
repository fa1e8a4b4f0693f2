//! Basemap tiles: sources (`tile_source`: XYZ, WMTS, folders, HTTP with a
//! disk cache) and their composition into drapes (`basemap`).

pub mod basemap;
pub mod tile_source;
