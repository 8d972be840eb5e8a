//! `sonorad demo`: the whole chain on a generated cohort, from images to the report.
//!
//! 1. [`crate::synth::write_cohort`]: speckle images with lesions whose texture, and the
//!    clinical variables `age` and `lvi`, relate to the outcome; the generated textures
//!    separate the classes perfectly, so 15% of the outcomes are flipped at random (label
//!    noise, stated in the report) to give models that are good but not perfect;
//! 2. extraction ([`crate::archive::run`]): tumour and a 3 mm ring at 0.1 mm per pixel;
//! 3. the statistics stage ([`crate::train::run`]);
//! 4. a texture map of the first case's tumour and ring ([`crate::maps`], written by
//!    [`super::map`] into `maps/`), which the report shows;
//! 5. the clinical and combined models and the report ([`crate::report::run`]), with `age` and `lvi`
//!    read from the feature table (the manifest's pass-through columns).

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::map::Formats;
use crate::archive::{self, ArchiveOptions, Progress};
use crate::clinical::ClinicalOptions;
use crate::extract::{CheckedSettings, Settings};
use crate::io::{read_manifest_table, ManifestRow};
use crate::maps::KernelSettings;
use crate::matrix::cpu::CpuBackend;
use crate::params::FeatureClassSelection;
use crate::report::error::{ReportError, ReportResult};
use crate::report::{self, MapsShown, ReportOptions};
use crate::roi::RingWidth;
use crate::train::{self, StudyConfig, TrainOptions};

/// Settings of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Generated cases.
    pub cases: usize,
    /// Image side in pixels.
    pub size: usize,
    /// Seed of the cohort and the study.
    pub seed: u64,
}

impl DemoOptions {
    /// 160 cases of 128² pixels, seed 42.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        DemoOptions {
            out: out.into(),
            cases: 160,
            size: 128,
            seed: 42,
        }
    }
}

/// Share of outcomes flipped at random.
pub const LABEL_NOISE: f64 = 0.15;

/// Flip each case's `outcome` in the manifest with probability `share`; returns how many.
fn add_label_noise(manifest: &Path, share: f64, seed: u64) -> ReportResult<usize> {
    let read_error = |e: &dyn std::fmt::Display| ReportError::Read {
        path: manifest.into(),
        message: e.to_string(),
    };
    let text = std::fs::read_to_string(manifest).map_err(|e| read_error(&e))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| read_error(&"empty manifest"))?;
    let column = header
        .split(',')
        .position(|h| h == "outcome")
        .ok_or_else(|| read_error(&"missing column 'outcome'"))?;
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(7));
    let mut flipped = 0;
    let mut out = String::from(header) + "\n";
    for line in lines {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        if rng.gen::<f64>() < share {
            if let Some(cell) = cells.get_mut(column) {
                *cell = if cell == "1" { "0".into() } else { "1".into() };
                flipped += 1;
            }
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(manifest, out).map_err(|e| ReportError::Write {
        path: manifest.into(),
        message: e.to_string(),
    })?;
    Ok(flipped)
}

/// The feature the demo maps.
const DEMO_MAP_FEATURE: &str = "glcm_JointEntropy";

/// Maps [`DEMO_MAP_FEATURE`] over the first case's tumour and ring (kernel radius 2) into
/// `out/maps/<case id>/` (NIfTI and PNG), for the report.
fn demo_maps(
    cases: &[ManifestRow],
    settings: &CheckedSettings,
    out: &Path,
) -> ReportResult<Option<MapsShown>> {
    let Some(case) = cases.first() else {
        return Ok(None);
    };
    let mut selected = settings.clone().settings();
    selected.feature_classes = Some(
        FeatureClassSelection::parse_list(DEMO_MAP_FEATURE)
            .map_err(|e| ReportError::Extract(crate::Error::Setting(e)))?,
    );
    let selected = selected.check()?;
    let kernel = KernelSettings {
        radius: 2,
        ..KernelSettings::default()
    };
    let id = crate::io::manifest::file_name_of_id(&case.id);
    let dir = out.join("maps").join(&id);
    let formats = Formats {
        tiff: false,
        ..Formats::default()
    };
    super::map::map_case(
        case,
        &selected,
        kernel,
        crate::maps::MapDevices::default(),
        (&dir, formats),
    )?;
    let images = ["tumor", "ring3mm"]
        .iter()
        .map(|region| {
            let name = format!("{region}_original_{DEMO_MAP_FEATURE}");
            (dir.join(format!("{name}.png")), name)
        })
        .collect();
    Ok(Some(MapsShown {
        description: format!(
            "GLCM joint entropy of case {} from the 5x5 kernel around each pixel (sonorad map,              PyRadiomics' voxel-based extraction), in the tumour and in its 3 mm ring: where              the texture is disordered. NIfTI files of both maps are in maps/{id}/.",
            case.id
        ),
        images,
    }))
}

/// Run the demo; returns the path of `report.html`.
pub fn run(options: &DemoOptions) -> ReportResult<PathBuf> {
    let cohort = options.out.join("cohort");
    let manifest_path =
        crate::synth::write_cohort(&cohort, options.cases, options.size, options.seed)?;
    let flipped = add_label_noise(&manifest_path, LABEL_NOISE, options.seed)?;
    let manifest = read_manifest_table(&manifest_path, "case_id")?;
    // tumour + 3 mm ring at 0.1 mm per pixel
    let settings = Settings {
        spacing: Some(0.1),
        rings: vec![RingWidth::Millimetres(3.0)],
        ..Settings::default()
    }
    .check()?;
    let features = options.out.join("features.csv");
    let mut archive_options = ArchiveOptions::new(&features);
    archive_options.force = true;
    archive_options.progress = Progress::Quiet;
    archive::run(&manifest, &settings, &CpuBackend, &archive_options)?;
    let maps = demo_maps(&manifest.cases, &settings, &options.out)?;
    let train_options = TrainOptions {
        features: features.clone(),
        outcome: "outcome".into(),
        split_column: None,
        icc_features: None,
        config: StudyConfig {
            seed: options.seed,
            ..StudyConfig::default()
        },
        out: options.out.clone(),
    };
    let trained = train::run(&train_options)?;
    report::run(
        &trained,
        &train_options,
        &ReportOptions {
            clinical: Some(features),
            clinical_options: ClinicalOptions {
                seed: options.seed,
                ..ClinicalOptions::default()
            },
            notes: vec![format!(
                "Demo: {} generated cases (sonorad::synth, seed {}); age and lvi are generated \
                 clinical variables related to the outcome. The generated textures separate the \
                 classes perfectly, so the outcome of {flipped} case(s) ({:.0}% at random) was \
                 flipped as label noise.",
                options.cases,
                options.seed,
                100.0 * LABEL_NOISE
            )],
            maps,
        },
    )?;
    Ok(options.out.join("report.html"))
}
