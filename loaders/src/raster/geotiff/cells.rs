//! Decoding cells: the strips or tiles under a set of sampled rows and
//! columns, each decoded once (or taken from a [`ChunkCache`]).

use super::*;

pub(super) fn to_f32(r: DecodingResult) -> Vec<f32> {
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
pub(super) fn read_cells<R: Read + Seek>(
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
            let fresh = cached.is_none();
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
            if let Some((c, image)) = cache.filter(|_| fresh) {
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

pub(super) fn tiled_layout<R: Read + Seek>(d: &Decoder<R>) -> bool {
    matches!(d.get_chunk_type(), tiff::decoder::ChunkType::Tile)
}

/// The compressed bytes of chunk `idx`, checked against the file's length.
pub(super) fn raw_chunk<R: Read + Seek>(
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
pub(super) fn sample_axis(
    start: usize,
    len: usize,
    n: usize,
    scale: f64,
    limit: usize,
) -> Vec<usize> {
    (0..n)
        .map(|i| {
            let full = start as f64 + (i as f64 + 0.5) * len as f64 / n as f64;
            ((full * scale).floor() as usize).min(limit - 1)
        })
        .collect()
}
