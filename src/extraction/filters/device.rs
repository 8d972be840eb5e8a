//! The filters on the GPU: LoG, wavelet, the point filters and the gradient computed by compute
//! shaders in f64, with the arithmetic of the CPU functions of this module's siblings.
//!
//! One call filters one image into every image type a run enables: the image goes up once as
//! f64, a plan of dispatches (`Plan`) runs in one compute pass over one buffer of planes, and
//! the filtered images come back. The shaders, one per filter, are `shaders/filter_log.wgsl`
//! (one invocation per line, its recursion serial), `shaders/filter_wavelet.wgsl` and
//! `shaders/filter_point.wgsl` and `shaders/filter_gradient.wgsl` (one invocation per pixel);
//! `shaders/filter_records.wgsl` holds the record of a dispatch (`Step` mirrors it) and
//! `shaders/f64_math.wgsl` the f64 `exp` and `log` WGSL lacks.
//!
//! **Precision.** The device needs 64-bit floats in shaders ([`Device::shader_f64`]); without
//! them [`DeviceFilters::new`] refuses and the filters stay on the CPU. With the same
//! coefficients and the same order of operations, the LoG, the wavelet, the square and the
//! gradient are the same doubles as on the CPU unless the driver fuses a multiply and an add
//! (WGSL cannot forbid it); the square root, the logarithm and the exponential are within an
//! ulp or two (`sqrt`, `exp64`, `log64` against the host's libm). `tests/gpu_filters.rs`
//! counts the pixels that differ and bounds them by 1e-12 of the image's range.
//!
//! **Validity.** Each filter checks its image and settings with the CPU's own checks, so a
//! skipped image (a LoG sigma too large, an all-zero image for the square) is skipped here for
//! the same reason.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::gradient::weights as gradient_weights;
use super::log::{axis_passes, check_sigma, Axis};
use super::point::PointFilter;
use super::wavelet::{level_prefix, WaveletSettings};
use super::{check_shape, derived, FilterError, FilterOutput, FilteredImage, ImageType};
use crate::device::{fail, pipeline, storage_entry, Device, Note};
use crate::error::Result;
use crate::io::{Image, PixelSpacing};

const RECORDS: &str = include_str!("../../../shaders/filter_records.wgsl");
const F64_MATH: &str = include_str!("../../../shaders/f64_math.wgsl");
const LOG_SHADER: &str = include_str!("../../../shaders/filter_log.wgsl");
const WAVELET_SHADER: &str = include_str!("../../../shaders/filter_wavelet.wgsl");
const POINT_SHADER: &str = include_str!("../../../shaders/filter_point.wgsl");
const GRADIENT_SHADER: &str = include_str!("../../../shaders/filter_gradient.wgsl");

/// Invocations per workgroup of every filter kernel (`FILTER_GROUP` in the shaders).
pub(crate) const FILTER_GROUP: u32 = 64;
/// Largest dimension of a dispatch grid.
const MAX_GROUPS_PER_DIMENSION: u32 = 65_535;
/// Bytes between two steps' records in the uniform buffer: the largest offset alignment a
/// device may ask of a dynamic uniform binding.
const STEP_STRIDE: u64 = 256;

/// The record of one dispatch (`struct Step` in `shaders/filter_records.wgsl`). Offsets count
/// f64 values of the planes buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Step {
    pub count: u32,
    pub groups_x: u32,
    pub length: u32,
    pub along: u32,
    pub across: u32,
    pub source: u32,
    pub output: u32,
    pub second: u32,
    pub coefficients: u32,
    pub taps: u32,
    pub mode: u32,
    pub width: u32,
    pub height: u32,
    pub source_width: u32,
    pub source_height: u32,
    pub copies: u32,
    pub copy_source: u32,
    pub copy_plane: u32,
    pub copy_coefficients: u32,
    pub pad0: u32,
}

/// The filter kernels, in the order of [`DeviceFilters`]'s pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Log = 0,
    Wavelet = 1,
    Point = 2,
    Gradient = 3,
}

/// Coefficients of one LoG line pass: the 20 of the recursion, then the scale.
const LOG_COEFFICIENTS: usize = 21;

