//! What is under the cursor, every frame: a scene-space ray against the
//! model (buildings as prisms, drawn tileset content triangle by triangle,
//! terrain as a height field, else the ground plane). A click without drag
//! selects the feature (or the tile, in a tileset without features); the
//! selection gets a highlight mesh where its layer has no style buffer.

use crate::render::feature_style::FeatureStyles;
use crate::render::layers::Ground;
use crate::scene::derived::StyleResults;
use crate::scene::origin::{GeoAnchor, RenderOrigin};
use crate::scene::store::SceneStore;
use crate::stream::tiles3d::{FeatureHit, TileAbout, TileHit, TilesetStreams};
use crate::view::camera::{MainCamera, PointerDrag, viewport_ray};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use cim_core::lod::tileset::TileId;
use cim_core::model::layer::{FeatureId, LayerKind};
use cim_core::query::pick::{self, Hit, Ray};
use glam::DVec3;
use std::sync::Arc;

/// The cursor's ray and what it hits.
#[derive(Resource, Default, Debug, Clone)]
pub struct CursorHit {
    pub cursor: Option<Vec2>,
    pub ray: Option<Ray>,
    pub point: Option<DVec3>,
    /// The feature (or tile) hit.
    pub feature: Option<Picked>,
    /// What is at the centre of the view (pivot for north-up).
    pub center_point: Option<DVec3>,
}

/// Something that can be picked and selected.
#[derive(Clone, Debug)]
pub enum Picked {
    /// A feature of a vector layer: (layer slot id, feature id).
    Feature(u64, FeatureId),
    /// Part of a streamed tileset.
    Tile(TilePick),
}

/// A tile of a tileset layer, and the feature hit in it when its content
/// has features.
#[derive(Clone, Debug)]
pub struct TilePick {
    pub layer: u64,
    pub tile: TileId,
    /// The feature in the content's first feature id set.
    pub feature: Option<u32>,
    /// Every feature hit (one per feature id set) with its properties,
    /// taken when picked: the tile may be evicted while it is selected.
    pub features: Arc<Vec<FeatureHit>>,
    /// The tile's level, error and contents, taken when picked.
    pub about: Arc<TileAbout>,
}

impl TilePick {
    fn of(hit: TileHit) -> TilePick {
        TilePick {
            layer: hit.layer,
            tile: hit.tile,
            feature: hit
                .features
                .iter()
                .find(|f| f.feature.set == 0)
                .map(|f| f.feature.id),
            features: Arc::new(hit.features),
            about: Arc::new(hit.about),
        }
    }
}

/// Two picks are the same thing when they name the same feature (or tile).
impl PartialEq for Picked {
    fn eq(&self, other: &Picked) -> bool {
        match (self, other) {
            (Picked::Feature(a, b), Picked::Feature(c, d)) => (a, b) == (c, d),
            (Picked::Tile(a), Picked::Tile(b)) => {
                // Feature ids belong to a content: the same id in another
                // tile is another feature; and every set's id counts (two
                // floors of one building are two picks).
                let ids = |t: &TilePick| -> Vec<(usize, u32)> {
                    t.features
                        .iter()
                        .map(|f| (f.feature.set, f.feature.id))
                        .collect()
                };
                (a.layer, a.tile) == (b.layer, b.tile) && ids(a) == ids(b)
            }
            _ => false,
        }
    }
}

impl Picked {
    /// The vector feature, if that is what was picked.
    pub fn feature(&self) -> Option<(u64, FeatureId)> {
        match self {
            Picked::Feature(layer, id) => Some((*layer, *id)),
            Picked::Tile(_) => None,
        }
    }

    /// The layer (slot id) picked in.
    pub fn layer(&self) -> u64 {
        match self {
            Picked::Feature(layer, _) => *layer,
            Picked::Tile(t) => t.layer,
        }
    }
}

/// The selected feature or tile.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection(pub Option<Picked>);

