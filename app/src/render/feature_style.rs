//! Per-feature styling on the GPU: colour, visibility and highlight of
//! every feature of a vector layer, changed without touching its meshes.
//!
//! Each vertex of a vector layer carries the index of its feature (see
//! `mesh::Paint`); each layer has a storage buffer of one [`STRIDE`]-byte
//! record per feature (sRGB RGBA8 colour, flag bits), which the layer's
//! [`FeatureMaterial`] reads in `shaders/feature_style.wgsl`. Thematic
//! restyles, the selection highlight — and next, pipe pressures, flood
//! flags and sensor alarms — all write through [`FeatureStyles`]:
//! [`FeatureStyles::set_feature_colors`] is the one API.
//!
//! Tileset meshes use the same material and shader with a buffer per mesh
//! (its features are its tile's, which come and go with the view), filled
//! from the looks their layer's conditions give (`encode_looks`, written
//! by `stream::tiles3d`).

use crate::scene::store::SceneStore;
use bevy::asset::{RenderAssetUsages, load_internal_asset, uuid_handle};
use bevy::pbr::{ExtendedMaterial, MaterialExtension};
use bevy::prelude::*;
use bevy::render::render_resource::AsBindGroup;
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;
use std::collections::HashMap;

const SHADER: Handle<Shader> = uuid_handle!("a4f6c1d2-7b3e-4c58-9e0a-2d61b8f47c93");

/// Bytes per feature in a style buffer: colour (r, g, b, a), flags (u32 LE).
pub const STRIDE: usize = 8;
/// Flag: the feature is not drawn.
pub const HIDDEN: u32 = 1;
/// Flag: the feature is drawn in the selection colour.
pub const HIGHLIGHT: u32 = 2;
/// Flag: the feature has not appeared yet at the scene clock's time (the
/// instant in its style's `time_field`, see [`appearances`]).
pub const HIDDEN_AT_TIME: u32 = 4;
/// Flag: the feature is drawn in the alert colour (red): what an analysis
/// finds affected, e.g. the pipes a burst leaves dry.
pub const ALERT: u32 = 8;
/// Either reason not to draw a feature (the shader's test).
const ANY_HIDDEN: u32 = HIDDEN | HIDDEN_AT_TIME;

mod appearances;

/// The material of vector layers: the layer's `StandardMaterial` (its
/// opacity, roughness…) with the per-feature style lookup.
pub type FeatureMaterial = ExtendedMaterial<StandardMaterial, FeatureStyle>;

/// The extension: the layer's style buffer, and how much darker its
/// up-facing faces are drawn (roofs stand out from walls).
#[derive(Asset, AsBindGroup, TypePath, Clone, Debug)]
pub struct FeatureStyle {
    #[storage(100, read_only)]
    pub styles: Handle<ShaderBuffer>,
    /// x: colour factor of faces whose normal points up.
    #[uniform(101)]
    pub shade: Vec4,
}

impl FeatureStyle {
    pub fn new(
        styles: Handle<ShaderBuffer>,
        kind: cim_core::model::layer::LayerKind,
    ) -> FeatureStyle {
        let roof = if kind == cim_core::model::layer::LayerKind::Buildings {
            ROOF_SHADE
        } else {
            1.0
        };
        FeatureStyle {
            styles,
            shade: Vec4::new(roof, 0.0, 0.0, 0.0),
        }
    }
}

/// Where a mesh carries the index of each vertex's feature (as
/// `(index mod 4096, index div 4096)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureIndex {
    /// The first UV set (vector layers; tiles without a texture).
    FirstUv,
    /// The second (textured tiles).
    SecondUv,
    /// Nowhere: every vertex takes the buffer's last record.
    None,
}

impl FeatureStyle {
    /// The extension of a tileset mesh: its own buffer of the looks its
    /// style gives its features (see [`encode_looks`]), the feature index
    /// where `index` says, no roof shade.
    pub fn for_tiles(styles: Handle<ShaderBuffer>, index: FeatureIndex) -> FeatureStyle {
        let mode = match index {
            FeatureIndex::FirstUv => 0.0,
            FeatureIndex::SecondUv => 1.0,
            FeatureIndex::None => 2.0,
        };
        FeatureStyle {
            styles,
            shade: Vec4::new(1.0, mode, 0.0, 0.0),
        }
    }
}

