//! PyRadiomics parameter files (YAML), so that a study's published settings can be reused.
//!
//! A parameter file has up to four sections (PyRadiomics' `paramSchema.yaml`):
//!
//! ```yaml
//! imageType:            # image types and their own settings; none given: Original only
//!   Original: {}
//!   LoG: {sigma: [1.0, 2.0, 3.0]}
//!   Wavelet: {}
//! featureClass:         # classes, each with all its features or a list; none given: all
//!   shape2D:
//!   firstorder: []
//!   glcm: [Contrast, Correlation]
//! setting:              # settings for every image type
//!   binWidth: 25
//!   label: 1
//! voxelSetting: {}      # texture maps (`sonorad map`): kernelRadius, maskedKernel, initValue
//! ```
//!
//! Image-type settings override the `setting` section for that image type, as in PyRadiomics.
//!
//! **What is accepted.** Every key is checked against PyRadiomics 3.0.1's schema (its types and
//! ranges); a file with any unknown key, or with a key sonorad cannot honour, is refused as a
//! whole, with one [`Problem`] per key naming it (`setting.binwidth: unknown setting`).
//! Settings fall in three groups:
//!
//! | Group | Settings |
//! |---|---|
//! | used | `binWidth`, `binCount` (wins over `binWidth`), `label`, `sigma`, `wavelet`, `level`, `start_level`, `gradientUseSpacing`; from `setting` only: `normalize`, `normalizeScale`, `removeOutliers`, `resegmentRange`, `resegmentMode`, `resegmentShape`, `minimumROIDimensions`, `minimumROISize` ([`crate::preprocess`]), `correctMask`, `geometryTolerance` ([`crate::alignment`]), `label_channel` ([`crate::io::image::mask_channel`]), `symmetricalGLCM`, `weightingNorm`, `voxelArrayShift` ([`crate::features::FormulaOptions`]), `preCrop` with `padDistance` ([`crate::preprocess`]), `distances`, `gldm_a`, `force2D` with `force2Ddimension` ([`crate::matrix::Neighbourhood`]; on a 2D image `force2D` across axis 0 or 1 keeps the steps along the other axis, across axis 2 it changes nothing) |
//! | accepted, no effect here | `additionalInfo` (the shells read it), `interpolator` (only with resampling), `lbp2D*`, `lbp3D*` (only with the LBP image types); under an image type, the load-time settings (`normalize`, resegmentation, ROI limits, `label_channel`), which PyRadiomics reads only under `setting` (a warning says so) |
//!
//! PyRadiomics' warnings about a file are kept in [`Params::warnings`]: the 3D `shape` class on a
//! 2D image is skipped with PyRadiomics' own words, and the run goes on.
//!
//! Image types: `Original`, `LoG`, `Wavelet`, `Square`, `SquareRoot`, `Logarithm`,
//! `Exponential`, `Gradient` (`LBP2D` and `LBP3D` are refused). Feature classes: `firstorder`,
//! `shape2D`, `glcm`, `glrlm`, `glszm`, `gldm`, `ngtdm` with their non-deprecated features
//! (deprecated features are refused; `shape` is skipped, as above).

use std::path::Path;

use serde_norway::{Mapping, Value};

use crate::alignment::{MaskAlignment, DEFAULT_TOLERANCE};
use crate::discretize::Binning;
use crate::extract::{EnabledImageType, Settings};
use crate::features;
use crate::features::{FormulaOptions, WeightingNorm};
use crate::filters::wavelet::MAX_WAVELET_LEVELS;
use crate::filters::{FilterOptions, ImageKind, ImageType, Sigma, Wavelet, WaveletSettings};
use crate::matrix::{Neighbourhood, MAX_DISTANCE};
use crate::preprocess::{
    Normalization, Preprocessing, Resampling, ResegmentMode, Resegmentation, RoiLimits,
};
use crate::resample::Interpolator;

/// A parsed, checked parameter file.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Enabled image types in file order, each with its effective settings and binning.
    pub image_types: Vec<EnabledImageType>,
    /// Enabled feature classes in file order, each with its features.
    pub feature_classes: Vec<FeatureClassSelection>,
    /// Discretization of the `setting` section (default: bin width 25).
    pub binning: Binning,
    /// Mask label of the region (`setting.label`); `None` when the file gives none.
    pub label: Option<u32>,
    /// Channel of a multi-channel mask that holds the labels (`setting.label_channel`,
    /// default 0).
    pub label_channel: u32,
    /// The `voxelSetting` section, which texture maps (`sonorad map`) read.
    pub voxel: VoxelSetting,
    /// Pre-processing of the `setting` section (normalisation, resegmentation, ROI checks, pre-crop).
    pub preprocessing: Preprocessing,
    /// Formula settings of the `setting` section (symmetrical GLCM, weighting, shift).
    pub formulas: FormulaOptions,
    /// The matrices' neighbourhood of the `setting` section (distances, force2D, gldm_a).
    pub neighbourhood: Neighbourhood,
    /// What PyRadiomics would warn about the file and sonorad does the same way (the 3D
    /// `shape` class skipped on 2D images, settings without effect where they stand), for the
    /// shells to show once.
    pub warnings: Vec<String>,
}

/// A parameter file's `voxelSetting`: what it sets of a texture map's kernels (`None`: the
/// default).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoxelSetting {
    /// `kernelRadius`.
    pub kernel_radius: Option<usize>,
    /// `maskedKernel`.
    pub masked_kernel: Option<bool>,
    /// `initValue`.
    pub init_value: Option<f64>,
}

impl Params {
    /// `settings` with what the file decides: its image types (each with its binning), its
    /// feature classes, its label and label channel.
    pub fn apply(self, settings: Settings) -> Settings {
        Settings {
            image_types: self.image_types,
            feature_classes: Some(self.feature_classes),
            label: self.label,
            label_channel: self.label_channel,
            preprocessing: self.preprocessing,
            formulas: self.formulas,
            neighbourhood: self.neighbourhood,
            ..settings
        }
    }
}