/// The copies one line pass runs side by side (one per LoG sigma), each `plane_stride` values
/// after the previous one in its source (`source_stride`, 0 when all read the same image),
/// output and scratch planes.
struct Copies {
    count: usize,
    source: usize,
    source_stride: usize,
    output: usize,
    scratch: usize,
    plane_stride: usize,
}

/// Where a filtered image lies in the planes, and how much of it is the image (a wavelet
/// sub-band is computed on the padded plane and cropped on the way back).
#[derive(Debug, Clone)]
struct Output {
    name: String,
    /// First value in the planes.
    offset: usize,
    /// Width of the plane it lies in.
    plane_width: usize,
}

/// The dispatches that filter one image into every enabled image type.
#[derive(Debug, Default)]
struct Plan {
    width: usize,
    height: usize,
    /// The rows of each output read back (the others are left 0).
    rows: Range<usize>,
    /// f64 values of the planes buffer; the image is the first plane.
    planes: usize,
    coefficients: Vec<f64>,
    steps: Vec<(Kernel, Step)>,
    /// Planes to clear before the pass (the LoG's running sums).
    cleared: Vec<(usize, usize)>,
    /// Per image type, its images or why each was skipped.
    outputs: Vec<(Vec<Output>, Vec<FilterError>)>,
}

impl Plan {
    fn new(image: &Image, rows: Range<usize>) -> Plan {
        Plan {
            width: image.width,
            height: image.height,
            rows: rows.start.min(image.height)..rows.end.min(image.height),
            planes: image.width * image.height,
            ..Plan::default()
        }
    }

    /// A new plane of `values` values; its first value.
    fn plane(&mut self, values: usize) -> usize {
        let at = self.planes;
        self.planes += values;
        at
    }

    /// Appends coefficients; the first one's index.
    fn coefficients(&mut self, values: &[f64]) -> u32 {
        let at = self.coefficients.len() as u32;
        self.coefficients.extend_from_slice(values);
        at
    }

    /// A step over `count` invocations.
    fn step(&mut self, kernel: Kernel, count: usize, step: Step) {
        let groups = (count as u32).div_ceil(FILTER_GROUP).max(1);
        let groups_x = groups.min(MAX_GROUPS_PER_DIMENSION);
        self.steps.push((
            kernel,
            Step {
                count: count as u32,
                groups_x,
                ..step
            },
        ));
    }

    /// The LoG at every sigma of `sigmas` together: per axis, the second derivative along the
    /// axis into one temporary plane per sigma, then smoothing along the other axis added into
    /// each sigma's output plane. Each of the four passes is one dispatch over every line of
    /// every sigma (the lines' recursions are serial, so the sigmas are what fills the device).
    /// Returns each sigma's output plane.
    fn logs(&mut self, spacing: PixelSpacing, sigmas: &[f64]) -> Vec<usize> {
        let (n, pixels) = (sigmas.len(), self.width * self.height);
        if n == 0 {
            return Vec::new();
        }
        let temporaries = self.plane(n * pixels);
        let scratch = self.plane(n * pixels);
        let outputs = self.plane(n * pixels);
        self.cleared.push((outputs, n * pixels));
        let passes: Vec<_> = sigmas.iter().map(|&s| axis_passes(spacing, s)).collect();
        for a in 0..2 {
            let mut second = Vec::with_capacity(n * LOG_COEFFICIENTS);
            let mut smooth = Vec::with_capacity(n * LOG_COEFFICIENTS);
            for pass in passes.iter().map(|p| &p[a]) {
                second.extend(pass.second.coefficients());
                second.push(0.0);
                smooth.extend(pass.smooth.coefficients());
                smooth.push(pass.scale);
            }
            let axis = passes[0][a].axis;
            let second = self.coefficients(&second);
            let smooth = self.coefficients(&smooth);
            let copies = |source: usize, source_stride: usize, output: usize| Copies {
                count: n,
                source,
                source_stride,
                output,
                scratch,
                plane_stride: pixels,
            };
            self.line_pass(axis, copies(0, 0, temporaries), second, 0);
            self.line_pass(
                axis.other(),
                copies(temporaries, pixels, outputs),
                smooth,
                1,
            );
        }
        (0..n).map(|k| outputs + k * pixels).collect()
    }