/// Style records of the looks a style gives features (the last look,
/// that of a feature without properties, is what the shader takes for
/// vertices of no feature).
///
/// ```
/// use cim_app::render::feature_style::{encode_looks, HIDDEN, STRIDE};
/// use cim_core::style::conditions::FeatureLook;
/// let bytes = encode_looks(&[FeatureLook { rgba: [1, 2, 3, 4], shown: false }]);
/// assert_eq!(bytes.len(), STRIDE);
/// assert_eq!(bytes, [1, 2, 3, 4, HIDDEN as u8, 0, 0, 0]);
/// ```
pub fn encode_looks(looks: &[cim_core::style::conditions::FeatureLook]) -> Vec<u8> {
    // A storage binding may not be empty.
    let mut bytes = Vec::with_capacity(looks.len().max(1) * STRIDE);
    for l in looks {
        bytes.extend_from_slice(&l.rgba);
        let flags = if l.shown { 0 } else { HIDDEN };
        bytes.extend_from_slice(&flags.to_le_bytes());
    }
    if bytes.is_empty() {
        bytes.extend_from_slice(&[255, 255, 255, 255, 0, 0, 0, 0]);
    }
    bytes
}

/// Roofs are drawn this much darker than the building's colour.
pub const ROOF_SHADE: f32 = 0.92;

impl MaterialExtension for FeatureStyle {
    fn fragment_shader() -> ShaderRef {
        SHADER.into()
    }

    /// Hidden features are discarded from depth and shadow maps too.
    fn prepass_fragment_shader() -> ShaderRef {
        SHADER.into()
    }
}

/// One layer's styles: the CPU copy and the GPU buffer it is uploaded to.
struct LayerStyles {
    bytes: Vec<u8>,
    buffer: Handle<ShaderBuffer>,
    dirty: bool,
    /// Counts the uploads of changed records (colours or flags): what
    /// draws from the records on the CPU (pipe centre lines) follows it.
    changes: u64,
    /// The slot's `style_tick` the colours were taken from.
    style_tick: u64,
    /// The feature highlighted for the selection.
    selected: Option<u32>,
    /// Features with [`HIDDEN`] or [`HIDDEN_AT_TIME`] set.
    hidden: usize,
    /// When the features appear, for a layer with a `time_field`.
    appearances: Option<appearances::Shown>,
    /// The layer's material, and whether it was last set to discard (see
    /// [`sync_discard_mode`]).
    material: Option<Handle<FeatureMaterial>>,
    discarding: Option<bool>,
}

impl LayerStyles {
    fn set_flag(&mut self, feature: usize, flag: u32, on: bool) {
        let at = feature * STRIDE + 4;
        let Some(rec) = self.bytes.get_mut(at..at + 4) else {
            return;
        };
        let old = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
        let new = if on { old | flag } else { old & !flag };
        if new == old {
            return;
        }
        rec.copy_from_slice(&new.to_le_bytes());
        self.dirty = true;
        match (old & ANY_HIDDEN != 0, new & ANY_HIDDEN != 0) {
            (false, true) => self.hidden += 1,
            (true, false) => self.hidden -= 1,
            _ => {}
        }
    }
}

/// Every vector layer's per-feature styles, by layer (slot) id.
#[derive(Resource, Default)]
pub struct FeatureStyles {
    layers: HashMap<u64, LayerStyles>,
    /// Bumped whenever a layer is added or removed.
    generation: u64,
}

