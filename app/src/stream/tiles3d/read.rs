//! Reading a tile on the task pool: its contents read (cancelled when the
//! streamer no longer wants them), placed in the scene CRS, edited,
//! turned into Bevy meshes and their materials' specs, with the looks its
//! layer's style gives its features — everything but the asset stores,
//! which only the main thread has. And reading the children a tile
//! deferred, which grow the stream's tree.

use super::styling::{self, MaterialSpec, Styled};
use crate::render::feature_style::FeatureIndex;
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use cim_core::lod::pick_content::Pickable;
use cim_core::lod::place_content::{PlacedContent, PlacedMesh, TilePlace};
use cim_core::lod::streamed_tree::StreamedTree;
use cim_core::lod::tile_source::{TileLayer, TileSource};
use cim_core::lod::tileset::{Branch, ContentRef, Tile, TileId};
use cim_core::scene::georef::RenderFrame;
use cim_core::style::conditions::ConditionalStyle;
use glam::DVec3;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

/// A tile's content made ready on the task pool.
pub(super) struct Arrived {
    pub(super) layer: u64,
    pub(super) generation: u64,
    /// The `style_tick` of the conditions its looks were made with.
    pub(super) style_tick: u64,
    pub(super) tile: TileId,
    /// Which read of the tile it is (its cancel flag): a read the plan
    /// cancelled that finished anyway is told from the tile's next one.
    pub(super) read: Cancel,
    pub(super) content: Result<Prepared, String>,
}

pub(super) struct Prepared {
    pub(super) anchor: DVec3,
    pub(super) meshes: Vec<PreparedMesh>,
    /// The looks of each table the meshes' features are in (each once).
    pub(super) looks: Vec<(Option<u32>, Styled)>,
    pub(super) pick: Arc<Pickable>,
    /// Bytes of its own (geometry, style records, picking's copy): its
    /// textures, which other tiles may share, are counted apart
    /// (`cim_core::lod::shared_bytes`).
    pub(super) bytes: usize,
    /// Bytes of the textures it uses, each once (what uploading it takes
    /// besides `bytes`).
    pub(super) texture_bytes: usize,
}

pub(super) struct PreparedMesh {
    pub(super) mesh: Mesh,
    pub(super) material: MaterialSpec,
    /// Its features' looks: an index into [`Prepared::looks`].
    pub(super) looks: usize,
}

impl PreparedMesh {
    /// What it takes on the GPU besides its texture: vertices, indices.
    fn gpu_bytes(&self) -> usize {
        self.mesh.get_vertex_buffer_size() + self.mesh.indices().map_or(0, |i| i.len() * 4)
    }
}

/// What a read is for: the layer, the spawn of it, and the style its
/// meshes are to be drawn in.
pub(super) struct ReadFor {
    pub(super) layer: u64,
    pub(super) generation: u64,
    pub(super) style_tick: u64,
    pub(super) conditions: Option<Arc<ConditionalStyle>>,
}

/// The children a tile deferred, read on the task pool.
pub(super) struct Expanded {
    pub(super) layer: u64,
    pub(super) generation: u64,
    pub(super) tile: TileId,
    pub(super) branch: Result<Branch, String>,
}

/// Reads the children `tile` (a copy of tile `id`) deferred, on the task
/// pool; a panic is sent as a failure.
pub(super) fn spawn_expand(
    tx: Sender<Expanded>,
    (layer, generation): (u64, u64),
    source: Arc<dyn TileSource>,
    id: TileId,
    tile: Tile,
) {
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let branch = std::panic::catch_unwind(AssertUnwindSafe(|| source.expand(&tile)))
                .unwrap_or_else(|_| Err(format!("tile {id}: reading its children failed")));
            let _ = tx.send(Expanded {
                layer,
                generation,
                tile: id,
                branch,
            });
        })
        .detach();
}

/// What reading one tile needs, taken from the stream's tree (which the
/// read does not hold: the tree grows meanwhile).
pub(super) struct TileRead {
    pub(super) tile: TileId,
    pub(super) contents: Vec<ContentRef>,
    pub(super) place: TilePlace,
}

impl TileRead {
    pub(super) fn of(tree: &StreamedTree, tile: TileId) -> TileRead {
        TileRead {
            tile,
            contents: tree.tile(tile).contents.clone(),
            place: tree.place_of(tile),
        }
    }
}

/// Set when the streamer no longer wants a read (the view moved on): a
/// read still queued is skipped, one under way stops before its next
/// content and before meshing, and nothing is sent.
pub(super) type Cancel = Arc<AtomicBool>;

/// Reads tile `tile`'s contents, places them and makes their meshes and
/// style records, on the task pool; a panic is sent as a failure.
pub(super) fn spawn_read(
    tx: Sender<Arrived>,
    to: ReadFor,
    tiles: TileLayer,
    job: TileRead,
    cancel: Cancel,
) {
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let tile = job.tile;
            let content = std::panic::catch_unwind(AssertUnwindSafe(|| {
                prepare(&tiles, &job, to.conditions.as_deref(), &cancel)
            }))
            .unwrap_or_else(|_| Err(format!("tile {tile}: reading failed")));
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let _ = tx.send(Arrived {
                layer: to.layer,
                generation: to.generation,
                style_tick: to.style_tick,
                tile,
                read: cancel,
                content,
            });
        })
        .detach();
}

