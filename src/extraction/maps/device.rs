//! Texture maps on the device: the first-order and texture features of every kernel of a
//! window, computed by `shaders/map_kernel.wgsl` (one invocation per region pixel, its kernel
//! gathered into private arrays) with the formulas of `map_firstorder.wgsl`, `map_glcm.wgsl`,
//! `map_emphasis.wgsl` (shared by `map_glrlm.wgsl`, `map_glszm.wgsl` and `map_gldm.wgsl`) and
//! `map_ngtdm.wgsl`.
//!
//! Those shaders are the one place where formulas exist a second time (the per-pixel formulas
//! of texture maps). They run in f64 where the adapter has 64-bit floats and in f32 otherwise;
//! `tests/gpu_maps.rs` checks every map against the CPU's: within 1e-9 of each map's largest
//! magnitude in f64 (MCC 1e-8: the CPU's general eigensolver is that far off where eigenvalues
//! lie close together), 1e-4 in f32. GLCM's MCC (an eigenproblem per kernel and angle) has a
//! pass of its own, `map_mcc.wgsl`, over the matrices the main kernel leaves in a scratch buffer
//! on the device.
//!
//! The shaders make no NaN: WGSL leaves 0 / 0 indeterminate and lets drivers assume that no NaN
//! occurs, so a driver may fold it to a number (issue #30: maps of 0 where a kernel holds its
//! centre alone and PyRadiomics gives NaN, which the CPU and lavapipe give). A value the CPU
//! gives as NaN (a GLCM or GLRLM mean over no angle, a robust deviation over no value, MCC
//! before its own pass) is flagged in a bit mask beside the values, and the host writes the NaN
//! when it reads the values back (`mark_undefined`).

use std::sync::Arc;

use crate::device::{fail, pipeline, storage_entry, Device};
use crate::error::Result;
use crate::features::{firstorder, glcm, gldm, glrlm, glszm, ngtdm, EPS};
use crate::matrix::GLCM_ANGLES;

const JOB_SHADER: &str = include_str!("../../../shaders/map_job.wgsl");
const KERNEL_SHADER: &str = include_str!("../../../shaders/map_kernel.wgsl");
const MCC_SHADER: &str = include_str!("../../../shaders/map_mcc.wgsl");
const FIRSTORDER_SHADER: &str = include_str!("../../../shaders/map_firstorder.wgsl");
const GLCM_SHADER: &str = include_str!("../../../shaders/map_glcm.wgsl");
const EMPHASIS_SHADER: &str = include_str!("../../../shaders/map_emphasis.wgsl");
const GLRLM_SHADER: &str = include_str!("../../../shaders/map_glrlm.wgsl");
const GLSZM_SHADER: &str = include_str!("../../../shaders/map_glszm.wgsl");
const GLDM_SHADER: &str = include_str!("../../../shaders/map_gldm.wgsl");
const NGTDM_SHADER: &str = include_str!("../../../shaders/map_ngtdm.wgsl");
const F64_MATH: &str = include_str!("../../../shaders/f64_math.wgsl");

/// Invocations per workgroup (`MAP_GROUP` in the shaders).
const MAP_GROUP: u32 = 64;

/// Largest kernel radius the device maps: the shaders' private arrays hold a kernel of this
/// radius. Larger kernels are mapped by the CPU.
pub const MAX_DEVICE_RADIUS: usize = 3;

/// Pixels of the largest kernel.
const MAX_KERNEL: usize = (2 * MAX_DEVICE_RADIUS + 1) * (2 * MAX_DEVICE_RADIUS + 1);

/// Codes of the largest kernel's pairs along one GLCM angle, both orders: `2 (2r + 1) 2r`
/// (the horizontal and vertical angles have the most pairs).
const MAX_CODES: usize = 2 * (2 * MAX_DEVICE_RADIUS + 1) * (2 * MAX_DEVICE_RADIUS);

/// Region pixels per dispatch: a bound on the work of one submission (and on the read-back).
const PIXELS_PER_DISPATCH: usize = 1 << 16;

/// Most bytes of MCC matrices one dispatch keeps on the device (4 angles per pixel).
const MCC_SCRATCH_BYTES: u64 = 256 << 20;

