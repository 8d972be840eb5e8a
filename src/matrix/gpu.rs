//! GPU backend: wgpu compute shaders build the GLCM, GLRLM, GLDM, NGTDM and histogram of a whole
//! batch of regions per dispatch; GLSZM (a flood fill) stays on the CPU and runs while the GPU
//! works.
//!
//! The device, queue, pipelines and bind-group layout are created once per process
//! ([`GpuContext::shared`]). Each call of [`Backend::build`] packs regions into batches under a
//! memory budget taken from the adapter's limits, uploads every batch's ranks once, runs the
//! three kernels (`shaders/glcm.wgsl`, `shaders/glrlm.wgsl`, `shaders/neighbourhood.wgsl`),
//! reads the counts back and unpacks them into the same [`Matrices`] the CPU builds. A region too
//! large for any batch on its own is built by the CPU builder, which gives the same integers.

use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::{cpu, Backend, Matrices};
use crate::discretize::GrayLevels;
use crate::error::{Error, Result};
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::{GldmMatrix, DEPENDENCE_SIZES};
use crate::features::glrlm::GlrlmMatrix;
use crate::features::ngtdm::{NgtdmMatrix, MAX_NEIGHBOURS};

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const GLCM_SHADER: &str = include_str!("../../shaders/glcm.wgsl");
const GLRLM_SHADER: &str = include_str!("../../shaders/glrlm.wgsl");
const NEIGHBOURHOOD_SHADER: &str = include_str!("../../shaders/neighbourhood.wgsl");

/// Bounding-box pixels per workgroup of the pixel kernels (GLCM, neighbourhood).
const TILE: usize = 2048;
/// Lines per workgroup of the GLRLM kernel.
const LINES_PER_GROUP: usize = 64;
/// Largest dimension of a dispatch grid.
const MAX_GROUPS_PER_DIMENSION: usize = 65_535;
/// Upper bound of the device memory one batch may use for its two large buffers (bytes).
const MEMORY_BUDGET: u64 = 1 << 30;

/// WGSL declarations of the host's work-split constants, prepended to every shader so that host
/// and kernels cannot disagree.
fn shader_constants() -> String {
    format!(
        "// Work split, from src/matrix/gpu.rs.\nconst TILE: u32 = {TILE}u;\nconst LINES_PER_GROUP: u32 = {LINES_PER_GROUP}u;\n\n"
    )
}

/// What `sonorad info` shows about an adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    /// Adapter name, e.g. `NVIDIA H100 80GB HBM3` or `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Graphics API, e.g. `Vulkan`.
    pub backend: String,
    /// Device type: `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (a software driver) ...
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
}

impl AdapterSummary {
    fn of(info: &wgpu::AdapterInfo) -> AdapterSummary {
        AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
        }
    }

    /// Whether this is a hardware GPU (not a software rasterizer such as lavapipe).
    pub fn is_hardware(&self) -> bool {
        self.device_type != "Cpu" && self.device_type != "Other"
    }
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter wgpu sees on this machine.
pub fn adapters() -> Vec<AdapterSummary> {
    let instance = instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|a| AdapterSummary::of(&a.get_info()))
        .collect()
}

/// Device, queue, pipelines and layout, created once per process.
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    layout: wgpu::BindGroupLayout,
    glcm: wgpu::ComputePipeline,
    glrlm: wgpu::ComputePipeline,
    neighbourhood: wgpu::ComputePipeline,
    /// Largest storage buffer the device binds, bounded by [`MEMORY_BUDGET`].
    buffer_limit: u64,
    /// Buffers kept from batch to batch; a batch takes the lock for its whole run.
    pool: Mutex<BufferPool>,
}

/// Buffers reused across batches. Each grows (to the next power of two) when a batch
/// needs more than it holds and is never shrunk, so a run of similar batches allocates once.
#[derive(Default)]
struct BufferPool {
    /// The batch's packed ranks on the host, before their upload.
    host_ranks: Vec<u8>,
    ranks: Option<wgpu::Buffer>,
    gray: Option<wgpu::Buffer>,
    counts: Option<wgpu::Buffer>,
    readback: Option<wgpu::Buffer>,
    /// Per kernel: region records, then the region of each workgroup.
    kernel_regions: [Option<wgpu::Buffer>; 3],
    kernel_groups: [Option<wgpu::Buffer>; 3],
    kernel_params: [Option<wgpu::Buffer>; 3],
}

