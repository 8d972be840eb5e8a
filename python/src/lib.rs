//! `sonorad._sonorad`: the Python module, a thin shell over the sonorad library.
//!
//! Settings are built by the library's own functions ([`extract::enabled_image_types`],
//! [`sonorad::params::Params`], [`extract::Settings::check`]) and checked once, when an
//! [`Extractor`] is made: a bad setting raises `SettingsError` (a `ValueError`) with the
//! command line's message. Extraction releases the GIL. A bad file or array raises `InputError`
//! (a `ValueError`) naming it; nothing panics across the boundary.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use sonorad::archive::{self, ArchiveOptions, Progress, ProgressHook};
use sonorad::clinical::ClinicalOptions;
use sonorad::commands::predict::{predict, write_predictions, TrainedModels};
use sonorad::compat::{self, DefaultValue, FeatureOrder};
use sonorad::diagnostics;
use sonorad::discretize::Binning;
use sonorad::extract::{self, CheckedSettings, Settings};
use sonorad::io::image::{read_image_file, ImageFile};
use sonorad::io::{
    mask_channel, read_manifest_table, read_mask_file, Image, LabelMap, PixelSpacing, PixelType,
};
use sonorad::maps::device::DeviceMaps;
use sonorad::maps::{self, KernelSettings, MapDevices, RegionMaps, MAX_KERNEL_RADIUS};
use sonorad::matrix::{self, Backend, BackendChoice, BackendOptions};
use sonorad::params::{FeatureClassSelection, Params};
use sonorad::report::{self, ReportOptions};
use sonorad::roi::RingWidth;
use sonorad::table::FeatureTable;
use sonorad::train::{self, StudyConfig, TrainOptions};

pyo3::create_exception!(
    _sonorad,
    SettingsError,
    PyValueError,
    "A setting is invalid (the message is the command line's)."
);
pyo3::create_exception!(
    _sonorad,
    InputError,
    PyValueError,
    "An image, mask or manifest cannot be used (the message names it)."
);

fn settings_error(e: impl std::fmt::Display) -> PyErr {
    SettingsError::new_err(e.to_string())
}

fn input_error(e: impl std::fmt::Display) -> PyErr {
    InputError::new_err(e.to_string())
}

/// A library error as Python's: a setting's as `SettingsError`, any other as `InputError`.
fn library_error(e: sonorad::Error) -> PyErr {
    match e {
        sonorad::Error::Setting(_) => settings_error(e),
        other => input_error(other),
    }
}

/// A feature extractor with checked settings, as `sonorad extract` runs them.
#[pyclass(module = "sonorad._sonorad")]
struct Extractor {
    settings: CheckedSettings,
    backend: Box<dyn Backend>,
    /// Name of the backend, for `repr`.
    backend_name: String,
    /// The kernels of texture maps: a parameter file's `voxelSetting`, else PyRadiomics'
    /// defaults.
    kernel: KernelSettings,
    /// The backend's map kernels, compiled at the first map: `None` without a device, the
    /// compiler's message when they failed to compile.
    map_kernels: OnceLock<Result<Option<DeviceMaps>, String>>,
    /// What PyRadiomics would warn about the parameter file (`Params::warnings`), for the
    /// Python shell to log; empty for keyword settings.
    #[pyo3(get)]
    warnings: Vec<String>,
}

/// The backend named `name` (`auto`, `cpu`, `gpu`, `mixed`).
fn backend(name: &str) -> PyResult<Box<dyn Backend>> {
    let choice = match name {
        "auto" => BackendChoice::Auto,
        "cpu" => BackendChoice::Cpu,
        "gpu" => BackendChoice::Gpu,
        "mixed" => BackendChoice::Mixed,
        other => {
            return Err(settings_error(format!(
                "backend must be auto, cpu, gpu or mixed, got '{other}'"
            )))
        }
    };
    matrix::create(choice, BackendOptions::default(), |_| {}).map_err(settings_error)
}