/// A 2D feature class of PyRadiomics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureClass {
    /// `firstorder`.
    FirstOrder,
    /// `shape2D` (computed on the original image only).
    Shape2D,
    /// `glcm`.
    Glcm,
    /// `glrlm`.
    Glrlm,
    /// `glszm`.
    Glszm,
    /// `gldm`.
    Gldm,
    /// `ngtdm`.
    Ngtdm,
}

impl FeatureClass {
    /// All classes, in PyRadiomics' order.
    pub const ALL: [FeatureClass; 7] = [
        FeatureClass::FirstOrder,
        FeatureClass::Shape2D,
        FeatureClass::Glcm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Gldm,
        FeatureClass::Ngtdm,
    ];

    /// PyRadiomics' name of the class.
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::FirstOrder => "firstorder",
            FeatureClass::Shape2D => "shape2D",
            FeatureClass::Glcm => "glcm",
            FeatureClass::Glrlm => "glrlm",
            FeatureClass::Glszm => "glszm",
            FeatureClass::Gldm => "gldm",
            FeatureClass::Ngtdm => "ngtdm",
        }
    }

    /// The class named `name`, if sonorad computes it.
    pub fn from_name(name: &str) -> Option<FeatureClass> {
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its features, in PyRadiomics' order.
    pub fn feature_names(self) -> &'static [&'static str] {
        match self {
            FeatureClass::FirstOrder => &features::firstorder::NAMES,
            FeatureClass::Shape2D => &features::shape2d::NAMES,
            FeatureClass::Glcm => &features::glcm::NAMES,
            FeatureClass::Glrlm => &features::glrlm::NAMES,
            FeatureClass::Glszm => &features::glszm::NAMES,
            FeatureClass::Gldm => &features::gldm::NAMES,
            FeatureClass::Ngtdm => &features::ngtdm::NAMES,
        }
    }

    /// Features PyRadiomics 3.0.1 marks deprecated: it computes them only on request, sonorad
    /// not at all.
    fn deprecated_names(self) -> &'static [&'static str] {
        match self {
            FeatureClass::FirstOrder => &["StandardDeviation"],
            FeatureClass::Shape2D => &["SphericalDisproportion"],
            FeatureClass::Glcm => &[
                "Dissimilarity",
                "Homogeneity1",
                "Homogeneity2",
                "SumVariance",
            ],
            FeatureClass::Gldm => &["DependencePercentage", "GrayLevelNonUniformityNormalized"],
            FeatureClass::Glrlm | FeatureClass::Glszm | FeatureClass::Ngtdm => &[],
        }
    }
}

/// One enabled feature class and the features to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureClassSelection {
    /// The class.
    pub class: FeatureClass,
    /// Its features: all of them (PyRadiomics' order) when the file lists none, else the
    /// file's list in its order.
    pub features: Vec<&'static str>,
}

impl FeatureClassSelection {
    /// The selection a command line lists (`glcm_Contrast,glrlm_RunEntropy`, or whole
    /// classes: `firstorder,glcm`), one entry per class in PyRadiomics' class order, each
    /// class's features in PyRadiomics' order; an error naming an unknown or deprecated class
    /// or feature, or shape features (which have no maps).
    pub fn parse_list(text: &str) -> std::result::Result<Vec<FeatureClassSelection>, String> {
        let mut wanted: Vec<(FeatureClass, Option<&'static str>)> = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (class_name, feature) = match item.split_once('_') {
                Some((c, f)) => (c, Some(f)),
                None => (item, None),
            };
            let class = FeatureClass::from_name(class_name)
                .filter(|c| *c != FeatureClass::Shape2D)
                .ok_or_else(|| {
                    format!(
                        "unknown feature class '{class_name}' in '{item}': use firstorder, glcm, glrlm, glszm, gldm or ngtdm (shape2D has no maps)"
                    )
                })?;
            let feature = match feature {
                None => None,
                Some(f) => Some(
                    class
                        .feature_names()
                        .iter()
                        .copied()
                        .find(|n| *n == f)
                        .ok_or_else(|| {
                            format!(
                                "unknown feature '{f}' of {}: use one of {}",
                                class.name(),
                                class.feature_names().join(", ")
                            )
                        })?,
                ),
            };
            wanted.push((class, feature));
        }
        if wanted.is_empty() {
            return Err("no feature listed".into());
        }
        Ok(FeatureClass::ALL
            .into_iter()
            .filter(|c| wanted.iter().any(|(w, _)| w == c))
            .map(|class| {
                let whole = wanted.iter().any(|(c, f)| *c == class && f.is_none());
                let features = class
                    .feature_names()
                    .iter()
                    .copied()
                    .filter(|n| whole || wanted.contains(&(class, Some(n))))
                    .collect();
                FeatureClassSelection { class, features }
            })
            .collect())
    }

    /// Whether `class` (PyRadiomics' name) and `feature` are selected by `selection`
    /// (everything when `None`).
    pub fn selects(
        selection: Option<&[FeatureClassSelection]>,
        class: &str,
        feature: &str,
    ) -> bool {
        selection.is_none_or(|classes| {
            classes
                .iter()
                .any(|c| c.class.name() == class && c.features.contains(&feature))
        })
    }
}

/// What is wrong with one key of a parameter file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// PyRadiomics does not know the key.
    Unknown,
    /// PyRadiomics knows it, sonorad cannot reproduce it (or not with this value).
    Unsupported,
    /// The value has the wrong type or is out of range.
    InvalidValue,
}

