//! Vector layers meshed on the task pool, uploaded a few chunks a frame.
//!
//! A layer that is ready but not drawn (just loaded, or restyled in its
//! shape) gets its materials and style buffer at once and its meshes built
//! on the `AsyncComputeTaskPool`: a million footprints take seconds to
//! mesh, and frames keep coming meanwhile. The old meshes stay until the
//! new ones arrive; then the chunks are spawned at most
//! [`UPLOAD_VERTICES_PER_FRAME`] vertices a 60th of a second of frame time,
//! and the layer counts as
//! spawned once all are. Builds are tagged with a generation, so a build
//! overtaken by a newer one (a second restyle) is dropped when it lands.

use crate::headless::frame_stats::{FrameStats, MeshStats, Stage, StageTimer};
use crate::render::centre_lines::{CentreLineColours, FeatureLines};
use crate::render::feature_style::{FeatureMaterial, FeatureStyle, FeatureStyles};
use crate::render::layers::{
    Ground, LayerEntity, LayerMaterials, build_layer_meshes, feature_styled, layer_material,
    pipe_shapes, point_icons_of,
};
use crate::render::point_icons::IconMaterial;
use crate::scene::origin::GeoAnchor;
use crate::scene::store::{Notice, SceneStore, SlotState};
use bevy::camera::visibility::NoFrustumCulling;
use bevy::light::{NotShadowCaster, NotShadowReceiver};
use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::model::layer::{Layer, LayerKind};
use cim_core::scene::Style;
use cim_core::scene::georef::Anchor;
use glam::DVec3;
use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// Vertices spawned per 60th of a second of frame time at most, all vector
/// layers together (about 32 MB of vertex data for the GPU to take in).
pub const UPLOAD_VERTICES_PER_FRAME: usize = 1 << 20;

/// One chunk's mesh and its vertex count.
type Chunk = (Anchor, Mesh, usize);
/// Pipe centre lines, by feature.
type CentreLines = Arc<FeatureLines>;

/// What a build made.
struct Built {
    layer: u64,
    generation: u64,
    /// The chunks (feature meshes, or icons of point layers) and the
    /// centre lines of pipes; `Err` when meshing panicked.
    result: Result<(Vec<Chunk>, Option<CentreLines>), String>,
}

/// The material a layer's chunks are spawned with.
#[derive(Clone)]
enum ChunkMaterial {
    Features(Handle<FeatureMaterial>),
    Icons(Handle<IconMaterial>),
}

/// A layer being built or uploaded.
struct Build {
    generation: u64,
    /// The slot's `style_tick` when the build started.
    style_tick: u64,
    material: ChunkMaterial,
    /// Chunks waiting to be spawned, once the build has landed.
    pending: Option<VecDeque<Chunk>>,
}

/// Builds under way, by layer (slot) id.
#[derive(Resource)]
pub struct LayerBuilds {
    tx: Sender<Built>,
    rx: Mutex<Receiver<Built>>,
    builds: HashMap<u64, Build>,
    next_generation: u64,
    /// Vertices spawned per frame at most ([`UPLOAD_VERTICES_PER_FRAME`]).
    pub upload_budget: usize,
}

impl Default for LayerBuilds {
    fn default() -> Self {
        let (tx, rx) = channel();
        LayerBuilds {
            tx,
            rx: Mutex::new(rx),
            builds: HashMap::new(),
            next_generation: 0,
            upload_budget: UPLOAD_VERTICES_PER_FRAME,
        }
    }
}

impl LayerBuilds {
    /// Layers being meshed or uploaded.
    pub fn in_progress(&self) -> usize {
        self.builds.len()
    }
}

/// What the task needs, owned.
struct Job {
    layer: Arc<Layer>,
    kind: LayerKind,
    style: Style,
    prisms: Arc<crate::scene::derived::Prisms>,
    ground: Ground,
}

impl Job {
    fn run(&self) -> (Vec<Chunk>, Option<CentreLines>) {
        if self.kind == LayerKind::Points {
            let icons = point_icons_of(&self.layer, &self.ground);
            let chunks = icons
                .into_iter()
                .map(|(a, m)| {
                    let n = m.count_vertices();
                    (a, m, n)
                })
                .collect();
            return (chunks, None);
        }
        let pipes = match self.layer.vector() {
            Some(v) if self.kind == LayerKind::Pipes => pipe_shapes(v, &self.style, &self.ground),
            _ => Vec::new(),
        };
        let mut chunks = Vec::new();
        build_layer_meshes(
            &self.layer,
            &self.style,
            &self.prisms,
            &pipes,
            &self.ground,
            &mut |a, data| {
                let n = data.positions.len();
                chunks.push((a, data.into_feature_mesh(), n));
            },
        );
        (chunks, self.centre_lines(&pipes))
    }

