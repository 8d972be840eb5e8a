//! The GPU device every device stage shares: the adapter, its device and queue, what the
//! device reported, and the few steps every stage's kernels take on it (compile, wait, check).
//!
//! One [`Device`] is opened per run and shared (`Arc`) by the filters on the device
//! ([`crate::filters::device`]) and the matrix kernels ([`crate::matrix::gpu`]), so that a
//! filtered image and the matrices built from it live on the same device.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

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
    pub(crate) fn of(info: &wgpu::AdapterInfo) -> AdapterSummary {
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

/// Where a stage on the device reports, once, that the device failed and the CPU took over.
pub type Note = Box<dyn Fn(&str) + Send + Sync>;

/// The wgpu instance, with the backends the environment allows (`WGPU_BACKEND`).
fn instance() -> wgpu::Instance {
    keep_window_system_quiet();
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Keeps the Vulkan driver's window-system chatter off the user's stderr.
///
/// Mesa's device-selection layer (`VK_LAYER_MESA_device_select`, an implicit layer installed
/// with Mesa's Vulkan drivers) connects to the Wayland display when an instance enables the
/// Wayland surface extension, which wgpu enables wherever it exists, to learn which GPU drives
/// the screen. Without a desktop session (`XDG_RUNTIME_DIR` unset: servers, batch jobs, CI)
/// libwayland then prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment."
/// for every instance, which reads as a failure on a successful run. sonorad computes and never
/// presents, and picks its adapter itself ([`Device::open`]), so where there is no session the
/// layer is switched off for this process by its own switch (`NODEVICE_SELECT=1`), set before
/// the first instance exists. Left alone when the user steers the layer (`NODEVICE_SELECT`,
/// `MESA_VK_DEVICE_SELECT`, `DRI_PRIME`) or runs in a session. Changing the environment races
/// with other threads reading it, so a caller that opens the device on a thread of its own
/// (`auto`) calls this first, on its own thread.
pub(crate) fn keep_window_system_quiet() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let steered = ["NODEVICE_SELECT", "MESA_VK_DEVICE_SELECT", "DRI_PRIME"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if !steered && std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            // setenv races with a concurrent getenv in another thread; this runs once, when
            // the first GPU instance is made or `auto` is about to start one, before sonorad
            // starts its own threads
            std::env::set_var("NODEVICE_SELECT", "1");
        }
    });
}

/// Whether this machine can have a hardware GPU that Vulkan reaches. On Linux a hardware adapter
/// needs a device node: a DRM render node (`/dev/dri/renderD*`: AMD, Intel, NVIDIA's DRM
/// driver), NVIDIA's own (`/dev/nvidiactl`), or WSL's `/dev/dxg`. Without one, wgpu can find
/// software drivers only, which `--backend auto` does not use, so `auto` goes to the CPU
/// without creating a GPU instance: listing the adapters costs a process 0.12 to 0.16 s on
/// lavapipe, more than a whole small run. Elsewhere a GPU is assumed possible.
pub fn hardware_gpu_possible() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let render_node = std::fs::read_dir("/dev/dri").is_ok_and(|nodes| {
        nodes
            .flatten()
            .any(|n| n.file_name().to_string_lossy().starts_with("renderD"))
    });
    render_node
        || std::path::Path::new("/dev/nvidiactl").exists()
        || std::path::Path::new("/dev/dxg").exists()
}

/// Every adapter wgpu sees on this machine.
pub fn adapters() -> Vec<AdapterSummary> {
    let instance = instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|a| AdapterSummary::of(&a.get_info()))
        .collect()
}

/// An open device of the preferred adapter.
pub struct Device {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    /// Whether the device runs shaders with 64-bit floats (`SHADER_F64`, requested whenever
    /// the adapter offers it): the filters need them to compute what the CPU computes.
    shader_f64: bool,
    /// Largest storage buffer the device binds, bounded by [`BATCH_BUFFER_LIMIT`].
    buffer_limit: u64,
    /// Errors no error scope caught, and the reason the device was lost, as the device's
    /// callbacks report them; the next batch fails with them instead of the process aborting.
    failures: Arc<Mutex<Vec<String>>>,
}

