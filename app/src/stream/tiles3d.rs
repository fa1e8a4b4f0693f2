//! Tileset layers (3D Tiles) streamed through the level-of-detail core:
//! every frame the camera selects a cut of the placed tile tree by
//! screen-space error (`cim_core::lod::select` over
//! the layer's [`StreamedTree`], request volumes honoured, frustum-culled;
//! the tree grows where the view wants to refine a tile whose children
//! were deferred, a few branches read at a time, nearest first), and the
//! layer's [`Streamer`] plans the frame — parents drawn until their
//! children are in (REPLACE), ancestors refined by ADD drawn with their
//! descendants, loads nearest first, LRU eviction over what the
//! [`StreamBudget`] leaves. A tile's contents are read, placed in the scene
//! CRS (PROJ, f64) and turned into meshes on the task pool; arrivals are
//! uploaded within a per-frame byte budget. A tile that cannot be read is
//! told once and retried with backoff; its parent stands in meanwhile.

use crate::headless::frame_stats::{FrameStats, MeshStats, Stage, StageTimer};
use crate::render::layers::{LayerEntity, LayerMaterials};
use crate::scene::origin::GeoAnchor;
use crate::scene::store::{Notice, SceneStore, SlotState, StoreCommand};
use crate::stream::budget::StreamBudget;
use crate::stream::drawn::{Drawable, draw_exactly};
use crate::stream::uploads::{TellOnce, Uploads};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::lod::LodTree;
use cim_core::lod::drape::distance_to_bbox;
use cim_core::lod::pick_content::Pickable;
use cim_core::lod::shared_bytes::SharedBytes;
use cim_core::lod::stream::{StreamPlan, Streamer};
use cim_core::lod::streamed_tree::StreamedTree;
use cim_core::lod::tile_source::TileLayer;
use cim_core::lod::tileset::{Refine, TileId};
use cim_core::model::layer::LayerKind;
use cim_core::style::conditions::ConditionalStyle;
pub use pick::{FeatureHit, TileAbout, TileHit};
use read::{Arrived, Cancel, Expanded, ReadFor, TileRead, spawn_expand, spawn_read};
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::Instant;
use styling::{LayerLook, Materials, Part, Styled, TableLooks};

/// Largest screen-space error of drawn tiles, pixels.
pub use cim_core::lod::tile_source::MAX_SCREEN_ERROR_PX;
/// Tiles being read per tileset at most.
const MAX_READS_IN_FLIGHT: usize = 8;
/// Deferred branches being read per tileset at most.
const MAX_EXPANSIONS_IN_FLIGHT: usize = 4;
/// Bytes (vertices, indices and textures) uploaded per frame at most, all
/// tilesets: a textured photogrammetry tile is mostly texture, and a frame
/// that uploads dozens of them grows the GPU's staging memory by hundreds
/// of megabytes (seen on lavapipe).
const UPLOAD_BYTES_PER_FRAME: usize = 32 << 20;

/// One tileset layer on screen.
struct LayerStream {
    tiles: TileLayer,
    /// The source's tree as far as it has been read, placed.
    tree: StreamedTree,
    /// Branches of it that could not be read, told once.
    tree_told: TellOnce,
    /// The layer's own material when the stream began: a new one means
    /// the layer was respawned (restyled, reloaded), which despawned every
    /// entity of it, tiles included.
    layer_material: Option<Handle<StandardMaterial>>,
    /// Tells content read for this spawn of the layer from an earlier one.
    generation: u64,
    streamer: Streamer<TileId>,
    resident: HashMap<TileId, Resident>,
    complete: bool,
    last_draw: Vec<TileId>,
    told: TellOnce,
    /// The layer's show and colour conditions, the slot's `style_tick`
    /// they were taken at, and the look the materials were given.
    conditions: Option<Arc<ConditionalStyle>>,
    style_tick: u64,
    look: LayerLook,
    /// Reads under way, to cancel when the plan no longer wants them.
    reads: HashMap<TileId, Cancel>,
    /// A restyle of the resident meshes is being worked out.
    restyling: bool,
    /// The GPU images its resident tiles share, each charged to them in
    /// equal parts.
    shared: SharedBytes<AssetId<Image>, TileId>,
}

