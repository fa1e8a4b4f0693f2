//! Draws loaded layers: terrain surfaces, extruded buildings, road ribbons,
//! draped areas, pipes, point icons. One material per layer so visibility and
//! opacity are per layer; meshes are merged per spatial chunk so thousands
//! of buildings cost a handful of draw calls (picking works on the model,
//! see `picking`).

use crate::render::feature_style::FeatureMaterial;
use crate::render::mesh::{self, MeshData, Paint};
use crate::scene::store::SceneStore;
use bevy::prelude::*;
use cim_core::model::geometry::{Geometry, Polygon};
use cim_core::model::grid::Grid;
use cim_core::model::layer::{Layer, LayerKind, VectorData};
use cim_core::scene::Style;
use cim_core::scene::georef::Anchor;
use glam::DVec3;
use std::collections::HashMap;

/// Marks an entity as drawing part of layer `.0` (a slot id).
#[derive(Component, Clone, Copy, Debug)]
pub struct LayerEntity(pub u64);

/// Materials of each layer, for opacity changes.
/// `.0`: each layer's standard materials with their own alpha (terrain:
/// one per draped tile); `.1`: the feature material of vector layers.
#[derive(Resource, Default)]
pub struct LayerMaterials(
    pub HashMap<u64, Vec<(Handle<StandardMaterial>, f32)>>,
    pub HashMap<u64, Handle<FeatureMaterial>>,
);

/// The ground model used for draping and heights: the first loaded terrain,
/// with its height range found once (picking needs it every frame, and a
/// 10 000² DEM takes 10⁸ reads to scan).
#[derive(Resource, Default, Clone)]
pub struct Ground {
    layer: Option<std::sync::Arc<Layer>>,
    range: Option<(f32, f32)>,
}

impl Ground {
    pub fn new(layer: std::sync::Arc<Layer>) -> Ground {
        let range = layer.grid().and_then(Grid::min_max);
        Ground {
            layer: Some(layer),
            range,
        }
    }

    pub fn is_set(&self) -> bool {
        self.layer.is_some()
    }

    /// The terrain layer, shared (for work off the main thread).
    pub fn layer(&self) -> Option<std::sync::Arc<Layer>> {
        self.layer.clone()
    }

    pub fn grid(&self) -> Option<&Grid> {
        self.layer.as_ref().and_then(|l| l.grid())
    }

    /// Lowest and highest valid height of the terrain.
    pub fn range(&self) -> Option<(f32, f32)> {
        self.range
    }

    /// Ground height at a scene point (0 without terrain or outside it).
    pub fn height(&self, p: DVec3) -> f64 {
        self.grid().and_then(|g| g.sample(p.x, p.y)).unwrap_or(0.0)
    }

    /// How far apart draped vertices need to be to follow the ground: the
    /// terrain's cell (at least [`MIN_DRAPE_STEP`]); infinite on a flat
    /// base plane, where a line's own vertices suffice.
    pub fn drape_step(&self) -> f64 {
        match self.grid() {
            Some(g) => g.dx.abs().max(g.dy.abs()).max(MIN_DRAPE_STEP),
            None => f64::INFINITY,
        }
    }
}

/// Finer than this, draped vertices add nothing a viewer can see.
pub const MIN_DRAPE_STEP: f64 = 10.0;

pub struct LayerRenderPlugin;

impl Plugin for LayerRenderPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LayerMaterials>()
            .init_resource::<Ground>()
            .init_resource::<crate::render::layer_meshing::LayerBuilds>()
            .add_systems(
                Update,
                (
                    crate::render::layer_meshing::start_builds,
                    crate::render::layer_meshing::receive_builds,
                    sync_layer_settings,
                )
                    .chain(),
            );
    }
}

/// Spatial chunk size for merged meshes, metres.
const CHUNK: f64 = 400.0;

/// A pipe as drawn: 3D centre lines (scene CRS) and a radius.
#[derive(Clone, Debug, PartialEq)]
pub struct PipeShape {
    pub lines: Vec<Vec<DVec3>>,
    pub radius: f64,
}

/// Cover depth (ground to pipe top) when the data gives none: a typical
/// municipal water main (CJJ 101 asks for ≥ 0.7 m under roads; sewers lie deeper).
pub const DEFAULT_PIPE_COVER: f64 = 1.5;
const DEFAULT_PIPE_DIAMETER: f64 = 0.3;

