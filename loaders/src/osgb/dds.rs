//! Block-compressed textures as RGBA: pixels OpenSceneGraph wrote inline
//! in an S3TC format (`GL_COMPRESSED_*_S3TC_DXT*`, what `osgconv
//! --compressed` and producers that compress for the GPU write), and DDS
//! files (DirectDraw Surface) embedded in or beside an `.osgb`.
//!
//! BC1–BC3 blocks are decoded by `texpresso` (a pure-Rust libsquish), DDS
//! headers read by `ddsfile`. Only the first mipmap level is kept: the
//! renderer makes its own. References: OpenGL extension
//! `EXT_texture_compression_s3tc`; Microsoft, "Programming Guide for DDS".

use cim_core::model::tile_content::TextureImage;
use ddsfile::{D3DFormat, DxgiFormat};
use texpresso::Format;

/// The largest side decoded, pixels.
pub const MAX_SIDE: u32 = 16384;

/// The S3TC format of an OpenGL pixel format, if it is one, and whether
/// it is opaque: `GL_COMPRESSED_RGB_S3TC_DXT1_EXT` has no alpha, so the
/// colour BC1 would make transparent (index 3 of a three-colour block) is
/// black there.
pub fn gl_format(pixel_format: u32) -> Option<(Format, bool)> {
    match pixel_format {
        0x83F0 => Some((Format::Bc1, true)),
        0x83F1 => Some((Format::Bc1, false)),
        0x83F2 => Some((Format::Bc2, false)),
        0x83F3 => Some((Format::Bc3, false)),
        _ => None,
    }
}

/// Makes every pixel of `rgba` opaque.
pub fn opaque(rgba: &mut [u8]) {
    for p in rgba.chunks_exact_mut(4) {
        p[3] = 255;
    }
}

fn check_size(w: u32, h: u32) -> Result<(), String> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!("{w}×{h} pixels: each side must be 1 to {MAX_SIDE}"));
    }
    Ok(())
}

/// The first mipmap level (`w`×`h`) of S3TC `data` as RGBA, rows in the
/// data's order.
///
/// ```
/// use cim_loaders::osgb::dds::{decode_blocks, gl_format};
/// // One BC1 block: both endpoints pure red (RGB 565 0xF800), every
/// // pixel index 0.
/// let block = [0x00, 0xF8, 0x00, 0xF8, 0, 0, 0, 0];
/// let (format, _) = gl_format(0x83F0).unwrap();
/// let rgba = decode_blocks(format, 2, 2, &block).unwrap();
/// assert_eq!(rgba, [255, 0, 0, 255].repeat(4));
/// ```
pub fn decode_blocks(format: Format, w: u32, h: u32, data: &[u8]) -> Result<Vec<u8>, String> {
    check_size(w, h)?;
    let (w, h) = (w as usize, h as usize);
    let blocks = texpresso::num_blocks(w) * texpresso::num_blocks(h);
    let need = blocks * format.block_size();
    if data.len() < need {
        return Err(format!(
            "{w}×{h} {format:?} pixels need {need} bytes; there are {}",
            data.len()
        ));
    }
    let mut rgba = vec![0; w * h * 4];
    format.decompress(&data[..need], w, h, &mut rgba);
    Ok(rgba)
}

/// Whether `bytes` are a DDS file.
pub fn is_dds(bytes: &[u8]) -> bool {
    bytes.starts_with(b"DDS ")
}

/// How a DDS file's pixels are stored.
enum Stored {
    Blocks(Format),
    /// Bytes per pixel, and where R, G, B and A are in a pixel (`None`:
    /// opaque).
    Bytes(usize, [usize; 3], Option<usize>),
}

