//! The device side of the GPU backend: adapter, device, queue, the seven kernels' pipelines and
//! the buffers kept from batch to batch, and the three steps of a batch on the device (upload and
//! submit, wait, read back).
//!
//! A [`GpuContext`] is opened once and passed to whatever uses it ([`super::GpuBackend::on`]),
//! so a run holds one device context, and code that plans or unpacks batches needs none.

use std::sync::{Arc, Mutex};

use super::layout::{shader_constants, BatchLayout, Params, Split};
use crate::error::{Error, Result};

const RECORDS: &str = include_str!("../../../../shaders/records.wgsl");
const COMMON: &str = include_str!("../../../../shaders/common.wgsl");
const DISCRETIZE_SHADER: &str = include_str!("../../../../shaders/discretize.wgsl");
const GLCM_SHADER: &str = include_str!("../../../../shaders/glcm.wgsl");
const GLRLM_SHADER: &str = include_str!("../../../../shaders/glrlm.wgsl");
const NEIGHBOURHOOD_SHADER: &str = include_str!("../../../../shaders/neighbourhood.wgsl");
const GLSZM_SHADER: &str = include_str!("../../../../shaders/glszm.wgsl");

/// The kernels of a batch in dispatch order: shader, entry point and work split. The four zone
/// passes must run in this order (`shaders/glszm.wgsl`); a dispatch finishes before the next one
/// reads what it wrote.
const KERNELS: [(&str, &str, &str, Split); 7] = [
    ("glcm", GLCM_SHADER, "main", Split::Tiles),
    ("neighbourhood", NEIGHBOURHOOD_SHADER, "main", Split::Tiles),
    ("glrlm", GLRLM_SHADER, "main", Split::Lines),
    ("zones init", GLSZM_SHADER, "init", Split::Tiles),
    ("zones merge", GLSZM_SHADER, "merge", Split::Tiles),
    ("zones count", GLSZM_SHADER, "count", Split::Tiles),
    ("zones emit", GLSZM_SHADER, "emit", Split::Tiles),
];

/// Largest dimension of a dispatch grid.
const MAX_GROUPS_PER_DIMENSION: usize = 65_535;
/// Upper bound of the device memory one batch may use for each of its large buffers (bytes);
/// unrelated to an archive run's `--memory-budget`, which bounds the host's memory.
const BATCH_BUFFER_LIMIT: u64 = 1 << 30;

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
/// Device, queue, pipelines and layout of one adapter.
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    layout: wgpu::BindGroupLayout,
    /// One pipeline per entry of [`KERNELS`].
    pipelines: Vec<wgpu::ComputePipeline>,
    /// The bind-group layout and pipeline of `shaders/discretize.wgsl`, which runs first.
    discretize_layout: wgpu::BindGroupLayout,
    discretize: wgpu::ComputePipeline,
    /// Largest storage buffer the device binds, bounded by [`BATCH_BUFFER_LIMIT`].
    buffer_limit: u64,
    /// Two sets of buffers kept from batch to batch, so that one batch is uploaded while the
    /// other is on the device; a build call takes the lock for its whole run.
    pools: Mutex<[BufferPool; 2]>,
    /// Errors no error scope caught, and the reason the device was lost, as the device's
    /// callbacks report them; the next batch fails with them instead of the process aborting.
    failures: Arc<Mutex<Vec<String>>>,
}

