//! PyRadiomics parameter files: a study-style file parses into image types, feature classes and
//! settings; unknown and unsupported keys are refused with their names.
//!
//! The key names, defaults and merge rules are those of PyRadiomics 3.0.1
//! (`radiomics/schemas/paramSchema.yaml`, `RadiomicsFeatureExtractor._applyParams` and
//! `execute`: image-type settings override `setting`; no image type means Original only; no
//! feature class means all of them; an empty feature list means all features).

use std::path::Path;

use sonorad::discretize::Binning;
use sonorad::filters::{ImageType, Sigma, Wavelet, WaveletSettings};
use sonorad::params::{FeatureClass, Params, ParamsError, Problem, ProblemKind};

fn parse(text: &str) -> Result<Params, ParamsError> {
    Params::parse(text, "test.yaml")
}

/// The problems of a refused file.
fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Err(ParamsError::Invalid { problems, .. }) => problems,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The single problem of a refused file.
fn problem(text: &str) -> Problem {
    let mut all = problems(text);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn study_file_parses() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/filters/params_busi_study.yaml");
    let params = Params::read(&path).unwrap();
    assert_eq!(params.binning, Binning::Width(25.0));
    assert_eq!(params.label, Some(1));

    let types: Vec<(&ImageType, Binning)> = params
        .image_types
        .iter()
        .map(|t| (&t.image_type, t.binning))
        .collect();
    assert_eq!(
        types,
        [
            (&ImageType::Original, Binning::Width(25.0)),
            (
                &ImageType::LoG {
                    sigmas: vec![Sigma::mm(1.0), Sigma::mm(2.0), Sigma::mm(3.0)]
                },
                Binning::Width(25.0)
            ),
            (
                &ImageType::Wavelet(WaveletSettings::default()),
                Binning::Width(25.0)
            ),
            // The image type's own bin width overrides the general one.
            (
                &ImageType::Gradient { use_spacing: true },
                Binning::Width(5.0)
            ),
        ]
    );
    let ImageType::LoG { sigmas } = &params.image_types[1].image_type else {
        panic!("LoG expected");
    };
    let names: Vec<String> = sigmas.iter().map(Sigma::image_type_name).collect();
    assert_eq!(
        names,
        [
            "log-sigma-1-0-mm-3D",
            "log-sigma-2-0-mm-3D",
            "log-sigma-3-0-mm-3D"
        ]
    );

    let classes: Vec<(FeatureClass, usize)> = params
        .feature_classes
        .iter()
        .map(|c| (c.class, c.features.len()))
        .collect();
    assert_eq!(
        classes,
        [
            (FeatureClass::Shape2D, 9),
            (FeatureClass::FirstOrder, 18),
            (FeatureClass::Glcm, 22),
            (FeatureClass::Glrlm, 16),
            (FeatureClass::Glszm, 16),
            (FeatureClass::Gldm, 14),
            (FeatureClass::Ngtdm, 5),
        ]
    );
    let glcm = &params.feature_classes[2].features;
    assert_eq!(glcm[0], "Autocorrelation");
    assert!(!glcm.contains(&"SumAverage"));
}

#[test]
fn empty_file_means_pyradiomics_defaults() {
    for text in ["", "{}", "imageType: {}\nfeatureClass: {}\nsetting: {}\n"] {
        let params = parse(text).unwrap();
        assert_eq!(params.image_types.len(), 1);
        assert_eq!(params.image_types[0].image_type, ImageType::Original);
        assert_eq!(params.binning, Binning::Width(25.0));
        assert_eq!(params.label, None);
        let all: usize = params
            .feature_classes
            .iter()
            .map(|c| c.features.len())
            .sum();
        assert_eq!(all, 102);
    }
}