impl FeatureStyles {
    /// Starts styling `layer`: one record per colour of `colors` (feature
    /// order), nothing hidden or highlighted. Returns the buffer for its
    /// material.
    pub fn insert_layer(
        &mut self,
        layer: u64,
        colors: impl ExactSizeIterator<Item = [u8; 4]>,
        style_tick: u64,
        buffers: &mut Assets<ShaderBuffer>,
    ) -> Handle<ShaderBuffer> {
        // A storage binding may not be empty.
        let mut bytes = vec![0; colors.len().max(1) * STRIDE];
        for (rec, c) in bytes.chunks_exact_mut(STRIDE).zip(colors) {
            rec[..4].copy_from_slice(&c);
        }
        let buffer = buffers.add(ShaderBuffer::new(&bytes, RenderAssetUsages::default()));
        self.generation += 1;
        self.layers.insert(
            layer,
            LayerStyles {
                bytes,
                buffer: buffer.clone(),
                dirty: false,
                changes: 0,
                style_tick,
                selected: None,
                hidden: 0,
                appearances: None,
                material: None,
                discarding: None,
            },
        );
        buffer
    }

    /// Forgets a layer (it was removed or respawned).
    pub fn remove_layer(&mut self, layer: u64) {
        self.generation += 1;
        self.layers.remove(&layer);
    }

    pub fn has_layer(&self, layer: u64) -> bool {
        self.layers.contains_key(&layer)
    }

    /// Moves whenever a layer's buffer is made or dropped (a respawn starts
    /// it again from its style's colours).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Sets features' colours (sRGB RGBA8; alpha multiplies the layer's
    /// opacity) by their index in the layer. Indices past the layer's
    /// features are ignored; returns how many were set.
    ///
    /// ```
    /// use cim_app::render::feature_style::FeatureStyles;
    /// let mut styles = FeatureStyles::default();
    /// styles.insert_cpu_only(7, [[0, 0, 0, 255]; 3].into_iter());
    /// assert_eq!(styles.set_feature_colors(7, &[(2, [255, 0, 0, 255]), (9, [0; 4])]), 1);
    /// assert_eq!(styles.color(7, 2), Some([255, 0, 0, 255]));
    /// ```
    pub fn set_feature_colors(&mut self, layer: u64, colors: &[(u32, [u8; 4])]) -> usize {
        let Some(l) = self.layers.get_mut(&layer) else {
            return 0;
        };
        let mut set = 0;
        for &(feature, rgba) in colors {
            let at = feature as usize * STRIDE;
            if let Some(rec) = l.bytes.get_mut(at..at + 4) {
                rec.copy_from_slice(&rgba);
                set += 1;
            }
        }
        l.dirty |= set > 0;
        set
    }

    /// Turns `flag` ([`HIDDEN`], [`HIGHLIGHT`]) on or off for `features`.
    pub fn set_flag(&mut self, layer: u64, features: &[u32], flag: u32, on: bool) {
        let Some(l) = self.layers.get_mut(&layer) else {
            return;
        };
        for &feature in features {
            l.set_flag(feature as usize, flag, on);
        }
    }

    /// Draws only the features `shown` lists (indices), hiding the rest;
    /// `None` shows them all. The rule of a style's `filter`.
    pub fn set_shown(&mut self, layer: u64, shown: Option<&[usize]>) {
        let Some(l) = self.layers.get_mut(&layer) else {
            return;
        };
        let n = l.bytes.len() / STRIDE;
        let mut show = vec![shown.is_none(); n];
        for &i in shown.unwrap_or_default() {
            if let Some(s) = show.get_mut(i) {
                *s = true;
            }
        }
        for (i, s) in show.into_iter().enumerate() {
            l.set_flag(i, HIDDEN, !s);
        }
    }

    /// Whether any feature of `layer` is hidden.
    pub fn has_hidden(&self, layer: u64) -> bool {
        self.layers.get(&layer).is_some_and(|l| l.hidden > 0)
    }

    /// The material drawing `layer` (its discard mode follows the hidden
    /// features).
    pub fn set_material(&mut self, layer: u64, material: Handle<FeatureMaterial>) {
        if let Some(l) = self.layers.get_mut(&layer) {
            l.material = Some(material);
            l.discarding = None;
        }
    }