impl Device {
    /// Opens the preferred adapter (a hardware GPU when there is one) and its device, with
    /// 64-bit floats in shaders when the adapter has them.
    pub fn open() -> Result<Device> {
        let instance = instance();
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| fail(format!("no GPU adapter found ({e})")))?;
        let limits = adapter.limits();
        let f64_feature = adapter.features() & wgpu::Features::SHADER_F64;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sonorad"),
            required_features: f64_feature,
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
        let buffer_limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(BATCH_BUFFER_LIMIT);
        Ok(Device {
            device,
            queue,
            adapter: AdapterSummary::of(&adapter.get_info()),
            shader_f64: !f64_feature.is_empty(),
            buffer_limit,
            failures,
        })
    }

    /// The wgpu device.
    pub(crate) fn wgpu(&self) -> &wgpu::Device {
        &self.device
    }

    /// The device's queue.
    pub(crate) fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The adapter this device runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// Whether shaders may use 64-bit floats on this device.
    pub fn shader_f64(&self) -> bool {
        self.shader_f64
    }

    /// Largest storage buffer (bytes) one binding may hold.
    pub(crate) fn buffer_limit(&self) -> u64 {
        self.buffer_limit
    }

    /// Destroys the device now, as a driver reset or a removed card would: every later batch
    /// fails with a device-lost error, and the backends hand the rest of the run to the CPU.
    /// sonorad itself never calls this; it lets that fallback be tested.
    pub fn release(&self) {
        self.device.destroy();
    }

    /// An error when the device was lost or reported an error no scope caught.
    pub(crate) fn reported_failure(&self) -> Result<()> {
        match self.failures.lock() {
            Ok(f) if f.is_empty() => Ok(()),
            Ok(f) => Err(fail(f.join("; "))),
            Err(_) => Err(fail("the device's error record was poisoned".into())),
        }
    }

    /// A buffer of at least `size` bytes (rounded up to 8, at least 16: wgpu binds no empty
    /// buffer, and f64 arrays need 8-byte sizes).
    pub(crate) fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(16).next_multiple_of(8),
            usage,
            mapped_at_creation: false,
        })
    }

    /// A shader module of `code`, the `label`led source of one stage's kernels.
    pub(crate) fn module(&self, label: &str, code: String) -> wgpu::ShaderModule {
        self.device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(code.into()),
            })
    }

    /// Runs `compile` (which creates shader modules and pipelines) inside a validation scope;
    /// an error naming the shader stage when one does not compile.
    pub(crate) fn compiled<T>(&self, stage: &str, compile: impl FnOnce() -> T) -> Result<T> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = compile();
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(fail(format!("{stage} shader compilation failed: {e}")));
        }
        Ok(out)
    }

    /// Waits until the device has finished `submission` (not any later one); an error when the
    /// device was lost or reported an error meanwhile.
    pub(crate) fn wait(&self, submission: &wgpu::SubmissionIndex) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission.clone()),
                timeout: None,
            })
            .map_err(|e| fail(format!("waiting for the device failed (device lost?): {e}")))?;
        self.reported_failure()
    }

    /// Maps the first `bytes` of `buffer` (written by `submission`) and hands them to `read`.
    pub(crate) fn read_back<T>(
        &self,
        buffer: &wgpu::Buffer,
        bytes: u64,
        submission: &wgpu::SubmissionIndex,
        read: impl FnOnce(&[u8]) -> T,
    ) -> Result<T> {
        let slice = buffer.slice(..bytes);
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
        let out = read(&view);
        drop(view);
        buffer.unmap();
        Ok(out)
    }

    /// Runs `work` (which records and submits device work) inside validation and
    /// out-of-memory error scopes, and turns an error either reports into [`Error::Backend`].
    pub(crate) fn checked<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
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

/// A device failure as the GPU backend's error.
pub(crate) fn fail(message: String) -> Error {
    Error::Backend {
        backend: "gpu".into(),
        message,
    }
}

/// A compute-stage storage buffer binding.
pub(crate) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
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

/// A compute pipeline of `entry` in `module` over the bind-group `layout`.
pub(crate) fn pipeline(
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

/// Helpers of the tests that check host structs against their WGSL mirrors.
#[cfg(test)]
pub(crate) mod tests {
    /// Field names of a Rust struct, in order, read from its `Debug` output.
    pub(crate) fn rust_fields(debug: &str) -> Vec<String> {
        let inner = &debug[debug.find('{').unwrap() + 1..debug.rfind('}').unwrap()];
        inner
            .split(',')
            .filter_map(|f| f.split(':').next())
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect()
    }

    /// Field names of `struct NAME` in WGSL `source`, in order, each checked to be u32.
    pub(crate) fn wgsl_u32_fields(source: &str, name: &str) -> Vec<String> {
        let start = source.find(&format!("struct {name} {{")).unwrap();
        let body = &source[start..start + source[start..].find('}').unwrap()];
        body.lines()
            .skip(1)
            .filter_map(|line| line.split("//").next())
            .filter(|f| f.contains(':'))
            .map(|f| {
                let (field, ty) = f.split_once(':').unwrap();
                assert_eq!(ty.trim().trim_end_matches(','), "u32", "{name}.{field}");
                field.trim().to_string()
            })
            .collect()
    }
}