/// Ring widths as `--ring` takes them (`3mm`, `10px`).
fn parse_rings(rings: &[String]) -> PyResult<Vec<RingWidth>> {
    rings
        .iter()
        .map(|r| r.parse::<RingWidth>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(settings_error)
}

/// The checked settings of `sonorad extract`'s flags.
#[allow(clippy::too_many_arguments)]
fn flag_settings(
    bin_width: Option<f64>,
    bin_count: Option<usize>,
    rings: Vec<String>,
    filters: Vec<String>,
    log_sigma: Vec<f64>,
    wavelet: &str,
    (label, label_channel): (Option<u32>, u32),
    spacing: Option<f64>,
) -> PyResult<CheckedSettings> {
    if bin_width.is_some() && bin_count.is_some() {
        return Err(settings_error("give bin_width or bin_count, not both"));
    }
    let binning = Binning::from_settings(bin_width, bin_count);
    let rings = parse_rings(&rings)?;
    let image_types = extract::enabled_image_types(&filters, &log_sigma, wavelet, binning)
        .map_err(settings_error)?;
    Settings {
        label,
        label_channel,
        spacing,
        rings,
        image_types,
        ..Settings::default()
    }
    .check()
    .map_err(settings_error)
}

/// A 2D array held for one call: read in place when it already has the library's element type
/// and row-major layout (a C-ordered float64 image, a C-ordered uint32 mask), so that a large
/// array is not copied; converted to that type and layout otherwise. Like other numpy
/// extensions that release the GIL, the call reads the caller's buffer while Python runs:
/// writing to the array from another thread during the call is the caller's race.
enum Held<'py, T: numpy::Element> {
    /// The caller's array, borrowed read-only for the call.
    InPlace(PyReadonlyArray2<'py, T>),
    /// A row-major copy in the library's element type.
    Converted {
        width: usize,
        height: usize,
        values: Vec<T>,
    },
}

impl<'py, T: numpy::Element> Held<'py, T> {
    /// Holds `array` in place when it is C-contiguous, else converts it with `convert`.
    fn of<S: numpy::Element + Copy>(
        array: PyReadonlyArray2<'py, S>,
        in_place: impl FnOnce(PyReadonlyArray2<'py, S>) -> Option<PyReadonlyArray2<'py, T>>,
        convert: impl Fn(S) -> Option<T>,
    ) -> Option<Self> {
        if array.is_c_contiguous() {
            if let Some(same) = in_place(array.clone()) {
                return Some(Held::InPlace(same));
            }
        }
        let view = array.as_array();
        let (height, width) = view.dim();
        let values = view
            .iter()
            .map(|&v| convert(v))
            .collect::<Option<Vec<T>>>()?;
        Some(Held::Converted {
            width,
            height,
            values,
        })
    }

    /// Width, height and the row-major values.
    fn view(&self) -> PyResult<(usize, usize, &[T])> {
        match self {
            Held::InPlace(array) => {
                let (height, width) = array.as_array().dim();
                let values = array
                    .as_slice()
                    .map_err(|e| input_error(format!("array: {e}")))?;
                Ok((width, height, values))
            }
            Held::Converted {
                width,
                height,
                values,
            } => Ok((*width, *height, values)),
        }
    }
}

/// An image array (2D; uint8, uint16, int8, int16, uint32, int32, float32 or float64; C or
/// Fortran order) as f64 values,
/// row-major, with its dtype as the pixel type resampling keeps: a C-ordered float64 array is
/// read in place.
fn image_of_array<'py>(array: &Bound<'py, PyAny>) -> PyResult<(Held<'py, f64>, PixelType)> {
    fn held<'py, S: numpy::Element + Copy + Into<f64>>(
        a: PyReadonlyArray2<'py, S>,
        in_place: impl FnOnce(PyReadonlyArray2<'py, S>) -> Option<PyReadonlyArray2<'py, f64>>,
        pixel_type: PixelType,
    ) -> PyResult<(Held<'py, f64>, PixelType)> {
        Held::of(a, in_place, |v| Some(v.into()))
            .map(|h| (h, pixel_type))
            .ok_or_else(|| input_error("image array: cannot be read"))
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u8>>() {
        return held(a, |_| None, PixelType::U8);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u16>>() {
        return held(a, |_| None, PixelType::U16);
    }
    // the other integer types SimpleITK reads (CT's int16, for instance), so that a converted
    // SimpleITK image keeps the pixel type its hash is taken of
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, i8>>() {
        return held(a, |_| None, PixelType::I8);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, i16>>() {
        return held(a, |_| None, PixelType::I16);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u32>>() {
        return held(a, |_| None, PixelType::U32);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, i32>>() {
        return held(a, |_| None, PixelType::I32);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, f32>>() {
        return held(a, |_| None, PixelType::F32);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, f64>>() {
        return held(a, Some, PixelType::F64);
    }
    Err(input_error(
        "image: expected a file path or a 2D numpy array of uint8, uint16, int8, int16, uint32, int32, float32 or float64",
    ))
}

/// A mask array as u32 labels, row-major: a 2D array, or a 3-D array of (rows, columns,
/// channels), a mask of several channels per pixel (what SimpleITK's `GetArrayFromImage` gives
/// for a vector image), read at the channel the library's rule picks for `label_channel`
/// ([`mask_channel`]).
fn mask_of_array<'py>(array: &Bound<'py, PyAny>, label_channel: u32) -> PyResult<Held<'py, u32>> {
    let shape = array
        .cast::<numpy::PyUntypedArray>()
        .map(|a| a.shape().to_vec())
        .unwrap_or_default();
    if let [_, _, channels] = shape[..] {
        let channel = mask_channel(Path::new("<mask array>"), channels, label_channel)
            .map_err(input_error)?;
        let all = pyo3::types::PySlice::full(array.py());
        return labels_of_array(&array.get_item((all.clone(), all, channel))?);
    }
    labels_of_array(array)
}

/// A 2D mask array (bool or unsigned 8, 16 or 32-bit integers, or int32/int64 >= 0) as u32
/// labels, row-major: a C-ordered uint32 array is read in place.
fn labels_of_array<'py>(array: &Bound<'py, PyAny>) -> PyResult<Held<'py, u32>> {
    fn held<'py, S: numpy::Element + Copy>(
        a: PyReadonlyArray2<'py, S>,
        in_place: impl FnOnce(PyReadonlyArray2<'py, S>) -> Option<PyReadonlyArray2<'py, u32>>,
        label: impl Fn(S) -> Option<u32>,
    ) -> PyResult<Held<'py, u32>> {
        Held::of(a, in_place, label)
            .ok_or_else(|| input_error("mask array: labels must be integers from 0 to 2^32 - 1"))
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, bool>>() {
        return held(a, |_| None, |v| Some(u32::from(v)));
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u8>>() {
        return held(a, |_| None, |v| Some(u32::from(v)));
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u16>>() {
        return held(a, |_| None, |v| Some(u32::from(v)));
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, u32>>() {
        return held(a, Some, Some);
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, i32>>() {
        return held(a, |_| None, |v| u32::try_from(v).ok());
    }
    if let Ok(a) = array.extract::<PyReadonlyArray2<'_, i64>>() {
        return held(a, |_| None, |v| u32::try_from(v).ok());
    }
    Err(input_error(
        "mask: expected a file path, or a numpy array of bool or integer labels (2D, or rows x columns x channels)",
    ))
}

impl Extractor {
    /// An extractor of checked parameters (a file's or a text's), keeping their warnings.
    fn of_params(
        params: Params,
        rings: Vec<String>,
        spacing: Option<f64>,
        backend: String,
    ) -> PyResult<Extractor> {
        let kernel = KernelSettings::default()
            .with_voxel_setting(params.voxel)
            .check()
            .map_err(settings_error)?;
        let rings = parse_rings(&rings)?;
        let warnings = params.warnings.clone();
        let settings = params
            .apply(Settings {
                rings,
                spacing,
                ..Settings::default()
            })
            .check()
            .map_err(settings_error)?;
        Ok(Extractor {
            settings,
            backend: self::backend(&backend)?,
            backend_name: backend,
            kernel,
            map_kernels: OnceLock::new(),
            warnings,
        })
    }

    /// The backend's map kernels, compiled at the first call; `None` without a device. When
    /// they fail to compile, backend "gpu" raises `SettingsError`; any other backend warns
    /// (`RuntimeWarning`) and maps on the CPU, as `sonorad map` notes and goes on.
    fn device_maps(&self, py: Python<'_>) -> PyResult<Option<&DeviceMaps>> {
        let compiled = self.map_kernels.get_or_init(|| {
            let Some(device) = self.backend.device() else {
                return Ok(None);
            };
            DeviceMaps::new(Arc::clone(device))
                .map(Some)
                .map_err(|e| format!("texture maps on the device: {e}"))
        });
        match compiled {
            Ok(kernels) => Ok(kernels.as_ref()),
            Err(e) if self.backend_name == "gpu" => Err(settings_error(e)),
            Err(e) => {
                let warning = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
                let message = std::ffi::CString::new(format!("{e}; the maps run on the CPU"))
                    .unwrap_or_default();
                PyErr::warn(py, &warning, &message, 1)?;
                Ok(None)
            }
        }
    }
}

/// The spacing an array carries as a file's header would: `array_spacing` (x, y in mm, which may
/// differ), else the square `spacing`, else none.
fn array_file_spacing(
    spacing: Option<f64>,
    array_spacing: Option<(f64, f64)>,
) -> Option<PixelSpacing> {
    match array_spacing {
        Some((x, y)) => Some(PixelSpacing { row: y, column: x }),
        None => spacing.map(PixelSpacing::square),
    }
}

/// Where a held image and its mask lie, as SimpleITK gives it to the Python shell: the image's
/// origin, the mask's spacing and origin (`None`: the image's), all x first, in mm.
#[derive(Debug, Clone, Copy, Default)]
struct Placing {
    origin: (f64, f64),
    mask_spacing: Option<(f64, f64)>,
    mask_origin: Option<(f64, f64)>,
}

/// A held image and mask as the library's image file (with `spacing`, if known) and label map,
/// borrowing their values, placed by `placing`.
fn in_memory<'a>(
    (image, pixel_type): &'a (Held<'_, f64>, PixelType),
    mask: &'a Held<'_, u32>,
    spacing: Option<PixelSpacing>,
    placing: Placing,
) -> PyResult<(ImageFile<'a>, LabelMap<'a>)> {
    let ((width, height, pixels), (mask_width, mask_height, labels)) =
        (image.view()?, mask.view()?);
    let file = ImageFile {
        image: Image {
            width,
            height,
            pixels: Cow::Borrowed(pixels),
            source: PathBuf::from("<image array>"),
        },
        spacing,
        pixel_type: *pixel_type,
        origin: [placing.origin.0, placing.origin.1],
    };
    let mask = LabelMap {
        width: mask_width,
        height: mask_height,
        labels: Cow::Borrowed(labels),
        source: PathBuf::from("<mask array>"),
        spacing: placing
            .mask_spacing
            .map(|(x, y)| PixelSpacing { row: y, column: x }),
        origin: placing.mask_origin.map(|(x, y)| [x, y]),
    };
    Ok((file, mask))
}

#[pymethods]
impl Extractor {
    /// Settings as `sonorad extract`'s flags: bin_width (default 25) or bin_count, rings
    /// (["3mm", "10px"]), filters (["original", "log", "wavelet", ...]), log_sigma (mm),
    /// wavelet, label, label_channel (the channel of a mask of several channels per pixel that
    /// holds the labels, default 0), spacing (mm), backend (auto, cpu, gpu, mixed).
    #[new]
    #[pyo3(signature = (*, bin_width=None, bin_count=None, rings=Vec::new(), filters=vec!["original".to_string()], log_sigma=vec![1.0, 2.0, 3.0], wavelet="coif1".to_string(), label=None, label_channel=0, spacing=None, backend="auto".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        bin_width: Option<f64>,
        bin_count: Option<usize>,
        rings: Vec<String>,
        filters: Vec<String>,
        log_sigma: Vec<f64>,
        wavelet: String,
        label: Option<u32>,
        label_channel: i64,
        spacing: Option<f64>,
        backend: String,
    ) -> PyResult<Extractor> {
        let label_channel = u32::try_from(label_channel).map_err(|_| {
            settings_error(format!(
                "label_channel must be an integer >= 0, got {label_channel}"
            ))
        })?;
        let settings = flag_settings(
            bin_width,
            bin_count,
            rings,
            filters,
            log_sigma,
            &wavelet,
            (label, label_channel),
            spacing,
        )?;
        Ok(Extractor {
            settings,
            backend: self::backend(&backend)?,
            backend_name: backend,
            kernel: KernelSettings::default(),
            map_kernels: OnceLock::new(),
            warnings: Vec::new(),
        })
    }

    /// An extractor from a PyRadiomics parameter file (imageType, featureClass, setting), with
    /// rings, spacing and backend as in `Extractor(...)`.
    #[staticmethod]
    #[pyo3(signature = (path, *, rings=Vec::new(), spacing=None, backend="auto".to_string()))]
    fn from_params(
        path: PathBuf,
        rings: Vec<String>,
        spacing: Option<f64>,
        backend: String,
    ) -> PyResult<Extractor> {
        let params = Params::read(&path).map_err(settings_error)?;
        Extractor::of_params(params, rings, spacing, backend)
    }

    /// An extractor from the text of a parameter file (YAML or JSON), as `from_params` reads a
    /// file: the Python shell's settings dict goes through the same checks as a file, and
    /// `origin` names it in errors.
    #[staticmethod]
    #[pyo3(signature = (text, *, origin="<parameters>".to_string(), rings=Vec::new(), spacing=None, backend="auto".to_string()))]
    fn from_params_text(
        text: &str,
        origin: String,
        rings: Vec<String>,
        spacing: Option<f64>,
        backend: String,
    ) -> PyResult<Extractor> {
        let params = Params::parse(text, &origin).map_err(settings_error)?;
        Extractor::of_params(params, rings, spacing, backend)
    }

    /// The features of one case, as `(name, value)` pairs in the command line's order:
    /// `image` and `mask` are both file paths, or both 2D numpy arrays (then `spacing` in mm,
    /// if known, or `array_spacing`, the arrays' own (x, y) spacing as a file's header carries
    /// it, which may differ between the axes; `spacing` overrides it; `origin`, and the mask's
    /// own `mask_spacing` and `mask_origin` where it does not lie on the image's pixels, as
    /// SimpleITK gives them, x first, for correctMask). The GIL is released while extracting.
    #[pyo3(signature = (image, mask, spacing=None, *, array_spacing=None, origin=(0.0, 0.0), mask_spacing=None, mask_origin=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute_pairs(
        &self,
        py: Python<'_>,
        image: &Bound<'_, PyAny>,
        mask: &Bound<'_, PyAny>,
        spacing: Option<f64>,
        array_spacing: Option<(f64, f64)>,
        origin: (f64, f64),
        mask_spacing: Option<(f64, f64)>,
        mask_origin: Option<(f64, f64)>,
    ) -> PyResult<Vec<(String, f64)>> {
        let settings = match spacing {
            Some(s) => {
                let mut changed = self.settings.clone().settings();
                changed.spacing = Some(s);
                changed.check().map_err(settings_error)?
            }
            None => self.settings.clone(),
        };
        let backend = self.backend.as_ref();
        if let (Ok(image), Ok(mask)) = (image.extract::<PathBuf>(), mask.extract::<PathBuf>()) {
            return py
                .detach(|| extract::extract_case(&image, &mask, &settings, backend))
                .map_err(input_error);
        }
        let (image, mask) = (
            image_of_array(image)?,
            mask_of_array(mask, settings.label_channel)?,
        );
        let placing = Placing {
            origin,
            mask_spacing,
            mask_origin,
        };
        let spacing = array_file_spacing(spacing, array_spacing);
        let (file, mask) = in_memory(&image, &mask, spacing, placing)?;
        py.detach(|| {
            let case = extract::case_from_memory(file, &mask, &settings)?;
            extract::extract_loaded(&case, &settings, backend)
        })
        .map_err(input_error)
    }

    /// PyRadiomics' image and mask diagnostics of one case (`diagnostics_Image-…` and
    /// `diagnostics_Mask-…` of every step: original, interpolated, corrected, resegmented, in
    /// its order), computed by the library with the extractor's settings
    /// (`extract::case_with_diagnostics`), as `(key, value)` pairs. `image`, `mask` and the
    /// keywords as for `execute_pairs`. An image or mask the extraction would refuse raises
    /// `InputError`.
    #[pyo3(signature = (image, mask, *, array_spacing=None, origin=(0.0, 0.0), mask_spacing=None, mask_origin=None))]
    #[allow(clippy::too_many_arguments)]
    fn diagnostics<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        mask: &Bound<'py, PyAny>,
        array_spacing: Option<(f64, f64)>,
        origin: (f64, f64),
        mask_spacing: Option<(f64, f64)>,
        mask_origin: Option<(f64, f64)>,
    ) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let settings = &self.settings;
        let pairs = if let (Ok(image), Ok(mask)) =
            (image.extract::<PathBuf>(), mask.extract::<PathBuf>())
        {
            py.detach(|| {
                let labels = read_mask_file(&mask, 0, settings.label_channel)?;
                let file = read_image_file(&image, 0)?;
                extract::case_with_diagnostics(file, &labels, settings).map(|(_, d)| d)
            })
        } else {
            let (image, mask) = (
                image_of_array(image)?,
                mask_of_array(mask, settings.label_channel)?,
            );
            let placing = Placing {
                origin,
                mask_spacing,
                mask_origin,
            };
            let spacing = array_file_spacing(None, array_spacing);
            let (file, labels) = in_memory(&image, &mask, spacing, placing)?;
            py.detach(|| extract::case_with_diagnostics(file, &labels, settings).map(|(_, d)| d))
        }
        .map_err(input_error)?;
        pairs
            .iter()
            .map(|(key, value)| Ok((key.clone(), diagnostic_object(py, value)?)))
            .collect()
    }

    /// The texture maps of one case (PyRadiomics' voxel-based features), as `sonorad map`
    /// computes them: `(name, map)` for every region, image type and feature, each map a float64
    /// array in the image's geometry, `init_value` outside the region. `image` and `mask` as
    /// for `execute_pairs`; the kernel settings default to the extractor's (a parameter file's
    /// `voxelSetting`, else radius 1, masked, 0); `features` selects classes or features (by
    /// default the extractor's selection: a parameter file's `featureClass`, else every
    /// first-order and texture feature); `array_spacing` as for `execute_pairs`. The GIL is
    /// released while mapping.
    #[pyo3(signature = (image, mask, spacing=None, kernel_radius=None, masked_kernel=None, init_value=None, features=None, *, array_spacing=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute_maps<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        mask: &Bound<'py, PyAny>,
        spacing: Option<f64>,
        kernel_radius: Option<i64>,
        masked_kernel: Option<bool>,
        init_value: Option<f64>,
        features: Option<Vec<String>>,
        array_spacing: Option<(f64, f64)>,
    ) -> PyResult<Vec<(String, Bound<'py, PyArray2<f64>>)>> {
        let mut settings = self.settings.clone().settings();
        settings.spacing = spacing.or(settings.spacing);
        if let Some(features) = features {
            let selection = FeatureClassSelection::parse_list(&features.join(","))
                .map_err(|e| settings_error(format!("features: {e}")))?;
            settings.feature_classes = Some(selection);
        }
        let settings = maps::settings_for_maps(settings)
            .and_then(|s| s.check())
            .map_err(settings_error)?;
        let radius = match kernel_radius {
            Some(r) => usize::try_from(r).map_err(|_| {
                settings_error(format!(
                    "the kernel radius must be from 1 to {MAX_KERNEL_RADIUS}, got {r}"
                ))
            })?,
            None => self.kernel.radius,
        };
        let kernel = KernelSettings {
            radius,
            masked: masked_kernel.unwrap_or(self.kernel.masked),
            init_value: init_value.unwrap_or(self.kernel.init_value),
        }
        .check()
        .map_err(settings_error)?;
        let devices = MapDevices {
            filters: self.backend.filters(),
            maps: self.device_maps(py)?,
        };
        let run = |case: &extract::LoadedCase| -> sonorad::Result<(Vec<RegionMaps>, usize, usize)> {
            let (width, height) = (case.image.width, case.image.height);
            maps::check_full_maps(&case.image.source, (width, height), &settings)?;
            Ok((
                maps::case_maps(case, &settings, kernel, devices)?,
                width,
                height,
            ))
        };
        let (region_maps, width, height) = if let (Ok(image), Ok(mask)) =
            (image.extract::<PathBuf>(), mask.extract::<PathBuf>())
        {
            py.detach(|| {
                let case = extract::load_whole_frame(&image, &mask, 0, &settings)?;
                run(&case)
            })
        } else {
            // refused before the arrays are converted: the shape is enough
            if let Ok(array) = image.cast::<numpy::PyUntypedArray>() {
                if let [height, width] = *array.shape() {
                    let source = std::path::Path::new("<image array>");
                    maps::check_full_maps(source, (width, height), &settings)
                        .map_err(library_error)?;
                }
            }
            let (image, mask) = (
                image_of_array(image)?,
                mask_of_array(mask, settings.label_channel)?,
            );
            let (file, mask) = in_memory(
                &image,
                &mask,
                array_file_spacing(spacing, array_spacing),
                Placing::default(),
            )?;
            py.detach(|| run(&extract::case_from_memory(file, &mask, &settings)?))
        }
        .map_err(library_error)?;
        let mut out = Vec::new();
        for region in &region_maps {
            for k in 0..region.maps.names.len() {
                let full = region.maps.full(k, width, height, kernel.init_value);
                let array = PyArray1::from_vec(py, full).reshape([height, width])?;
                out.push((region.name(k), array));
            }
        }
        Ok(out)
    }

    /// Extracts every case of a manifest CSV (as `sonorad extract --manifest`) into the CSV
    /// `out`, per-case errors into `errors`; returns the number of cases written and failed.
    /// `progress`: the command line's bar on a terminal; `on_progress`: a callable told
    /// `(done, failed, total)` after every chunk (a notebook's bar).
    #[pyo3(signature = (manifest, out, errors, id_column="case_id".to_string(), progress=true, on_progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn extract_manifest_to(
        &self,
        py: Python<'_>,
        manifest: PathBuf,
        out: PathBuf,
        errors: PathBuf,
        id_column: String,
        progress: bool,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<(usize, usize)> {
        let table = read_manifest_table(&manifest, &id_column).map_err(input_error)?;
        let mut options = ArchiveOptions::new(&out);
        options.force = true;
        options.errors = Some(errors);
        options.id_column = id_column;
        options.progress = if progress {
            Progress::Auto
        } else {
            Progress::Quiet
        };
        options.on_progress = on_progress.map(|callback| {
            ProgressHook(std::sync::Arc::new(move |done, failed, total| {
                // a display's failure must not stop the run
                Python::attach(|py| {
                    let _ = callback.call1(py, (done, failed, total));
                });
            }))
        });
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        options.cancel = Some(cancel.clone());
        let summary = std::thread::scope(|scope| {
            let run = scope
                .spawn(|| archive::run(&table, &self.settings, self.backend.as_ref(), &options));
            wait_interruptibly(py, &run, &cancel)?;
            run.join()
                .map_err(|_| PyRuntimeError::new_err("the archive run stopped unexpectedly"))?
                .map_err(input_error)
        })?;
        Ok((summary.extracted, summary.failed))
    }

    fn __repr__(&self) -> String {
        format!(
            "Extractor(backend={:?} -> {})",
            self.backend_name,
            self.backend.describe()
        )
    }
}

