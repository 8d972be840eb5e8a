//! Texture maps on the device equal the CPU's maps (the reference path, itself checked against
//! PyRadiomics in `tests/maps.rs`), map by map and pixel by pixel: every value within 1e-9 of
//! the map's largest magnitude with f64 shaders, 1e-4 with f32; NaN where the CPU gives NaN.
//!
//! Two exceptions:
//! - GLCM's MCC in f64. The device computes it from the symmetric matrix `M = D^-1/2 P D^-1/2`
//!   (Jacobi), while the CPU, to follow PyRadiomics' numpy, runs a general eigensolver on the
//!   non-symmetric `Q`, whose eigenvalues lose up to ~3e-9 where they lie close together. MCC
//!   is held to [`MCC_TOLERANCE`]; the CPU's own symmetric route agrees with the device's to
//!   1.1e-13 (measured once, by routing the CPU through it).
//! - In f32, NGTDM busyness where its divisor is 0 in exact arithmetic and the CPU (as
//!   PyRadiomics) divides by a rounding residue (~1e16); f32 gives 0 there
//!   ([`busyness_over_rounding`]).
//!
//! Cases: the two PyRadiomics fixture cases (a synthetic 60x60 image with a 40-pixel region, a
//! BUSI crop) and a generated float image with a lobulated region; radius 1, 2 and 3 (the
//! device's largest), masked and unmasked kernels, bin width and bin count; and the three
//! degenerate-kernel fixtures (a kernel holding its centre alone, lines, the image's edges),
//! whose device maps are also held to PyRadiomics' own (`voxelBatch: 1`). Without an adapter
//! the tests print a loud SKIPPED line; with `SONORAD_REQUIRE_GPU=1` (set by `.ci/run`, where
//! lavapipe runs them) they fail instead.

use std::sync::Arc;

use sonorad::device::Device;
use sonorad::discretize::Binning;
use sonorad::io::Image;
use sonorad::maps::device::{DeviceMaps, Precision};
use sonorad::maps::{texture_maps, KernelSettings, TextureMaps};
use sonorad::params::FeatureClassSelection;
use sonorad::roi::Region;

#[path = "common/skip.rs"]
mod skip;

#[path = "common/lcg.rs"]
mod lcg;
use lcg::Lcg;

#[path = "common/voxel_maps.rs"]
mod voxel_maps;
use voxel_maps::{
    assert_landmarks, assert_matches, degenerate_configs, fixture_case, fixtures, reference,
};

/// The map kernels in `precision`, or `None` after a loud message when there is no adapter, or
/// f64 is asked of one without 64-bit floats (a shader that does not compile on one fails).
fn device_maps(precision: Precision) -> Option<DeviceMaps> {
    match Device::open() {
        Ok(device) if precision == Precision::F64 && !device.shader_f64() => {
            skip::announce(&format!(
                "f64 device texture maps: the adapter ({}) has no 64-bit floats in shaders",
                device.adapter().name
            ));
            None
        }
        Ok(device) => Some(DeviceMaps::with_precision(Arc::new(device), precision).unwrap()),
        Err(e) => {
            if std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SONORAD_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            skip::announce(&format!("device texture-map tests need a GPU adapter: {e}"));
            None
        }
    }
}

/// A 48x40 float image (values with fractions, a bright blob) and a lobulated region.
fn generated_case() -> (Image<'static>, Region) {
    let (width, height) = (48, 40);
    let mut rng = Lcg(20261202);
    let pixels: Vec<f64> = (0..width * height)
        .map(|k| {
            let (x, y) = ((k % width) as f64, (k / width) as f64);
            let blob = 80.0 * (-((x - 20.0).powi(2) + (y - 18.0).powi(2)) / 60.0).exp();
            40.0 + blob + 30.0 * (rng.below(1 << 20) as f64 / f64::from(1 << 20))
        })
        .collect();
    let inside: Vec<bool> = (0..width * height)
        .map(|k| {
            let (x, y) = ((k % width) as f64 - 24.0, (k / width) as f64 - 20.0);
            let angle = y.atan2(x);
            (x * x + y * y).sqrt() < 13.0 + 4.0 * (3.0 * angle).sin()
        })
        .collect();
    let region = Region::from_full_mask("tumor", &inside, width, height).unwrap();
    let image = Image {
        width,
        height,
        pixels: pixels.into(),
        source: "generated".into(),
    };
    (image, region)
}

/// How far the device's f64 MCC may be from the CPU's, relative to the map's largest magnitude:
/// the conditioning of the CPU's general eigensolver on `Q`, not the device's error (see the
/// module's documentation).
const MCC_TOLERANCE: f64 = 1e-8;

