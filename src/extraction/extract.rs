//! The extraction pipeline: image + mask → regions → discretization → matrices → features.
//!
//! Cases are prepared (decoded, regions drawn, gray levels binned) on all cores, the count
//! matrices of a whole batch of regions are built by one backend call, and the formulas then
//! turn each region's matrices into its 102 features.
//!
//! Files go through [`extract_case`] (one pair) or [`extract_cases`] (many); an image and a
//! mask already in memory through [`case_from_memory`] and [`extract_loaded`], as the Python
//! binding hands over its numpy arrays.
//!
//! # Example: a case from memory
//!
//! A 16 × 16 image and a mask held in buffers (borrowed, not copied), extracted with the
//! default settings (bin width 25, the original image, every feature) on the CPU backend. The
//! region is a 4 × 3 rectangle of 1 mm pixels on a ramp of value `10 × (row + column)`, so its
//! surface is 12 mm² and its mean `10 × (5 + 5.5) = 105`:
//!
//! ```
//! use std::borrow::Cow;
//! use std::path::PathBuf;
//!
//! use sonorad::extract::{self, CheckedSettings};
//! use sonorad::io::{Image, ImageFile, LabelMap, PixelSpacing, PixelType};
//! use sonorad::matrix::cpu::CpuBackend;
//!
//! let (width, height) = (16, 16);
//! let pixels: Vec<f64> = (0..width * height)
//!     .map(|i| 10.0 * (i / width + i % width) as f64)
//!     .collect();
//! // label 1 on rows 4..7 and columns 4..8, 0 elsewhere
//! let labels: Vec<u32> = (0..width * height)
//!     .map(|i| u32::from((4..7).contains(&(i / width)) && (4..8).contains(&(i % width))))
//!     .collect();
//!
//! let file = ImageFile {
//!     image: Image {
//!         width,
//!         height,
//!         pixels: Cow::Borrowed(&pixels),
//!         source: PathBuf::from("<image array>"), // names the image in errors
//!     },
//!     spacing: Some(PixelSpacing::square(1.0)), // mm; `None`: pixel units
//!     pixel_type: PixelType::U16,
//!     origin: [0.0, 0.0],
//! };
//! let mask = LabelMap {
//!     width,
//!     height,
//!     labels: Cow::Borrowed(&labels),
//!     source: PathBuf::from("<mask array>"),
//!     spacing: None, // on the image's pixels
//!     origin: None,
//! };
//!
//! let settings = CheckedSettings::default();
//! let case = extract::case_from_memory(file, &mask, &settings)?;
//! let features = extract::extract_loaded(&case, &settings, &CpuBackend)?;
//!
//! // one region (the tumour) in one image type: 102 features, named as `extract` writes them
//! assert_eq!(features.len(), 102);
//! let value = |name: &str| features.iter().find(|(n, _)| n == name).map(|&(_, v)| v);
//! assert_eq!(value("tumor_original_shape2D_PixelSurface"), Some(12.0));
//! assert_eq!(value("tumor_original_firstorder_Mean"), Some(105.0));
//! assert_eq!(value("tumor_original_firstorder_Minimum"), Some(80.0));
//! # Ok::<(), sonorad::Error>(())
//! ```
//!
//! Other settings are a [`Settings`] changed from its default and checked once
//! ([`Settings::check`]); rings, filters and a parameter file all end there.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::alignment::Placed;
use crate::diagnostics::{image_elements, mask_hash, region_elements, Diagnostics, Placement};
use crate::discretize::{Binning, GrayLevels, StoredCrop};
use crate::error::{Error, Result};
use crate::features::{
    firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape2d, Feature, FormulaOptions,
};
use crate::filters::device::DeviceFilters;
use crate::filters::{FilterOptions, ImageKind, ImageType, Sigma, Wavelet, WaveletSettings};
use crate::io::image::read_image_file_rows;
use crate::io::{read_mask_file, Image, ImageFile, LabelMap, ManifestRow, PixelSpacing, PixelType};
use crate::matrix::{Backend, BackendOptions, Matrices, Neighbourhood};
use crate::params::FeatureClassSelection;
use crate::preprocess::{shape_region, CropBox, Preprocessing, RoiLimits};
use crate::resample::{Geometry, Grid};
use crate::roi::{ring, Region, RingWidth};

/// Extraction settings shared by all cases of a run, as a shell gathers them (command-line
/// flags, a parameter file adapted by [`crate::params::Params::apply`], soon a Python dict).
/// They may be inconsistent; [`Settings::check`] validates them once into the
/// [`CheckedSettings`] every step of the pipeline takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Mask label of the tumour; `None` means every non-zero mask pixel.
    pub label: Option<u32>,
    /// Channel of a mask of several channels per pixel (an RGB PNG, a vector NRRD) that holds
    /// the labels, as PyRadiomics' `label_channel` ([`crate::io::image::mask_channel`]); a
    /// mask of one channel ignores it.
    pub label_channel: u32,
    /// Pixel spacing in mm of square pixels, overriding the file's; `None`: the file's own
    /// (square or not), else unknown (features in pixel units).
    pub spacing: Option<f64>,
    /// Peritumoral rings to extract besides the tumour.
    pub rings: Vec<RingWidth>,
    /// Image types whose texture and first-order features are extracted (`original`, LoG,
    /// wavelet, ...), each with its own discretization. Shape features come from the mask and are
    /// always extracted, named `original`, as PyRadiomics does.
    pub image_types: Vec<EnabledImageType>,
    /// Feature classes and features to write (a parameter file's `featureClass`); `None`
    /// writes all 102 per region and image type.
    pub feature_classes: Option<Vec<FeatureClassSelection>>,
    /// Most time one case may take in its own steps (reading, regions, discretization and
    /// features; not the matrices, which a backend builds for a whole chunk at once), checked
    /// after each step: a case over budget fails with [`Error::TimeBudget`] and the run goes
    /// on. Every step is itself bounded, so a case overruns by at most one step. `None`: no
    /// budget.
    pub case_time_budget: Option<Duration>,
    /// Folder to write every region of every case into as a PNG mask (`--write-masks`), while
    /// the case is extracted: a case of a manifest into the subfolder named by its id
    /// ([`crate::io::manifest::file_name_of_id`]), a single image (empty id) into the folder
    /// itself. `None`: no masks written.
    pub mask_folder: Option<PathBuf>,
    /// PyRadiomics' pre-processing: normalisation, resegmentation and the ROI checks.
    pub preprocessing: Preprocessing,
    /// Settings of the formulas (symmetrical GLCM, weighting norm, voxel array shift).
    pub formulas: FormulaOptions,
    /// The neighbours the texture matrices read (distances, force2D's fixed axis, GLDM's α).
    pub neighbourhood: Neighbourhood,
}

impl Default for Settings {
    /// Bin width 25, every non-zero mask pixel (of channel 0), no spacing, no rings, the original image only,
    /// all features.
    fn default() -> Settings {
        Settings {
            label: None,
            label_channel: 0,
            spacing: None,
            rings: Vec::new(),
            image_types: vec![EnabledImageType::new(
                ImageType::Original,
                Binning::default(),
            )],
            feature_classes: None,
            case_time_budget: None,
            mask_folder: None,
            preprocessing: Preprocessing::default(),
            formulas: FormulaOptions::default(),
            neighbourhood: Neighbourhood::default(),
        }
    }
}

/// [`Settings`] that passed [`Settings::check`]: the only form the pipeline takes, so no step
/// can run on settings that were never validated. Read through `Deref`; to change one, take
/// [`CheckedSettings::settings`] back, change it, and check again.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSettings(Settings);

impl std::ops::Deref for CheckedSettings {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        &self.0
    }
}

impl Default for CheckedSettings {
    /// The default settings, valid by construction.
    fn default() -> CheckedSettings {
        CheckedSettings(Settings::default())
    }
}

impl CheckedSettings {
    /// The settings, to be changed and checked again.
    pub fn settings(self) -> Settings {
        self.0
    }

