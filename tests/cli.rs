//! The `sonorad` command line on the bundled sample.

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/images.rs"]
mod images;
#[path = "common/run.rs"]
mod run;
#[path = "common/skip.rs"]
mod skip;

use fixtures::{fixtures, read_long};
use run::{extract_succeeds, sonorad};
use sonorad::extract::{extract_case, Settings};
use sonorad::matrix::cpu::CpuBackend;
use sonorad::roi::RingWidth;

fn busi(name: &str) -> String {
    fixtures().join("busi").join(name).display().to_string()
}

#[test]
fn extract_prints_long_csv_with_round_trip_values() {
    let (image, mask) = (
        busi("benign/benign (2).png"),
        busi("benign/benign (2)_mask.png"),
    );
    let out = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--image",
        &image,
        "--mask",
        &mask,
        "--ring",
        "3mm",
        "--spacing",
        "0.1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("feature,value\n"));
    let rows = read_long(&text);
    assert_eq!(rows.len(), 204);
    assert!(rows
        .iter()
        .any(|(k, _)| k == "tumor_original_glcm_Contrast"));
    assert!(rows
        .iter()
        .any(|(k, _)| k == "ring3mm_original_glrlm_RunEntropy"));
    // The printed values are the library's values, bit for bit.
    let settings = Settings {
        spacing: Some(0.1),
        rings: vec![RingWidth::Millimetres(3.0)],
        ..Settings::default()
    }
    .check()
    .unwrap();
    let library = extract_case(image.as_ref(), mask.as_ref(), &settings, &CpuBackend).unwrap();
    assert_eq!(library.len(), rows.len());
    for ((a, x), (b, y)) in library.iter().zip(&rows) {
        assert_eq!(a, b);
        assert_eq!(x.to_bits(), y.to_bits(), "{a}");
    }
}

#[test]
fn write_masks_writes_every_region() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = (
        busi("malignant/malignant (1).png"),
        busi("malignant/malignant (1)_mask.png"),
    );
    let masks = dir.path().join("masks");
    let out = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--image",
        &image,
        "--mask",
        &mask,
        "--ring",
        "10px",
        "--ring",
        "20px",
        "--write-masks",
        masks.to_str().unwrap(),
        "--out",
        dir.path().join("f.csv").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["tumor.png", "ring10px.png", "ring20px.png"] {
        let m = sonorad::io::read_mask(&masks.join(name), 0).unwrap();
        assert!(m.labels.contains(&255), "{name} is empty");
    }
}

#[test]
fn manifest_gives_one_row_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("features.csv");
    let manifest = fixtures().join("busi/manifest.csv");
    let out = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--manifest",
        manifest.to_str().unwrap(),
        "--ring",
        "2mm",
        "--spacing",
        "0.1",
        "--out",
        out_csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::Reader::from_path(&out_csv).unwrap();
    let header = r.headers().unwrap().clone();
    assert_eq!(&header[0], "case_id");
    // The manifest's `malignant` column is passed through.
    assert_eq!(&header[1], "malignant");
    assert_eq!(header.len(), 2 + 2 * 102);
    let ids: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(ids[0], "busi_benign_002");
}

#[test]
fn jpeg_images_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let pixels = images::speckle(64, 48, 3);
    let jpeg = dir.path().join("scan.jpg");
    image::save_buffer(&jpeg, &pixels, 64, 48, image::ExtendedColorType::L8).unwrap();
    let mask = dir.path().join("mask.png");
    images::write_mask(&mask, 64, 48, |x, y| {
        (20..40).contains(&x) && (10..30).contains(&y)
    });
    let out = extract_succeeds(&[
        "--image",
        jpeg.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
    ]);
    let rows = read_long(&String::from_utf8(out.stdout).unwrap());
    let pixel_surface = rows
        .iter()
        .find(|(k, _)| k == "tumor_original_shape2D_PixelSurface")
        .unwrap()
        .1;
    assert_eq!(pixel_surface, 400.0);
}

