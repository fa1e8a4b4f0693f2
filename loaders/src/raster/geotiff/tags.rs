//! Reading a GeoTIFF's header: the TIFF decoder and its errors, the image
//! layout, tags and GeoKeys, and what they say ([`GeoTiffInfo`]).

use super::*;

/// The layout of one image (IFD) needed to read its chunks.
#[derive(Clone, Copy, Debug)]
pub(super) struct ImageLayout {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) block_w: usize,
    pub(super) block_h: usize,
    pub(super) samples: usize,
    pub(super) planar: bool,
}

pub(super) fn tiff_err(path: &Path, e: tiff::TiffError) -> LoadError {
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

pub(super) fn compression_name(c: u16) -> &'static str {
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

pub(super) fn supported_compression(c: u16) -> bool {
    matches!(c, 1 | 5 | 7 | 8 | 32946 | 32773)
}

pub(super) fn open_decoder<R: Read + Seek>(path: &Path, mut r: R) -> Result<Decoder<R>, LoadError> {
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

pub(super) fn tag_f64s<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
    tag: Tag,
) -> Result<Option<Vec<f64>>, LoadError> {
    d.find_tag(tag)
        .and_then(|v| v.map(|v| v.into_f64_vec()).transpose())
        .map_err(|e| tiff_err(path, e))
}

pub(super) fn tag_u64<R: Read + Seek>(
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

pub(super) fn layout<R: Read + Seek>(
    d: &mut Decoder<R>,
    path: &Path,
) -> Result<ImageLayout, LoadError> {
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
pub(super) struct GeoKeys {
    pub(super) model_type: Option<u16>,
    pub(super) raster_type: Option<u16>,
    pub(super) geographic: Option<u16>,
    pub(super) projected: Option<u16>,
}

pub(super) fn geokeys(dir: &[u16]) -> GeoKeys {
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
pub(super) fn read_info_from<R: Read + Seek>(
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