/// Where each pipe feature runs underground, from (first that applies):
/// the line's own z values (surveyed 3D centre lines); invert elevations at
/// both ends (`start_invert_field`/`end_invert_field`, interpolated along
/// the line); a cover depth below the ground (`depth_field`, `depth`, or
/// 1.5 m). Diameters come from `width_field` (or a field named like
/// `diameter`/`管径`/`DN`); values above 20 are taken as millimetres, as
/// Chinese pipe data (DN300) usually is.
///
/// A surveyed utility layer (a class field such as `管线类别`) is read as
/// the corridor analyses read it (`cim_core::pipes::corridor::from_layer`:
/// CJJ 61 depths or elevations, `DN300`/`1000×800` sizes), so a pipe is
/// drawn where the clearance check measures it.
pub fn pipe_shapes(v: &VectorData, style: &Style, ground: &Ground) -> Vec<Option<PipeShape>> {
    use cim_core::pipes::corridor::from_layer::{LineOptions, class_field, lines_from_layer};
    let mut drawn: Vec<Option<PipeShape>> = vec![None; v.features.len()];
    // Surveyed lines first; only the features they leave are guessed at.
    if class_field(v).is_some() {
        let dem = ground
            .grid()
            .map(|g| g as &dyn cim_core::pipes::corridor::ground::Ground);
        let surveyed = lines_from_layer(v, &LineOptions::default(), dem);
        for (line, &f) in surveyed.lines.iter().zip(&surveyed.feature) {
            let Some(z) = &line.z else { continue };
            let centre: Vec<DVec3> = line.plan.iter().zip(z).map(|(p, z)| p.extend(*z)).collect();
            let radius = line.section.map_or(DEFAULT_PIPE_DIAMETER / 2.0, |s| {
                (s.half_width() + s.half_height()) / 2.0
            });
            match &mut drawn[f] {
                Some(shape) => shape.lines.push(centre),
                slot => {
                    *slot = Some(PipeShape {
                        lines: vec![centre],
                        radius,
                    })
                }
            }
        }
    }
    let fields = PipeFields::resolve(v, style);
    for (shape, f) in drawn.iter_mut().zip(&v.features) {
        if shape.is_none() {
            *shape = pipe_shape(f, &fields, style, ground);
        }
    }
    drawn
}

/// Which attribute columns hold a pipe layer's diameter, cover depth and
/// invert elevations (the style's names, else common names).
pub struct PipeFields {
    diameter: Option<usize>,
    depth: Option<usize>,
    start_invert: Option<usize>,
    end_invert: Option<usize>,
}

impl PipeFields {
    pub fn resolve(v: &VectorData, style: &Style) -> PipeFields {
        let field = |set: &Option<String>, guesses: &[&str]| {
            set.as_deref()
                .and_then(|f| v.field_index(f))
                .or_else(|| guess_field(v, guesses))
        };
        PipeFields {
            diameter: field(
                &style.width_field,
                &[
                    "diameter",
                    "DIAMETER",
                    "Diameter",
                    "管径",
                    "DN",
                    "DIAM",
                    "PIPE_DIAM",
                    "dn",
                ],
            ),
            depth: field(
                &style.depth_field,
                &["depth", "DEPTH", "埋深", "COVER", "cover"],
            ),
            start_invert: field(
                &style.start_invert_field,
                &["start_inv", "US_INVERT", "起点高程"],
            ),
            end_invert: field(
                &style.end_invert_field,
                &["end_inv", "DS_INVERT", "终点高程"],
            ),
        }
    }
}