    /// The settings of one case: its manifest `spacing`, `label` and `label_channel`, where
    /// given, replace the run's (the manifest reader has checked them).
    pub fn for_case(&self, case: &ManifestRow) -> CheckedSettings {
        CheckedSettings(Settings {
            spacing: case.spacing.or(self.spacing),
            label: case.label.or(self.label),
            label_channel: case.label_channel.unwrap_or(self.label_channel),
            ..self.0.clone()
        })
    }
}

impl Settings {
    /// Whether an enabled image type is filtered (LoG, wavelet, ...) rather than the original.
    pub fn filters_images(&self) -> bool {
        self.image_types
            .iter()
            .any(|e| e.image_type != ImageType::Original)
    }

    /// What the backend of a run of these settings over `cases` cases (when known before the
    /// run starts) is told: whether a device has work in it (the matrices of the default
    /// neighbourhood, or filters), for `auto`'s choice, and `trace`.
    pub fn backend_options(&self, cases: Option<usize>, trace: bool) -> BackendOptions {
        BackendOptions {
            trace,
            cases,
            device_work: self.neighbourhood.is_default() || self.filters_images(),
            ..BackendOptions::default()
        }
    }

    /// Validates the settings once, before any file is read: the pipeline's
    /// [`CheckedSettings`], or an error naming the setting.
    pub fn check(self) -> Result<CheckedSettings> {
        self.validate()?;
        Ok(CheckedSettings(self))
    }

    /// Checks the settings without taking them.
    fn validate(&self) -> Result<()> {
        for enabled in &self.image_types {
            enabled.binning.validate()?;
        }
        if let Some(s) = self.spacing {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::Setting(format!(
                    "pixel spacing must be a positive number of mm, got {s}"
                )));
            }
        }
        // each kind of image type once: two would repeat feature columns
        let kinds: Vec<_> = self
            .image_types
            .iter()
            .map(|t| t.image_type.kind())
            .collect();
        for (k, kind) in kinds.iter().enumerate() {
            if kinds[..k].contains(kind) {
                return Err(Error::Setting(format!(
                    "image type '{}' is given twice (its feature columns would repeat)",
                    kind.cli_name()
                )));
            }
        }
        self.validate_preprocessing()?;
        if let Some(folder) = &self.mask_folder {
            crate::io::check_output_folder(folder)?;
        }
        if self.case_time_budget.is_some_and(|b| b.is_zero()) {
            return Err(Error::Setting(
                "the case time budget must be positive".into(),
            ));
        }
        let mut names: Vec<String> = self.rings.iter().map(RingWidth::region_name).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::Setting(format!("ring '{}' is given twice", w[0])));
        }
        Ok(())
    }
}

impl Settings {
    /// Checks the pre-processing and formula settings against PyRadiomics' ranges.
    fn validate_preprocessing(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Setting(m));
        if let Some(n) = self.preprocessing.normalize {
            if !(n.scale.is_finite() && n.scale > 0.0) {
                return bad(format!(
                    "normalizeScale must be a number > 0, got {}",
                    n.scale
                ));
            }
            if let Some(o) = n.remove_outliers.filter(|o| !(o.is_finite() && *o > 0.0)) {
                return bad(format!("removeOutliers must be a number > 0, got {o}"));
            }
        }
        self.neighbourhood.check().map_err(Error::Setting)?;
        let roi = self.preprocessing.roi;
        if !(1..=3).contains(&roi.minimum_dimensions) {
            return bad(format!(
                "minimumROIDimensions must be 1, 2 or 3, got {}",
                roi.minimum_dimensions
            ));
        }
        if roi.minimum_size == Some(0) {
            return bad("minimumROISize must be an integer > 0".into());
        }
        if !self.formulas.voxel_array_shift.is_finite() {
            return bad(format!(
                "voxelArrayShift must be a finite number, got {}",
                self.formulas.voxel_array_shift
            ));
        }
        Ok(())
    }
}

/// An enabled image type with its discretization.
#[derive(Debug, Clone, PartialEq)]
pub struct EnabledImageType {
    /// The filter and its settings.
    pub image_type: ImageType,
    /// The discretization of its images.
    pub binning: Binning,
}

impl EnabledImageType {
    /// An image type discretized by `binning`.
    pub fn new(image_type: ImageType, binning: Binning) -> EnabledImageType {
        EnabledImageType {
            image_type,
            binning,
        }
    }
}

/// The pixel spacing of a case: the setting (command line or manifest, square) where given,
/// else the file's own (square or not).
fn case_spacing(settings: &Settings, file: &ImageFile) -> Option<PixelSpacing> {
    settings.spacing.map(PixelSpacing::square).or(file.spacing)
}

/// The width of a ring in pixels: in mm it needs a known spacing of square pixels (the
/// distance transform measures in pixels).
fn ring_pixels(width: &RingWidth, spacing: Option<PixelSpacing>, image: &Path) -> Result<f64> {
    let square = match spacing {
        Some(s) if !s.is_square() && matches!(width, RingWidth::Millimetres(_)) => {
            return Err(Error::Spacing {
                path: image.to_path_buf(),
                message: format!(
                    "ring {width} is in mm, but pixels are not square ({} mm between rows, {} mm between columns); give the ring in px, or --spacing to override",
                    s.row, s.column
                ),
            })
        }
        other => other.map(|s| s.column),
    };
    width.in_pixels(square).map_err(|e| Error::Spacing {
        path: image.to_path_buf(),
        message: e
            .to_string()
            .trim_start_matches("invalid setting: ")
            .to_string()
            + ", a manifest 'spacing' column, or a file that carries one",
    })
}

/// A case read from disk with its regions drawn.
#[derive(Debug, Clone)]
pub struct LoadedCase<'a> {
    /// The image (gray values), borrowed when the caller's buffer is read in place.
    pub image: Image<'a>,
    /// The mask file (for messages).
    pub mask_path: PathBuf,
    /// The tumour first, then one region per ring, in the order of the settings.
    pub regions: Vec<Region>,
    /// Pixel spacing in mm used for this case (setting, else the file's), if known.
    pub spacing: Option<PixelSpacing>,
    /// The regions whose shape features are reported, one per region, where they differ from
    /// `regions` (after resegmentation, see [`crate::preprocess::shape_region`]).
    pub shapes: Option<Vec<Region>>,
}

/// Reads an image and its mask and draws the tumour and ring regions.
pub fn load_case(
    image_path: &Path,
    mask_path: &Path,
    settings: &CheckedSettings,
) -> Result<LoadedCase<'static>> {
    load_frame(image_path, mask_path, 0, settings)
}

/// [`load_case`] for frame `frame` of a multi-frame image (the mask has one frame, or as many).
pub fn load_frame(
    image_path: &Path,
    mask_path: &Path,
    frame: u32,
    settings: &CheckedSettings,
) -> Result<LoadedCase<'static>> {
    let (file, mask, tumor) = read_pair(image_path, (mask_path, &[]), frame, settings, false)?;
    draw_regions(file, &mask, tumor, settings)
}

/// A case from an image and a mask already in memory (arrays handed over by a binding, for
/// instance): the tumour and its rings drawn as [`load_case`] draws them from files; errors
/// name the image's and the mask's `source`.
pub fn case_from_memory<'a>(
    file: ImageFile<'a>,
    mask: &LabelMap,
    settings: &CheckedSettings,
) -> Result<LoadedCase<'a>> {
    let tumor = tumor_region(mask, settings.label)?;
    draw_regions(file, mask, tumor, settings)
}

/// The features of one loaded case: its regions filtered (on the backend's device when it
/// has one), discretized, their matrices built by `backend`, and the formulas, as a row of
/// [`extract_case`].
pub fn extract_loaded(
    case: &LoadedCase,
    settings: &CheckedSettings,
    backend: &dyn Backend,
) -> Result<FeatureRow> {
    let clock = CaseClock::start(&case.image.source, settings);
    let regions = prepare_case(case, settings, device_filters(settings, backend))?;
    let grays: Vec<&GrayLevels> = regions.iter().map(|r| &r.gray).collect();
    let matrices = backend.build_with(&grays, &settings.neighbourhood)?;
    row(
        &regions,
        &matrices,
        case.shapes.as_deref(),
        case.spacing,
        settings,
        &clock,
    )
}