/// Fits a study as `sonorad train` does (statistics stage, clinical and combined models with
/// a clinical table, the report) into `out`; returns why the clinical models were skipped, if
/// they were. The GIL is released.
#[pyfunction]
#[pyo3(signature = (features, outcome, out, *, clinical=None, clinical_vars=None, split_column=None, config=None, seed=None, validation_fraction=None, mrmr_k=None, bootstrap=1000, notes=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn train_study(
    py: Python<'_>,
    features: PathBuf,
    outcome: String,
    out: PathBuf,
    clinical: Option<PathBuf>,
    clinical_vars: Option<Vec<String>>,
    split_column: Option<String>,
    config: Option<PathBuf>,
    seed: Option<u64>,
    validation_fraction: Option<f64>,
    mrmr_k: Option<usize>,
    bootstrap: usize,
    notes: Vec<String>,
) -> PyResult<Option<String>> {
    let mut study = match &config {
        Some(path) => StudyConfig::read(path).map_err(settings_error)?,
        None => StudyConfig::default(),
    };
    study.seed = seed.unwrap_or(study.seed);
    study.validation_fraction = validation_fraction.unwrap_or(study.validation_fraction);
    study.mrmr_k = mrmr_k.unwrap_or(study.mrmr_k);
    let options = TrainOptions {
        features,
        outcome,
        split_column,
        icc_features: None,
        config: study,
        out,
    };
    let report_options = ReportOptions {
        clinical,
        clinical_options: ClinicalOptions {
            variables: clinical_vars,
            resamples: bootstrap,
            seed: options.config.seed,
        },
        notes,
        maps: None,
    };
    py.detach(|| {
        let trained = train::run(&options).map_err(|e| e.to_string())?;
        report::run(&trained, &options, &report_options)
            .map(|outcome| outcome.clinical_skipped)
            .map_err(|e| e.to_string())
    })
    .map_err(input_error)
}

