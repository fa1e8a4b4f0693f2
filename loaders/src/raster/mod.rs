//! Raster formats: GeoTIFF (`geotiff`, LZW strips through `tiff_lzw`,
//! decoded chunks kept for reuse by `chunk_cache`) and ESRI ASCII grids
//! (`ascii_grid`).

pub mod ascii_grid;
pub mod chunk_cache;
pub mod geotiff;
pub(crate) mod tiff_lzw;
