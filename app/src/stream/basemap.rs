//! Basemap imagery draped on the ground.
//!
//! The scene's `[[basemap]]` stack is opened once, off the main thread
//! (WMTS capabilities may come over the network), into a
//! [`BasemapComposer`]. Ground tiles — the terrain's LOD tiles (see
//! `terrain`) or, in a scene without terrain, the tiles of a flat
//! [`PlaneQuadtree`] drawn here — ask for a drape of their box at the
//! texture size their distance needs ([`DrapeLod`]). A small pool of worker
//! threads composes drapes newest request first (the current view), and
//! each finished drape becomes the tile's texture. Requests for tiles that
//! left the view are dropped before they are composed.

use crate::render::underground::{BasePlane, UndergroundView, base_plane_extent, ground_material};
use crate::scene::origin::GeoAnchor;
use crate::scene::store::{Notice, SceneStore, StoreCommand};
use crate::stream::budget::StreamBudget;
use crate::stream::drawn::{Drawable, draw_exactly};
use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use cim_core::imagery::RgbaImage;
use cim_core::lod::drape::{DrapeLod, PlaneQuadtree, distance_to_bbox, projection_scale};
use cim_core::lod::stream::Streamer;
use cim_core::lod::terrain::NodeId;
use cim_core::model::geometry::Bbox;
use cim_loaders::FetchOptions;
use cim_loaders::tiles::basemap::BasemapComposer;
use glam::DVec3;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Worker threads composing drapes (tile fetches within one drape run in
/// parallel too, so a few suffice even over HTTP).
const WORKERS: usize = 3;
/// The owner id of base-plane tiles (terrain tiles use their layer's id).
pub const PLANE_OWNER: u64 = u64::MAX;
/// Base-plane tiles are split down to about this width (metres); the
/// finest ones take textures up to `DrapeLod::max_px`.
const PLANE_FINEST_M: f64 = 64.0;

/// Which ground tile a drape is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DrapeKey {
    pub owner: u64,
    pub node: NodeId,
}

struct Request {
    key: DrapeKey,
    bbox: Bbox,
    size: u32,
}

/// A composed drape, ready to become a texture.
pub struct Drape {
    pub key: DrapeKey,
    pub size: u32,
    pub image: RgbaImage,
}

/// State shared with the workers.
#[derive(Default)]
struct Shared {
    /// `Some` once opened; `None` while opening or when nothing opened.
    composer: Mutex<Option<Arc<BasemapComposer>>>,
    /// Pending requests; the newest is composed first.
    queue: Mutex<Vec<Request>>,
    wake: Condvar,
    done: Mutex<Vec<Drape>>,
    /// Basemaps that could not be opened.
    errors: Mutex<Vec<String>>,
    /// Requests being composed.
    busy: AtomicUsize,
    /// [`OPENING`], [`OPEN`] or [`FAILED`].
    state: AtomicU8,
}

const OPENING: u8 = 0;
const OPEN: u8 = 1;
/// No basemap could be opened: the ground keeps its own colours.
const FAILED: u8 = 2;

/// The scene's basemaps and the drapes being made. `active` is fixed at
/// startup from the scene document, so ground tiles know from their first
/// frame whether to wait for imagery.
#[derive(Resource)]
pub struct Drapes {
    active: bool,
    pub lod: DrapeLod,
    shared: Arc<Shared>,
}