impl Selection {
    /// The selected vector feature: (layer slot id, feature id).
    pub fn feature(&self) -> Option<(u64, FeatureId)> {
        self.0.as_ref().and_then(Picked::feature)
    }
}

/// Selects a feature or tile, or nothing: what panels (inspector, tables,
/// search results) write; applied at the start of the next frame. Clicks in
/// the view select directly.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct Select(pub Option<Picked>);

pub(crate) fn apply_select(mut selection: ResMut<Selection>, mut commands: MessageReader<Select>) {
    for Select(s) in commands.read() {
        // Only a real change marks the selection changed.
        if selection.0 != *s {
            selection.0 = s.clone();
        }
    }
}

#[derive(Component)]
struct Highlight;

pub struct PickingPlugin;

impl Plugin for PickingPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CursorHit>()
            .init_resource::<Selection>()
            .add_message::<Select>()
            .add_systems(PreUpdate, apply_select)
            .add_systems(
                Update,
                (update_cursor_hit, select_on_click, update_highlight).chain(),
            );
    }
}

/// Casts a scene ray at everything pickable: extruded buildings (as
/// prisms, candidates from each layer's R-tree), drawn tileset content,
/// then the terrain or the ground plane; where the ray meets the ground,
/// the nearest line, point or area feature within a few pixels' worth of
/// metres. Pipes are looked for at their depth when the ground is
/// see-through.
#[allow(clippy::too_many_arguments)]
pub fn cast(
    store: &SceneStore,
    styled: &StyleResults,
    styles: &FeatureStyles,
    tiles: Option<&TilesetStreams>,
    ground: &Ground,
    underground: bool,
    ray: &Ray,
) -> (Option<DVec3>, Option<Picked>) {
    let mut best: Option<(Hit, Option<u64>)> = None;
    // How far the ray can matter: down to the lowest ground, at most 50 km.
    let floor = ground.range().map_or(0.0, |m| m.0 as f64);
    let reach = if ray.dir.z < -1e-6 {
        ((floor - ray.origin.z) / ray.dir.z).clamp(0.0, 50_000.0)
    } else {
        50_000.0
    };
    let (a, b) = (ray.origin.truncate(), ray.at(reach).truncate());
    for slot in &store.layers {
        if !slot.reference.visible || slot.kind() != LayerKind::Buildings {
            continue;
        }
        let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) else {
            continue;
        };
        // A hidden feature (filtered out, not there yet) is not hit.
        let prism = |i: usize| {
            (!styles.is_hidden(slot.id, i))
                .then(|| styled.prism(slot.id, i))
                .flatten()
        };
        let h = match &slot.index {
            Some(ix) => pick::pick_buildings_among(ray, v, ix.segment_candidates(a, b), prism),
            None => pick::pick_buildings(ray, v, prism),
        };
        if let Some(h) = h
            && best.as_ref().is_none_or(|(b, _)| h.t < b.t)
        {
            best = Some((h, Some(slot.id)));
        }
    }
    // About 6 px at a 60° field of view, per metre of distance.
    const POINT_TOLERANCE: f64 = 0.006;
    let tile_hit = tiles.and_then(|t| {
        let reach = best.as_ref().map_or(1e7 / ray.dir.length(), |b| b.0.t);
        t.pick(store, ray, reach, POINT_TOLERANCE)
    });
    let mut tile_pick = None;
    if let Some(h) = tile_hit {
        best = Some((
            Hit {
                t: h.t,
                point: h.point,
                feature: None,
            },
            Some(h.layer),
        ));
        tile_pick = Some(TilePick::of(h));
    }
    if let Some(g) = ground.grid()
        && let Some(range) = ground.range()
        && let Some(h) = pick::pick_terrain_within(ray, g, range)
        && best.as_ref().is_none_or(|(b, _)| h.t < b.t)
    {
        best = Some((h, None));
        tile_pick = None;
    }
    if best.is_none() && ray.dir.z < -1e-9 {
        // No model hit: the horizontal plane at ground level.
        let z = ground.height(ray.origin);
        let t = (z - ray.origin.z) / ray.dir.z;
        best = Some((
            Hit {
                t,
                point: ray.at(t),
                feature: None,
            },
            None,
        ));
    }
    let Some((hit, slot)) = best else {
        return (None, None);
    };
    // Point symbols stand at their points' heights and are drawn over
    // what lies behind them: one the ray passes before its hit is picked.
    // Underground, points below the ground (network nodes) count too.
    let behind = if underground { 3.0 } else { 1.02 };
    if let Some((layer, p)) = pick_points(store, styles, ground, ray, hit.t * behind) {
        return (Some(p.point), p.feature.map(|f| Picked::Feature(layer, f)));
    }
    if let Some(p) = tile_pick {
        return (Some(hit.point), Some(Picked::Tile(p)));
    }
    if let Some(slot) = slot {
        return (
            Some(hit.point),
            hit.feature.map(|f| Picked::Feature(slot, f)),
        );
    }
    let ground_point = hit.point;
    // Topmost layer first, as the layer tree lists them.
    for slot in store.layers.iter().rev() {
        let kind = slot.kind();
        if !slot.reference.visible
            || matches!(
                kind,
                LayerKind::Buildings | LayerKind::Terrain | LayerKind::Points
            )
        {
            continue;
        }
        if kind == LayerKind::Pipes && !underground {
            continue;
        }
        let (Some(v), Some(ix)) = (slot.layer.as_ref().and_then(|l| l.vector()), &slot.index)
        else {
            continue;
        };
        let at = if kind == LayerKind::Pipes && ray.dir.z < -1e-9 {
            let z = ground.height(ground_point) - crate::render::layers::DEFAULT_PIPE_COVER;
            ray.at((z - ray.origin.z) / ray.dir.z)
        } else {
            ground_point
        };
        // About 6 px at a 60° field of view.
        let tolerance = (at.distance(ray.origin) * 0.006).clamp(0.5, 60.0);
        if let Some(h) = ix.nearest_where(v, at.truncate(), tolerance, |i| {
            !styles.is_hidden(slot.id, i)
        }) {
            return (Some(at), Some(Picked::Feature(slot.id, h.id)));
        }
    }
    (Some(ground_point), None)
}