/// A stream gone (its layer removed, respawned or reloaded) wants none of
/// its reads.
impl Drop for LayerStream {
    fn drop(&mut self) {
        for c in self.reads.values() {
            c.store(true, Ordering::Relaxed);
        }
    }
}

/// A tile whose content is uploaded: one entity per mesh, drawn (with
/// `Mesh3d`) only while the plan says, and its geometry for picking.
struct Resident {
    /// Bytes of its own (its textures' share is in `LayerStream::shared`).
    bytes: usize,
    parts: Vec<Part>,
    /// The looks of the features of each of its tables its meshes use.
    looks: Vec<TableLooks>,
    drawn: bool,
    pick: Option<Arc<Pickable>>,
}

impl Drawable for Resident {
    fn is_drawn(&self) -> bool {
        self.drawn
    }
    fn set_drawn(&mut self, drawn: bool) {
        self.drawn = drawn;
    }
    fn parts(&self) -> Vec<(Entity, Handle<Mesh>)> {
        self.parts
            .iter()
            .map(|p| (p.entity, p.mesh.clone()))
            .collect()
    }
}

impl Resident {
    /// Gives every mesh the looks `conditions` give its features.
    fn restyle(
        &mut self,
        conditions: Option<&ConditionalStyle>,
        look: LayerLook,
        m: &mut Materials,
    ) {
        let tables = self.pick.as_ref().map_or(&[][..], |p| p.tables.as_slice());
        let new = styling::style_tables(conditions, tables, self.looks.iter().map(|l| l.table));
        m.restyle(&mut self.looks, new, &self.parts, look);
    }
}

/// New looks for a layer's resident meshes, worked out on the task pool
/// after a restyle: per tile, one per part.
struct Restyled {
    layer: u64,
    generation: u64,
    style_tick: u64,
    tiles: Vec<(TileId, Vec<Styled>)>,
}

/// The tileset layers on screen, by slot id, and the content read off the
/// main thread waiting to be uploaded.
#[derive(Resource, Default)]
pub struct TilesetStreams {
    layers: HashMap<u64, LayerStream>,
    uploads: Uploads<Arrived>,
    restyles: Uploads<Restyled>,
    expansions: Uploads<Expanded>,
    next_generation: u64,
    /// Moves when the drawn content changes (what picking depends on).
    revision: u64,
}

impl TilesetStreams {
    /// Whether every visible tileset draws all the tiles its view wants,
    /// in its current style (what a snapshot waits for).
    pub fn settled(&self, store: &SceneStore) -> bool {
        store
            .layers
            .iter()
            .filter(|s| {
                s.state == SlotState::Ready
                    && s.spawned
                    && s.reference.visible
                    && s.kind() == LayerKind::Tiles
            })
            .all(|s| {
                self.layers
                    .get(&s.id)
                    .is_some_and(|t| t.complete && !t.restyling)
            })
    }

    /// Moves whenever the drawn tiles change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Bytes of resident tile content kept in main memory, all tilesets:
    /// the geometry and properties picking reads (the rest of
    /// [`TilesetStreams::resident_bytes`] is on the GPU).
    pub fn resident_cpu_bytes(&self) -> usize {
        self.layers
            .values()
            .flat_map(|l| l.resident.values())
            .filter_map(|r| r.pick.as_deref())
            .map(Pickable::bytes)
            .sum()
    }

    /// Bytes of tile content resident, all tilesets.
    pub fn resident_bytes(&self) -> usize {
        self.layers
            .values()
            .map(|t| t.streamer.resident_bytes())
            .sum()
    }
}

pub struct Tiles3dPlugin;

impl Plugin for Tiles3dPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TilesetStreams>()
            .init_resource::<styling::TextureImages>()
            .init_resource::<StreamBudget>()
            .add_systems(
                Update,
                update_tilesets.after(crate::render::layer_meshing::start_builds),
            );
    }
}

/// What a layer's tiles are spawned with.
struct Spawn {
    layer: u64,
    visibility: Visibility,
}