    /// One recursive-Gaussian pass over every line along `axis` of each of the `copies`.
    fn line_pass(&mut self, axis: Axis, copies: Copies, coefficients: u32, mode: u32) {
        let (w, h) = (self.width as u32, self.height as u32);
        // along x, each row is a line; along y, each column
        let (lines, length, along, across) = match axis {
            Axis::Columns => (h, w, 1, w),
            Axis::Rows => (w, h, w, 1),
        };
        let step = Step {
            length,
            along,
            across,
            source: copies.source as u32,
            output: copies.output as u32,
            second: copies.scratch as u32,
            coefficients,
            mode,
            width: w,
            height: h,
            copies: copies.count as u32,
            copy_source: copies.source_stride as u32,
            copy_plane: copies.plane_stride as u32,
            copy_coefficients: LOG_COEFFICIENTS as u32,
            ..Step::default()
        };
        self.step(Kernel::Log, lines as usize * copies.count, step);
    }

    /// The wavelet's sub-bands, level by level, as [`super::wavelet::wavelet`] names them.
    fn wavelet(&mut self, settings: &WaveletSettings) -> Vec<Output> {
        let (pw, ph) = (self.width + self.width % 2, self.height + self.height % 2);
        let mut taps = settings.wavelet.low_pass().to_vec();
        taps.extend_from_slice(settings.wavelet.high_pass());
        let filters = self.coefficients(&taps);
        let taps = settings.wavelet.low_pass().len() as u32;
        // the image, wrapped onto the padded plane
        let mut data = (0, self.width, self.height);
        for _ in 0..settings.start_level {
            data = (self.transform(data, filters, taps)[0], pw, ph);
        }
        let mut out = Vec::new();
        for index in 1..=settings.level {
            let [ll, lh, hl, hh] = self.transform(data, filters, taps);
            let prefix = level_prefix(index);
            for (band, offset) in [("LH", lh), ("HL", hl), ("HH", hh)] {
                out.push(Output {
                    name: format!("{prefix}-{band}"),
                    offset,
                    plane_width: pw,
                });
            }
            data = (ll, pw, ph);
        }
        out.push(Output {
            name: format!("{}-LL", level_prefix(settings.level)),
            offset: data.0,
            plane_width: pw,
        });
        out
    }

    /// One level of the transform of the plane `(offset, width, height)`: rows, then the
    /// columns of both results. Returns the planes LL, LH, HL, HH.
    fn transform(&mut self, data: (usize, usize, usize), filters: u32, taps: u32) -> [usize; 4] {
        let (pw, ph) = (self.width + self.width % 2, self.height + self.height % 2);
        let [low, high, ll, lh, hl, hh] = [(); 6].map(|()| self.plane(pw * ph));
        let convolve = |plan: &mut Plan, mode, source: (usize, usize, usize), target, second| {
            let step = Step {
                source: source.0 as u32,
                source_width: source.1 as u32,
                source_height: source.2 as u32,
                output: target as u32,
                second: second as u32,
                coefficients: filters,
                taps,
                mode,
                width: pw as u32,
                height: ph as u32,
                ..Step::default()
            };
            plan.step(Kernel::Wavelet, pw * ph, step);
        };
        convolve(self, 0, data, low, high);
        convolve(self, 1, (low, pw, ph), ll, lh);
        convolve(self, 1, (high, pw, ph), hl, hh);
        [ll, lh, hl, hh]
    }

    /// A per-pixel kernel over the image with `mode` and `coefficients`; its output plane.
    fn per_pixel(&mut self, kernel: Kernel, mode: u32, coefficients: &[f64]) -> usize {
        let (w, h) = (self.width, self.height);
        let target = self.plane(w * h);
        let coefficients = self.coefficients(coefficients);
        let step = Step {
            output: target as u32,
            coefficients,
            mode,
            width: w as u32,
            height: h as u32,
            ..Step::default()
        };
        self.step(kernel, w * h, step);
        target
    }