#[test]
fn settings_merge_and_override_as_in_pyradiomics() {
    let params = parse(
        "setting:\n  binWidth: 10\n  binCount: 32\n  sigma: [1, 2.5]\n  wavelet: db2\n\
         imageType:\n  LoG: {}\n  Wavelet: {level: 2, start_level: 1, binWidth: 3}\n  \
         Gradient: {gradientUseSpacing: false}\n  Square: {}\n  SquareRoot: {}\n  \
         Logarithm: {}\n  Exponential: {}\n",
    )
    .unwrap();
    // binCount wins over binWidth, also over an image type's own bin width.
    assert!(params
        .image_types
        .iter()
        .all(|t| t.binning == Binning::Count(32)));
    let types: Vec<&ImageType> = params.image_types.iter().map(|t| &t.image_type).collect();
    assert_eq!(
        types,
        [
            &ImageType::LoG {
                sigmas: vec![Sigma::integer(1), Sigma::mm(2.5)]
            },
            &ImageType::Wavelet(WaveletSettings {
                wavelet: Wavelet::from_name("db2").unwrap(),
                level: 2,
                start_level: 1,
                axis: None,
            }),
            &ImageType::Gradient { use_spacing: false },
            &ImageType::Square,
            &ImageType::SquareRoot,
            &ImageType::Logarithm,
            &ImageType::Exponential,
        ]
    );
    // An integer sigma keeps PyRadiomics' integer name.
    assert_eq!(Sigma::integer(1).image_type_name(), "log-sigma-1-mm-3D");
}

#[test]
fn unknown_setting_is_refused_with_its_name() {
    let p = problem("setting:\n  binwidth: 10\n");
    assert_eq!(p.key, "setting.binwidth");
    assert_eq!(p.kind, ProblemKind::Unknown);
    let message = parse("setting:\n  binwidth: 10\n").unwrap_err().to_string();
    assert!(message.contains("test.yaml"), "{message}");
    assert!(message.contains("setting.binwidth"), "{message}");
    assert!(message.contains("did you mean binWidth"), "{message}");
}

#[test]
fn unknown_keys_everywhere_are_named() {
    let cases = [
        ("settings:\n  binWidth: 5\n", "settings"),
        ("imageType:\n  Laplacian: {}\n", "imageType.Laplacian"),
        (
            "imageType:\n  LoG: {sigmas: [1.0]}\n",
            "imageType.LoG.sigmas",
        ),
        ("featureClass:\n  texture:\n", "featureClass.texture"),
        (
            "featureClass:\n  glcm: [Contrast, Contrastt]\n",
            "featureClass.glcm.Contrastt",
        ),
    ];
    for (text, key) in cases {
        let p = problem(text);
        assert_eq!(p.key, key, "{text}");
        assert_eq!(p.kind, ProblemKind::Unknown, "{text}");
        assert!(parse(text).unwrap_err().to_string().contains(key));
    }
}

#[test]
fn unsupported_keys_are_named_with_the_reason() {
    let cases = [
        ("imageType:\n  LBP2D: {}\n", "imageType.LBP2D"),
        ("featureClass:\n  shape:\n", "featureClass"),
        (
            "featureClass:\n  glcm: [SumVariance]\n",
            "featureClass.glcm.SumVariance",
        ),
        (
            "imageType:\n  LoG: {force2D: true}\n",
            "imageType.LoG.force2D",
        ),
        (
            "imageType:\n  Wavelet: {gldm_a: 2}\n",
            "imageType.Wavelet.gldm_a",
        ),
        (
            "imageType:\n  LoG: {voxelArrayShift: 1000}\n",
            "imageType.LoG.voxelArrayShift",
        ),
        (
            "imageType:\n  Wavelet: {label: 2}\n",
            "imageType.Wavelet.label",
        ),
    ];
    for (text, key) in cases {
        let p = problem(text);
        assert_eq!(p.key, key, "{text}");
        assert_eq!(p.kind, ProblemKind::Unsupported, "{text}");
    }
    // Defaults and settings without effect are accepted.
    parse(
        "setting:\n  normalize: false\n  distances: [1]\n  symmetricalGLCM: true\n  \
         interpolator: sitkBSpline\n  padDistance: 10\n  geometryTolerance: 0.0001\n  \
         force2D: false\n  force2Ddimension: 1\n",
    )
    .unwrap();
}