/// The point the ray passes nearest (in angle) of the visible point
/// layers, topmost layer first, no farther along it than `max_t`. An icon
/// stands on its point (see `point_icons`), so a click on one lands up to
/// its diameter away: about 0.001 rad a pixel at a 60° field of view.
fn pick_points(
    store: &SceneStore,
    styles: &FeatureStyles,
    ground: &Ground,
    ray: &Ray,
    max_t: f64,
) -> Option<(u64, Hit)> {
    let angle = 0.001 * crate::render::point_icons::ICON_PX as f64;
    store.layers.iter().rev().find_map(|slot| {
        if !slot.reference.visible || slot.kind() != LayerKind::Points {
            return None;
        }
        let (v, ix) = (slot.layer.as_ref()?.vector()?, slot.index.as_ref()?);
        let hit = pick::pick_point(
            v,
            ix,
            ray,
            max_t,
            angle,
            |i| !styles.is_hidden(slot.id, i),
            |p| crate::render::layers::icon_position(p, ground),
        )?;
        Some((slot.id, hit))
    })
}

/// What a pick depends on.
#[derive(Clone, Copy, PartialEq)]
pub struct PickKey {
    cursor: Option<Vec2>,
    camera: bevy::math::Affine3A,
    revision: u64,
    below: bool,
    /// Drawn tiles came or went.
    tiles: u64,
}