    /// Plans one image type: its outputs, or why each is skipped (the CPU's checks).
    fn image_type(&mut self, image: &Image, spacing: PixelSpacing, image_type: &ImageType) {
        let planned: Vec<(String, std::result::Result<usize, FilterError>)> = match image_type {
            ImageType::Original => vec![("original".into(), Ok(0))],
            ImageType::LoG { sigmas } => {
                let checked: Vec<_> = sigmas
                    .iter()
                    .map(|s| check_sigma(image.width, image.height, spacing, s.mm))
                    .collect();
                let valid: Vec<f64> = sigmas
                    .iter()
                    .zip(&checked)
                    .filter(|(_, c)| c.is_ok())
                    .map(|(s, _)| s.mm)
                    .collect();
                let mut planes = self.logs(spacing, &valid).into_iter();
                sigmas
                    .iter()
                    .zip(checked)
                    .map(|(sigma, c)| {
                        let planned = c.map(|()| planes.next().unwrap_or_default());
                        (sigma.image_type_name(), planned)
                    })
                    .collect()
            }
            ImageType::Wavelet(settings) if settings.level == 0 => {
                vec![(
                    String::new(),
                    Err(FilterError::InvalidWaveletLevel { level: 0 }),
                )]
            }
            ImageType::Wavelet(settings) => {
                match super::wavelet::check_level_fits((image.width, image.height), settings) {
                    Err(e) => vec![(String::new(), Err(e))],
                    Ok(()) => {
                        let images = self.wavelet(settings);
                        self.outputs.push((images, Vec::new()));
                        return;
                    }
                }
            }
            ImageType::Square => vec![self.point(PointFilter::Square, image)],
            ImageType::SquareRoot => vec![self.point(PointFilter::SquareRoot, image)],
            ImageType::Logarithm => vec![self.point(PointFilter::Logarithm, image)],
            ImageType::Exponential => vec![self.point(PointFilter::Exponential, image)],
            ImageType::Gradient { use_spacing } => {
                let planned = gradient_weights(spacing, *use_spacing)
                    .map(|weights| self.per_pixel(Kernel::Gradient, 0, &weights));
                vec![("gradient".into(), planned)]
            }
        };
        let (mut images, mut skipped) = (Vec::new(), Vec::new());
        for (name, planned) in planned {
            match planned {
                Ok(offset) => images.push(Output {
                    name,
                    offset,
                    plane_width: image.width,
                }),
                Err(e) => skipped.push(e),
            }
        }
        self.outputs.push((images, skipped));
    }

    /// A point filter: its name and its output plane, or why it is skipped.
    fn point(
        &mut self,
        filter: PointFilter,
        image: &Image,
    ) -> (String, std::result::Result<usize, FilterError>) {
        let planned = filter
            .scale(image)
            .map(|c| self.per_pixel(Kernel::Point, filter as u32, &[c]));
        (filter.name().to_string(), planned)
    }
}

/// The constants the host writes before every filter shader.
pub(crate) fn shader_constants() -> String {
    format!(
        "// From src/extraction/filters/device.rs.\nconst FILTER_GROUP: u32 = {FILTER_GROUP}u;\n\n"
    )
}

/// The filter kernels on a device with 64-bit floats in shaders.
pub struct DeviceFilters {
    device: Arc<Device>,
    layout: wgpu::BindGroupLayout,
    /// One pipeline per [`Kernel`], in its order.
    pipelines: Vec<wgpu::ComputePipeline>,
    /// Where a failure of the device is told, once, before the CPU takes over.
    note: Option<Note>,
    failed: AtomicBool,
}