/// Scores new cases with a study's `model.json` as `sonorad predict` does, into the CSV `out`.
#[pyfunction]
#[pyo3(signature = (model, features, out, clinical=None))]
fn predict_to(
    py: Python<'_>,
    model: PathBuf,
    features: PathBuf,
    out: PathBuf,
    clinical: Option<PathBuf>,
) -> PyResult<()> {
    py.detach(|| -> Result<(), String> {
        let models = TrainedModels::read(&model).map_err(|e| e.to_string())?;
        let features = FeatureTable::read(&features).map_err(|e| e.to_string())?;
        let clinical = clinical
            .as_deref()
            .map(FeatureTable::read)
            .transpose()
            .map_err(|e| e.to_string())?;
        let predictions =
            predict(&models, &features, clinical.as_ref()).map_err(|e| e.to_string())?;
        let file = std::fs::File::create(&out)
            .map_err(|e| format!("{}: cannot create: {e}", out.display()))?;
        let mut writer = std::io::BufWriter::new(file);
        write_predictions(&predictions, &mut writer)
            .and_then(|()| std::io::Write::flush(&mut writer))
            .map_err(|e| format!("{}: {e}", out.display()))
    })
    .map_err(input_error)
}

/// The text of a parameter file (YAML; JSON is YAML) as JSON, keys in the file's order, read
/// by the parser that `Params::parse` uses: the Python shell keeps a file's sections as dicts
/// (PyRadiomics' `settings`, `enabledFeatures`, `enabledImagetypes`) without a YAML package.
/// Only the syntax is checked here; the settings are checked when an extractor is made.
#[pyfunction]
#[pyo3(signature = (text, origin="<parameters>"))]
fn params_as_json(text: &str, origin: &str) -> PyResult<String> {
    let value: serde_norway::Value = serde_norway::from_str(text)
        .map_err(|e| settings_error(format!("{origin}: not a YAML parameter file: {e}")))?;
    serde_json::to_string(&value)
        .map_err(|e| settings_error(format!("{origin}: cannot be read as JSON: {e}")))
}

