//! GeoTIFF elevation models and other single-band rasters.
//!
//! Formats: TIFF 6.0 (Adobe, 1992) decoded by the `tiff` crate — strips or
//! tiles; uncompressed, LZW, Deflate, PackBits or JPEG; with or without
//! predictors; 8–64-bit integer or float samples (the first band is read) —
//! and GeoTIFF 1.1 (OGC 19-008r4) for the georeferencing:
//!
//! * `ModelPixelScaleTag` (33550) with `ModelTiepointTag` (33922), or a
//!   `ModelTransformationTag` (34264) without rotation, give the north-up grid;
//!   `GTRasterTypeGeoKey` = PixelIsPoint moves the origin half a cell, as GDAL
//!   does;
//! * the GeoKey directory (34735, with 34736/34737) gives the EPSG code:
//!   `ProjectedCRSGeoKey` (3072), else `GeodeticCRSGeoKey` (2048) when
//!   `GTModelTypeGeoKey` says geographic; user-defined CRSs are not read;
//! * GDAL's `GDAL_NODATA` tag (42113) gives the nodata value.
//!
//! Rasters larger than memory are read in parts: [`read_window`] decodes only
//! the strips or tiles that overlap a window, and [`read_decimated`] /
//! [`read_window_resampled`] sample every n-th cell, decoding only the strips
//! or tiles holding a sampled cell and using a reduced-resolution image
//! stored in the file (an "overview", `NewSubfileType` bit 0) when one is
//! fine enough. [`load`] reads rasters of up to [`FULL_READ_CELLS`] cells
//! whole; a larger file is loaded as an overview, with the file as its
//! [`GeoTiffSource`] of full-resolution windows (from a reader, decimated
//! with a warning).
//!
//! Inside: `tags` reads the header (layout, tags, GeoKeys), `cells` decodes
//! the strips or tiles under sampled cells, `source` streams windows.

use crate::raster::chunk_cache::ChunkCache;
use crate::raster::tiff_lzw::SampleLayout;
use crate::{LoadError, Loaded};
use cim_core::crs::CrsDef;
use cim_core::{Grid, Layer, LayerContent, LayerKind};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

mod cells;
mod source;
mod tags;

use cells::*;
pub use source::GeoTiffSource;
use tags::*;

const FMT: &str = "GeoTIFF";

/// Rasters with more cells than this are loaded decimated by [`load`].
pub const FULL_READ_CELLS: usize = 8192 * 8192;
/// Refuse to produce grids with more cells than this (16 GiB of `f32`).
const MAX_OUT_CELLS: usize = 1 << 32;

/// What a GeoTIFF holds, read from its tags without decoding any pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoTiffInfo {
    pub width: usize,
    pub height: usize,
    /// North-west corner and cell size of the full-resolution grid.
    pub x0: f64,
    pub y0: f64,
    pub dx: f64,
    pub dy: f64,
    /// False when the file has no georeferencing tags (pixel coordinates
    /// are used: x0 = 0, y0 = 0, cells of 1 × 1).
    pub georeferenced: bool,
    pub nodata: Option<f32>,
    /// The EPSG code of the GeoKeys, if any.
    pub epsg: Option<u32>,
    pub crs: Option<CrsDef>,
    /// Sample type of the first band, e.g. `"int16"`, `"float32"`.
    pub sample_type: String,
    pub bands: usize,
    /// The TIFF Compression tag value.
    pub compression: u16,
    pub tiled: bool,
    /// Strip or tile size in cells (width, height).
    pub block: (usize, usize),
    /// Reduced-resolution images in the file: (IFD index, width, height).
    pub overviews: Vec<(usize, usize, usize)>,
    /// Problems found in the tags (no CRS, user-defined CRS, …).
    pub warnings: Vec<String>,
}

impl GeoTiffInfo {
    /// The full-resolution grid's size and placement.
    pub fn shape(&self) -> cim_core::model::grid_source::GridShape {
        cim_core::model::grid_source::GridShape {
            width: self.width,
            height: self.height,
            x0: self.x0,
            y0: self.y0,
            dx: self.dx,
            dy: self.dy,
        }
    }
}

