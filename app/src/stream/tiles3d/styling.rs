//! How a tileset's style reaches its meshes. Each mesh is drawn with a
//! [`FeatureMaterial`]: its content's material (colour, texture, unlit,
//! alpha) extended by a buffer of the look its layer's show and colour
//! conditions give each feature of the mesh — the features of its first
//! feature id set, whose ids ride in a UV set. A restyle or an
//! opacity change rewrites buffers and materials of the resident tiles,
//! never their meshes; a tile read meanwhile is restyled as it arrives.

use crate::render::feature_style::{
    FeatureIndex, FeatureMaterial, FeatureStyle, HIDDEN, STRIDE, encode_looks,
};
use crate::render::point_cloud::{MAX_POINT_PX, PointCloudMaterial};
use bevy::asset::RenderAssetUsages;
use bevy::color::Alpha as _;
use bevy::ecs::system::SystemParam;
use bevy::image::{ImageAddressMode, ImageSampler, ImageSamplerDescriptor};
use bevy::light::NotShadowCaster;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::render::storage::ShaderBuffer;
use cim_core::model::tile_content::{Alpha, PropertyTable, TextureImage};
use cim_core::style::conditions::{ConditionalStyle, FeatureLook};
use std::collections::HashMap;
use std::sync::{Arc, Weak};

/// The feature index as the shader reads it: (index mod 4096, index div
/// 4096), both exact in f32 (see `shaders/feature_style.wgsl`).
pub(super) fn feature_uv(id: u32) -> [f32; 2] {
    [(id % 4096) as f32, (id / 4096) as f32]
}

/// What a mesh's material is made of (made on the main thread, where the
/// asset stores are).
pub(super) struct MaterialSpec {
    pub base_color: [f32; 4],
    pub texture: Option<Arc<TextureImage>>,
    pub unlit: bool,
    pub double_sided: bool,
    pub alpha: Alpha,
    /// Where the mesh carries its feature ids.
    pub feature_index: FeatureIndex,
    /// A point cloud (drawn by `render::point_cloud`).
    pub points: bool,
}

/// The looks of one mesh's features: their style records, and what they
/// ask of the material's alpha mode.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Styled {
    pub records: Vec<u8>,
    /// Some feature is hidden: fragments are discarded (also from the
    /// shadow pass).
    pub hides: bool,
    /// Some feature is drawn see-through.
    pub translucent: bool,
}

impl Styled {
    /// Whether the feature with id `id` is hidden (ids past the records,
    /// `NO_FEATURE` among them, take the last, as in the shader).
    pub fn hides_feature(&self, id: u32) -> bool {
        let records = self.records.len() / STRIDE;
        let at = (id as usize).min(records.saturating_sub(1)) * STRIDE + 4;
        self.hides
            && self
                .records
                .get(at)
                .is_some_and(|f| u32::from(*f) & HIDDEN != 0)
    }
}

/// The looks `conditions` give the features of `table`. Without
/// conditions, or with ones that look at no property, one record serves
/// every vertex (the shader clamps indices to the last).
pub(super) fn style_features(
    conditions: Option<&ConditionalStyle>,
    table: Option<&PropertyTable>,
) -> Styled {
    let looks = match conditions {
        Some(c) if !c.is_uniform() => c.looks(table),
        Some(c) => c.looks(None),
        None => vec![FeatureLook {
            rgba: [255; 4],
            shown: true,
        }],
    };
    Styled {
        records: encode_looks(&looks),
        hides: looks.iter().any(|l| !l.shown),
        translucent: looks.iter().any(|l| l.shown && l.rgba[3] < 255),
    }
}

/// The looks `conditions` give the features of each of a tile's tables
/// `which` (indices into `tables`; `None` for meshes without feature ids).
pub(super) fn style_tables(
    conditions: Option<&ConditionalStyle>,
    tables: &[PropertyTable],
    which: impl IntoIterator<Item = Option<u32>>,
) -> Vec<Styled> {
    which
        .into_iter()
        .map(|t| style_features(conditions, t.and_then(|t| tables.get(t as usize))))
        .collect()
}