/// PyRadiomics' default settings (`_getDefaultSettings`), in its order, as `(name, value)`
/// pairs of Python values: the library's [`compat::DEFAULT_SETTINGS`], which `sonorad
/// pyradiomics` starts its settings dict from too. New objects at each call, for the shell to
/// change.
#[pyfunction]
fn pyradiomics_default_settings(py: Python<'_>) -> PyResult<Vec<(&'static str, Bound<'_, PyAny>)>> {
    compat::DEFAULT_SETTINGS
        .iter()
        .map(|&(name, value)| {
            let object = match value {
                DefaultValue::None => py.None().into_bound(py),
                DefaultValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
                DefaultValue::Int(i) => i.into_pyobject(py)?.into_any(),
                DefaultValue::Str(s) => s.into_pyobject(py)?.into_any(),
                DefaultValue::IntList(items) => pyo3::types::PyList::new(py, items)?.into_any(),
            };
            Ok((name, object))
        })
        .collect()
}

/// The shape2D features PyRadiomics returns as float64 scalars ([`compat::SHAPE2D_SCALARS`]).
#[pyfunction]
fn pyradiomics_shape2d_scalars() -> Vec<&'static str> {
    compat::SHAPE2D_SCALARS.to_vec()
}

/// PyRadiomics' feature classes in its order ([`compat::FEATURE_CLASSES`]).
#[pyfunction]
fn pyradiomics_feature_classes() -> Vec<&'static str> {
    compat::FEATURE_CLASSES.to_vec()
}

