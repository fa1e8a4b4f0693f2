//! The scene store: the one resource every panel and renderer reads (as in
//! rerun, an immediate-mode UI over one store). Holds the open document,
//! one slot per layer with its load state and data, and user-facing
//! messages. Layers load on background threads and arrive over a channel.

use crate::scene::load::{self, OpenedScene};
use bevy::prelude::*;
use cim_core::crs::{CrsDef, Transformer};
use cim_core::model::layer::{Layer, LayerContent, LayerKind};
use cim_core::scene::{ClipRegion, FlattenRegion, LayerRef, Placement, SceneDoc};
use glam::DVec3;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

mod commands;
pub use commands::{StoreCommand, apply_store_commands};

/// Load state of one layer.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotState {
    Loading,
    Ready,
    Failed(String),
}

/// One layer of the open scene.
pub struct LayerSlot {
    /// Stable for the session; entities refer to their layer by it.
    pub id: u64,
    pub reference: LayerRef,
    pub state: SlotState,
    pub layer: Option<Arc<Layer>>,
    /// Level-of-detail quadtree of terrain layers.
    pub terrain: Option<Arc<cim_core::lod::terrain::TerrainQuadtree>>,
    /// The full-resolution cells of a terrain layer held as an overview
    /// (streamed in pages by the terrain renderer).
    pub terrain_detail: Option<cim_core::model::grid_source::SharedSource>,
    /// Spatial index of vector layers (picking, labels, selection).
    pub index: Option<Arc<cim_core::query::index::SpatialIndex>>,
    /// Meshes have been built for the current data.
    pub spawned: bool,
    /// Counts restyles: renderers that follow colours compare it with the
    /// tick they last drew.
    pub style_tick: u64,
    /// Counts every change renderers must follow (data, visibility,
    /// opacity, style): they compare it with the tick they last saw.
    pub tick: u64,
    /// The style's shape (`Style::shape`) the meshes were built for.
    pub meshed_shape: Option<cim_core::scene::Style>,
    /// When its background load started (the viewer), for the deadline.
    pub loading_since: Option<std::time::Instant>,
}

impl LayerSlot {
    /// New planning edits of a tileset layer, checked: the document keeps
    /// the regions, the layer's tiles are drawn again with them.
    pub fn set_tile_edits(
        &mut self,
        clip: Vec<ClipRegion>,
        flatten: Vec<FlattenRegion>,
    ) -> Result<(), String> {
        let name = &self.reference.name;
        let mut reference = self.reference.clone();
        reference.clip = clip;
        reference.flatten = flatten;
        let edits = reference.tile_edits().map_err(|e| format!("{name}: {e}"))?;
        let mut layer = self
            .layer
            .as_deref()
            .filter(|l| l.tiles().is_some())
            .ok_or_else(|| {
                format!("{name}: not a loaded tileset, which alone can be clipped or flattened")
            })?
            .clone();
        if let LayerContent::Tiles(t) = &mut layer.content {
            t.edits = Arc::new(edits);
        }
        self.layer = Some(Arc::new(layer));
        self.reference = reference;
        Ok(())
    }

    /// Moves a loaded tileset by `placement` from where it was read to be
    /// (`None`: back there); saved in the document, every tile redrawn.
    pub fn set_placement(&mut self, placement: Option<Placement>) -> Result<(), String> {
        let name = &self.reference.name;
        let mut layer = self
            .layer
            .as_deref()
            .filter(|l| l.tiles().is_some())
            .ok_or_else(|| format!("{name}: not a loaded tileset, which alone can be moved"))?
            .clone();
        if let LayerContent::Tiles(t) = &mut layer.content {
            *t = t
                .moved(placement.as_ref())
                .map_err(|e| format!("{name}: {e}"))?;
        }
        self.layer = Some(Arc::new(layer));
        self.reference.placement = placement;
        Ok(())
    }

