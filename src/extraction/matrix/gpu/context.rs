//! The device side of the GPU backend: adapter, device, queue, the seven kernels' pipelines and
//! the buffers kept from batch to batch, and the three steps of a batch on the device (upload and
//! submit, wait, read back).
//!
//! A [`GpuContext`] is opened once and passed to whatever uses it ([`super::GpuBackend::on`]),
//! so a run holds one device context, and code that plans or unpacks batches needs none.

use std::sync::{Arc, Mutex};

use super::layout::{shader_constants, BatchLayout, Params, Split};
use crate::device::{fail, pipeline, storage_entry, AdapterSummary, Device};
use crate::error::Result;

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

/// Device, queue, pipelines and layout of one adapter.
pub struct GpuContext {
    device: Arc<Device>,
    layout: wgpu::BindGroupLayout,
    /// One pipeline per entry of [`KERNELS`].
    pipelines: Vec<wgpu::ComputePipeline>,
    /// The bind-group layout and pipeline of `shaders/discretize.wgsl`, which runs first.
    discretize_layout: wgpu::BindGroupLayout,
    discretize: wgpu::ComputePipeline,
    /// Two sets of buffers kept from batch to batch, so that one batch is uploaded while the
    /// other is on the device; a build call takes the lock for its whole run.
    pools: Mutex<[BufferPool; 2]>,
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

/// A shader module: the host's constants, the shared records, then `parts`.
fn module(device: &Device, label: &str, parts: &[&str]) -> wgpu::ShaderModule {
    device.module(
        label,
        format!("{}{RECORDS}\n{}", shader_constants(), parts.join("\n")),
    )
}

/// The compute pipelines of [`KERNELS`] (each shader compiled once, with the shared
/// declarations of `shaders/common.wgsl`) and of `shaders/discretize.wgsl`; an error when a
/// shader does not compile.
fn pipelines(
    device: &Device,
    layout: &wgpu::BindGroupLayout,
    discretize_layout: &wgpu::BindGroupLayout,
) -> Result<(Vec<wgpu::ComputePipeline>, wgpu::ComputePipeline)> {
    device.compiled("matrix", || {
        let mut modules: Vec<(&str, wgpu::ShaderModule)> = Vec::new();
        let mut out = Vec::with_capacity(KERNELS.len());
        for (label, source, entry, _) in KERNELS {
            if !modules.iter().any(|(s, _)| std::ptr::eq(*s, source)) {
                modules.push((source, module(device, label, &[COMMON, source])));
            }
            let at = modules.iter().position(|(s, _)| std::ptr::eq(*s, source));
            let module = &modules[at.unwrap_or(modules.len() - 1)].1;
            out.push(pipeline(device.wgpu(), layout, module, label, entry));
        }
        let discretize = module(device, "discretize", &[DISCRETIZE_SHADER]);
        let discretize = pipeline(
            device.wgpu(),
            discretize_layout,
            &discretize,
            "discretize",
            "main",
        );
        (out, discretize)
    })
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
        GpuContext::on(Arc::new(Device::open()?))
    }

    /// The matrix kernels on an open device (shared with the filters on the device).
    pub fn on(device: Arc<Device>) -> Result<GpuContext> {
        let layout = bind_group_layout(device.wgpu());
        let discretize_layout = discretize_bind_group_layout(device.wgpu());
        let (pipelines, discretize) = pipelines(&device, &layout, &discretize_layout)?;
        Ok(GpuContext {
            device,
            layout,
            pipelines,
            discretize_layout,
            discretize,
            pools: Mutex::new(Default::default()),
        })
    }

    /// The device the kernels run on.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// The adapter this context runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        self.device.adapter()
    }

    /// Most u32 cells one batch buffer may hold.
    pub(super) fn cells_limit(&self) -> u64 {
        self.device.buffer_limit() / 4
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
        let mut encoder =
            self.device
                .wgpu()
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
        Ok(self.device.queue().submit([encoder.finish()]))
    }

    /// Makes sure every buffer of the batch is large enough, queues the uploads, and builds the
    /// bind group of each split.
    fn bind(&self, pool: &mut BufferPool, layout: &BatchLayout) -> Bindings {
        let (device, queue) = (self.device.wgpu(), self.device.queue());
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
        self.device
            .wgpu()
            .create_bind_group(&wgpu::BindGroupDescriptor {
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
        self.device
            .wgpu()
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("sonorad matrices"),
                layout: &self.layout,
                entries: &entries,
            })
    }

    /// Waits until the device has finished `submission`.
    pub(super) fn wait(&self, submission: &wgpu::SubmissionIndex) -> Result<()> {
        self.device.wait(submission)
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
        self.device
            .read_back(readback, cells * 4, submission, |bytes| {
                read(bytemuck::cast_slice(bytes))
            })
    }

    /// Runs `work` inside the device's error scopes ([`Device::checked`]).
    pub(super) fn checked<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        self.device.checked(work)
    }
}
