//! Basemap tiles: sources (`tile_source`: XYZ, WMTS, folders, HTTP with a
//! disk cache) and their composition into drapes (`basemap`); the disk
//! cache of downloads by URL (`disk_cache`), which 3D Tiles share.

pub mod basemap;
pub mod disk_cache;
pub mod tile_source;