    /// Takes a new style: moves `style_tick` (so `scene::derived` works out
    /// the heights and thematic colours anew) and asks for new meshes
    /// unless only colours changed. Returns the style's filter or time
    /// field error (the theme's errors come from `scene::derived`).
    pub fn restyle(&mut self) -> Result<(), String> {
        self.style_tick += 1;
        let Some(layer) = self.layer.clone() else {
            self.spawned = false;
            return Ok(());
        };
        let style = &self.reference.style;
        // Colours of feature-styled layers change in their style buffer;
        // anything else that changed needs new meshes.
        let kind = layer.effective_kind();
        let mut shape = style.shape();
        if kind == LayerKind::Pipes {
            // Pipe centre lines are drawn in the layer's colour.
            shape.color.clone_from(&style.color);
        }
        // Tilesets restyle their resident tiles in place (`stream::tiles3d`).
        let recolor_only = self.spawned
            && (crate::render::layers::feature_styled(kind) || kind == LayerKind::Tiles)
            && self.meshed_shape.as_ref() == Some(&shape);
        if !recolor_only {
            self.spawned = false;
            self.meshed_shape = Some(shape);
        }
        let Some(v) = layer.vector() else {
            return Ok(());
        };
        // A bad filter draws everything, still in the theme's colours.
        let filter = match &style.filter {
            Some(f) => cim_core::query::Query::parse(f)
                .and_then(|q| q.compile(&v.fields))
                .map(|_| ())
                .map_err(|e| format!("filter `{}`: {e}", cim_core::message::clip(f, 200))),
            None => Ok(()),
        };
        // A time field that is not there: every feature is drawn at all
        // times (the appearances are worked out by `feature_style`).
        if let Some(f) = &style.time_field
            && !v.fields.iter().any(|x| x.name == *f)
        {
            return filter.and(Err(format!(
                "time_field: no field named `{}` (every feature is drawn at all times)",
                cim_core::message::clip(f, 200)
            )));
        }
        filter
    }

    pub fn kind(&self) -> LayerKind {
        self.layer
            .as_ref()
            .map_or(self.reference.kind, |l| l.effective_kind())
    }
}

/// A message for the user (errors stay until dismissed).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

#[derive(Resource)]
pub struct SceneStore {
    pub doc: SceneDoc,
    pub path: Option<PathBuf>,
    pub is_demo: bool,
    pub crs: CrsDef,
    pub layers: Vec<LayerSlot>,
    pub notices: Vec<Notice>,
    /// Scene CRS → WGS84 lon/lat for the status bar (PROJ objects are not
    /// Sync; the mutex makes the resource shareable).
    pub to_wgs84: Option<Mutex<Transformer>>,
    /// Bumped on every user edit that renderers must follow.
    pub revision: u64,
    pub dirty: bool,
    next_id: u64,
    /// Results already read for some layers' sources (see `OpenedScene`).
    preloaded: Vec<load::Preloaded>,
    /// How long a layer may take to load before it is failed (see
    /// [`load_timeout`]).
    pub load_timeout: std::time::Duration,
}

impl SceneStore {
    pub fn new(opened: OpenedScene) -> Self {
        let crs = opened.doc.crs.clone();
        let mut notices = Vec::new();
        let to_wgs84 = match Transformer::new(&crs, &CrsDef::wgs84()) {
            Ok(t) => Some(Mutex::new(t)),
            Err(e) => {
                notices.push(Notice {
                    error: true,
                    text: format!("scene CRS {}: {e}", crs.label()),
                });
                None
            }
        };
        let mut store = SceneStore {
            doc: opened.doc.clone(),
            path: opened.path,
            is_demo: opened.is_demo,
            crs,
            layers: Vec::new(),
            notices,
            to_wgs84,
            revision: 0,
            dirty: false,
            next_id: 0,
            preloaded: opened.preloaded,
            load_timeout: load_timeout(),
        };
        for r in opened.doc.layers {
            store.add_slot(r);
        }
        store
    }

    /// A new layer of the document, to be loaded (see
    /// [`LoadChannel::start_slots`]); returns its slot id.
    pub fn add_layer_slot(&mut self, reference: LayerRef) -> u64 {
        self.dirty = true;
        self.revision += 1;
        self.add_slot(reference)
    }