/// Returns the buffer in `slot`, replaced by a larger one first when it holds fewer than
/// `size` bytes.
fn ensure<'a>(
    device: &wgpu::Device,
    slot: &'a mut Option<wgpu::Buffer>,
    label: &str,
    size: u64,
    usage: wgpu::BufferUsages,
) -> &'a wgpu::Buffer {
    let size = size.max(16);
    if slot.as_ref().is_some_and(|b| b.size() < size) {
        *slot = None;
    }
    slot.get_or_insert_with(|| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.next_power_of_two(),
            usage,
            mapped_at_creation: false,
        })
    })
}

static SHARED: OnceLock<std::result::Result<Arc<GpuContext>, String>> = OnceLock::new();

impl GpuContext {
    /// The process-wide context on the preferred adapter (a hardware GPU when there is one),
    /// created on first use.
    pub fn shared() -> Result<Arc<GpuContext>> {
        SHARED
            .get_or_init(|| GpuContext::new().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(|message| Error::Backend {
                backend: "gpu".into(),
                message,
            })
    }

    fn new() -> Result<GpuContext> {
        let fail = |message: String| Error::Backend {
            backend: "gpu".into(),
            message,
        };
        let instance = instance();
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| fail(format!("no GPU adapter found ({e})")))?;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sonorad"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| fail(format!("cannot open the GPU device: {e}")))?;
        let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("sonorad matrices"),
            entries: &[
                storage(0, true),
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, false),
                wgpu::BindGroupLayoutEntry {
                    binding: 5,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("sonorad matrices"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |label: &str, source: &str| {
            let code = format!("{}{COMMON}\n{source}", shader_constants());
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(code.into()),
            });
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let glcm = pipeline("glcm", GLCM_SHADER);
        let glrlm = pipeline("glrlm", GLRLM_SHADER);
        let neighbourhood = pipeline("neighbourhood", NEIGHBOURHOOD_SHADER);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(fail(format!("shader compilation failed: {e}")));
        }
        let buffer_limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(MEMORY_BUDGET);
        Ok(GpuContext {
            device,
            queue,
            adapter: AdapterSummary::of(&adapter.get_info()),
            layout,
            glcm,
            glrlm,
            neighbourhood,
            buffer_limit,
            pool: Mutex::new(BufferPool::default()),
        })
    }

    /// The adapter this context runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }
}

/// [`ensure`]s a buffer of at least `bytes.len()` bytes in `slot` and queues `bytes` into it.
fn upload<'a>(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    slot: &'a mut Option<wgpu::Buffer>,
    label: &str,
    bytes: &[u8],
    usage: wgpu::BufferUsages,
) -> &'a wgpu::Buffer {
    let buffer = ensure(device, slot, label, bytes.len() as u64, usage);
    queue.write_buffer(buffer, 0, bytes);
    buffer
}

/// Per-region record shared with the shaders (`struct Region` in `shaders/common.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct RegionRecord {
    pixel_offset: u32,
    width: u32,
    height: u32,
    levels: u32,
    level_offset: u32,
    glcm_offset: u32,
    glrlm_offset: u32,
    max_run: u32,
    gldm_offset: u32,
    ngtdm_offset: u32,
    histogram_offset: u32,
    flag_offset: u32,
    first_group: u32,
    pad: [u32; 3],
}

/// Dispatch parameters (`struct Params`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    groups: u32,
    groups_x: u32,
    rank_bits: u32,
    pad: u32,
}

/// Sizes of one region's parts of the counts buffer, in u32 cells.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    pixels: u64,
    glcm: u64,
    glrlm: u64,
    gldm: u64,
    ngtdm: u64,
    histogram: u64,
}