#[test]
fn invalid_values_are_refused() {
    let cases = [
        "setting:\n  binWidth: -5\n",
        "setting:\n  binCount: 2.5\n",
        "setting:\n  label: 0\n",
        "imageType:\n  LoG: {sigma: [1.0, 0]}\n",
        "imageType:\n  LoG: {sigma: 1.0}\n",
        "imageType:\n  Wavelet: {wavelet: coif9}\n",
        "imageType:\n  Wavelet: {level: 0}\n",
        "imageType:\n  Original:\n",
        "setting:\n  additionalInfo: 3\n",
        "featureClass:\n  glcm: Contrast\n",
        "setting:\n  normalizeScale: 0\n",
        "setting:\n  normalizeScale: .nan\n",
        "setting:\n  removeOutliers: -1\n",
        "setting:\n  resegmentRange: [1, 2, 3]\n",
        "setting:\n  resegmentRange: []\n",
        "setting:\n  resegmentRange: [.inf]\n",
        "setting:\n  resegmentMode: percent\n",
        "setting:\n  minimumROIDimensions: 4\n",
        "setting:\n  minimumROISize: 0\n",
        "setting:\n  weightingNorm: cosine\n",
        "setting:\n  voxelArrayShift: 1.5\n",
        "setting:\n  force2Ddimension: 3\n",
        "setting:\n  symmetricalGLCM: 1\n",
        "setting:\n  distances: [0]\n",
        "setting:\n  distances: []\n",
        "setting:\n  distances: [65]\n",
        "setting:\n  distances: 1\n",
        "setting:\n  gldm_a: -1\n",
    ];
    for text in cases {
        assert_eq!(problem(text).kind, ProblemKind::InvalidValue, "{text}");
    }
    assert!(problem("imageType:\n  Wavelet: {wavelet: coif9}\n")
        .reason
        .contains("coif9"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let all = problems(
        "setting:\n  binwidth: 10\n  label_channel: -2\nimageType:\n  LBP3D: {}\n\
         featureClass:\n  shape:\nextra: 1\n",
    );
    let keys: Vec<&str> = all.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "setting.binwidth",
            "setting.label_channel",
            "imageType.LBP3D",
            "featureClass",
            "extra"
        ]
    );
}

#[test]
fn unreadable_files_are_errors() {
    assert!(matches!(
        Params::read(Path::new("/nonexistent/params.yaml")),
        Err(ParamsError::Read { .. })
    ));
    assert!(matches!(
        parse("setting: [unclosed"),
        Err(ParamsError::Yaml { .. })
    ));
    assert!(matches!(parse("- a list"), Err(ParamsError::Yaml { .. })));
}

/// The voxelSetting section sets the texture maps' kernels; a wrong value or an unknown key is
/// refused, naming the key.
#[test]
fn voxel_settings_are_read_for_texture_maps() {
    let p = parse("voxelSetting:\n  kernelRadius: 2\n  maskedKernel: false\n  initValue: .nan\n  voxelBatch: 1000\n").unwrap();
    assert_eq!(p.voxel.kernel_radius, Some(2));
    assert_eq!(p.voxel.masked_kernel, Some(false));
    assert!(p.voxel.init_value.unwrap().is_nan());
    let defaults = parse("setting:\n  binWidth: 10\n").unwrap();
    assert_eq!(defaults.voxel, sonorad::params::VoxelSetting::default());
    let p = problem("voxelSetting:\n  kernelRadius: 0\n");
    assert_eq!(
        (p.key.as_str(), p.kind),
        ("voxelSetting.kernelRadius", ProblemKind::InvalidValue)
    );
    let p = problem("voxelSetting:\n  kernelSize: 3\n");
    assert_eq!(
        (p.key.as_str(), p.kind),
        ("voxelSetting.kernelSize", ProblemKind::Unknown)
    );
}