/// The enabled image types of command-line style names (`original`, `log`, `wavelet`, ...,
/// as `--filters` takes them), the LoG at `sigmas` (mm), the wavelet named `wavelet`, each
/// binned with `binning`: the one reading of these settings for the command line and the
/// bindings.
pub fn enabled_image_types(
    names: &[String],
    sigmas: &[f64],
    wavelet: &str,
    binning: Binning,
) -> Result<Vec<EnabledImageType>> {
    let options = FilterOptions {
        sigmas: sigmas.iter().map(|&s| Sigma::mm(s)).collect(),
        wavelet: WaveletSettings {
            wavelet: Wavelet::from_name(wavelet).map_err(|e| Error::Setting(e.to_string()))?,
            ..WaveletSettings::default()
        },
        gradient_use_spacing: true,
    };
    names
        .iter()
        .map(|name| {
            let name = name.trim();
            let kind = ImageKind::from_cli_name(name).ok_or_else(|| {
                Error::Setting(format!(
                    "unknown image type '{name}' ({})",
                    ImageKind::names(ImageKind::cli_name)
                ))
            })?;
            Ok(EnabledImageType::new(kind.with(&options), binning))
        })
        .collect()
}

/// [`load_frame`] with every row of the image decoded, for uses that read beyond the regions'
/// rows (texture maps: kernels reach past the regions).
pub fn load_whole_frame(
    image_path: &Path,
    mask_path: &Path,
    frame: u32,
    settings: &CheckedSettings,
) -> Result<LoadedCase<'static>> {
    let (file, mask, tumor) = read_pair(image_path, (mask_path, &[]), frame, settings, true)?;
    draw_regions(file, &mask, tumor, settings)
}

/// Reads frame `frame` of an image and its mask (a single-frame mask serves every frame) and
/// finds the tumour in the mask. The mask is read first: when only the original image is used,
/// the image is decoded down to the last row a region can reach ([`rows_needed`]).
fn read_pair(
    image_path: &Path,
    (mask_path, extra_masks): (&Path, &[PathBuf]),
    frame: u32,
    settings: &CheckedSettings,
    whole: bool,
) -> Result<(ImageFile<'static>, LabelMap<'static>, Region)> {
    let channel = settings.label_channel;
    let read = |path: &Path| match read_mask_file(path, frame, channel) {
        Err(Error::Decode { message, .. }) if frame > 0 && message.starts_with("frame ") => {
            read_mask_file(path, 0, channel)
        }
        other => other,
    };
    let mut mask = read(mask_path)?;
    for extra in extra_masks {
        mask.join(&read(extra)?)?;
    }
    let tumor = tumor_region(&mask, settings.label)?;
    let rows = if whole {
        usize::MAX
    } else {
        rows_needed(&tumor, settings)
    };
    let file = read_image_file_rows(image_path, frame, rows)?;
    Ok((file, mask, tumor))
}

/// The tumour: the mask's non-zero pixels, or those of label `label`; an error naming the mask
/// when there is none.
fn tumor_region(mask: &LabelMap, label: Option<u32>) -> Result<Region> {
    let inside = |v: u32| match label {
        Some(l) => v == l,
        None => v != 0,
    };
    Region::from_pixels("tumor", &mask.labels, mask.width, mask.height, inside).ok_or_else(|| {
        Error::EmptyRegion {
            path: mask.source.clone(),
            region: "tumor".into(),
            detail: match label {
                Some(l) => format!("no pixel has label {l}"),
                None => "the mask has no non-zero pixel".into(),
            },
        }
    })
}

/// Rows `0..n` of the image that the regions can touch: the last tumour row plus the widest
/// ring, when the settings use the original image only and every ring width is known in pixels
/// before the image is read; otherwise every row (filters, normalisation and resampling read
/// the whole image).
fn rows_needed(tumor: &Region, settings: &Settings) -> usize {
    // normalisation reads every pixel of the image, resampling and filters read beyond the
    // regions, and a corrected mask's rows are not the image's
    let original_only = settings.preprocessing.normalize.is_none()
        && settings.preprocessing.resample.is_none()
        && !settings.preprocessing.alignment.correct
        && settings
            .image_types
            .iter()
            .all(|t| matches!(t.image_type, ImageType::Original));
    let margin = settings
        .rings
        .iter()
        .map(|r| r.in_pixels(settings.spacing).ok())
        .try_fold(0.0f64, |m, px| px.map(|px| m.max(px)));
    match (original_only, margin) {
        // a ring pixel lies at most `margin` rows below the tumour
        // (a float-to-int cast saturates, so a huge ring asks for every row)
        (true, Some(margin)) => (tumor.y0 + tumor.height).saturating_add(margin.ceil() as usize),
        _ => usize::MAX,
    }
}

/// Draws the ring regions around the tumour (found by [`read_pair`]) of a decoded image and its
/// mask.
fn draw_regions<'a>(
    file: ImageFile<'a>,
    mask: &LabelMap,
    tumor: Region,
    settings: &CheckedSettings,
) -> Result<LoadedCase<'a>> {
    draw_regions_noted(file, mask, tumor, settings, None)
}

/// A case from an image and a mask in memory, as [`case_from_memory`] draws it, with
/// PyRadiomics' diagnostics of its steps (`additionalInfo`, see [`crate::diagnostics`]), in
/// PyRadiomics' order: the original image and mask; after resampling, the `interpolated` image
/// and mask; after a correction of the mask (`correctMask`, without `preCrop`, whose
/// correction PyRadiomics does not report), the `corrected` mask; after resegmentation, the
/// `resegmented` mask. The region is the tumour (the settings' label, every non-zero pixel
/// without one). With rings, the resampled grid is wider than PyRadiomics' (it keeps room
/// for the rings), and so are the `interpolated` sizes and statistics.
pub fn case_with_diagnostics<'a>(
    file: ImageFile<'a>,
    mask: &LabelMap,
    settings: &CheckedSettings,
) -> Result<(LoadedCase<'a>, Diagnostics)> {
    let tumor = tumor_region(mask, settings.label)?;
    let mut notes = Diagnostics::new();
    let case = draw_regions_noted(file, mask, tumor, settings, Some(&mut notes))?;
    Ok((case, notes))
}

/// Where the image and the mask of a case lie: the image with the case's spacing (1 mm where
/// unknown, as SimpleITK reports it) at its origin; the mask with the spacing setting where
/// given, else its file's own spacing and origin, else its image's.
fn case_geometries(settings: &Settings, file: &ImageFile, mask: &LabelMap) -> (Geometry, Geometry) {
    let image_spacing = case_spacing(settings, file).unwrap_or(PixelSpacing::square(1.0));
    let mask_spacing = settings
        .spacing
        .map(PixelSpacing::square)
        .or(mask.spacing)
        .unwrap_or(image_spacing);
    let image = Geometry::new(file.origin, [image_spacing.column, image_spacing.row]);
    let mask_origin = mask.origin.unwrap_or(file.origin);
    let mask = Geometry::new(mask_origin, [mask_spacing.column, mask_spacing.row]);
    (image, mask)
}

/// A geometry's spacing and origin, as the diagnostics give them.
fn placement_of(geometry: &Geometry) -> Placement {
    let [column, row] = geometry.spacing;
    Placement {
        spacing: PixelSpacing { row, column },
        origin: geometry.origin,
    }
}