/// Most Jacobi sweeps per MCC matrix (`MCC_SWEEPS` in `map_mcc.wgsl`).
const MCC_SWEEPS: u32 = 50;

/// A column offset that says "this class is not computed" (`NONE` in the shaders).
const NONE: u32 = u32::MAX;

/// The float type the map shaders compute in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 64-bit floats (`SHADER_F64`): the CPU's arithmetic.
    F64,
    /// 32-bit floats, for adapters without 64-bit floats.
    F32,
}

impl Precision {
    fn wgsl(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }

    fn bytes(self) -> usize {
        match self {
            Precision::F64 => 8,
            Precision::F32 => 4,
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wgsl())
    }
}

/// One window's dispatch parameters, mirrored by `MapJob` in `map_job.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
struct MapJob {
    width: u32,
    height: u32,
    radius: u32,
    count: u32,
    ng: u32,
    firstorder_column: u32,
    glcm_column: u32,
    glrlm_column: u32,
    glszm_column: u32,
    gldm_column: u32,
    ngtdm_column: u32,
    mcc_stride: u32,
    mcc_row: u32,
}

/// The classes the device computes (every first-order and texture class), in the order of
/// [`super::texture_maps`], each with its feature names.
pub const DEVICE_CLASSES: [(&str, &[&str]); 6] = [
    ("firstorder", &firstorder::NAMES),
    ("glcm", &glcm::NAMES),
    ("glrlm", &glrlm::NAMES),
    ("glszm", &glszm::NAMES),
    ("gldm", &gldm::NAMES),
    ("ngtdm", &ngtdm::NAMES),
];

/// A binned window as the device reads it.
pub struct WindowInput<'a> {
    /// Window width.
    pub width: usize,
    /// Window height.
    pub height: usize,
    /// Gray values, row-major.
    pub values: &'a [f64],
    /// Rank of each pixel's level among the domain's levels (1-based), 0 outside the domain.
    pub ranks: &'a [u32],
    /// Gray level of each rank (`levels[r - 1]`).
    pub levels: &'a [u32],
    /// Kernel radius.
    pub radius: usize,
}