/// Buffers reused across batches. Each grows (to the next power of two) when a batch
/// needs more than it holds and is never shrunk, so a run of similar batches allocates once.
#[derive(Default)]
pub(super) struct BufferPool {
    /// The batch's packed ranks on the host (of the regions it discretized), before their
    /// upload.
    pub host_ranks: Vec<u8>,
    /// The batch's rank tables on the host, before their upload (the stored crops go up from
    /// their own memory).
    pub host_tables: Vec<u32>,
    ranks: Option<wgpu::Buffer>,
    lookups: Option<wgpu::Buffer>,
    gray: Option<wgpu::Buffer>,
    counts: Option<wgpu::Buffer>,
    readback: Option<wgpu::Buffer>,
    /// Zone labels and sizes, one entry per pixel of the batch.
    labels: Option<wgpu::Buffer>,
    sizes: Option<wgpu::Buffer>,
    /// Per [`Split`]: region records, the region of each workgroup, and the dispatch parameters.
    split_regions: [Option<wgpu::Buffer>; 2],
    split_groups: [Option<wgpu::Buffer>; 2],
    split_params: [Option<wgpu::Buffer>; 2],
    /// Buffers created so far; the bind groups below were made when this many existed.
    created: u64,
    /// The bind groups of the last batch (each split's, then the discretization's) and the
    /// value of `created` they were made at: while no buffer is replaced they stay valid (the
    /// batches rewrite the buffers' contents), so a batch binds nothing anew.
    bound: Option<(u64, [wgpu::BindGroup; 3])>,
}

/// Returns the buffer in `slot`, replaced by a larger one first when it holds fewer than
/// `size` bytes; `created` counts the buffers made, so that bind groups are remade only then.
fn ensure<'a>(
    device: &wgpu::Device,
    (slot, created): (&'a mut Option<wgpu::Buffer>, &mut u64),
    label: &str,
    size: u64,
    usage: wgpu::BufferUsages,
) -> &'a wgpu::Buffer {
    let size = size.max(16);
    if slot.as_ref().is_some_and(|b| b.size() < size) {
        *slot = None;
    }
    slot.get_or_insert_with(|| {
        *created += 1;
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.next_power_of_two(),
            usage,
            mapped_at_creation: false,
        })
    })
}

/// [`ensure`]s a buffer of at least `bytes.len()` bytes in `slot` and queues `bytes` into it.
fn upload<'a>(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    slot: (&'a mut Option<wgpu::Buffer>, &mut u64),
    label: &str,
    bytes: &[u8],
    usage: wgpu::BufferUsages,
) -> &'a wgpu::Buffer {
    let buffer = ensure(device, slot, label, bytes.len() as u64, usage);
    queue.write_buffer(buffer, 0, bytes);
    buffer
}

fn fail(message: String) -> Error {
    Error::Backend {
        backend: "gpu".into(),
        message,
    }
}

/// A compute-stage storage buffer binding.
fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The parameters' uniform binding (5 in every layout).
const PARAMS_ENTRY: wgpu::BindGroupLayoutEntry = wgpu::BindGroupLayoutEntry {
    binding: 5,
    visibility: wgpu::ShaderStages::COMPUTE,
    ty: wgpu::BindingType::Buffer {
        ty: wgpu::BufferBindingType::Uniform,
        has_dynamic_offset: false,
        min_binding_size: None,
    },
    count: None,
};

/// The bind-group layout every matrix kernel shares: region records, workgroup regions, ranks,
/// gray levels (read), counts (read-write), parameters (uniform), zone labels and sizes
/// (read-write).
fn bind_group_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let s = storage_entry;
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("sonorad matrices"),
        entries: &[
            s(0, true),
            s(1, true),
            s(2, true),
            s(3, true),
            s(4, false),
            PARAMS_ENTRY,
            s(6, false),
            s(7, false),
        ],
    })
}

/// The bind-group layout of `shaders/discretize.wgsl`: region records, workgroup regions (read),
/// ranks (written), stored crops and tables (read), parameters (uniform).
fn discretize_bind_group_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let s = storage_entry;
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("sonorad discretize"),
        entries: &[
            s(0, true),
            s(1, true),
            s(2, false),
            s(3, true),
            PARAMS_ENTRY,
        ],
    })
}

/// A compute pipeline of `entry` in `module` over the bind-group `layout`.
fn pipeline(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    module: &wgpu::ShaderModule,
    label: &str,
    entry: &str,
) -> wgpu::ComputePipeline {
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A shader module: the host's constants, the shared records, then `parts`.
fn module(device: &wgpu::Device, label: &str, parts: &[&str]) -> wgpu::ShaderModule {
    let code = format!("{}{RECORDS}\n{}", shader_constants(), parts.join("\n"));
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(code.into()),
    })
}

