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
//! whole and larger ones decimated, with a warning.

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

/// The layout of one image (IFD) needed to read its chunks.
#[derive(Clone, Copy, Debug)]
struct ImageLayout {
    width: usize,
    height: usize,
    block_w: usize,
    block_h: usize,
    samples: usize,
    planar: bool,
}

fn tiff_err(path: &Path, e: tiff::TiffError) -> LoadError {
    use tiff::TiffError as E;
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            LoadError::truncated(path, format!("the TIFF data ends early ({io})"))
        }
        // Decompression streams report corrupt data as I/O errors.
        E::IoError(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            ) =>
        {
            LoadError::invalid(path, FMT, format!("corrupt image data: {io}"))
        }
        E::IoError(io) => LoadError::io(path, io),
        E::UnsupportedError(u) => LoadError::unsupported(path, FMT, u),
        E::LimitsExceeded => LoadError::unsupported(
            path,
            FMT,
            "a strip, tile or tag is larger than the decoder's memory limits",
        ),
        other => LoadError::invalid(path, FMT, other),
    }
}

fn compression_name(c: u16) -> &'static str {
    match c {
        1 => "none",
        2 => "CCITT RLE",
        3 => "CCITT Fax 3",
        4 => "CCITT Fax 4",
        5 => "LZW",
        6 => "old-style JPEG",
        7 => "JPEG",
        8 | 32946 => "Deflate",
        32773 => "PackBits",
        34712 => "JPEG 2000",
        34887 => "LERC",
        34925 => "LZMA",
        50000 => "ZSTD",
        50001 => "WebP",
        _ => "unknown",
    }
}

fn supported_compression(c: u16) -> bool {
    matches!(c, 1 | 5 | 7 | 8 | 32946 | 32773)
}

fn open_decoder<R: Read + Seek>(path: &Path, mut r: R) -> Result<Decoder<R>, LoadError> {
    let len = r
        .seek(SeekFrom::End(0))
        .and_then(|n| r.seek(SeekFrom::Start(0)).map(|_| n))
        .map_err(|e| LoadError::io(path, e))?;
    let mut limits = Limits::default();
    // Tag values (strip and tile offsets) cannot be larger than the file.
    limits.ifd_value_size = (len as usize).clamp(1 << 20, 256 << 20);
    Decoder::new(r)
        .map(|d| d.with_limits(limits))
        .map_err(|e| tiff_err(path, e))
}

fn tag_f64s<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    tag: Tag,
) -> Result<Option<Vec<f64>>, LoadError> {
    d.find_tag(tag)
        .and_then(|v| v.map(|v| v.into_f64_vec()).transpose())
        .map_err(|e| tiff_err(path, e))
}

fn tag_u64<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    tag: Tag,
) -> Result<Option<u64>, LoadError> {
    match d.find_tag(tag).map_err(|e| tiff_err(path, e))? {
        None => Ok(None),
        Some(v) => {
            let v = match v {
                tiff::decoder::ifd::Value::List(l) => l
                    .into_iter()
                    .next()
                    .ok_or_else(|| LoadError::invalid(path, FMT, format!("empty {tag:?} tag")))?,
                v => v,
            };
            v.into_u64().map(Some).map_err(|e| tiff_err(path, e))
        }
    }
}

fn layout<R: Read + Seek>(d: &mut Decoder<R>, path: &Path) -> Result<ImageLayout, LoadError> {
    let (w, h) = d.dimensions().map_err(|e| tiff_err(path, e))?;
    let (bw, bh) = d.chunk_dimensions();
    if w == 0 || h == 0 || bw == 0 || bh == 0 {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!("image of {w} × {h} cells in blocks of {bw} × {bh}"),
        ));
    }
    let samples = tag_u64(d, path, Tag::SamplesPerPixel)?.unwrap_or(1).max(1) as usize;
    let planar = tag_u64(d, path, Tag::PlanarConfiguration)?.unwrap_or(1) == 2;
    Ok(ImageLayout {
        width: w as usize,
        height: h as usize,
        block_w: bw as usize,
        // A strip taller than the image holds only the image's rows.
        block_h: if tiled_layout(d) { bh } else { bh.min(h) } as usize,
        samples,
        planar,
    })
}