/// One offending key of a parameter file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the key (`setting.binWidth`, `imageType.LoG.sigma`, `featureClass.glcm`).
    pub key: String,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in words.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Why a parameter file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// The file could not be read.
    #[error("{path}: cannot read parameter file: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not YAML, or its top level is not a mapping.
    #[error("{origin}: not a YAML parameter file: {message}")]
    Yaml {
        /// The file (or `<text>`).
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// Keys that are unknown, unsupported or have invalid values.
    #[error("{origin}: {}", list(problems))]
    Invalid {
        /// The file (or `<text>`).
        origin: String,
        /// One entry per offending key.
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Params {
    /// Reads and checks a parameter file.
    pub fn read(path: &Path) -> Result<Params, ParamsError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ParamsError::Read {
            path: origin.clone(),
            source,
        })?;
        Params::parse(&text, &origin)
    }

    /// Parses and checks the text of a parameter file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Params, ParamsError> {
        let yaml_error = |message: String| ParamsError::Yaml {
            origin: origin.to_string(),
            message,
        };
        let root: Value = serde_norway::from_str(text).map_err(|e| yaml_error(e.to_string()))?;
        let root = match root {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            other => {
                return Err(yaml_error(format!(
                    "the top level must be a mapping, got {}",
                    type_name(&other)
                )))
            }
        };
        Params::from_mapping(&root, origin)
    }

    /// Checks a parameter file's parsed top level (`imageType`, `featureClass`, `setting`,
    /// `voxelSetting`), for a shell that builds or changes the tree before the check (the
    /// PyRadiomics command line's `--setting` overrides); `origin` names it in errors.
    pub fn from_mapping(root: &Mapping, origin: &str) -> Result<Params, ParamsError> {
        let mut checker = Checker::default();
        let params = checker.params(root);
        if checker.problems.is_empty() {
            Ok(params)
        } else {
            Err(ParamsError::Invalid {
                origin: origin.to_string(),
                problems: checker.problems,
            })
        }
    }
}

/// How a known setting is treated.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Read by sonorad.
    Used,
    /// Accepted with a value of this type; it changes nothing in sonorad's pipeline.
    NoEffect(Kind),
}

/// Expected YAML type of a setting without effect.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `true` / `false`.
    Bool,
    /// An integer.
    Int,
    /// A number.
    Float,
    /// A string.
    Str,
}

/// Every setting of PyRadiomics 3.0.1's schema and how sonorad treats it.
const SETTINGS: &[(&str, Rule)] = &[
    ("binWidth", Rule::Used),
    ("binCount", Rule::Used),
    ("label", Rule::Used),
    ("sigma", Rule::Used),
    ("wavelet", Rule::Used),
    ("level", Rule::Used),
    ("start_level", Rule::Used),
    ("gradientUseSpacing", Rule::Used),
    ("normalize", Rule::Used),
    ("normalizeScale", Rule::Used),
    ("removeOutliers", Rule::Used),
    ("resegmentRange", Rule::Used),
    ("resegmentMode", Rule::Used),
    ("resegmentShape", Rule::Used),
    ("minimumROIDimensions", Rule::Used),
    ("minimumROISize", Rule::Used),
    ("symmetricalGLCM", Rule::Used),
    ("weightingNorm", Rule::Used),
    ("voxelArrayShift", Rule::Used),
    ("force2D", Rule::Used),
    ("force2Ddimension", Rule::Used),
    ("distances", Rule::Used),
    ("gldm_a", Rule::Used),
    ("preCrop", Rule::Used),
    ("padDistance", Rule::Used),
    ("resampledPixelSpacing", Rule::Used),
    ("interpolator", Rule::Used),
    ("additionalInfo", Rule::NoEffect(Kind::Bool)),
    ("geometryTolerance", Rule::Used),
    ("correctMask", Rule::Used),
    ("lbp2DRadius", Rule::NoEffect(Kind::Float)),
    ("lbp2DSamples", Rule::NoEffect(Kind::Int)),
    ("lbp2DMethod", Rule::NoEffect(Kind::Str)),
    ("lbp3DLevels", Rule::NoEffect(Kind::Int)),
    ("lbp3DIcosphereRadius", Rule::NoEffect(Kind::Float)),
    ("lbp3DIcosphereSubdivision", Rule::NoEffect(Kind::Int)),
    ("label_channel", Rule::Used),
];

/// The names of the settings of PyRadiomics 3.0.1's schema (its `setting` section).
pub fn setting_names() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().map(|(name, _)| *name)
}

/// Settings PyRadiomics reads only from the `setting` section, when it loads and checks the
/// image and mask: under an image type they change nothing there, and here.
const LOAD_SETTINGS: &[&str] = &[
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "minimumROIDimensions",
    "minimumROISize",
    "preCrop",
    "padDistance",
    "resampledPixelSpacing",
    "interpolator",
    "geometryTolerance",
    "correctMask",
    "label_channel",
];

/// Settings PyRadiomics lets each image type change for its own features, which sonorad takes
/// from the `setting` section only.
const GENERAL_ONLY: &[&str] = &[
    "label",
    "symmetricalGLCM",
    "weightingNorm",
    "voxelArrayShift",
    "distances",
    "gldm_a",
    "force2D",
    "force2Ddimension",
];

/// What `level` takes: each level is a whole transform of the image (see
/// [`MAX_WAVELET_LEVELS`]).
const LEVEL_RANGE: &str = "an integer from 1 to 32 (each level is a whole transform of the image; 32 is the standard transform's most for any image)";

/// What `start_level` takes.
const START_LEVEL_RANGE: &str = "an integer from 0 to 32";

/// Image types of PyRadiomics that sonorad does not compute.
const UNSUPPORTED_IMAGE_TYPES: &[&str] = &["LBP2D", "LBP3D"];

/// The values of the settings sonorad reads, from one settings mapping.
#[derive(Debug, Clone, Default)]
struct Values {
    /// `binWidth`.
    bin_width: Option<f64>,
    /// `binCount`.
    bin_count: Option<usize>,
    /// `label`.
    label: Option<u32>,
    /// `sigma`.
    sigma: Option<Vec<Sigma>>,
    /// `wavelet`.
    wavelet: Option<Wavelet>,
    /// `level`.
    level: Option<u32>,
    /// `start_level`.
    start_level: Option<u32>,
    /// `gradientUseSpacing`.
    gradient_use_spacing: Option<bool>,
    /// The pre-processing settings and the formula settings (read from `setting` only).
    general: GeneralValues,
}