#[allow(clippy::too_many_arguments)]
pub fn update_cursor_hit(
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    origin: Res<RenderOrigin>,
    store: Res<SceneStore>,
    styled: Res<StyleResults>,
    styles: Res<FeatureStyles>,
    tiles: Option<Res<TilesetStreams>>,
    ground: Res<Ground>,
    underground: Res<crate::render::underground::UndergroundView>,
    mut hit: ResMut<CursorHit>,
    mut last: Local<Option<PickKey>>,
) {
    let below = underground.allows_camera_below_ground();
    let Ok((camera, cam_t)) = cameras.single() else {
        return;
    };
    let window = windows.single().ok();
    let cursor = window.and_then(|w| w.cursor_position());
    // Casting walks the model: only when the cursor, the camera or the
    // scene moved.
    let key = PickKey {
        cursor,
        camera: cam_t.affine(),
        revision: store.revision,
        below,
        tiles: tiles.as_ref().map_or(0, |t| t.revision()),
    };
    if last.as_ref() == Some(&key) {
        return;
    }
    *last = Some(key);
    hit.cursor = cursor;
    hit.ray = hit
        .cursor
        .and_then(|c| viewport_ray(camera, cam_t, &origin, c));
    let tiles = tiles.as_deref();
    let (point, feature) = match hit.ray {
        Some(r) => cast(&store, &styled, &styles, tiles, &ground, below, &r),
        None => (None, None),
    };
    hit.point = point;
    hit.feature = feature;
    hit.center_point = camera
        .logical_viewport_size()
        .and_then(|s| viewport_ray(camera, cam_t, &origin, s * 0.5))
        .and_then(|r| cast(&store, &styled, &styles, tiles, &ground, below, &r).0);
}

fn select_on_click(
    buttons: Res<ButtonInput<MouseButton>>,
    drag: Res<PointerDrag>,
    ui: Res<crate::ui::UiCapture>,
    hit: Res<CursorHit>,
    mut selection: ResMut<Selection>,
    tools: Option<Res<crate::tools::Tools>>,
) {
    if tools.is_some_and(|t| t.mode != crate::tools::MeasureMode::Off) {
        return;
    }
    // The camera controls clear `button` on release; a click is a release
    // that was not a drag.
    if buttons.just_released(MouseButton::Left)
        && !drag.dragged
        && !ui.pointer
        && selection.0 != hit.feature
    {
        selection.0 = hit.feature.clone();
    }
}

#[allow(clippy::too_many_arguments)]
fn update_highlight(
    mut commands: Commands,
    selection: Res<Selection>,
    existing: Query<Entity, With<Highlight>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    tiles: Option<Res<TilesetStreams>>,
    mut tiles_seen: Local<u64>,
) {
    // A tile feature's highlight follows its tile: gone when the tile is
    // evicted or refined away, drawn again when its layer is redrawn.
    let tiles_moved = tiles.as_ref().is_some_and(|t| t.revision() != *tiles_seen)
        && matches!(selection.0, Some(Picked::Tile(_)));
    *tiles_seen = tiles.as_ref().map_or(0, |t| t.revision());
    if !selection.is_changed() && !tiles_moved {
        return;
    }
    for e in &existing {
        commands.entity(e).despawn();
    }
    let (mesh, anchor) = match &selection.0 {
        None => return,
        Some(Picked::Tile(t)) => {
            let Some(found) = tiles.as_deref().and_then(|s| tile_highlight(s, t)) else {
                return;
            };
            found
        }
        // Every vector layer, point icons included, highlights its
        // features in its style buffer (`render::feature_style`).
        Some(Picked::Feature(..)) => return,
    };
    commands.spawn((
        Highlight,
        Mesh3d(meshes.add(mesh)),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgba(1.0, 0.85, 0.1, 0.55),
            emissive: LinearRgba::rgb(0.6, 0.45, 0.0),
            alpha_mode: AlphaMode::Blend,
            unlit: true,
            double_sided: true,
            cull_mode: None,
            // Drawn over the feature's own faces, which it covers exactly
            // for tile content.
            depth_bias: 1000.0,
            ..default()
        })),
        Transform::default(),
        GeoAnchor(anchor),
    ));
}

