//! PyRadiomics' diagnostics of an image and mask (`additionalInfo`), computed by the library
//! for every case of `tests/fixtures/settings/cases.csv`, against the entries PyRadiomics 3.0.1
//! wrote for the same files and parameter file (`<case>.diagnostics.json`, by
//! `make_settings_fixtures.py`): every `diagnostics_Image-…` and `diagnostics_Mask-…` key —
//! `original`, `interpolated` (resampling), `corrected` (correctMask) and `resegmented` — in
//! the same order, with the same Python types. Hashes, sizes, spacings, bounding boxes, counts
//! and the other texts are equal; floats (means, extremes, centres of mass) within 1e-9
//! relative, and the test reports how many are equal to the last digit. The same for the
//! columns `sonorad pyradiomics` writes.

use std::path::{Path, PathBuf};

use sonorad::diagnostics::{image_elements, mask_elements, Placement, Value};
use sonorad::extract::{case_with_diagnostics, Settings};
use sonorad::io::{read_image_file, read_mask_file, PixelSpacing};
use sonorad::params::Params;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn settings() -> PathBuf {
    fixtures().join("settings")
}

/// One row of `cases.csv` with PyRadiomics' image and mask diagnostics, if it extracted it.
struct Case {
    name: String,
    image: PathBuf,
    mask: PathBuf,
    params: PathBuf,
    spacing: Option<f64>,
    /// `[key, type, str(value)]` of the `Image-` and `Mask-` diagnostics, in order.
    expected: Vec<(String, String, String)>,
}

fn cases() -> Vec<Case> {
    let mut r = csv::Reader::from_path(settings().join("cases.csv")).unwrap();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let json = settings()
            .join("expected")
            .join(format!("{}.diagnostics.json", &rec[0]));
        let Ok(text) = std::fs::read_to_string(&json) else {
            continue; // PyRadiomics refused the case: no diagnostics
        };
        let all: Vec<(String, String, String)> = serde_json::from_str(&text).unwrap();
        let expected = all
            .into_iter()
            .filter(|(k, _, _)| {
                k.starts_with("diagnostics_Image-") || k.starts_with("diagnostics_Mask-")
            })
            .collect();
        out.push(Case {
            name: rec[0].to_string(),
            image: fixtures().join(&rec[1]),
            mask: fixtures().join(&rec[2]),
            params: settings().join("params").join(&rec[3]),
            spacing: rec[4].parse().ok(),
            expected,
        });
    }
    out
}

/// Whether a value's text equals PyRadiomics' `str()`: exactly, or for floats (alone or in a
/// tuple) within 1e-9 relative. `Some(true)`: to the last digit.
fn agrees(ours: &Value, theirs: &str) -> Option<bool> {
    let float = matches!(ours, Value::Float(_) | Value::Floats(_));
    same_text(&ours.python_str(), theirs, float)
}

/// [`agrees`] on texts: equal, or (`float`) the same count of floats within 1e-9 relative.
fn same_text(ours: &str, theirs: &str, float: bool) -> Option<bool> {
    if ours == theirs {
        return Some(true);
    }
    let floats = |s: &str| -> Vec<f64> {
        s.trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().parse::<f64>().unwrap_or(f64::NAN))
            .collect()
    };
    let (a, b) = (floats(ours), floats(theirs));
    let close = float
        && a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1e-300));
    close.then_some(false)
}