/// The first image of a DDS file (first array layer, first mipmap level)
/// as RGBA, rows top first as DDS stores them.
pub fn decode_dds(bytes: &[u8]) -> Result<TextureImage, String> {
    let dds = ddsfile::Dds::read(std::io::Cursor::new(bytes)).map_err(|e| format!("DDS: {e}"))?;
    let (w, h) = (dds.get_width(), dds.get_height());
    check_size(w, h)?;
    let stored = match (dds.get_d3d_format(), dds.get_dxgi_format()) {
        (Some(D3DFormat::DXT1), _) => Stored::Blocks(Format::Bc1),
        (Some(D3DFormat::DXT3), _) => Stored::Blocks(Format::Bc2),
        (Some(D3DFormat::DXT5), _) => Stored::Blocks(Format::Bc3),
        (Some(D3DFormat::A8R8G8B8), _) => Stored::Bytes(4, [2, 1, 0], Some(3)),
        (Some(D3DFormat::X8R8G8B8), _) => Stored::Bytes(4, [2, 1, 0], None),
        (Some(D3DFormat::A8B8G8R8), _) => Stored::Bytes(4, [0, 1, 2], Some(3)),
        (Some(D3DFormat::X8B8G8R8), _) => Stored::Bytes(4, [0, 1, 2], None),
        (Some(D3DFormat::R8G8B8), _) => Stored::Bytes(3, [2, 1, 0], None),
        (_, Some(DxgiFormat::BC1_UNorm | DxgiFormat::BC1_UNorm_sRGB)) => {
            Stored::Blocks(Format::Bc1)
        }
        (_, Some(DxgiFormat::BC2_UNorm | DxgiFormat::BC2_UNorm_sRGB)) => {
            Stored::Blocks(Format::Bc2)
        }
        (_, Some(DxgiFormat::BC3_UNorm | DxgiFormat::BC3_UNorm_sRGB)) => {
            Stored::Blocks(Format::Bc3)
        }
        (_, Some(DxgiFormat::R8G8B8A8_UNorm | DxgiFormat::R8G8B8A8_UNorm_sRGB)) => {
            Stored::Bytes(4, [0, 1, 2], Some(3))
        }
        (_, Some(DxgiFormat::B8G8R8A8_UNorm | DxgiFormat::B8G8R8A8_UNorm_sRGB)) => {
            Stored::Bytes(4, [2, 1, 0], Some(3))
        }
        (d3d, dxgi) => {
            return Err(format!(
                "DDS pixel format {} is not decoded (BC1–BC3 and 8-bit RGB(A) are)",
                d3d.map(|f| format!("{f:?}"))
                    .or(dxgi.map(|f| format!("{f:?}")))
                    .unwrap_or_else(|| "unknown".into())
            ));
        }
    };
    let rgba = match stored {
        Stored::Blocks(f) => decode_blocks(f, w, h, &dds.data)?,
        Stored::Bytes(bpp, rgb, a) => {
            let need = w as usize * h as usize * bpp;
            let data = dds.data.get(..need).ok_or_else(|| {
                format!(
                    "DDS: {w}×{h} pixels need {need} bytes; there are {}",
                    dds.data.len()
                )
            })?;
            data.chunks_exact(bpp)
                .flat_map(|p| [p[rgb[0]], p[rgb[1]], p[rgb[2]], a.map_or(255, |a| p[a])])
                .collect()
        }
    };
    Ok(TextureImage {
        width: w,
        height: h,
        rgba,
        encoded: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A three-colour BC1 block (first endpoint not above the second),
    /// every pixel index 3: transparent in DXT1 with alpha, black in the
    /// RGB format.
    #[test]
    fn index_three_is_opaque_black_in_rgb_dxt1() {
        let block = [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        let (rgba_format, opaque_rgb) = gl_format(0x83F1).unwrap();
        assert!(!opaque_rgb);
        let with_alpha = decode_blocks(rgba_format, 4, 4, &block).unwrap();
        assert_eq!(&with_alpha[..4], &[0, 0, 0, 0]);
        let (rgb_format, opaque_rgb) = gl_format(0x83F0).unwrap();
        assert!(opaque_rgb);
        let mut rgb = decode_blocks(rgb_format, 4, 4, &block).unwrap();
        opaque(&mut rgb);
        assert_eq!(rgb, [0, 0, 0, 255].repeat(16));
    }
}
