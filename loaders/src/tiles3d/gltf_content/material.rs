//! Materials: the base colour, alpha and texture of a glTF material
//! (`KHR_texture_transform`, `KHR_techniques_webgl` textures), images
//! decoded once each.

use super::buffers::{resolve_uri, view_bytes};
use super::{MAX_TEXTURE_SIDE, Reader};
use cim_core::model::tile_content::{Alpha, ContentMaterial, TextureImage};
use glam::{Mat3, Vec2};
use std::sync::Arc;

impl Reader<'_> {
    /// The primitive's material, its base colour texture's UV set and the
    /// `KHR_texture_transform` of that texture.
    pub(super) fn material(
        &mut self,
        m: &gltf::Material,
    ) -> Result<(ContentMaterial, u32, Option<Mat3>), String> {
        let pbr = m.pbr_metallic_roughness();
        let mut out = ContentMaterial {
            base_color: pbr.base_color_factor(),
            texture: None,
            unlit: m.unlit(),
            double_sided: m.double_sided(),
            alpha: match m.alpha_mode() {
                gltf::material::AlphaMode::Opaque => Alpha::Opaque,
                gltf::material::AlphaMode::Mask => Alpha::Mask(m.alpha_cutoff().unwrap_or(0.5)),
                gltf::material::AlphaMode::Blend => Alpha::Blend,
            },
        };
        let mut uv_set = 0;
        let mut transform = None;
        if let Some(info) = pbr.base_color_texture() {
            uv_set = info.tex_coord();
            if let Some(t) = info.texture_transform() {
                uv_set = t.tex_coord().unwrap_or(uv_set);
                let (s, r, o) = (Vec2::from(t.scale()), t.rotation(), Vec2::from(t.offset()));
                // KHR_texture_transform: T · R · S, rotation clockwise.
                transform = Some(
                    Mat3::from_translation(o)
                        * Mat3::from_cols_array(&[
                            r.cos(),
                            -r.sin(),
                            0.0,
                            r.sin(),
                            r.cos(),
                            0.0,
                            0.0,
                            0.0,
                            1.0,
                        ])
                        * Mat3::from_scale(s),
                );
            }
            out.texture = self.image(&info.texture())?;
        } else if let Some(t) = technique_texture(m).and_then(|i| self.doc.textures().nth(i)) {
            out.texture = self.image(&t)?;
            // Technique textures of that era are cut-outs (billboards).
            out.alpha = Alpha::Mask(0.5);
        }
        Ok((out, uv_set, transform))
    }

    /// A texture's image, decoded once per image; `None` (with a warning)
    /// when it cannot be decoded, so the mesh is drawn in its base colour.
    fn image(&mut self, tex: &gltf::Texture) -> Result<Option<Arc<TextureImage>>, String> {
        let img = tex.source();
        if let Some(done) = self.images.get(&img.index()) {
            return Ok(done.clone());
        }
        // Read from the JSON: the crate's `Image::source` unwraps a missing
        // mimeType or uri.
        let json = &self.doc.as_json().images[img.index()];
        let bytes = match (&json.buffer_view, &json.uri) {
            (Some(v), _) => {
                let view = self
                    .doc
                    .views()
                    .nth(v.value())
                    .ok_or("an image's buffer view is missing")?;
                view_bytes(&view, self.buffers)?.to_vec()
            }
            (None, Some(uri)) => resolve_uri(uri, self.ctx)?,
            (None, None) => {
                return Err(format!(
                    "image {} has neither a uri nor a buffer view",
                    img.index()
                ));
            }
        };
        let decoded = match decode_image(&bytes) {
            Ok(t) => Some(Arc::new(t)),
            Err(e) => {
                self.out
                    .warnings
                    .push(format!("image {}: {e}; drawn without it", img.index()));
                None
            }
        };
        self.images.insert(img.index(), decoded.clone());
        Ok(decoded)
    }
}

/// The first texture a `KHR_techniques_webgl` material's values name.
fn technique_texture(m: &gltf::Material) -> Option<usize> {
    let values = m.extension_value("KHR_techniques_webgl")?.get("values")?;
    values
        .as_object()?
        .values()
        .find_map(|v| v.get("index").and_then(|i| i.as_u64()))
        .map(|i| i as usize)
}

pub(crate) fn decode_image(bytes: &[u8]) -> Result<TextureImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TEXTURE_SIDE);
    limits.max_image_height = Some(MAX_TEXTURE_SIDE);
    reader.limits(limits);
    let rgba = reader.decode().map_err(|e| e.to_string())?.to_rgba8();
    Ok(TextureImage {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
        encoded: None,
    })
}