impl Drapes {
    /// Opens the document's visible basemaps on a background thread and
    /// starts the workers; inactive (and threadless) without any.
    fn start(store: &SceneStore) -> Drapes {
        let shared = Arc::new(Shared::default());
        let active = store.doc.basemaps.iter().any(|b| b.visible);
        if active {
            let (crs, basemaps) = (store.crs.clone(), store.doc.basemaps.clone());
            let options = FetchOptions {
                base_dir: store.doc_dir(),
                ..FetchOptions::default()
            };
            let s = shared.clone();
            std::thread::spawn(move || {
                let (composer, errors) = BasemapComposer::open(&crs, &basemaps, &options);
                if let Ok(mut e) = s.errors.lock() {
                    e.extend(errors);
                }
                let state = if composer.is_some() { OPEN } else { FAILED };
                if let Ok(mut c) = s.composer.lock() {
                    *c = composer.map(Arc::new);
                }
                {
                    // Under the queue lock, so no worker can check the
                    // state and then miss the wake-up.
                    let _q = s.queue.lock();
                    s.state.store(state, Ordering::SeqCst);
                }
                s.wake.notify_all();
            });
            for _ in 0..WORKERS {
                let s = shared.clone();
                std::thread::spawn(move || work(&s));
            }
        }
        Drapes {
            active,
            lod: DrapeLod::default(),
            shared,
        }
    }

    /// No basemaps (for tests of the ground without imagery).
    #[cfg(test)]
    pub(crate) fn inactive() -> Drapes {
        Drapes {
            active: false,
            lod: DrapeLod::default(),
            shared: Arc::new(Shared::default()),
        }
    }

    /// Whether the ground is draped: the scene has visible basemaps and
    /// they have not all failed to open. (Ground drawn while this was true
    /// must be redrawn when it turns false.)
    pub fn active(&self) -> bool {
        self.active && self.shared.state.load(Ordering::SeqCst) != FAILED
    }

    /// Whether the basemaps are still being opened.
    pub fn opening(&self) -> bool {
        self.active && self.shared.state.load(Ordering::SeqCst) == OPENING
    }

    /// Asks for the drape of `bbox` (scene CRS) at `size × size` texels.
    pub fn request(&self, key: DrapeKey, bbox: Bbox, size: u32) {
        if !self.active {
            return;
        }
        if let Ok(mut q) = self.shared.queue.lock() {
            q.retain(|r| r.key != key);
            q.push(Request { key, bbox, size });
        }
        self.shared.wake.notify_one();
    }

    /// Drops queued requests whose tile is no longer wanted.
    pub fn retain(&self, wanted: impl Fn(&DrapeKey) -> bool) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.retain(|r| wanted(&r.key));
        }
    }

    /// Finished drapes for tiles of the owners `mine` accepts.
    pub fn take(&self, mine: impl Fn(u64) -> bool) -> Vec<Drape> {
        let Ok(mut done) = self.shared.done.lock() else {
            return Vec::new();
        };
        let (taken, rest) = std::mem::take(&mut *done)
            .into_iter()
            .partition(|d| mine(d.key.owner));
        *done = rest;
        taken
    }

    /// Basemaps that could not be opened and tiles that could not be read.
    fn take_errors(&self) -> Vec<String> {
        let mut out = self
            .shared
            .errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default();
        if let Some(c) = self.shared.composer.lock().ok().and_then(|c| c.clone()) {
            out.extend(
                c.take_errors()
                    .into_iter()
                    .map(|e| format!("basemap tile: {e}")),
            );
        }
        out
    }

    /// Nothing queued, being composed or waiting to be taken (a snapshot
    /// waits for this).
    pub fn idle(&self) -> bool {
        !self.active
            || (!self.opening()
                && self.shared.busy.load(Ordering::SeqCst) == 0
                && self.shared.queue.lock().is_ok_and(|q| q.is_empty())
                && self.shared.done.lock().is_ok_and(|d| d.is_empty()))
    }
}

