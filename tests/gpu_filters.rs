//! The filters on the device compute the CPU's filtered images: every pixel within 1e-12 of the
//! image's range, and the same doubles where the operations are the same (on lavapipe: every
//! pixel of the LoG, the wavelet, the square and the gradient); the point filters that call
//! `sqrt`, `log64` and `exp64` within a few ulps of the host's libm, pixel by pixel.
//!
//! Inputs: the three inputs of `tests/filters.rs` (8-bit, an odd-sized BUSI crop, a small float
//! image with negative values and anisotropic spacing), a 16-bit 301x257 image, and a float
//! image whose values span twelve decades, for the logarithm and the exponential. Without an
//! adapter with 64-bit floats the tests print a loud SKIPPED line; with
//! `SONORAD_REQUIRE_GPU=1` (set by `.ci/run`, where lavapipe has them) they fail instead.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use sonorad::device::Device;
use sonorad::filters::device::DeviceFilters;
use sonorad::filters::{FilterOutput, ImageType, Sigma, Wavelet, WaveletSettings};
use sonorad::io::{read_image, Image, PixelSpacing};

#[path = "common/skip.rs"]
mod skip;

#[path = "common/lcg.rs"]
mod lcg;
use lcg::Lcg;

/// The filters on the device, or `None` after a loud message when there is none with f64.
fn device_filters() -> Option<DeviceFilters> {
    let opened = Device::open().and_then(|d| DeviceFilters::new(Arc::new(d)));
    match opened {
        Ok(f) => Some(f),
        Err(e) => {
            if std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SONORAD_REQUIRE_GPU=1 but no device filters: {e}");
            }
            skip::announce(&format!(
                "device filter tests need a GPU adapter with 64-bit floats: {e}"
            ));
            None
        }
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The inputs of `tests/filters.rs`, with their spacing.
fn fixture_inputs() -> Vec<(Image<'static>, PixelSpacing)> {
    let spacing = |column, row| PixelSpacing { column, row };
    let mut bytes = Vec::new();
    let path = fixture("filters/tiny_float/input.f64.gz");
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let tiny = Image {
        width: 23,
        height: 17,
        pixels: bytemuck::pod_collect_to_vec::<u8, f64>(&bytes).into(),
        source: path,
    };
    vec![
        (
            read_image(&fixture("synthetic/syn_lobulated.png")).unwrap(),
            spacing(1.0, 1.0),
        ),
        (
            read_image(&fixture("filters/busi_benign_002_crop.png")).unwrap(),
            spacing(0.1, 0.1),
        ),
        (tiny, spacing(0.7, 1.3)),
    ]
}

/// A random 16-bit image with smooth structure and speckle.
fn random_16_bit(width: usize, height: usize) -> Image<'static> {
    let mut rng = Lcg(19);
    let pixels = (0..width * height)
        .map(|i| {
            let (x, y) = ((i % width) as f64, (i / width) as f64);
            let smooth = 20_000.0 + 15_000.0 * (x / 17.0).sin() * (y / 23.0).cos();
            (smooth + rng.below(8000) as f64).round()
        })
        .collect();
    Image {
        width,
        height,
        pixels,
        source: "random16.png".into(),
    }
}

/// Every image type of the tests: LoG at several sigmas (one too large for the tiny image),
/// wavelets of every family, two levels, the point filters and the gradient.
fn image_types() -> Vec<ImageType> {
    let sigmas = [0.5, 1.0, 2.0, 3.0, 12.0].map(Sigma::mm).to_vec();
    let mut types = vec![ImageType::Original, ImageType::LoG { sigmas }];
    for name in [
        "haar", "db4", "sym5", "coif1", "coif5", "bior3.3", "rbio2.4", "dmey",
    ] {
        types.push(ImageType::Wavelet(WaveletSettings {
            wavelet: Wavelet::from_name(name).unwrap(),
            level: 1,
            start_level: 0,
            axis: None,
        }));
    }
    types.push(ImageType::Wavelet(WaveletSettings {
        wavelet: Wavelet::from_name("db2").unwrap(),
        level: 2,
        start_level: 1,
        axis: None,
    }));
    types.extend([
        ImageType::Square,
        ImageType::SquareRoot,
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::Gradient { use_spacing: true },
        ImageType::Gradient { use_spacing: false },
    ]);
    types
}