    fn add_slot(&mut self, reference: LayerRef) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.layers.push(LayerSlot {
            id,
            reference,
            state: SlotState::Loading,
            layer: None,
            terrain: None,
            terrain_detail: None,
            index: None,
            spawned: false,
            style_tick: 0,
            tick: 0,
            meshed_shape: None,
            loading_since: None,
        });
        id
    }

    pub fn slot(&self, id: u64) -> Option<&LayerSlot> {
        self.layers.iter().find(|s| s.id == id)
    }

    pub fn slot_mut(&mut self, id: u64) -> Option<&mut LayerSlot> {
        self.layers.iter_mut().find(|s| s.id == id)
    }

    pub fn origin(&self) -> DVec3 {
        DVec3::from_array(self.doc.origin)
    }

    pub fn doc_dir(&self) -> Option<PathBuf> {
        self.path
            .as_ref()
            .and_then(|p| p.parent().map(|d| d.to_owned()))
    }

    /// Scene CRS → WGS84 (lon, lat, h).
    pub fn wgs84(&self, p: DVec3) -> Option<DVec3> {
        self.to_wgs84.as_ref()?.lock().ok()?.transform(p).ok()
    }

    /// The read-ahead results for `source`, once.
    fn take_preloaded(&mut self, source: &str) -> Option<load::LoadResults> {
        let i = self.preloaded.iter().position(|p| p.source == source)?;
        Some(self.preloaded.swap_remove(i).results)
    }

    /// Loads every layer (for `cim snapshot`), each on its own thread, and
    /// waits at most [`load_timeout`] for them all: a source that never
    /// answers fails its layer instead of hanging the run.
    pub fn load_all_blocking(&mut self) {
        let dir = self.doc_dir();
        let (tx, rx) = channel();
        let mut waiting = Vec::new();
        for i in 0..self.layers.len() {
            let r = self.layers[i].reference.clone();
            let pre = self.take_preloaded(&r.source);
            let (crs, dir, tx) = (self.crs.clone(), dir.clone(), tx.clone());
            let id = self.layers[i].id;
            waiting.push(id);
            std::thread::spawn(move || {
                let _ = tx.send((id, load_guarded(&r, dir.as_deref(), &crs, pre)));
            });
        }
        drop(tx);
        let deadline = std::time::Instant::now() + self.load_timeout;
        let mut done = std::collections::HashMap::new();
        while done.len() < waiting.len() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok((id, result)) => {
                    done.insert(id, result);
                }
                Err(_) => break,
            }
        }
        // Recorded in layer order, so messages come out the same each run.
        for id in waiting {
            let result = done.remove(&id).unwrap_or_else(|| {
                let source = self
                    .slot(id)
                    .map(|s| cim_core::message::quote(&s.reference.source).into_owned())
                    .unwrap_or_default();
                Err(late(&source, self.load_timeout))
            });
            self.finish_load(id, result);
        }
    }

    /// Fails the background loads that have run past the deadline. Should
    /// one finish after all, its result is still taken: nothing is lost.
    pub fn fail_overdue_loads(&mut self) {
        let overdue: Vec<(u64, String)> = self
            .layers
            .iter()
            .filter(|s| self.is_overdue(s))
            .map(|s| {
                (
                    s.id,
                    cim_core::message::quote(&s.reference.source).into_owned(),
                )
            })
            .collect();
        for (id, source) in overdue {
            let e = late(&source, self.load_timeout);
            self.finish_load(id, Err(e));
        }
    }

    /// Records a finished load.
    pub fn finish_load(&mut self, id: u64, result: Result<load::LoadedLayer, String>) {
        let mut notices = Vec::new();
        if let Some(slot) = self.slot_mut(id) {
            match result {
                Ok(loaded) => {
                    notices.extend(
                        loaded
                            .warnings
                            .into_iter()
                            .map(|text| Notice { error: false, text }),
                    );
                    notices.extend(
                        loaded
                            .losses
                            .into_iter()
                            .map(|text| Notice { error: true, text }),
                    );
                    slot.layer = Some(Arc::new(loaded.layer));
                    slot.index = loaded.index.map(Arc::new);
                    slot.terrain = loaded.terrain.map(Arc::new);
                    slot.terrain_detail = loaded.detail;
                    slot.state = SlotState::Ready;
                    // New data: new meshes, whatever the style.
                    slot.spawned = false;
                    slot.tick += 1;
                    if let Err(e) = slot.restyle() {
                        notices.push(Notice {
                            error: true,
                            text: format!("layer `{}`: {e}", slot.reference.name),
                        });
                    }
                }
                Err(e) => {
                    notices.push(Notice {
                        error: true,
                        text: format!("layer `{}`: {e}", slot.reference.name),
                    });
                    slot.state = SlotState::Failed(e);
                }
            }
        }
        for n in &notices {
            if n.error {
                warn!("{}", n.text);
            }
        }
        self.notices.extend(notices);
        self.revision += 1;
    }

    /// True when no layer is still loading.
    /// Whether a terrain layer has loaded (the ground is the DEM, not the
    /// base plane).
    pub fn has_terrain(&self) -> bool {
        self.layers
            .iter()
            .any(|s| s.kind() == cim_core::model::layer::LayerKind::Terrain && s.layer.is_some())
    }

    pub fn all_loaded(&self) -> bool {
        self.layers.iter().all(|s| s.state != SlotState::Loading)
    }

    /// Writes the layer settings back into the document and saves it.
    pub fn save_to(&mut self, path: &std::path::Path) -> Result<(), String> {
        self.doc.layers = self.layers.iter().map(|s| s.reference.clone()).collect();
        self.doc.save(path).map_err(|e| e.to_string())?;
        self.path = Some(path.to_owned());
        self.dirty = false;
        self.is_demo = false;
        Ok(())
    }
}

