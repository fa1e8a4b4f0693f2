use super::*;
use std::io::Cursor;
use tiff::encoder::{TiffEncoder, colortype};

/// Writes a striped float32 GeoTIFF through the `tiff` encoder, with
/// GeoKeys for `epsg` (projected when > 5000), pixel scale and tiepoint,
/// nodata and the given compression.
pub(crate) fn write_f32(
    w: usize,
    h: usize,
    data: &[f32],
    origin: (f64, f64),
    cell: f64,
    epsg: u16,
    compression: tiff::encoder::Compression,
) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut buf)
        .unwrap()
        .with_compression(compression);
    let mut img = enc
        .new_image::<colortype::Gray32Float>(w as u32, h as u32)
        .unwrap();
    let e = img.encoder();
    e.write_tag(Tag::ModelPixelScaleTag, &[cell, cell, 0.0][..])
        .unwrap();
    e.write_tag(
        Tag::ModelTiepointTag,
        &[0.0, 0.0, 0.0, origin.0, origin.1, 0.0][..],
    )
    .unwrap();
    let key = if epsg > 5000 { 3072 } else { 2048 };
    let model = if epsg > 5000 { 1 } else { 2 };
    e.write_tag(
        Tag::GeoKeyDirectoryTag,
        &[
            1u16, 1, 0, 3, 1024, 0, 1, model, 1025, 0, 1, 1, key, 0, 1, epsg,
        ][..],
    )
    .unwrap();
    e.write_tag(Tag::GdalNodata, "-9999").unwrap();
    img.rows_per_strip(3).unwrap();
    img.write_data(data).unwrap();
    buf.into_inner()
}

/// A 10 × 9 ramp at 1° cells from (0°, 90°), in EPSG:4326.
fn ramp_tif(compression: tiff::encoder::Compression) -> Vec<u8> {
    write_f32(10, 9, &ramp(10, 9), (0.0, 90.0), 1.0, 4326, compression)
}

fn ramp(w: usize, h: usize) -> Vec<f32> {
    (0..w * h).map(|i| (i / w * 100 + i % w) as f32).collect()
}

#[test]
fn striped_float_with_geokeys_nodata_and_compressions() {
    for c in [
        tiff::encoder::Compression::Uncompressed,
        tiff::encoder::Compression::Deflate(tiff::encoder::DeflateLevel::Balanced),
        tiff::encoder::Compression::Lzw,
        tiff::encoder::Compression::Packbits,
    ] {
        let mut data = ramp(7, 5);
        data[8] = -9999.0;
        let bytes = write_f32(7, 5, &data, (500_000.0, 3_500_000.0), 2.0, 32650, c);
        let l = load_from(Path::new("dem.tif"), Cursor::new(bytes)).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.layer.crs, Some(crate::crs::epsg(32650).unwrap()));
        let g = l.layer.grid().unwrap();
        assert_eq!((g.width, g.height, g.dx, g.dy), (7, 5, 2.0, 2.0));
        assert_eq!((g.x0, g.y0), (500_000.0, 3_500_000.0));
        assert_eq!(g.nodata, Some(-9999.0));
        assert_eq!(g.get(1, 1), None);
        assert_eq!(g.get(6, 4), Some(406.0));
        assert_eq!(g.min_max(), Some((0.0, 406.0)));
    }
}

