//! PyRadiomics 3.0.1's parameter-file settings through `sonorad extract --params`, against
//! PyRadiomics run on the same files with the same parameter file.
//!
//! Expected values: `tests/fixtures/settings/expected/`, written by
//! `tests/fixtures/settings/make_settings_fixtures.py` (see its docstring): one case per row of
//! `tests/fixtures/settings/cases.csv`, the parameter files in `tests/fixtures/settings/params/`.
//! They cover normalisation (`normalize`, `normalizeScale`, `removeOutliers`) with filtered
//! images, `voxelArrayShift`, resegmentation in its three modes with and without
//! `resegmentShape`, `symmetricalGLCM`, every `weightingNorm` (at 1 mm and 0.3 mm pixels),
//! `force2D`, the 3D `shape` class on a 2D image, `minimumROIDimensions`/`minimumROISize`, and
//! masks that do not lie on their image's pixels (another size, another spacing) with and
//! without `correctMask` and `geometryTolerance`, and `label_channel` on an RGB mask whose
//! channels hold other regions (channels 0, 1 and 2, one out of range) and on a one-channel
//! mask (ignored).
//!
//! Every feature must be within 1e-9 relative (1e-12 absolute near zero), the same features on
//! both sides; where PyRadiomics refuses a case, sonorad must refuse it too, naming the mask;
//! where PyRadiomics warns about the parameter file, sonorad must warn the same.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "common/fixtures.rs"]
mod fixtures;

fn settings_fixtures() -> PathBuf {
    fixtures::fixtures().join("settings")
}

/// One row of `cases.csv`.
struct Case {
    name: String,
    image: PathBuf,
    mask: PathBuf,
    params: PathBuf,
    spacing: Option<String>,
}

fn cases() -> Vec<Case> {
    let root = settings_fixtures();
    let fixtures = root.parent().unwrap().to_path_buf();
    let mut r = csv::Reader::from_path(root.join("cases.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            Case {
                name: rec[0].to_string(),
                image: fixtures.join(&rec[1]),
                mask: fixtures.join(&rec[2]),
                params: root.join("params").join(&rec[3]),
                spacing: (!rec[4].is_empty()).then(|| rec[4].to_string()),
            }
        })
        .collect()
}

fn extract(case: &Case) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sonorad"));
    command
        .args(["extract", "--backend", "cpu", "--params"])
        .arg(&case.params)
        .arg("--image")
        .arg(&case.image)
        .arg("--mask")
        .arg(&case.mask);
    if let Some(s) = &case.spacing {
        command.args(["--spacing", s]);
    }
    command.output().unwrap()
}

fn expected(case: &Case) -> BTreeMap<String, f64> {
    let path = settings_fixtures()
        .join("expected")
        .join(format!("{}.csv", case.name));
    fixtures::read_long(&std::fs::read_to_string(path).unwrap())
        .into_iter()
        .collect()
}

fn ours(output: &Output) -> BTreeMap<String, f64> {
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let (name, value) = line.split_once(',').unwrap();
            let name = name.strip_prefix("tumor_").unwrap().to_string();
            (name, value.parse().unwrap())
        })
        .collect()
}

fn relative(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        0.0
    } else if b.abs() < 1e-12 {
        (a - b).abs() / 1e-12 * 1e-9
    } else {
        (a - b).abs() / b.abs()
    }
}

/// The features of a case PyRadiomics extracts: all of them within 1e-9.
fn check_features(case: &Case, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", case.name);
    let (expected, ours) = (expected(case), ours(output));
    let missing: Vec<&String> = expected.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<&String> = ours.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{}: sonorad lacks {missing:?}",
        case.name
    );
    assert!(
        extra.is_empty(),
        "{}: PyRadiomics lacks {extra:?}",
        case.name
    );
    let worst = expected
        .iter()
        .map(|(k, &v)| (k, relative(ours[k], v)))
        .fold(("", 0.0f64), |w, (k, d)| if d > w.1 { (k, d) } else { w });
    println!(
        "{}: {} features, worst {:.2e} ({})",
        case.name,
        expected.len(),
        worst.1,
        worst.0
    );
    let bad: Vec<String> = expected
        .iter()
        .filter(|(k, &v)| relative(ours[*k], v) > 1e-9)
        .map(|(k, &v)| format!("{k}: sonorad {} PyRadiomics {v}", ours[k]))
        .collect();
    assert!(bad.is_empty(), "{}: {bad:#?}", case.name);
}

