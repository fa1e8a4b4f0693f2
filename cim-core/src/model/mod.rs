//! The city model's data: features with attributes (`layer`, `attr`),
//! their geometry (`geometry`), raster grids (`grid`) and grids read a
//! window at a time (`grid_source`), planar 3D polygons (`polygon3d`:
//! Newell normals, triangles with holes), and the decoded content of streamed
//! 3D tiles (`tile_content`).

pub mod attr;
pub mod geometry;
pub mod grid;
pub mod grid_source;
pub mod layer;
pub mod polygon3d;
pub mod tile_content;