/// The least magnitude a map is measured against: a map whose every value is below it (no real
/// feature map is) is rounding noise about 0 (the entropy of a constant kernel is -3.2e-16 in
/// f64, -0 in f32).
const NOISE_FLOOR: f64 = 1e-9;

/// Whether CPU value `a` and device value `b` of map `name` are the one case where f32 keeps
/// what f64 cannot: NGTDM busyness whose divisor `sum |g_a p_a - g_b p_b|` is 0 in exact
/// arithmetic. The CPU (as PyRadiomics, with the same formula in numpy) then divides by a
/// rounding residue and gives ~1e16; the f32 shader sums the divisor from exact counts and gives
/// PyRadiomics' value for a zero divisor, 0.
fn busyness_over_rounding(name: &str, a: f64, b: f64) -> bool {
    name == "ngtdm_Busyness" && a > 1e12 && b == 0.0
}

/// Largest difference of the device's maps from the CPU's, relative to each map's largest
/// magnitude, with where it is (in f64 without MCC); panics on a NaN mismatch, a different
/// feature list or, in f64, an MCC beyond [`MCC_TOLERANCE`]. The largest MCC difference also
/// goes to `mcc`. With `f32`, busyness over a rounding residue ([`busyness_over_rounding`]) is
/// left out, and counted in `left_out`.
fn largest_difference(
    cpu: &TextureMaps,
    gpu: &TextureMaps,
    what: &str,
    f32: bool,
    (left_out, mcc): (&mut usize, &mut f64),
) -> (f64, String) {
    assert_eq!(cpu.names, gpu.names, "{what}");
    let mut worst = (0.0f64, String::new());
    for ((name, c), g) in cpu.names.iter().zip(&cpu.values).zip(&gpu.values) {
        let kept = |&(a, b): &(f64, f64)| !(f32 && busyness_over_rounding(name, a, b));
        let pairs: Vec<(f64, f64)> = c.iter().copied().zip(g.iter().copied()).collect();
        *left_out += pairs.iter().filter(|p| !kept(p)).count();
        let scale = pairs
            .iter()
            .filter(|p| kept(p) && p.0.is_finite())
            .fold(0.0f64, |m, p| m.max(p.0.abs()));
        for (k, &(a, b)) in pairs.iter().enumerate().filter(|(_, p)| kept(p)) {
            assert_eq!(a.is_nan(), b.is_nan(), "{what}: {name} at {k}: {a} vs {b}");
            if a.is_nan() {
                continue;
            }
            let difference = (a - b).abs() / scale.max(NOISE_FLOOR);
            assert!(difference.is_finite(), "{what}: {name} at {k}: {a} vs {b}");
            if name == "glcm_MCC" {
                *mcc = mcc.max(difference);
                if !f32 {
                    let at = format!("{what}: MCC at {k}: {a} vs {b}");
                    assert!(difference <= MCC_TOLERANCE, "{at}: {difference:e}");
                    continue;
                }
            }
            if difference > worst.0 {
                worst = (difference, format!("{name} at {k}: {a} vs {b}"));
            }
        }
    }
    worst
}

/// Every configuration of the cases: the device's maps against the CPU's, within `tolerance`.
fn check_all(maps: &DeviceMaps, tolerance: f64) {
    let cases = [
        ("synthetic", fixture_case("synthetic")),
        ("busi_crop", fixture_case("busi_crop")),
        ("generated", generated_case()),
    ];
    let (mut worst, mut left_out, mut mcc) = (0.0f64, 0, 0.0f64);
    for (name, (image, region)) in &cases {
        for radius in 1..=3 {
            for masked in [true, false] {
                for binning in [Binning::Width(25.0), Binning::Count(16)] {
                    let kernel = KernelSettings {
                        radius,
                        masked,
                        init_value: 0.0,
                    };
                    let what = format!("{name} r{radius} masked {masked} {binning:?}");
                    let cpu = texture_maps(image, region, binning, kernel, None, None).unwrap();
                    let gpu =
                        texture_maps(image, region, binning, kernel, None, Some(maps)).unwrap();
                    assert_eq!(cpu.names.len(), 93, "{what}");
                    let f32 = maps.precision() == Precision::F32;
                    let (d, at) =
                        largest_difference(&cpu, &gpu, &what, f32, (&mut left_out, &mut mcc));
                    assert!(d <= tolerance, "{what}: {d:e} > {tolerance:e} ({at})");
                    worst = worst.max(d);
                }
            }
        }
    }
    println!(
        "{:?}: largest difference {worst:e} of a map's magnitude (MCC's: {mcc:e}); {left_out} busyness values over a rounding residue left out",
        maps.precision()
    );
}

