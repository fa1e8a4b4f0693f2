//! Terrain from a DEM as chunked level-of-detail tiles (Ulrich 2002, see
//! `cim_core::lod::terrain`): every frame the camera selects a cut of the
//! layer's quadtree by screen-space error, and a
//! [`Streamer`](cim_core::lod::stream::Streamer) turns it into what to draw
//! and what to mesh: tiles are meshed on the task pool (a few at a time,
//! nearest first), uploaded within a per-frame vertex budget, drawn when
//! ready (their parent until then, so no holes), kept hidden while memory
//! allows and evicted least recently used over the [`StreamBudget`]. A
//! 10 000² DEM thus draws a few hundred thousand vertices instead of 10⁸. Colour: the hypsometric tint
//! (or the style's colour ramp over the DEM's range), optionally multiplied
//! by a baked hillshade (north-west light, 45°, as GIS hillshades are).

use crate::headless::frame_stats::{FrameStats, MeshStats, Stage, StageTimer};
use crate::render::layers::{LayerEntity, LayerMaterials};
use crate::scene::origin::GeoAnchor;
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use crate::stream::basemap::{DrapeKey, Drapes, TileDrape, drape_size};
use crate::stream::budget::StreamBudget;
use crate::stream::drawn::{Drawable, draw_exactly};
use crate::stream::uploads::{TellOnce, Uploads};
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::lod::drape::{distance_to_bbox, projection_scale};
use cim_core::lod::stream::{StreamPlan, Streamer};
use cim_core::lod::terrain::paged::{Page, PageRead, PagedTerrain, TileJob};
use cim_core::lod::terrain::{NodeId, TerrainMesh};
use cim_core::model::geometry::Bbox;
use cim_core::model::layer::{Layer, LayerKind};
use cim_core::scene::georef::RenderFrame;
use cim_core::style::color_ramp::ColorRamp;
use cim_core::style::terrain_shading;
use glam::DVec3;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Largest screen-space error of the surface, pixels.
pub const MAX_SCREEN_ERROR_PX: f64 = 2.0;

/// Meshing tasks under way per terrain layer at most.
const MAX_MESHING_IN_FLIGHT: usize = 8;
/// Pages of full-resolution cells being read per terrain layer at most.
const MAX_PAGE_READS: usize = 4;
/// A page that could not be read is asked for again after this long.
const PAGE_RETRY: std::time::Duration = std::time::Duration::from_secs(10);
/// Vertices uploaded per frame at most (all terrain layers): about 12 MB,
/// a few milliseconds of copying, so arriving tiles never stall a frame.
const UPLOAD_VERTICES_PER_FRAME: usize = 1 << 18;
/// Bytes per vertex of a tile mesh (position, normal, uv, colour) and per
/// index.
const VERTEX_BYTES: usize = 12 + 12 + 8 + 16;
const INDEX_BYTES: usize = 4;

/// One terrain layer: its tint (fixed until the layer is restyled, which
/// respawns it), the streaming bookkeeping of its quadtree, and the tiles
/// whose meshes are resident.
pub struct LayerTiles {
    /// The layer material the tiles were made with: a new one means the
    /// layer was respawned (restyled, reloaded), and its tiles are redrawn.
    material: Handle<StandardMaterial>,
    tint: Arc<Tint>,
    /// Tells meshes made for this layer from those made for an earlier
    /// spawn of it.
    generation: u64,
    /// The layer's quadtree, with the pages of full-resolution cells read
    /// so far when the layer is held as an overview.
    tree: PagedTerrain,
    streamer: Streamer<NodeId>,
    resident: HashMap<NodeId, ResidentTile>,
    /// The last plan was complete: every wanted tile drawn.
    complete: bool,
    /// The tiles the last plan drew.
    last_draw: Vec<NodeId>,
    /// A tile of this layer failed (told the user once; it is retried).
    told: TellOnce,
    /// Page roots whose page is being read.
    page_reads: HashSet<NodeId>,
    /// Page roots whose page could not be read, and when to try again.
    page_failures: HashMap<NodeId, Instant>,
}