/// The values of the settings sonorad reads from the `setting` section only.
#[derive(Debug, Clone, Default)]
struct GeneralValues {
    /// `normalize`.
    normalize: Option<bool>,
    /// `normalizeScale`.
    normalize_scale: Option<f64>,
    /// `removeOutliers`.
    remove_outliers: Option<f64>,
    /// `resegmentRange`.
    resegment_range: Option<Vec<f64>>,
    /// `resegmentMode`.
    resegment_mode: Option<ResegmentMode>,
    /// `resegmentShape`.
    resegment_shape: Option<bool>,
    /// `minimumROIDimensions`.
    minimum_roi_dimensions: Option<u8>,
    /// `minimumROISize`.
    minimum_roi_size: Option<u64>,
    /// `symmetricalGLCM`.
    symmetrical_glcm: Option<bool>,
    /// `weightingNorm` (`Some(None)`: given as null).
    weighting_norm: Option<Option<WeightingNorm>>,
    /// `voxelArrayShift`.
    voxel_array_shift: Option<i64>,
    /// `force2D`.
    force_2d: Option<bool>,
    /// `force2Ddimension`.
    force_2d_dimension: Option<i64>,
    /// `distances`.
    distances: Option<Vec<u32>>,
    /// `gldm_a`.
    gldm_a: Option<u32>,
    /// `preCrop`.
    pre_crop: Option<bool>,
    /// `padDistance`.
    pad_distance: Option<usize>,
    /// `resampledPixelSpacing` (`Some(None)`: given as null).
    resampled_spacing: Option<Option<[f64; 2]>>,
    /// `interpolator` (`Some(None)`: given as null, which turns resampling off).
    interpolator: Option<Option<Interpolator>>,
    /// `correctMask`.
    correct_mask: Option<bool>,
    /// `geometryTolerance`.
    geometry_tolerance: Option<f64>,
    /// `label_channel`.
    label_channel: Option<u32>,
}

impl GeneralValues {
    /// The pre-processing these values ask for, PyRadiomics' defaults where not given.
    fn preprocessing(&self) -> Preprocessing {
        let normalize = self.normalize.unwrap_or(false).then(|| Normalization {
            scale: self.normalize_scale.unwrap_or(1.0),
            remove_outliers: self.remove_outliers,
        });
        // the range was checked when it was read
        let resegment = self.resegment_range.as_ref().and_then(|range| {
            Resegmentation::new(
                range,
                self.resegment_mode.unwrap_or(ResegmentMode::Absolute),
                self.resegment_shape.unwrap_or(false),
            )
            .ok()
        });
        Preprocessing {
            normalize,
            resegment,
            roi: RoiLimits {
                minimum_dimensions: self.minimum_roi_dimensions.unwrap_or(2),
                minimum_size: self.minimum_roi_size,
            },
            // PyRadiomics' default padDistance is 5
            pre_crop: (self.pre_crop == Some(true)).then(|| self.pad_distance.unwrap_or(5)),
            resample: self.resampling(),
            alignment: MaskAlignment {
                correct: self.correct_mask.unwrap_or(false),
                tolerance: self.geometry_tolerance.unwrap_or(DEFAULT_TOLERANCE),
            },
        }
    }

    /// PyRadiomics resamples when `resampledPixelSpacing` is set and `interpolator` is not
    /// null (its default is `sitkBSpline`).
    fn resampling(&self) -> Option<Resampling> {
        let spacing = self.resampled_spacing.flatten()?;
        let interpolator = self.interpolator.unwrap_or(Some(Interpolator::BSpline))?;
        Some(Resampling {
            spacing,
            interpolator,
            pad_distance: self.pad_distance.unwrap_or(5),
        })
    }

    /// The neighbourhood these values ask for: PyRadiomics' `force2D` fixes array axis
    /// `force2Ddimension` (0 or 1 on a 2D image; 2, which a 2D image lacks, fixes none).
    fn neighbourhood(&self) -> Neighbourhood {
        let fixed_axis = match (self.force_2d, self.force_2d_dimension.unwrap_or(0)) {
            (Some(true), d @ 0..=1) => Some(d as usize),
            _ => None,
        };
        Neighbourhood {
            distances: self.distances.clone().unwrap_or_else(|| vec![1]),
            fixed_axis,
            gldm_alpha: self.gldm_a.unwrap_or(0),
        }
    }

    /// The one axis PyRadiomics' wavelet transforms under `force2D`: the other one than
    /// `force2Ddimension` (0 or 1 on a 2D image); `None` without `force2D`.
    fn wavelet_axis(&self) -> Option<usize> {
        match (self.force_2d, self.force_2d_dimension.unwrap_or(0)) {
            (Some(true), d @ 0..=1) => Some(1 - d as usize),
            _ => None,
        }
    }

    /// The formula settings these values ask for, PyRadiomics' defaults where not given.
    fn formulas(&self) -> FormulaOptions {
        FormulaOptions {
            symmetrical_glcm: self.symmetrical_glcm.unwrap_or(true),
            weighting_norm: self.weighting_norm.flatten(),
            voxel_array_shift: self.voxel_array_shift.unwrap_or(0) as f64,
        }
    }
}

impl Values {
    /// These values with `custom`'s given ones in their place (`args.update(customKwargs)`).
    fn overridden_by(&self, custom: &Values) -> Values {
        Values {
            bin_width: custom.bin_width.or(self.bin_width),
            bin_count: custom.bin_count.or(self.bin_count),
            label: custom.label.or(self.label),
            sigma: custom.sigma.clone().or_else(|| self.sigma.clone()),
            wavelet: custom.wavelet.or(self.wavelet),
            level: custom.level.or(self.level),
            start_level: custom.start_level.or(self.start_level),
            gradient_use_spacing: custom.gradient_use_spacing.or(self.gradient_use_spacing),
            general: self.general.clone(),
        }
    }