impl LayerStream {
    /// Hands arrived content to the streamer; accepted content becomes
    /// (not yet drawn) entities. Returns the first failure, to tell.
    fn receive(
        &mut self,
        arrived: Vec<Arrived>,
        spawn: &Spawn,
        now: Instant,
        commands: &mut Commands,
        meshes: &mut Assets<Mesh>,
        materials: &mut Materials,
    ) -> Option<String> {
        let mut first_failure = None;
        for a in arrived {
            if a.generation != self.generation {
                continue;
            }
            // Only the tile's current read counts (a cancelled one may have
            // finished just before it was cancelled).
            if !self
                .reads
                .get(&a.tile)
                .is_some_and(|r| Arc::ptr_eq(r, &a.read))
            {
                continue;
            }
            self.reads.remove(&a.tile);
            match a.content {
                Err(e) => {
                    self.streamer.failed(a.tile, now);
                    first_failure = first_failure.or(self.told.failure("tileset", e));
                }
                Ok(p) => {
                    if !self.streamer.loaded(a.tile, p.bytes) {
                        continue;
                    }
                    let looks: Vec<TableLooks> = p
                        .looks
                        .into_iter()
                        .map(|(table, styled)| materials.table_looks(table, styled))
                        .collect();
                    let mut parts = Vec::new();
                    let mut textures = Vec::new();
                    for m in p.meshes {
                        let Some(of) = looks.get(m.looks) else {
                            continue;
                        };
                        if let Some(t) = materials.texture_of(&m.material)
                            && !textures.contains(&t)
                        {
                            textures.push(t);
                        }
                        let material = materials.add(&m.material, of, self.look);
                        let mut entity = commands.spawn((
                            MeshStats::of(&m.mesh),
                            Transform::default(),
                            spawn.visibility,
                            GeoAnchor(p.anchor),
                            LayerEntity(spawn.layer),
                        ));
                        material.insert(&mut entity);
                        let entity = entity.id();
                        parts.push(Part {
                            entity,
                            mesh: meshes.add(m.mesh),
                            material,
                            looks: m.looks,
                            alpha: m.material.alpha,
                            base_alpha: m.material.base_color[3],
                        });
                    }
                    let mut resident = Resident {
                        bytes: p.bytes,
                        parts,
                        looks,
                        drawn: false,
                        pick: Some(p.pick),
                    };
                    // Restyled while it was being read.
                    if a.style_tick != self.style_tick {
                        resident.restyle(self.conditions.as_deref(), self.look, materials);
                    }
                    self.resident.insert(a.tile, resident);
                    let changed = self.shared.hold(a.tile, textures);
                    self.recharge(changed);
                }
            }
        }
        first_failure
    }

    /// Charges `tiles` their own bytes and their share of the images they
    /// use, after the images' holders changed.
    fn recharge(&mut self, tiles: Vec<TileId>) {
        for t in tiles {
            if let Some(r) = self.resident.get(&t) {
                let bytes = r.bytes + self.shared.charge(t);
                self.streamer.set_bytes(t, bytes);
            }
        }
    }