/// A tile whose mesh is uploaded. Only drawn tiles carry `Mesh3d`; the
/// others wait, hidden, in case the view wants them back (or their
/// children need a stand-in).
struct ResidentTile {
    entity: Entity,
    mesh: Handle<Mesh>,
    mesh_bytes: usize,
    /// The page of full-resolution cells under it, if it is a page root
    /// whose page is in.
    page_bytes: usize,
    drawn: bool,
    /// Scene-CRS box of the mesh's surface (what its drape covers).
    bbox: Bbox,
    drape: TileDrape,
}

impl Drawable for ResidentTile {
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

/// A tile meshed on the task pool.
struct Meshed {
    layer: u64,
    generation: u64,
    node: NodeId,
    /// `None`: the tile holds no valid cell (nothing to draw); `Err`: the
    /// meshing panicked.
    mesh: Result<Option<(Mesh, Bbox, DVec3, usize)>, String>,
}

/// A page of full-resolution cells read on the task pool.
struct PageArrived {
    layer: u64,
    generation: u64,
    /// Its root.
    node: NodeId,
    page: Result<Arc<Page>, String>,
}

/// The terrain layers on screen, by slot id, and the tiles meshed off the
/// main thread waiting to be uploaded.
#[derive(Resource)]
pub struct TerrainTiles {
    layers: HashMap<u64, LayerTiles>,
    uploads: Uploads<Meshed>,
    page_tx: Sender<PageArrived>,
    page_rx: Mutex<Receiver<PageArrived>>,
    next_generation: u64,
}

impl Default for TerrainTiles {
    fn default() -> Self {
        let (page_tx, page_rx) = channel();
        TerrainTiles {
            layers: HashMap::new(),
            uploads: Uploads::default(),
            page_tx,
            page_rx: Mutex::new(page_rx),
            next_generation: 0,
        }
    }
}

impl TerrainTiles {
    /// Whether every terrain layer of `store` draws all the tiles its view
    /// wants (what a snapshot waits for).
    pub fn settled(&self, store: &SceneStore) -> bool {
        store
            .layers
            .iter()
            .filter(|s| s.state == SlotState::Ready && s.spawned && s.kind() == LayerKind::Terrain)
            .all(|s| self.layers.get(&s.id).is_some_and(|t| t.complete))
    }

    /// Bytes of terrain meshes and drapes resident, all layers.
    pub fn resident_bytes(&self) -> usize {
        self.layers
            .values()
            .map(|t| t.streamer.resident_bytes())
            .sum()
    }
}

pub struct TerrainPlugin;

impl Plugin for TerrainPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TerrainTiles>()
            .init_resource::<StreamBudget>()
            .add_systems(
                Update,
                update_terrain_lod.after(crate::render::layer_meshing::start_builds),
            );
    }
}

/// How a terrain layer is coloured.
#[derive(Clone)]
struct Tint {
    ramp: Option<(ColorRamp, f32, f32)>,
    hillshade: bool,
    /// Imagery gives the colour: vertices carry only the hillshade.
    draped: bool,
}

impl Tint {
    /// The style's ramp over the DEM's range; without one, the fixed
    /// lowland tint suits coastal cities (as the demo), and the hypsometric
    /// `terrain` ramp anything with more relief.
    fn for_layer(
        style: &cim_core::scene::Style,
        grid: &cim_core::model::grid::Grid,
        draped: bool,
    ) -> Tint {
        let range = grid.min_max();
        let ramp_name = style
            .theme
            .as_ref()
            .and_then(|t| t.ramp.clone())
            .or_else(|| (range.is_some_and(|r| r.1 > 150.0)).then(|| "terrain".to_owned()));
        Tint {
            ramp: ramp_name.and_then(|name| {
                let r = ColorRamp::by_name(&name)?;
                let (lo, hi) = range?;
                Some((r, lo, hi))
            }),
            hillshade: style.hillshade.unwrap_or(false),
            draped,
        }
    }

    fn color(&self, h: f32, n: DVec3) -> [f32; 4] {
        let mut c = match &self.ramp {
            _ if self.draped => [1.0; 4],
            Some((r, lo, hi)) => {
                let s = r.sample(((h - lo) / (hi - lo).max(1e-6)).clamp(0.0, 1.0));
                let l = Color::srgba_u8(s[0], s[1], s[2], 255).to_linear();
                [l.red, l.green, l.blue, 1.0]
            }
            None => crate::render::mesh::terrain_color(h),
        };
        if self.hillshade {
            // GIS hillshade's usual light: azimuth 315°, altitude 45°.
            let sun = terrain_shading::sun_direction(315.0, 45.0);
            let k =
                terrain_shading::shade_factor(terrain_shading::shade_of_normal(n.to_array(), sun));
            for v in &mut c[..3] {
                *v *= k;
            }
        }
        c
    }
}

