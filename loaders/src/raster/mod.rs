//! Raster formats: GeoTIFF (`geotiff`, LZW strips through `tiff_lzw`) and
//! ESRI ASCII grids (`ascii_grid`).

pub mod ascii_grid;
pub mod geotiff;
pub(crate) mod tiff_lzw;