    /// Follows the layer's opacity and point size (every resident mesh's
    /// material, at once) and its style: the looks of the resident meshes
    /// are worked out anew on the task pool (a city's worth of features
    /// takes a while) and sent to `tx`; reads started from now on use the
    /// new conditions.
    fn follow_style(
        &mut self,
        styled: Option<&crate::scene::derived::Styled>,
        look: LayerLook,
        materials: &mut Materials,
        (layer, tx): (u64, Sender<Restyled>),
    ) {
        if look != self.look {
            self.look = look;
            for r in self.resident.values() {
                for part in &r.parts {
                    if let Some(l) = r.looks.get(part.looks) {
                        materials.set_look(part, &l.styled, look);
                    }
                }
            }
        }
        let Some(s) = styled.filter(|s| s.style_tick != self.style_tick) else {
            return;
        };
        self.style_tick = s.style_tick;
        self.conditions = s.tile_conditions.clone();
        let tiles: Vec<(TileId, Arc<Pickable>, Vec<Option<u32>>)> = self
            .resident
            .iter()
            .filter_map(|(id, r)| {
                Some((
                    *id,
                    r.pick.clone()?,
                    r.looks.iter().map(|l| l.table).collect(),
                ))
            })
            .collect();
        // Nothing resident: nothing to wait for (an earlier restyle's
        // result, for an older tick, will be dropped).
        self.restyling = !tiles.is_empty();
        if tiles.is_empty() {
            return;
        }
        let (generation, style_tick) = (self.generation, self.style_tick);
        let conditions = self.conditions.clone();
        AsyncComputeTaskPool::get()
            .spawn(async move {
                // A panic sends no looks, but still ends the restyle.
                let tiles = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    tiles
                        .into_iter()
                        .map(|(id, pick, which)| {
                            let c = conditions.as_deref();
                            (id, styling::style_tables(c, &pick.tables, which))
                        })
                        .collect()
                }))
                .unwrap_or_default();
                let _ = tx.send(Restyled {
                    layer,
                    generation,
                    style_tick,
                    tiles,
                });
            })
            .detach();
    }

    /// Gives the resident meshes the looks worked out for the current
    /// style (tiles evicted meanwhile are passed over).
    fn restyled(&mut self, r: Restyled, materials: &mut Materials) {
        if r.generation != self.generation || r.style_tick != self.style_tick {
            return;
        }
        self.restyling = false;
        for (tile, looks) in r.tiles {
            let Some(resident) = self.resident.get_mut(&tile) else {
                continue;
            };
            if resident.looks.len() != looks.len() {
                continue;
            }
            materials.restyle(&mut resident.looks, looks, &resident.parts, self.look);
        }
    }

    /// Grafts the branches read for this spawn of the layer; returns the
    /// first thing wrong, to tell (a branch that cannot be read leaves its
    /// tile a leaf).
    fn grow(&mut self, arrived: Vec<Expanded>) -> Option<String> {
        let mut first = None;
        for w in self.tree.take_problems() {
            first = first.or(self.tree_told.failure("tileset tree", w));
        }
        for e in arrived {
            if e.generation != self.generation {
                continue;
            }
            let wrong = match self.tree.graft(e.tile, e.branch) {
                Ok(problems) => problems,
                Err(e) => vec![e],
            };
            for w in wrong {
                first = first.or(self.tree_told.failure("tileset tree", w));
            }
        }
        first
    }

    /// Starts reading the deferred children of the tiles of `cut` that
    /// `view` would refine, nearest first, a few at a time. Returns
    /// whether any are wanted or under way (the view is not complete).
    fn expand(
        &mut self,
        cut: &[TileId],
        view: &cim_core::lod::LodView,
        (layer, tx): (u64, &Sender<Expanded>),
    ) -> bool {
        let wanted = self.tree.wanted(cut, view);
        for id in &wanted {
            if self.tree.expanding() >= MAX_EXPANSIONS_IN_FLIGHT {
                break;
            }
            if let Some(tile) = self.tree.begin(*id) {
                let to = (layer, self.generation);
                spawn_expand(tx.clone(), to, self.tiles.source.clone(), *id, tile);
            }
        }
        !wanted.is_empty() || self.tree.expanding() > 0
    }

    /// Draws exactly the plan's tiles; despawns evicted ones. Returns
    /// whether what is drawn changed.
    fn apply(&mut self, plan: &StreamPlan<TileId>, commands: &mut Commands) -> bool {
        for id in &plan.cancel {
            if let Some(c) = self.reads.remove(id) {
                c.store(true, Ordering::Relaxed);
            }
        }
        for id in &plan.evict {
            if let Some(r) = self.resident.remove(id) {
                for p in r.parts {
                    commands.entity(p.entity).try_despawn();
                }
            }
            let changed = self.shared.release(*id);
            self.recharge(changed);
        }
        let changed = draw_exactly(
            &plan.draw,
            &mut self.last_draw,
            &mut self.resident,
            commands,
        );
        changed || !plan.evict.is_empty()
    }
}

/// What a tileset layer sets for all its meshes.
fn layer_look(slot: &crate::scene::store::LayerSlot) -> LayerLook {
    let size = slot.reference.style.point_size.map(|s| s as f32);
    LayerLook {
        opacity: slot.reference.opacity,
        point_px: size
            .filter(|s| s.is_finite())
            .unwrap_or(crate::render::point_cloud::DEFAULT_POINT_PX)
            .clamp(1.0, crate::render::point_cloud::MAX_POINT_PX),
    }
}