/// What one comparison found: pixels compared, the same double, and the largest difference
/// relative to the CPU image's range.
#[derive(Debug, Default)]
struct Tally {
    pixels: usize,
    identical: usize,
    worst: f64,
    /// Kinds of image with a pixel that is not the same double.
    differing: Vec<String>,
}

/// Compares the device's outputs with the CPU's: same names, same skips, pixels within 1e-12 of
/// the range; the point filters' pixels within `ulps` of the CPU's value.
fn compare(cpu: &[FilterOutput], device: &[FilterOutput], ulps: f64) -> Tally {
    let mut tally = Tally::default();
    assert_eq!(cpu.len(), device.len());
    for (c, d) in cpu.iter().zip(device) {
        let skipped =
            |o: &FilterOutput| o.skipped.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(skipped(c), skipped(d));
        assert_eq!(c.images.len(), d.images.len());
        for (ci, di) in c.images.iter().zip(&d.images) {
            assert_eq!(ci.name, di.name);
            assert_eq!(ci.image.pixels.len(), di.image.pixels.len(), "{}", ci.name);
            let (lo, hi) = ci
                .image
                .pixels
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            let range = (hi - lo).max(f64::MIN_POSITIVE);
            for (k, (&a, &b)) in ci
                .image
                .pixels
                .iter()
                .zip(di.image.pixels.iter())
                .enumerate()
            {
                tally.pixels += 1;
                if a.to_bits() == b.to_bits() {
                    tally.identical += 1;
                    continue;
                }
                let kind = ci
                    .name
                    .split(['-', '_'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !tally.differing.contains(&kind) {
                    tally.differing.push(kind);
                }
                let relative = (a - b).abs() / range;
                tally.worst = tally.worst.max(relative);
                assert!(
                    relative <= 1e-12,
                    "{} pixel {k}: cpu {a:e}, device {b:e}, range {range:e}",
                    ci.name
                );
                let point = ["squareroot", "logarithm", "exponential"].contains(&ci.name.as_str());
                if point {
                    assert!(
                        (a - b).abs() <= ulps * f64::EPSILON * a.abs(),
                        "{} pixel {k}: cpu {a:e}, device {b:e}",
                        ci.name
                    );
                }
            }
        }
    }
    tally
}

#[test]
fn device_filters_equal_the_cpu_filters_on_every_input() {
    let Some(filters) = device_filters() else {
        return;
    };
    let types = image_types();
    let refs: Vec<&ImageType> = types.iter().collect();
    let mut inputs = fixture_inputs();
    inputs.push((
        random_16_bit(301, 257),
        PixelSpacing {
            column: 0.08,
            row: 0.08,
        },
    ));
    let mut total = Tally::default();
    for (image, spacing) in &inputs {
        let cpu: Vec<FilterOutput> = types.iter().map(|t| t.apply(image, *spacing)).collect();
        let device = filters
            .try_apply(image, *spacing, &refs, 0..image.height)
            .unwrap();
        let tally = compare(&cpu, &device, 4.0);
        eprintln!("{}: {:?}", image.source.display(), tally);
        total.pixels += tally.pixels;
        total.identical += tally.identical;
        total.worst = total.worst.max(tally.worst);
        for kind in tally.differing {
            if !total.differing.contains(&kind) {
                total.differing.push(kind);
            }
        }
    }
    eprintln!("all inputs: {total:?}");
    assert!(total.pixels > 5_000_000);
    if filters.adapter().device_type == "Cpu" {
        // lavapipe fuses no multiply-add: only log64 and exp64 are not the host's libm
        assert!(
            total
                .differing
                .iter()
                .all(|k| k == "logarithm" || k == "exponential"),
            "{:?}",
            total.differing
        );
    }
}

/// Only the rows asked for come back: they hold the whole image's filtered values (each filter
/// still sees every row), the other rows are 0.
#[test]
fn only_the_rows_asked_for_come_back() {
    let Some(filters) = device_filters() else {
        return;
    };
    let image = random_16_bit(97, 83);
    let spacing = PixelSpacing {
        column: 0.5,
        row: 0.5,
    };
    let types = image_types();
    let refs: Vec<&ImageType> = types.iter().collect();
    let full = filters.try_apply(&image, spacing, &refs, 0..83).unwrap();
    let band = filters.try_apply(&image, spacing, &refs, 20..51).unwrap();
    for (f, b) in full
        .iter()
        .flat_map(|o| &o.images)
        .zip(band.iter().flat_map(|o| &o.images))
    {
        for (k, (&x, &y)) in f.image.pixels.iter().zip(b.image.pixels.iter()).enumerate() {
            let inside = (20..51).contains(&(k / 97));
            let expected = if inside || f.name == "original" {
                x
            } else {
                0.0
            };
            assert_eq!(expected.to_bits(), y.to_bits(), "{} pixel {k}", f.name);
        }
    }
}

#[test]
fn the_tiny_image_skips_the_sigma_the_cpu_skips() {
    let Some(filters) = device_filters() else {
        return;
    };
    let (image, spacing) = fixture_inputs().pop().unwrap();
    let log = ImageType::LoG {
        sigmas: vec![Sigma::mm(1.0), Sigma::mm(20.0)],
    };
    let out = filters
        .try_apply(&image, spacing, &[&log], 0..image.height)
        .unwrap();
    assert_eq!(out[0].images.len(), 1);
    assert_eq!(out[0].images[0].name, "log-sigma-1-0-mm-3D");
    assert_eq!(
        out[0].skipped[0].to_string(),
        "LoG sigma 20 mm needs at least 30x17 pixels (ceil(sigma / spacing) + 1 per axis), image is 23x17"
    );
    let zero = Image {
        pixels: vec![0.0; image.pixels.len()].into(),
        ..image.clone()
    };
    let out = filters
        .try_apply(&zero, spacing, &[&ImageType::Square], 0..zero.height)
        .unwrap();
    assert_eq!(
        out[0].skipped[0].to_string(),
        "square filter of an all-zero image is undefined (division by max |x| = 0)"
    );
}

/// `log64` and `exp64` over twelve decades: the logarithm and the exponential of a float image
/// whose values run from 1e-6 to 1e6 (both signs), pixel by pixel within 2 ulps of Rust's
/// `ln` and `exp` (through the filters' own scale factors, which are exact products).
#[test]
fn f64_exp_and_log_match_the_host_libm() {
    let Some(filters) = device_filters() else {
        return;
    };
    let (width, height) = (400, 300);
    let mut rng = Lcg(7);
    let pixels = (0..width * height)
        .map(|_| {
            let magnitude = 10f64.powf(-6.0 + 12.0 * rng.below(1_000_000) as f64 / 1e6);
            if rng.below(2) == 0 {
                magnitude
            } else {
                -magnitude
            }
        })
        .collect();
    let image = Image {
        width,
        height,
        pixels,
        source: "decades.f64".into(),
    };
    let spacing = PixelSpacing {
        column: 1.0,
        row: 1.0,
    };
    let types = [
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::SquareRoot,
    ];
    let cpu: Vec<FilterOutput> = types.iter().map(|t| t.apply(&image, spacing)).collect();
    let device = filters
        .try_apply(
            &image,
            spacing,
            &types.iter().collect::<Vec<_>>(),
            0..height,
        )
        .unwrap();
    let tally = compare(&cpu, &device, 2.0);
    eprintln!("exp/log over twelve decades: {tally:?}");
}

/// Features of every filtered image of the BUSI case of `tests/filtered_parity.rs` from the
/// device's filtered images against the CPU's, region by region: the same doubles wherever
/// every pixel has the same gray level, and where a pixel's level differs, an edge of the CPU
/// image's own bins lies between its two values (the pixel landed on the other side of it).
#[test]
fn filtered_features_differ_only_where_a_pixel_crosses_a_bin_edge() {
    use sonorad::discretize::Binning;
    use sonorad::extract::{load_case, prepare_case, region_features, EnabledImageType, Settings};
    let Some(filters) = device_filters() else {
        return;
    };
    let kinds = [
        ImageType::LoG {
            sigmas: [1.0, 2.0, 3.0].map(Sigma::mm).to_vec(),
        },
        ImageType::Wavelet(WaveletSettings::default()),
        ImageType::Square,
        ImageType::SquareRoot,
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::Gradient { use_spacing: true },
    ];
    let settings = Settings {
        rings: vec!["2mm".parse().unwrap()],
        spacing: Some(0.1),
        image_types: kinds
            .iter()
            .map(|k| EnabledImageType::new(k.clone(), Binning::Width(25.0)))
            .collect(),
        ..Default::default()
    }
    .check()
    .unwrap();
    let image = fixture("busi/benign/benign (2).png");
    let mask = fixture("busi/benign/benign (2)_mask.png");
    let case = load_case(&image, &mask, &settings).unwrap();
    let cpu = prepare_case(&case, &settings, None).unwrap();
    let device = prepare_case(&case, &settings, Some(&filters)).unwrap();
    assert_eq!(cpu.len(), device.len());
    let (mut crossed, mut same_features) = (0, 0);
    for (c, d) in cpu.iter().zip(&device) {
        assert_eq!(
            (&c.image_type, &c.region.name),
            (&d.image_type, &d.region.name)
        );
        let level = |p: &sonorad::extract::PreparedRegion| -> Vec<u32> {
            p.gray
                .ranks()
                .iter()
                .map(|&r| {
                    if r == 0 {
                        0
                    } else {
                        p.gray.levels[r as usize - 1]
                    }
                })
                .collect()
        };
        let (lc, ld) = (level(c), level(d));
        let flips: Vec<usize> = (0..lc.len()).filter(|&k| lc[k] != ld[k]).collect();
        if flips.is_empty() {
            let features = |p: &sonorad::extract::PreparedRegion| {
                region_features(
                    p,
                    &sonorad::matrix::cpu::build_all(&p.gray),
                    Some(sonorad::io::PixelSpacing::square(0.1)),
                )
            };
            let (fc, fd) = (features(c), features(d));
            for (a, b) in fc.iter().zip(&fd) {
                let tolerance = 1e-9 * a.value.abs().max(1e-3);
                assert!(
                    (a.value - b.value).abs() <= tolerance
                        || (a.value.is_nan() && b.value.is_nan()),
                    "{} {} {}: cpu {} device {}",
                    c.region.name,
                    c.image_type,
                    a.name,
                    a.value,
                    b.value
                );
            }
            same_features += 1;
            continue;
        }
        // every flipped pixel straddles an edge of the CPU's bins
        let edges = Binning::Width(25.0).edges(&c.values, &image).unwrap();
        for k in &flips {
            let (x, y) = (k % c.gray.width, k / c.gray.width);
            let at = |p: &sonorad::extract::PreparedRegion| {
                let index = p.region.mask[..]
                    .iter()
                    .take(y * p.gray.width + x)
                    .filter(|&&m| m)
                    .count();
                p.values[index]
            };
            let (a, b) = (at(c), at(d));
            assert!(
                edges.iter().any(|&e| a.min(b) < e && e <= a.max(b)),
                "{}: {a} and {b} share a bin",
                c.image_type
            );
        }
        crossed += flips.len();
    }
    eprintln!("{same_features} of {} regions with every level the CPU's; {crossed} pixels across a bin edge", cpu.len());
    assert!(same_features >= cpu.len() - 4);
}
