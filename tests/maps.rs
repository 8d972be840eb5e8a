//! Texture maps against PyRadiomics 3.0.1's voxel-based extraction, pixel by pixel.
//!
//! Expected maps: `tests/fixtures/maps/*.csv.gz`, written by `tests/oracles/voxel_maps.py`
//! with `voxelBatch: 1` (see its docstring: a 60x60 synthetic case with a 40-pixel region and a
//! BUSI crop, radius 1 and 2, masked and unmasked kernels, bin width 25 and bin count 16; three
//! cases of degenerate kernels; every first-order and texture feature). The tolerances are in
//! `common/voxel_maps.rs`.

use sonorad::discretize::Binning;
use sonorad::io::image::read_image_file;
use sonorad::io::{read_image, read_mask};
use sonorad::maps::{texture_maps, KernelSettings, TextureMaps};
use sonorad::roi::Region;

#[path = "common/voxel_maps.rs"]
mod voxel_maps;
use voxel_maps::{
    assert_landmarks, assert_matches, degenerate_configs, fixture_case, fixtures, reference,
};

/// Compares sonorad's maps of a case with PyRadiomics' for one configuration; the maps.
fn compare(case: &str, config: &str, radius: usize, masked: bool, binning: Binning) -> TextureMaps {
    let (image, region) = fixture_case(case);
    let kernel = KernelSettings {
        radius,
        masked,
        init_value: 0.0,
    };
    let maps = texture_maps(&image, &region, binning, kernel, None, None).unwrap();
    let expected = reference(&format!("{case}_{config}.csv.gz"));
    assert_matches(&maps, &expected, &format!("{case} {config}"));
    maps
}

/// Every configuration of degenerate-kernel case `case` matches PyRadiomics, and the pixels
/// that say what the case is about hold NaN or numbers as they should.
fn degenerate_case(case: &str) {
    for (config, radius, masked, binning) in degenerate_configs(case) {
        let maps = compare(case, config, radius, masked, binning);
        if config == "r2_masked_bw25" {
            assert_landmarks(case, &maps, &reference(&format!("{case}_{config}.csv.gz")));
        }
    }
}

#[test]
fn synthetic_maps_match_pyradiomics() {
    for (config, radius, masked, binning) in [
        ("r1_masked_bw25", 1, true, Binning::Width(25.0)),
        ("r2_masked_bw25", 2, true, Binning::Width(25.0)),
        ("r1_unmasked_bw25", 1, false, Binning::Width(25.0)),
        ("r2_unmasked_bw25", 2, false, Binning::Width(25.0)),
        ("r1_masked_bc16", 1, true, Binning::Count(16)),
        ("r2_masked_bc16", 2, true, Binning::Count(16)),
        ("r1_unmasked_bc16", 1, false, Binning::Count(16)),
        ("r2_unmasked_bc16", 2, false, Binning::Count(16)),
    ] {
        compare("synthetic", config, radius, masked, binning);
    }
}

#[test]
fn busi_crop_maps_match_pyradiomics() {
    compare("busi_crop", "r1_masked_bw25", 1, true, Binning::Width(25.0));
    compare(
        "busi_crop",
        "r2_unmasked_bc16",
        2,
        false,
        Binning::Count(16),
    );
}

/// Kernels that hold their centre only (two isolated pixels beside a block, masked kernels):
/// PyRadiomics gives NaN for every GLCM and GLRLM feature there (no pair, no run along any
/// angle), and first-order, GLSZM, GLDM and NGTDM values of the one pixel.
#[test]
fn kernels_of_the_centre_alone_match_pyradiomics() {
    degenerate_case("centre_alone");
}

/// Kernels of one-pixel lines along each angle, of two adjacent pixels and of two pixels a
/// knight's move apart (masked kernels): pairs along some angles only, or along none.
#[test]
fn kernels_of_lines_match_pyradiomics() {
    degenerate_case("lines");
}

/// Kernels clipped by the image's edges (a block in its corner, a line along its bottom edge,
/// a pixel alone on its left edge), masked and unmasked.
#[test]
fn kernels_at_the_image_edge_match_pyradiomics() {
    degenerate_case("edge");
}

fn sonorad(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .env("WGPU_BACKEND", "none")
        .output()
        .unwrap()
}