/// Reads the window of `w` × `h` cells at (`col0`, `row0`) of the
/// full-resolution image, resampled (nearest cell centre) so that neither
/// side exceeds `max_dim` cells; the grid covers exactly the window. Uses the
/// coarsest overview in the file that is still at least as fine as the output.
pub fn read_window_resampled_from<R: Read + Seek>(
    path: &Path,
    reader: R,
    window: (usize, usize, usize, usize),
    max_dim: usize,
) -> Result<(Grid, GeoTiffInfo), LoadError> {
    let mut d = open_decoder(path, reader)?;
    let info = read_info_from(&mut d, path)?;
    let grid = read_window_in(&mut d, path, &info, window, max_dim, None)?;
    Ok((grid, info))
}

/// [`read_window_resampled_from`] through a decoder at the file's first
/// image, whose header `info` already describes (a streamed file does not
/// walk its header again for each window), taking decoded chunks from
/// `cache` and leaving those it decodes there.
fn read_window_in<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    info: &GeoTiffInfo,
    window: (usize, usize, usize, usize),
    max_dim: usize,
    cache: Option<&ChunkCache>,
) -> Result<Grid, LoadError> {
    let (col0, row0, w, h) = window;
    if w == 0 || h == 0 || col0 + w > info.width || row0 + h > info.height {
        return Err(LoadError::OutOfRange {
            path: path.to_path_buf(),
            detail: format!(
                "window of {w} × {h} cells at column {col0}, row {row0} is outside the {} × {} \
                 raster",
                info.width, info.height
            ),
        });
    }
    let max_dim = max_dim.max(1);
    let step = w.max(h).div_ceil(max_dim).max(1);
    let (out_w, out_h) = (w.div_ceil(step), h.div_ceil(step));
    if out_w.saturating_mul(out_h) > MAX_OUT_CELLS {
        return Err(LoadError::OutOfRange {
            path: path.to_path_buf(),
            detail: format!("{out_w} × {out_h} cells is more than this reader returns at once"),
        });
    }
    // The output (4 bytes a cell) and one decoded strip or tile must fit the
    // memory budget.
    crate::budget::check(
        path,
        (out_w as u64 * out_h as u64)
            .saturating_mul(4)
            .saturating_add(block_bytes(info)),
    )?;
    // The coarsest image whose resolution is at least the output's.
    let mut image = (0, info.width, info.height);
    for &(i, ow, oh) in &info.overviews {
        let fine_enough = ow as f64 / info.width as f64 >= out_w as f64 / w as f64
            && oh as f64 / info.height as f64 >= out_h as f64 / h as f64;
        if fine_enough && ow < image.1 {
            image = (i, ow, oh);
        }
    }
    if image.0 != 0 {
        d.seek_to_image(image.0).map_err(|e| tiff_err(path, e))?;
    }
    let lay = layout(d, path)?;
    let sx = lay.width as f64 / info.width as f64;
    let sy = lay.height as f64 / info.height as f64;
    let cols = sample_axis(col0, w, out_w, sx, lay.width);
    let rows = sample_axis(row0, h, out_h, sy, lay.height);
    let data = read_cells(d, path, lay, (&cols, &rows), cache.map(|c| (c, image.0)))?;
    let grid = Grid {
        width: out_w,
        height: out_h,
        x0: info.x0 + col0 as f64 * info.dx,
        y0: info.y0 - row0 as f64 * info.dy,
        dx: info.dx * w as f64 / out_w as f64,
        dy: info.dy * h as f64 / out_h as f64,
        nodata: info.nodata,
        data,
    };
    Ok(grid)
}

/// Bytes in memory while one strip or tile is decoded: its samples as
/// stored, and as `f32`.
fn block_bytes(info: &GeoTiffInfo) -> u64 {
    let bits: u64 = info
        .sample_type
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .unwrap_or(64);
    (info.block.0 as u64)
        .saturating_mul(info.block.1 as u64)
        .saturating_mul(info.bands.max(1) as u64)
        .saturating_mul(bits.div_ceil(8).saturating_add(4))
}

fn open_file(path: &Path) -> Result<BufReader<File>, LoadError> {
    crate::source_file::open_regular(path).map(BufReader::new)
}

/// Reads a GeoTIFF's tags: size, georeferencing, CRS, nodata, layout.
pub fn read_info(path: &Path) -> Result<GeoTiffInfo, LoadError> {
    let mut d = open_decoder(path, open_file(path)?)?;
    read_info_from(&mut d, path)
}