/// The GeoKey directory, as (key id → value) for the short-valued keys.
struct GeoKeys {
    model_type: Option<u16>,
    raster_type: Option<u16>,
    geographic: Option<u16>,
    projected: Option<u16>,
}

fn geokeys(dir: &[u16]) -> GeoKeys {
    let mut k = GeoKeys {
        model_type: None,
        raster_type: None,
        geographic: None,
        projected: None,
    };
    if dir.len() < 4 {
        return k;
    }
    let n = (dir[3] as usize).min((dir.len() - 4) / 4);
    for e in dir[4..4 + 4 * n].chunks_exact(4) {
        // Only keys stored inline (location 0) hold a SHORT code.
        if e[1] != 0 {
            continue;
        }
        match e[0] {
            1024 => k.model_type = Some(e[3]),
            1025 => k.raster_type = Some(e[3]),
            2048 => k.geographic = Some(e[3]),
            3072 => k.projected = Some(e[3]),
            _ => {}
        }
    }
    k
}

/// Reads the georeferencing, CRS and nodata of the current image, and lists
/// the overviews (leaving the decoder on image 0).
fn read_info_from<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
) -> Result<GeoTiffInfo, LoadError> {
    let lay = layout(d, path)?;
    let mut warnings = Vec::new();
    let scale = tag_f64s(d, path, Tag::ModelPixelScaleTag)?;
    let tie = tag_f64s(d, path, Tag::ModelTiepointTag)?;
    let transform = tag_f64s(d, path, Tag::ModelTransformationTag)?;
    let keys = d
        .find_tag(Tag::GeoKeyDirectoryTag)
        .and_then(|v| v.map(|v| v.into_u16_vec()).transpose())
        .map_err(|e| tiff_err(path, e))?
        .map(|v| geokeys(&v));
    let (mut x0, mut y0, dx, dy, georeferenced) = match (&scale, &tie, &transform) {
        (_, _, Some(t)) if t.len() >= 16 => {
            if t[1] != 0.0 || t[4] != 0.0 {
                return Err(LoadError::unsupported(
                    path,
                    FMT,
                    "a rotated or sheared ModelTransformation (only north-up grids are read)",
                ));
            }
            (t[3], t[7], t[0], -t[5], true)
        }
        (Some(s), Some(t), _) if s.len() >= 2 && t.len() >= 6 => {
            (t[3] - t[0] * s[0], t[4] + t[1] * s[1], s[0], s[1], true)
        }
        _ => (0.0, 0.0, 1.0, 1.0, false),
    };
    if !(dx > 0.0
        && dy > 0.0
        && dx.is_finite()
        && dy.is_finite()
        && x0.is_finite()
        && y0.is_finite())
    {
        return Err(LoadError::unsupported(
            path,
            FMT,
            format!(
                "cell size {} × {} at ({}, {}): only north-up grids with positive, finite \
                 cell sizes are read",
                crate::show_num(dx),
                crate::show_num(dy),
                crate::show_num(x0),
                crate::show_num(y0)
            ),
        ));
    }
    if keys.as_ref().and_then(|k| k.raster_type) == Some(2) {
        // PixelIsPoint: the tiepoint is the centre of the first cell.
        x0 -= dx / 2.0;
        y0 += dy / 2.0;
    }
    if !georeferenced {
        warnings.push(format!(
            "{}: no georeferencing tags; pixel coordinates are used",
            crate::show(path)
        ));
    }
    let epsg = keys.as_ref().and_then(|k| {
        let valid = |c: Option<u16>| c.filter(|c| (1..32767).contains(c)).map(u32::from);
        valid(k.projected).or_else(|| {
            if k.model_type == Some(2) || k.projected.is_none() {
                valid(k.geographic)
            } else {
                None
            }
        })
    });
    let crs = match (epsg, &keys) {
        (Some(4326), _) => Some(crate::crs::wgs84()),
        (Some(c), _) => match crate::crs::epsg(c) {
            Ok(crs) => Some(crs),
            Err(e) => {
                warnings.push(format!(
                    "{}: EPSG:{c} from the GeoKeys not recognised ({e}); no CRS",
                    crate::show(path)
                ));
                None
            }
        },
        (None, Some(_)) => {
            warnings.push(format!(
                "{}: the GeoKeys define a user-defined CRS without an EPSG code, which is not \
                 read; the layer has no CRS",
                crate::show(path)
            ));
            None
        }
        (None, None) => {
            if georeferenced {
                warnings.push(format!(
                    "{}: no GeoKeys; the layer has no CRS",
                    crate::show(path)
                ));
            }
            None
        }
    };
    let nodata = match d.find_tag(Tag::GdalNodata).map_err(|e| tiff_err(path, e))? {
        None => None,
        Some(v) => {
            let s = v.into_string().unwrap_or_default();
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            match s.parse::<f64>() {
                Ok(v) => Some(v as f32),
                Err(_) => {
                    warnings.push(format!(
                        "{}: GDAL_NODATA value \"{}\" is not a number; ignored",
                        crate::show(path),
                        cim_core::message::quote(s)
                    ));
                    None
                }
            }
        }
    };
    let bits = tag_u64(d, path, Tag::BitsPerSample)?.unwrap_or(1);
    let format = tag_u64(d, path, Tag::SampleFormat)?.unwrap_or(1);
    let sample_type = format!(
        "{}{bits}",
        match format {
            2 => "int",
            3 => "float",
            _ => "uint",
        }
    );
    let compression = tag_u64(d, path, Tag::Compression)?.unwrap_or(1) as u16;
    let tiled = matches!(d.get_chunk_type(), tiff::decoder::ChunkType::Tile);

    // Overviews: later IFDs flagged as reduced-resolution versions (bit 0),
    // not transparency masks (bit 2). A broken later IFD just ends the list.
    let mut overviews = Vec::new();
    let mut idx = 0;
    while d.more_images() && overviews.len() < 64 {
        idx += 1;
        if d.next_image().is_err() {
            break;
        }
        let kind = tag_u64(d, path, Tag::NewSubfileType)
            .ok()
            .flatten()
            .unwrap_or(0);
        if kind & 1 == 1
            && kind & 4 == 0
            && let Ok(l) = layout(d, path)
            && l.width < lay.width
            && l.height < lay.height
        {
            overviews.push((idx, l.width, l.height));
        }
    }
    if idx > 0 {
        d.seek_to_image(0).map_err(|e| tiff_err(path, e))?;
    }
    Ok(GeoTiffInfo {
        width: lay.width,
        height: lay.height,
        x0,
        y0,
        dx,
        dy,
        georeferenced,
        nodata,
        epsg,
        crs,
        sample_type,
        bands: lay.samples,
        compression,
        tiled,
        block: (lay.block_w, lay.block_h),
        overviews,
        warnings,
    })
}