/// A case PyRadiomics refuses: sonorad fails it, naming the mask, with PyRadiomics' reason.
fn check_refusal(case: &Case, output: &Output, pyradiomics: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}: accepted", case.name);
    assert!(
        stderr.contains(case.mask.file_name().unwrap().to_str().unwrap()),
        "{}: {stderr}",
        case.name
    );
    let reason = if pyradiomics.starts_with("Resegmentation excluded too many voxels") {
        "keeps 0 pixel(s) after resegmentation"
    } else if pyradiomics.starts_with("Size of the ROI is too small") {
        "Size of the ROI is too small"
    } else if pyradiomics.starts_with("mask has too few dimensions") {
        "mask has too few dimensions"
    } else if pyradiomics.contains("which does not match the primary input's size") {
        "mask is 580x490 but image"
    } else if pyradiomics.starts_with("Image/Mask geometry mismatch") {
        "Image/Mask geometry mismatch"
    } else if pyradiomics.starts_with("Bounding box of ROI is larger than image space") {
        "Bounding box of ROI is larger than image space"
    } else if pyradiomics.contains("requested, but segmentation object only contains") {
        "requested, but the mask has only"
    } else {
        panic!(
            "{}: no sonorad reason for PyRadiomics' '{pyradiomics}'",
            case.name
        )
    };
    assert!(stderr.contains(reason), "{}: {stderr}", case.name);
    println!("{}: refused as PyRadiomics refuses it", case.name);
}

/// PyRadiomics' warnings about the parameter file appear on sonorad's stderr; its warnings
/// about formulas computed (Sum Average of a symmetrical GLCM, ...) are not parameter-file
/// warnings and are left out.
fn check_warnings(case: &Case, output: &Output) {
    let path = settings_fixtures()
        .join("expected")
        .join(format!("{}.warnings.txt", case.name));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for warning in text
        .lines()
        .filter(|w| w.starts_with("Shape features are only"))
    {
        assert!(stderr.contains(warning), "{}: {stderr}", case.name);
    }
}

#[test]
fn parameter_file_settings_give_pyradiomics_values() {
    let cases = cases();
    assert!(cases.len() >= 18, "{} cases", cases.len());
    for case in &cases {
        let output = extract(case);
        let error = settings_fixtures()
            .join("expected")
            .join(format!("{}.error.txt", case.name));
        match std::fs::read_to_string(&error) {
            Ok(reason) => check_refusal(case, &output, reason.trim()),
            Err(_) => check_features(case, &output),
        }
        check_warnings(case, &output);
    }
}

/// Runs `sonorad extract` on the lobulated case with a parameter file of `text`, returning
/// its status, stderr and how long it took.
fn extract_with(text: &str) -> (bool, String, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.yaml");
    std::fs::write(&params, text).unwrap();
    let fixtures = settings_fixtures().parent().unwrap().to_path_buf();
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(["extract", "--backend", "cpu", "--params"])
        .arg(&params)
        .arg("--image")
        .arg(fixtures.join("synthetic/syn_lobulated.png"))
        .arg("--mask")
        .arg(fixtures.join("synthetic/syn_lobulated_mask.png"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.success(), stderr, start.elapsed())
}

/// The new settings at their extremes: each is a clear error naming the setting or the image,
/// or a run in bounded time, never a panic or a hang.
#[test]
fn hostile_setting_values_are_refused_or_bounded() {
    let refused = [
        (
            "resampledPixelSpacing: [1.0e-9, 1.0e-9]",
            "exceeds the limit",
        ),
        (
            "resampledPixelSpacing: [.nan, 1]",
            "setting.resampledPixelSpacing",
        ),
        (
            "resampledPixelSpacing: [-1, 1]",
            "setting.resampledPixelSpacing",
        ),
        ("resampledPixelSpacing: [1.0e308, 1]", ""),
        ("padDistance: -1", "setting.padDistance"),
        ("distances: [100000]", "setting.distances"),
        ("distances: [0]", "setting.distances"),
        (
            "normalize: true\n  normalizeScale: 1.0e308",
            "only finite values can be binned",
        ),
        ("normalizeScale: -1", "setting.normalizeScale"),
        ("removeOutliers: .nan", "setting.removeOutliers"),
        ("resegmentRange: [.nan]", "setting.resegmentRange"),
        ("resegmentRange: [1.0e308]", "keeps 0 pixel(s)"),
        (
            "minimumROISize: 99999999999999999",
            "Size of the ROI is too small",
        ),
        ("gldm_a: 99999999999", "setting.gldm_a"),
        ("voxelArrayShift: 1.0e308", "setting.voxelArrayShift"),
    ];
    for (setting, message) in refused {
        let (ok, stderr, took) = extract_with(&format!("setting:\n  {setting}\n"));
        assert!(took.as_secs() < 30, "{setting}: {took:?}");
        assert!(!stderr.contains("panicked"), "{setting}: {stderr}");
        if message.is_empty() {
            // a spacing coarser than the image: one pixel left, refused as PyRadiomics refuses it
            assert!(!ok, "{setting}: accepted");
            continue;
        }
        assert!(!ok, "{setting}: accepted");
        assert!(stderr.contains(message), "{setting}: {stderr}");
    }
    let bounded = [
        "preCrop: true\n  padDistance: 99999999999999999",
        "resampledPixelSpacing: [2, 2]\n  padDistance: 99999999999999999",
        "distances: [64, 1, 64]",
        "gldm_a: 4000000000",
        "voxelArrayShift: -9223372036854775808",
    ];
    for setting in bounded {
        let (ok, stderr, took) = extract_with(&format!("setting:\n  {setting}\n"));
        assert!(ok, "{setting}: {stderr}");
        assert!(took.as_secs() < 30, "{setting}: {took:?}");
    }
}
