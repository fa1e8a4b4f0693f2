//! What a frame costs, for `cim bench`: CPU time of the stages that scale
//! with the data (terrain LOD and streaming, mesh upload), and per-entity
//! mesh sizes to count triangles drawn and GPU memory held.
//!
//! Stage times are atomics behind a shared resource, so any system can add
//! to them through `Res` without ordering against the others.

use bevy::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A stage of the frame that `cim bench` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Terrain LOD selection, streaming plans, tile uploads.
    Lod,
    /// Vector layer chunks spawned from finished builds.
    Upload,
}

/// Nanoseconds spent per stage since the last [`FrameStats::take`].
#[derive(Resource, Default, Debug)]
pub struct FrameStats {
    lod_ns: AtomicU64,
    upload_ns: AtomicU64,
}

impl FrameStats {
    fn counter(&self, stage: Stage) -> &AtomicU64 {
        match stage {
            Stage::Lod => &self.lod_ns,
            Stage::Upload => &self.upload_ns,
        }
    }

    pub fn add(&self, stage: Stage, d: Duration) {
        self.counter(stage)
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// The time spent in `stage` since the last take, and a fresh start.
    pub fn take(&self, stage: Stage) -> Duration {
        Duration::from_nanos(self.counter(stage).swap(0, Ordering::Relaxed))
    }
}

/// Times a stage until dropped (a system's body).
pub struct StageTimer<'a> {
    stats: Option<&'a FrameStats>,
    stage: Stage,
    started: Instant,
}

impl<'a> StageTimer<'a> {
    pub fn start(stats: Option<&'a FrameStats>, stage: Stage) -> StageTimer<'a> {
        StageTimer {
            stats,
            stage,
            started: Instant::now(),
        }
    }
}

impl Drop for StageTimer<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.stats {
            s.add(self.stage, self.started.elapsed());
        }
    }
}

/// The size of an entity's mesh, recorded when it is spawned (the mesh
/// data itself lives only in the render world).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeshStats {
    pub triangles: u32,
    /// Vertex and index bytes uploaded to the GPU.
    pub bytes: u32,
}

impl MeshStats {
    /// Of a triangle-list mesh, from its attributes and indices.
    pub fn of(mesh: &Mesh) -> MeshStats {
        let indices = mesh.indices().map_or(0, |i| i.len());
        let vertex_bytes = mesh.count_vertices() * mesh.get_vertex_size() as usize;
        let index_bytes = indices * 4;
        MeshStats {
            triangles: (indices / 3).min(u32::MAX as usize) as u32,
            bytes: (vertex_bytes + index_bytes).min(u32::MAX as usize) as u32,
        }
    }
}
