//! Texture maps on the device: the first-order and texture features of every kernel of a
//! window, computed by `shaders/map_kernel.wgsl` (one invocation per region pixel, its kernel
//! gathered into private arrays) with the formulas of `map_firstorder.wgsl`, `map_glcm.wgsl`,
//! `map_emphasis.wgsl` (shared by `map_glrlm.wgsl`, `map_glszm.wgsl` and `map_gldm.wgsl`) and
//! `map_ngtdm.wgsl`.
//!
//! Those shaders are the one place where formulas exist a second time (the per-pixel formulas
//! of texture maps). They run in f64 where the adapter has 64-bit floats and in f32 otherwise;
//! `tests/gpu_maps.rs` checks every map against the CPU's: within 1e-9 of each map's largest
//! magnitude in f64, 1e-4 in f32. GLCM's MCC (an eigenproblem per kernel and angle) is computed
//! by the CPU ([`super::texture_maps`]).

use std::sync::Arc;

use crate::device::{fail, pipeline, storage_entry, Device};
use crate::error::Result;
use crate::features::{firstorder, glcm, gldm, glrlm, glszm, ngtdm, EPS};
use crate::matrix::GLCM_ANGLES;

const KERNEL_SHADER: &str = include_str!("../../../shaders/map_kernel.wgsl");
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

/// One window's dispatch parameters, mirrored by `MapJob` in `map_kernel.wgsl`.
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
    groups_x: u32,
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

/// The map kernels on a device.
pub struct DeviceMaps {
    device: Arc<Device>,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
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
        let entries: Vec<wgpu::BindGroupLayoutEntry> =
            (0..6).map(|b| storage_entry(b, b != 5)).collect();
        let (layout, pipeline) = device.compiled("texture map", || {
            let layout = device
                .wgpu()
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some("sonorad maps"),
                    entries: &entries,
                });
            let module = device.module("texture map", shader_source(precision));
            let pipeline = pipeline(device.wgpu(), &layout, &module, "texture map", "main");
            (layout, pipeline)
        })?;
        Ok(DeviceMaps {
            device,
            layout,
            pipeline,
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
    /// order, MCC NaN), each `pixels.len()` values.
    pub fn map(
        &self,
        window: &WindowInput<'_>,
        pixels: &[u32],
        classes: &[&str],
    ) -> Result<Vec<Vec<f64>>> {
        if window.radius > MAX_DEVICE_RADIUS {
            return Err(fail(format!(
                "kernel radius {} is above the device's {MAX_DEVICE_RADIUS}",
                window.radius
            )));
        }
        let columns: usize = classes.iter().map(|c| class_width(c)).sum();
        let mut out = vec![Vec::with_capacity(pixels.len()); columns];
        // the window is uploaded once; each dispatch adds its job, pixels and output
        let window_buffers = self.device.checked(|| Ok(self.upload_window(window)))?;
        for chunk in pixels.chunks(PIXELS_PER_DISPATCH) {
            let values = self
                .device
                .checked(|| self.dispatch(window, &window_buffers, chunk, classes, columns))?;
            for (column, values) in out.iter_mut().zip(values.chunks(chunk.len())) {
                column.extend_from_slice(values);
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
        let reals = |values: &[f64]| -> Vec<u8> {
            match self.precision {
                Precision::F64 => bytemuck::cast_slice(values).to_vec(),
                Precision::F32 => {
                    let narrow: Vec<f32> = values.iter().map(|&v| v as f32).collect();
                    bytemuck::cast_slice(&narrow).to_vec()
                }
            }
        };
        let mut constants = vec![1.0];
        constants.extend(window.levels.iter().map(|&g| f64::from(g)));
        [
            self.input(&reals(window.values)),
            self.input(bytemuck::cast_slice(window.ranks)),
            self.input(&reals(&constants)),
        ]
    }

    /// One dispatch over `pixels`: the columns read back, column-major.
    fn dispatch(
        &self,
        window: &WindowInput<'_>,
        window_buffers: &[wgpu::Buffer; 3],
        pixels: &[u32],
        classes: &[&str],
        columns: usize,
    ) -> Result<Vec<f64>> {
        let job = self.job(window, pixels.len(), classes)?;
        let out_bytes = (columns * pixels.len() * self.precision.bytes()) as u64;
        if out_bytes > self.device.buffer_limit() {
            return Err(fail(format!(
                "{out_bytes} bytes of maps exceed the device's buffer limit"
            )));
        }
        let [values, ranks, constants] = window_buffers;
        let job_buffer = self.input(bytemuck::bytes_of(&job));
        let pixel_buffer = self.input(bytemuck::cast_slice(pixels));
        let output = self.device.buffer(
            "map output",
            out_bytes,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        let bindings = [
            &job_buffer,
            values,
            ranks,
            constants,
            &pixel_buffer,
            &output,
        ];
        let bytes = self.run(&bindings, out_bytes, job)?;
        Ok(match self.precision {
            Precision::F64 => bytemuck::pod_collect_to_vec::<u8, f64>(&bytes),
            Precision::F32 => bytemuck::pod_collect_to_vec::<u8, f32>(&bytes)
                .into_iter()
                .map(f64::from)
                .collect(),
        })
    }

    /// The job of a dispatch over `count` pixels of `window`.
    fn job(&self, window: &WindowInput<'_>, count: usize, classes: &[&str]) -> Result<MapJob> {
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
        let groups = narrow(count, "pixel count")?.div_ceil(MAP_GROUP).max(1);
        Ok(MapJob {
            width: narrow(window.width, "width")?,
            height: narrow(window.height, "height")?,
            radius: window.radius as u32,
            count: count as u32,
            ng: window.levels.last().copied().unwrap_or(0),
            firstorder_column,
            glcm_column,
            glrlm_column,
            glszm_column,
            gldm_column,
            ngtdm_column,
            groups_x: groups.min(1 << 15),
        })
    }

    /// Binds `bindings` (0 to 5, the last the output), runs the kernel over the job's pixels,
    /// and reads back `out_bytes` of output.
    fn run(&self, bindings: &[&wgpu::Buffer; 6], out_bytes: u64, job: MapJob) -> Result<Vec<u8>> {
        let device = self.device.wgpu();
        let readback = self.device.buffer(
            "map readback",
            out_bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let entries: Vec<wgpu::BindGroupEntry> = (0u32..)
            .zip(bindings)
            .map(|(binding, b)| wgpu::BindGroupEntry {
                binding,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sonorad maps"),
            layout: &self.layout,
            entries: &entries,
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("sonorad maps"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("sonorad maps"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            let groups = job.count.div_ceil(MAP_GROUP).max(1);
            pass.dispatch_workgroups(job.groups_x, groups.div_ceil(job.groups_x), 1);
        }
        encoder.copy_buffer_to_buffer(bindings[5], 0, &readback, 0, out_bytes.max(8));
        let submission = self.device.queue().submit([encoder.finish()]);
        self.device
            .read_back(&readback, out_bytes.max(8), &submission, |b| b.to_vec())
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

    #[test]
    fn the_job_struct_mirrors_the_shader() {
        let rust = rust_fields(&format!("{:?}", MapJob::default()));
        assert_eq!(rust, wgsl_u32_fields(KERNEL_SHADER, "MapJob"));
        assert_eq!(std::mem::size_of::<MapJob>(), 4 * rust.len());
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