/// The compute pipelines of [`KERNELS`] (each shader compiled once, with the shared
/// declarations of `shaders/common.wgsl`) and of `shaders/discretize.wgsl`; an error when a
/// shader does not compile.
fn pipelines(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    discretize_layout: &wgpu::BindGroupLayout,
) -> Result<(Vec<wgpu::ComputePipeline>, wgpu::ComputePipeline)> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let mut modules: Vec<(&str, wgpu::ShaderModule)> = Vec::new();
    let mut out = Vec::with_capacity(KERNELS.len());
    for (label, source, entry, _) in KERNELS {
        if !modules.iter().any(|(s, _)| std::ptr::eq(*s, source)) {
            modules.push((source, module(device, label, &[COMMON, source])));
        }
        let module = modules
            .iter()
            .find(|(s, _)| std::ptr::eq(*s, source))
            .map(|(_, m)| m)
            .ok_or_else(|| fail(format!("shader of kernel {label} missing")))?;
        out.push(pipeline(device, layout, module, label, entry));
    }
    let discretize = module(device, "discretize", &[DISCRETIZE_SHADER]);
    let discretize = pipeline(device, discretize_layout, &discretize, "discretize", "main");
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(fail(format!("shader compilation failed: {e}")));
    }
    Ok((out, discretize))
}

/// Bind groups and dispatch sizes of one batch, per [`Split`], and the bind group of the
/// discretization (over the tiles' records and workgroups).
struct Bindings {
    groups: [(wgpu::BindGroup, usize); 2],
    discretize: wgpu::BindGroup,
}