impl Footprint {
    fn of(g: &GrayLevels) -> Footprint {
        let l = g.level_count() as u64;
        let max_run = g.width.max(g.height) as u64;
        Footprint {
            pixels: (g.width * g.height) as u64,
            glcm: 4 * l * l,
            glrlm: 4 * l * max_run,
            gldm: l * DEPENDENCE_SIZES as u64,
            ngtdm: l + 2 * l * MAX_NEIGHBOURS as u64,
            histogram: l,
        }
    }

    /// Cells of the counts buffer, including the 4 GLRLM angle flags.
    fn cells(&self) -> u64 {
        self.glcm + self.glrlm + self.gldm + self.ngtdm + self.histogram + 4
    }
}

/// The GPU backend.
pub struct GpuBackend {
    context: Arc<GpuContext>,
}

impl GpuBackend {
    /// The backend on the process-wide GPU context.
    pub fn new() -> Result<GpuBackend> {
        Ok(GpuBackend {
            context: GpuContext::shared()?,
        })
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        self.context.adapter()
    }

    /// Splits region indices into batches whose ranks and counts each fit the buffer limit.
    /// Regions that do not fit even alone are returned separately.
    fn plan(&self, regions: &[&GrayLevels]) -> (Vec<Vec<usize>>, Vec<usize>) {
        let cells_limit = self.context.buffer_limit / 4;
        let (mut batches, mut alone) = (Vec::new(), Vec::new());
        let (mut current, mut pixels, mut cells) = (Vec::new(), 0u64, 0u64);
        for (k, g) in regions.iter().enumerate() {
            let f = Footprint::of(g);
            if f.pixels > cells_limit || f.cells() > cells_limit || g.level_count() > MAX_GPU_LEVELS
            {
                alone.push(k);
                continue;
            }
            if pixels + f.pixels > cells_limit || cells + f.cells() > cells_limit {
                batches.push(std::mem::take(&mut current));
                pixels = 0;
                cells = 0;
            }
            current.push(k);
            pixels += f.pixels;
            cells += f.cells();
        }
        if !current.is_empty() {
            batches.push(current);
        }
        (batches, alone)
    }