/// A compiled kernel and the layout of its bindings.
struct Kernel {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl Kernel {
    /// `source` compiled with `bindings` storage bindings, the last `writable` of them writable.
    fn compile(
        device: &Device,
        label: &str,
        source: String,
        (bindings, writable): (u32, u32),
    ) -> Result<Kernel> {
        let entries: Vec<wgpu::BindGroupLayoutEntry> = (0..bindings)
            .map(|b| storage_entry(b, b < bindings - writable))
            .collect();
        device.compiled(label, || {
            let layout = device
                .wgpu()
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(label),
                    entries: &entries,
                });
            let module = device.module(label, source);
            let pipeline = pipeline(device.wgpu(), &layout, &module, label, "main");
            Kernel { layout, pipeline }
        })
    }

    /// Records a dispatch of `invocations` invocations (the grid of [`grid`]) over `buffers`
    /// (bindings 0, 1, ...).
    fn record(
        &self,
        device: &Device,
        encoder: &mut wgpu::CommandEncoder,
        buffers: &[&wgpu::Buffer],
        invocations: u32,
    ) {
        let entries: Vec<wgpu::BindGroupEntry> = (0u32..)
            .zip(buffers)
            .map(|(binding, b)| wgpu::BindGroupEntry {
                binding,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind_group = device.wgpu().create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sonorad maps"),
            layout: &self.layout,
            entries: &entries,
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("sonorad maps"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        let (x, y) = grid(invocations);
        pass.dispatch_workgroups(x, y, 1);
    }
}

/// The workgroup grid of `invocations` invocations, in rows of at most 32,768 groups (the
/// shaders read the row width from `num_workgroups`).
fn grid(invocations: u32) -> (u32, u32) {
    let groups = invocations.div_ceil(MAP_GROUP).max(1);
    let x = groups.min(1 << 15);
    (x, groups.div_ceil(x))
}

/// The map kernels on a device.
pub struct DeviceMaps {
    device: Arc<Device>,
    /// Every selected class, MCC left NaN.
    features: Kernel,
    /// GLCM's MCC from the matrices `features` leaves.
    mcc: Kernel,
    precision: Precision,
}

/// The columns each computed class writes, in its `NAMES` order.
fn class_width(class: &str) -> usize {
    column_names(&[class]).len()
}

/// The names (`<class>_<Feature>`) of the columns [`DeviceMaps::map`] gives for `classes`.
pub fn column_names(classes: &[&str]) -> Vec<String> {
    DEVICE_CLASSES
        .iter()
        .filter(|(class, _)| classes.contains(class))
        .flat_map(|(class, names)| names.iter().map(move |n| format!("{class}_{n}")))
        .collect()
}

/// The constants and type the host writes before the map shaders.
fn shader_prelude(precision: Precision) -> String {
    let angles: Vec<String> = GLCM_ANGLES
        .iter()
        .map(|(dy, dx)| format!("vec2<i32>({dy}, {dx})"))
        .collect();
    let math = match precision {
        Precision::F64 => {
            "fn log2_real(x: real) -> real { return log64(x) * INV_LN2; }\n\
                           fn exp_real(x: real) -> real { return exp64(x); }\n"
        }
        Precision::F32 => {
            "fn log2_real(x: real) -> real { return log2(x); }\n\
                           fn exp_real(x: real) -> real { return exp(x); }\n"
        }
    };
    format!(
        "// From src/extraction/maps/device.rs.\n\
         alias real = {real};\n\
         const MAP_GROUP: u32 = {MAP_GROUP}u;\n\
         const MAX_KERNEL: u32 = {MAX_KERNEL}u;\n\
         const MAX_CODES: u32 = {MAX_CODES}u;\n\
         const GLCM_FEATURES: u32 = {glcm}u;\n\
         const MAX_ANGLE_FEATURES: u32 = {glcm}u;\n\
         const MAX_SIZE: u32 = {max_size}u;\n\
         const EPS: real = real({EPS:e});\n\
         const REAL_IS_F32: bool = {f32};\n\
         const GLCM_ANGLES = array<vec2<i32>, 4>({angles});\n\
         {math}\n",
        real = precision.wgsl(),
        f32 = precision == Precision::F32,
        glcm = glcm::NAMES.len(),
        max_size = MAX_KERNEL + 1,
        angles = angles.join(", "),
    )
}

/// The full source of the map shader in `precision`.
fn shader_source(precision: Precision) -> String {
    let mut code = shader_prelude(precision);
    if precision == Precision::F64 {
        code.push_str(F64_MATH);
    }
    for part in [
        JOB_SHADER,
        KERNEL_SHADER,
        FIRSTORDER_SHADER,
        GLCM_SHADER,
        EMPHASIS_SHADER,
        GLRLM_SHADER,
        GLSZM_SHADER,
        GLDM_SHADER,
        NGTDM_SHADER,
    ] {
        code.push_str(part);
        code.push('\n');
    }
    code
}

/// The full source of the MCC shader in `precision`.
fn mcc_source(precision: Precision) -> String {
    let epsilon = match precision {
        Precision::F64 => f64::EPSILON,
        Precision::F32 => f64::from(f32::EPSILON),
    };
    format!(
        "// From src/extraction/maps/device.rs.\n\
         alias real = {real};\n\
         const MAP_GROUP: u32 = {MAP_GROUP}u;\n\
         const MCC_SWEEPS: u32 = {MCC_SWEEPS}u;\n\
         const EPSILON: real = real({epsilon:e});\n\
         {JOB_SHADER}\n{MCC_SHADER}",
        real = precision.wgsl(),
    )
}

impl DeviceMaps {
    /// The map kernels on `device`, in f64 where it has 64-bit floats in shaders, else f32.
    pub fn new(device: Arc<Device>) -> Result<DeviceMaps> {
        let precision = if device.shader_f64() {
            Precision::F64
        } else {
            Precision::F32
        };
        DeviceMaps::with_precision(device, precision)
    }

    /// The map kernels on `device` in `precision` (f64 needs 64-bit floats in shaders); f32 on
    /// a device that has f64 lets the f32 kernels be tested there.
    pub fn with_precision(device: Arc<Device>, precision: Precision) -> Result<DeviceMaps> {
        if precision == Precision::F64 && !device.shader_f64() {
            return Err(fail(format!(
                "the adapter ({}) has no 64-bit floats in shaders",
                device.adapter().name
            )));
        }
        let features = Kernel::compile(&device, "texture map", shader_source(precision), (8, 3))?;
        let mcc = Kernel::compile(&device, "texture map MCC", mcc_source(precision), (3, 2))?;
        Ok(DeviceMaps {
            device,
            features,
            mcc,
            precision,
        })
    }

    /// The precision the kernels compute in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The device the kernels run on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The features of `classes` (each of [`DEVICE_CLASSES`], in that order) for the kernel
    /// around each window pixel of `pixels`: one column per feature (each class's `NAMES`
    /// order), each `pixels.len()` values. GLCM's MCC, an eigenproblem per kernel and angle, is
    /// computed when `mcc` is set, and is NaN otherwise.
    pub fn map(
        &self,
        window: &WindowInput<'_>,
        pixels: &[u32],
        classes: &[&str],
        mcc: bool,
    ) -> Result<Vec<Vec<f64>>> {
        if window.radius > MAX_DEVICE_RADIUS {
            return Err(fail(format!(
                "kernel radius {} is above the device's {MAX_DEVICE_RADIUS}",
                window.radius
            )));
        }
        let names = column_names(classes);
        let mut out = vec![Vec::with_capacity(pixels.len()); names.len()];
        let mcc_column = names.iter().position(|n| n == "glcm_MCC").filter(|_| mcc);
        let row = match mcc_column {
            Some(_) => mcc_row(window),
            None => 0,
        };
        // each pixel's four MCC matrices stay on the device; they bound the pixels per dispatch
        let scratch_limit = MCC_SCRATCH_BYTES.min(self.device.buffer_limit()) as usize;
        let per_dispatch = PIXELS_PER_DISPATCH
            .min(scratch_limit / (4 * mcc_stride(row) * self.precision.bytes()).max(1));
        // the shaders index the scratch with u32: 4 matrices per pixel stay within it
        debug_assert!(4 * mcc_stride(row) * per_dispatch.max(1) <= u32::MAX as usize);
        // the window is uploaded once; each dispatch adds its job, pixels and output
        let window_buffers = self.device.checked(|| Ok(self.upload_window(window)))?;
        for chunk in pixels.chunks(per_dispatch.max(1)) {
            let Dispatched {
                mut values,
                undefined,
                angle_mcc,
            } = self.device.checked(|| {
                let job = self.job(window, chunk.len(), classes, row)?;
                self.dispatch(&window_buffers, chunk, job, names.len())
            })?;
            mark_undefined(&mut values, &undefined, chunk.len());
            for (column, values) in out.iter_mut().zip(values.chunks(chunk.len())) {
                column.extend_from_slice(values);
            }
            if let Some(m) = mcc_column {
                let column = &mut out[m];
                let start = column.len() - chunk.len();
                for (k, value) in column[start..].iter_mut().enumerate() {
                    // a negative value marks an angle without pairs (MCC_NO_PAIRS)
                    let angles = (0..4).map(|a| angle_mcc[a * chunk.len() + k]).map(|v| {
                        if v < 0.0 {
                            f64::NAN
                        } else {
                            v
                        }
                    });
                    *value = glcm::mcc_over_angles(window.levels.len(), angles);
                }
            }
        }
        Ok(out)
    }

    /// A storage buffer holding `bytes`.
    fn input(&self, bytes: &[u8]) -> wgpu::Buffer {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let buffer = self.device.buffer("map input", bytes.len() as u64, usage);
        self.device.queue().write_buffer(&buffer, 0, &padded(bytes));
        buffer
    }

    /// The window's gray values, ranks and constants (pixel area, then the gray level of each
    /// rank), in the kernels' precision, as buffers for bindings 1 to 3.
    fn upload_window(&self, window: &WindowInput<'_>) -> [wgpu::Buffer; 3] {
        let mut constants = vec![1.0];
        constants.extend(window.levels.iter().map(|&g| f64::from(g)));
        [
            self.input(&self.reals(window.values)),
            self.input(bytemuck::cast_slice(window.ranks)),
            self.input(&self.reals(&constants)),
        ]
    }

    /// `values` as the kernels' floats.
    fn reals(&self, values: &[f64]) -> Vec<u8> {
        match self.precision {
            Precision::F64 => bytemuck::cast_slice(values).to_vec(),
            Precision::F32 => {
                let narrow: Vec<f32> = values.iter().map(|&v| v as f32).collect();
                bytemuck::cast_slice(&narrow).to_vec()
            }
        }
    }

    /// The kernels' floats in `bytes`, as f64.
    fn floats(&self, bytes: &[u8]) -> Vec<f64> {
        match self.precision {
            Precision::F64 => bytemuck::pod_collect_to_vec::<u8, f64>(bytes),
            Precision::F32 => bytemuck::pod_collect_to_vec::<u8, f32>(bytes)
                .into_iter()
                .map(f64::from)
                .collect(),
        }
    }

    /// A zeroed device buffer of `bytes` (at least 16) that a kernel writes.
    fn output(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        self.device.buffer(label, bytes.max(16), usage)
    }

    /// One dispatch of `job` over `pixels`: the `columns` columns read back as the shaders
    /// wrote them, with their flags and, when the job computes MCC, each angle's MCC.
    fn dispatch(
        &self,
        window_buffers: &[wgpu::Buffer; 3],
        pixels: &[u32],
        job: MapJob,
        columns: usize,
    ) -> Result<Dispatched> {
        let bytes = self.precision.bytes() as u64;
        let count = pixels.len() as u64;
        let out_bytes = columns as u64 * count * bytes;
        let flag_bytes = columns.div_ceil(32) as u64 * count * 4;
        let scratch_bytes = 4 * u64::from(job.mcc_stride) * count * bytes;
        if out_bytes.max(scratch_bytes) > self.device.buffer_limit() {
            return Err(fail(format!(
                "{} bytes of maps exceed the device's buffer limit",
                out_bytes.max(scratch_bytes)
            )));
        }
        let [values, ranks, constants] = window_buffers;
        let job_buffer = self.input(bytemuck::bytes_of(&job));
        let pixel_buffer = self.input(bytemuck::cast_slice(pixels));
        let output = self.output("map output", out_bytes);
        let scratch = self.output("map MCC matrices", scratch_bytes);
        // a new buffer, zeroed by wgpu: no column flagged until a shader flags it
        let flags = self.output("map undefined flags", flag_bytes);
        let features = [
            &job_buffer,
            values,
            ranks,
            constants,
            &pixel_buffer,
            &output,
            &scratch,
            &flags,
        ];
        let mut encoder =
            self.device
                .wgpu()
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("sonorad maps"),
                });
        self.features
            .record(&self.device, &mut encoder, &features, job.count);
        let mut reads = vec![(&output, out_bytes), (&flags, flag_bytes)];
        let angle_mcc = (job.mcc_stride != 0).then(|| {
            let angle_mcc = self.output("map MCC per angle", 4 * count * bytes);
            let buffers = [&job_buffer, &scratch, &angle_mcc];
            (self.mcc).record(&self.device, &mut encoder, &buffers, 4 * job.count);
            angle_mcc
        });
        if let Some(angle_mcc) = &angle_mcc {
            reads.push((angle_mcc, 4 * count * bytes));
        }
        let mut read = self.read(encoder, &reads)?.into_iter();
        let mut next = || read.next().unwrap_or_default();
        let values = self.floats(&next());
        let undefined = bytemuck::pod_collect_to_vec::<u8, u32>(&next());
        Ok(Dispatched {
            values,
            undefined,
            angle_mcc: self.floats(&next()),
        })
    }

    /// Copies each of `reads` (a buffer and its bytes) out after the passes of `encoder`,
    /// submits it, and reads their bytes back.
    fn read(
        &self,
        mut encoder: wgpu::CommandEncoder,
        reads: &[(&wgpu::Buffer, u64)],
    ) -> Result<Vec<Vec<u8>>> {
        let readbacks: Vec<(wgpu::Buffer, u64)> = reads
            .iter()
            .map(|&(buffer, bytes)| {
                let size = bytes.max(8);
                let readback = self.device.buffer(
                    "map readback",
                    size,
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                );
                encoder.copy_buffer_to_buffer(buffer, 0, &readback, 0, size);
                (readback, bytes)
            })
            .collect();
        let submission = self.device.queue().submit([encoder.finish()]);
        readbacks
            .iter()
            .map(|(readback, bytes)| {
                self.device
                    .read_back(readback, bytes.max(&8).to_owned(), &submission, |b| {
                        b[..*bytes as usize].to_vec()
                    })
            })
            .collect()
    }

    /// The job of a dispatch over `count` pixels of `window`, with MCC matrices in rows of
    /// `mcc_row` slots (0: no MCC).
    fn job(
        &self,
        window: &WindowInput<'_>,
        count: usize,
        classes: &[&str],
        mcc_row: usize,
    ) -> Result<MapJob> {
        let narrow = |v: usize, what: &str| {
            u32::try_from(v).map_err(|_| fail(format!("the window's {what} exceeds 32 bits")))
        };
        let mut column = 0u32;
        let mut at = |class: &str| {
            if !classes.contains(&class) {
                return NONE;
            }
            let first = column;
            column += class_width(class) as u32;
            first
        };
        let [firstorder_column, glcm_column, glrlm_column, glszm_column, gldm_column, ngtdm_column] =
            DEVICE_CLASSES.map(|(class, _)| at(class));
        Ok(MapJob {
            width: narrow(window.width, "width")?,
            height: narrow(window.height, "height")?,
            radius: window.radius as u32,
            count: narrow(count, "pixel count")?,
            ng: window.levels.last().copied().unwrap_or(0),
            firstorder_column,
            glcm_column,
            glrlm_column,
            glszm_column,
            gldm_column,
            ngtdm_column,
            mcc_stride: narrow(mcc_stride(mcc_row), "MCC matrix size")?,
            mcc_row: narrow(mcc_row, "MCC matrix side")?,
        })
    }
}

