//! What the render world knows that the main world needs: the adapter kind,
//! the texture size limit, pipelines still compiling, frames rendered.
//! Published through shared atomics by one system at the end of each
//! render frame; snapshots use it to decide when the scene has settled,
//! the viewer to pick a render quality.

use bevy::prelude::*;
use bevy::render::render_resource::PipelineCache;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy::render::{Render, RenderApp, RenderSystems};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// Shared between the main and render worlds (zeros until the device exists).
#[derive(Resource, Clone, Default)]
pub struct RenderProbe {
    waiting: Arc<AtomicUsize>,
    max_texture: Arc<AtomicU32>,
    frames: Arc<AtomicUsize>,
    software: Arc<AtomicBool>,
}

impl RenderProbe {
    /// Pipelines queued or compiling after the last render frame.
    pub fn waiting_pipelines(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
    /// The device's 2D texture size limit; 0 before the first frame.
    pub fn max_texture(&self) -> u32 {
        self.max_texture.load(Ordering::Relaxed)
    }
    /// Render frames finished so far.
    pub fn frames(&self) -> usize {
        self.frames.load(Ordering::Relaxed)
    }
    /// True when the adapter is a software rasteriser (e.g. lavapipe);
    /// meaningful once `frames() > 0`.
    pub fn software(&self) -> bool {
        self.software.load(Ordering::Relaxed)
    }
}

fn publish(
    probe: Res<RenderProbe>,
    cache: Res<PipelineCache>,
    device: Res<RenderDevice>,
    adapter: Res<RenderAdapterInfo>,
) {
    probe
        .waiting
        .store(cache.waiting_pipelines().count(), Ordering::Relaxed);
    probe
        .max_texture
        .store(device.limits().max_texture_dimension_2d, Ordering::Relaxed);
    probe.software.store(
        adapter.0.device_type == wgpu_types::DeviceType::Cpu,
        Ordering::Relaxed,
    );
    probe.frames.fetch_add(1, Ordering::Relaxed);
}

pub struct RenderProbePlugin;

impl Plugin for RenderProbePlugin {
    fn build(&self, app: &mut App) {
        let probe = RenderProbe::default();
        app.insert_resource(probe.clone());
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app
                .insert_resource(probe)
                .add_systems(Render, publish.in_set(RenderSystems::Cleanup));
        }
    }
}