    /// The binning these values give ([`Binning::from_settings`]).
    fn binning(&self) -> Binning {
        Binning::from_settings(self.bin_width, self.bin_count)
    }
}

/// Walks the YAML tree and collects every problem.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    warnings: Vec<String>,
}

impl Checker {
    fn problem(&mut self, key: &str, kind: ProblemKind, reason: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_string(),
            kind,
            reason: reason.into(),
        });
    }

    /// The entries of a mapping with string keys; other keys are reported.
    fn entries<'a>(&mut self, map: &'a Mapping, path: &str) -> Vec<(String, &'a Value)> {
        let mut out = Vec::new();
        for (key, value) in map {
            match key.as_str() {
                Some(k) => out.push((k.to_string(), value)),
                None => self.problem(
                    path,
                    ProblemKind::InvalidValue,
                    format!("keys must be names, got {}", type_name(key)),
                ),
            }
        }
        out
    }

    /// A section that must be a mapping (null counts as empty).
    fn section<'a>(&mut self, value: &'a Value, path: &str) -> Option<&'a Mapping> {
        match value {
            Value::Mapping(m) => Some(m),
            Value::Null => None,
            other => {
                self.problem(
                    path,
                    ProblemKind::InvalidValue,
                    format!("must be a mapping, got {}", type_name(other)),
                );
                None
            }
        }
    }

    fn params(&mut self, root: &Mapping) -> Params {
        let mut general = Values::default();
        let mut image_types = Vec::new();
        // None: the section is absent or empty, which enables every class
        let mut feature_classes = None;
        let mut voxel = VoxelSetting::default();
        // The setting section first: image types merge it with their own settings.
        if let Some(value) = root.get("setting") {
            if let Some(map) = self.section(value, "setting") {
                general = self.settings(map, "setting", true);
            }
        }
        for (key, value) in self.entries(root, "(top level)") {
            match key.as_str() {
                "setting" => {}
                "imageType" => {
                    if let Some(map) = self.section(value, "imageType") {
                        image_types = self.image_types(map, &general);
                    }
                }
                "featureClass" => {
                    if let Some(map) = self.section(value, "featureClass") {
                        if !map.is_empty() {
                            let classes = self.feature_classes(map);
                            if classes.is_empty() && map.contains_key("shape") {
                                self.problem(
                                    "featureClass",
                                    ProblemKind::Unsupported,
                                    "names only shape, which a 2D image lacks (PyRadiomics would skip it and extract nothing); use shape2D",
                                );
                            }
                            feature_classes = Some(classes);
                        }
                    }
                }
                "voxelSetting" => {
                    if let Some(map) = self.section(value, "voxelSetting") {
                        voxel = self.voxel_setting(map);
                    }
                }
                _ => self.problem(
                    &key,
                    ProblemKind::Unknown,
                    "unknown section (expected imageType, featureClass, setting, voxelSetting)",
                ),
            }
        }
        if image_types.is_empty() {
            image_types.push(EnabledImageType::new(
                ImageType::Original,
                general.binning(),
            ));
        }
        let feature_classes = feature_classes.unwrap_or_else(|| {
            FeatureClass::ALL
                .into_iter()
                .map(|class| FeatureClassSelection {
                    class,
                    features: class.feature_names().to_vec(),
                })
                .collect()
        });
        Params {
            image_types,
            feature_classes,
            binning: general.binning(),
            label: general.label,
            label_channel: general.general.label_channel.unwrap_or(0),
            voxel,
            preprocessing: general.general.preprocessing(),
            formulas: general.general.formulas(),
            neighbourhood: general.general.neighbourhood(),
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    /// The `voxelSetting` section (texture maps): `kernelRadius` (an integer > 0),
    /// `maskedKernel` (true or false), `initValue` (a number, `.nan` included) and
    /// `voxelBatch` (an integer, accepted: sonorad batches kernels its own way).
    fn voxel_setting(&mut self, map: &Mapping) -> VoxelSetting {
        let mut voxel = VoxelSetting::default();
        for (name, value) in self.entries(map, "voxelSetting") {
            let key = format!("voxelSetting.{name}");
            match name.as_str() {
                "kernelRadius" => match value.as_i64().and_then(|r| usize::try_from(r).ok()) {
                    Some(r) if r > 0 => voxel.kernel_radius = Some(r),
                    _ => self.invalid(&key, "an integer > 0", value),
                },
                "maskedKernel" => match value.as_bool() {
                    Some(m) => voxel.masked_kernel = Some(m),
                    None => self.invalid(&key, "true or false", value),
                },
                "initValue" => match value.as_f64() {
                    Some(v) => voxel.init_value = Some(v),
                    None => self.invalid(&key, "a number", value),
                },
                "voxelBatch" => {
                    if value.as_i64().is_none() {
                        self.invalid(&key, "an integer", value);
                    }
                }
                _ => self.problem(
                    &key,
                    ProblemKind::Unknown,
                    "unknown voxel setting (expected kernelRadius, maskedKernel, initValue, voxelBatch)",
                ),
            }
        }
        voxel
    }

    /// Checks one settings mapping and returns the values sonorad reads.
    /// `general` is true for the `setting` section (where `label` belongs).
    fn settings(&mut self, map: &Mapping, path: &str, general: bool) -> Values {
        let mut values = Values::default();
        for (name, value) in self.entries(map, path) {
            let key = format!("{path}.{name}");
            let Some(&(_, rule)) = SETTINGS.iter().find(|(n, _)| *n == name) else {
                self.problem(&key, ProblemKind::Unknown, unknown_setting(&name));
                continue;
            };
            if !general && GENERAL_ONLY.contains(&name.as_str()) {
                self.problem(
                    &key,
                    ProblemKind::Unsupported,
                    format!("a {name} per image type is not supported; set it under setting"),
                );
                continue;
            }
            if !general && LOAD_SETTINGS.contains(&name.as_str()) {
                self.warnings.push(format!(
                    "{key}: PyRadiomics reads {name} only under setting, so it has no effect here (as in PyRadiomics)"
                ));
                continue;
            }
            match rule {
                Rule::Used => self.used(&mut values, &name, value, &key),
                Rule::NoEffect(kind) => {
                    if !kind.matches(value) {
                        self.problem(
                            &key,
                            ProblemKind::InvalidValue,
                            format!("expected {}, got {}", kind.describe(), type_name(value)),
                        );
                    }
                }
            }
        }
        values
    }

    /// Reads one setting sonorad uses.
    fn used(&mut self, values: &mut Values, name: &str, value: &Value, key: &str) {
        match name {
            "binWidth" => match value.as_f64() {
                Some(w) if w.is_finite() && w > 0.0 => values.bin_width = Some(w),
                _ => self.invalid(key, "a number > 0", value),
            },
            "binCount" => match value.as_i64() {
                Some(c) if c > 0 => values.bin_count = usize::try_from(c).ok(),
                _ => self.invalid(key, "an integer > 0", value),
            },
            "label" => match value.as_i64().and_then(|l| u32::try_from(l).ok()) {
                Some(l) if l > 0 => values.label = Some(l),
                _ => self.invalid(key, "an integer > 0", value),
            },
            "sigma" => match sigmas(value) {
                Some(s) => values.sigma = Some(s),
                None => self.invalid(key, "a list of numbers > 0", value),
            },
            "wavelet" => match value.as_str().map(Wavelet::from_name) {
                Some(Ok(w)) => values.wavelet = Some(w),
                Some(Err(e)) => self.problem(key, ProblemKind::InvalidValue, e.to_string()),
                None => self.invalid(key, "a wavelet name", value),
            },
            "level" => match value.as_i64().and_then(|l| u32::try_from(l).ok()) {
                Some(l) if l > 0 && l <= MAX_WAVELET_LEVELS => values.level = Some(l),
                _ => self.invalid(key, LEVEL_RANGE, value),
            },
            "start_level" => match value.as_i64().and_then(|l| u32::try_from(l).ok()) {
                Some(l) if l <= MAX_WAVELET_LEVELS => values.start_level = Some(l),
                _ => self.invalid(key, START_LEVEL_RANGE, value),
            },
            "gradientUseSpacing" => match value.as_bool() {
                Some(b) => values.gradient_use_spacing = Some(b),
                None => self.invalid(key, "true or false", value),
            },
            _ => self.used_general(&mut values.general, name, value, key),
        }
    }

    /// Reads one setting of the `setting` section's pre-processing and formulas, with the
    /// ranges of PyRadiomics' schema.
    fn used_general(&mut self, values: &mut GeneralValues, name: &str, value: &Value, key: &str) {
        let positive = |v: &Value| v.as_f64().filter(|x| x.is_finite() && *x > 0.0);
        match name {
            "normalize" => self.boolean(key, value, &mut values.normalize),
            "normalizeScale" => match positive(value) {
                Some(x) => values.normalize_scale = Some(x),
                None => self.invalid(key, "a number > 0", value),
            },
            "removeOutliers" => match value {
                Value::Null => values.remove_outliers = None,
                v => match positive(v) {
                    Some(x) => values.remove_outliers = Some(x),
                    None => self.invalid(key, "a number > 0", value),
                },
            },
            "resegmentRange" => self.resegment_range(values, value, key),
            "resegmentMode" => match value.as_str().and_then(ResegmentMode::from_name) {
                Some(m) => values.resegment_mode = Some(m),
                None => self.invalid(key, "absolute, relative or sigma", value),
            },
            "resegmentShape" => self.boolean(key, value, &mut values.resegment_shape),
            "minimumROIDimensions" => match value.as_i64().filter(|d| (1..=3).contains(d)) {
                Some(d) => values.minimum_roi_dimensions = u8::try_from(d).ok(),
                None => self.invalid(key, "1, 2 or 3", value),
            },
            "minimumROISize" => match value {
                Value::Null => values.minimum_roi_size = None,
                v => match v
                    .as_i64()
                    .and_then(|n| u64::try_from(n).ok())
                    .filter(|&n| n > 0)
                {
                    Some(n) => values.minimum_roi_size = Some(n),
                    None => self.invalid(key, "an integer > 0", value),
                },
            },
            "symmetricalGLCM" => self.boolean(key, value, &mut values.symmetrical_glcm),
            "weightingNorm" => match value {
                Value::Null => values.weighting_norm = Some(None),
                v => match v.as_str().and_then(WeightingNorm::from_name) {
                    Some(n) => values.weighting_norm = Some(Some(n)),
                    None => self.invalid(
                        key,
                        "euclidean, manhattan, infinity, no_weighting or null",
                        value,
                    ),
                },
            },
            "voxelArrayShift" => match value.as_i64() {
                Some(c) => values.voxel_array_shift = Some(c),
                None => self.invalid(key, "an integer", value),
            },
            "force2D" => self.boolean(key, value, &mut values.force_2d),
            "distances" => self.distances(values, value, key),
            "preCrop" => self.boolean(key, value, &mut values.pre_crop),
            "correctMask" => self.boolean(key, value, &mut values.correct_mask),
            "geometryTolerance" => match value.as_f64().filter(|t| t.is_finite()) {
                Some(t) => values.geometry_tolerance = Some(t),
                None => self.invalid(key, "a number", value),
            },
            "resampledPixelSpacing" => self.resampled_spacing(values, value, key),
            "interpolator" => self.interpolator(values, value, key),
            "label_channel" => match value.as_i64().and_then(|c| u32::try_from(c).ok()) {
                Some(c) => values.label_channel = Some(c),
                None => self.invalid(key, "an integer >= 0", value),
            },
            "padDistance" => match value.as_i64().and_then(|d| usize::try_from(d).ok()) {
                Some(d) => values.pad_distance = Some(d),
                None => self.invalid(key, "an integer >= 0", value),
            },
            "gldm_a" => match value.as_i64().and_then(|a| u32::try_from(a).ok()) {
                Some(a) => values.gldm_a = Some(a),
                None => self.invalid(key, "an integer >= 0", value),
            },
            // force2Ddimension, the last one
            _ => match value.as_i64().filter(|d| (0..=2).contains(d)) {
                Some(d) => values.force_2d_dimension = Some(d),
                None => self.invalid(key, "0, 1 or 2", value),
            },
        }
    }

    /// Reads a boolean setting into `slot`.
    fn boolean(&mut self, key: &str, value: &Value, slot: &mut Option<bool>) {
        match value.as_bool() {
            Some(b) => *slot = Some(b),
            None => self.invalid(key, "true or false", value),
        }
    }

    /// Reads `resampledPixelSpacing`: null, or two numbers >= 0 (x, y; 0 keeps the spacing),
    /// as PyRadiomics requires for a 2D image.
    fn resampled_spacing(&mut self, values: &mut GeneralValues, value: &Value, key: &str) {
        if value.is_null() {
            values.resampled_spacing = Some(None);
            return;
        }
        let numbers: Option<Vec<f64>> = value
            .as_sequence()
            .and_then(|items| items.iter().map(Value::as_f64).collect());
        match numbers.as_deref() {
            Some(&[x, y]) if [x, y].iter().all(|s| s.is_finite() && *s >= 0.0) => {
                values.resampled_spacing = Some(Some([x, y]))
            }
            Some(n) if n.len() != 2 && n.iter().all(|s| s.is_finite() && *s >= 0.0) => self.problem(
                key,
                ProblemKind::InvalidValue,
                format!(
                    "a 2D image takes 2 spacings (x, y), got {} (PyRadiomics: Wrong dimensionality ({}-D) of resampledPixelSpacing!, 2-D required)",
                    n.len(),
                    n.len()
                ),
            ),
            _ => self.invalid(key, "a list of 2 numbers >= 0, or null", value),
        }
    }

    /// Reads `interpolator`: null, a SimpleITK name or its number (1 to 10); sonorad
    /// reproduces nearest neighbour, linear and B-spline, and refuses the others by name.
    fn interpolator(&mut self, values: &mut GeneralValues, value: &Value, key: &str) {
        const SITK: [&str; 10] = [
            "sitkNearestNeighbor",
            "sitkLinear",
            "sitkBSpline",
            "sitkGaussian",
            "sitkLabelGaussian",
            "sitkHammingWindowedSinc",
            "sitkCosineWindowedSinc",
            "sitkWelchWindowedSinc",
            "sitkLanczosWindowedSinc",
            "sitkBlackmanWindowedSinc",
        ];
        let name = match value {
            Value::Null => {
                values.interpolator = Some(None);
                return;
            }
            // SimpleITK's enumeration: 1 nearest neighbour, 2 linear, 3 B-spline, ...
            Value::Number(n) => n
                .as_i64()
                .filter(|i| (1..=10).contains(i))
                .and_then(|i| SITK.get(i as usize - 1).copied()),
            Value::String(s) => SITK.iter().copied().find(|k| k == s),
            _ => None,
        };
        let Some(name) = name else {
            return self.invalid(key, "a SimpleITK interpolator name or 1 to 10", value);
        };
        match Interpolator::from_name(name) {
            Ok(i) => values.interpolator = Some(Some(i)),
            Err(e) => self.problem(key, ProblemKind::Unsupported, e),
        }
    }

    /// Reads `distances`: a list of integers from 1 to [`MAX_DISTANCE`].
    fn distances(&mut self, values: &mut GeneralValues, value: &Value, key: &str) {
        let list: Option<Vec<u32>> = value.as_sequence().and_then(|items| {
            items
                .iter()
                .map(|v| v.as_i64().and_then(|d| u32::try_from(d).ok()))
                .collect()
        });
        match list {
            Some(d) if !d.is_empty() && d.iter().all(|&x| (1..=MAX_DISTANCE).contains(&x)) => {
                values.distances = Some(d)
            }
            _ => self.invalid(
                key,
                &format!("a list of integers from 1 to {MAX_DISTANCE}"),
                value,
            ),
        }
    }

    /// Reads `resegmentRange`: null, or a list of one or two numbers.
    fn resegment_range(&mut self, values: &mut GeneralValues, value: &Value, key: &str) {
        if value.is_null() {
            values.resegment_range = None;
            return;
        }
        let numbers: Option<Vec<f64>> = value
            .as_sequence()
            .and_then(|items| items.iter().map(Value::as_f64).collect());
        match numbers {
            Some(n) if (1..=2).contains(&n.len()) && n.iter().all(|x| x.is_finite()) => {
                values.resegment_range = Some(n)
            }
            Some(n) if n.iter().all(|x| x.is_finite()) => self.problem(
                key,
                ProblemKind::InvalidValue,
                format!(
                    "takes 1 or 2 thresholds, got {} (PyRadiomics: Length {} is not allowed for resegmentRange)",
                    n.len(),
                    n.len()
                ),
            ),
            _ => self.invalid(key, "a list of 1 or 2 numbers", value),
        }
    }

    fn invalid(&mut self, key: &str, expected: &str, value: &Value) {
        self.problem(
            key,
            ProblemKind::InvalidValue,
            format!("expected {expected}, got {}", show(value)),
        );
    }

    fn image_types(&mut self, map: &Mapping, general: &Values) -> Vec<EnabledImageType> {
        let mut out = Vec::new();
        for (name, value) in self.entries(map, "imageType") {
            let key = format!("imageType.{name}");
            let custom = match value {
                Value::Mapping(m) => self.settings(m, &key, false),
                other => {
                    self.problem(
                        &key,
                        ProblemKind::InvalidValue,
                        format!(
                            "must be a mapping of settings ({{}} for none), got {}",
                            type_name(other)
                        ),
                    );
                    Values::default()
                }
            };
            let values = general.overridden_by(&custom);
            let (force, dimension) = (general.general.force_2d, general.general.force_2d_dimension);
            if name == "Wavelet" && force == Some(true) && dimension == Some(2) {
                // PyRadiomics removes the forced axis from the wavelet's axes, [1, 0] here
                self.problem(
                    &key,
                    ProblemKind::InvalidValue,
                    "force2D across axis 2, which a 2D image lacks, makes PyRadiomics' wavelet fail (list.remove(x): x not in list); use force2Ddimension 0 or 1, or no force2D",
                );
                continue;
            }
            let image_type = match ImageKind::from_pyradiomics_name(&name) {
                Some(kind) => kind.with(&FilterOptions {
                    sigmas: values.sigma.clone().unwrap_or_default(),
                    wavelet: WaveletSettings {
                        wavelet: values.wavelet.unwrap_or_default(),
                        level: values.level.unwrap_or(1),
                        start_level: values.start_level.unwrap_or(0),
                        axis: general.general.wavelet_axis(),
                    },
                    gradient_use_spacing: values.gradient_use_spacing.unwrap_or(true),
                }),
                None if UNSUPPORTED_IMAGE_TYPES.contains(&name.as_str()) => {
                    self.problem(
                        &key,
                        ProblemKind::Unsupported,
                        "local binary pattern images are not supported",
                    );
                    continue;
                }
                None => {
                    self.problem(
                        &key,
                        ProblemKind::Unknown,
                        format!(
                            "unknown image type (expected {})",
                            ImageKind::names(ImageKind::pyradiomics_name)
                        ),
                    );
                    continue;
                }
            };
            out.push(EnabledImageType::new(image_type, values.binning()));
        }
        out
    }

    fn feature_classes(&mut self, map: &Mapping) -> Vec<FeatureClassSelection> {
        let mut out = Vec::new();
        for (name, value) in self.entries(map, "featureClass") {
            let key = format!("featureClass.{name}");
            if name == "shape" {
                // PyRadiomics' own warning, at the same place: the class is skipped
                self.warnings.push(format!(
                    "{key}: Shape features are only available 3D input (for 2D input, use shape2D). Found 2D input; the class is skipped"
                ));
                continue;
            }
            let Some(class) = FeatureClass::from_name(&name) else {
                self.problem(
                    &key,
                    ProblemKind::Unknown,
                    "unknown feature class (expected firstorder, shape2D, glcm, glrlm, glszm, \
                     gldm, ngtdm, or shape, which is skipped on 2D images)",
                );
                continue;
            };
            let features = match value {
                Value::Null => class.feature_names().to_vec(),
                Value::Sequence(items) if items.is_empty() => class.feature_names().to_vec(),
                Value::Sequence(items) => self.feature_list(class, items, &key),
                other => {
                    self.problem(
                        &key,
                        ProblemKind::InvalidValue,
                        format!(
                            "must be empty or a list of feature names, got {}",
                            type_name(other)
                        ),
                    );
                    continue;
                }
            };
            out.push(FeatureClassSelection { class, features });
        }
        out
    }

    /// The listed features of a class, in the file's order without repeats.
    fn feature_list(
        &mut self,
        class: FeatureClass,
        items: &[Value],
        key: &str,
    ) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for item in items {
            let Some(name) = item.as_str() else {
                self.invalid(key, "feature names", item);
                continue;
            };
            match class.feature_names().iter().find(|&&n| n == name) {
                Some(&known) if !out.contains(&known) => out.push(known),
                Some(_) => {}
                None if class.deprecated_names().contains(&name) => self.problem(
                    &format!("{key}.{name}"),
                    ProblemKind::Unsupported,
                    "deprecated in PyRadiomics 3.0.1, not computed",
                ),
                None => self.problem(
                    &format!("{key}.{name}"),
                    ProblemKind::Unknown,
                    format!("unknown {} feature", class.name()),
                ),
            }
        }
        out
    }
}