fn to_f32(r: DecodingResult) -> Vec<f32> {
    match r {
        DecodingResult::U8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::U64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::F16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::F32(v) => v,
        DecodingResult::F64(v) => v.into_iter().map(|x| x as f32).collect(),
    }
}

/// Reads the cells at the crossings of `rows` × `cols` (both ascending,
/// in the current image's cell coordinates) of the first band, decoding each
/// needed strip or tile once — or taking it from `cache` (with the image's
/// index), where decoded chunks are also left.
fn read_cells<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    lay: ImageLayout,
    (cols, rows): (&[usize], &[usize]),
    cache: Option<(&ChunkCache, usize)>,
) -> Result<Vec<f32>, LoadError> {
    let compression = tag_u64(d, path, Tag::Compression)?.unwrap_or(1) as u16;
    if !supported_compression(compression) {
        return Err(LoadError::unsupported(
            path,
            FMT,
            format!(
                "compression {compression} ({}); this reader decodes none, LZW, Deflate, \
                 PackBits and JPEG",
                compression_name(compression)
            ),
        ));
    }
    // LZW chunks are decoded by `tiff_lzw` (see there why).
    let lzw = if compression == 5 {
        let (off_tag, len_tag) = if tiled_layout(d) {
            (Tag::TileOffsets, Tag::TileByteCounts)
        } else {
            (Tag::StripOffsets, Tag::StripByteCounts)
        };
        let vec = |d: &mut Decoder<R>, tag| -> Result<Vec<u64>, LoadError> {
            d.find_tag(tag)
                .and_then(|v| v.map(|v| v.into_u64_vec()).transpose())
                .map_err(|e| tiff_err(path, e))?
                .ok_or_else(|| LoadError::invalid(path, FMT, format!("no {tag:?} tag")))
        };
        let offsets = vec(d, off_tag)?;
        let counts = vec(d, len_tag)?;
        let bits = tag_u64(d, path, Tag::BitsPerSample)?.unwrap_or(1);
        let samples = SampleLayout {
            samples: if lay.planar { 1 } else { lay.samples },
            bytes: (bits / 8) as usize,
            format: tag_u64(d, path, Tag::SampleFormat)?.unwrap_or(1) as u16,
            little_endian: matches!(d.byte_order(), tiff::tags::ByteOrder::LittleEndian),
            predictor: tag_u64(d, path, Tag::Predictor)?.unwrap_or(1) as u16,
        };
        if bits % 8 != 0 {
            return Err(LoadError::unsupported(
                path,
                FMT,
                format!("{bits}-bit samples with LZW compression"),
            ));
        }
        Some((offsets, counts, samples))
    } else {
        None
    };
    let out_w = cols.len();
    // Grown one band of blocks at a time, so a file whose header promises
    // more than its data holds fails before the whole output is allocated.
    let mut out: Vec<f32> = Vec::new();
    let across = lay.width.div_ceil(lay.block_w);
    let down = lay.height.div_ceil(lay.block_h);
    let mut r = 0;
    while r < rows.len() {
        let by = rows[r] / lay.block_h;
        let r_end = r + rows[r..].partition_point(|&y| y / lay.block_h == by);
        out.resize(r_end * out_w, f32::NAN);
        let mut c = 0;
        while c < cols.len() {
            let bx = cols[c] / lay.block_w;
            let c_end = c + cols[c..].partition_point(|&x| x / lay.block_w == bx);
            let idx = by * across + bx;
            if by >= down || idx > u32::MAX as usize {
                return Err(LoadError::invalid(
                    path,
                    FMT,
                    format!("block {idx} out of range"),
                ));
            }
            // The decoded block is cropped to the image (no edge padding).
            let cw = lay.block_w.min(lay.width - bx * lay.block_w);
            let ch = lay.block_h.min(lay.height - by * lay.block_h);
            let stride = if lay.planar { 1 } else { lay.samples };
            // The tiff crate crops edge tiles to the image; whole LZW tiles
            // keep their padding, so rows are `row_w` pixels apart.
            let cached = cache.and_then(|(c, image)| c.get(image, idx));
            let (chunk, row_w) = match (cached, &lzw) {
                (Some(c), _) => c,
                (None, None) => (
                    Arc::new(to_f32(
                        d.read_chunk(idx as u32).map_err(|e| tiff_err(path, e))?,
                    )),
                    cw,
                ),
                (None, Some((offsets, counts, samples))) => {
                    let data = raw_chunk(d, path, idx, offsets, counts)?;
                    // Tiles are stored whole; a strip holds only its rows.
                    let rows = if tiled_layout(d) { lay.block_h } else { ch };
                    let v = crate::raster::tiff_lzw::decode(&data, lay.block_w, rows, *samples)
                        .map_err(|e| LoadError::invalid(path, FMT, format!("block {idx}: {e}")))?;
                    (Arc::new(v), lay.block_w)
                }
            };
            if chunk.len() < row_w * (ch - 1) * stride + cw * stride {
                return Err(LoadError::invalid(
                    path,
                    FMT,
                    format!(
                        "block {idx} decoded to {} samples, expected {}",
                        chunk.len(),
                        row_w * ch * stride
                    ),
                ));
            }
            if let Some((c, image)) = cache {
                c.insert(image, idx, (chunk.clone(), row_w));
            }
            for (ri, &y) in rows[r..r_end].iter().enumerate() {
                let ly = y - by * lay.block_h;
                if ly >= ch {
                    continue;
                }
                let dst = (r + ri) * out_w;
                for (ci, &x) in cols[c..c_end].iter().enumerate() {
                    let lx = x - bx * lay.block_w;
                    if lx < cw {
                        out[dst + c + ci] = chunk[(ly * row_w + lx) * stride];
                    }
                }
            }
            c = c_end;
        }
        r = r_end;
    }
    Ok(out)
}