#[test]
fn f64_device_maps_equal_the_cpu_maps() {
    let Some(maps) = device_maps(Precision::F64) else {
        return;
    };
    check_all(&maps, 1e-9);
}

#[test]
fn f32_device_maps_are_within_1e_4_of_the_cpu_maps() {
    let Some(maps) = device_maps(Precision::F32) else {
        return;
    };
    check_all(&maps, 1e-4);
}

#[test]
fn a_selection_and_a_radius_beyond_the_device_keep_the_cpu_values() {
    let Some(maps) = device_maps(Precision::F64) else {
        return;
    };
    let (image, region) = fixture_case("busi_crop");
    let selection = FeatureClassSelection::parse_list("glcm_Contrast,glcm_MCC,glrlm").unwrap();
    let kernel = KernelSettings {
        radius: 2,
        masked: true,
        init_value: f64::NAN,
    };
    let binning = Binning::Width(25.0);
    let cpu = texture_maps(&image, &region, binning, kernel, Some(&selection), None).unwrap();
    let gpu = texture_maps(
        &image,
        &region,
        binning,
        kernel,
        Some(&selection),
        Some(&maps),
    )
    .unwrap();
    assert_eq!(cpu.names[..2], ["glcm_Contrast", "glcm_MCC"]);
    assert_eq!(cpu.names.len(), 2 + 16);
    let mut mcc = 0.0;
    let differences = (&mut 0, &mut mcc);
    assert!(largest_difference(&cpu, &gpu, "selection", false, differences).0 <= 1e-9);
    assert!(mcc <= MCC_TOLERANCE);
    // radius 4 is beyond the device's private arrays: the CPU maps it, to the bit
    let wide = KernelSettings {
        radius: 4,
        ..kernel
    };
    let cpu = texture_maps(&image, &region, binning, wide, Some(&selection), None).unwrap();
    let gpu = texture_maps(
        &image,
        &region,
        binning,
        wide,
        Some(&selection),
        Some(&maps),
    )
    .unwrap();
    for (c, g) in cpu.values.iter().zip(&gpu.values) {
        let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(c), bits(g));
    }
}

/// `sonorad map --backend gpu` writes the device's maps: each TIFF equals the CPU's map to f32
/// precision (the TIFF's own), for a GLCM and an NGTDM feature with a radius-2 kernel.
#[test]
fn the_map_command_on_the_gpu_writes_the_cpu_maps() {
    if device_maps(Precision::F64).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = fixtures().join("busi_crop.png");
    let mask = fixtures().join("busi_crop_mask.png");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args([
            "map",
            "--backend",
            "gpu",
            "--kernel-radius",
            "2",
            "--formats",
            "tiff",
        ])
        .args(["--features", "glcm_JointEntropy,ngtdm_Coarseness"])
        .arg("--image")
        .arg(&image)
        .arg("--mask")
        .arg(&mask)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("on the CPU"), "{stderr}");
    let (gray, region) = fixture_case("busi_crop");
    let kernel = KernelSettings {
        radius: 2,
        masked: true,
        init_value: 0.0,
    };
    let cpu = texture_maps(&gray, &region, Binning::Width(25.0), kernel, None, None).unwrap();
    for feature in ["glcm_JointEntropy", "ngtdm_Coarseness"] {
        let k = cpu.names.iter().position(|n| n == feature).unwrap();
        let want = cpu.full(k, gray.width, gray.height, 0.0);
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let file = std::fs::File::open(dir.path().join(format!("tumor_original_{feature}.tif")));
        let mut decoder =
            tiff::decoder::Decoder::new(std::io::BufReader::new(file.unwrap())).unwrap();
        let tiff::decoder::DecodingResult::F32(tiff) = decoder.read_image().unwrap() else {
            panic!("{feature}: not 32-bit floats");
        };
        for (p, (&t, &w)) in tiff.iter().zip(&want).enumerate() {
            let t = f64::from(t);
            assert!(
                (t - w).abs() <= 1e-6 * w.abs() + 1e-9 * scale,
                "{feature} pixel {p}: TIFF {t}, CPU map {w}"
            );
        }
    }
}

/// A gray value for each pixel `(x, y)`.
type Pattern = fn(usize, usize) -> f64;