impl GpuContext {
    /// Opens the preferred adapter (a hardware GPU when there is one), its device and the
    /// kernels.
    pub fn open() -> Result<GpuContext> {
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
        let failures = Arc::new(Mutex::new(Vec::new()));
        let uncaught = Arc::clone(&failures);
        device.on_uncaptured_error(Arc::new(move |e| {
            if let Ok(mut f) = uncaught.lock() {
                f.push(e.to_string());
            }
        }));
        let lost = Arc::clone(&failures);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut f) = lost.lock() {
                f.push(format!("device lost ({reason:?}): {message}"));
            }
        });
        let layout = bind_group_layout(&device);
        let discretize_layout = discretize_bind_group_layout(&device);
        let (pipelines, discretize) = pipelines(&device, &layout, &discretize_layout)?;
        let buffer_limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(BATCH_BUFFER_LIMIT);
        Ok(GpuContext {
            device,
            queue,
            adapter: AdapterSummary::of(&adapter.get_info()),
            layout,
            pipelines,
            discretize_layout,
            discretize,
            buffer_limit,
            pools: Mutex::new(Default::default()),
            failures,
        })
    }

    /// Destroys the device now, as a driver reset or a removed card would: every later batch
    /// fails with a device-lost error, and the backends hand the rest of the run to the CPU.
    /// sonorad itself never calls this; it lets that fallback be tested.
    pub fn release_device(&self) {
        self.device.destroy();
    }

    /// An error when the device was lost or reported an error no scope caught.
    fn reported_failure(&self) -> Result<()> {
        match self.failures.lock() {
            Ok(f) if f.is_empty() => Ok(()),
            Ok(f) => Err(fail(f.join("; "))),
            Err(_) => Err(fail("the device's error record was poisoned".into())),
        }
    }

    /// The adapter this context runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// Most u32 cells one batch buffer may hold.
    pub(super) fn cells_limit(&self) -> u64 {
        self.buffer_limit / 4
    }

    /// The two buffer pools, for one build call at a time.
    pub(super) fn pools(&self) -> Result<std::sync::MutexGuard<'_, [BufferPool; 2]>> {
        self.pools
            .lock()
            .map_err(|_| fail("the GPU buffer pool was poisoned by an earlier failure".into()))
    }

    /// Uploads a batch (the host's ranks, crops and tables already in `pool`), records the
    /// discretization, the seven kernels and the copy of the counts to the read-back buffer,
    /// and submits them as one command buffer, whose index it returns.
    pub(super) fn submit(
        &self,
        pool: &mut BufferPool,
        layout: &BatchLayout,
    ) -> Result<wgpu::SubmissionIndex> {
        let counts_size = layout.cells * 4;
        let bindings = self.bind(pool, layout);
        let (counts, readback) = match (&pool.counts, &pool.readback) {
            (Some(c), Some(r)) => (c, r),
            _ => return Err(fail("the counts buffers were not created".into())),
        };
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sonorad matrices"),
            });
        encoder.clear_buffer(counts, 0, Some(counts_size));
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("sonorad matrices"),
                timestamp_writes: None,
            });
            let mut dispatch = |pipeline, bind_group, n: usize| {
                if n == 0 {
                    return;
                }
                let groups_x = n.clamp(1, MAX_GROUPS_PER_DIMENSION);
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind_group, &[]);
                pass.dispatch_workgroups(groups_x as u32, n.div_ceil(groups_x) as u32, 1);
            };
            if layout.looked_up() {
                let tiles = bindings.groups[Split::Tiles as usize].1;
                dispatch(&self.discretize, &bindings.discretize, tiles);
            }
            for (pipeline, (_, _, _, split)) in self.pipelines.iter().zip(KERNELS) {
                let (bind_group, n) = &bindings.groups[split as usize];
                dispatch(pipeline, bind_group, *n);
            }
        }
        encoder.copy_buffer_to_buffer(counts, 0, readback, 0, counts_size);
        Ok(self.queue.submit([encoder.finish()]))
    }

    /// Makes sure every buffer of the batch is large enough, queues the uploads, and builds the
    /// bind group of each split.
    fn bind(&self, pool: &mut BufferPool, layout: &BatchLayout) -> Bindings {
        let (device, queue) = (&self.device, &self.queue);
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let counts_size = layout.cells * 4;
        let rank_bytes =
            (layout.pixels as u64 * u64::from(layout.rank_bits / 8)).next_multiple_of(4);
        let ranks = ensure(
            device,
            (&mut pool.ranks, &mut pool.created),
            "ranks",
            rank_bytes,
            storage,
        );
        queue.write_buffer(ranks, 0, &pool.host_ranks);
        let lookup_bytes = (layout.lookup_words.max(1) * 4) as u64;
        let lookups = ensure(
            device,
            (&mut pool.lookups, &mut pool.created),
            "lookups",
            lookup_bytes,
            storage,
        );
        queue.write_buffer(lookups, 0, bytemuck::cast_slice(&pool.host_tables));
        for (crop, offset) in &layout.crops {
            queue.write_buffer(lookups, *offset as u64 * 4, crop.entries.bytes());
        }
        let gray = bytemuck::cast_slice(&layout.gray);
        upload(
            device,
            queue,
            (&mut pool.gray, &mut pool.created),
            "gray levels",
            gray,
            storage,
        );
        let counts_usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        ensure(
            device,
            (&mut pool.counts, &mut pool.created),
            "counts",
            counts_size,
            counts_usage,
        );
        let read = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        ensure(
            device,
            (&mut pool.readback, &mut pool.created),
            "counts readback",
            counts_size,
            read,
        );
        let pixel_words = layout.pixels as u64 * 4;
        ensure(
            device,
            (&mut pool.labels, &mut pool.created),
            "zone labels",
            pixel_words,
            storage,
        );
        ensure(
            device,
            (&mut pool.sizes, &mut pool.created),
            "zone sizes",
            pixel_words,
            storage,
        );
        let groups = Split::ALL.map(|split| {
            let k = split as usize;
            let n = layout.groups[k].len();
            let params = Params {
                groups: n as u32,
                groups_x: n.clamp(1, MAX_GROUPS_PER_DIMENSION) as u32,
                rank_bits: layout.rank_bits,
                pad: 0,
            };
            let records = bytemuck::cast_slice(&layout.records[k]);
            upload(
                device,
                queue,
                (&mut pool.split_regions[k], &mut pool.created),
                "regions",
                records,
                storage,
            );
            let group_regions = bytemuck::cast_slice(&layout.groups[k]);
            upload(
                device,
                queue,
                (&mut pool.split_groups[k], &mut pool.created),
                "group regions",
                group_regions,
                storage,
            );
            let uniform = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
            let params = bytemuck::bytes_of(&params);
            upload(
                device,
                queue,
                (&mut pool.split_params[k], &mut pool.created),
                "params",
                params,
                uniform,
            );
            n
        });
        let [tiles, lines, discretize] = match &pool.bound {
            Some((at, groups)) if *at == pool.created => groups.clone(),
            _ => {
                let made = [
                    self.bind_group(pool, 0),
                    self.bind_group(pool, 1),
                    self.discretize_bind_group(pool),
                ];
                pool.bound = Some((pool.created, made.clone()));
                made
            }
        };
        Bindings {
            groups: [(tiles, groups[0]), (lines, groups[1])],
            discretize,
        }
    }

    /// The bind group of the discretization over the pool's buffers (the tiles' records and
    /// workgroups).
    fn discretize_bind_group(&self, pool: &BufferPool) -> wgpu::BindGroup {
        let k = Split::Tiles as usize;
        let buffers = [
            (0, &pool.split_regions[k]),
            (1, &pool.split_groups[k]),
            (2, &pool.ranks),
            (3, &pool.lookups),
            (5, &pool.split_params[k]),
        ];
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .filter_map(|(binding, b)| {
                b.as_ref().map(|b| wgpu::BindGroupEntry {
                    binding: *binding,
                    resource: b.as_entire_binding(),
                })
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sonorad discretize"),
            layout: &self.discretize_layout,
            entries: &entries,
        })
    }

    /// The bind group of split `k` over the pool's buffers (all created by [`Self::bind`]).
    fn bind_group(&self, pool: &BufferPool, k: usize) -> wgpu::BindGroup {
        let buffers = [
            &pool.split_regions[k],
            &pool.split_groups[k],
            &pool.ranks,
            &pool.gray,
            &pool.counts,
            &pool.split_params[k],
            &pool.labels,
            &pool.sizes,
        ];
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .filter_map(|(binding, b)| {
                b.as_ref().map(|b| wgpu::BindGroupEntry {
                    binding: binding as u32,
                    resource: b.as_entire_binding(),
                })
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sonorad matrices"),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// Waits until the device has finished `submission` (not any later one); an error when the
    /// device was lost or reported an error meanwhile.
    pub(super) fn wait(&self, submission: &wgpu::SubmissionIndex) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission.clone()),
                timeout: None,
            })
            .map_err(|e| fail(format!("waiting for the device failed (device lost?): {e}")))?;
        self.reported_failure()
    }

    /// Maps the first `cells` counts of the read-back buffer of `pool` (whose batch was
    /// `submission`) and hands them to `read`.
    pub(super) fn read_back<T>(
        &self,
        pool: &BufferPool,
        cells: u64,
        submission: &wgpu::SubmissionIndex,
        read: impl FnOnce(&[u32]) -> T,
    ) -> Result<T> {
        let readback = pool
            .readback
            .as_ref()
            .ok_or_else(|| fail("the read-back buffer was not created".into()))?;
        let slice = readback.slice(..cells * 4);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = sender.send(r);
        });
        self.wait(submission)?;
        receiver
            .recv()
            .map_err(|e| fail(format!("read-back lost: {e}")))?
            .map_err(|e| fail(format!("cannot map the read-back buffer: {e}")))?;
        let view = slice
            .get_mapped_range()
            .map_err(|e| fail(format!("cannot read the read-back buffer: {e}")))?;
        let out = read(bytemuck::cast_slice(&view));
        drop(view);
        readback.unmap();
        Ok(out)
    }

    /// Runs `work` (which records and submits device work) inside validation and
    /// out-of-memory error scopes, and turns an error either reports into [`Error::Backend`].
    pub(super) fn checked<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        self.reported_failure()?;
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let out = work();
        if let Some(e) = pollster::block_on(memory.pop()) {
            return Err(fail(format!("out of device memory: {e}")));
        }
        if let Some(e) = pollster::block_on(validation.pop()) {
            return Err(fail(format!("validation error: {e}")));
        }
        self.reported_failure()?;
        out
    }
}