/// `sonorad map` on one case writes, per selected feature, a NIfTI and a float TIFF holding
/// the map in the image's geometry (read back here: the library's values as f32, `initValue`
/// outside the window), a PNG heatmap, and a page listing them all; a parameter file's
/// voxelSetting sets the kernel.
#[test]
fn map_writes_nifti_tiff_png_and_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("maps.yaml");
    std::fs::write(
        &params,
        "setting:\n  binWidth: 25\nfeatureClass:\n  glcm: [Contrast]\n  firstorder: [Mean]\nvoxelSetting:\n  kernelRadius: 2\n  initValue: .nan\n",
    )
    .unwrap();
    let image = fixtures().join("busi_crop.png");
    let mask = fixtures().join("busi_crop_mask.png");
    let out = dir.path().join("out");
    let status = sonorad(&[
        "map",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--params",
        params.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let gray = read_image(&image).unwrap();
    let labels = read_mask(&mask, 0).unwrap();
    let inside: Vec<bool> = labels.labels.iter().map(|&l| l != 0).collect();
    let region = Region::from_full_mask("tumor", &inside, labels.width, labels.height).unwrap();
    let kernel = KernelSettings {
        radius: 2,
        masked: true,
        init_value: f64::NAN,
    };
    let expected = texture_maps(&gray, &region, Binning::Width(25.0), kernel, None, None).unwrap();
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    for feature in ["firstorder_Mean", "glcm_Contrast"] {
        let name = format!("tumor_original_{feature}");
        let k = expected.names.iter().position(|n| n == feature).unwrap();
        let want = expected.full(k, gray.width, gray.height, f64::NAN);
        let nifti = read_image_file(&out.join(format!("{name}.nii.gz")), 0).unwrap();
        assert_eq!(nifti.spacing.map(|s| (s.column, s.row)), Some((1.0, 1.0)));
        let nifti = nifti.image;
        assert_eq!((nifti.width, nifti.height), (gray.width, gray.height));
        let file = std::fs::File::open(out.join(format!("{name}.tif"))).unwrap();
        let mut decoder = tiff::decoder::Decoder::new(std::io::BufReader::new(file)).unwrap();
        assert_eq!(
            decoder.dimensions().unwrap(),
            (gray.width as u32, gray.height as u32)
        );
        let tiff::decoder::DecodingResult::F32(tiff) = decoder.read_image().unwrap() else {
            panic!("{name}.tif does not hold 32-bit floats");
        };
        for (p, &w) in want.iter().enumerate() {
            let (n, t) = (nifti.pixels[p], f64::from(tiff[p]));
            let w32 = f64::from(w as f32);
            assert!(
                (n.is_nan() && w.is_nan()) || n == w32,
                "{name} pixel {p}: NIfTI {n}, map {w}"
            );
            assert!(
                (t.is_nan() && w.is_nan()) || t == w32,
                "{name} pixel {p}: TIFF {t}, map {w}"
            );
        }
        let png = image::open(out.join(format!("{name}.png"))).unwrap();
        assert!(png.width() > 480);
        assert!(page.contains(&format!("<img src=\"{name}.png\"")), "{page}");
    }
    // the file selects two features: no other map
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2 * 3 + 1);
}

/// A manifest maps each case into its folder; a case whose mask is missing is recorded with
/// its file named and the others go on (exit status 2); a second run skips the mapped cases.
#[test]
fn map_manifest_records_a_bad_case_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("cases.csv");
    let f = fixtures();
    let line = |id: &str, image: &str, mask: &str| {
        format!(
            "{id},{},{}\n",
            f.join(image).display(),
            f.join(mask).display()
        )
    };
    let text = format!(
        "case_id,image,mask\n{}{}{}",
        line("a", "busi_crop.png", "busi_crop_mask.png"),
        line("b", "synthetic.png", "missing_mask.png"),
        line("c", "synthetic.png", "synthetic_mask.png"),
    );
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("maps");
    let run = || {
        sonorad(&[
            "map",
            "--manifest",
            manifest.to_str().unwrap(),
            "--features",
            "glcm_Contrast",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let first = run();
    assert_eq!(
        first.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("2 cases mapped, 0 already mapped (skipped), 1 failed"),
        "{stderr}"
    );
    let errors = std::fs::read_to_string(out.join("errors.csv")).unwrap();
    assert!(
        errors.starts_with("case_id,error\nb,") && errors.contains("missing_mask.png"),
        "{errors}"
    );
    assert!(
        out.join("a/index.html").is_file()
            && out.join("c/tumor_original_glcm_Contrast.nii.gz").is_file()
    );
    let second = run();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("0 cases mapped, 2 already mapped (skipped), 1 failed"),
        "{stderr}"
    );
}

/// Bad settings and inputs: a clear error naming the problem, a non-zero exit, no panic.
#[test]
fn map_refuses_bad_settings_and_files() {
    let f = fixtures();
    let image = f.join("busi_crop.png");
    let mask = f.join("busi_crop_mask.png");
    let base = [
        "map",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--out",
        "/tmp/sonorad-map-refused",
    ];
    for (extra, message) in [
        (
            vec!["--features", "glcm_Contrastt"],
            "unknown feature 'Contrastt' of glcm",
        ),
        (vec!["--features", "shape2D"], "shape2D has no maps"),
        (vec!["--kernel-radius", "0"], "kernel-radius"),
        (
            vec!["--case-time-budget", "0"],
            "--case-time-budget must be a positive",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let out = sonorad(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(if message == "kernel-radius" { 2 } else { 1 }),
            "{stderr}"
        );
        assert!(stderr.contains(message), "{stderr}");
    }
    let missing = f.join("nothing.png");
    let out = sonorad(&[
        "map",
        "--image",
        missing.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--out",
        "/tmp/sonorad-map-refused",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing.png"));
}

/// A case whose maps take longer than `--case-time-budget` fails naming its image file (the
/// budget is checked every few thousand kernels), and writes no maps.
#[test]
fn map_stops_a_case_over_its_time_budget() {
    let f = fixtures();
    let image = f.join("busi_crop.png");
    let mask = f.join("busi_crop_mask.png");
    let dir = tempfile::tempdir().unwrap();
    let out = sonorad(&[
        "map",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--kernel-radius",
        "3",
        "--case-time-budget",
        "0.000001",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("busi_crop.png"), "{stderr}");
    assert!(stderr.contains("time budget"), "{stderr}");
    assert!(!dir.path().join("index.html").exists());
}