#[test]
fn pre_processing_and_formula_settings_are_read() {
    use sonorad::features::WeightingNorm;
    use sonorad::preprocess::{Normalization, ResegmentMode, Resegmentation};
    let params = parse(
        "setting:\n  normalize: true\n  normalizeScale: 100\n  removeOutliers: 3\n  \
         resegmentRange: [300, -50]\n  resegmentMode: sigma\n  resegmentShape: true\n  \
         minimumROIDimensions: 1\n  minimumROISize: 20\n  symmetricalGLCM: false\n  \
         weightingNorm: infinity\n  voxelArrayShift: 300\n  force2D: true\n  \
         force2Ddimension: 2\n",
    )
    .unwrap();
    assert_eq!(
        params.preprocessing.normalize,
        Some(Normalization {
            scale: 100.0,
            remove_outliers: Some(3.0)
        })
    );
    assert_eq!(
        params.preprocessing.resegment,
        Some(Resegmentation {
            range: (-50.0, Some(300.0)),
            mode: ResegmentMode::Sigma,
            shape: true
        })
    );
    assert_eq!(params.preprocessing.roi.minimum_dimensions, 1);
    assert_eq!(params.preprocessing.roi.minimum_size, Some(20));
    assert!(!params.formulas.symmetrical_glcm);
    assert_eq!(
        params.formulas.weighting_norm,
        Some(WeightingNorm::Infinity)
    );
    assert_eq!(params.formulas.voxel_array_shift, 300.0);
    // force2D across axis 2, which a 2D image lacks, fixes no axis
    assert_eq!(
        params.neighbourhood,
        sonorad::matrix::Neighbourhood::default()
    );
    let rows = parse("setting:\n  force2D: true\n  distances: [2, 1]\n  gldm_a: 3\n").unwrap();
    assert_eq!(
        rows.neighbourhood,
        sonorad::matrix::Neighbourhood {
            distances: vec![2, 1],
            fixed_axis: Some(0),
            gldm_alpha: 3
        }
    );
    assert!(params.warnings.is_empty(), "{:?}", params.warnings);
    // scale and outliers do nothing without normalize, as in PyRadiomics
    let off = parse("setting:\n  normalizeScale: 100\n  removeOutliers: 3\n").unwrap();
    assert_eq!(off.preprocessing.normalize, None);
}

#[test]
fn resampling_settings_are_read_as_pyradiomics_reads_them() {
    use sonorad::preprocess::Resampling;
    use sonorad::resample::Interpolator;
    // interpolator defaults to B-spline, padDistance to 5
    let p = parse("setting:\n  resampledPixelSpacing: [2, 0.5]\n").unwrap();
    assert_eq!(
        p.preprocessing.resample,
        Some(Resampling {
            spacing: [2.0, 0.5],
            interpolator: Interpolator::BSpline,
            pad_distance: 5
        })
    );
    // SimpleITK's numbers and names
    let p =
        parse("setting:\n  resampledPixelSpacing: [1, 1]\n  interpolator: 2\n  padDistance: 0\n")
            .unwrap();
    let r = p.preprocessing.resample.unwrap();
    assert_eq!((r.interpolator, r.pad_distance), (Interpolator::Linear, 0));
    // a null interpolator or spacing turns resampling off, as in PyRadiomics
    for text in [
        "setting:\n  resampledPixelSpacing: [2, 2]\n  interpolator:\n",
        "setting:\n  resampledPixelSpacing:\n  interpolator: sitkLinear\n",
    ] {
        assert_eq!(parse(text).unwrap().preprocessing.resample, None, "{text}");
    }
    // a 3D spacing on a 2D image, and interpolators sonorad does not reproduce, by name
    let p = problem("setting:\n  resampledPixelSpacing: [2, 2, 0]\n");
    assert_eq!(p.key, "setting.resampledPixelSpacing");
    assert!(
        p.reason.contains("Wrong dimensionality (3-D)"),
        "{}",
        p.reason
    );
    let p = problem("setting:\n  resampledPixelSpacing: [2, 2]\n  interpolator: sitkGaussian\n");
    assert_eq!(p.kind, ProblemKind::Unsupported);
    assert!(
        p.reason.contains("sitkGaussian") && p.reason.contains("sitkBSpline"),
        "{}",
        p.reason
    );
    assert_eq!(
        problem("setting:\n  interpolator: 11\n").kind,
        ProblemKind::InvalidValue
    );
    // force2D across the axis a 2D image lacks breaks PyRadiomics' wavelet
    let p =
        problem("imageType:\n  Wavelet: {}\nsetting:\n  force2D: true\n  force2Ddimension: 2\n");
    assert_eq!(p.key, "imageType.Wavelet");
}

