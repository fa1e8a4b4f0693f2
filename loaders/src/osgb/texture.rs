//! The images of OSGB textures: embedded JPEG/PNG/DDS files, raw or
//! S3TC-compressed pixels ([`super::dds`]), or image files beside the
//! `.osgb`; decoded for the viewer, or (JPEG and PNG) kept as the files
//! they are for a writer.

use super::model::{Image, ImageData};
use cim_core::model::tile_content::{EncodedImage, TextureImage};
use std::path::Path;
use std::sync::Arc;

/// The largest image file read from beside an `.osgb`.
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;

/// What becomes of an image file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Decoded to RGBA.
    Decoded,
    /// JPEG and PNG files kept as they are (others are decoded).
    Encoded,
}

/// An image as a texture: an embedded or external file, or 8-bit RGB(A)
/// or luminance pixels. `None` when the image is in another file and no
/// folder is given.
pub(crate) fn load(
    img: &Image,
    dir: Option<&Path>,
    keep: Keep,
) -> Result<Option<TextureImage>, String> {
    const RGB: u32 = 0x1907;
    const RGBA: u32 = 0x1908;
    const LUMINANCE: u32 = 0x1909;
    const BGR: u32 = 0x80E0;
    const BGRA: u32 = 0x80E1;
    const UNSIGNED_BYTE: u32 = 0x1401;
    match &img.data {
        ImageData::External => match dir {
            Some(dir) => from_file(&external(dir, &img.file_name)?, keep).map(Some),
            None => Ok(None),
        },
        ImageData::File(bytes) => from_file(bytes, keep).map(Some),
        ImageData::Pixels {
            width,
            height,
            pixel_format,
            data_type,
            top_left,
            bytes,
        } => {
            if let Some((format, opaque)) = super::dds::gl_format(*pixel_format) {
                let mut rgba = super::dds::decode_blocks(format, *width, *height, bytes)?;
                if opaque {
                    super::dds::opaque(&mut rgba);
                }
                if !*top_left {
                    flip_rows(&mut rgba, *width as usize * 4);
                }
                return Ok(Some(TextureImage {
                    width: *width,
                    height: *height,
                    rgba,
                    encoded: None,
                }));
            }
            let channels = match *pixel_format {
                LUMINANCE => 1,
                RGB | BGR => 3,
                RGBA | BGRA => 4,
                f => return Err(format!("pixel format 0x{f:04X} is not decoded")),
            };
            if *data_type != UNSIGNED_BYTE {
                return Err(format!("pixel type 0x{data_type:04X} is not decoded"));
            }
            let (w, h) = (*width as usize, *height as usize);
            let row = w * channels;
            if w > 16384 || h > 16384 || bytes.len() < row * h {
                return Err(format!(
                    "{w}×{h} pixels do not fit its {} bytes",
                    bytes.len()
                ));
            }
            let mut rgba = Vec::with_capacity(w * h * 4);
            for y in 0..h {
                let src = if *top_left { y } else { h - 1 - y };
                for p in bytes[src * row..(src + 1) * row].chunks_exact(channels) {
                    rgba.extend(match (*pixel_format, channels) {
                        (_, 1) => [p[0], p[0], p[0], 255],
                        (BGR, _) => [p[2], p[1], p[0], 255],
                        (BGRA, _) => [p[2], p[1], p[0], p[3]],
                        (_, 3) => [p[0], p[1], p[2], 255],
                        _ => [p[0], p[1], p[2], p[3]],
                    });
                }
            }
            Ok(Some(TextureImage {
                width: *width,
                height: *height,
                rgba,
                encoded: None,
            }))
        }
    }
}

/// An image file's texture: decoded, or kept when it is a JPEG or PNG and
/// `keep` says so.
fn from_file(bytes: &[u8], keep: Keep) -> Result<TextureImage, String> {
    let mime = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    };
    match (keep, mime) {
        (Keep::Encoded, Some(mime)) => {
            let (width, height) = image::ImageReader::new(std::io::Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| e.to_string())?
                .into_dimensions()
                .map_err(|e| e.to_string())?;
            Ok(TextureImage {
                width,
                height,
                rgba: Vec::new(),
                encoded: Some(EncodedImage {
                    mime,
                    bytes: Arc::new(bytes.to_vec()),
                }),
            })
        }
        _ if super::dds::is_dds(bytes) => super::dds::decode_dds(bytes),
        _ => crate::tiles3d::gltf_content::decode_image(bytes),
    }
}

/// Reverses the order of `rgba`'s rows of `row` bytes (bottom-first
/// pixels, OpenGL's order, to top-first).
fn flip_rows(rgba: &mut [u8], row: usize) {
    let n = rgba.len() / row.max(1);
    for y in 0..n / 2 {
        let (top, bottom) = rgba.split_at_mut((n - 1 - y) * row);
        top[y * row..(y + 1) * row].swap_with_slice(&mut bottom[..row]);
    }
}

/// Reads image file `name` in `dir`; a name that leaves the folder
/// (absolute, or through `..`) is refused.
fn external(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    let Some(path) = super::child_path(dir, name) else {
        return Err("the image file name leaves the tile's folder".into());
    };
    crate::read_file_limited(&path, MAX_IMAGE_FILE_BYTES, 1.0).map_err(|e| e.to_string())
}