/// [`draw_regions`], adding to `notes`, where given, the diagnostics of each step (see
/// [`case_with_diagnostics`]). The steps are PyRadiomics': normalisation, then resampling
/// (which puts image and mask on one grid), or else the mask put on the image's pixels
/// ([`crate::alignment`]); the rings; the resegmentation.
fn draw_regions_noted<'a>(
    file: ImageFile<'a>,
    mask: &LabelMap,
    tumor: Region,
    settings: &CheckedSettings,
    mut notes: Option<&mut Diagnostics>,
) -> Result<LoadedCase<'a>> {
    let (image_at, mask_at) = case_geometries(settings, &file, mask);
    if let Some(notes) = notes.as_deref_mut() {
        notes.extend(original_elements(&file, mask, &tumor, (image_at, mask_at)));
    }
    let mut spacing = case_spacing(settings, &file);
    let (mut image, mut pixel_type) = (file.image, file.pixel_type);
    if let Some(normalization) = settings.preprocessing.normalize {
        normalization.apply(&mut image)?;
        // SimpleITK's normalised image holds doubles, which resampling then keeps
        pixel_type = crate::io::PixelType::F64;
    }
    let mask_path = mask.source.as_path();
    let placed_mask = Placed {
        path: mask_path,
        size: [mask.width, mask.height],
        geometry: mask_at,
    };
    let (tumor, grid) = if let Some(resampling) = settings.preprocessing.resample {
        let labels = tumor_labels(&tumor, placed_mask.size);
        let mask_grid = Grid {
            width: mask.width,
            height: mask.height,
            values: &labels,
            geometry: mask_at,
        };
        let resampled = resample_case(
            (&image, pixel_type),
            (&mask_grid, image_at),
            resampling,
            settings,
        )?;
        let geometry = resampled.geometry;
        image = resampled.image;
        spacing = Some(placement_of(&geometry).spacing);
        note_region(
            &mut notes,
            &image,
            &resampled.tumor,
            &geometry,
            "interpolated",
        );
        (resampled.tumor, geometry)
    } else {
        let tumor = align_tumor(&image, image_at, placed_mask, tumor, settings)?;
        if tumor.1 && settings.preprocessing.pre_crop.is_none() {
            note_region(&mut notes, &image, &tumor.0, &image_at, "corrected");
        }
        (tumor.0, image_at)
    };
    let (w, h) = (image.width, image.height);
    let mut regions = Vec::with_capacity(1 + settings.rings.len());
    for width in &settings.rings {
        let name = width.region_name();
        let px = ring_pixels(width, spacing, &image.source)?;
        let r = ring(&tumor, &name, px, w, h).ok_or_else(|| Error::EmptyRegion {
            path: mask_path.to_path_buf(),
            region: name.clone(),
            detail: "the tumour leaves no pixel of the image around it".into(),
        })?;
        regions.push(r);
    }
    regions.insert(0, tumor);
    let (regions, shapes) = resegment_regions(&image, regions, &settings.preprocessing, mask_path)?;
    if settings.preprocessing.resegment.is_some() {
        note_region(&mut notes, &image, &regions[0], &grid, "resegmented");
    }
    Ok(LoadedCase {
        image,
        mask_path: mask_path.to_path_buf(),
        regions,
        spacing,
        shapes,
    })
}

/// The tumour as labels (1 inside, 0 outside) on a `width × height` mask.
fn tumor_labels(tumor: &Region, [width, height]: [usize; 2]) -> Vec<u32> {
    let inside = tumor.to_full_mask(width, height);
    inside.into_iter().map(u32::from).collect()
}

/// The `original` image and mask diagnostics: the file's image at `image_at`, the tumour (with
/// the hash of the mask's labels) at `mask_at`.
fn original_elements(
    file: &ImageFile,
    mask: &LabelMap,
    tumor: &Region,
    (image_at, mask_at): (Geometry, Geometry),
) -> Diagnostics {
    let image_place = placement_of(&image_at);
    let mut out = image_elements(&file.image, file.pixel_type, image_place, "original");
    let inside = tumor.to_full_mask(mask.width, mask.height);
    let hash = Some(mask_hash(&mask.labels));
    let region = (&inside[..], mask.width, mask.height);
    out.extend(region_elements(
        hash,
        region,
        placement_of(&mask_at),
        None,
        "original",
    ));
    out
}

/// Adds the mask diagnostics of `region` on `image` (lying at `geometry`) under `prefix`.
fn note_region(
    notes: &mut Option<&mut Diagnostics>,
    image: &Image,
    region: &Region,
    geometry: &Geometry,
    prefix: &str,
) {
    let Some(notes) = notes.as_deref_mut() else {
        return;
    };
    let (w, h) = (image.width, image.height);
    let inside = region.to_full_mask(w, h);
    let place = placement_of(geometry);
    if prefix == "interpolated" {
        notes.extend(image_elements(image, PixelType::F64, place, prefix));
    }
    notes.extend(region_elements(
        None,
        (&inside, w, h),
        place,
        Some(image),
        prefix,
    ));
}

/// The tumour on the image's pixels ([`crate::alignment`]): as drawn when the mask lies on
/// them, else, with `correctMask`, resampled onto them (`true`: corrected); an error naming
/// both files otherwise. The tumour is put on a full-size mask only to be corrected.
fn align_tumor(
    image: &Image,
    image_at: Geometry,
    mask: Placed,
    tumor: Region,
    settings: &Settings,
) -> Result<(Region, bool)> {
    let placed_image = Placed {
        path: &image.source,
        size: [image.width, image.height],
        geometry: image_at,
    };
    let alignment = settings.preprocessing.alignment;
    if !alignment.needs_correction(placed_image, mask)? {
        return Ok((tumor, false));
    }
    let labels = tumor_labels(&tumor, mask.size);
    let corrected = crate::alignment::correct(placed_image, mask, &labels, 1)?;
    let tumor = Region::from_pixels("tumor", &corrected, image.width, image.height, |v| v == 1)
        .ok_or_else(|| Error::EmptyRegion {
            path: mask.path.to_path_buf(),
            region: "tumor".into(),
            detail: "no pixel is left after correctMask resampled the mask onto the image".into(),
        })?;
    Ok((tumor, true))
}

/// A case's image and tumour on the grid resampling gave them.
struct ResampledCase {
    /// The image, interpolated and cast back to its file's pixel type.
    image: Image<'static>,
    /// The tumour, by nearest neighbour.
    tumor: Region,
    /// Where the new grid lies (its spacing is the new spacing).
    geometry: Geometry,
}

/// The image and tumour of a case resampled as PyRadiomics' `resampleImage` does (the grid
/// from the tumour's box on the mask's own grid, the image interpolated there and cast back to
/// its file's pixel type, the tumour by nearest neighbour). The grid keeps `padDistance` new
/// pixels around the tumour, or more where a ring needs them.
fn resample_case(
    (image, pixel_type): (&Image, crate::io::PixelType),
    (mask, image_at): (&Grid<u32>, Geometry),
    resampling: crate::preprocess::Resampling,
    settings: &Settings,
) -> Result<ResampledCase> {
    use crate::resample::{resample, ResampleSettings};
    let [column, row] = mask.geometry.spacing;
    let pad = ring_margin(
        resampling,
        PixelSpacing { row, column },
        settings,
        &image.source,
    )?;
    let options = ResampleSettings {
        spacing: resampling.spacing,
        interpolator: resampling.interpolator,
        pad_distance: resampling.pad_distance.max(pad),
        label: 1,
        max_pixels: usize::try_from(crate::io::max_pixels()).unwrap_or(usize::MAX),
    };
    let image_grid = Grid {
        width: image.width,
        height: image.height,
        values: &image.pixels[..],
        geometry: image_at,
    };
    let out = resample(&image_grid, pixel_type, mask, &options).map_err(|e| Error::Spacing {
        path: image.source.clone(),
        message: format!("resampling: {e}"),
    })?;
    let tumor = Region::from_pixels("tumor", &out.mask, out.width, out.height, |v| v == 1)
        .ok_or_else(|| Error::EmptyRegion {
            path: image.source.clone(),
            region: "tumor".into(),
            detail: "no pixel is left after resampling".into(),
        })?;
    let resampled = Image {
        width: out.width,
        height: out.height,
        pixels: Cow::Owned(out.image),
        source: image.source.clone(),
    };
    Ok(ResampledCase {
        image: resampled,
        tumor,
        geometry: out.geometry,
    })
}