/// One pipe feature's shape (see [`pipe_shapes`]); `None` for non-lines.
pub fn pipe_shape(
    f: &cim_core::model::layer::Feature,
    fields: &PipeFields,
    style: &Style,
    ground: &Ground,
) -> Option<PipeShape> {
    let num = |i: Option<usize>| -> Option<f64> {
        i.and_then(|i| f.attributes.get(i)?.as_f64())
            .filter(|x| x.is_finite())
    };
    let parts: Vec<&[DVec3]> = match &f.geometry {
        Geometry::LineString(l) => vec![l.as_slice()],
        Geometry::MultiLineString(ls) => ls.iter().map(|l| l.as_slice()).collect(),
        _ => return None,
    };
    let d = num(fields.diameter)
        .filter(|d| *d > 0.0)
        .map(|d| if d > 20.0 { d / 1000.0 } else { d })
        .or(style.width)
        .unwrap_or(DEFAULT_PIPE_DIAMETER);
    let r = d / 2.0;
    let inverts = num(fields.start_invert).zip(num(fields.end_invert));
    let cover = num(fields.depth)
        .or(style.depth)
        .unwrap_or(DEFAULT_PIPE_COVER);
    let lines = parts
        .into_iter()
        .map(|part| {
            if part.iter().all(|p| p.z != 0.0) {
                return part.to_vec();
            }
            if let Some((a, b)) = inverts {
                let total: f64 = part.windows(2).map(|w| w[0].distance(w[1])).sum();
                let mut run = 0.0;
                return part
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        if k > 0 {
                            run += part[k - 1].distance(*p);
                        }
                        let t = if total > 0.0 { run / total } else { 0.0 };
                        DVec3::new(p.x, p.y, a + (b - a) * t + r)
                    })
                    .collect();
            }
            // Follow the ground: densify so the pipe bends with it.
            mesh::densify(part, ground.drape_step())
                .into_iter()
                .map(|p| DVec3::new(p.x, p.y, ground.height(p) - cover - r))
                .collect()
        })
        .collect();
    Some(PipeShape { lines, radius: r })
}

fn guess_field(v: &VectorData, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| v.field_index(n))
}

/// sRGB bytes → linear RGBA floats for vertex colours.
fn polygons(g: &Geometry) -> &[Polygon] {
    match g {
        Geometry::Polygon(p) => std::slice::from_ref(p),
        Geometry::MultiPolygon(ps) => ps,
        _ => &[],
    }
}

fn chunk_key(p: DVec3) -> (i64, i64) {
    ((p.x / CHUNK).floor() as i64, (p.y / CHUNK).floor() as i64)
}

fn chunk_anchor(k: (i64, i64)) -> Anchor {
    Anchor(DVec3::new(
        (k.0 as f64 + 0.5) * CHUNK,
        (k.1 as f64 + 0.5) * CHUNK,
        0.0,
    ))
}

/// Builds the meshes of one layer chunk by chunk, handing each with its
/// anchor to `emit` (which may convert it and drop the building data at
/// once, so a million features never exist twice over).
pub fn build_layer_meshes(
    layer: &Layer,
    style: &Style,
    prisms: &[Option<(f64, f64)>],
    pipes: &[Option<PipeShape>],
    ground: &Ground,
    emit: &mut dyn FnMut(Anchor, MeshData),
) {
    let kind = layer.effective_kind();
    if layer.grid().is_some() || layer.tiles().is_some() {
        // Terrain and tileset tiles come and go with the view: see
        // `stream::terrain` and `stream::tiles3d`.
        return;
    }
    let Some(v) = layer.vector() else { return };
    // Colours come from the layer's style buffer (`feature_style`) by
    // feature index.
    let color_of = |i: usize| Paint::feature(i as u32);
    // Group features by chunk of their first vertex.
    let mut chunks: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, f) in v.features.iter().enumerate() {
        if let Some(bb) = f.geometry.bbox() {
            chunks.entry(chunk_key(bb.center())).or_default().push(i);
        }
    }
    let mut keys: Vec<_> = chunks.keys().copied().collect();
    keys.sort();
    let drape = |p: DVec3| -> f64 {
        // Geometry with real heights keeps them; flat 2D data is draped.
        if p.z != 0.0 { p.z } else { ground.height(p) }
    };
    let width_i = style.width_field.as_deref().and_then(|f| v.field_index(f));
    for k in keys {
        let anchor = chunk_anchor(k);
        let idx = &chunks[&k];
        let m = match kind {
            LayerKind::Buildings => {
                let mut m = mesh::extrude(
                    anchor,
                    idx.iter()
                        .filter_map(|&i| {
                            let (b, t) = prisms.get(i).copied().flatten()?;
                            let c = color_of(i);
                            Some(
                                polygons(&v.features[i].geometry)
                                    .iter()
                                    .map(move |p| (p, b, t, c)),
                            )
                        })
                        .flatten(),
                );
                // 3D models (MultiPatch, TIN) are drawn as modelled.
                let models = mesh::triangles(
                    anchor,
                    idx.iter().filter_map(|&i| match &v.features[i].geometry {
                        Geometry::Mesh { positions, indices } => {
                            Some((positions.as_slice(), indices.as_slice(), color_of(i)))
                        }
                        _ => None,
                    }),
                );
                m.append(models);
                m
            }
            LayerKind::Areas | LayerKind::Terrain | LayerKind::Tiles | LayerKind::Auto => {
                let polys = idx.iter().flat_map(|&i| {
                    polygons(&v.features[i].geometry)
                        .iter()
                        .map(move |p| (p, color_of(i)))
                });
                mesh::draped_polygons(anchor, polys, 0.15, ground.drape_step(), &drape)
            }
            LayerKind::Pipes => {
                let lines =
                    idx.iter().flat_map(|&i| {
                        let c = color_of(i);
                        pipes.get(i).into_iter().flatten().flat_map(move |s| {
                            s.lines.iter().map(move |l| (l.as_slice(), s.radius, c))
                        })
                    });
                mesh::tubes(anchor, lines, 10)
            }
            LayerKind::Roads => {
                let lines = idx.iter().flat_map(|&i| {
                    let w = width_i
                        .and_then(|wi| v.features[i].attributes.get(wi)?.as_f64())
                        .or(style.width)
                        .unwrap_or(6.0);
                    let c = color_of(i);
                    let ls: Vec<&[DVec3]> = match &v.features[i].geometry {
                        Geometry::LineString(l) => vec![l.as_slice()],
                        Geometry::MultiLineString(ls) => ls.iter().map(|l| l.as_slice()).collect(),
                        _ => Vec::new(),
                    };
                    ls.into_iter().map(move |l| (l, w, c))
                });
                mesh::ribbons(anchor, lines, 0.3, ground.drape_step(), &drape)
            }
            // Screen-space icons: see `point_icons_of`.
            LayerKind::Points => MeshData::default(),
        };
        if !m.is_empty() {
            emit(anchor, m);
        }
    }
}