/// How a tile mesh is blended: see-through when its content, its layer's
/// opacity or a feature's colour says so; cut out when the content masks
/// or a feature is hidden (`Mask` is what makes Bevy run the discarding
/// shader in the shadow pass); opaque otherwise.
pub(super) fn alpha_mode(content: Alpha, alpha: f32, styled: &Styled) -> AlphaMode {
    match content {
        _ if alpha < 1.0 || styled.translucent => AlphaMode::Blend,
        Alpha::Blend => AlphaMode::Blend,
        Alpha::Mask(cutoff) => AlphaMode::Mask(cutoff),
        Alpha::Opaque if styled.hides => AlphaMode::Mask(0.5),
        Alpha::Opaque => AlphaMode::Opaque,
    }
}

/// What a layer sets for all its meshes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct LayerLook {
    pub opacity: f32,
    /// Point diameter, pixels.
    pub point_px: f32,
}

/// A mesh's material: a surface's, or a point cloud's.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PartMaterial {
    Surface(Handle<FeatureMaterial>),
    Points(Handle<PointCloudMaterial>),
}

impl PartMaterial {
    /// Draws `entity` with it.
    pub fn insert(&self, entity: &mut EntityCommands) {
        match self {
            PartMaterial::Surface(h) => entity.insert(MeshMaterial3d(h.clone())),
            PartMaterial::Points(h) => entity.insert((MeshMaterial3d(h.clone()), NotShadowCaster)),
        };
    }
}

/// The looks of the features of one of a tile's tables (an index into
/// its tables; `None`: meshes without feature ids), in one style buffer
/// that every mesh whose features are in that table shares — an i3dm's
/// instances, a b3dm's primitives.
pub(super) struct TableLooks {
    pub table: Option<u32>,
    pub buffer: Handle<ShaderBuffer>,
    pub styled: Styled,
}

/// One drawn mesh of a resident tile.
pub(super) struct Part {
    pub entity: Entity,
    pub mesh: Handle<Mesh>,
    pub material: PartMaterial,
    /// Its features' looks: an index into the tile's [`TableLooks`].
    pub looks: usize,
    /// The content material's alpha, and its colour's.
    pub alpha: Alpha,
    pub base_alpha: f32,
}

/// The materials of tilesets: for each new mesh, its material and style
/// buffer; for resident ones, restyles and changes of the layer's look.
#[derive(SystemParam)]
pub(super) struct Materials<'w> {
    surfaces: ResMut<'w, Assets<FeatureMaterial>>,
    points: ResMut<'w, Assets<PointCloudMaterial>>,
    buffers: ResMut<'w, Assets<ShaderBuffer>>,
    images: ResMut<'w, Assets<Image>>,
    textures: ResMut<'w, TextureImages>,
}

/// The GPU image of each decoded texture still in use: meshes whose
/// contents share one texture (the pages of an OSGB file, the meshes of a
/// glTF) share one image. Keyed by the texture's address, with a weak
/// reference that tells a texture since dropped (and its address reused)
/// from the same one.
#[derive(Resource, Default)]
pub(crate) struct TextureImages {
    by_texture: HashMap<usize, (Weak<TextureImage>, Handle<Image>)>,
    /// Entries added since the dead ones were last dropped.
    added: usize,
}

impl TextureImages {
    fn get_or_add(&mut self, t: &Arc<TextureImage>, images: &mut Assets<Image>) -> Handle<Image> {
        let key = Arc::as_ptr(t) as usize;
        if let Some((weak, handle)) = self.by_texture.get(&key)
            && weak.upgrade().is_some_and(|w| Arc::ptr_eq(&w, t))
        {
            return handle.clone();
        }
        let handle = images.add(texture_image(t));
        self.by_texture
            .insert(key, (Arc::downgrade(t), handle.clone()));
        self.added += 1;
        // Drop the entries of textures no tile holds any more (their
        // images go with the last material that uses them), now and then.
        if self.added > 64 + self.by_texture.len() / 2 {
            self.by_texture.retain(|_, (w, _)| w.strong_count() > 0);
            self.added = 0;
        }
        handle
    }
}