pub(super) fn prepare(
    tiles: &TileLayer,
    job: &TileRead,
    conditions: Option<&ConditionalStyle>,
    cancel: &AtomicBool,
) -> Result<Prepared, String> {
    // What the caller drops unsent.
    let stop = || {
        cancel
            .load(Ordering::Relaxed)
            .then(|| "the view moved on".to_owned())
    };
    let contents = job
        .contents
        .iter()
        .map(|c| stop().map_or_else(|| tiles.source.read(c), Err))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(e) = stop() {
        return Err(e);
    }
    let mut placed: PlacedContent = cim_core::lod::place_content::place(&job.place, contents)?;
    tiles.edits.apply(&mut placed);
    let pick = Arc::new(Pickable::of(&placed));
    let tables = &placed.tables;
    let mut looks: Vec<(Option<u32>, Styled)> = Vec::new();
    let meshes: Vec<PreparedMesh> = placed
        .meshes
        .into_iter()
        .map(|m| {
            let table = m.features.first().and_then(|f| f.table);
            let at = looks
                .iter()
                .position(|(t, _)| *t == table)
                .unwrap_or_else(|| {
                    let of = table.and_then(|t| tables.get(t as usize));
                    looks.push((table, styling::style_features(conditions, of)));
                    looks.len() - 1
                });
            let (mesh, material) = to_bevy(m);
            PreparedMesh {
                mesh,
                material,
                looks: at,
            }
        })
        .collect();
    let records: usize = looks.iter().map(|(_, s)| s.records.len()).sum();
    Ok(Prepared {
        anchor: placed.anchor,
        // The GPU's copy (point clouds: four vertices a point; style
        // buffers) and picking's.
        bytes: meshes.iter().map(PreparedMesh::gpu_bytes).sum::<usize>() + records + pick.bytes(),
        texture_bytes: texture_bytes(&meshes),
        looks,
        pick,
        meshes,
    })
}

/// The bytes of the textures `meshes` use, each once.
fn texture_bytes(meshes: &[PreparedMesh]) -> usize {
    let mut seen = std::collections::HashSet::new();
    meshes
        .iter()
        .filter_map(|m| m.material.texture.as_ref())
        .filter(|t| seen.insert(Arc::as_ptr(t)))
        .map(|t| t.rgba.len())
        .sum()
}

/// A placed mesh as a Bevy mesh (scene axes → render axes, feature ids in
/// a UV set) and its material.
fn to_bevy(m: PlacedMesh) -> (Mesh, MaterialSpec) {
    let axes = RenderFrame::offset_to_render;
    let ids = m.features.first().map(|f| f.ids.as_slice());
    let mut spec = MaterialSpec {
        base_color: m.material.base_color,
        texture: m.material.texture,
        unlit: m.material.unlit,
        double_sided: m.material.double_sided,
        alpha: m.material.alpha,
        feature_index: FeatureIndex::None,
        points: m.points,
    };
    if m.points {
        let positions: Vec<[f32; 3]> = m.positions.iter().map(axes).collect();
        let mesh =
            crate::render::point_cloud::point_mesh(&positions, &m.colors, ids.unwrap_or(&[]));
        return (mesh, spec);
    }
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(
        Mesh::ATTRIBUTE_POSITION,
        m.positions.iter().map(axes).collect::<Vec<_>>(),
    );
    if !m.normals.is_empty() {
        mesh.insert_attribute(
            Mesh::ATTRIBUTE_NORMAL,
            m.normals.iter().map(axes).collect::<Vec<_>>(),
        );
    }
    let textured = !m.uvs.is_empty() && spec.texture.is_some();
    if textured {
        mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, m.uvs);
    } else {
        // A texture without coordinates cannot be drawn (and the first UV
        // set may carry feature ids).
        spec.texture = None;
    }
    // Bevy's PBR shader wants the first UV set whenever the second is
    // there: feature ids take the first unless a texture has it.
    spec.feature_index = match styling::feature_uvs(ids) {
        None => FeatureIndex::None,
        Some(uvs) if textured => {
            mesh.insert_attribute(Mesh::ATTRIBUTE_UV_1, uvs);
            FeatureIndex::SecondUv
        }
        Some(uvs) => {
            mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, uvs);
            FeatureIndex::FirstUv
        }
    };
    if !m.colors.is_empty() {
        let linear: Vec<[f32; 4]> = m
            .colors
            .iter()
            .map(|c| {
                Color::srgba_u8(c[0], c[1], c[2], c[3])
                    .to_linear()
                    .to_f32_array()
            })
            .collect();
        mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, linear);
    }
    mesh.insert_indices(Indices::U32(m.indices));
    (mesh, spec)
}