pub(crate) fn layer_material(kind: LayerKind, opacity: f32) -> StandardMaterial {
    let mut m = StandardMaterial {
        base_color: Color::WHITE.with_alpha(opacity),
        perceptual_roughness: 0.85,
        reflectance: 0.3,
        ..default()
    };
    match kind {
        LayerKind::Areas => {
            m.depth_bias = 2.0;
        }
        LayerKind::Roads => {
            m.depth_bias = 4.0;
            m.perceptual_roughness = 0.95;
        }
        LayerKind::Terrain => {
            m.perceptual_roughness = 1.0;
            m.reflectance = 0.1;
        }
        LayerKind::Pipes => {
            m.perceptual_roughness = 0.45;
            m.metallic = 0.2;
        }
        _ => {}
    }
    if opacity < 1.0 {
        m.alpha_mode = AlphaMode::Blend;
    }
    m
}

/// The icons of a point layer, one mesh per spatial chunk, at the
/// points' own heights or draped on the ground; their colours come from
/// the layer's style buffer, by feature.
pub(crate) fn point_icons_of(layer: &Layer, ground: &Ground) -> Vec<(Anchor, Mesh)> {
    let Some(v) = layer.vector() else {
        return Vec::new();
    };
    let mut chunks: HashMap<(i64, i64), Vec<(DVec3, u32)>> = HashMap::new();
    for (i, f) in v.features.iter().enumerate() {
        f.geometry.for_each_point(|p| {
            chunks
                .entry(chunk_key(p))
                .or_default()
                .push((icon_position(p, ground), i as u32));
        });
    }
    chunks
        .into_iter()
        .map(|(k, pts)| {
            let anchor = chunk_anchor(k);
            let mesh = crate::render::point_icons::icon_mesh(anchor, pts);
            (anchor, mesh)
        })
        .collect()
}

/// Where a point's icon stands: at its own height, or on the ground for a
/// point without one (z = 0).
pub fn icon_position(p: DVec3, ground: &Ground) -> DVec3 {
    let z = if p.z != 0.0 { p.z } else { ground.height(p) };
    DVec3::new(p.x, p.y, z)
}

