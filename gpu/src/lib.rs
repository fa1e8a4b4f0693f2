//! CIM Studio's simulations on the GPU: compute kernels in WGSL
//! (`shaders/`) run through wgpu, on a headless device of their own
//! ([`Gpu::headless`]) or on the viewer's ([`Gpu::from_device`]).
//!
//! Each engine here mirrors a CPU one in `cim-core` and implements the same
//! trait, so callers pick a backend and nothing else changes; the CPU path
//! stays the reference, and the tests hold the two to round-off.
//!
//! - [`flood`]: the shallow-water flood solver (`cim_core::flood`).

pub mod flood;

/// Why no GPU could be had or used.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter (on Linux without a GPU, Mesa's lavapipe — the mesa-vulkan-drivers package — gives one): {0}"
    )]
    NoAdapter(String),
    #[error("the GPU refused a device: {0}")]
    NoDevice(String),
    #[error("the grid needs a {needed} MiB buffer; this GPU binds at most {limit} MiB")]
    TooLarge { needed: u64, limit: u64 },
    #[error("the GPU failed: {0}")]
    Failed(String),
}

/// A device and its queue, and what the adapter is.
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The adapter's name and backend, for reports ("llvmpipe … (Vulkan)").
    pub adapter: String,
    /// A GPU emulated on the CPU (lavapipe): right, but slower there than
    /// the CPU path.
    pub software: bool,
}

impl Gpu {
    /// A device of its own, on the first adapter wgpu finds (the
    /// `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`
    /// environment variables choose), with all the adapter's limits — a
    /// 16 M-cell grid's buffers are larger than WebGPU's defaults.
    pub fn headless() -> Result<Gpu, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = futures_lite::future::block_on(
            wgpu::util::initialize_adapter_from_env_or_default(&instance, None),
        )
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) =
            futures_lite::future::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
                label: Some("cim-gpu"),
                required_limits: adapter.limits(),
                ..Default::default()
            }))
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        Ok(Gpu {
            device,
            queue,
            adapter: format!("{} ({:?})", info.name, info.backend),
            software: info.device_type == wgpu::DeviceType::Cpu,
        })
    }

    /// The viewer's device (Bevy's render device), shared.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue, info: &wgpu::AdapterInfo) -> Gpu {
        Gpu {
            device,
            queue,
            adapter: format!("{} ({:?})", info.name, info.backend),
            software: info.device_type == wgpu::DeviceType::Cpu,
        }
    }
}