#[test]
fn mask_alignment_settings_are_read_from_setting_only() {
    use sonorad::alignment::{MaskAlignment, DEFAULT_TOLERANCE};
    let defaults = parse("setting:\n  binWidth: 10\n").unwrap();
    assert_eq!(defaults.preprocessing.alignment, MaskAlignment::default());
    assert_eq!(MaskAlignment::default().tolerance, DEFAULT_TOLERANCE);
    let p = parse("setting:\n  correctMask: true\n  geometryTolerance: 1.0e-3\n").unwrap();
    assert_eq!(
        p.preprocessing.alignment,
        MaskAlignment {
            correct: true,
            tolerance: 1e-3
        }
    );
    let p = problem("setting:\n  geometryTolerance: loose\n");
    assert_eq!(p.key, "setting.geometryTolerance");
    assert_eq!(
        problem("setting:\n  correctMask: 2\n").key,
        "setting.correctMask"
    );
    // PyRadiomics reads both in execute, from its settings: under an image type, no effect
    let p = parse("imageType:\n  Original: {correctMask: true}\n").unwrap();
    assert!(!p.preprocessing.alignment.correct);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
}

#[test]
fn label_channel_is_read_from_setting_only() {
    use sonorad::extract::Settings;
    assert_eq!(
        parse("setting:\n  binWidth: 10\n").unwrap().label_channel,
        0
    );
    let p = parse("setting:\n  label_channel: 2\n").unwrap();
    assert_eq!(p.label_channel, 2);
    assert_eq!(p.apply(Settings::default()).label_channel, 2);
    for bad in ["-1", "1.5", "red", "[1]"] {
        let p = problem(&format!("setting:\n  label_channel: {bad}\n"));
        assert_eq!(p.key, "setting.label_channel", "{bad}");
        assert_eq!(p.kind, ProblemKind::InvalidValue, "{bad}");
        assert!(p.reason.contains("an integer >= 0"), "{bad}: {}", p.reason);
    }
    // PyRadiomics reads it when it loads the mask, from its settings: under an image type, no
    // effect (a warning says so)
    let p = parse("imageType:\n  Original: {label_channel: 1}\n").unwrap();
    assert_eq!(p.label_channel, 0);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
}

#[test]
fn pyradiomics_warnings_are_kept_and_the_run_goes_on() {
    // the 3D shape class on a 2D image: skipped with PyRadiomics' warning
    let params = parse("featureClass:\n  shape:\n  glcm:\n").unwrap();
    let classes: Vec<&str> = params
        .feature_classes
        .iter()
        .map(|c| c.class.name())
        .collect();
    assert_eq!(classes, ["glcm"]);
    assert_eq!(params.warnings.len(), 1);
    assert!(params.warnings[0].contains("Shape features are only available 3D input"));
    // a load-time setting under an image type changes nothing in PyRadiomics: said, not hidden
    let params = parse("imageType:\n  LoG: {sigma: [1.0], normalize: true}\n").unwrap();
    assert_eq!(params.preprocessing.normalize, None);
    assert_eq!(
        params.warnings,
        ["imageType.LoG.normalize: PyRadiomics reads normalize only under setting, so it has no effect here (as in PyRadiomics)"]
    );
}