    /// Builds the GPU matrices of one batch.
    fn run_batch(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        let mut trace = Trace::from_env();
        let ctx = &*self.context;
        let fail = |message: String| Error::Backend {
            backend: "gpu".into(),
            message,
        };
        // Per-region offsets and gray levels; the ranks are packed below, into the pool.
        let mut records = Vec::with_capacity(regions.len());
        let mut gray = Vec::new();
        let (mut pixels, mut cells) = (0usize, 0u64);
        let (mut tile_groups, mut line_groups) = (Vec::new(), Vec::new());
        for (k, g) in regions.iter().enumerate() {
            let f = Footprint::of(g);
            let mut at = |n: u64| {
                let start = cells;
                cells += n;
                start as u32
            };
            let record = RegionRecord {
                pixel_offset: pixels as u32,
                width: g.width as u32,
                height: g.height as u32,
                levels: g.level_count() as u32,
                level_offset: gray.len() as u32,
                glcm_offset: at(f.glcm),
                glrlm_offset: at(f.glrlm),
                max_run: g.width.max(g.height) as u32,
                gldm_offset: at(f.gldm),
                ngtdm_offset: at(f.ngtdm),
                histogram_offset: at(f.histogram),
                flag_offset: at(4),
                first_group: 0,
                pad: [0; 3],
            };
            pixels += g.ranks.len();
            gray.extend_from_slice(&g.levels);
            let tiles = (g.width * g.height).div_ceil(TILE);
            tile_groups.extend(std::iter::repeat_n(k as u32, tiles));
            let lines = 3 * g.width + 3 * g.height - 2;
            line_groups.extend(std::iter::repeat_n(
                k as u32,
                lines.div_ceil(LINES_PER_GROUP),
            ));
            records.push(record);
        }
        if gray.is_empty() {
            gray.push(0);
        }
        let mut pool = ctx
            .pool
            .lock()
            .map_err(|_| fail("the GPU buffer pool was poisoned by an earlier failure".into()))?;
        let pool = &mut *pool;
        let max_levels = regions.iter().map(|g| g.level_count()).max().unwrap_or(0);
        let rank_bits = rank_bits(max_levels);
        pack_ranks(regions, rank_bits, &mut pool.host_ranks);
        trace.lap("pack");
        let device = &ctx.device;
        let queue = &ctx.queue;
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let ranks_buffer = upload(
            device,
            queue,
            &mut pool.ranks,
            "ranks",
            &pool.host_ranks,
            storage,
        );
        let gray_buffer = upload(
            device,
            queue,
            &mut pool.gray,
            "gray levels",
            bytemuck::cast_slice(&gray),
            storage,
        );
        let counts_size = cells * 4;
        let counts = ensure(
            device,
            &mut pool.counts,
            "counts",
            counts_size,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        );
        let readback = ensure(
            device,
            &mut pool.readback,
            "counts readback",
            counts_size,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("sonorad matrices"),
        });
        encoder.clear_buffer(counts, 0, Some(counts_size));
        let kernels: [(&wgpu::ComputePipeline, &[u32], usize); 3] = [
            (&ctx.glcm, &tile_groups, 0),
            (&ctx.neighbourhood, &tile_groups, 0),
            (&ctx.glrlm, &line_groups, 1),
        ];
        // Bind groups must outlive the pass; build them first.
        let mut bind_groups = Vec::new();
        let slots = pool
            .kernel_regions
            .iter_mut()
            .zip(pool.kernel_groups.iter_mut())
            .zip(pool.kernel_params.iter_mut());
        for ((_, groups, which), ((regions_slot, groups_slot), params_slot)) in
            kernels.iter().zip(slots)
        {
            let mut recs = records.clone();
            let mut first = 0u32;
            for (k, rec) in recs.iter_mut().enumerate() {
                rec.first_group = first;
                let g = regions[k];
                first += if *which == 0 {
                    (g.width * g.height).div_ceil(TILE) as u32
                } else {
                    (3 * g.width + 3 * g.height - 2).div_ceil(LINES_PER_GROUP) as u32
                };
            }
            let n = groups.len();
            let groups_x = n.clamp(1, MAX_GROUPS_PER_DIMENSION);
            let params = Params {
                groups: n as u32,
                groups_x: groups_x as u32,
                rank_bits,
                pad: 0,
            };
            let regions_buffer = upload(
                device,
                queue,
                regions_slot,
                "regions",
                bytemuck::cast_slice(&recs),
                storage,
            );
            let groups_buffer = upload(
                device,
                queue,
                groups_slot,
                "group regions",
                bytemuck::cast_slice(groups),
                storage,
            );
            let params_buffer = upload(
                device,
                queue,
                params_slot,
                "params",
                bytemuck::bytes_of(&params),
                wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            );
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("sonorad matrices"),
                layout: &ctx.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: regions_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: groups_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: ranks_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: gray_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: counts.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 5,
                        resource: params_buffer.as_entire_binding(),
                    },
                ],
            });
            bind_groups.push((bind_group, n, groups_x));
        }
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("sonorad matrices"),
                timestamp_writes: None,
            });
            for ((pipeline, _, _), (bind_group, n, groups_x)) in kernels.iter().zip(&bind_groups) {
                if *n == 0 {
                    continue;
                }
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind_group, &[]);
                pass.dispatch_workgroups(*groups_x as u32, n.div_ceil(*groups_x) as u32, 1);
            }
        }
        encoder.copy_buffer_to_buffer(counts, 0, readback, 0, counts_size);
        queue.submit([encoder.finish()]);
        trace.lap("upload and submit");
        let slice = readback.slice(..counts_size);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = sender.send(r);
        });
        let zones_of = || -> Vec<_> { regions.par_iter().map(|g| cpu::glszm_of(g)).collect() };
        let wait = || {
            device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| fail(format!("waiting for the device failed: {e}")))
        };
        // Zones are a CPU flood fill, computed while the GPU works; a trace waits for the GPU
        // first, so that the wait it reports is the device's time alone.
        let zones = if trace.on() {
            wait()?;
            trace.lap("device (kernels, copy, transfers)");
            let zones = zones_of();
            trace.lap("zones (CPU)");
            zones
        } else {
            let zones = zones_of();
            wait()?;
            zones
        };
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(fail(format!("out of device memory: {e}")));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(fail(format!("validation error: {e}")));
        }
        receiver
            .recv()
            .map_err(|e| fail(format!("readback lost: {e}")))?
            .map_err(|e| fail(format!("cannot map the readback buffer: {e}")))?;
        let view = slice
            .get_mapped_range()
            .map_err(|e| fail(format!("cannot read the readback buffer: {e}")))?;
        let all: &[u32] = bytemuck::cast_slice(&view);
        let out = records
            .par_iter()
            .zip(regions)
            .zip(zones)
            .map(|((rec, g), glszm)| unpack(all, rec, g, glszm))
            .collect();
        drop(view);
        readback.unmap();
        trace.lap("read back and unpack");
        trace.report(regions.len(), pixels, cells);
        Ok(out)
    }
}

