//! Filtered images against PyRadiomics 3.0.1, pixel by pixel.
//!
//! Expected images come from `tests/fixtures/make_filter_fixtures.py images`, which runs
//! PyRadiomics' own `radiomics.imageoperations` filter functions (SimpleITK 2.5 / ITK 5.4,
//! PyWavelets 1.8, numpy 1.26) on three inputs: `syn_lobulated` (8-bit, 1 mm), a crop of BUSI
//! benign (2) with odd width and height (8-bit, 0.1 mm) and a 23x17 float image with negative
//! values and anisotropic spacing (0.7 x 1.3 mm). `tests/fixtures/filters/images.csv` lists every
//! filtered image with its settings.
//!
//! Tolerances: LoG within 1e-6 of the reference image's range, pixel by pixel; wavelet, point
//! filters and gradient magnitude identical doubles (the gradient as the f32 SimpleITK returns).

use std::io::Read;
use std::path::{Path, PathBuf};

use sonorad::filters::gradient::gradient_magnitude;
use sonorad::filters::log::{check_sigma, laplacian_of_gaussian, python_float_repr};
use sonorad::filters::point::{exponential, logarithm, square, square_root};
use sonorad::filters::wavelet::wavelet;
use sonorad::filters::{FilterError, FilteredImage, ImageType, Sigma, Wavelet, WaveletSettings};
use sonorad::io::{read_image, Image, PixelSpacing};

/// tests/fixtures/filters.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/filters")
}

/// One row of images.csv.
#[derive(Debug, Clone)]
struct Row {
    case: String,
    input: String,
    width: usize,
    height: usize,
    spacing: PixelSpacing,
    filter: String,
    setting: String,
    image_type: String,
    dtype: String,
    file: String,
}

fn rows() -> Vec<Row> {
    let mut reader = csv::Reader::from_path(fixtures().join("images.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                case: r[0].to_string(),
                input: r[1].to_string(),
                width: r[2].parse().unwrap(),
                height: r[3].parse().unwrap(),
                spacing: PixelSpacing {
                    column: r[4].parse().unwrap(),
                    row: r[5].parse().unwrap(),
                },
                filter: r[6].to_string(),
                setting: r[7].to_string(),
                image_type: r[8].to_string(),
                dtype: r[9].to_string(),
                file: r[10].to_string(),
            }
        })
        .collect()
}

/// A gzip-compressed little-endian array of f32 or f64, as f64.
fn read_array(path: &Path, dtype: &str) -> Vec<f64> {
    let file = std::fs::File::open(path).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap();
    match dtype {
        "f32" => bytes
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        "f64" => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        other => panic!("unknown dtype {other}"),
    }
}

/// The input image of a row: a PNG read by sonorad, or the raw float image.
fn input(row: &Row) -> Image<'static> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(&row.input);
    let image = if row.input.ends_with(".f64.gz") {
        Image {
            width: row.width,
            height: row.height,
            pixels: read_array(&path, "f64").into(),
            source: path,
        }
    } else {
        read_image(&path).unwrap()
    };
    assert_eq!((image.width, image.height), (row.width, row.height));
    image
}

/// Runs the filter of a row; wavelet rows return all sub-bands of their setting.
fn run(row: &Row, image: &Image) -> Result<Vec<FilteredImage>, FilterError> {
    match row.filter.as_str() {
        "log" => {
            let sigma = Sigma::mm(row.setting.parse().unwrap());
            laplacian_of_gaussian(image, row.spacing, sigma).map(|i| vec![i])
        }
        "wavelet" => {
            let parts: Vec<&str> = row.setting.split(':').collect();
            let settings = WaveletSettings {
                wavelet: Wavelet::from_name(parts[0]).unwrap(),
                level: parts[1].parse().unwrap(),
                start_level: parts[2].parse().unwrap(),
                axis: None,
            };
            wavelet(image, &settings)
        }
        "square" => square(image).map(|i| vec![i]),
        "squareroot" => square_root(image).map(|i| vec![i]),
        "logarithm" => logarithm(image).map(|i| vec![i]),
        "exponential" => exponential(image).map(|i| vec![i]),
        "gradient" => {
            gradient_magnitude(image, row.spacing, row.setting == "spacing").map(|i| vec![i])
        }
        other => panic!("unknown filter {other}"),
    }
}