/// Degenerate kernels for the MCC pass and the formulas: a constant image (one gray level: MCC
/// is 1), a checkerboard of two levels (along the axes `M` has eigenvalues 1 and -1, along the
/// diagonals it is the identity: MCC 1), and stripes one pixel wide, in both precisions.
#[test]
fn degenerate_kernels_equal_the_cpu_maps() {
    let (width, height) = (24, 20);
    let patterns: [(&str, Pattern); 3] = [
        ("constant", |_, _| 100.0),
        (
            "checkerboard",
            |x, y| if (x + y) % 2 == 0 { 40.0 } else { 200.0 },
        ),
        ("stripes", |x, _| if x % 2 == 0 { 10.0 } else { 90.0 }),
    ];
    let inside: Vec<bool> = (0..width * height)
        .map(|k| (3..21).contains(&(k % width)) && (2..17).contains(&(k / width)))
        .collect();
    let region = Region::from_full_mask("tumor", &inside, width, height).unwrap();
    for precision in [Precision::F64, Precision::F32] {
        let Some(maps) = device_maps(precision) else {
            continue;
        };
        for (name, pattern) in patterns {
            let pixels: Vec<f64> = (0..width * height)
                .map(|k| pattern(k % width, k / width))
                .collect();
            let image = Image {
                width,
                height,
                pixels: pixels.into(),
                source: name.into(),
            };
            let kernel = KernelSettings {
                radius: 1,
                masked: true,
                init_value: f64::NAN,
            };
            let binning = Binning::Width(25.0);
            let cpu = texture_maps(&image, &region, binning, kernel, None, None).unwrap();
            let gpu = texture_maps(&image, &region, binning, kernel, None, Some(&maps)).unwrap();
            let f32 = precision == Precision::F32;
            let what = format!("{name} {precision:?}");
            let (d, at) = largest_difference(&cpu, &gpu, &what, f32, (&mut 0, &mut 0.0));
            assert!(d <= if f32 { 1e-4 } else { 1e-9 }, "{what}: {d:e} ({at})");
            let mcc = cpu.names.iter().position(|n| n == "glcm_MCC").unwrap();
            let inside_values = |m: &TextureMaps| -> Vec<f64> {
                m.values[mcc]
                    .iter()
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect()
            };
            assert_eq!(inside_values(&gpu).len(), 18 * 15, "{what}");
            // a corner's 2x2 kernel of the checkerboard has one level along each diagonal
            // (MCC 0 there), so its mean over the angles is 0.5
            let halves = match name {
                "constant" => 0,
                "checkerboard" => 4,
                _ => continue,
            };
            let values = inside_values(&gpu);
            let near = |v: f64, want: f64| (v - want).abs() < 1e-6;
            assert!(
                values.iter().all(|&v| near(v, 1.0) || near(v, 0.5)),
                "{what}"
            );
            assert_eq!(
                values.iter().filter(|&&v| near(v, 0.5)).count(),
                halves,
                "{what}"
            );
        }
    }
}

/// The device's maps of degenerate-kernel case `case` (`tests/maps.rs` holds the CPU's to the
/// same fixtures), every configuration, in both precisions: NaN where the CPU (and PyRadiomics)
/// gives NaN and the CPU's values otherwise (as [`check_all`]); in f64, PyRadiomics' own maps
/// (`voxelBatch: 1`) within its tolerances, and the pixels that say what the case is about.
fn degenerate_case_on_the_device(case: &str) {
    let (image, region) = fixture_case(case);
    for precision in [Precision::F64, Precision::F32] {
        let Some(maps) = device_maps(precision) else {
            continue;
        };
        for (config, radius, masked, binning) in degenerate_configs(case) {
            let kernel = KernelSettings {
                radius,
                masked,
                init_value: 0.0,
            };
            let what = format!("{case} {config} {precision:?}");
            let cpu = texture_maps(&image, &region, binning, kernel, None, None).unwrap();
            let gpu = texture_maps(&image, &region, binning, kernel, None, Some(&maps)).unwrap();
            let f32 = precision == Precision::F32;
            let (d, at) = largest_difference(&cpu, &gpu, &what, f32, (&mut 0, &mut 0.0));
            assert!(d <= if f32 { 1e-4 } else { 1e-9 }, "{what}: {d:e} ({at})");
            if f32 {
                continue;
            }
            let expected = reference(&format!("{case}_{config}.csv.gz"));
            assert_matches(&gpu, &expected, &what);
            if config == "r2_masked_bw25" {
                assert_landmarks(case, &gpu, &expected);
            }
        }
    }
}

/// Kernels that hold their centre only: NaN for every GLCM and GLRLM feature, as PyRadiomics.
#[test]
fn device_kernels_of_the_centre_alone_match_pyradiomics() {
    degenerate_case_on_the_device("centre_alone");
}

/// Kernels of one-pixel lines and of two pixels with no pair: pairs along some angles only.
#[test]
fn device_kernels_of_lines_match_pyradiomics() {
    degenerate_case_on_the_device("lines");
}

/// Kernels clipped by the image's edges, masked and unmasked.
#[test]
fn device_kernels_at_the_image_edge_match_pyradiomics() {
    degenerate_case_on_the_device("edge");
}