fn tiled_layout<R: Read + Seek>(d: &Decoder<R>) -> bool {
    matches!(d.get_chunk_type(), tiff::decoder::ChunkType::Tile)
}

/// The compressed bytes of chunk `idx`, checked against the file's length.
fn raw_chunk<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    idx: usize,
    offsets: &[u64],
    counts: &[u64],
) -> Result<Vec<u8>, LoadError> {
    let (Some(&off), Some(&len)) = (offsets.get(idx), counts.get(idx)) else {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!("block {idx} has no offset or byte count"),
        ));
    };
    let r = d.inner();
    let end = r
        .seek(SeekFrom::End(0))
        .map_err(|e| LoadError::io(path, e))?;
    if off.checked_add(len).is_none_or(|e| e > end) {
        return Err(LoadError::truncated(
            path,
            format!("block {idx} of {len} bytes at byte {off} runs past the end ({end} bytes)"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    r.seek(SeekFrom::Start(off))
        .and_then(|_| r.read_exact(&mut buf))
        .map_err(|e| LoadError::io(path, e))?;
    Ok(buf)
}

/// Source indices sampled for `n` output cells over `len` cells from `start`
/// of a full-resolution axis, mapped onto an image `scale` times as fine:
/// each output cell takes the source cell under its centre.
fn sample_axis(start: usize, len: usize, n: usize, scale: f64, limit: usize) -> Vec<usize> {
    (0..n)
        .map(|i| {
            let full = start as f64 + (i as f64 + 0.5) * len as f64 / n as f64;
            ((full * scale).floor() as usize).min(limit - 1)
        })
        .collect()
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
    read_window_cached(path, reader, window, max_dim, None)
}

/// [`read_window_resampled_from`], taking decoded chunks from `cache` and
/// leaving those it decodes there.
fn read_window_cached<R: Read + Seek>(
    path: &Path,
    reader: R,
    window: (usize, usize, usize, usize),
    max_dim: usize,
    cache: Option<&ChunkCache>,
) -> Result<(Grid, GeoTiffInfo), LoadError> {
    let (col0, row0, w, h) = window;
    let mut d = open_decoder(path, reader)?;
    let info = read_info_from(&mut d, path)?;
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
            .saturating_add(block_bytes(&info)),
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
    let lay = layout(&mut d, path)?;
    let sx = lay.width as f64 / info.width as f64;
    let sy = lay.height as f64 / info.height as f64;
    let cols = sample_axis(col0, w, out_w, sx, lay.width);
    let rows = sample_axis(row0, h, out_h, sy, lay.height);
    let data = read_cells(
        &mut d,
        path,
        lay,
        (&cols, &rows),
        cache.map(|c| (c, image.0)),
    )?;
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
    Ok((grid, info))
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

/// The full-resolution cells of a GeoTIFF file, read a window at a time
/// (only the strips or tiles under it are decoded).
#[derive(Debug)]
pub struct GeoTiffSource {
    path: std::path::PathBuf,
    shape: cim_core::model::grid_source::GridShape,
    /// Decoded strips or tiles, shared by neighbouring windows.
    cache: ChunkCache,
}

/// Decoded chunks a streamed GeoTIFF keeps (64 tiles of 512² `f32`).
const STREAM_CACHE_BYTES: usize = 64 << 20;

impl GeoTiffSource {
    /// Chunk lookups that were found decoded, and those that were not.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}

impl cim_core::model::grid_source::GridSource for GeoTiffSource {
    fn shape(&self) -> cim_core::model::grid_source::GridShape {
        self.shape
    }

    fn read_window(&self, col0: usize, row0: usize, w: usize, h: usize) -> Result<Grid, String> {
        let g = open_file(&self.path)
            .and_then(|f| {
                read_window_cached(
                    &self.path,
                    f,
                    (col0, row0, w, h),
                    usize::MAX,
                    Some(&self.cache),
                )
            })
            .map_err(|e| e.to_string())?
            .0;
        // The file may have been replaced since it was opened.
        if (g.dx, g.dy) != (self.shape.dx, self.shape.dy) {
            return Err(format!(
                "{}: changed on disk since it was loaded",
                crate::show(&self.path)
            ));
        }
        Ok(g)
    }
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
            std::sync::Arc::new(GeoTiffSource {
                path: path.to_path_buf(),
                shape: info.shape(),
                cache: ChunkCache::new(STREAM_CACHE_BYTES),
            }),
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