impl Materials<'_> {
    /// A tile's looks of one table, in a new style buffer.
    pub fn table_looks(&mut self, table: Option<u32>, styled: Styled) -> TableLooks {
        let buffer = self.buffers.add(ShaderBuffer::new(
            &styled.records,
            RenderAssetUsages::default(),
        ));
        TableLooks {
            table,
            buffer,
            styled,
        }
    }

    /// The material of a new mesh whose features' looks are `looks`.
    pub fn add(
        &mut self,
        spec: &MaterialSpec,
        looks: &TableLooks,
        look: LayerLook,
    ) -> PartMaterial {
        let (buffer, styled) = (looks.buffer.clone(), &looks.styled);
        let alpha = spec.base_color[3] * look.opacity;
        if spec.points {
            let mut m = PointCloudMaterial::new(buffer, spec.base_color, look.point_px);
            m.params.y = look.opacity;
            m.translucent = styled.translucent;
            return PartMaterial::Points(self.points.add(m));
        }
        let mut base = base_material(spec, &mut self.images, &mut self.textures);
        base.base_color.set_alpha(alpha);
        base.alpha_mode = alpha_mode(spec.alpha, alpha, styled);
        let material = self.surfaces.add(FeatureMaterial {
            base,
            extension: FeatureStyle::for_tiles(buffer, spec.feature_index),
        });
        PartMaterial::Surface(material)
    }

    /// The GPU image `spec`'s texture is drawn from (made now if it is
    /// not there yet) and its bytes: what tiles sharing it share.
    pub fn texture_of(&mut self, spec: &MaterialSpec) -> Option<(AssetId<Image>, usize)> {
        let t = spec.texture.as_ref()?;
        let image = self.textures.get_or_add(t, &mut self.images);
        Some((image.id(), t.rgba.len()))
    }

    /// Gives a tile new looks (a restyle, one per table of `looks`) and
    /// its meshes the layer's look.
    pub fn restyle(
        &mut self,
        looks: &mut [TableLooks],
        new: Vec<Styled>,
        parts: &[Part],
        look: LayerLook,
    ) {
        for (l, styled) in looks.iter_mut().zip(new) {
            if l.styled.records != styled.records
                && let Some(mut b) = self.buffers.get_mut(&l.buffer)
            {
                b.data = Some(styled.records.clone());
            }
            l.styled = styled;
        }
        for part in parts {
            if let Some(l) = looks.get(part.looks) {
                self.set_look(part, &l.styled, look);
            }
        }
    }

    /// Draws `part`, whose features look `styled`, with the layer's look
    /// (touching its material only if that changes anything: a touched
    /// material is prepared again).
    pub fn set_look(&mut self, part: &Part, styled: &Styled, look: LayerLook) {
        let alpha = part.base_alpha * look.opacity;
        match &part.material {
            PartMaterial::Surface(h) => {
                let mode = alpha_mode(part.alpha, alpha, styled);
                let same = self.surfaces.get(h).is_none_or(|m| {
                    m.base.alpha_mode == mode && (m.base.base_color.alpha() - alpha).abs() < 1e-4
                });
                if !same && let Some(mut m) = self.surfaces.get_mut(h) {
                    m.base.base_color.set_alpha(alpha);
                    m.base.alpha_mode = mode;
                }
            }
            PartMaterial::Points(h) => {
                let params = Vec4::new(
                    look.point_px.clamp(1.0, MAX_POINT_PX),
                    look.opacity,
                    0.0,
                    0.0,
                );
                let translucent = styled.translucent;
                let same = self
                    .points
                    .get(h)
                    .is_none_or(|m| m.params == params && m.translucent == translucent);
                if !same && let Some(mut m) = self.points.get_mut(h) {
                    m.params = params;
                    m.translucent = translucent;
                }
            }
        }
    }
}

/// The ids of a mesh's first feature id set as the second UV set, or
/// `None` when it has none (its vertices then take the buffer's last
/// look, that of a feature without properties, as `NO_FEATURE` ids do).
pub(super) fn feature_uvs(ids: Option<&[u32]>) -> Option<Vec<[f32; 2]>> {
    Some(ids?.iter().map(|&id| feature_uv(id)).collect())
}