    /// Pipe centre lines a couple of pixels wide, so networks stay legible
    /// from afar where 0.3 m tubes are sub-pixel.
    fn centre_lines(
        &self,
        pipes: &[Option<crate::render::layers::PipeShape>],
    ) -> Option<CentreLines> {
        if pipes.is_empty() {
            return None;
        }
        let anchor = Anchor(self.layer.bbox().map_or(DVec3::ZERO, |b| b.center()));
        let lines = pipes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
            .flat_map(|(i, s)| {
                s.lines
                    .iter()
                    .map(move |l| (i, l.iter().map(|p| anchor.local(*p)).collect()))
            })
            .collect();
        let colour = cim_core::scene::Style::symbol_color(&self.style, self.kind);
        Some(Arc::new(FeatureLines {
            anchor,
            lines,
            colour,
        }))
    }
}

/// Starts a build for every ready layer that is not drawn as it is styled
/// now. Terrain is drawn by `terrain` and needs only its material.
#[allow(clippy::too_many_arguments)]
pub fn start_builds(
    mut store: ResMut<SceneStore>,
    mut builds: ResMut<LayerBuilds>,
    mut ground: ResMut<Ground>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut layer_materials: ResMut<LayerMaterials>,
    mut icon_materials: ResMut<Assets<IconMaterial>>,
    mut feature_materials: ResMut<Assets<FeatureMaterial>>,
    mut feature_styles: ResMut<FeatureStyles>,
    mut style_buffers: ResMut<Assets<ShaderBuffer>>,
    styled: Res<crate::scene::derived::StyleResults>,
) {
    // Terrain first: vector layers drape on it, so they wait until every
    // terrain layer has loaded.
    if !ground.is_set()
        && let Some(t) = store
            .layers
            .iter()
            .find(|s| s.state == SlotState::Ready && s.kind() == LayerKind::Terrain)
            .and_then(|s| s.layer.clone())
    {
        *ground = Ground::new(t);
    }
    let terrain_pending = store
        .layers
        .iter()
        .any(|s| s.state == SlotState::Loading && s.kind() == LayerKind::Terrain);
    let store = &mut *store;
    let mut spawned_any = false;
    for slot in store.layers.iter_mut() {
        if slot.spawned || slot.state != SlotState::Ready {
            continue;
        }
        let Some(layer) = slot.layer.clone() else {
            continue;
        };
        // Heights and colours first (`scene::derived`, this frame's
        // PreUpdate, unless the slot moved since).
        let Some(results) = styled.for_slot(slot) else {
            continue;
        };
        let kind = layer.effective_kind();
        if kind != LayerKind::Terrain && terrain_pending {
            continue;
        }
        if builds
            .builds
            .get(&slot.id)
            .is_some_and(|b| b.style_tick == slot.style_tick)
        {
            continue;
        }
        // Opacity (layer and underground view) is applied by
        // `sync_layer_settings` when the store's revision changes.
        let material = materials.add(layer_material(kind, slot.reference.opacity));
        layer_materials.0.insert(slot.id, vec![(material, 1.0)]);
        layer_materials.1.remove(&slot.id);
        feature_styles.remove_layer(slot.id);
        if matches!(kind, LayerKind::Terrain | LayerKind::Tiles) {
            // Its tiles come and go with the view; `stream::terrain` and
            // `stream::tiles3d` redraw them when they see the new material
            // (no build lands later to despawn them).
            slot.spawned = true;
            slot.tick += 1;
            spawned_any = true;
            continue;
        }
        // Each feature's colour comes from the layer's style buffer.
        let styles = (feature_styled(kind) || kind == LayerKind::Points).then(|| {
            let colors = crate::render::feature_style::style_colors(slot, Some(results));
            let styles = feature_styles.insert_layer(
                slot.id,
                colors.into_iter(),
                slot.style_tick,
                &mut style_buffers,
            );
            feature_styles.set_shown(
                slot.id,
                crate::render::feature_style::style_filter_hits(slot).as_deref(),
            );
            styles
        });
        let chunk_material = if let Some(styles) = styles.clone()
            && feature_styled(kind)
        {
            let m = feature_materials.add(FeatureMaterial {
                base: layer_material(kind, slot.reference.opacity),
                extension: FeatureStyle::new(styles, kind),
            });
            layer_materials.1.insert(slot.id, m.clone());
            feature_styles.set_material(slot.id, m.clone());
            ChunkMaterial::Features(m)
        } else {
            ChunkMaterial::Icons(icon_materials.add(IconMaterial::new(
                crate::render::point_icons::ICON_PX,
                slot.reference.opacity,
                styles.unwrap_or_default(),
            )))
        };
        builds.next_generation += 1;
        let generation = builds.next_generation;
        builds.builds.insert(
            slot.id,
            Build {
                generation,
                style_tick: slot.style_tick,
                material: chunk_material,
                pending: None,
            },
        );
        let job = Job {
            layer,
            kind,
            style: slot.reference.style.clone(),
            prisms: results.prisms.clone(),
            ground: ground.clone(),
        };
        let (tx, id) = (builds.tx.clone(), slot.id);
        AsyncComputeTaskPool::get()
            .spawn(async move {
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| job.run()))
                    .map_err(|_| "meshing crashed".to_owned());
                // The receiver is gone only when the app is.
                let _ = tx.send(Built {
                    layer: id,
                    generation,
                    result,
                });
            })
            .detach();
    }
    if spawned_any {
        store.revision += 1;
    }
}