/// Channel from loader threads to the store.
#[derive(Resource)]
pub struct LoadChannel {
    tx: Sender<(u64, Result<load::LoadedLayer, String>)>,
    rx: Mutex<Receiver<(u64, Result<load::LoadedLayer, String>)>>,
}

impl Default for LoadChannel {
    fn default() -> Self {
        let (tx, rx) = channel();
        LoadChannel {
            tx,
            rx: Mutex::new(rx),
        }
    }
}

impl LoadChannel {
    /// Starts loading every slot still marked `Loading`, one thread each.
    pub fn start(&self, store: &mut SceneStore) {
        let loading: Vec<u64> = store
            .layers
            .iter()
            .filter(|s| s.state == SlotState::Loading)
            .map(|s| s.id)
            .collect();
        self.start_slots(store, &loading);
    }

    /// Starts loading these slots (those still `Loading`), one thread each.
    pub fn start_slots(&self, store: &mut SceneStore, ids: &[u64]) {
        let dir = store.doc_dir();
        let loading: Vec<(u64, LayerRef)> = ids
            .iter()
            .filter_map(|&id| store.slot(id))
            .filter(|s| s.state == SlotState::Loading)
            .map(|s| (s.id, s.reference.clone()))
            .collect();
        for (id, r) in loading {
            if let Some(slot) = store.slot_mut(id) {
                slot.loading_since = Some(std::time::Instant::now());
            }
            let pre = store.take_preloaded(&r.source);
            let (crs, dir, tx) = (store.crs.clone(), dir.clone(), self.tx.clone());
            std::thread::spawn(move || {
                let _ = tx.send((id, load_guarded(&r, dir.as_deref(), &crs, pre)));
            });
        }
    }
}

impl SceneStore {
    fn is_overdue(&self, s: &LayerSlot) -> bool {
        s.state == SlotState::Loading
            && s.loading_since
                .is_some_and(|t| t.elapsed() > self.load_timeout)
    }

    /// Whether [`Self::fail_overdue_loads`] has anything to do (checked
    /// without write access, so the store is not marked changed each frame).
    pub fn has_overdue_loads(&self) -> bool {
        self.layers.iter().any(|s| self.is_overdue(s))
    }
}

fn late(source: &str, limit: std::time::Duration) -> String {
    format!(
        "{source}: did not finish loading within {} s",
        limit.as_secs_f64()
    )
}

/// How long a layer may take to load, in the viewer and in `cim snapshot`
/// (`CIM_LOAD_TIMEOUT_S`, default 600 s).
pub fn load_timeout() -> std::time::Duration {
    let s = std::env::var("CIM_LOAD_TIMEOUT_S")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(600);
    std::time::Duration::from_secs(s)
}

/// Loads a layer; a panic in a loader fails that layer only.
fn load_guarded(
    r: &LayerRef,
    dir: Option<&std::path::Path>,
    crs: &CrsDef,
    pre: Option<load::LoadResults>,
) -> Result<load::LoadedLayer, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        load::load_layer(r, dir, crs, pre)
    }))
    .unwrap_or_else(|_| {
        Err(format!(
            "{}: the loader crashed",
            cim_core::message::quote(&r.source)
        ))
    })
}

/// Marks the store for async loading (the viewer) rather than blocking.
#[derive(Resource)]
pub struct AsyncLoading;

/// Owns the [`SceneStore`] and layer loading.
pub struct ScenePlugin {
    store: Mutex<Option<SceneStore>>,
}

impl ScenePlugin {
    pub fn new(store: SceneStore) -> Self {
        ScenePlugin {
            store: Mutex::new(Some(store)),
        }
    }
}

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        let store = self
            .store
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .expect("ScenePlugin is built once");
        app.insert_resource(store)
            .init_resource::<LoadChannel>()
            .init_resource::<super::derived::StyleResults>()
            .add_message::<StoreCommand>()
            .add_systems(Startup, start_loading)
            .add_systems(
                PreUpdate,
                (
                    receive_layers,
                    apply_store_commands,
                    super::derived::derive_styles,
                )
                    .chain(),
            );
    }
}

fn start_loading(
    mut store: ResMut<SceneStore>,
    channel: Res<LoadChannel>,
    asynchronous: Option<Res<AsyncLoading>>,
) {
    if asynchronous.is_some() {
        channel.start(&mut store);
    } else if !store.all_loaded() {
        store.load_all_blocking();
    }
}

fn receive_layers(mut store: ResMut<SceneStore>, channel: Res<LoadChannel>) {
    let Ok(rx) = channel.rx.lock() else { return };
    while let Ok((id, result)) = rx.try_recv() {
        store.finish_load(id, result);
    }
    if store.has_overdue_loads() {
        store.fail_overdue_loads();
    }
}

#[cfg(test)]
mod tests;