/// Layers that lie on the ground surface and fade with it in the
/// underground view.
pub fn is_surface(kind: LayerKind) -> bool {
    matches!(
        kind,
        LayerKind::Terrain | LayerKind::Areas | LayerKind::Roads | LayerKind::Auto
    )
}

/// Applies visibility and opacity edits from the layer tree and the
/// underground view's ground opacity.
#[allow(clippy::too_many_arguments)]
fn sync_layer_settings(
    store: Res<SceneStore>,
    underground: Res<crate::render::underground::UndergroundView>,
    mut seen: Local<(HashMap<u64, u64>, f32)>,
    mut q: Query<(&LayerEntity, &mut Visibility)>,
    layer_materials: Res<LayerMaterials>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut feature_materials: ResMut<Assets<FeatureMaterial>>,
    feature_styles: Res<crate::render::feature_style::FeatureStyles>,
) {
    // Only the layers that changed since last seen (their slot's tick), and
    // the surface layers when the ground's opacity changed.
    let ground_changed = seen.1 != underground.ground_opacity;
    seen.1 = underground.ground_opacity;
    let changed: HashMap<u64, &crate::scene::store::LayerSlot> = store
        .layers
        .iter()
        .filter(|s| (ground_changed && is_surface(s.kind())) || seen.0.get(&s.id) != Some(&s.tick))
        .map(|s| (s.id, s))
        .collect();
    if changed.is_empty() {
        return;
    }
    seen.0 = store.layers.iter().map(|s| (s.id, s.tick)).collect();
    for (le, mut vis) in &mut q {
        if let Some(slot) = changed.get(&le.0) {
            let want = if slot.reference.visible {
                Visibility::Inherited
            } else {
                Visibility::Hidden
            };
            if *vis != want {
                *vis = want;
            }
        }
    }
    for slot in changed.values() {
        let ground = if is_surface(slot.kind()) {
            underground.ground_opacity
        } else {
            1.0
        };
        let alpha = slot.reference.opacity * ground;
        for (h, base_alpha) in layer_materials.0.get(&slot.id).into_iter().flatten() {
            if materials
                .get(h)
                .is_some_and(|m| needs_alpha(m, base_alpha * alpha))
                && let Some(mut m) = materials.get_mut(h)
            {
                set_alpha(&mut m, base_alpha * alpha);
            }
        }
        if let Some(h) = layer_materials.1.get(&slot.id)
            && feature_materials
                .get(h)
                .is_some_and(|m| needs_alpha(&m.base, alpha))
            && let Some(mut m) = feature_materials.get_mut(h)
        {
            m.base.base_color.set_alpha(alpha);
            m.base.alpha_mode = crate::render::feature_style::feature_alpha_mode(
                alpha,
                feature_styles.has_hidden(slot.id),
            );
        }
    }
}

/// Whether a material's alpha is not yet `a` (touching an asset
/// re-prepares it, so only real changes do).
fn needs_alpha(m: &StandardMaterial, a: f32) -> bool {
    (m.base_color.alpha() - a).abs() > 1e-4
}

fn set_alpha(m: &mut StandardMaterial, a: f32) {
    m.base_color.set_alpha(a);
    m.alpha_mode = if a < 1.0 {
        AlphaMode::Blend
    } else {
        AlphaMode::Opaque
    };
}