/// Most gray levels of a region the GPU takes: its ranks must fit 16 bits. (The dense-matrix
/// limit [`super::MAX_MATRIX_CELLS`] already keeps regions under 4096 levels.)
const MAX_GPU_LEVELS: usize = u16::MAX as usize;

/// Bits per packed rank (`params.rank_bits` in `shaders/common.wgsl`): 8 when every rank of the
/// batch fits a byte (ranks run from 0, outside the region, to the level count), else 16.
fn rank_bits(max_levels: usize) -> u32 {
    if max_levels <= usize::from(u8::MAX) {
        8
    } else {
        16
    }
}

/// Packs the ranks of `regions` one after the other into `out`, `bits` (8 or 16) per rank,
/// little-endian, padded with zeros to whole 32-bit words; regions are packed in parallel.
fn pack_ranks(regions: &[&GrayLevels], bits: u32, out: &mut Vec<u8>) {
    let bytes = bits as usize / 8;
    let used = regions.iter().map(|g| g.ranks.len()).sum::<usize>() * bytes;
    // Every used byte is written below, so only the padding needs clearing: no serial memset of
    // the whole buffer on each batch.
    let len = used.next_multiple_of(4).max(4);
    out.truncate(len);
    out.resize(len, 0);
    out[used..].fill(0);
    let mut parts = Vec::with_capacity(regions.len());
    let mut rest = out.as_mut_slice();
    for g in regions {
        let (part, tail) = rest.split_at_mut(g.ranks.len() * bytes);
        parts.push(part);
        rest = tail;
    }
    parts
        .into_par_iter()
        .zip(regions.par_iter())
        .for_each(|(part, g)| match bytes {
            1 => part
                .iter_mut()
                .zip(&g.ranks)
                .for_each(|(d, &r)| *d = r as u8),
            _ => part
                .chunks_exact_mut(2)
                .zip(&g.ranks)
                .for_each(|(d, &r)| d.copy_from_slice(&(r as u16).to_le_bytes())),
        });
}

/// Wall time of each phase of a batch, printed to stderr when `SONORAD_GPU_TRACE` is set.
struct Trace {
    last: Option<std::time::Instant>,
    laps: Vec<(&'static str, f64)>,
}

impl Trace {
    fn from_env() -> Trace {
        Trace {
            last: std::env::var_os("SONORAD_GPU_TRACE").map(|_| std::time::Instant::now()),
            laps: Vec::new(),
        }
    }

    fn on(&self) -> bool {
        self.last.is_some()
    }

    /// Ends the phase `name` now.
    fn lap(&mut self, name: &'static str) {
        if let Some(last) = self.last.replace(std::time::Instant::now()) {
            self.laps.push((name, last.elapsed().as_secs_f64() * 1e3));
        }
    }