/// Reads the `w` × `h` cells at column `col0`, row `row0` at full resolution,
/// decoding only the strips or tiles that overlap them.
pub fn read_window(
    path: &Path,
    col0: usize,
    row0: usize,
    w: usize,
    h: usize,
) -> Result<Grid, LoadError> {
    read_window_resampled(path, col0, row0, w, h, usize::MAX)
}

/// [`read_window`], resampled so that neither side exceeds `max_dim` cells.
pub fn read_window_resampled(
    path: &Path,
    col0: usize,
    row0: usize,
    w: usize,
    h: usize,
    max_dim: usize,
) -> Result<Grid, LoadError> {
    read_window_resampled_from(path, open_file(path)?, (col0, row0, w, h), max_dim).map(|r| r.0)
}

/// The whole raster decimated so that neither side exceeds `max_dim` cells
/// (a 10 000 × 10 000 DEM at `max_dim` 1000 is read as every 10th cell of
/// every 10th row, or from an overview).
pub fn read_decimated(path: &Path, max_dim: usize) -> Result<Grid, LoadError> {
    let info = read_info(path)?;
    read_window_resampled(path, 0, 0, info.width, info.height, max_dim)
}

/// Loads a GeoTIFF as a raster layer: whole if it has at most
/// [`FULL_READ_CELLS`] cells, else as an overview that fits, with the file
/// as the source of its full-resolution cells ([`Loaded::detail`]).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_any(path, open_file(path)?, true)
}

/// [`load`] from any seekable reader (a zip member in memory, say): a
/// raster too large to hold is decimated, with a warning.
pub fn load_from<R: Read + Seek>(path: &Path, reader: R) -> Result<Loaded, LoadError> {
    load_any(path, reader, false)
}

fn load_any<R: Read + Seek>(
    path: &Path,
    mut reader: R,
    streamable: bool,
) -> Result<Loaded, LoadError> {
    let info = {
        let mut d = open_decoder(path, &mut reader)?;
        read_info_from(&mut d, path)?
    };
    // At most FULL_READ_CELLS, and no more than the memory budget allows
    // (4 bytes a cell, next to one decoded block): a raster too large for
    // either is loaded decimated.
    let fits = crate::budget::available()
        .map(|a| {
            ((a as f64 * crate::budget::SHARE - block_bytes(&info) as f64) / 4.0).max(0.0) as usize
        })
        .unwrap_or(usize::MAX)
        .clamp(1, FULL_READ_CELLS);
    let cells = info.width.saturating_mul(info.height);
    let max_dim = if cells > fits {
        ((fits as f64).sqrt() as usize).max(1)
    } else {
        usize::MAX
    };
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| LoadError::io(path, e))?;
    let (grid, info) =
        read_window_resampled_from(path, reader, (0, 0, info.width, info.height), max_dim)?;
    let mut warnings = info.warnings.clone();
    if info.bands > 1 {
        warnings.push(format!(
            "{}: {} bands; only the first is loaded",
            crate::show(path),
            info.bands
        ));
    }
    let mut detail = None;
    if grid.width != info.width && streamable {
        detail = Some(cim_core::model::grid_source::SharedSource(
            std::sync::Arc::new(GeoTiffSource::new(path, info.clone())),
        ));
    } else if grid.width != info.width {
        warnings.push(format!(
            "{}: {} × {} cells is too many to load whole; loaded at a reduced resolution of \
             {} × {} cells (cells of {} × {} instead of {} × {}). To see it at full \
             resolution, open a smaller extract or tiles of it (gdal_translate -srcwin)",
            crate::show(path),
            info.width,
            info.height,
            grid.width,
            grid.height,
            crate::show_num(grid.dx),
            crate::show_num(grid.dy),
            crate::show_num(info.dx),
            crate::show_num(info.dy)
        ));
    }
    Ok(Loaded {
        layer: Layer {
            name: crate::layer_name(path),
            format: crate::FileFormat::GeoTiff.name().to_string(),
            crs: info.crs,
            kind: LayerKind::Auto,
            content: LayerContent::Raster(grid),
        },
        warnings,
        detail,
    })
}

#[cfg(test)]
pub(crate) mod tests;