/// New pixels the resampled grid needs around the tumour for the widest ring (0 without
/// rings): its width at the new spacing, plus one.
fn ring_margin(
    resampling: crate::preprocess::Resampling,
    old: PixelSpacing,
    settings: &Settings,
    image: &Path,
) -> Result<usize> {
    let [x, y] = resampling.spacing;
    let new = PixelSpacing {
        row: if y > 0.0 { y } else { old.row },
        column: if x > 0.0 { x } else { old.column },
    };
    let mut margin = 0.0f64;
    for width in &settings.rings {
        margin = margin.max(ring_pixels(width, Some(new), image)?);
    }
    // a float-to-int cast saturates: a huge ring asks for the whole image, which the pixel
    // limit then bounds
    Ok(margin.ceil() as usize + usize::from(margin > 0.0))
}

/// The regions resegmented by the settings' `resegmentRange`, each checked before and after as
/// PyRadiomics checks its mask, with the regions whose shape is then reported; the regions as
/// drawn and no separate shapes without resegmentation.
fn resegment_regions(
    image: &Image,
    regions: Vec<Region>,
    preprocessing: &Preprocessing,
    mask_path: &Path,
) -> Result<(Vec<Region>, Option<Vec<Region>>)> {
    let Some(resegmentation) = preprocessing.resegment else {
        return Ok((regions, None));
    };
    let mut kept = Vec::with_capacity(regions.len());
    let mut shapes = Vec::with_capacity(regions.len());
    for drawn in &regions {
        preprocessing.roi.check(drawn, mask_path)?;
        let r = resegmentation.apply(image, drawn, mask_path)?;
        shapes.push(shape_region(drawn, &r, resegmentation.shape));
        kept.push(r);
    }
    Ok((kept, Some(shapes)))
}

/// A region ready for the matrix backends: discretized gray levels and the raw gray values.
#[derive(Debug, Clone)]
pub struct PreparedRegion {
    /// The region (name, bounding box, mask).
    pub region: Region,
    /// Discretized gray levels over the bounding box.
    pub gray: GrayLevels,
    /// Gray values of the region's pixels in the image they come from, row-major.
    pub values: Vec<f64>,
    /// Image type the values come from (`original`, `log-sigma-1-0-mm-3D`, `wavelet-LH`, ...).
    pub image_type: String,
}

/// Checks a region as PyRadiomics' `checkMask` does, then discretizes it (as a lookup of the
/// image's stored values when they are whole numbers, see [`StoredCrop`]).
pub fn prepare_region(
    image: &Image,
    region: &Region,
    mask_path: &Path,
    binning: Binning,
) -> Result<PreparedRegion> {
    let source = StoredCrop::of(image, &[region]).map(|crop| (Arc::new(crop), 0));
    let checks = (&RoiLimits::default(), &Neighbourhood::default());
    prepare_region_on(image, region, mask_path, binning, source, checks)
}

/// [`prepare_region`], with the region's stored values and membership bit in a crop shared by
/// the case's regions when there is one.
fn prepare_region_on(
    image: &Image,
    region: &Region,
    mask_path: &Path,
    binning: Binning,
    source: Option<(Arc<StoredCrop>, u32)>,
    (roi, neighbourhood): (&RoiLimits, &Neighbourhood),
) -> Result<PreparedRegion> {
    roi.check(region, mask_path)?;
    check_rows(image, region)?;
    let values = region_values(image, region)?;
    let edges = binning.edges(&values, &image.source)?;
    let (w, h) = (region.width, region.height);
    let gray = match source {
        Some((crop, bit)) => {
            let at = (region.x0 - crop.x0, region.y0 - crop.y0);
            GrayLevels::looked_up(crop, bit, at, (w, h), &values, &edges)
        }
        None => {
            let crop = region_crop(image, region);
            GrayLevels::new(&crop, &region.mask, w, h, &edges)
        }
    };
    let cells = crate::matrix::dense_cells(&gray, neighbourhood);
    if cells > crate::matrix::MAX_MATRIX_CELLS {
        return Err(Error::MatrixSize {
            path: mask_path.to_path_buf(),
            region: region.name.clone(),
            detail: format!(
                "has {} gray levels; its co-occurrence and run-length matrices would need {cells} counts, above the limit of {}; use a larger bin width or a smaller bin count (or fewer distances)",
                gray.level_count(),
                crate::matrix::MAX_MATRIX_CELLS
            ),
        });
    }
    Ok(PreparedRegion {
        region: region.clone(),
        gray,
        values,
        image_type: ORIGINAL.to_string(),
    })
}

/// That the region lies within the decoded rows of the image.
fn check_rows(image: &Image, region: &Region) -> Result<()> {
    let decoded_rows = image.pixels.len() / image.width.max(1);
    if region.y0 + region.height > decoded_rows {
        return Err(Error::Decode {
            path: image.source.clone(),
            message: format!(
                "region {} reaches row {}, but only rows 0 to {} were decoded",
                region.name,
                region.y0 + region.height - 1,
                decoded_rows as i64 - 1
            ),
        });
    }
    Ok(())
}

/// The image rows of a region's bounding box.
fn region_rows<'a>(image: &'a Image, region: &'a Region) -> impl Iterator<Item = &'a [f64]> {
    (region.y0..region.y0 + region.height).map(|y| {
        let row = y * image.width + region.x0;
        &image.pixels[row..row + region.width]
    })
}

/// The image values of a region's bounding box, row-major.
fn region_crop(image: &Image, region: &Region) -> Vec<f64> {
    region_rows(image, region).flatten().copied().collect()
}

/// The gray values of a region's pixels, row-major; an error naming the image when one is not
/// finite.
fn region_values(image: &Image, region: &Region) -> Result<Vec<f64>> {
    let mut values = Vec::with_capacity(region.pixel_count());
    let rows = region_rows(image, region).zip(region.mask.chunks_exact(region.width));
    for (row, mask) in rows {
        values.extend(row.iter().zip(mask).filter(|(_, &m)| m).map(|(&v, _)| v));
    }
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(image, region, at));
    }
    Ok(values)
}

/// The error for the `at`-th pixel of a region (row-major), which is not finite.
fn non_finite(image: &Image, region: &Region, at: usize) -> Error {
    let (p, _) = (0..)
        .zip(&region.mask)
        .filter(|(_, &m)| m)
        .nth(at)
        .unwrap_or((0, &true));
    let v =
        image.pixels[(region.y0 + p / region.width) * image.width + region.x0 + p % region.width];
    Error::PixelValue {
        path: image.source.clone(),
        region: region.name.clone(),
        detail: format!(
            "holds a pixel value of {v} (column {}, row {}); only finite values can be binned",
            region.x0 + p % region.width,
            region.y0 + p / region.width
        ),
    }
}

/// Name of the unfiltered image type.
pub const ORIGINAL: &str = "original";

/// The images of a case's enabled image types, named as PyRadiomics names them, each with its
/// binning; the original is borrowed, filtered images are computed once per case, by `device` when given (all of the
/// case's filters in one call) and otherwise by the CPU. An image PyRadiomics would skip (a
/// LoG sigma too large for the image, ...) is an error naming the image file.
fn case_images<'a, 'c>(
    case: &'a LoadedCase<'c>,
    settings: &Settings,
    device: Option<&DeviceFilters>,
    clock: &CaseClock,
) -> Result<Vec<(String, Binning, Cow<'a, Image<'c>>)>> {
    let spacing = case.spacing.unwrap_or(PixelSpacing::square(1.0));
    let filtered: Vec<&EnabledImageType> = settings
        .image_types
        .iter()
        .filter(|e| e.image_type != ImageType::Original)
        .collect();
    let types: Vec<&ImageType> = filtered.iter().map(|e| &e.image_type).collect();
    let size = (case.image.width, case.image.height);
    // preCrop: the filters see the regions' box grown by padDistance, as in PyRadiomics, which
    // skips it when it resamples (the resampled grid is cropped already)
    let crop = (settings.preprocessing.pre_crop)
        .filter(|_| !types.is_empty() && settings.preprocessing.resample.is_none())
        .map(|pad| CropBox::around(&case.regions, pad, size));
    let cropped = crop.map(|b| b.crop(&case.image));
    let (filter_input, top) = match (&cropped, crop) {
        (Some(image), Some(b)) => (image, b.y0),
        _ => (&case.image, 0),
    };
    let on_device = types.iter().all(|t| t.runs_on_device());
    let mut outputs = match device {
        Some(device) if !types.is_empty() && on_device => {
            // the rows the case's regions span: the only ones read
            let first = case.regions.iter().map(|r| r.y0).min().unwrap_or(0);
            let end = case
                .regions
                .iter()
                .map(|r| r.y0 + r.height)
                .max()
                .unwrap_or(0);
            device.apply(filter_input, spacing, &types, first - top..end - top)
        }
        _ => Vec::new(),
    }
    .into_iter();
    let placed = |filtered: Image<'static>| match crop {
        Some(b) => b.embed(filtered, size),
        None => filtered,
    };
    let mut images = Vec::new();
    for enabled in &settings.image_types {
        if enabled.image_type == ImageType::Original {
            images.push((
                ORIGINAL.to_string(),
                enabled.binning,
                Cow::Borrowed(&case.image),
            ));
            continue;
        }
        let output = outputs
            .next()
            .unwrap_or_else(|| enabled.image_type.apply(filter_input, spacing));
        if let Some(skipped) = output.skipped.first() {
            return Err(Error::Filter {
                path: case.image.source.clone(),
                message: skipped.to_string(),
            });
        }
        images.extend(output.images.into_iter().map(|f| {
            let binning = enabled.binning;
            (f.name, binning, Cow::Owned(placed(f.image)))
        }));
        clock.check("filtering")?;
    }
    Ok(images)
}