impl DeviceFilters {
    /// The filter kernels on `device`; an error saying why when the device has no 64-bit
    /// floats in shaders (the filters then stay on the CPU) or a shader does not compile.
    pub fn new(device: Arc<Device>) -> Result<DeviceFilters> {
        if !device.shader_f64() {
            return Err(fail(format!(
                "the adapter ({}) has no 64-bit floats in shaders",
                device.adapter().name
            )));
        }
        let layout = device
            .wgpu()
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("sonorad filters"),
                entries: &[
                    storage_entry(0, false),
                    storage_entry(1, true),
                    wgpu::BindGroupLayoutEntry {
                        binding: 2,
                        visibility: wgpu::ShaderStages::COMPUTE,
                        ty: wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Uniform,
                            has_dynamic_offset: true,
                            min_binding_size: None,
                        },
                        count: None,
                    },
                ],
            });
        let sources: [(&str, &[&str]); 4] = [
            ("filter log", &[LOG_SHADER]),
            ("filter wavelet", &[WAVELET_SHADER]),
            ("filter point", &[F64_MATH, POINT_SHADER]),
            ("filter gradient", &[GRADIENT_SHADER]),
        ];
        let pipelines = device.compiled("filter", || {
            sources.map(|(label, parts)| {
                let code = format!("{}{RECORDS}\n{}", shader_constants(), parts.join("\n"));
                let module = device.module(label, code);
                pipeline(device.wgpu(), &layout, &module, label, "main")
            })
        })?;
        Ok(DeviceFilters {
            device,
            layout,
            pipelines: pipelines.into(),
            note: None,
            failed: AtomicBool::new(false),
        })
    }

    /// The adapter the filters run on.
    pub fn adapter(&self) -> &crate::device::AdapterSummary {
        self.device.adapter()
    }

    /// The same filters, telling `note` once when the device fails and the CPU takes over.
    pub fn with_note(self, note: Note) -> DeviceFilters {
        DeviceFilters {
            note: Some(note),
            ..self
        }
    }

    /// Every image of each of `image_types` derived from `image`, as [`ImageType::apply`]
    /// gives them, but holding the filtered values in `rows` only (0 elsewhere: the rows of the
    /// regions to be read are all that cross the bus). Computed on the device: all image types
    /// in one submission when their planes fit one device buffer, else one image type per
    /// submission; on the CPU (every row) for an image type too large on its own, and for all
    /// of them once the device has failed (told to the note once).
    pub fn apply(
        &self,
        image: &Image,
        spacing: PixelSpacing,
        image_types: &[&ImageType],
        rows: Range<usize>,
    ) -> Vec<FilterOutput> {
        let on_cpu = |types: &[&ImageType]| -> Vec<FilterOutput> {
            types.iter().map(|t| t.apply(image, spacing)).collect()
        };
        if self.failed.load(Ordering::Relaxed) || check_shape(image).is_err() || rows.is_empty() {
            return on_cpu(image_types);
        }
        let together = self.plan(image, spacing, image_types, rows.clone());
        let groups: Vec<(&[&ImageType], Plan)> = if self.fits(&together) {
            vec![(image_types, together)]
        } else {
            image_types
                .iter()
                .map(|t| {
                    (
                        std::slice::from_ref(t),
                        self.plan(image, spacing, &[t], rows.clone()),
                    )
                })
                .collect()
        };
        let mut out = Vec::with_capacity(image_types.len());
        for (types, plan) in groups {
            if !self.fits(&plan) || self.failed.load(Ordering::Relaxed) {
                out.extend(on_cpu(types));
                continue;
            }
            match self.device.checked(|| self.run(image, &plan)) {
                Ok(values) => out.extend(unpack(image, &plan, &values)),
                Err(e) => {
                    if !self.failed.swap(true, Ordering::Relaxed) {
                        if let Some(note) = &self.note {
                            note(&format!(
                                "filters: the device failed ({e}); the CPU filters the rest of the run"
                            ));
                        }
                    }
                    out.extend(on_cpu(types));
                }
            }
        }
        out
    }

    /// [`DeviceFilters::apply`] on the device alone, all image types in one submission; an
    /// error when the device fails or their planes do not fit one buffer.
    pub fn try_apply(
        &self,
        image: &Image,
        spacing: PixelSpacing,
        image_types: &[&ImageType],
        rows: Range<usize>,
    ) -> Result<Vec<FilterOutput>> {
        check_shape(image).map_err(|e| fail(e.to_string()))?;
        if rows.is_empty() {
            return Err(fail(format!("no rows to read back ({rows:?})")));
        }
        let plan = self.plan(image, spacing, image_types, rows);
        if !self.fits(&plan) {
            return Err(fail(format!(
                "the filtered images of a {}x{} image need {} MiB, over the device's {} MiB buffer",
                image.width,
                image.height,
                (plan.planes as u64 * 8) >> 20,
                self.device.buffer_limit() >> 20
            )));
        }
        let values = self.device.checked(|| self.run(image, &plan))?;
        Ok(unpack(image, &plan, &values))
    }

    /// The plan of `image_types` on `image` (a shaped image, a non-empty `rows`).
    fn plan(
        &self,
        image: &Image,
        spacing: PixelSpacing,
        image_types: &[&ImageType],
        rows: Range<usize>,
    ) -> Plan {
        let mut plan = Plan::new(image, rows);
        for image_type in image_types {
            plan.image_type(image, spacing, image_type);
        }
        plan
    }

    /// Whether a plan's planes fit one device buffer (and its offsets a u32).
    fn fits(&self, plan: &Plan) -> bool {
        plan.planes as u64 * 8 <= self.device.buffer_limit() && plan.planes <= u32::MAX as usize
    }

    /// Uploads the image, runs the plan's steps in one compute pass and reads back every
    /// output plane, one after the other.
    fn run(&self, image: &Image, plan: &Plan) -> Result<Vec<f64>> {
        let device = self.device.wgpu();
        let queue = self.device.queue();
        let buffer = |label, size, usage| self.device.buffer(label, size, usage);
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let planes = buffer(
            "filter planes",
            plan.planes as u64 * 8,
            storage | wgpu::BufferUsages::COPY_SRC,
        );
        queue.write_buffer(&planes, 0, bytemuck::cast_slice(&image.pixels));
        let coefficients = buffer(
            "filter coefficients",
            plan.coefficients.len() as u64 * 8,
            storage,
        );
        queue.write_buffer(&coefficients, 0, bytemuck::cast_slice(&plan.coefficients));
        let steps = buffer(
            "filter steps",
            plan.steps.len().max(1) as u64 * STEP_STRIDE,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        for (k, (_, step)) in plan.steps.iter().enumerate() {
            queue.write_buffer(&steps, k as u64 * STEP_STRIDE, bytemuck::bytes_of(step));
        }
        let out_values: usize = plan
            .outputs
            .iter()
            .flat_map(|(o, _)| o)
            .map(|o| output_len(plan, o))
            .sum();
        let readback = buffer(
            "filter readback",
            out_values as u64 * 8,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sonorad filters"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: planes.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: coefficients.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &steps,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<Step>() as u64),
                    }),
                },
            ],
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("sonorad filters"),
        });
        for &(offset, len) in &plan.cleared {
            encoder.clear_buffer(&planes, offset as u64 * 8, Some(len as u64 * 8));
        }
        self.record(&mut encoder, plan, &bind_group);
        let mut at = 0;
        for output in plan.outputs.iter().flat_map(|(o, _)| o) {
            let len = output_len(plan, output) as u64 * 8;
            let first = (output.offset + plan.rows.start * output.plane_width) as u64 * 8;
            encoder.copy_buffer_to_buffer(&planes, first, &readback, at, len);
            at += len;
        }
        let submission = queue.submit([encoder.finish()]);
        self.device
            .read_back(&readback, at.max(8), &submission, |bytes| {
                bytemuck::pod_collect_to_vec::<u8, f64>(bytes)
            })
    }

    /// Records the plan's steps in one compute pass (wgpu orders the dispatches: each one
    /// sees what the ones before it wrote).
    fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        plan: &Plan,
        bind_group: &wgpu::BindGroup,
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("sonorad filters"),
            timestamp_writes: None,
        });
        for (k, (kernel, step)) in plan.steps.iter().enumerate() {
            let groups = step.count.div_ceil(FILTER_GROUP).max(1);
            pass.set_pipeline(&self.pipelines[*kernel as usize]);
            pass.set_bind_group(0, bind_group, &[(k as u64 * STEP_STRIDE) as u32]);
            pass.dispatch_workgroups(step.groups_x, groups.div_ceil(step.groups_x), 1);
        }
    }
}