/// Takes finished builds (the layer's old entities go), spawns chunks
/// within the per-frame budget, and marks layers spawned when all are.
#[allow(clippy::too_many_arguments)]
pub fn receive_builds(
    mut commands: Commands,
    mut store: ResMut<SceneStore>,
    mut builds: ResMut<LayerBuilds>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut gizmo_assets: ResMut<Assets<GizmoAsset>>,
    existing: Query<(Entity, &LayerEntity)>,
    stats: Option<Res<FrameStats>>,
    time: Res<Time>,
) {
    let _timer = StageTimer::start(stats.as_deref(), Stage::Upload);
    let builds = &mut *builds;
    let landed: Vec<Built> = builds
        .rx
        .lock()
        .map(|rx| rx.try_iter().collect())
        .unwrap_or_default();
    for built in landed {
        let current = builds
            .builds
            .get(&built.layer)
            .is_some_and(|b| b.generation == built.generation);
        let Some(slot) = store.slot(built.layer).filter(|_| current) else {
            continue;
        };
        let visibility = visibility_of(slot);
        for (e, le) in &existing {
            if le.0 == built.layer {
                commands.entity(e).despawn();
            }
        }
        match built.result {
            Ok((chunks, centre_lines)) => {
                if let Some(lines) = centre_lines {
                    let gizmo = lines.gizmo(|_| Some(lines.colour));
                    let anchor = lines.anchor;
                    commands.spawn((
                        CentreLineColours {
                            layer: built.layer,
                            lines,
                            seen: None,
                        },
                        Gizmo {
                            handle: gizmo_assets.add(gizmo),
                            line_config: GizmoLineConfig {
                                width: 1.5,
                                ..default()
                            },
                            depth_bias: -0.0005,
                        },
                        Transform::default(),
                        visibility,
                        GeoAnchor(anchor.0),
                        LayerEntity(built.layer),
                    ));
                }
                if let Some(b) = builds.builds.get_mut(&built.layer) {
                    b.pending = Some(chunks.into());
                }
            }
            Err(e) => {
                let text = format!("layer `{}`: could not be drawn: {e}", slot.reference.name);
                store.notices.push(Notice { error: true, text });
                if let Some(b) = builds.builds.get_mut(&built.layer) {
                    b.pending = Some(VecDeque::new());
                }
            }
        }
    }
    // The budget is per 60th of a second: a renderer already taking long
    // frames (software, a huge scene) takes chunks in proportion, so a
    // layer is not spread over dozens of slow frames.
    let frames = (time.delta_secs_f64() * 60.0).clamp(1.0, 64.0);
    let mut budget = (builds.upload_budget as f64 * frames) as usize;
    let mut finished = Vec::new();
    for (&id, b) in &mut builds.builds {
        let Some(pending) = &mut b.pending else {
            continue;
        };
        let Some(slot) = store.slot(id) else {
            finished.push(id);
            continue;
        };
        let visibility = visibility_of(slot);
        while budget > 0
            && let Some((anchor, mesh, vertices)) = pending.pop_front()
        {
            budget = budget.saturating_sub(vertices);
            let mut e = commands.spawn((
                MeshStats::of(&mesh),
                Mesh3d(meshes.add(mesh)),
                Transform::default(),
                visibility,
                GeoAnchor(anchor.0),
                LayerEntity(id),
            ));
            match &b.material {
                ChunkMaterial::Features(m) => {
                    e.insert(MeshMaterial3d(m.clone()));
                }
                ChunkMaterial::Icons(m) => {
                    // A chunk's box is its points; icons reach past it.
                    e.insert((
                        MeshMaterial3d(m.clone()),
                        NoFrustumCulling,
                        NotShadowCaster,
                        NotShadowReceiver,
                    ));
                }
            }
        }
        if pending.is_empty() {
            finished.push(id);
        }
    }
    let mut spawned_any = false;
    for id in finished {
        builds.builds.remove(&id);
        if let Some(slot) = store.slot_mut(id)
            && slot.state == SlotState::Ready
        {
            // New entities: opacity and visibility settings follow.
            slot.spawned = true;
            slot.tick += 1;
            spawned_any = true;
        }
    }
    // Layers that went away while building.
    builds.builds.retain(|id, _| store.slot(*id).is_some());
    if spawned_any {
        store.revision += 1;
    }
}

fn visibility_of(slot: &crate::scene::store::LayerSlot) -> Visibility {
    if slot.reference.visible {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    }
}

#[cfg(test)]
mod tests;