/// The positions of a result's feature `names` (`<image>_<class>_<feature>`) in PyRadiomics'
/// order ([`compat::FeatureOrder`], as `sonorad pyradiomics` orders its columns):
/// `enabled_features` is PyRadiomics' `enabledFeatures` as `(class, listed features)` pairs in
/// order, an empty list meaning all the class's features.
#[pyfunction]
fn pyradiomics_order(
    names: Vec<String>,
    enabled_features: Vec<(String, Vec<String>)>,
) -> Vec<usize> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    FeatureOrder::new(enabled_features).positions(&names)
}

/// A diagnostic value as the Python object PyRadiomics gives it (a float as Python's `float`:
/// the shell makes it numpy's where PyRadiomics does).
fn diagnostic_object<'py>(
    py: Python<'py>,
    value: &diagnostics::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use diagnostics::Value;
    Ok(match value {
        Value::Text(s) => s.into_pyobject(py)?.into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(x) => x.into_pyobject(py)?.into_any(),
        Value::Floats(v) => pyo3::types::PyTuple::new(py, v)?.into_any(),
        Value::Ints(v) => pyo3::types::PyTuple::new(py, v)?.into_any(),
    })
}

/// PyRadiomics' diagnostics of the original image and mask (`diagnostics_Image-original_…`,
/// `diagnostics_Mask-original_…`, as `generalinfo` adds them before any pre-processing), as
/// `(key, value)` pairs in its order, computed by the library (`sonorad::diagnostics`).
/// `image` and `mask` are both file paths (spacing: the file's, else 1 mm as SimpleITK
/// reports it), or both arrays with `array_spacing` (x, y; default 1 mm) and `origin`
/// (x, y in mm, identity direction); a mask of several channels is read at `label_channel`.
#[pyfunction]
#[pyo3(signature = (image, mask, label, *, label_channel=0, array_spacing=None, origin=(0.0, 0.0)))]
fn original_diagnostics<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    mask: &Bound<'py, PyAny>,
    label: u32,
    label_channel: u32,
    array_spacing: Option<(f64, f64)>,
    origin: (f64, f64),
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let pairs =
        if let (Ok(image), Ok(mask)) = (image.extract::<PathBuf>(), mask.extract::<PathBuf>()) {
            let (file, labels) = py
                .detach(|| {
                    Ok::<_, sonorad::Error>((
                        read_image_file(&image, 0)?,
                        read_mask_file(&mask, 0, label_channel)?,
                    ))
                })
                .map_err(input_error)?;
            let spacing = array_spacing.map(|(x, y)| PixelSpacing { row: y, column: x });
            original_pairs(&file, &labels, label, spacing, origin)
        } else {
            let (image, mask) = (image_of_array(image)?, mask_of_array(mask, label_channel)?);
            let spacing = array_file_spacing(None, array_spacing);
            let (file, labels) = in_memory(&image, &mask, spacing, Placing::default())?;
            original_pairs(&file, &labels, label, None, origin)
        };
    pairs
        .iter()
        .map(|(key, value)| Ok((key.clone(), diagnostic_object(py, value)?)))
        .collect()
}

