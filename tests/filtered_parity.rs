//! Features of filtered image types (LoG, wavelet, square, square root, logarithm, exponential,
//! gradient) against PyRadiomics 3.0.1, through the whole `sonorad extract` command.
//!
//! Expected values: `tests/fixtures/filters/features/*.csv`, written by
//! `tests/fixtures/make_filter_fixtures.py features` (PyRadiomics 3.0.1 through
//! `../shared/reference/pyradiomics_extract.py --filters original,log,wavelet --sigma 1,2,3`, and
//! the same extractor with the point filters and the gradient enabled), whole image and mask,
//! 1 mm pixels, bin width 25. See `tests/fixtures/filters/README.md`.
//!
//! The test prints the fraction of features within 1e-9 and within 1e-6 relative, and requires
//! all of them within 1e-9 (1e-12 absolute near zero): the filtered images themselves are
//! bit-identical to PyRadiomics' (`tests/filters.rs`), so no pixel lands on the other side of a
//! bin edge here. It also fails when a feature is missing on either side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/skip.rs"]
mod skip;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn reference(name: &str) -> BTreeMap<String, f64> {
    let path = fixtures().join("filters/features").join(name);
    let mut r = csv::Reader::from_path(&path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse().unwrap())
        })
        .collect()
}

/// The features `sonorad extract` gives on `backend`; `None` after a loud skip when the GPU
/// backend finds no adapter and `SONORAD_REQUIRE_GPU` is not 1.
fn sonorad(
    image: &Path,
    mask: &Path,
    filters: &str,
    backend: &str,
) -> Option<BTreeMap<String, f64>> {
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args([
            "extract",
            "--backend",
            backend,
            "--filters",
            filters,
            "--log-sigma",
            "1,2,3",
        ])
        .arg("--image")
        .arg(image)
        .arg("--mask")
        .arg(mask)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let required = std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1");
    if backend == "gpu" && !out.status.success() && stderr.contains("no GPU adapter") && !required {
        skip::announce(&format!(
            "filtered features on the GPU need an adapter: {stderr}"
        ));
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    if backend == "gpu" {
        // the filters ran on the device, not on the CPU after a note
        assert!(!stderr.contains("filters:"), "{stderr}");
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let features = text
        .lines()
        .skip(1)
        .map(|line| {
            let (name, value) = line.split_once(',').unwrap();
            let name = name.strip_prefix("tumor_").unwrap().to_string();
            (name, value.parse().unwrap())
        })
        .collect();
    Some(features)
}

/// Compares the features of `backend` with PyRadiomics'; the CPU's with the GPU's too, which
/// must be the same doubles where the filtered images are (all but the logarithm and the
/// exponential, whose f64 `log` and `exp` on the device may differ from the host's by an ulp).
fn compare(case: &str, image: &Path, mask: &Path, filters: &str, file: &str, backend: &str) {
    let expected = reference(file);
    let Some(ours) = sonorad(image, mask, filters, backend) else {
        return;
    };
    if backend == "gpu" {
        let cpu = sonorad(image, mask, filters, "cpu").unwrap();
        let differing: Vec<&String> = cpu
            .iter()
            .filter(|(k, v)| {
                v.to_bits() != ours[*k].to_bits() && !(v.is_nan() && ours[*k].is_nan())
            })
            .map(|(k, _)| k)
            .collect();
        println!(
            "{case} ({filters}) gpu: {} of {} features not the CPU's doubles",
            differing.len(),
            cpu.len()
        );
        assert!(
            differing
                .iter()
                .all(|k| k.starts_with("logarithm_") || k.starts_with("exponential_")),
            "{differing:?}"
        );
    }
    let missing: Vec<&String> = expected.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<&String> = ours.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(missing.is_empty(), "{case}: sonorad lacks {missing:?}");
    assert!(extra.is_empty(), "{case}: PyRadiomics lacks {extra:?}");
    let relative = |a: f64, b: f64| {
        if a == b || (a.is_nan() && b.is_nan()) {
            0.0
        } else if b.abs() < 1e-12 {
            (a - b).abs() / 1e-12 * 1e-9
        } else {
            (a - b).abs() / b.abs()
        }
    };
    let differences: Vec<(&String, f64)> = expected
        .iter()
        .map(|(k, &v)| (k, relative(ours[k], v)))
        .collect();
    let within = |t: f64| differences.iter().filter(|(_, d)| *d <= t).count();
    let n = differences.len();
    println!(
        "{case} ({filters}): {n} features, {:.4} within 1e-9, {:.4} within 1e-6",
        within(1e-9) as f64 / n as f64,
        within(1e-6) as f64 / n as f64
    );
    let bad: Vec<String> = differences
        .iter()
        .filter(|(_, d)| *d > 1e-9)
        .map(|(k, d)| format!("{k}: relative difference {d:.2e}"))
        .collect();
    assert!(bad.is_empty(), "{case}: {}", bad.join("\n"));
}

fn cases() -> [(&'static str, PathBuf, PathBuf); 2] {
    let f = fixtures();
    [
        (
            "syn_lobulated",
            f.join("synthetic/syn_lobulated.png"),
            f.join("synthetic/syn_lobulated_mask.png"),
        ),
        (
            "busi_benign_002",
            f.join("busi/benign/benign (2).png"),
            f.join("busi/benign/benign (2)_mask.png"),
        ),
    ]
}

#[test]
fn log_and_wavelet_features_match_pyradiomics() {
    for (case, image, mask) in cases() {
        let file = format!("{case}_log_wavelet.csv");
        compare(case, &image, &mask, "original,log,wavelet", &file, "cpu");
    }
}

#[test]
fn point_filter_and_gradient_features_match_pyradiomics() {
    for (case, image, mask) in cases() {
        let file = format!("{case}_point_gradient.csv");
        compare(
            case,
            &image,
            &mask,
            "square,squareroot,logarithm,exponential,gradient",
            &file,
            "cpu",
        );
    }
}

/// The same cases with the filters on the device (`--backend gpu`; lavapipe in CI): the
/// features against PyRadiomics at the same 1e-9, and against the CPU's.
#[test]
fn filtered_features_on_the_gpu_match_pyradiomics_and_the_cpu() {
    for (case, image, mask) in cases() {
        let file = format!("{case}_log_wavelet.csv");
        compare(case, &image, &mask, "original,log,wavelet", &file, "gpu");
        let file = format!("{case}_point_gradient.csv");
        let filters = "square,squareroot,logarithm,exponential,gradient";
        compare(case, &image, &mask, filters, &file, "gpu");
    }
}

/// A PyRadiomics parameter file (`--params`): its image types, per-type bin width, label and
/// feature selection decide the columns.
#[test]
fn parameter_file_selects_image_types_and_features() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let busi = image::open(f.join("busi/benign/benign (2)_mask.png"))
        .unwrap()
        .to_luma8();
    // The study file says `label: 1`: relabel the 0/255 mask as 0/1.
    let mask = dir.path().join("mask_label1.png");
    image::GrayImage::from_fn(busi.width(), busi.height(), |x, y| {
        image::Luma([u8::from(busi.get_pixel(x, y)[0] > 0)])
    })
    .save(&mask)
    .unwrap();
    let image = f.join("busi/benign/benign (2).png");
    let run = |extra: &[&str]| -> BTreeMap<String, f64> {
        let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
            .args(["extract", "--backend", "cpu"])
            .arg("--image")
            .arg(&image)
            .arg("--mask")
            .arg(&mask)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (k, v) = l.split_once(',').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect()
    };
    let params = f.join("filters/params_busi_study.yaml");
    let from_file = run(&["--params", params.to_str().unwrap()]);
    // 9 images (original, 3 LoG, 4 wavelet, gradient) × 91 features (glcm without SumAverage
    // and the two glcm features the file leaves out), plus 9 shape features.
    assert_eq!(from_file.len(), 9 * 91 + 9);
    assert!(!from_file.contains_key("tumor_original_glcm_SumAverage"));
    // The gradient's own bin width of 5 applies to the gradient image only.
    let gradient = run(&["--filters", "gradient", "--bin-width", "5", "--label", "1"]);
    let original = run(&["--filters", "original", "--label", "1"]);
    for (name, value) in from_file {
        let same = gradient.get(&name).or_else(|| original.get(&name));
        if let Some(&v) = same {
            assert_eq!(v.to_bits(), value.to_bits(), "{name}");
        }
    }
}