/// Kinds whose features are coloured from a style buffer.
pub fn feature_styled(kind: LayerKind) -> bool {
    matches!(
        kind,
        LayerKind::Buildings
            | LayerKind::Areas
            | LayerKind::Roads
            | LayerKind::Pipes
            | LayerKind::Auto
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cim_core::model::attr::{AttrType, AttrValue, Field};
    use cim_core::model::layer::{Feature, FeatureId};

    fn pipe(attrs: Vec<AttrValue>, line: Vec<DVec3>) -> Feature {
        Feature {
            id: FeatureId(0),
            geometry: Geometry::LineString(line),
            attributes: attrs,
        }
    }

    #[test]
    fn pipes_sit_below_the_ground_by_cover_depth_and_diameter() {
        let v = VectorData {
            fields: vec![
                Field::new("DN", AttrType::Float),
                Field::new("埋深", AttrType::Float),
            ],
            features: vec![
                pipe(
                    vec![AttrValue::Float(600.0), AttrValue::Float(2.0)],
                    vec![DVec3::new(0.0, 0.0, 0.0), DVec3::new(25.0, 0.0, 0.0)],
                ),
                // No attributes: defaults (0.3 m, 1.5 m cover).
                pipe(
                    vec![AttrValue::Null, AttrValue::Null],
                    vec![DVec3::new(0.0, 5.0, 0.0), DVec3::new(5.0, 5.0, 0.0)],
                ),
            ],
        };
        let shapes = pipe_shapes(&v, &Style::default(), &Ground::default());
        let a = shapes[0].as_ref().unwrap();
        // DN 600 is millimetres: radius 0.3 m; centre at -(2 + 0.3).
        assert!((a.radius - 0.3).abs() < 1e-12);
        assert_eq!(a.lines[0].len(), 2, "no terrain: nothing to follow");
        assert!(a.lines[0].iter().all(|p| (p.z + 2.3).abs() < 1e-9));
        let b = shapes[1].as_ref().unwrap();
        assert!((b.radius - 0.15).abs() < 1e-12);
        assert!(b.lines[0].iter().all(|p| (p.z + 1.65).abs() < 1e-9));
    }

    fn flat_ground(cell: f64) -> Ground {
        let grid = cim_core::Grid::new(100, 100, -500.0, 500.0, cell, cell);
        Ground::new(std::sync::Arc::new(cim_core::Layer {
            name: "dem".into(),
            format: "test".into(),
            crs: None,
            kind: LayerKind::Terrain,
            content: cim_core::LayerContent::Raster(grid),
        }))
    }

    #[test]
    fn pipes_follow_the_terrain_at_its_resolution_within_a_bound() {
        let v = VectorData {
            fields: vec![],
            features: vec![
                pipe(vec![], vec![DVec3::ZERO, DVec3::new(25.0, 0.0, 0.0)]),
                // One hostile segment of 10⁸ m (once 4.4 GB and 93 s).
                pipe(vec![], vec![DVec3::ZERO, DVec3::new(1e8, 0.0, 0.0)]),
            ],
        };
        let s = pipe_shapes(&v, &Style::default(), &flat_ground(5.0));
        assert_eq!(s[0].as_ref().unwrap().lines[0].len(), 4, "10 m steps");
        let long = &s[1].as_ref().unwrap().lines[0];
        assert!(long.len() <= mesh::DRAPE_MAX_POINTS, "{}", long.len());
        let s = pipe_shapes(&v, &Style::default(), &flat_ground(30.0));
        assert_eq!(s[0].as_ref().unwrap().lines[0].len(), 2, "one 30 m cell");
    }

    #[test]
    fn invert_elevations_win_and_are_interpolated_along_the_pipe() {
        let v = VectorData {
            fields: vec![
                Field::new("start_inv", AttrType::Float),
                Field::new("end_inv", AttrType::Float),
                Field::new("diameter", AttrType::Float),
            ],
            features: vec![pipe(
                vec![
                    AttrValue::Float(10.0),
                    AttrValue::Float(8.0),
                    AttrValue::Float(1.0),
                ],
                vec![
                    DVec3::new(0.0, 0.0, 0.0),
                    DVec3::new(30.0, 0.0, 0.0),
                    DVec3::new(30.0, 10.0, 0.0),
                ],
            )],
        };
        let s = pipe_shapes(&v, &Style::default(), &Ground::default());
        let l = &s[0].as_ref().unwrap().lines[0];
        // Centre = invert + radius; 3/4 of the way the invert is 8.5.
        assert_eq!(l.len(), 3);
        assert!((l[0].z - 10.5).abs() < 1e-9);
        assert!((l[1].z - 9.0).abs() < 1e-9);
        assert!((l[2].z - 8.5).abs() < 1e-9);
    }

    #[test]
    fn surveyed_3d_centre_lines_are_kept() {
        let v = VectorData {
            fields: vec![],
            features: vec![pipe(
                vec![],
                vec![DVec3::new(0.0, 0.0, -3.0), DVec3::new(50.0, 0.0, -3.5)],
            )],
        };
        let s = pipe_shapes(&v, &Style::default(), &Ground::default());
        assert_eq!(
            s[0].as_ref().unwrap().lines[0],
            vec![DVec3::new(0.0, 0.0, -3.0), DVec3::new(50.0, 0.0, -3.5)]
        );
    }
}