/// Filters (on `device` when given, else on the CPU) and discretizes every region of a loaded
/// case in every enabled image type: for each region (the tumour, then the rings), one prepared
/// region per image.
pub fn prepare_case(
    case: &LoadedCase,
    settings: &CheckedSettings,
    device: Option<&DeviceFilters>,
) -> Result<Vec<PreparedRegion>> {
    let clock = CaseClock::start(&case.image.source, settings);
    let images = case_images(case, settings, device, &clock)?;
    discretize_case(case, &images, settings, &clock)
}

/// The backend's filters on its device, asked for only when `settings` filter images: under
/// `auto` asking waits for the device to start ([`crate::matrix::auto`]).
fn device_filters<'b>(settings: &Settings, backend: &'b dyn Backend) -> Option<&'b DeviceFilters> {
    settings
        .filters_images()
        .then(|| backend.filters())
        .flatten()
}

/// The images of a case's enabled image types with their binning, as the pipeline filters them,
/// for uses that read whole images rather than discretized regions (texture maps), within the
/// case's time budget.
pub fn filtered_images<'a, 'c>(
    case: &'a LoadedCase<'c>,
    settings: &CheckedSettings,
    device: Option<&DeviceFilters>,
) -> Result<Vec<(String, Binning, Cow<'a, Image<'c>>)>> {
    let clock = CaseClock::start(&case.image.source, settings);
    case_images(case, settings, device, &clock)
}