    /// A feature's colour, as last set.
    pub fn color(&self, layer: u64, feature: u32) -> Option<[u8; 4]> {
        let at = feature as usize * STRIDE;
        let rec = self.layers.get(&layer)?.bytes.get(at..at + 4)?;
        Some([rec[0], rec[1], rec[2], rec[3]])
    }

    /// A feature's flags.
    /// Whether a feature is not drawn (its style's filter or time field
    /// hides it): picking and labels leave it out too.
    pub fn is_hidden(&self, layer: u64, feature: usize) -> bool {
        self.flags(layer, feature as u32)
            .is_some_and(|f| f & ANY_HIDDEN != 0)
    }

    pub fn flags(&self, layer: u64, feature: u32) -> Option<u32> {
        let at = feature as usize * STRIDE + 4;
        let rec = self.layers.get(&layer)?.bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]))
    }

    /// Styles without a GPU buffer (doc-tests and benchmarks of the CPU
    /// side).
    pub fn insert_cpu_only(&mut self, layer: u64, colors: impl ExactSizeIterator<Item = [u8; 4]>) {
        let mut assets = Assets::<ShaderBuffer>::default();
        self.insert_layer(layer, colors, 0, &mut assets);
    }

    /// Hands the changed layers' records to their GPU buffers; returns how
    /// many layers were uploaded.
    pub fn upload(&mut self, buffers: &mut Assets<ShaderBuffer>) -> usize {
        let mut n = 0;
        for l in self.layers.values_mut().filter(|l| l.dirty) {
            if let Some(mut b) = buffers.get_mut(&l.buffer) {
                b.data = Some(l.bytes.clone());
                n += 1;
            }
            l.dirty = false;
            l.changes += 1;
        }
        n
    }

    /// How many times a layer's changed records were uploaded (None for a
    /// layer without a buffer).
    pub fn changes(&self, layer: u64) -> Option<u64> {
        self.layers.get(&layer).map(|l| l.changes)
    }
}

/// The flags one owner (an analysis) has set on features: (layer,
/// features, flag) marks, replaced as a whole so the owner's old marks are
/// cleared and no one else's are touched.
#[derive(Default)]
pub struct FlagMarks(Vec<(u64, Vec<u32>, u32)>);

impl FlagMarks {
    pub fn replace(&mut self, styles: &mut FeatureStyles, marks: Vec<(u64, Vec<u32>, u32)>) {
        for (layer, features, flag) in self.0.drain(..) {
            styles.set_flag(layer, &features, flag, false);
        }
        for (layer, features, flag) in &marks {
            styles.set_flag(*layer, features, *flag, true);
        }
        self.0 = marks;
    }
}

pub struct FeatureStylePlugin;

impl Plugin for FeatureStylePlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(
            app,
            SHADER,
            "../../../shaders/feature_style.wgsl",
            Shader::from_wgsl
        );
        app.add_plugins(MaterialPlugin::<FeatureMaterial>::default())
            .init_resource::<FeatureStyles>()
            .add_systems(
                PostUpdate,
                (
                    follow_styles,
                    appearances::follow_clock,
                    follow_selection,
                    sync_discard_mode,
                    upload_styles,
                    crate::render::centre_lines::recolour_centre_lines,
                )
                    .chain(),
            );
    }
}

/// The colours a layer's style gives its features: the thematic class of
/// each (`styled`, the slot's results from `scene::derived`), else the
/// single symbol.
pub fn style_colors(
    slot: &crate::scene::store::LayerSlot,
    styled: Option<&crate::scene::derived::Styled>,
) -> Vec<[u8; 4]> {
    let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) else {
        return Vec::new();
    };
    let base = cim_core::scene::Style::symbol_color(&slot.reference.style, slot.kind());
    let theme = styled
        .and_then(|s| s.theme.as_ref())
        .map(|t| t.colors.as_slice());
    (0..v.features.len())
        .map(|i| theme.and_then(|c| c.get(i).copied()).unwrap_or(base))
        .collect()
}