/// Values of an output plane read back: from the first row read to the last one's last pixel
/// (a padded wavelet plane is cropped on the host).
fn output_len(plan: &Plan, output: &Output) -> usize {
    (plan.rows.len() - 1) * output.plane_width + plan.width
}

/// The filter outputs from the values read back, one output plane after the other.
fn unpack(image: &Image, plan: &Plan, values: &[f64]) -> Vec<FilterOutput> {
    let mut at = 0;
    plan.outputs
        .iter()
        .map(|(outputs, skipped)| {
            let images = outputs
                .iter()
                .map(|output| {
                    let plane = &values[at..at + output_len(plan, output)];
                    at += plane.len();
                    let pixels = if output.offset == 0 {
                        image.pixels.to_vec()
                    } else {
                        let mut pixels = vec![0.0; plan.width * plan.height];
                        let rows = pixels[plan.rows.start * plan.width..].chunks_mut(plan.width);
                        for (row, read) in rows.zip(plane.chunks(output.plane_width)) {
                            row.copy_from_slice(&read[..plan.width]);
                        }
                        pixels
                    };
                    derived(image, output.name.clone(), pixels)
                })
                .collect::<Vec<FilteredImage>>();
            FilterOutput {
                images,
                skipped: skipped.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::tests::{rust_fields, wgsl_u32_fields};
    use crate::filters::{Sigma, Wavelet};

    #[test]
    fn the_shader_step_has_the_rust_fields_in_order() {
        let rust = rust_fields(&format!("{:?}", Step::default()));
        assert_eq!(wgsl_u32_fields(RECORDS, "Step"), rust);
        assert_eq!(std::mem::size_of::<Step>(), 4 * rust.len());
        assert!(std::mem::size_of::<Step>() as u64 <= STEP_STRIDE);
        let prelude = shader_constants();
        assert!(prelude.contains(&format!("const FILTER_GROUP: u32 = {FILTER_GROUP}u;")));
    }

    fn image(width: usize, height: usize) -> Image<'static> {
        Image {
            width,
            height,
            pixels: (0..width * height).map(|v| v as f64).collect(),
            source: "plan.png".into(),
        }
    }

    /// The LoG takes four line passes over the image's rows and columns, each over the lines
    /// of every valid sigma, into one output plane per sigma, cleared first; a sigma too large
    /// is skipped with the CPU's error, in its place among the others.
    #[test]
    fn a_log_plan_runs_four_line_passes_for_all_sigmas() {
        let image = image(40, 30);
        let spacing = PixelSpacing {
            column: 1.0,
            row: 1.0,
        };
        let mut plan = Plan::new(&image, 0..30);
        let sigmas = [1.0, 35.0, 2.0].map(Sigma::mm).to_vec();
        plan.image_type(&image, spacing, &ImageType::LoG { sigmas });
        let lines: Vec<(u32, u32, u32, u32)> = plan
            .steps
            .iter()
            .map(|(_, s)| (s.count, s.length, s.mode, s.copies))
            .collect();
        // both valid sigmas in each of the four passes
        assert_eq!(
            lines,
            [
                (60, 40, 0, 2),
                (80, 30, 1, 2),
                (80, 30, 0, 2),
                (60, 40, 1, 2)
            ]
        );
        assert_eq!(plan.cleared, [(5 * 1200, 2 * 1200)]);
        let (images, skipped) = &plan.outputs[0];
        let names: Vec<&str> = images.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["log-sigma-1-0-mm-3D", "log-sigma-2-0-mm-3D"]);
        assert_eq!((images[0].offset, images[1].offset), (5 * 1200, 6 * 1200));
        assert!(matches!(skipped[..], [FilterError::SigmaTooLarge { .. }]));
        // 21 coefficients a pass: 20 of the recursion and the scale
        assert_eq!(plan.coefficients.len(), 2 * 4 * 21);
    }

    /// A wavelet of two levels after one dropped level: three convolutions a level on the
    /// padded plane, the sub-bands named as on the CPU.
    #[test]
    fn a_wavelet_plan_names_its_sub_bands_as_the_cpu() {
        let image = image(15, 9);
        let settings = WaveletSettings {
            wavelet: Wavelet::from_name("db2").unwrap(),
            level: 2,
            start_level: 1,
            axis: None,
        };
        let mut plan = Plan::new(&image, 0..9);
        plan.image_type(
            &image,
            PixelSpacing {
                column: 1.0,
                row: 1.0,
            },
            &ImageType::Wavelet(settings),
        );
        assert_eq!(plan.steps.len(), 9);
        assert!(plan
            .steps
            .iter()
            .all(|(_, s)| s.width == 16 && s.height == 10 && s.count == 160));
        let names: Vec<&str> = plan.outputs[0].0.iter().map(|o| o.name.as_str()).collect();
        let cpu = super::super::wavelet::wavelet(&image, &settings).unwrap();
        assert_eq!(
            names,
            cpu.iter().map(|i| i.name.as_str()).collect::<Vec<_>>()
        );
        assert!(plan.outputs[0].0.iter().all(|o| o.plane_width == 16));
    }
}