/// The scene-CRS box of a tile's vertices (x and y; z is the anchor's).
fn mesh_bbox(m: &TerrainMesh) -> Bbox {
    let mut b = Bbox::EMPTY;
    for p in &m.positions {
        b.extend(m.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0));
    }
    b
}

/// A Bevy mesh from a terrain tile (scene axes → render axes). Draped
/// tiles get UVs over their own box (north-up), to take a drape of it.
fn tile_mesh(mut m: TerrainMesh, tint: &Tint, bbox: &Bbox) -> Mesh {
    if tint.draped {
        let (w, h) = (
            (bbox.max.x - bbox.min.x).max(1e-9),
            (bbox.max.y - bbox.min.y).max(1e-9),
        );
        for (uv, p) in m.uvs.iter_mut().zip(&m.positions) {
            let q = m.anchor + DVec3::new(p[0] as f64, p[1] as f64, 0.0);
            *uv = [
                ((q.x - bbox.min.x) / w) as f32,
                ((bbox.max.y - q.y) / h) as f32,
            ];
        }
    }
    let anchor_z = m.anchor.z as f32;
    let colors: Vec<[f32; 4]> = m
        .positions
        .iter()
        .zip(&m.normals)
        .map(|(p, n)| {
            tint.color(
                p[2] + anchor_z,
                DVec3::new(n[0] as f64, n[1] as f64, n[2] as f64),
            )
        })
        .collect();
    let to_render = RenderFrame::offset_to_render;
    let positions: Vec<[f32; 3]> = m.positions.iter().map(to_render).collect();
    let normals: Vec<[f32; 3]> = m.normals.iter().map(to_render).collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, m.uvs)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
    .with_inserted_indices(Indices::U32(m.indices))
}

/// Makes tile `node` of a terrain layer on the task pool and sends it to
/// `tx` (a panic in the meshing is sent as a failure, so the tile is
/// retried later rather than waited for forever).
fn spawn_meshing(
    tx: Sender<Meshed>,
    (layer_id, generation): (u64, u64),
    job: TileJob,
    layer: Arc<Layer>,
    tint: Arc<Tint>,
    node: NodeId,
) {
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let mesh = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let m = job.run(layer.grid()?);
                if m.indices.is_empty() {
                    return None;
                }
                let (anchor, bbox) = (m.anchor, mesh_bbox(&m));
                let bytes = m.positions.len() * VERTEX_BYTES + m.indices.len() * INDEX_BYTES;
                Some((tile_mesh(m, &tint, &bbox), bbox, anchor, bytes))
            }))
            .map_err(|_| format!("tile {node:?}: meshing failed"));
            // The receiver is gone only when the app is.
            let _ = tx.send(Meshed {
                layer: layer_id,
                generation,
                node,
                mesh,
            });
        })
        .detach();
}

/// Reads a page of full-resolution cells on the task pool.
fn spawn_page_read(
    tx: Sender<PageArrived>,
    (layer, generation): (u64, u64),
    read: PageRead,
    node: NodeId,
) {
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let page = std::panic::catch_unwind(AssertUnwindSafe(|| read.run()))
                .unwrap_or_else(|_| Err(format!("page {node:?}: reading failed")));
            let _ = tx.send(PageArrived {
                layer,
                generation,
                node,
                page,
            });
        })
        .detach();
}

impl Meshed {
    fn vertex_count(&self) -> usize {
        match &self.mesh {
            Ok(Some((_, _, _, bytes))) => bytes / VERTEX_BYTES,
            _ => 0,
        }
    }
}

/// What a layer's tiles are spawned with.
struct Spawn<'a> {
    layer: u64,
    material: &'a Handle<StandardMaterial>,
    visibility: Visibility,
}

impl LayerTiles {
    fn new(
        material: Handle<StandardMaterial>,
        tint: Tint,
        generation: u64,
        tree: PagedTerrain,
    ) -> LayerTiles {
        LayerTiles {
            material,
            tint: Arc::new(tint),
            generation,
            tree,
            streamer: Streamer::new(MAX_MESHING_IN_FLIGHT),
            resident: HashMap::new(),
            complete: false,
            last_draw: Vec::new(),
            told: TellOnce::default(),
            page_reads: HashSet::new(),
            page_failures: HashMap::new(),
        }
    }