impl Kind {
    fn matches(self, value: &Value) -> bool {
        match self {
            Kind::Bool => value.is_bool(),
            Kind::Int => value.as_i64().is_some(),
            Kind::Float => value.as_f64().is_some(),
            Kind::Str => value.is_string(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Bool => "true or false",
            Kind::Int => "an integer",
            Kind::Float => "a number",
            Kind::Str => "a string",
        }
    }
}

/// A list of positive numbers, each remembering whether it was written as an integer.
fn sigmas(value: &Value) -> Option<Vec<Sigma>> {
    let one = |v: &Value| -> Option<Sigma> {
        let sigma = match v.as_i64() {
            Some(i) => Sigma::integer(i),
            None => Sigma::mm(v.as_f64()?),
        };
        (sigma.mm.is_finite() && sigma.mm > 0.0).then_some(sigma)
    };
    value.as_sequence()?.iter().map(one).collect()
}

/// The YAML type of a value, for messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A value in YAML flow style (`[1, 1, 0]`, `{level: 2}`), for messages.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Sequence(items) => {
            let shown: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", shown.join(", "))
        }
        Value::Mapping(map) => {
            let shown: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect();
            format!("{{{}}}", shown.join(", "))
        }
        Value::Tagged(tagged) => format!("{} {}", tagged.tag, show(&tagged.value)),
    }
}

/// The message for an unknown setting, with the known setting that differs only in case.
fn unknown_setting(name: &str) -> String {
    match SETTINGS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        Some((known, _)) => format!("unknown setting (did you mean {known}?)"),
        None => "unknown setting".to_string(),
    }
}