#[test]
fn windows_and_decimation() {
    let data = ramp(10, 9);
    let bytes = write_f32(
        10,
        9,
        &data,
        (0.0, 90.0),
        1.0,
        4326,
        tiff::encoder::Compression::Uncompressed,
    );
    let (g, info) =
        read_window_resampled_from(Path::new("a.tif"), Cursor::new(&bytes), (2, 3, 4, 5), 100)
            .unwrap();
    assert_eq!(info.crs, Some(crate::crs::wgs84()));
    assert_eq!(info.epsg, Some(4326));
    assert_eq!((g.width, g.height, g.x0, g.y0), (4, 5, 2.0, 87.0));
    assert_eq!(g.get(0, 0), Some(302.0));
    assert_eq!(g.get(3, 4), Some(705.0));
    // Every other cell: 5 × 5 out of 10 × 9, covering the same extent.
    let (g, _) =
        read_window_resampled_from(Path::new("a.tif"), Cursor::new(&bytes), (0, 0, 10, 9), 5)
            .unwrap();
    assert_eq!((g.width, g.height), (5, 5));
    assert_eq!(g.bbox().to_xy_array(), [0.0, 81.0, 10.0, 90.0]);
    // Output cell centres fall on source columns 1, 3, …, 9 and rows
    // 0.9, 2.7, … → 0, 2, 4, 6, 8.
    assert_eq!(g.get(0, 0), Some(1.0));
    assert_eq!(g.get(1, 0), Some(3.0));
    assert_eq!(g.get(1, 1), Some(203.0));
    assert_eq!(g.get(4, 4), Some(809.0));
    let e = read_window_resampled_from(Path::new("a.tif"), Cursor::new(&bytes), (8, 0, 3, 1), 100)
        .unwrap_err();
    assert!(matches!(e, LoadError::OutOfRange { .. }), "{e}");
    assert!(e.to_string().starts_with("a.tif: window"), "{e}");
}