/// The features a layer's style `filter` lets through; `None` without a
/// filter (or with one that does not compile, which the restyle reported).
pub fn style_filter_hits(slot: &crate::scene::store::LayerSlot) -> Option<Vec<usize>> {
    let filter = slot.reference.style.filter.as_deref()?;
    let v = slot.layer.as_ref()?.vector()?;
    cim_core::query::select(v, filter).ok()
}

/// A layer whose features may be hidden discards fragments, in the main
/// pass and — with a prepass fragment shader — in the shadow pass, so a
/// hidden building casts no shadow; `AlphaMode::Mask` is what makes Bevy
/// run that shader there. Without hidden features it stays opaque (no
/// fragment shading for shadows). Layers drawn see-through keep blending.
pub fn feature_alpha_mode(alpha: f32, may_discard: bool) -> AlphaMode {
    if alpha < 1.0 {
        AlphaMode::Blend
    } else if may_discard {
        AlphaMode::Mask(0.5)
    } else {
        AlphaMode::Opaque
    }
}

/// Keeps each layer's material discarding exactly while it has hidden
/// features.
fn sync_discard_mode(
    mut styles: ResMut<FeatureStyles>,
    mut materials: ResMut<Assets<FeatureMaterial>>,
) {
    for l in styles.layers.values_mut() {
        let want = l.hidden > 0;
        if l.discarding == Some(want) {
            continue;
        }
        let Some(h) = &l.material else { continue };
        if let Some(mut m) = materials.get_mut(h) {
            let alpha = m.base.base_color.alpha();
            m.base.alpha_mode = feature_alpha_mode(alpha, want);
            l.discarding = Some(want);
        }
    }
}

/// Restyles that changed only colours (the layer was not respawned):
/// the new colours go to the buffer, nothing is remeshed.
pub(crate) fn follow_styles(
    store: Res<SceneStore>,
    styled: Res<crate::scene::derived::StyleResults>,
    mut styles: ResMut<FeatureStyles>,
) {
    for slot in &store.layers {
        let Some(l) = styles.layers.get(&slot.id) else {
            continue;
        };
        if l.style_tick == slot.style_tick || !slot.spawned {
            continue;
        }
        // The new colours are worked out first (`scene::derived`).
        let Some(results) = styled.for_slot(slot) else {
            continue;
        };
        let colors: Vec<(u32, [u8; 4])> = style_colors(slot, Some(results))
            .into_iter()
            .enumerate()
            .map(|(i, c)| (i as u32, c))
            .collect();
        styles.set_feature_colors(slot.id, &colors);
        styles.set_shown(slot.id, style_filter_hits(slot).as_deref());
        if let Some(l) = styles.layers.get_mut(&slot.id) {
            l.style_tick = slot.style_tick;
        }
    }
}

/// The selected feature is highlighted in its layer's buffer (again
/// after its layer is respawned, which starts it unhighlighted).
fn follow_selection(
    selection: Option<Res<crate::view::picking::Selection>>,
    store: Res<SceneStore>,
    mut styles: ResMut<FeatureStyles>,
    mut seen: Local<u64>,
) {
    // Snapshots select nothing.
    let Some(selection) = selection else { return };
    if !selection.is_changed() && *seen == styles.generation {
        return;
    }
    *seen = styles.generation;
    let shown: Vec<(u64, u32)> = styles
        .layers
        .iter_mut()
        .filter_map(|(id, l)| Some((*id, l.selected.take()?)))
        .collect();
    for (layer, feature) in shown {
        styles.set_flag(layer, &[feature], HIGHLIGHT, false);
    }
    let Some((layer, fid)) = selection.feature() else {
        return;
    };
    let Some(v) = store.slot(layer).and_then(|s| s.layer.as_ref()?.vector()) else {
        return;
    };
    let Some(i) = v.features.iter().position(|f| f.id == fid) else {
        return;
    };
    styles.set_flag(layer, &[i as u32], HIGHLIGHT, true);
    if let Some(l) = styles.layers.get_mut(&layer) {
        l.selected = Some(i as u32);
    }
}

pub(crate) fn upload_styles(
    mut styles: ResMut<FeatureStyles>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
) {
    styles.upload(&mut buffers);
}

#[cfg(test)]
mod tests;