#[test]
fn gpu_backend_without_adapter_is_a_clear_error() {
    // With no Vulkan driver visible, `--backend gpu` must fail with a message, not a panic.
    let (image, mask) = (
        busi("benign/benign (2).png"),
        busi("benign/benign (2)_mask.png"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args([
            "extract",
            "--backend",
            "gpu",
            "--image",
            &image,
            "--mask",
            &mask,
        ])
        .env("WGPU_BACKEND", "metal")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("matrix backend gpu: no GPU adapter found"),
        "{stderr}"
    );
}

#[test]
fn bench_refuses_manifest_settings_for_generated_cases() {
    for extra in [
        ["--bin-width", "5"],
        ["--ring", "3px"],
        ["--spacing", "0.1"],
    ] {
        let mut args = vec![
            "bench",
            "--synthetic",
            "2",
            "--size",
            "32",
            "--repeats",
            "1",
        ];
        args.extend(extra);
        let out = sonorad(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("--bin-width, --spacing and --ring apply to --manifest cases only"),
            "{stderr}"
        );
    }
}

#[test]
fn bench_manifest_uses_per_case_settings_and_lists_failures() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = sonorad::synth::write_cohort(dir.path(), 3, 48, 7).unwrap();
    // A `spacing` column (rings in mm need it) and a case whose image is missing.
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut lines = text.lines();
    let mut with_spacing = format!("{},spacing\n", lines.next().unwrap());
    for line in lines {
        with_spacing += &format!("{line},0.5\n");
    }
    with_spacing += "bad,images/missing.png,masks/case_000000_mask.png,0,50,0,0.5\n";
    std::fs::write(&manifest, with_spacing).unwrap();
    let out = sonorad(&[
        "bench",
        "--manifest",
        manifest.to_str().unwrap(),
        "--ring",
        "2mm",
        "--repeats",
        "1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("3 cases from a manifest") && stdout.contains(": 6 regions"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 case(s) failed and were left out:\n- case bad: ")
            && stdout.contains("missing.png: cannot read file"),
        "{stdout}"
    );
}

/// `bench --filters` measures filtered extraction and reports each backend's thread time per
/// stage, the filters included; generated cases refuse filters.
#[test]
fn bench_filters_report_the_stages() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = sonorad::synth::write_cohort(dir.path(), 2, 48, 7).unwrap();
    let args = ["bench", "--manifest", manifest.to_str().unwrap()];
    let out = sonorad(
        &[
            &args[..],
            &["--filters", "original,square", "--repeats", "1"],
        ]
        .concat(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // two cases, one tumour each, in two image types
    assert!(stdout.contains(": 4 regions"), "{stdout}");
    let stages = stdout
        .lines()
        .find(|l| l.starts_with("cpu end to end, thread time per round: "))
        .expect("the CPU's stage line");
    for stage in [
        "decode",
        "regions",
        "filters",
        "discretize",
        "matrices",
        "formulas",
    ] {
        assert!(stages.contains(&format!("{stage} ")), "{stages}");
    }
    let out = sonorad(&["bench", "--synthetic", "2", "--filters", "log"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: bench: --filters applies to --manifest cases; generated cases use the original image\n"
    );
}

/// `--backend auto` on a machine without a GPU device node (CI's, this development machine)
/// goes to the CPU without creating a GPU instance, which cost every process 0.12 to 0.16 s
/// on lavapipe (3.6 times a small run's time), and says why.
#[test]
fn auto_does_not_probe_for_a_gpu_on_a_machine_without_a_gpu_device() {
    if sonorad::device::hardware_gpu_possible() {
        skip::announce("this machine has a GPU device node, so auto asks wgpu for adapters");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let csv = out.path().join("one.csv");
    let run = sonorad(&[
        "extract",
        "--image",
        &busi("benign/benign (1).png"),
        "--mask",
        &busi("benign/benign (1)_mask.png"),
        "--out",
        csv.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("backend auto: using the CPU, this machine has no GPU device"),
        "{stderr}"
    );
}