/// The triangles of a selected tile feature, from the tile's resident
/// copy (a tile without features is not highlighted).
fn tile_highlight(tiles: &TilesetStreams, t: &TilePick) -> Option<(Mesh, DVec3)> {
    tiles.feature_mesh(t.layer, t.tile, t.feature?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cim_core::model::geometry::Geometry;

    /// The demo city as the store holds it, and one of its buildings.
    struct DemoBuilding {
        store: SceneStore,
        styled: StyleResults,
        layer: u64,
        index: usize,
        id: FeatureId,
        /// A point inside its footprint (the centroid of its first
        /// triangle), and its roof height.
        inside: DVec3,
        top: f64,
    }

    fn demo_building() -> DemoBuilding {
        let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
        store.load_all_blocking();
        let mut styled = StyleResults::default();
        assert!(styled.refresh(&store).is_empty());
        let slot = store
            .layers
            .iter()
            .find(|s| s.kind() == LayerKind::Buildings)
            .expect("the demo has buildings");
        let v = slot.layer.as_ref().unwrap().vector().unwrap();
        let (index, f) = v
            .features
            .iter()
            .enumerate()
            .find(|(_, f)| matches!(f.geometry, Geometry::Polygon(_)))
            .unwrap();
        let Geometry::Polygon(p) = &f.geometry else {
            unreachable!()
        };
        let t = &p.triangulate()[..3];
        let pts: Vec<DVec3> = p.points().collect();
        let inside = (pts[t[0]] + pts[t[1]] + pts[t[2]]) / 3.0;
        let (_, top) = styled.prism(slot.id, index).unwrap();
        let (layer, id) = (slot.id, f.id);
        DemoBuilding {
            store,
            styled,
            layer,
            index,
            id,
            inside,
            top,
        }
    }

    #[test]
    fn a_ray_from_above_picks_the_building_under_it() {
        let DemoBuilding {
            store,
            styled,
            layer,
            index: i,
            id,
            inside,
            top,
        } = demo_building();
        let features = store
            .slot(layer)
            .unwrap()
            .layer
            .as_ref()
            .unwrap()
            .feature_count();
        let down = |at: DVec3| Ray {
            origin: DVec3::new(at.x, at.y, 2_000.0),
            dir: DVec3::new(0.0, 0.0, -1.0),
        };
        let ground = Ground::default();
        let mut styles = FeatureStyles::default();
        let cast_down = |styles: &FeatureStyles, at: DVec3| {
            cast(&store, &styled, styles, None, &ground, false, &down(at))
        };
        let (point, hit) = cast_down(&styles, inside);
        assert_eq!(hit, Some(Picked::Feature(layer, id)));
        assert!((point.unwrap().z - top).abs() < 0.01, "on the roof");
        // Far outside the city: the ground plane, nothing selected.
        let far = inside + DVec3::new(50_000.0, 50_000.0, 0.0);
        let (point, hit) = cast_down(&styles, far);
        assert_eq!(hit, None);
        assert!(point.unwrap().z.abs() < 1e-6);
        // Hidden (by a filter or the clock), the building is not hit: the
        // ray goes through to the ground.
        styles.insert_cpu_only(layer, (0..features).map(|_| [0; 4]));
        styles.set_flag(
            layer,
            &[i as u32],
            crate::render::feature_style::HIDDEN,
            true,
        );
        let (point, hit) = cast_down(&styles, inside);
        assert_ne!(hit, Some(Picked::Feature(layer, id)));
        assert!(point.unwrap().z < top - 1.0, "{point:?}");
    }

    /// The picking systems in a Bevy app: the cursor over a building in a
    /// camera looking straight down finds it, a click (press and release
    /// without a drag) selects it, and a still cursor and camera cast no
    /// new ray.
    #[test]
    fn a_click_over_a_building_selects_it_in_the_app() {
        let DemoBuilding {
            store,
            styled,
            layer,
            id,
            inside,
            top,
            ..
        } = demo_building();
        let want = Some(Picked::Feature(layer, id));

        let origin = RenderOrigin(cim_core::scene::georef::RenderFrame::new(inside));
        let eye = origin.to_render(inside + DVec3::new(0.0, 0.0, 400.0));
        let below = origin.to_render(inside);
        let mut camera = Camera::default();
        camera.computed.clip_from_view =
            Mat4::perspective_infinite_reverse_rh(1.0, 800.0 / 600.0, 0.1);
        camera.computed.target_info = Some(bevy::camera::RenderTargetInfo {
            physical_size: UVec2::new(800, 600),
            scale_factor: 1.0,
        });
        let mut window = Window {
            resolution: bevy::window::WindowResolution::new(800, 600),
            ..default()
        };
        window.set_cursor_position(Some(Vec2::new(400.0, 300.0)));

        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(store)
            .insert_resource(styled)
            .insert_resource(origin)
            .init_resource::<Ground>()
            .init_resource::<crate::render::underground::UndergroundView>()
            .init_resource::<CursorHit>()
            .init_resource::<Selection>()
            .init_resource::<FeatureStyles>()
            .init_resource::<PointerDrag>()
            .init_resource::<crate::ui::UiCapture>()
            .init_resource::<ButtonInput<MouseButton>>()
            .add_systems(Update, (update_cursor_hit, select_on_click).chain());
        app.world_mut().spawn((window, PrimaryWindow));
        app.world_mut().spawn((
            camera,
            MainCamera,
            GlobalTransform::from(Transform::from_translation(eye).looking_at(below, Vec3::Z)),
        ));
        app.update();
        let hit = app.world().resource::<CursorHit>().clone();
        assert_eq!(hit.feature, want, "the building under the cursor");
        assert!((hit.point.unwrap().z - top).abs() < 0.05, "on its roof");
        assert_eq!(
            app.world().resource::<Selection>().0,
            None,
            "not clicked yet"
        );
        app.world_mut()
            .resource_mut::<ButtonInput<MouseButton>>()
            .press(MouseButton::Left);
        app.update();
        let mut buttons = app.world_mut().resource_mut::<ButtonInput<MouseButton>>();
        buttons.clear();
        buttons.release(MouseButton::Left);
        app.update();
        assert_eq!(app.world().resource::<Selection>().0, want);
        // Nothing moved: the hit is not recomputed (nor marked changed).
        let tick = app.world().resource_ref::<CursorHit>().last_changed();
        app.update();
        assert_eq!(app.world().resource_ref::<CursorHit>().last_changed(), tick);
    }

    /// A network's nodes stand at their elevations: a ray through a node
    /// from the side picks it, though the ground under it is far beyond.
    #[test]
    fn a_ray_through_an_elevated_node_picks_it() {
        let inp = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/reference/pipes_generated.inp");
        let mut store = SceneStore::new(crate::scene::load::open_inputs(&[inp]).unwrap());
        store.load_all_blocking();
        let mut styled = StyleResults::default();
        styled.refresh(&store);
        let slot = store
            .layers
            .iter()
            .find(|s| s.kind() == LayerKind::Points)
            .expect("the nodes layer");
        let v = slot.layer.as_ref().unwrap().vector().unwrap();
        let f = v
            .features
            .iter()
            .find(|f| matches!(f.geometry, Geometry::Point(p) if p.z > 20.0))
            .expect("a node well above the ground");
        let Geometry::Point(node) = f.geometry else {
            unreachable!()
        };
        let origin = node + DVec3::new(0.0, -300.0, 300.0);
        let ray = Ray {
            origin,
            dir: node - origin,
        };
        let (ground, styles) = (Ground::default(), FeatureStyles::default());
        let (point, picked) = cast(&store, &styled, &styles, None, &ground, false, &ray);
        assert_eq!(picked, Some(Picked::Feature(slot.id, f.id)));
        assert!(point.unwrap().distance(node) < 1e-6);
        // Where the ray meets the ground, the node's plan position is
        // node.z metres behind: the ground point alone would have missed it.
        let t = -origin.z / ray.dir.z;
        assert!((ray.at(t) - node).truncate().length() > 20.0);
    }
}