    fn report(&self, regions: usize, pixels: usize, cells: u64) {
        if self.on() {
            let laps: Vec<String> = self
                .laps
                .iter()
                .map(|(name, ms)| format!("{name} {ms:.1} ms"))
                .collect();
            eprintln!(
                "gpu batch: {regions} regions, {pixels} box pixels, {cells} count cells: {}",
                laps.join(", ")
            );
        }
    }
}

/// Turns a region's part of the counts buffer into [`Matrices`].
fn unpack(
    all: &[u32],
    rec: &RegionRecord,
    g: &GrayLevels,
    glszm: crate::features::glszm::GlszmMatrix,
) -> Matrices {
    let l = g.level_count();
    let part = |offset: u32, len: usize| &all[offset as usize..offset as usize + len];
    let max_run = rec.max_run as usize;
    let mut glrlm = GlrlmMatrix::zeros(l, max_run);
    glrlm
        .counts
        .copy_from_slice(part(rec.glrlm_offset, 4 * l * max_run));
    let flags = part(rec.flag_offset, 4);
    for (a, &flag) in flags.iter().enumerate() {
        if flag == 0 {
            glrlm.counts[a * l * max_run..(a + 1) * l * max_run].fill(0);
        }
    }
    let mut glcm = GlcmMatrix::zeros(l);
    glcm.counts
        .copy_from_slice(part(rec.glcm_offset, 4 * l * l));
    let mut gldm = GldmMatrix::zeros(l);
    gldm.counts
        .copy_from_slice(part(rec.gldm_offset, l * DEPENDENCE_SIZES));
    let mut ngtdm = NgtdmMatrix::zeros(l);
    let raw = part(rec.ngtdm_offset, l + 2 * l * MAX_NEIGHBOURS);
    ngtdm.counts.copy_from_slice(&raw[..l]);
    for (sum, pair) in ngtdm
        .difference_sums
        .iter_mut()
        .zip(raw[l..].chunks_exact(2))
    {
        *sum = u64::from(pair[0]) | (u64::from(pair[1]) << 32);
    }
    Matrices {
        histogram: part(rec.histogram_offset, l).to_vec(),
        glcm,
        glrlm,
        glszm,
        gldm,
        ngtdm,
    }
}

impl Backend for GpuBackend {
    fn name(&self) -> &str {
        "gpu"
    }

    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        let mut out: Vec<Option<Matrices>> = vec![None; regions.len()];
        let (batches, alone) = self.plan(regions);
        for batch in batches {
            let members: Vec<&GrayLevels> = batch.iter().map(|&k| regions[k]).collect();
            for (k, m) in batch.into_iter().zip(self.run_batch(&members)?) {
                out[k] = Some(m);
            }
        }
        for k in alone {
            out[k] = Some(cpu::build_all(regions[k]));
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn gathers_batches(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(ranks: Vec<u32>) -> GrayLevels {
        let levels = (1..=ranks.iter().copied().max().unwrap_or(0)).collect();
        GrayLevels {
            width: ranks.len(),
            height: 1,
            ranks,
            levels,
        }
    }

    #[test]
    fn ranks_take_one_byte_up_to_255_levels() {
        assert_eq!(rank_bits(0), 8);
        assert_eq!(rank_bits(255), 8);
        assert_eq!(rank_bits(256), 16);
        assert_eq!(rank_bits(MAX_GPU_LEVELS), 16);
    }

    #[test]
    fn bytes_pack_little_endian_one_region_after_another() {
        let (a, b) = (region(vec![1, 0, 255]), region(vec![7, 2]));
        let mut out = vec![9; 40];
        pack_ranks(&[&a, &b], 8, &mut out);
        assert_eq!(out, [1, 0, 255, 7, 2, 0, 0, 0]);
        let words: &[u32] = bytemuck::cast_slice(&out);
        assert_eq!(words, [0x07ff_0001, 0x0000_0002]);
    }

    #[test]
    fn sixteen_bit_ranks_pack_in_pairs_per_word() {
        let (a, b) = (region(vec![300, 0, 1]), region(vec![65535]));
        let mut out = Vec::new();
        pack_ranks(&[&a, &b], 16, &mut out);
        let words: Vec<u32> = out
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        assert_eq!(words, [300, 1 | (65535 << 16)]);
    }

    #[test]
    fn a_reused_buffer_keeps_no_stale_bytes() {
        let mut out = Vec::new();
        pack_ranks(&[&region(vec![9; 11])], 8, &mut out);
        pack_ranks(&[&region(vec![1, 2, 3, 4, 5])], 8, &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 0, 0, 0]);
    }

    #[test]
    fn an_empty_batch_still_uploads_one_word() {
        let mut out = Vec::new();
        pack_ranks(&[], 8, &mut out);
        assert_eq!(out, [0, 0, 0, 0]);
    }
}