/// Ancestors of the cut whose children add to them (refine ADD) and that
/// hold content: drawn with their descendants.
fn additive_ancestors(tree: &StreamedTree, cut: &[TileId]) -> Vec<TileId> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for &id in cut {
        let mut a = tree.tile(id).parent;
        while let Some(p) = a {
            if !seen.insert(p) {
                break;
            }
            let t = tree.tile(p);
            if t.refine == Refine::Add && !t.contents.is_empty() {
                out.push(p);
            }
            a = t.parent;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn update_tilesets(
    mut commands: Commands,
    store: Res<SceneStore>,
    rig: Res<crate::view::camera::CameraRig>,
    cameras: Query<&Camera, With<crate::view::camera::MainCamera>>,
    budget: Res<StreamBudget>,
    terrain: Res<crate::stream::terrain::TerrainTiles>,
    layer_materials: Res<LayerMaterials>,
    styles: Res<crate::scene::derived::StyleResults>,
    mut streams: ResMut<TilesetStreams>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: Materials,
    mut cut: Local<Vec<TileId>>,
    stats: Option<Res<FrameStats>>,
    mut store_commands: MessageWriter<StoreCommand>,
) {
    let _timer = StageTimer::start(stats.as_deref(), Stage::Lod);
    let Some((viewport, frustum)) = crate::stream::view::stream_view(&rig, &cameras) else {
        return;
    };
    let view = cim_core::lod::LodView {
        camera: rig.pose.eye,
        viewport_height_px: viewport.y as f64,
        fov_y_rad: rig.fov_y,
        max_screen_error_px: MAX_SCREEN_ERROR_PX,
        drape: None,
        frustum: Some(&frustum),
    };
    let streams = &mut *streams;
    let before = streams.layers.len();
    streams
        .layers
        .retain(|id, _| store.slot(*id).is_some_and(|s| s.spawned));
    // A stream gone or started over takes its drawn tiles with it.
    if streams.layers.len() != before {
        streams.revision += 1;
    }
    // Restyles of layers not on screen any more are dropped.
    let mut restyled: Vec<Restyled> = streams.restyles.take(usize::MAX, |_| 0);
    let mut uploads = streams.uploads.take(UPLOAD_BYTES_PER_FRAME, |a| {
        a.content.as_ref().map_or(0, |p| p.bytes + p.texture_bytes)
    });
    let mut expanded: Vec<Expanded> = streams.expansions.take(usize::MAX, |_| 0);
    let expansions = streams.expansions.sender();
    let now = Instant::now();
    for slot in &store.layers {
        if slot.state != SlotState::Ready || !slot.spawned || slot.kind() != LayerKind::Tiles {
            continue;
        }
        let Some(tiles) = slot.layer.as_ref().and_then(|l| l.tiles()) else {
            continue;
        };
        let Some(placement) = tiles.placement.clone() else {
            continue;
        };
        // A respawned or reloaded layer starts over.
        let layer_material = layer_materials
            .0
            .get(&slot.id)
            .and_then(|m| m.first())
            .map(|m| m.0.clone());
        if let Some(s) = streams.layers.get(&slot.id)
            && (s.tiles != *tiles || s.layer_material != layer_material)
        {
            for p in s.resident.values().flat_map(|r| &r.parts) {
                commands.entity(p.entity).try_despawn();
            }
            streams.layers.remove(&slot.id);
            streams.revision += 1;
        }
        if !streams.layers.contains_key(&slot.id) {
            streams.next_generation += 1;
            streams.layers.insert(
                slot.id,
                LayerStream {
                    tree: StreamedTree::new(tiles.source.clone(), placement.clone()),
                    tree_told: TellOnce::default(),
                    tiles: tiles.clone(),
                    layer_material,
                    generation: streams.next_generation,
                    streamer: Streamer::new(MAX_READS_IN_FLIGHT),
                    resident: HashMap::new(),
                    complete: false,
                    last_draw: Vec::new(),
                    told: TellOnce::default(),
                    conditions: None,
                    // Nothing is resident yet: the first style followed
                    // restyles nothing.
                    style_tick: u64::MAX,
                    look: layer_look(slot),
                    reads: HashMap::new(),
                    restyling: false,
                    shared: SharedBytes::default(),
                },
            );
        }
        let others: usize = streams
            .layers
            .iter()
            .filter(|(id, _)| **id != slot.id)
            .map(|(_, t)| t.streamer.resident_bytes())
            .sum::<usize>()
            + terrain.resident_bytes();
        let Some(stream) = streams.layers.get_mut(&slot.id) else {
            continue;
        };
        let visibility = if slot.reference.visible {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        let mine;
        (mine, uploads) = uploads.into_iter().partition(|a| a.layer == slot.id);
        let spawn = Spawn {
            layer: slot.id,
            visibility,
        };
        let to = (slot.id, streams.restyles.sender());
        stream.follow_style(styles.for_slot(slot), layer_look(slot), &mut materials, to);
        let mine_restyled;
        (mine_restyled, restyled) = restyled.into_iter().partition(|r| r.layer == slot.id);
        for r in mine_restyled {
            stream.restyled(r, &mut materials);
        }
        if let Some(e) = stream.receive(
            mine,
            &spawn,
            now,
            &mut commands,
            &mut meshes,
            &mut materials,
        ) {
            store_commands.write(StoreCommand::Notify(Notice {
                error: true,
                text: format!(
                    "layer `{}`: a tile cannot be read (retried meanwhile); its parent is shown there when it has content of its own: {e}",
                    slot.reference.name
                ),
            }));
        }
        let mine_expanded;
        (mine_expanded, expanded) = expanded.into_iter().partition(|e| e.layer == slot.id);
        if let Some(e) = stream.grow(mine_expanded) {
            store_commands.write(StoreCommand::Notify(Notice {
                error: true,
                text: format!(
                    "layer `{}`: part of the tileset's tree cannot be read; the tiles above it are shown there: {e}",
                    slot.reference.name
                ),
            }));
        }
        let eye = rig.pose.eye;
        let tree = &stream.tree;
        let placed = tree.placed(eye);
        cim_core::lod::select(&placed, &view, &mut cut);
        let additive = additive_ancestors(tree, &cut);
        let plan = stream.streamer.update_additive(
            &placed,
            &cut,
            &additive,
            |id| distance_to_bbox(&placed.bounds(id), eye),
            budget.bytes.saturating_sub(others),
            now,
        );
        let growing = stream.expand(&cut, &view, (slot.id, &expansions));
        stream.complete = plan.complete && !growing;
        for &tile in &plan.request {
            if stream.tree.tile(tile).contents.is_empty() {
                // Nothing to read: an empty tile is in at once.
                stream.streamer.loaded(tile, 0);
                stream.resident.insert(
                    tile,
                    Resident {
                        bytes: 0,
                        parts: Vec::new(),
                        looks: Vec::new(),
                        drawn: false,
                        pick: None,
                    },
                );
            } else {
                let to = ReadFor {
                    layer: slot.id,
                    generation: stream.generation,
                    style_tick: stream.style_tick,
                    conditions: stream.conditions.clone(),
                };
                let cancel = Cancel::default();
                stream.reads.insert(tile, cancel.clone());
                let job = TileRead::of(&stream.tree, tile);
                spawn_read(streams.uploads.sender(), to, tiles.clone(), job, cancel);
            }
        }
        if stream.apply(&plan, &mut commands) {
            streams.revision += 1;
        }
    }
    // Content for layers not handled this frame waits for the next one;
    // content for a layer since gone or respawned is dropped.
    let layers = &streams.layers;
    let current = |layer, generation| {
        layers
            .get(&layer)
            .is_some_and(|t| t.generation == generation)
    };
    streams
        .uploads
        .put_back(uploads, |a| current(a.layer, a.generation));
    streams
        .expansions
        .put_back(expanded, |e| current(e.layer, e.generation));
}

mod pick;
mod read;
mod styling;
#[cfg(test)]
mod tests;