#[test]
fn image_and_mask_diagnostics_of_every_step_equal_pyradiomics() {
    let (mut compared, mut keys, mut to_the_digit) = (0, 0, 0);
    let mut prefixes = std::collections::BTreeSet::new();
    for case in cases() {
        let params = Params::read(&case.params).unwrap();
        let settings = params
            .apply(Settings {
                spacing: case.spacing,
                ..Settings::default()
            })
            .check()
            .unwrap();
        let file = read_image_file(&case.image, 0).unwrap();
        let mask = read_mask_file(&case.mask, 0, settings.label_channel).unwrap();
        let (_, ours) = case_with_diagnostics(file, &mask, &settings)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let names: Vec<&String> = ours.iter().map(|(k, _)| k).collect();
        let theirs: Vec<&String> = case.expected.iter().map(|(k, _, _)| k).collect();
        assert_eq!(names, theirs, "{}", case.name);
        for ((key, value), (_, t, v)) in ours.iter().zip(&case.expected) {
            assert_eq!(value.python_type(), t, "{}: {key}", case.name);
            match agrees(value, v) {
                Some(exact) => to_the_digit += usize::from(exact),
                None => panic!("{}: {key} is {value:?}, PyRadiomics {v}", case.name),
            }
            keys += 1;
            let step = key.split('_').nth(1).unwrap_or_default();
            prefixes.insert(step.split('-').nth(1).unwrap_or_default().to_string());
        }
        compared += 1;
    }
    println!(
        "{compared} cases, {keys} diagnostics equal PyRadiomics' ({to_the_digit} to the last digit); steps {prefixes:?}"
    );
    assert!(compared >= 30, "{compared}");
    for step in ["original", "interpolated", "resegmented", "corrected"] {
        assert!(prefixes.contains(step), "no {step} diagnostics compared");
    }
}

/// The public per-image functions (which the Python shell's `original_diagnostics` calls) on
/// the original files, against the same fixtures.
#[test]
fn original_image_and_mask_elements_equal_pyradiomics() {
    let mut compared = 0;
    for case in cases() {
        // the parameter file's label and label channel (an RGB mask's channel)
        let params = Params::read(&case.params).unwrap();
        let file = read_image_file(&case.image, 0).unwrap();
        let labels = read_mask_file(&case.mask, 0, params.label_channel).unwrap();
        let placed = |own: Option<PixelSpacing>| Placement {
            spacing: case
                .spacing
                .map(PixelSpacing::square)
                .or(own)
                .unwrap_or(PixelSpacing::square(1.0)),
            origin: [0.0, 0.0],
        };
        let mut ours = image_elements(
            &file.image,
            file.pixel_type,
            placed(file.spacing),
            "original",
        );
        ours.extend(mask_elements(
            (&labels.labels, labels.width, labels.height),
            params.label.unwrap_or(1),
            placed(labels.spacing),
            None,
            "original",
        ));
        let theirs: Vec<&(String, String, String)> = case
            .expected
            .iter()
            .filter(|(k, _, _)| k.contains("-original_"))
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{}: {ours:?}", case.name);
        for ((key, value), (k, t, v)) in ours.iter().zip(theirs) {
            assert_eq!(key, k, "{}", case.name);
            assert_eq!(value.python_type(), t, "{}: {key}", case.name);
            assert_eq!(&value.python_str(), v, "{}: {key}", case.name);
        }
        compared += 1;
    }
    assert!(compared >= 30, "{compared}");
}

/// `sonorad pyradiomics` (csv output) writes the same image and mask diagnostics, in the same
/// order among its columns, for every case it can run as PyRadiomics ran it (the cases with a
/// spacing set on the files aside: the command line has no such option).
#[test]
fn pyradiomics_command_writes_the_diagnostics_of_every_step() {
    let mut compared = 0;
    for case in cases().iter().filter(|c| c.spacing.is_none()) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
            .args(["pyradiomics", "--format", "csv", "--param"])
            .arg(&case.params)
            .arg(&case.image)
            .arg(&case.mask)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {stderr}", case.name);
        let mut reader = csv::Reader::from_reader(&output.stdout[..]);
        let header = reader.headers().unwrap().clone();
        let row = reader.records().next().unwrap().unwrap();
        let ours: Vec<(&str, &str)> = header
            .iter()
            .zip(row.iter())
            .filter(|(k, _)| {
                k.starts_with("diagnostics_Image-") || k.starts_with("diagnostics_Mask-")
            })
            .collect();
        let keys: Vec<&str> = ours.iter().map(|(k, _)| *k).collect();
        let theirs: Vec<&str> = case.expected.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, theirs, "{}", case.name);
        for ((key, value), (_, t, v)) in ours.iter().zip(&case.expected) {
            let float = t == "float64" || key.contains("CenterOfMass");
            assert!(
                same_text(value, v, float).is_some(),
                "{}: {key} is {value}, PyRadiomics {v}",
                case.name
            );
        }
        compared += 1;
    }
    assert!(compared >= 30, "{compared}");
}
