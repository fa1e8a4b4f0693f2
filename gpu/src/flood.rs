//! The flood solver on the GPU: `shaders/flood.wgsl` run through wgpu as
//! an [`Engine`], the same scheme and step rule as the CPU's
//! (`cim_core::flood`), so a scenario gives the same water on either to
//! `f32` round-off.
//!
//! The water lives on the GPU between outputs. Each step is three
//! dispatches — `plan` (one workgroup: the step's length from the fastest
//! wave, the rain's and inflows' depths, the clock), `step` (every cell)
//! and `measure` (each tile's fastest wave for the next plan) — and a
//! batch of them is submitted at once; only a few bytes (the
//! clock) come back per batch, the grid only at outputs. The clock runs
//! in `f32` from the start of each output interval (`base`, kept in `f64`
//! here), so it stays fine however long the run. Volumes are summed on the
//! GPU with compensated (Kahan) sums per edge cell and per source, and
//! added to the `f64` ledger here once per interval.

use crate::{Gpu, GpuError};
use cim_core::flood::infiltration::Infiltration;
use cim_core::flood::run::{DRY_STEP_S, Engine, EngineError, Forcing, Tracks};
use cim_core::flood::{Boundary, Ledger, Solver, State};
use std::sync::Arc;
use std::time::Instant;
use wgpu::util::DeviceExt;

const SHADER: &str = include_str!("../../shaders/flood.wgsl");

/// The most point inflows the kernels take (`MAX_INFLOWS` in the shader).
pub const MAX_INFLOWS: usize = 64;
/// `Control` before its partial maxima: 8 words, then the inflows' depths
/// and sums.
const HEADER_BYTES: u64 = 32 + 4 * MAX_INFLOWS as u64 + 8 * MAX_INFLOWS as u64;
/// The step kernel's workgroup is a 16 × 16 tile of cells.
const TILE: usize = 16;
/// The bytes a step moves per cell, each read or written once: the water
/// read (16) and written (16), the ground (16), the tracks read and
/// written (32), the new water read again for the next step's wave speed
/// (16); neighbours' water comes from cache. What the throughput is
/// measured against a memory bandwidth with.
pub const BYTES_PER_CELL_UPDATE: usize = 16 + 16 + 16 + 32 + 16;
/// A batch is sized to take about this long, so progress comes often
/// (unless [`GpuFlood::set_batch_limit`] says otherwise).
const BATCH_WALL_S: f64 = 0.25;

/// The flood engine on a GPU.
pub struct GpuFlood {
    gpu: Gpu,
    nx: usize,
    ny: usize,
    cell_m: f64,
    groups: (u32, u32),
    params: [u32; 16],
    plan: wgpu::ComputePipeline,
    step: wgpu::ComputePipeline,
    measure: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    buffers: Buffers,
    /// `bind[p]` reads `water[p]` and writes the other.
    bind: [wgpu::BindGroup; 2],
    /// Which `water` buffer holds the water now.
    parity: usize,
    time_s: f64,
    steps: u64,
    ledger: Ledger,
    /// The share of the rain each cell gets, summed: cells' worth.
    wet_cells: f64,
    /// The ground as uploaded (bed, n, drain, rain share), to change the
    /// rain's shares, and the study area they fall on.
    ground: Vec<f32>,
    rain_mask: Option<Vec<bool>>,
    /// The rain field the shares are from (`None`: uniform).
    rain_field: Option<Arc<Vec<f32>>>,
    /// How long a batch of steps may keep the GPU.
    batch: BatchLimit,
}

/// How many steps go in one batch (at most 4 096, and no more than the
/// interval needs at the pace so far).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchLimit {
    /// As many as take about this long, s, by the batches so far: a device
    /// of the engine's own.
    Wall(f64),
    /// About this many cell-updates: a device that also draws the view,
    /// whose frames queue between batches (and would count in a wall
    /// time), so each batch's share of the GPU stays short.
    CellUpdates(f64),
}

struct Buffers {
    params: wgpu::Buffer,
    ground: wgpu::Buffer,
    water: [wgpu::Buffer; 2],
    tracks: wgpu::Buffer,
    control: wgpu::Buffer,
    edges: wgpu::Buffer,
    forcing: wgpu::Buffer,
    header: wgpu::Buffer,
}

/// What a batch's header says.
struct Header {
    elapsed: f32,
    arrived: bool,
    steps: u32,
    rain_sum: f64,
    inflow_sums: Vec<f64>,
}

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError(format!("the GPU failed: {e}"))
}