/// Discretizes every region of a loaded case in each of its images (the original borrowed,
/// filtered ones computed by [`case_images`]): for each region, one prepared region per image.
fn discretize_case(
    case: &LoadedCase,
    images: &[(String, Binning, Cow<'_, Image>)],
    settings: &Settings,
    clock: &CaseClock,
) -> Result<Vec<PreparedRegion>> {
    let checks = (&settings.preprocessing.roi, &settings.neighbourhood);
    let regions: Vec<&Region> = case.regions.iter().collect();
    // the stored values of the case's original image (when it is among the images), shared by
    // its regions
    let original = images.iter().any(|(_, _, i)| matches!(i, Cow::Borrowed(_)));
    let stored = original
        .then(|| StoredCrop::of(&case.image, &regions).map(Arc::new))
        .flatten();
    let mut prepared = Vec::with_capacity(case.regions.len() * images.len());
    for (bit, region) in (0..).zip(&case.regions) {
        for (name, binning, image) in images {
            // only the original image is borrowed; filtered images hold f64 values
            let source = match (&stored, image) {
                (Some(crop), Cow::Borrowed(_)) => Some((Arc::clone(crop), bit)),
                _ => None,
            };
            let mut p =
                prepare_region_on(image, region, &case.mask_path, *binning, source, checks)?;
            p.image_type.clone_from(name);
            prepared.push(p);
        }
        clock.check("discretizing")?;
    }
    Ok(prepared)
}

/// The time a case has spent in its own steps, against [`Settings::case_time_budget`].
pub(crate) struct CaseClock {
    /// The case's image file, named by the error.
    image: PathBuf,
    budget: Option<Duration>,
    /// Time spent before `since` (in earlier steps, before the chunk's matrices).
    spent: Duration,
    since: Instant,
}

impl CaseClock {
    /// A clock for a case starting now.
    pub(crate) fn start(image: &Path, settings: &Settings) -> CaseClock {
        CaseClock::resume(image, settings, Duration::ZERO)
    }

    /// A clock for a case that has already spent `spent`, running from now.
    fn resume(image: &Path, settings: &Settings, spent: Duration) -> CaseClock {
        CaseClock {
            image: image.to_path_buf(),
            budget: settings.case_time_budget,
            spent,
            since: Instant::now(),
        }
    }

    /// Time spent so far.
    fn spent(&self) -> Duration {
        self.spent + self.since.elapsed()
    }

    /// An [`Error::TimeBudget`] if the budget is spent, naming the step just finished.
    pub(crate) fn check(&self, step: &str) -> Result<()> {
        match self.budget {
            Some(budget) if self.spent() > budget => Err(Error::TimeBudget {
                path: self.image.clone(),
                seconds: budget.as_secs_f64(),
                stage: step.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// The 9 shape features of a region, from its mask and pixel spacing (1 mm when unknown).
pub fn shape_features(region: &Region, spacing: Option<PixelSpacing>) -> Vec<Feature> {
    let s = spacing.unwrap_or(PixelSpacing::square(1.0));
    shape2d::features(&region.mask, region.width, region.height, (s.row, s.column))
}

/// The 93 first-order and texture features of a prepared region from its matrices, in
/// PyRadiomics' class order.
pub fn texture_features(
    region: &PreparedRegion,
    matrices: &Matrices,
    spacing: Option<PixelSpacing>,
) -> Vec<Feature> {
    class_features(
        region,
        matrices,
        spacing,
        &FormulaOptions::default(),
        |_| true,
    )
}

/// [`texture_features`] with the formula `options`, of the classes `wanted` accepts (by
/// PyRadiomics' class name), the others not computed: texture maps compute only the classes
/// they map.
pub fn class_features(
    region: &PreparedRegion,
    matrices: &Matrices,
    spacing: Option<PixelSpacing>,
    options: &FormulaOptions,
    wanted: impl Fn(&str) -> bool,
) -> Vec<Feature> {
    let s = spacing.unwrap_or(PixelSpacing::square(1.0));
    let levels = &region.gray.levels;
    let mut out = Vec::new();
    if wanted("firstorder") {
        out.extend(firstorder::features(
            &region.values,
            &matrices.histogram,
            s.row * s.column,
            options.voxel_array_shift,
        ));
    }
    if wanted("glcm") {
        out.extend(glcm::features(
            &matrices.glcm,
            levels,
            region.gray.ng(),
            options,
            (s.row, s.column),
        ));
    }
    if wanted("glrlm") {
        out.extend(glrlm::features(
            &matrices.glrlm,
            levels,
            options,
            (s.row, s.column),
        ));
    }
    if wanted("glszm") {
        out.extend(glszm::features(&matrices.glszm, levels));
    }
    if wanted("gldm") {
        out.extend(gldm::features(&matrices.gldm, levels));
    }
    if wanted("ngtdm") {
        out.extend(ngtdm::features(&matrices.ngtdm, levels));
    }
    out
}

/// The 102 features of one region from its matrices, in PyRadiomics' class order: shape, then
/// [`texture_features`].
pub fn region_features(
    region: &PreparedRegion,
    matrices: &Matrices,
    spacing: Option<PixelSpacing>,
) -> Vec<Feature> {
    let mut out = shape_features(&region.region, spacing);
    out.extend(texture_features(region, matrices, spacing));
    out
}

/// Column name of a feature of a region in an image type:
/// `<region>_<image type>_<class>_<Feature>`, e.g. `tumor_wavelet-LH_glcm_Contrast`.
pub fn column_name(region: &str, image_type: &str, feature: &Feature) -> String {
    format!("{region}_{image_type}_{}_{}", feature.class, feature.name)
}

/// Named feature values of one case, in output order.
pub type FeatureRow = Vec<(String, f64)>;

/// Extracts every region of one image + mask pair.
pub fn extract_case(
    image_path: &Path,
    mask_path: &Path,
    settings: &CheckedSettings,
    backend: &dyn Backend,
) -> Result<FeatureRow> {
    let case = ManifestRow::new("", image_path, mask_path);
    let mut rows = extract_chunk(&[case], settings, backend, &StageTimes::default());
    rows.pop()
        .unwrap_or_else(|| Err(Error::Setting("no case to extract".into())))
}

/// The feature row of a case: for each region, its shape features (named `original`; of
/// `shapes`' region where given, see [`LoadedCase::shapes`]), then the first-order and texture
/// features of each of its image types, with the settings' feature selection and formulas.
fn row(
    prepared: &[PreparedRegion],
    matrices: &[Matrices],
    shapes: Option<&[Region]>,
    spacing: Option<PixelSpacing>,
    settings: &Settings,
    clock: &CaseClock,
) -> Result<FeatureRow> {
    let selection = settings.feature_classes.as_deref();
    let wanted = |f: &Feature| FeatureClassSelection::selects(selection, f.class, f.name);
    let mut out = Vec::new();
    let mut previous: Option<&str> = None;
    let mut region_index = 0;
    for (p, m) in prepared.iter().zip(matrices) {
        let name = p.region.name.as_str();
        if previous != Some(name) {
            previous = Some(name);
            let shape = shapes
                .and_then(|s| s.get(region_index))
                .unwrap_or(&p.region);
            region_index += 1;
            out.extend(
                shape_features(shape, spacing)
                    .into_iter()
                    .filter(wanted)
                    .map(|f| (column_name(name, ORIGINAL, &f), f.value)),
            );
        }
        out.extend(
            class_features(p, m, spacing, &settings.formulas, |_| true)
                .into_iter()
                .filter(wanted)
                .map(|f| (column_name(name, &p.image_type, &f), f.value)),
        );
        clock.check("computing features")?;
    }
    Ok(out)
}

/// The stages of the pipeline whose time [`StageTimes`] adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and decoding image and mask files.
    Decode,
    /// Drawing the tumour and ring regions (distance transform).
    Regions,
    /// Computing the filtered images (LoG, wavelet, ...; nothing for the original alone).
    Filter,
    /// Discretizing the gray levels of every region.
    Discretize,
    /// Building the count matrices (the backend).
    Matrices,
    /// Computing the features from the matrices.
    Formulas,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 6] = [
        Stage::Decode,
        Stage::Regions,
        Stage::Filter,
        Stage::Discretize,
        Stage::Matrices,
        Stage::Formulas,
    ];

    /// Lower-case name of the stage.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Regions => "regions",
            Stage::Filter => "filters",
            Stage::Discretize => "discretize",
            Stage::Matrices => "matrices",
            Stage::Formulas => "formulas",
        }
    }
}

/// Time spent in each [`Stage`], summed over all threads (so it can exceed the wall time).
#[derive(Debug, Default)]
pub struct StageTimes {
    nanos: [std::sync::atomic::AtomicU64; Stage::ALL.len()],
}

impl StageTimes {
    /// Runs `work`, adding its duration to `stage`.
    pub fn time<T>(&self, stage: Stage, work: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        let out = work();
        let spent = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos[stage as usize].fetch_add(spent, std::sync::atomic::Ordering::Relaxed);
        out
    }

    /// Seconds spent in `stage` so far.
    pub fn seconds(&self, stage: Stage) -> f64 {
        self.nanos[stage as usize].load(std::sync::atomic::Ordering::Relaxed) as f64 * 1e-9
    }
}

/// Number of cases in flight together in [`extract_cases`].
pub const CASES_PER_CHUNK: usize = 256;

/// Extracts many cases, [`CASES_PER_CHUNK`] at a time, through the same pipeline as an
/// archive run ([`extract_pipelined`]). Results come in case order; a failed case gives its
/// error and the others go on.
pub fn extract_cases(
    cases: &[ManifestRow],
    settings: &CheckedSettings,
    backend: &dyn Backend,
) -> Vec<Result<FeatureRow>> {
    extract_cases_timed(cases, settings, backend, &StageTimes::default())
}

/// [`extract_cases`], adding the time of each stage to `times`.
pub fn extract_cases_timed(
    cases: &[ManifestRow],
    settings: &CheckedSettings,
    backend: &dyn Backend,
    times: &StageTimes,
) -> Vec<Result<FeatureRow>> {
    let mut results = Vec::with_capacity(cases.len());
    let size = |_: &[ManifestRow]| CASES_PER_CHUNK;
    extract_pipelined(
        cases,
        CASES_PER_CHUNK,
        size,
        settings,
        backend,
        times,
        |_, rows| {
            results.extend(rows);
            true
        },
    );
    results
}

/// Extracts `cases` chunk by chunk, the first chunk of `first` cases, each next one of
/// `next_size(previous chunk)`, as a three-stage pipeline: while the backend builds the matrices
/// of chunk k + 1 ([`build_chunk`]), the formulas of chunk k run ([`chunk_rows`]) and chunk
/// k + 2 is read, drawn and discretized ([`prepare_chunk`]), all on the same thread pool, so
/// that a device waits neither for decoding nor for the formulas. Each chunk's results go to
/// `done` in case order; when `done` returns false, no further chunk is started.
pub fn extract_pipelined(
    cases: &[ManifestRow],
    first: usize,
    next_size: impl Fn(&[ManifestRow]) -> usize + Sync,
    settings: &CheckedSettings,
    backend: &dyn Backend,
    times: &StageTimes,
    mut done: impl FnMut(&[ManifestRow], Vec<Result<FeatureRow>>) -> bool,
) {
    let chunk_after = |r: &std::ops::Range<usize>| {
        r.end..(r.end + next_size(&cases[r.clone()]).max(1)).min(cases.len())
    };
    let first = 0..first.max(1).min(cases.len());
    let mut prepared = (!first.is_empty()).then(|| {
        (
            first.clone(),
            prepare_chunk(
                &cases[first],
                settings,
                device_filters(settings, backend),
                times,
            ),
        )
    });
    let mut built: Option<(std::ops::Range<usize>, BuiltChunk)> = None;
    while prepared.is_some() || built.is_some() {
        let next = prepared.as_ref().map(|(r, _)| chunk_after(r));
        let ((rows, now_built), upcoming) = rayon::join(
            || {
                rayon::join(
                    || built.map(|(r, b)| (r, chunk_rows(b, settings, times))),
                    || {
                        prepared.map(|(r, p)| {
                            (r, build_chunk(p, backend, &settings.neighbourhood, times))
                        })
                    },
                )
            },
            || {
                next.filter(|n| !n.is_empty()).map(|n| {
                    (
                        n.clone(),
                        prepare_chunk(
                            &cases[n],
                            settings,
                            device_filters(settings, backend),
                            times,
                        ),
                    )
                })
            },
        );
        if let Some((r, rows)) = rows {
            if !done(&cases[r], rows) {
                return;
            }
        }
        built = now_built;
        prepared = upcoming;
    }
}

/// Reads, draws and discretizes one manifest case with its own settings (spacing, label,
/// frame), as [`extract_chunk`] does.
pub fn prepare_manifest_case(
    case: &ManifestRow,
    settings: &CheckedSettings,
) -> Result<Vec<PreparedRegion>> {
    guarded(case, || {
        prepare_timed(case, settings, None, &StageTimes::default())
    })
    .map(|prepared| prepared.regions)
}

/// Reads, draws and discretizes one case (with its own manifest settings), timing each stage.
fn prepare_timed(
    case: &ManifestRow,
    settings: &CheckedSettings,
    device: Option<&DeviceFilters>,
    times: &StageTimes,
) -> Result<PreparedCase> {
    let settings = settings.for_case(case);
    let clock = CaseClock::start(&case.image, &settings);
    let frame = case.frame.unwrap_or(0);
    let (file, mask, tumor) = times.time(Stage::Decode, || {
        read_pair(
            &case.image,
            (&case.mask, &case.extra_masks),
            frame,
            &settings,
            false,
        )
    })?;
    clock.check("reading")?;
    let loaded = times.time(Stage::Regions, || {
        draw_regions(file, &mask, tumor, &settings)
    })?;
    clock.check("drawing the regions")?;
    if let Some(folder) = &settings.mask_folder {
        write_region_masks(folder, case, &loaded)?;
    }
    let images = times.time(Stage::Filter, || {
        case_images(&loaded, &settings, device, &clock)
    })?;
    let regions = times.time(Stage::Discretize, || {
        discretize_case(&loaded, &images, &settings, &clock)
    })?;
    Ok(PreparedCase {
        image: case.image.clone(),
        spacing: loaded.spacing,
        regions,
        shapes: loaded.shapes,
        spent: clock.spent(),
    })
}

/// Writes every region of a drawn case as a PNG mask of the image's size, into `folder` for a
/// single image (empty id) or into its subfolder named by the case id.
fn write_region_masks(folder: &Path, case: &ManifestRow, loaded: &LoadedCase) -> Result<()> {
    let dir = if case.id.is_empty() {
        folder.to_path_buf()
    } else {
        folder.join(crate::io::manifest::file_name_of_id(&case.id))
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::Write {
        path: dir.clone(),
        message: format!("cannot create folder: {e}"),
    })?;
    for r in &loaded.regions {
        r.write_png(
            &dir.join(format!("{}.png", r.name)),
            loaded.image.width,
            loaded.image.height,
        )?;
    }
    Ok(())
}

/// Extracts a chunk of cases, each with its manifest settings, timing every stage:
/// [`prepare_chunk`], [`build_chunk`], then [`chunk_rows`]. Results come in case order.
pub fn extract_chunk(
    chunk: &[ManifestRow],
    settings: &CheckedSettings,
    backend: &dyn Backend,
    times: &StageTimes,
) -> Vec<Result<FeatureRow>> {
    let prepared = prepare_chunk(chunk, settings, device_filters(settings, backend), times);
    let built = build_chunk(prepared, backend, &settings.neighbourhood, times);
    chunk_rows(built, settings, times)
}

/// The cases of a chunk read, drawn and discretized, or their errors.
pub struct PreparedChunk {
    cases: Vec<Result<PreparedCase>>,
}

/// One case read, drawn and discretized.
struct PreparedCase {
    /// The case's image file.
    image: PathBuf,
    /// Pixel spacing in mm, if known.
    spacing: Option<PixelSpacing>,
    /// Every region in every image type.
    regions: Vec<PreparedRegion>,
    /// The regions whose shape is reported, where they differ ([`LoadedCase::shapes`]).
    shapes: Option<Vec<Region>>,
    /// Time the case spent so far, against its budget.
    spent: Duration,
}

/// Reads, draws, filters (on `device` when given) and discretizes the cases of a chunk on all
/// cores, each with its manifest settings. An archive run prepares chunk k + 2 with this while [`build_chunk`] has the
/// backend build chunk k + 1 and [`chunk_rows`] runs the formulas of chunk k.
pub fn prepare_chunk(
    chunk: &[ManifestRow],
    settings: &CheckedSettings,
    device: Option<&DeviceFilters>,
    times: &StageTimes,
) -> PreparedChunk {
    PreparedChunk {
        cases: chunk
            .par_iter()
            .map(|case| guarded(case, || prepare_timed(case, settings, device, times)))
            .collect(),
    }
}

/// Runs `work` for `case`, turning a panic into [`Error::Panic`] naming the case's image: the
/// last line of defence, behind the readers' own checks, so that one file that makes a decoder
/// panic fails its case and not the whole run.
fn guarded<T>(case: &ManifestRow, work: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(Error::Panic {
            path: case.image.clone(),
            message,
        })
    })
}

/// A prepared chunk with the matrices of all its regions, or the backend's error.
pub struct BuiltChunk {
    cases: Vec<Result<PreparedCase>>,
    matrices: std::result::Result<Vec<Matrices>, Error>,
    /// The backend's name, for its error.
    backend: String,
}

/// Has the backend build the matrices of all regions of a prepared chunk in one call (it
/// schedules that work itself).
pub fn build_chunk(
    chunk: PreparedChunk,
    backend: &dyn Backend,
    neighbourhood: &Neighbourhood,
    times: &StageTimes,
) -> BuiltChunk {
    let grays: Vec<&GrayLevels> = chunk
        .cases
        .iter()
        .flat_map(|p| p.iter().flat_map(|c| c.regions.iter().map(|r| &r.gray)))
        .collect();
    let matrices = times.time(Stage::Matrices, || {
        backend.build_with(&grays, neighbourhood)
    });
    BuiltChunk {
        cases: chunk.cases,
        matrices,
        backend: backend.name().to_string(),
    }
}

/// The feature rows of a built chunk, in case order, the formulas on all cores; every case of
/// a chunk whose matrices failed gets the backend's error.
pub fn chunk_rows(
    chunk: BuiltChunk,
    settings: &CheckedSettings,
    times: &StageTimes,
) -> Vec<Result<FeatureRow>> {
    let prepared = chunk.cases;
    match chunk.matrices {
        Ok(matrices) => {
            let mut offsets = Vec::with_capacity(prepared.len());
            let mut at = 0;
            for p in &prepared {
                offsets.push(at);
                at += p.as_ref().map_or(0, |c| c.regions.len());
            }
            prepared
                .into_par_iter()
                .zip(offsets)
                .map(|(p, offset)| {
                    let case = p?;
                    let clock = CaseClock::resume(&case.image, settings, case.spent);
                    times.time(Stage::Formulas, || {
                        row(
                            &case.regions,
                            &matrices[offset..offset + case.regions.len()],
                            case.shapes.as_deref(),
                            case.spacing,
                            settings,
                            &clock,
                        )
                    })
                })
                .collect()
        }
        Err(e) => {
            let message = e.to_string();
            prepared
                .into_iter()
                .map(|p| {
                    p.and_then(|_| {
                        Err(Error::Backend {
                            backend: chunk.backend.clone(),
                            message: message.clone(),
                        })
                    })
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_clock_fails_the_case_once_its_budget_is_spent() {
        let settings = Settings {
            case_time_budget: Some(Duration::from_secs(2)),
            ..Settings::default()
        };
        let image = Path::new("scans/c1.png");
        let fresh = CaseClock::resume(image, &settings, Duration::from_millis(1500));
        assert!(fresh.check("reading").is_ok());
        let spent = CaseClock::resume(image, &settings, Duration::from_millis(2001));
        let error = spent.check("filtering").unwrap_err();
        assert_eq!(error.path(), Some(image));
        assert_eq!(
            error.to_string(),
            "scans/c1.png: the case exceeded its time budget of 2 s (after filtering); the case is skipped (raise --case-time-budget to allow more)"
        );
        // no budget: never spent
        let unbounded = CaseClock::resume(image, &Settings::default(), Duration::MAX / 2);
        assert!(unbounded.check("computing features").is_ok());
    }

    #[test]
    fn a_panic_while_reading_fails_the_case_naming_its_image() {
        let case = ManifestRow::new("c1", Path::new("scans/c1.dcm"), Path::new("masks/c1.png"));
        let outcome: Result<()> =
            guarded(&case, || panic!("slice index starts at 4 but ends at 0"));
        let error = outcome.unwrap_err();
        assert_eq!(error.path(), Some(Path::new("scans/c1.dcm")));
        assert_eq!(
            error.to_string(),
            "scans/c1.dcm: internal error while reading this case (slice index starts at 4 but ends at 0); the case is skipped, please report the file"
        );
        let formatted: Result<()> = guarded(&case, || panic!("{} bytes", 7));
        assert!(formatted.unwrap_err().to_string().contains("(7 bytes)"));
        assert_eq!(guarded(&case, || Ok(5)).unwrap(), 5);
    }
}