/// The library's original image and mask diagnostics of a loaded pair; `spacing` overrides
/// the file's, which defaults to SimpleITK's 1 mm.
fn original_pairs(
    file: &ImageFile<'_>,
    labels: &LabelMap<'_>,
    label: u32,
    spacing: Option<PixelSpacing>,
    (x, y): (f64, f64),
) -> diagnostics::Diagnostics {
    let placement = diagnostics::Placement {
        spacing: spacing
            .or(file.spacing)
            .unwrap_or(PixelSpacing::square(1.0)),
        origin: [x, y],
    };
    let mut out = diagnostics::image_elements(&file.image, file.pixel_type, placement, "original");
    out.extend(diagnostics::mask_elements(
        (&labels.labels, labels.width, labels.height),
        label,
        placement,
        None,
        "original",
    ));
    out
}

/// Waits for a run on another thread with the GIL released, looking at Python's signals every
/// 50 ms: on Ctrl-C the run is told to stop after its chunk in hand (its rows written whole),
/// waited for, and the `KeyboardInterrupt` raised, within about a chunk's time rather than at
/// the end of the whole manifest.
fn wait_interruptibly<T>(
    py: Python<'_>,
    run: &std::thread::ScopedJoinHandle<'_, T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> PyResult<()> {
    while !run.is_finished() {
        py.detach(|| std::thread::sleep(std::time::Duration::from_millis(50)));
        if let Err(interrupt) = py.check_signals() {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            while !run.is_finished() {
                py.detach(|| std::thread::sleep(std::time::Duration::from_millis(10)));
            }
            return Err(interrupt);
        }
    }
    Ok(())
}

/// The module: the extractor, the study and scoring functions, PyRadiomics' data for the
/// featureextractor shell, and the exceptions.
#[pymodule]
fn _sonorad(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Extractor>()?;
    m.add_function(wrap_pyfunction!(train_study, m)?)?;
    m.add_function(wrap_pyfunction!(predict_to, m)?)?;
    m.add_function(wrap_pyfunction!(original_diagnostics, m)?)?;
    m.add_function(wrap_pyfunction!(params_as_json, m)?)?;
    m.add_function(wrap_pyfunction!(pyradiomics_default_settings, m)?)?;
    m.add_function(wrap_pyfunction!(pyradiomics_feature_classes, m)?)?;
    m.add_function(wrap_pyfunction!(pyradiomics_shape2d_scalars, m)?)?;
    m.add_function(wrap_pyfunction!(pyradiomics_order, m)?)?;
    m.add("SettingsError", m.py().get_type::<SettingsError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