impl GpuFlood {
    /// The solver's domain, water, clock, ledger, rain mask and
    /// infiltration, moved onto `gpu`.
    pub fn new(gpu: &Gpu, solver: &Solver) -> Result<GpuFlood, GpuError> {
        let d = &solver.domain;
        let (nx, ny, n) = (d.nx, d.ny, d.cells());
        let limits = gpu.device.limits();
        let needed = 16 * n as u64;
        let limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if needed > limit {
            return Err(GpuError::TooLarge {
                needed: needed >> 20,
                limit: limit >> 20,
            });
        }
        let groups = (nx.div_ceil(TILE) as u32, ny.div_ceil(TILE) as u32);
        let max_groups = limits.max_compute_workgroups_per_dimension;
        if groups.0 > max_groups || groups.1 > max_groups {
            return Err(GpuError::TooLarge {
                needed: needed >> 20,
                limit: 0,
            });
        }
        let partials = groups.0 as usize * groups.1 as usize;
        let ground = ground(solver);
        let buffers = Buffers::new(gpu, solver, &ground, partials);
        let params = params(solver, partials);
        // Built under an error scope: on the viewer's device a kernel the
        // driver refuses is an error to report, not a panic.
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = gpu
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("flood.wgsl"),
                source: wgpu::ShaderSource::Wgsl(SHADER.into()),
            });
        let layout = bind_group_layout(&gpu.device);
        let pipeline_layout = gpu
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("flood"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = |entry: &str| {
            gpu.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
        };
        let (plan, step, measure) = (pipeline("plan"), pipeline("step"), pipeline("measure"));
        if let Some(e) = futures_lite::future::block_on(scope.pop()) {
            return Err(GpuError::Failed(e.to_string()));
        }
        let bind = buffers.bind_groups(&gpu.device, &layout);
        let wet_cells = solver
            .rain_mask
            .as_ref()
            .map_or(n, |m| m.iter().filter(|&&on| on).count()) as f64;
        let engine = GpuFlood {
            gpu: gpu.clone(),
            nx,
            ny,
            cell_m: d.cell_m,
            groups,
            params,
            plan,
            step,
            measure,
            layout,
            buffers,
            bind,
            parity: 0,
            time_s: solver.time_s,
            steps: solver.steps,
            ledger: solver.ledger,
            wet_cells,
            ground,
            rain_mask: solver.rain_mask.clone(),
            rain_field: None,
            batch: BatchLimit::Wall(BATCH_WALL_S),
        };
        // The first plan needs the fastest wave of the water as it starts.
        let mut enc = engine.encoder();
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&engine.measure);
            pass.set_bind_group(0, &engine.bind[0], &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
        engine.gpu.queue.submit([enc.finish()]);
        Ok(engine)
    }

    /// Takes `k` steps with neither rain nor inflows nor a time to land
    /// on, and waits for them: what `cim flood bench` times.
    pub fn take_steps(&mut self, k: u32) -> Result<(), EngineError> {
        let base = self.time_s;
        self.begin(&Forcing::default(), base, f32::MAX)?;
        let mut left = k;
        while left > 0 {
            let n = left.min(256);
            self.submit_steps(n);
            left -= n;
        }
        let got = self.read_header()?;
        self.end(&got)?;
        self.time_s = base + got.elapsed as f64;
        Ok(())
    }

    /// Starts an interval from `base` (s) to `until` (s after it): the
    /// forcing and the clock uploaded, the edge sums zeroed.
    fn begin(&mut self, forcing: &Forcing, base: f64, until: f32) -> Result<(), EngineError> {
        self.upload_forcing(forcing, base)?;
        let mut header = [0u32; HEADER_BYTES as usize / 4];
        header[2] = until.to_bits();
        let b = &self.buffers;
        let q = &self.gpu.queue;
        q.write_buffer(&b.control, 0, &le_bytes(&header));
        let mut enc = self.encoder();
        enc.clear_buffer(&b.edges, 0, None);
        q.submit([enc.finish()]);
        Ok(())
    }

    /// Ends an interval: what came in and went out added to the ledger.
    fn end(&mut self, got: &Header) -> Result<(), EngineError> {
        let area = self.cell_area();
        let edges = self.download(&self.buffers.edges)?;
        let out: f64 = edges
            .chunks_exact(2)
            .map(|e| e[0] as f64 - e[1] as f64)
            .sum();
        let l = &mut self.ledger;
        l.outflow += out * self.cell_m;
        l.added += got.rain_sum * self.wet_cells * area;
        l.added += got.inflow_sums.iter().sum::<f64>() * area;
        self.steps += got.steps as u64;
        Ok(())
    }

    /// Steps to `until`, with no rain field change in between.
    fn advance_within(
        &mut self,
        forcing: &Forcing,
        until: f64,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(), EngineError> {
        let base = self.time_s;
        self.begin(forcing, base, (until - base) as f32)?;
        let mut k = 4u32;
        let got = loop {
            let started = Instant::now();
            self.submit_steps(k);
            let h = self.read_header()?;
            progress(base + h.elapsed as f64);
            if h.arrived {
                break h;
            }
            // Enough steps to arrive at the pace so far, within a batch's
            // wall time.
            let per_step = started.elapsed().as_secs_f64() / k as f64;
            let pace = h.elapsed as f64 / h.steps.max(1) as f64;
            let left = (until - base - h.elapsed as f64).max(0.0);
            let want = (left / pace.max(1e-9)).ceil() + 1.0;
            let cap = match self.batch {
                BatchLimit::Wall(s) => s / per_step.max(1e-9),
                BatchLimit::CellUpdates(n) => n / self.cells() as f64,
            }
            .clamp(1.0, 4096.0);
            k = want.clamp(1.0, cap) as u32;
        };
        self.end(&got)?;
        self.time_s = until;
        Ok(())
    }

    /// The rain's shares from `field` (uniform without) over the study
    /// area, uploaded when they change.
    fn use_rain_field(&mut self, field: Option<&Arc<Vec<f32>>>) {
        let same = match (&self.rain_field, field) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if same {
            return;
        }
        self.rain_field = field.cloned();
        let mut wet = 0.0f64;
        for (c, g) in self.ground.chunks_exact_mut(4).enumerate() {
            let on = self.rain_mask.as_ref().is_none_or(|m| m[c]);
            g[3] = if on { field.map_or(1.0, |f| f[c]) } else { 0.0 };
            wet += g[3] as f64;
        }
        self.wet_cells = wet;
        let bytes = as_bytes(&self.ground);
        self.gpu.queue.write_buffer(&self.buffers.ground, 0, &bytes);
    }

    /// How long each batch of steps may keep the GPU.
    pub fn set_batch_limit(&mut self, limit: BatchLimit) {
        self.batch = limit;
    }

    /// The adapter the engine runs on.
    pub fn adapter(&self) -> &str {
        &self.gpu.adapter
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("flood"),
            })
    }

    /// The forcing as the kernels read it, times from `base`; rebinds the
    /// forcing buffer when it has grown.
    fn upload_forcing(&mut self, forcing: &Forcing, base: f64) -> Result<(), EngineError> {
        if forcing.inflows.len() > MAX_INFLOWS {
            return Err(EngineError(format!(
                "{} inflows; the GPU engine takes at most {MAX_INFLOWS}",
                forcing.inflows.len()
            )));
        }
        let bits = |v: f64| (v as f32).to_bits();
        let mut data: Vec<u32> = Vec::new();
        for &(t, rate) in &forcing.rain {
            data.extend([bits(t - base), bits(rate)]);
        }
        let mut first = data.len() + 3 * forcing.inflows.len();
        for (cell, series) in &forcing.inflows {
            let cell = u32::try_from(*cell).unwrap_or(u32::MAX);
            data.extend([cell, first as u32, series.len() as u32]);
            first += 2 * series.len();
        }
        for (_, series) in &forcing.inflows {
            for &[t, q] in series {
                data.extend([bits(t - base), bits(q)]);
            }
        }
        data.push(0);
        let bytes = le_bytes(&data);
        if bytes.len() as u64 > self.buffers.forcing.size() {
            self.buffers.forcing = storage(&self.gpu.device, "forcing", &bytes);
            self.bind = self.buffers.bind_groups(&self.gpu.device, &self.layout);
        } else {
            self.gpu
                .queue
                .write_buffer(&self.buffers.forcing, 0, &bytes);
        }
        self.params[12] = forcing.rain.len() as u32;
        self.params[13] = forcing.inflows.len() as u32;
        self.params[14] = (base as f32).to_bits();
        let params = le_bytes(&self.params);
        self.gpu
            .queue
            .write_buffer(&self.buffers.params, 0, &params);
        Ok(())
    }

    /// Records `k` steps and a copy of the header to read back.
    fn submit_steps(&mut self, k: u32) {
        let mut enc = self.encoder();
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            for _ in 0..k {
                pass.set_bind_group(0, &self.bind[self.parity], &[]);
                pass.set_pipeline(&self.plan);
                pass.dispatch_workgroups(1, 1, 1);
                pass.set_pipeline(&self.step);
                pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
                self.parity ^= 1;
                pass.set_bind_group(0, &self.bind[self.parity], &[]);
                pass.set_pipeline(&self.measure);
                pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
            }
        }
        let b = &self.buffers;
        enc.copy_buffer_to_buffer(&b.control, 0, &b.header, 0, HEADER_BYTES);
        self.gpu.queue.submit([enc.finish()]);
    }

    fn read_header(&self) -> Result<Header, EngineError> {
        let words = read(&self.gpu, &self.buffers.header, HEADER_BYTES)?;
        let kahan = |at: usize| words[at] as f64 - words[at + 1] as f64;
        let sums = 8 + MAX_INFLOWS;
        Ok(Header {
            elapsed: words[1],
            arrived: words[3].to_bits() != 0,
            steps: words[4].to_bits(),
            rain_sum: kahan(6),
            inflow_sums: (0..MAX_INFLOWS).map(|k| kahan(sums + 2 * k)).collect(),
        })
    }

    /// A whole buffer, read back.
    fn download(&self, buffer: &wgpu::Buffer) -> Result<Vec<f32>, EngineError> {
        let size = buffer.size();
        let staging = self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("flood read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.encoder();
        enc.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.gpu.queue.submit([enc.finish()]);
        read(&self.gpu, &staging, size)
    }

    /// The water buffer now, (h, hu, hv, infiltrated) per cell.
    fn water(&self) -> Result<Vec<f32>, EngineError> {
        self.download(&self.buffers.water[self.parity])
    }
}