/// Pixel comparison of one filtered image.
struct Comparison {
    /// Largest absolute difference.
    max_difference: f64,
    /// Range (max - min) of the reference image.
    range: f64,
    /// Pixels that are the same double.
    identical: usize,
    /// Pixels.
    count: usize,
}

fn compare(ours: &[f64], reference: &[f64]) -> Comparison {
    assert_eq!(ours.len(), reference.len());
    let (lo, hi) = reference
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    Comparison {
        max_difference: ours
            .iter()
            .zip(reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max),
        range: hi - lo,
        identical: ours
            .iter()
            .zip(reference)
            .filter(|(a, b)| a.to_bits() == b.to_bits() || a == b)
            .count(),
        count: ours.len(),
    }
}

/// Every image of `images.csv` whose filter is in `filters`, compared with `check`.
fn check_filters(filters: &[&str], check: impl Fn(&Row, &Comparison)) -> usize {
    let mut checked = 0;
    let mut cache: Option<(String, Vec<FilteredImage>)> = None;
    for row in rows()
        .iter()
        .filter(|r| filters.contains(&r.filter.as_str()))
    {
        let image = input(row);
        if row.dtype == "skipped" {
            let result = run(row, &image);
            assert!(
                matches!(result, Err(FilterError::SigmaTooLarge { .. })),
                "{} {} {}: PyRadiomics skips it, sonorad gave {result:?}",
                row.case,
                row.filter,
                row.setting
            );
            checked += 1;
            continue;
        }
        let key = format!("{}|{}|{}", row.case, row.filter, row.setting);
        if cache.as_ref().map(|(k, _)| k != &key).unwrap_or(true) {
            cache = Some((key.clone(), run(row, &image).unwrap()));
        }
        let produced = &cache.as_ref().unwrap().1;
        let ours = produced
            .iter()
            .find(|f| f.name == row.image_type)
            .unwrap_or_else(|| {
                panic!(
                    "{key}: no image named {} (got {:?})",
                    row.image_type,
                    produced.iter().map(|f| &f.name).collect::<Vec<_>>()
                )
            });
        assert_eq!(
            (ours.image.width, ours.image.height),
            (row.width, row.height)
        );
        let reference = read_array(&fixtures().join(&row.file), &row.dtype);
        let comparison = compare(&ours.image.pixels, &reference);
        eprintln!(
            "{:<22} {:<28} {:<14} max |diff| {:.3e} (range {:.4e}), identical {}/{}",
            row.case,
            row.image_type,
            row.setting,
            comparison.max_difference,
            comparison.range,
            comparison.identical,
            comparison.count
        );
        check(row, &comparison);
        checked += 1;
    }
    checked
}

#[test]
fn log_matches_simpleitk_within_1e_6_of_the_range() {
    let checked = check_filters(&["log"], |row, c| {
        assert!(
            c.max_difference <= 1e-6 * c.range,
            "{} {}: max |diff| {} > 1e-6 x range {}",
            row.case,
            row.image_type,
            c.max_difference,
            c.range
        );
    });
    assert_eq!(checked, 10);
}

#[test]
fn wavelet_matches_pywavelets_exactly() {
    let checked = check_filters(&["wavelet"], |row, c| {
        assert_eq!(
            c.identical,
            c.count,
            "{} {} {}: {} pixels differ, max |diff| {}",
            row.case,
            row.image_type,
            row.setting,
            c.count - c.identical,
            c.max_difference
        );
    });
    assert_eq!(checked, 4 + 4 + 4 * 9 + 7 + 4);
}