    /// Hands meshes that arrived to the streamer; accepted ones become
    /// (not yet drawn) entities. Returns the first failure of the layer's
    /// tiles, to tell the user.
    fn receive(
        &mut self,
        arrived: Vec<Meshed>,
        spawn: &Spawn,
        now: Instant,
        commands: &mut Commands,
        meshes: &mut Assets<Mesh>,
    ) -> Option<String> {
        let mut first_failure = None;
        for m in arrived {
            if m.generation != self.generation {
                continue;
            }
            match m.mesh {
                Err(e) => {
                    self.streamer.failed(m.node, now);
                    first_failure = first_failure.or(self.told.failure("terrain", e));
                }
                Ok(None) => {
                    self.streamer.loaded(m.node, 0);
                }
                Ok(Some((mesh, bbox, anchor, bytes))) => {
                    if !self.streamer.loaded(m.node, bytes) {
                        continue;
                    }
                    let entity = commands
                        .spawn((
                            MeshStats::of(&mesh),
                            MeshMaterial3d(spawn.material.clone()),
                            Transform::default(),
                            spawn.visibility,
                            GeoAnchor(anchor),
                            LayerEntity(spawn.layer),
                        ))
                        .id();
                    self.resident.insert(
                        m.node,
                        ResidentTile {
                            entity,
                            mesh: meshes.add(mesh),
                            mesh_bytes: bytes,
                            page_bytes: 0,
                            drawn: false,
                            bbox,
                            drape: TileDrape::default(),
                        },
                    );
                }
            }
        }
        first_failure
    }

    /// Takes the pages that arrived: a page whose root is still resident
    /// joins the tree (and counts against the budget with it). Returns the
    /// first failure of the layer, to tell the user.
    fn receive_pages(&mut self, arrived: Vec<PageArrived>, now: Instant) -> Option<String> {
        let mut first_failure = None;
        for p in arrived {
            if p.generation != self.generation {
                continue;
            }
            self.page_reads.remove(&p.node);
            match p.page {
                Ok(page) => {
                    let Some(t) = self.resident.get_mut(&p.node) else {
                        continue;
                    };
                    t.page_bytes = page.bytes();
                    let texels = (t.drape.shown as usize).pow(2);
                    self.streamer
                        .set_bytes(p.node, t.mesh_bytes + t.page_bytes + texels * 4);
                    self.tree.insert_page(p.node, page);
                }
                Err(e) => {
                    self.page_failures.insert(p.node, now + PAGE_RETRY);
                    first_failure = first_failure.or(self.told.failure("terrain", e));
                }
            }
        }
        first_failure
    }

    /// Starts reading the pages of the resident page roots of `cut` that
    /// `view` would refine, nearest first, a few at a time. Returns whether
    /// any such page is still to come (not counting pages that failed and
    /// wait to be tried again).
    fn request_pages(
        &mut self,
        cut: &[NodeId],
        view: &cim_core::lod::LodView,
        now: Instant,
        tx: &Sender<PageArrived>,
        owner: (u64, u64),
    ) -> bool {
        use cim_core::lod::LodTree;
        self.page_failures.retain(|_, retry| *retry > now);
        let mut wanted: Vec<(f64, NodeId)> = cut
            .iter()
            .copied()
            .filter(|&id| {
                self.tree.is_page_root(id)
                    && !self.tree.has_page(id)
                    && !self.page_failures.contains_key(&id)
                    && view.wants_split(self.tree.geometric_error(id), &self.tree.bounds(id))
            })
            .map(|id| (distance_to_bbox(&self.tree.bounds(id), view.camera), id))
            .collect();
        let pending = !wanted.is_empty();
        wanted.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, id) in wanted {
            if self.page_reads.len() >= MAX_PAGE_READS {
                break;
            }
            // A page joins the tree with its root's content.
            if self.page_reads.contains(&id) || !self.streamer.is_resident(id) {
                continue;
            }
            if let Some(read) = self.tree.page_read(id) {
                self.page_reads.insert(id);
                spawn_page_read(tx.clone(), owner, read, id);
            }
        }
        pending
    }

    /// Draws exactly the plan's tiles: `Mesh3d` on those entering it, off
    /// those leaving it. Evicted tiles are despawned; the materials of
    /// their drapes are returned.
    fn apply(
        &mut self,
        plan: &StreamPlan<NodeId>,
        commands: &mut Commands,
    ) -> Vec<Handle<StandardMaterial>> {
        let mut dropped = Vec::new();
        for id in &plan.evict {
            self.tree.forget(*id);
            if let Some(t) = self.resident.remove(id) {
                commands.entity(t.entity).despawn();
                dropped.extend(t.drape.material);
            }
        }
        draw_exactly(
            &plan.draw,
            &mut self.last_draw,
            &mut self.resident,
            commands,
        );
        dropped
    }
}