impl Engine for GpuFlood {
    fn backend(&self) -> &'static str {
        "gpu"
    }

    fn device(&self) -> String {
        self.gpu.adapter.clone()
    }

    fn cells(&self) -> usize {
        self.nx * self.ny
    }

    fn cell_area(&self) -> f64 {
        self.cell_m * self.cell_m
    }

    fn time_s(&self) -> f64 {
        self.time_s
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn advance(
        &mut self,
        forcing: &Forcing,
        until: f64,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(), EngineError> {
        // A rain field changes only between batches: up to each change
        // (where the step rule lands anyway, as the rain changes there).
        while self.time_s < until {
            let t = self.time_s;
            self.use_rain_field(forcing.rain_field_at(t));
            let next = if forcing.rain_fields.is_empty() {
                until
            } else {
                forcing.rain_change_after(t).min(until)
            };
            self.advance_within(forcing, next, progress)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<State, EngineError> {
        let w = self.water()?;
        let pick = |k: usize| w.chunks_exact(4).map(|c| c[k]).collect();
        Ok(State {
            h: pick(0),
            hu: pick(1),
            hv: pick(2),
        })
    }

    fn tracks(&mut self) -> Result<Tracks, EngineError> {
        let t = self.download(&self.buffers.tracks)?;
        let pick = |k: usize| t.chunks_exact(4).map(|c| c[k]).collect();
        let arrival: Vec<f32> = pick(2);
        Ok(Tracks {
            max_depth: pick(0),
            max_speed: pick(1),
            arrival_s: arrival
                .into_iter()
                .map(|a| if a < 0.0 { f32::NAN } else { a })
                .collect(),
        })
    }

    fn ledger(&mut self) -> Result<Ledger, EngineError> {
        // What the ground took in and the drains took away is what each
        // cell says they took.
        let sum = |v: Vec<f32>, k: usize| v.chunks_exact(4).map(|c| c[k] as f64).sum::<f64>();
        self.ledger.infiltrated = sum(self.water()?, 3) * self.cell_area();
        let drained = sum(self.download(&self.buffers.tracks)?, 3);
        self.ledger.drained = drained * self.cell_area();
        Ok(self.ledger)
    }
}

/// The ground as the kernels read it: (bed, n, drain, rain share) per
/// cell, the share 1 on the study area (uniform rain).
fn ground(s: &Solver) -> Vec<f32> {
    let d = &s.domain;
    let drain = |c: usize| s.drain.as_ref().map_or(0.0, |d| d[c]);
    let rains = |c: usize| s.rain_mask.as_ref().is_none_or(|m| m[c]) as u8 as f32;
    (0..d.cells())
        .flat_map(|c| [d.bed[c], d.manning[c], drain(c), rains(c)])
        .collect()
}

/// The kernels' constants (`Params` in the shader), as words.
fn params(s: &Solver, partials: usize) -> [u32; 16] {
    let d = &s.domain;
    let (boundary, level) = match d.boundary {
        Boundary::Closed => (0, 0.0),
        Boundary::Open => (1, 0.0),
        Boundary::Level(eta) => (2, eta),
    };
    let (law, a, suction) = match s.infiltration {
        Infiltration::None => (0, 0.0, 0.0),
        Infiltration::Constant { rate_ms } => (1, rate_ms, 0.0),
        Infiltration::GreenAmpt {
            ks_ms,
            suction_m,
            deficit,
        } => (2, ks_ms, suction_m * deficit),
    };
    let f = |v: f64| (v as f32).to_bits();
    [
        d.nx as u32,
        d.ny as u32,
        f(d.cell_m),
        f(s.cfl),
        boundary,
        level.to_bits(),
        law,
        f(a),
        f(suction),
        0,
        f(DRY_STEP_S),
        partials as u32,
        0,
        0,
        0,
        0,
    ]
}

impl Buffers {
    fn new(gpu: &Gpu, s: &Solver, ground: &[f32], partials: usize) -> Buffers {
        let dev = &gpu.device;
        let d = &s.domain;
        let n = d.cells();
        let st = &s.state;
        let water: Vec<f32> = (0..n)
            .flat_map(|c| [st.h[c], st.hu[c], st.hv[c], s.infiltrated[c]])
            .collect();
        let t = Tracks::new(st, s.time_s);
        let tracks: Vec<f32> = (0..n)
            .flat_map(|c| {
                let a = t.arrival_s[c];
                [
                    t.max_depth[c],
                    t.max_speed[c],
                    if a.is_nan() { -1.0 } else { a },
                    0.0,
                ]
            })
            .collect();
        let control = vec![0.0f32; HEADER_BYTES as usize / 4 + partials];
        let edges = vec![0.0f32; 4 * (d.nx + d.ny)];
        let water = as_bytes(&water);
        Buffers {
            params: dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("flood params"),
                contents: &le_bytes(&params(s, partials)),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            }),
            ground: storage(dev, "ground", &as_bytes(ground)),
            water: [
                storage(dev, "water a", &water),
                storage(dev, "water b", &water),
            ],
            tracks: storage(dev, "tracks", &as_bytes(&tracks)),
            control: storage(dev, "control", &as_bytes(&control)),
            edges: storage(dev, "edges", &as_bytes(&edges)),
            forcing: storage(dev, "forcing", &[0; 16]),
            header: dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("flood header read-back"),
                size: HEADER_BYTES,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
        }
    }

    fn bind_groups(
        &self,
        dev: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
    ) -> [wgpu::BindGroup; 2] {
        [0, 1].map(|p| {
            let buffers = [
                &self.params,
                &self.ground,
                &self.water[p],
                &self.water[1 - p],
                &self.tracks,
                &self.control,
                &self.edges,
                &self.forcing,
            ];
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .enumerate()
                .map(|(k, b)| wgpu::BindGroupEntry {
                    binding: k as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            dev.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("flood"),
                layout,
                entries: &entries,
            })
        })
    }
}

/// Binding 0 the constants; 1–7 storage, read-only or not as the shader
/// declares them.
fn bind_group_layout(dev: &wgpu::Device) -> wgpu::BindGroupLayout {
    let read_only = [true, true, false, false, false, false, true];
    let mut entries = vec![wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }];
    entries.extend(
        read_only
            .iter()
            .enumerate()
            .map(|(k, &ro)| wgpu::BindGroupLayoutEntry {
                binding: k as u32 + 1,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: ro },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }),
    );
    dev.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("flood"),
        entries: &entries,
    })
}

fn storage(dev: &wgpu::Device, label: &str, bytes: &[u8]) -> wgpu::Buffer {
    dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytes,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC,
    })
}

/// Words as the GPU's little-endian bytes.
fn le_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn as_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The first `size` bytes of a mappable buffer, once the GPU is done
/// with it.
fn read(gpu: &Gpu, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<f32>, EngineError> {
    let slice = buffer.slice(..size);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(failed)?;
    rx.recv().map_err(failed)?.map_err(failed)?;
    let words = slice
        .get_mapped_range()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    buffer.unmap();
    Ok(words)
}