fn texture_image(t: &TextureImage) -> Image {
    let mut img = Image::new(
        Extent3d {
            width: t.width,
            height: t.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        t.rgba.clone(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    // glTF samplers repeat by default (and texture transforms rely on it).
    img.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        ..ImageSamplerDescriptor::linear()
    });
    img
}

fn base_material(
    spec: &MaterialSpec,
    images: &mut Assets<Image>,
    textures: &mut TextureImages,
) -> StandardMaterial {
    let [r, g, b, a] = spec.base_color;
    StandardMaterial {
        base_color: Color::linear_rgba(r, g, b, a),
        base_color_texture: spec
            .texture
            .as_ref()
            .map(|t| textures.get_or_add(t, images)),
        unlit: spec.unlit,
        double_sided: spec.double_sided,
        cull_mode: if spec.double_sided {
            None
        } else {
            Some(bevy::render::render_resource::Face::Back)
        },
        perceptual_roughness: 0.9,
        ..default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cim_core::model::attr::AttrValue;
    use cim_core::style::conditions::ColorCondition;

    fn heights() -> PropertyTable {
        PropertyTable {
            count: 3,
            columns: vec![(
                "Height".into(),
                [4.0, 9.0, 14.0].map(AttrValue::Float).to_vec(),
            )],
            ..PropertyTable::default()
        }
    }

    #[test]
    fn looks_become_records_and_ask_for_the_alpha_mode_they_need() {
        let plain = style_features(None, Some(&heights()));
        assert_eq!(plain.records.len(), 8, "one record serves all");
        assert!(!plain.hides && !plain.translucent);
        assert_eq!(alpha_mode(Alpha::Opaque, 1.0, &plain), AlphaMode::Opaque);
        assert_eq!(alpha_mode(Alpha::Opaque, 0.5, &plain), AlphaMode::Blend);

        let style = ConditionalStyle::new(
            Some("Height > 5"),
            &[ColorCondition {
                when: "Height > 10".into(),
                color: "#ff000080".into(),
            }],
            [255; 4],
        )
        .unwrap();
        let styled = style_features(Some(&style), Some(&heights()));
        assert!(styled.hides && styled.translucent);
        let hidden: Vec<bool> = [0, 1, 2, 3, u32::MAX]
            .map(|f| styled.hides_feature(f))
            .to_vec();
        assert_eq!(hidden, [true, false, false, true, true]);
        assert_eq!(&styled.records[..8], &[255, 255, 255, 255, 1, 0, 0, 0]);
        assert_eq!(&styled.records[16..20], &[255, 0, 0, 128]);
        assert_eq!(alpha_mode(Alpha::Opaque, 1.0, &styled), AlphaMode::Blend);
        let hiding = Styled {
            translucent: false,
            ..styled
        };
        assert_eq!(
            alpha_mode(Alpha::Opaque, 1.0, &hiding),
            AlphaMode::Mask(0.5)
        );
        assert_eq!(
            alpha_mode(Alpha::Mask(0.3), 1.0, &hiding),
            AlphaMode::Mask(0.3)
        );
    }

    #[test]
    fn feature_ids_ride_in_uvs_exactly() {
        let none = cim_core::model::tile_content::NO_FEATURE;
        let uvs = feature_uvs(Some(&[0, 4097, none])).unwrap();
        assert_eq!(uvs[0], [0.0, 0.0]);
        assert_eq!(uvs[1], [1.0, 1.0]);
        let [lo, hi] = uvs[2];
        assert_eq!(lo as u32 + hi as u32 * 4096, u32::MAX);
        assert!(feature_uvs(None).is_none());
    }
}

#[cfg(test)]
mod texture_tests {
    use super::*;

    fn texture() -> Arc<TextureImage> {
        Arc::new(TextureImage {
            width: 1,
            height: 1,
            rgba: vec![255, 128, 0, 255],
            encoded: None,
        })
    }

    #[test]
    fn one_texture_is_one_image_until_it_is_dropped() {
        let mut images = Assets::<Image>::default();
        let mut shared = TextureImages::default();
        let (a, b) = (texture(), texture());
        let ha = shared.get_or_add(&a, &mut images);
        assert_eq!(shared.get_or_add(&a.clone(), &mut images), ha, "shared");
        assert_ne!(shared.get_or_add(&b, &mut images), ha, "another texture");
        assert_eq!(images.len(), 2);
        drop(a);
        // Entries of dropped textures go now and then: the table stays
        // bounded however many textures come and go.
        for _ in 0..1000 {
            let t = texture();
            shared.get_or_add(&t, &mut images);
        }
        assert!(
            shared.by_texture.len() <= 130,
            "{}",
            shared.by_texture.len()
        );
        assert!(
            shared
                .by_texture
                .values()
                .any(|(w, _)| w.strong_count() > 0),
            "b is kept"
        );
    }
}