/// What one dispatch reads back.
struct Dispatched {
    /// The columns, column-major: column `c` of pixel `k` at `c * count + k`.
    values: Vec<f64>,
    /// The columns without a value: bit `c % 32` of `undefined[(c / 32) * count + k]`.
    undefined: Vec<u32>,
    /// Each angle's MCC, angle-major (empty when the job computes no MCC).
    angle_mcc: Vec<f64>,
}

/// Writes NaN, PyRadiomics' value, to every value of `values` (`count` pixels per column) that
/// the shaders flag in `undefined` as having none: the shaders cannot write NaN themselves
/// (WGSL promises none from arithmetic).
fn mark_undefined(values: &mut [f64], undefined: &[u32], count: usize) {
    for (c, column) in values.chunks_mut(count).enumerate() {
        let words = &undefined[(c / 32) * count..][..count];
        let bit = 1u32 << (c % 32);
        for (value, word) in column.iter_mut().zip(words) {
            if word & bit != 0 {
                *value = f64::NAN;
            }
        }
    }
}

/// The rows (and the most columns) of `window`'s MCC matrices: the most levels a kernel holds,
/// the fewer of the domain's levels and a kernel's pixels.
fn mcc_row(window: &WindowInput<'_>) -> usize {
    let side = 2 * window.radius + 1;
    window.levels.len().min(side * side)
}