/// A hand-made little-endian TIFF: one tiled (or striped) band of u16
/// or i16, for layouts the encoder does not write.
pub(crate) fn handmade(
    w: u32,
    h: u32,
    tile: Option<(u32, u32)>,
    compression: u16,
    samples: &dyn Fn(u32, u32) -> u16,
    extra: &[(u16, u16, u32, Vec<u8>)],
) -> Vec<u8> {
    let (bw, bh) = tile.unwrap_or((w, 1));
    let (across, down) = (w.div_ceil(bw), h.div_ceil(bh));
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut offsets = Vec::new();
    let mut counts = Vec::new();
    for by in 0..down {
        for bx in 0..across {
            offsets.push(out.len() as u32);
            let bw_eff = if tile.is_some() { bw } else { w };
            for y in 0..bh {
                for x in 0..bw_eff {
                    let (cx, cy) = (bx * bw + x, by * bh + y);
                    let v = if cx < w && cy < h { samples(cx, cy) } else { 0 };
                    out.extend(v.to_le_bytes());
                }
            }
            counts.push(out.len() as u32 - offsets.last().unwrap());
        }
    }
    let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut entries: Vec<(u16, u16, u32, Vec<u8>)> = vec![
        (256, 4, 1, w.to_le_bytes().to_vec()),
        (257, 4, 1, h.to_le_bytes().to_vec()),
        (258, 3, 1, 16u16.to_le_bytes().to_vec()),
        (259, 3, 1, compression.to_le_bytes().to_vec()),
        (262, 3, 1, 1u16.to_le_bytes().to_vec()),
        (277, 3, 1, 1u16.to_le_bytes().to_vec()),
        (339, 3, 1, 2u16.to_le_bytes().to_vec()),
    ];
    if tile.is_some() {
        entries.push((322, 4, 1, bw.to_le_bytes().to_vec()));
        entries.push((323, 4, 1, bh.to_le_bytes().to_vec()));
        entries.push((324, 4, offsets.len() as u32, u32s(&offsets)));
        entries.push((325, 4, counts.len() as u32, u32s(&counts)));
    } else {
        entries.push((273, 4, offsets.len() as u32, u32s(&offsets)));
        entries.push((278, 4, 1, 1u32.to_le_bytes().to_vec()));
        entries.push((279, 4, counts.len() as u32, u32s(&counts)));
    }
    entries.extend(extra.iter().cloned());
    entries.sort_by_key(|e| e.0);
    // Out-of-line values first, then the IFD.
    let mut placed = Vec::new();
    for (tag, ty, n, val) in &entries {
        if val.len() > 4 {
            if out.len() % 2 == 1 {
                out.push(0);
            }
            placed.push((*tag, *ty, *n, (out.len() as u32).to_le_bytes().to_vec()));
            out.extend(val);
        } else {
            let mut v = val.clone();
            v.resize(4, 0);
            placed.push((*tag, *ty, *n, v));
        }
    }
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let ifd = out.len() as u32;
    out[4..8].copy_from_slice(&ifd.to_le_bytes());
    out.extend((placed.len() as u16).to_le_bytes());
    for (tag, ty, n, v) in placed {
        out.extend(tag.to_le_bytes());
        out.extend(ty.to_le_bytes());
        out.extend(n.to_le_bytes());
        out.extend(v);
    }
    out.extend(0u32.to_le_bytes());
    out
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn tiled_int16_with_edge_tiles_and_pixel_is_point() {
    let val = |x: u32, y: u32| (y * 1000 + x) as u16;
    let keys: Vec<u8> = [
        1u16, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2, 3072, 0, 1, 4547,
    ]
    .iter()
    .flat_map(|k| k.to_le_bytes())
    .collect();
    let bytes = handmade(
        37,
        21,
        Some((16, 16)),
        1,
        &val,
        &[
            (33550, 12, 3, f64s(&[5.0, 5.0, 0.0])),
            (33922, 12, 6, f64s(&[0.0, 0.0, 0.0, 1000.0, 2000.0, 0.0])),
            (34735, 3, 16, keys[..32].to_vec()),
        ],
    );
    let l = load_from(Path::new("t.tif"), Cursor::new(bytes.clone())).unwrap();
    let g = l.layer.grid().unwrap();
    assert_eq!((g.width, g.height), (37, 21));
    // PixelIsPoint: the tiepoint is the centre of cell (0, 0).
    assert_eq!((g.x0, g.y0), (997.5, 2002.5));
    assert_eq!(g.get(36, 20), Some(20036.0));
    assert_eq!(g.get(17, 3), Some(3017.0));
    assert_eq!(l.layer.crs, Some(crate::crs::epsg(4547).unwrap()));
    // A window inside the right-hand edge tiles only.
    let (w, _) =
        read_window_resampled_from(Path::new("t.tif"), Cursor::new(&bytes), (33, 17, 4, 4), 99)
            .unwrap();
    assert_eq!(w.data[0], 17033.0);
    assert_eq!(w.data[15], 20036.0);
}

#[test]
fn unknown_compression_is_a_clear_error() {
    let bytes = handmade(4, 4, None, 34887, &|_, _| 1, &[]);
    let e = load_from(Path::new("lerc.tif"), Cursor::new(bytes)).unwrap_err();
    assert!(matches!(e, LoadError::Unsupported { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("lerc.tif: unsupported GeoTIFF"), "{msg}");
    assert!(msg.contains("34887 (LERC)"), "{msg}");
}

#[test]
fn corrupt_compressed_data_is_invalid_not_io() {
    // Deflate declared, raw samples stored.
    let bytes = handmade(8, 4, None, 8, &|x, _| x as u16 * 977, &[]);
    let e = load_from(Path::new("z.tif"), Cursor::new(bytes)).unwrap_err();
    assert!(matches!(e, LoadError::Invalid { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("z.tif: invalid GeoTIFF: corrupt image data"),
        "{e}"
    );
}

#[test]
fn no_georeferencing_warns_and_truncation_errors() {
    let bytes = handmade(4, 3, None, 1, &|x, y| (x + y) as u16, &[]);
    let l = load_from(Path::new("plain.tif"), Cursor::new(bytes.clone())).unwrap();
    assert!(l.warnings.iter().any(|w| w.contains("no georeferencing")));
    assert_eq!(l.layer.crs, None);
    assert_eq!(l.layer.grid().unwrap().get(3, 2), Some(5.0));
    // Cut inside the IFD.
    let e = load_from(
        Path::new("cut.tif"),
        Cursor::new(bytes[..bytes.len() - 10].to_vec()),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("cut.tif: "), "{e}");
    let e = load_from(Path::new("x.tif"), Cursor::new(b"II*\0".to_vec())).unwrap_err();
    assert!(e.to_string().starts_with("x.tif: "), "{e}");
}

#[test]
fn the_memory_budget_decimates_or_refuses() {
    let bytes = ramp_tif(tiff::encoder::Compression::Uncompressed);
    // One strip of 10 × 3 float32 cells: 240 bytes while decoded.
    let l = crate::budget::with_available(720, || {
        load_from(Path::new("dem.tif"), Cursor::new(bytes.clone()))
    })
    .unwrap();
    let g = l.layer.grid().unwrap();
    assert_eq!((g.width, g.height), (5, 5));
    let w = &l.warnings[0];
    assert!(
        w.contains("reduced resolution") && !w.contains("read_window"),
        "{w}"
    );
    let e = crate::budget::with_available(400, || {
        load_from(Path::new("dem.tif"), Cursor::new(bytes.clone()))
    })
    .unwrap_err();
    assert!(matches!(e, LoadError::TooLarge { .. }), "{e}");
    assert!(e.to_string().starts_with("dem.tif: too large"), "{e}");
}

#[test]
fn a_file_too_large_to_hold_streams_its_full_resolution() {
    let bytes = ramp_tif(tiff::encoder::Compression::Uncompressed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dem.tif");
    std::fs::write(&path, &bytes).unwrap();
    let l = crate::budget::with_available(720, || load(&path)).unwrap();
    let g = l.layer.grid().unwrap();
    assert_eq!((g.width, g.height), (5, 5), "an overview in memory");
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let src = l.detail.expect("the file is the full-resolution source").0;
    let shape = src.shape();
    assert_eq!((shape.width, shape.height, shape.dx), (10, 9, 1.0));
    let w = src.read_window(3, 2, 4, 5).unwrap();
    assert_eq!(w, read_window(&path, 3, 2, 4, 5).unwrap());
    assert_eq!(w.get(0, 0), Some(ramp(10, 9)[2 * 10 + 3]));
    // Gone from disk: the error names the file.
    std::fs::remove_file(&path).unwrap();
    let e = src.read_window(0, 0, 2, 2).unwrap_err();
    assert!(e.contains("dem.tif"), "{e}");
    // From a reader (a zip member) there is no file to stream from.
    let l = crate::budget::with_available(720, || {
        load_from(Path::new("dem.tif"), Cursor::new(bytes.clone()))
    })
    .unwrap();
    assert!(l.detail.is_none() && !l.warnings.is_empty());
}

#[test]
fn neighbouring_windows_share_decoded_chunks() {
    use cim_core::model::grid_source::GridSource;
    let bytes = ramp_tif(tiff::encoder::Compression::Deflate(
        tiff::encoder::compression::DeflateLevel::Fast,
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dem.tif");
    std::fs::write(&path, &bytes).unwrap();
    let info = read_info(&path).unwrap();
    let src = GeoTiffSource::new(&path, info);
    let a = src.read_window(0, 0, 5, 5).unwrap();
    let (hits, misses) = src.cache_stats();
    assert_eq!(hits, 0);
    assert!(misses > 0);
    // The window beside it lies in the same strips: nothing is decoded again.
    let b = src.read_window(5, 0, 5, 5).unwrap();
    assert_eq!(src.cache_stats(), (misses, misses));
    assert_eq!(a, read_window(&path, 0, 0, 5, 5).unwrap());
    assert_eq!(b, read_window(&path, 5, 0, 5, 5).unwrap());
}

#[test]
fn overviews_are_used_for_decimated_reads() {
    let mut buf = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut buf).unwrap();
    let full: Vec<f32> = vec![1.0; 64 * 64];
    let mut img = enc.new_image::<colortype::Gray32Float>(64, 64).unwrap();
    img.encoder()
        .write_tag(Tag::ModelPixelScaleTag, &[1.0, 1.0, 0.0][..])
        .unwrap();
    img.encoder()
        .write_tag(Tag::ModelTiepointTag, &[0.0, 0.0, 0.0, 0.0, 64.0, 0.0][..])
        .unwrap();
    img.write_data(&full).unwrap();
    let mut ov = enc.new_image::<colortype::Gray32Float>(16, 16).unwrap();
    ov.encoder().write_tag(Tag::NewSubfileType, 1u32).unwrap();
    ov.write_data(&vec![2.0f32; 16 * 16]).unwrap();
    let bytes = buf.into_inner();
    let (g, info) =
        read_window_resampled_from(Path::new("o.tif"), Cursor::new(&bytes), (0, 0, 64, 64), 16)
            .unwrap();
    assert_eq!(info.overviews, vec![(1, 16, 16)]);
    assert_eq!((g.width, g.dx), (16, 4.0));
    assert!(g.data.iter().all(|&v| v == 2.0), "read from the overview");
    let (g, _) =
        read_window_resampled_from(Path::new("o.tif"), Cursor::new(&bytes), (0, 0, 64, 64), 32)
            .unwrap();
    assert!(
        g.data.iter().all(|&v| v == 1.0),
        "overview too coarse for 32"
    );
}
