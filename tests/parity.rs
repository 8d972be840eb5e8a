//! Parity with PyRadiomics 3.0.1.
//!
//! Expected values: `tests/fixtures/reference/<case_id>.csv`, written by
//! `../shared/reference/pyradiomics_extract.py` (PyRadiomics 3.0.1, defaults otherwise) for every
//! case of `tests/fixtures/cases.csv`; `<case_id>.error.txt` holds PyRadiomics' message where it
//! refuses a case. Regenerate with `tests/fixtures/make_fixtures.py` (see its docstring and
//! `tests/fixtures/README.md`). Cases: synthetic speckle images (irregular, multi-part,
//! border-touching, with a hole, thin, large; 8- and 16-bit PNG, TIFF, BMP, RGB, RGBA, label 2,
//! spacing), edge cases (flat, 2×2, checkerboard, two levels, a line, a single pixel), 6 real BUSI
//! cases and peritumoral rings written by `sonorad extract --write-masks`.
//!
//! Every one of the 102 features must agree to 1e-9 relative (1e-12 absolute near zero), and the
//! test fails if a feature is missing on either side.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::collections::BTreeMap;
use std::path::Path;

use sonorad::discretize::Binning;
use sonorad::extract::{extract_case, load_case, CheckedSettings, EnabledImageType, Settings};
use sonorad::filters::ImageType;
use sonorad::io::read_mask;
use sonorad::matrix::cpu::CpuBackend;
use sonorad::roi::RingWidth;

const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-12;

struct Case {
    id: String,
    image: String,
    mask: String,
    settings: CheckedSettings,
    expect_error: bool,
}

fn cases() -> Vec<Case> {
    let mut r = csv::Reader::from_path(fixtures::fixtures().join("cases.csv")).unwrap();
    r.deserialize::<BTreeMap<String, String>>()
        .map(|row| {
            let row = row.unwrap();
            let get = |k: &str| row.get(k).filter(|v| !v.is_empty()).cloned();
            let binning = Binning::from_settings(
                get("bin_width").map(|w| w.parse().unwrap()),
                get("bin_count").map(|n| n.parse().unwrap()),
            );
            Case {
                id: row["case_id"].clone(),
                image: row["image"].clone(),
                mask: row["mask"].clone(),
                settings: Settings {
                    image_types: vec![EnabledImageType::new(ImageType::Original, binning)],
                    label: get("label").map(|v| v.parse().unwrap()),
                    spacing: get("spacing").map(|v| v.parse().unwrap()),
                    ..Settings::default()
                }
                .check()
                .unwrap(),
                expect_error: row["expect"] == "error",
            }
        })
        .collect()
}

fn reference(id: &str) -> BTreeMap<String, f64> {
    let path = fixtures::fixtures()
        .join("reference")
        .join(format!("{id}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fixtures::read_long(&text).into_iter().collect()
}

/// Compares a sonorad row (`<prefix>original_...`) with a reference (`original_...`).
fn compare(
    id: &str,
    ours: &[(String, f64)],
    prefix: &str,
    expected: &BTreeMap<String, f64>,
) -> Vec<String> {
    let ours: BTreeMap<String, f64> = ours
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), *v)))
        .collect();
    let mut problems = Vec::new();
    if ours.len() != 102 {
        problems.push(format!(
            "{id}: sonorad gave {} features, expected 102",
            ours.len()
        ));
    }
    for name in expected.keys().filter(|k| !ours.contains_key(*k)) {
        problems.push(format!("{id}: {name} missing from sonorad"));
    }
    for (name, &value) in &ours {
        let Some(&reference) = expected.get(name) else {
            problems.push(format!("{id}: {name} has no reference value"));
            continue;
        };
        let same = (value.is_nan() && reference.is_nan())
            || (value - reference).abs() <= (RELATIVE * reference.abs()).max(ABSOLUTE);
        if !same {
            problems.push(format!(
                "{id}: {name} sonorad {value:e}, PyRadiomics {reference:e}"
            ));
        }
    }
    problems
}

#[test]
fn every_case_matches_pyradiomics() {
    let root = fixtures::fixtures();
    let all = cases();
    assert!(all.len() >= 30, "fixture cases missing");
    let mut problems = Vec::new();
    let mut compared = 0;
    for case in &all {
        let result = extract_case(
            &root.join(&case.image),
            &root.join(&case.mask),
            &case.settings,
            &CpuBackend,
        );
        if case.expect_error {
            let message = std::fs::read_to_string(
                root.join("reference")
                    .join(format!("{}.error.txt", case.id)),
            )
            .unwrap();
            let err = result.expect_err(&case.id).to_string();
            // The same refusal as PyRadiomics, in words a user can match to its message.
            let phrase = if message.contains("single voxel") {
                "single voxel"
            } else {
                "too few dimensions"
            };
            assert!(
                message.contains(phrase) && err.contains(phrase),
                "{}: {err} vs {message}",
                case.id
            );
            continue;
        }
        let row = result.unwrap_or_else(|e| panic!("{}: {e}", case.id));
        problems.extend(compare(&case.id, &row, "tumor_", &reference(&case.id)));
        compared += 1;
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(compared >= 28);
}

/// The ring masks given to PyRadiomics are exactly the rings sonorad draws around the tumour,
/// and the ring features of a `--ring` extraction match the reference of that mask.
#[test]
fn rings_match_pyradiomics() {
    let root = fixtures::fixtures();
    // (ring case, source case, ring width)
    let rings = [
        ("ring_busi_benign_002_3mm", "busi_benign_002", "3mm"),
        ("ring_busi_malignant_001_2mm", "busi_malignant_001", "2mm"),
        ("ring_lobulated_5px", "syn_lobulated", "5px"),
        ("ring_border_7px", "syn_border", "7px"),
    ];
    let all = cases();
    let find = |id: &str| all.iter().find(|c| c.id == id).unwrap();
    let mut problems = Vec::new();
    for (ring_id, source_id, width) in rings {
        let (ring, source) = (find(ring_id), find(source_id));
        let width: RingWidth = width.parse().unwrap();
        let settings = Settings {
            rings: vec![width],
            ..ring.settings.clone().settings()
        }
        .check()
        .unwrap();
        let (image, mask) = (root.join(&source.image), root.join(&source.mask));
        let loaded = load_case(&image, &mask, &settings).unwrap();
        let drawn = loaded.regions[1].to_full_mask(loaded.image.width, loaded.image.height);
        let committed: Vec<bool> = read_mask(&root.join(&ring.mask), 0)
            .unwrap()
            .labels
            .iter()
            .map(|&v| v != 0)
            .collect();
        assert_eq!(
            drawn, committed,
            "{ring_id}: ring differs from the committed mask"
        );
        let row = extract_case(&image, &mask, &settings, &CpuBackend).unwrap();
        let prefix = format!("{}_", width.region_name());
        problems.extend(compare(ring_id, &row, &prefix, &reference(ring_id)));
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The bundled BUSI cases are real ultrasound images: check the image really is what the
/// fixture README cites (size of the first case).
#[test]
fn bundled_busi_sample_is_present() {
    let manifest = fixtures::fixtures().join("busi/manifest.csv");
    let cases = sonorad::io::read_manifest(&manifest, "case_id").unwrap();
    assert_eq!(cases.len(), 6);
    assert!(Path::new(&cases[0].image).exists());
}