/// A worker: composes the newest request, forever. Nothing is composed
/// before the composer is open; if none opened, requests are dropped.
fn work(s: &Shared) {
    loop {
        let request = {
            let Ok(mut q) = s.queue.lock() else { return };
            loop {
                if s.state.load(Ordering::SeqCst) != OPENING
                    && let Some(r) = q.pop()
                {
                    // Counted busy before the queue lock is released, so
                    // `idle` never sees an empty queue and nothing busy
                    // while this request is composed.
                    s.busy.fetch_add(1, Ordering::SeqCst);
                    break r;
                }
                let Ok(guard) = s.wake.wait(q) else { return };
                q = guard;
            }
        };
        let composer = s.composer.lock().ok().and_then(|c| c.clone());
        if let Some(c) = composer {
            let image = c.compose(request.bbox, request.size, request.size);
            if let Ok(mut d) = s.done.lock() {
                d.push(Drape {
                    key: request.key,
                    size: request.size,
                    image,
                });
            }
        }
        s.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A drape as a GPU texture (sRGB, no main-world copy).
pub fn drape_texture(image: RgbaImage, images: &mut Assets<Image>) -> Handle<Image> {
    images.add(Image::new(
        Extent3d {
            width: image.width,
            height: image.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        image.data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    ))
}

/// Texture state of one ground tile.
#[derive(Clone, Debug, Default)]
pub struct TileDrape {
    /// Edge of the texture shown, 0 for none yet.
    pub shown: u32,
    /// Edge of the largest texture asked for.
    pub requested: u32,
    /// The tile's own material, from its first drape on.
    pub material: Option<Handle<StandardMaterial>>,
}

impl TileDrape {
    /// Asks for a finer drape when the tile needs more texels than it has
    /// or has asked for (never a coarser one: no churn while zooming out).
    pub fn update(&mut self, drapes: &Drapes, key: DrapeKey, bbox: Bbox, wanted: u32) {
        if wanted > self.shown.max(self.requested) {
            self.requested = wanted;
            drapes.request(key, bbox, wanted);
        }
    }

    /// Shows a finished drape. The first gives the tile its own material:
    /// a copy of `base` as it is now (its opacity included), white, with
    /// the drape as texture; that new material is returned for the caller
    /// to put on the tile. Later (finer) drapes swap the texture in place.
    /// A drape coarser than the one shown is ignored.
    pub fn receive(
        &mut self,
        d: Drape,
        base: &Handle<StandardMaterial>,
        materials: &mut Assets<StandardMaterial>,
        images: &mut Assets<Image>,
    ) -> Option<Handle<StandardMaterial>> {
        if d.size < self.shown {
            return None;
        }
        self.shown = d.size;
        let texture = drape_texture(d.image, images);
        if let Some(h) = &self.material {
            if let Some(mut m) = materials.get_mut(h) {
                m.base_color_texture = Some(texture);
            }
            return None;
        }
        let mut m = materials.get(base).cloned().unwrap_or_default();
        m.base_color = Color::WHITE.with_alpha(m.base_color.alpha());
        m.base_color_texture = Some(texture);
        let h = materials.add(m);
        self.material = Some(h.clone());
        Some(h)
    }
}

/// The drape edge a ground tile covering `bbox` needs from `eye`.
pub fn drape_size(lod: &DrapeLod, bbox: &Bbox, eye: DVec3, scale: f64) -> u32 {
    let extent = (bbox.max.x - bbox.min.x).max(bbox.max.y - bbox.min.y);
    lod.texture_size(extent, distance_to_bbox(bbox, eye), scale)
}

pub struct BasemapPlugin;

impl Plugin for BasemapPlugin {
    fn build(&self, app: &mut App) {
        let drapes = Drapes::start(app.world().resource::<SceneStore>());
        app.insert_resource(drapes)
            .init_resource::<PlaneTiles>()
            .init_resource::<StreamBudget>()
            .add_systems(
                Update,
                (report_errors, update_plane_tiles, spawn_base_plane),
            );
    }
}

fn report_errors(drapes: Res<Drapes>, mut notify: MessageWriter<StoreCommand>) {
    // Not `active()`: that turns false exactly when every basemap failed,
    // and those failures must be said too.
    if !drapes.active {
        return;
    }
    for text in drapes.take_errors() {
        warn!("{text}");
        notify.write(StoreCommand::Notify(Notice { error: true, text }));
    }
}

/// Drapes being composed for the base plane at once, at most.
const PLANE_DRAPES_IN_FLIGHT: usize = 8;

/// The draped base plane of a scene without terrain, streamed like the
/// terrain: a tile's content is its drape; the [`Streamer`] says which
/// tiles to draw (a parent until its children's drapes are in, so zooming
/// in never shows bare tiles), which drapes to ask for, and which tiles to
/// drop over the [`StreamBudget`](crate::stream::budget::StreamBudget).
#[derive(Resource)]
pub struct PlaneTiles {
    plane: Option<PlaneQuadtree>,
    /// The ground's look, copied into each tile's own material.
    base: Option<Handle<StandardMaterial>>,
    streamer: Streamer<NodeId>,
    /// Tiles whose first drape is being composed.
    loading: HashMap<NodeId, TileDrape>,
    /// Tiles with a drape: their entity (with `Mesh3d` while drawn).
    resident: HashMap<NodeId, PlaneTile>,
    last_draw: Vec<NodeId>,
    complete: bool,
}

struct PlaneTile {
    entity: Entity,
    mesh: Handle<Mesh>,
    drape: TileDrape,
    drawn: bool,
}

impl Drawable for PlaneTile {
    fn is_drawn(&self) -> bool {
        self.drawn
    }
    fn set_drawn(&mut self, drawn: bool) {
        self.drawn = drawn;
    }
    fn parts(&self) -> Vec<(Entity, Handle<Mesh>)> {
        vec![(self.entity, self.mesh.clone())]
    }
}

impl Default for PlaneTiles {
    fn default() -> Self {
        PlaneTiles {
            plane: None,
            base: None,
            streamer: Streamer::new(PLANE_DRAPES_IN_FLIGHT),
            loading: HashMap::new(),
            resident: HashMap::new(),
            last_draw: Vec::new(),
            complete: false,
        }
    }
}

impl PlaneTiles {
    /// Whether the base plane draws every tile its view wants (or there is
    /// no draped plane).
    pub fn settled(&self) -> bool {
        self.plane.is_none() || self.complete
    }

    /// Bytes of drapes resident.
    pub fn resident_bytes(&self) -> usize {
        self.streamer.resident_bytes()
    }
}

/// A square tile of the plane, `size` wide, with UVs 0–1 north-up.
fn plane_tile_mesh(size: f32) -> Mesh {
    Plane3d::default().mesh().size(size, size).build()
}

#[allow(clippy::too_many_arguments)]
fn update_plane_tiles(
    mut commands: Commands,
    store: Res<SceneStore>,
    drapes: Res<Drapes>,
    view: Res<UndergroundView>,
    rig: Res<crate::view::camera::CameraRig>,
    cameras: Query<&Camera, With<crate::view::camera::MainCamera>>,
    budget: Res<StreamBudget>,
    terrain: Res<crate::stream::terrain::TerrainTiles>,
    mut tiles: ResMut<PlaneTiles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
    mut cut: Local<Vec<NodeId>>,
) {
    if !drapes.active() {
        return;
    }
    let ready = drapes.take(|owner| owner == PLANE_OWNER);
    let tiles = &mut *tiles;
    if tiles.plane.is_none() {
        if drapes.opening() || !store.all_loaded() || store.has_terrain() {
            return;
        }
        let Some((centre, size)) = base_plane_extent(&store) else {
            return;
        };
        tiles.plane = Some(PlaneQuadtree::new(centre, size, PLANE_FINEST_M));
        tiles.base = Some(materials.add(ground_material(view.ground_opacity)));
    }
    let (Some(plane), Some(base)) = (tiles.plane, tiles.base.clone()) else {
        return;
    };
    // Drapes that arrived: a tile's first makes it resident; later ones
    // sharpen it.
    for d in ready {
        let node = d.key.node;
        if let Some(t) = tiles.resident.get_mut(&node) {
            t.drape.receive(d, &base, &mut materials, &mut images);
            let edge = t.drape.shown as usize;
            tiles.streamer.set_bytes(node, edge * edge * 4);
            continue;
        }
        let Some(mut drape) = tiles.loading.remove(&node) else {
            continue;
        };
        let edge = d.size as usize;
        if !tiles.streamer.loaded(node, edge * edge * 4) {
            continue;
        }
        let Some(material) = drape.receive(d, &base, &mut materials, &mut images) else {
            continue;
        };
        let b = plane.node_bounds(node);
        let entity = commands
            .spawn((
                MeshMaterial3d(material.clone()),
                Transform::default(),
                GeoAnchor(DVec3::new(b.center().x, b.center().y, b.min.z)),
                BasePlane(material),
            ))
            .id();
        let mesh = meshes.add(plane_tile_mesh((b.max.x - b.min.x) as f32));
        tiles.resident.insert(
            node,
            PlaneTile {
                entity,
                mesh,
                drape,
                drawn: false,
            },
        );
    }
    let Some((viewport, _)) = crate::stream::view::stream_view(&rig, &cameras) else {
        return;
    };
    let viewport_h = f64::from(viewport.y);
    plane.select(rig.pose.eye, viewport_h, rig.fov_y, &drapes.lod, &mut cut);
    let eye = rig.pose.eye;
    let plan = tiles.streamer.update(
        &plane,
        &cut,
        |id| distance_to_bbox(&plane.node_bounds(id), eye),
        budget.bytes.saturating_sub(terrain.resident_bytes()),
        std::time::Instant::now(),
    );
    tiles.complete = plan.complete;
    let scale = projection_scale(viewport_h, rig.fov_y);
    let key = |node| DrapeKey {
        owner: PLANE_OWNER,
        node,
    };
    for &id in &plan.request {
        let b = plane.node_bounds(id);
        let mut drape = TileDrape::default();
        drape.update(&drapes, key(id), b, drape_size(&drapes.lod, &b, eye, scale));
        tiles.loading.insert(id, drape);
    }
    for id in &plan.cancel {
        tiles.loading.remove(id);
    }
    for id in &plan.evict {
        if let Some(t) = tiles.resident.remove(id) {
            commands.entity(t.entity).despawn();
            if let Some(m) = t.drape.material {
                materials.remove(&m);
            }
        }
    }
    let tiles = &mut *tiles;
    draw_exactly(
        &plan.draw,
        &mut tiles.last_draw,
        &mut tiles.resident,
        &mut commands,
    );
    for &id in &plan.draw {
        if let Some(t) = tiles.resident.get_mut(&id) {
            // Sharper imagery as the camera comes nearer.
            let b = plane.node_bounds(id);
            t.drape
                .update(&drapes, key(id), b, drape_size(&drapes.lod, &b, eye, scale));
        }
    }
    let draw: std::collections::HashSet<NodeId> = plan.draw.iter().copied().collect();
    let (loading, drawn) = (&tiles.loading, &draw);
    drapes.retain(|k| {
        k.owner != PLANE_OWNER || loading.contains_key(&k.node) || drawn.contains(&k.node)
    });
}

/// Once every layer has loaded: when no terrain came, the base plane (a
/// flat ground under the scene, faded with it by `underground`). With
/// basemaps the plane is drawn as draped tiles instead
/// ([`update_plane_tiles`]).
fn spawn_base_plane(
    mut commands: Commands,
    store: Res<SceneStore>,
    view: Res<UndergroundView>,
    drapes: Res<Drapes>,
    mut done: Local<bool>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    if *done || !store.all_loaded() || drapes.opening() {
        return;
    }
    *done = true;
    if store.has_terrain() || drapes.active() {
        return;
    }
    let Some((centre, size)) = base_plane_extent(&store) else {
        return;
    };
    let material = materials.add(ground_material(view.ground_opacity));
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(size as f32, size as f32))),
        MeshMaterial3d(material.clone()),
        Transform::default(),
        GeoAnchor(centre),
        BasePlane(material),
    ));
}