/// Scratch slots of one MCC matrix in rows of `row` slots: its side, then `row²` entries; 0
/// when there is no matrix (`row` 0).
fn mcc_stride(row: usize) -> usize {
    if row == 0 {
        0
    } else {
        1 + row * row
    }
}

/// `bytes` padded with zeros to a multiple of 8 (at least 16), the size of its buffer.
fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.resize(bytes.len().max(16).next_multiple_of(8), 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::tests::{rust_fields, wgsl_u32_fields};
    use crate::device::Device;

    #[test]
    fn the_job_struct_mirrors_the_shader() {
        let rust = rust_fields(&format!("{:?}", MapJob::default()));
        assert_eq!(rust, wgsl_u32_fields(JOB_SHADER, "MapJob"));
        assert_eq!(std::mem::size_of::<MapJob>(), 4 * rust.len());
    }

    /// A hand-made window of degenerate kernels (radius 1): a pixel alone at the window's left
    /// edge, and two adjacent pixels (pairs and runs along one angle only, no value between
    /// their 10th and 90th percentiles).
    fn degenerate_window() -> (Vec<f64>, Vec<u32>) {
        let mut values = vec![0.0; 21];
        let mut ranks = vec![0u32; 21];
        for (at, value, rank) in [(7, 10.0, 1), (10, 40.0, 2), (11, 90.0, 3)] {
            values[at] = value;
            ranks[at] = rank;
        }
        (values, ranks)
    }

    /// Whether the CPU (and PyRadiomics) gives column `name` of the degenerate window's pixel
    /// `k` as NaN (MCC is not computed by this job: it stays flagged for the host).
    fn undefined_on_the_cpu(name: &str, k: usize) -> bool {
        let alone = k == 0 && (name.starts_with("glcm_") || name.starts_with("glrlm_"));
        alone || name == "glcm_MCC" || (k > 0 && name == "firstorder_RobustMeanAbsoluteDeviation")
    }

    /// The shaders write no NaN of their own (a driver may fold 0 / 0 to a number): on the
    /// degenerate window every value they write is a number, and the flags mark exactly the
    /// values the CPU gives as NaN, in both precisions. Skipped (loudly) without an adapter.
    #[test]
    fn the_shaders_flag_what_has_no_value_and_write_no_nan() {
        let device = match Device::open() {
            Ok(device) => Arc::new(device),
            Err(e) if std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
                panic!("SONORAD_REQUIRE_GPU=1 but no GPU adapter: {e}")
            }
            Err(e) => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: device maps: {e} ***\n");
                return;
            }
        };
        let (values, ranks) = degenerate_window();
        let window = WindowInput {
            width: 7,
            height: 3,
            values: &values,
            ranks: &ranks,
            levels: &[1, 2, 4],
            radius: 1,
        };
        let classes: Vec<&str> = DEVICE_CLASSES.iter().map(|(c, _)| *c).collect();
        let names = column_names(&classes);
        let pixels = [7u32, 10, 11];
        for precision in [Precision::F64, Precision::F32] {
            if precision == Precision::F64 && !device.shader_f64() {
                continue;
            }
            let maps = DeviceMaps::with_precision(device.clone(), precision).unwrap();
            let out = (maps.device)
                .checked(|| {
                    let buffers = maps.upload_window(&window);
                    let job = maps.job(&window, pixels.len(), &classes, 0)?;
                    maps.dispatch(&buffers, &pixels, job, names.len())
                })
                .unwrap();
            for (c, name) in names.iter().enumerate() {
                for k in 0..pixels.len() {
                    let value = out.values[c * pixels.len() + k];
                    let flagged = out.undefined[(c / 32) * pixels.len() + k] & (1 << (c % 32)) != 0;
                    let what = format!("{precision}: {name} of pixel {k}");
                    assert!(!value.is_nan(), "{what}: the shader wrote NaN");
                    assert_eq!(flagged, undefined_on_the_cpu(name, k), "{what}: {value}");
                }
            }
            let mut marked = out.values.clone();
            mark_undefined(&mut marked, &out.undefined, pixels.len());
            assert_eq!(
                marked.iter().filter(|v| v.is_nan()).count(),
                24 + 16 + 2 + 2
            );
        }
    }

    #[test]
    fn the_prelude_carries_the_host_constants() {
        let prelude = shader_prelude(Precision::F64);
        assert!(prelude.contains("alias real = f64;"));
        assert!(prelude.contains(&format!("const MAX_KERNEL: u32 = {MAX_KERNEL}u;")));
        assert!(
            prelude.contains("vec2<i32>(1, 1), vec2<i32>(1, 0), vec2<i32>(1, -1), vec2<i32>(0, 1)")
        );
        assert_eq!(MAX_KERNEL, 49);
        assert_eq!(MAX_CODES, 84);
        assert!(shader_prelude(Precision::F32).contains("alias real = f32;"));
    }
}