#[allow(clippy::too_many_arguments)]
fn update_terrain_lod(
    mut commands: Commands,
    store: Res<SceneStore>,
    rig: Res<crate::view::camera::CameraRig>,
    cameras: Query<&Camera, With<crate::view::camera::MainCamera>>,
    drapes: Res<Drapes>,
    budget: Res<StreamBudget>,
    mut layer_materials: ResMut<LayerMaterials>,
    mut tiles: ResMut<TerrainTiles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
    mut cut: Local<Vec<NodeId>>,
    stats: Option<Res<FrameStats>>,
    mut store_commands: MessageWriter<StoreCommand>,
) {
    let _timer = StageTimer::start(stats.as_deref(), Stage::Lod);
    let Some((viewport, frustum)) = crate::stream::view::stream_view(&rig, &cameras) else {
        return;
    };
    let viewport_h = viewport.y as f64;
    let tiles = &mut *tiles;
    // Forget layers that went away (their entities are despawned with
    // the layer).
    tiles
        .layers
        .retain(|id, _| store.slot(*id).is_some_and(|s| s.spawned));
    let mut uploads = tiles
        .uploads
        .take(UPLOAD_VERTICES_PER_FRAME, Meshed::vertex_count);
    let mut pages: Vec<PageArrived> = tiles
        .page_rx
        .lock()
        .map(|rx| rx.try_iter().collect())
        .unwrap_or_default();
    let mut ready: HashMap<u64, Vec<crate::stream::basemap::Drape>> = HashMap::new();
    for d in drapes.take(|owner| owner != crate::stream::basemap::PLANE_OWNER) {
        ready.entry(d.key.owner).or_default().push(d);
    }
    let drape_lod = drapes.active().then_some(&drapes.lod);
    let scale = projection_scale(viewport_h, rig.fov_y);
    let now = Instant::now();
    for slot in &store.layers {
        if slot.state != SlotState::Ready || !slot.spawned || slot.kind() != LayerKind::Terrain {
            continue;
        }
        let (Some(overview), Some(layer)) = (&slot.terrain, &slot.layer) else {
            continue;
        };
        let Some(grid) = layer.grid() else { continue };
        let Some(material) = layer_materials
            .0
            .get(&slot.id)
            .and_then(|m| m.first())
            .map(|m| m.0.clone())
        else {
            continue;
        };
        let view = cim_core::lod::LodView {
            camera: rig.pose.eye,
            viewport_height_px: viewport_h,
            fov_y_rad: rig.fov_y,
            max_screen_error_px: MAX_SCREEN_ERROR_PX,
            drape: drape_lod,
            frustum: Some(&frustum),
        };
        // Respawned, or basemaps that failed to open (redraw in the
        // terrain's own colours): the tiles are made anew.
        if let Some(t) = tiles.layers.get(&slot.id)
            && (t.material != material || t.tint.draped != drapes.active())
        {
            for shown in t.resident.values() {
                commands.entity(shown.entity).despawn();
            }
            tiles.layers.remove(&slot.id);
            if let Some(list) = layer_materials.0.get_mut(&slot.id) {
                list.truncate(1);
            }
        }
        if !tiles.layers.contains_key(&slot.id) {
            let tint = Tint::for_layer(&slot.reference.style, grid, drapes.active());
            tiles.next_generation += 1;
            let tree = PagedTerrain::new(
                overview.clone(),
                grid,
                slot.terrain_detail.as_ref().map(|d| d.0.clone()),
            );
            let t = LayerTiles::new(material.clone(), tint, tiles.next_generation, tree);
            tiles.layers.insert(slot.id, t);
        }
        // The budget left by the other terrain layers.
        let others: usize = tiles
            .layers
            .iter()
            .filter(|(id, _)| **id != slot.id)
            .map(|(_, t)| t.streamer.resident_bytes())
            .sum();
        let Some(on_screen) = tiles.layers.get_mut(&slot.id) else {
            continue;
        };
        let visibility = if slot.reference.visible {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        let mine;
        (mine, uploads) = uploads.into_iter().partition(|m| m.layer == slot.id);
        let spawn = Spawn {
            layer: slot.id,
            material: &material,
            visibility,
        };
        let mut failure = on_screen.receive(mine, &spawn, now, &mut commands, &mut meshes);
        let pages_in;
        (pages_in, pages) = pages.into_iter().partition(|p| p.layer == slot.id);
        failure = failure.or(on_screen.receive_pages(pages_in, now));
        if let Some(e) = failure {
            store_commands.write(StoreCommand::Notify(Notice {
                error: true,
                text: format!(
                    "layer `{}`: part of the terrain cannot be read at full resolution and is \
                     shown coarser there (retried): {e}",
                    slot.reference.name
                ),
            }));
        }
        // Selected after the arrivals: a page that came this frame is
        // refined into at once.
        let tree = &on_screen.tree;
        cim_core::lod::select(tree, &view, &mut cut);
        let eye = rig.pose.eye;
        let plan = on_screen.streamer.update(
            tree,
            &cut,
            |id| distance_to_bbox(&cim_core::lod::LodTree::bounds(tree, id), eye),
            budget.bytes.saturating_sub(others),
            now,
        );
        // Pages for the page roots drawn that the view would refine.
        let pages_pending = on_screen.request_pages(
            &cut,
            &view,
            now,
            &tiles.page_tx,
            (slot.id, on_screen.generation),
        );
        on_screen.complete = plan.complete && !pages_pending;
        for &node in &plan.request {
            match on_screen.tree.job(node) {
                Some(job) => spawn_meshing(
                    tiles.uploads.sender(),
                    (slot.id, on_screen.generation),
                    job,
                    layer.clone(),
                    on_screen.tint.clone(),
                    node,
                ),
                None => on_screen.streamer.failed(node, now),
            }
        }
        let dropped = on_screen.apply(&plan, &mut commands);
        // Drapes that arrived for resident tiles become their texture.
        for d in ready.remove(&slot.id).unwrap_or_default() {
            let node = d.key.node;
            let Some(t) = on_screen.resident.get_mut(&node) else {
                continue;
            };
            if let Some(h) = t.drape.receive(d, &material, &mut materials, &mut images) {
                layer_materials
                    .0
                    .entry(slot.id)
                    .or_default()
                    .push((h.clone(), 1.0));
                commands.entity(t.entity).insert(MeshMaterial3d(h));
            }
            let texels = (t.drape.shown as usize).pow(2);
            on_screen
                .streamer
                .set_bytes(node, t.mesh_bytes + t.page_bytes + texels * 4);
        }
        if !dropped.is_empty()
            && let Some(list) = layer_materials.0.get_mut(&slot.id)
        {
            list.retain(|(h, _)| !dropped.contains(h));
        }
        // Imagery for what is drawn, at the size its distance needs.
        let drawn: HashSet<NodeId> = plan.draw.iter().copied().collect();
        drapes.retain(|k| k.owner != slot.id || drawn.contains(&k.node));
        if let Some(lod) = drape_lod {
            for &id in &plan.draw {
                if let Some(t) = on_screen.resident.get_mut(&id) {
                    let want = drape_size(lod, &t.bbox, rig.pose.eye, scale);
                    let key = DrapeKey {
                        owner: slot.id,
                        node: id,
                    };
                    t.drape.update(&drapes, key, t.bbox, want);
                }
            }
        }
    }
    // Pages for layers not handled this frame join them now (or are
    // dropped with a layer since gone or respawned).
    for p in pages {
        if let Some(t) = tiles.layers.get_mut(&p.layer) {
            t.receive_pages(vec![p], now);
        }
    }
    // Meshes for layers not handled this frame wait for the next one;
    // those made for a layer since gone or respawned are dropped.
    let layers = &tiles.layers;
    tiles.uploads.put_back(uploads, |m| {
        layers
            .get(&m.layer)
            .is_some_and(|t| t.generation == m.generation)
    });
}

#[cfg(test)]
mod tests;