#[test]
fn point_filters_match_numpy_exactly() {
    let checked = check_filters(
        &["square", "squareroot", "logarithm", "exponential"],
        |row, c| {
            assert_eq!(
                c.identical,
                c.count,
                "{} {}: {} pixels differ, max |diff| {}",
                row.case,
                row.image_type,
                c.count - c.identical,
                c.max_difference
            );
        },
    );
    assert_eq!(checked, 12);
}

#[test]
fn gradient_matches_simpleitk_exactly() {
    let checked = check_filters(&["gradient"], |row, c| {
        assert_eq!(
            c.identical,
            c.count,
            "{} {} {}: {} pixels differ, max |diff| {}",
            row.case,
            row.image_type,
            row.setting,
            c.count - c.identical,
            c.max_difference
        );
    });
    assert_eq!(checked, 4);
}

/// The same spacing along both axes.
fn isotropic(mm: f64) -> PixelSpacing {
    PixelSpacing {
        column: mm,
        row: mm,
    }
}

fn flat(width: usize, height: usize, value: f64) -> Image<'static> {
    Image {
        width,
        height,
        pixels: vec![value; width * height].into(),
        source: PathBuf::from("flat"),
    }
}

#[test]
fn log_names_follow_python_str_of_the_sigma() {
    assert_eq!(Sigma::mm(1.0).image_type_name(), "log-sigma-1-0-mm-3D");
    assert_eq!(Sigma::mm(2.5).image_type_name(), "log-sigma-2-5-mm-3D");
    assert_eq!(Sigma::integer(3).image_type_name(), "log-sigma-3-mm-3D");
    assert_eq!(Sigma::mm(0.25).image_type_name(), "log-sigma-0-25-mm-3D");
    // Python's repr switches to exponent notation below 1e-4 and from 1e16 on.
    assert_eq!(python_float_repr(0.0001), "0.0001");
    assert_eq!(python_float_repr(0.00001), "1e-05");
    assert_eq!(python_float_repr(1.5e-7), "1.5e-07");
    assert_eq!(python_float_repr(1e15), "1000000000000000.0");
    assert_eq!(python_float_repr(1e16), "1e+16");
    assert_eq!(python_float_repr(123.456), "123.456");
    assert_eq!(python_float_repr(0.1 + 0.2), "0.30000000000000004");
}

#[test]
fn log_refuses_what_pyradiomics_skips() {
    let spacing = isotropic(1.0);
    // Under 4 pixels along an axis: no LoG at all.
    assert_eq!(
        check_sigma(3, 10, spacing, 1.0),
        Err(FilterError::ImageTooSmall {
            width: 3,
            height: 10
        })
    );
    assert!(matches!(
        check_sigma(10, 10, spacing, 0.0),
        Err(FilterError::SigmaNotPositive { .. })
    ));
    assert!(matches!(
        check_sigma(10, 10, spacing, -1.0),
        Err(FilterError::SigmaNotPositive { .. })
    ));
    // size >= ceil(sigma / spacing) + 1: 9 px allows sigma 8, not 8.5.
    assert!(check_sigma(9, 9, spacing, 8.0).is_ok());
    assert!(matches!(
        check_sigma(9, 9, spacing, 8.5),
        Err(FilterError::SigmaTooLarge { .. })
    ));
    // The check is per axis, in pixels of that axis' spacing.
    let anisotropic = PixelSpacing {
        column: 0.5,
        row: 2.0,
    };
    assert!(check_sigma(9, 5, anisotropic, 4.0).is_ok());
    assert!(check_sigma(8, 5, anisotropic, 4.0).is_err());
    assert!(matches!(
        check_sigma(9, 9, isotropic(0.0), 1.0),
        Err(FilterError::InvalidSpacing { .. })
    ));
    // The error message names the sizes.
    let message = check_sigma(9, 9, spacing, 8.5).unwrap_err().to_string();
    assert!(
        message.contains("8.5") && message.contains("9x9"),
        "{message}"
    );
}

#[test]
fn log_of_a_constant_image_is_zero() {
    let image = flat(12, 9, 100.0);
    let out = laplacian_of_gaussian(&image, isotropic(1.0), Sigma::mm(2.0)).unwrap();
    assert!(out.image.pixels.iter().all(|v| v.abs() < 1e-4));
}

#[test]
fn wavelet_names_and_settings() {
    assert_eq!(Wavelet::default().name(), "coif1");
    assert_eq!(WaveletSettings::default().wavelet.name(), "coif1");
    let image = flat(6, 5, 1.0);
    let names: Vec<String> = wavelet(&image, &WaveletSettings::default())
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        ["wavelet-LH", "wavelet-HL", "wavelet-HH", "wavelet-LL"]
    );
    let err = Wavelet::from_name("coif9").unwrap_err();
    assert!(err.to_string().contains("coif9"));
    assert!(Wavelet::from_name("morl").is_err());
    for name in [
        "haar", "db1", "db20", "sym2", "sym20", "coif5", "bior6.8", "rbio1.1", "dmey",
    ] {
        assert_eq!(Wavelet::from_name(name).unwrap().name(), name);
    }
    assert_eq!(Wavelet::supported().count(), 76);
    let zero_level = WaveletSettings {
        level: 0,
        ..WaveletSettings::default()
    };
    assert!(matches!(
        wavelet(&image, &zero_level),
        Err(FilterError::InvalidWaveletLevel { level: 0 })
    ));
    // Orthogonal filters have unit norm and the low-pass sums to sqrt 2.
    let coif1 = Wavelet::default();
    let norm: f64 = coif1.low_pass().iter().map(|h| h * h).sum();
    let sum: f64 = coif1.low_pass().iter().sum();
    assert!((norm - 1.0).abs() < 1e-12 && (sum - 2f64.sqrt()).abs() < 1e-12);
}

#[test]
fn point_filters_refuse_an_all_zero_image() {
    let zero = flat(4, 4, 0.0);
    for result in [square(&zero), logarithm(&zero), exponential(&zero)] {
        assert!(matches!(result, Err(FilterError::ZeroImage { .. })));
    }
    assert!(square_root(&zero)
        .unwrap()
        .image
        .pixels
        .iter()
        .all(|&v| v == 0.0));
}

#[test]
fn image_types_apply_in_pyradiomics_order_and_collect_skips() {
    let image = Image {
        width: 16,
        height: 12,
        pixels: (0..16 * 12).map(|i| f64::from(i % 7) * 10.0).collect(),
        source: PathBuf::from("ramp"),
    };
    let spacing = isotropic(1.0);
    let log = ImageType::LoG {
        sigmas: vec![Sigma::mm(1.0), Sigma::mm(30.0), Sigma::mm(2.0)],
    };
    let out = log.apply(&image, spacing);
    let names: Vec<&str> = out.images.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["log-sigma-1-0-mm-3D", "log-sigma-2-0-mm-3D"]);
    assert!(matches!(
        out.skipped.as_slice(),
        [FilterError::SigmaTooLarge { .. }]
    ));
    for (image_type, expected) in [
        (ImageType::Original, "original"),
        (ImageType::Square, "square"),
        (ImageType::SquareRoot, "squareroot"),
        (ImageType::Logarithm, "logarithm"),
        (ImageType::Exponential, "exponential"),
        (ImageType::Gradient { use_spacing: true }, "gradient"),
    ] {
        let out = image_type.apply(&image, spacing);
        assert_eq!(out.images.len(), 1);
        assert_eq!(out.images[0].name, expected);
        assert!(out.skipped.is_empty());
    }
    let bad = Image {
        width: 4,
        height: 4,
        pixels: vec![1.0; 3].into(),
        source: PathBuf::from("bad"),
    };
    assert!(matches!(
        square(&bad),
        Err(FilterError::BadShape { pixels: 3, .. })
    ));
}
