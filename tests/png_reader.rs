//! sonorad's own gray-PNG reader (`io::png_gray`) gives exactly the pixels the `image` crate
//! gives: every committed PNG fixture (8- and 16-bit images, 1- and 8-bit masks), plus generated
//! 1-, 2- and 4-bit files. Reading only the first rows gives those rows and NaN below, and a
//! file cut short is still refused when the rows it lacks are not needed.

use std::path::{Path, PathBuf};

use image::DynamicImage;
use sonorad::io::image::read_image_rows;
use sonorad::io::{read_image, read_mask};

/// Every PNG under `tests/fixtures`.
fn fixture_pngs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("fixtures folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "png") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut out,
    );
    out.sort();
    out
}

/// Gray values as the `image` crate decodes them; `None` for a colour file (those go through
/// the `image` crate in sonorad too).
fn reference(path: &Path) -> Option<Vec<f64>> {
    let img = image::open(path).expect("image crate decodes the fixture");
    match img {
        DynamicImage::ImageLuma8(b) => Some(b.as_raw().iter().map(|&v| f64::from(v)).collect()),
        DynamicImage::ImageLuma16(b) => Some(b.as_raw().iter().map(|&v| f64::from(v)).collect()),
        _ => None,
    }
}

#[test]
fn every_fixture_png_reads_as_the_image_crate_reads_it() {
    let files = fixture_pngs();
    let mut gray = 0;
    for path in &files {
        let Some(expected) = reference(path) else {
            continue;
        };
        gray += 1;
        let image = read_image(path).expect("image");
        assert_eq!(image.pixels, expected, "{}", path.display());
        let mask = read_mask(path, 0).expect("mask");
        let labels: Vec<f64> = mask.labels.iter().map(|&v| f64::from(v)).collect();
        assert_eq!(labels, expected, "{}", path.display());
    }
    assert!(gray >= 50, "{gray} gray PNG fixtures of {}", files.len());
}

/// Writes a gray PNG with `depth` bits per sample (samples must fit).
fn write_low_depth(path: &Path, width: u32, height: u32, depth: png::BitDepth, samples: &[u8]) {
    let bits = depth as usize;
    let per_byte = 8 / bits;
    let stride = (width as usize).div_ceil(per_byte);
    let mut packed = vec![0u8; stride * height as usize];
    for y in 0..height as usize {
        for x in 0..width as usize {
            let v = samples[y * width as usize + x];
            packed[y * stride + x / per_byte] |= v << (8 - bits * (x % per_byte + 1));
        }
    }
    let file = std::fs::File::create(path).expect("create");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(depth);
    let mut writer = encoder.write_header().expect("header");
    writer.write_image_data(&packed).expect("data");
}

#[test]
fn low_bit_depths_are_scaled_as_the_image_crate_scales_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    // an odd width leaves padding bits in the last byte of every row
    let (w, h) = (13u32, 7u32);
    for (depth, max) in [
        (png::BitDepth::One, 1u8),
        (png::BitDepth::Two, 3),
        (png::BitDepth::Four, 15),
    ] {
        let samples: Vec<u8> = (0..w * h)
            .map(|i| ((i * 7 + i / 3) % (u32::from(max) + 1)) as u8)
            .collect();
        let path = dir.path().join(format!("gray{}.png", depth as u8));
        write_low_depth(&path, w, h, depth, &samples);
        let expected = reference(&path).expect("a gray file");
        // 255 / (2^depth − 1) per step
        let scale = 255.0 / f64::from(max);
        let direct: Vec<f64> = samples.iter().map(|&v| f64::from(v) * scale).collect();
        assert_eq!(expected, direct, "{depth:?}");
        assert_eq!(
            read_image(&path).expect("image").pixels,
            expected,
            "{depth:?}"
        );
        let mask = read_mask(&path, 0).expect("mask");
        assert_eq!(
            mask.labels
                .iter()
                .map(|&v| f64::from(v))
                .collect::<Vec<_>>(),
            expected,
            "{depth:?}"
        );
    }
}

#[test]
fn reading_the_first_rows_stops_after_them() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/busi/benign/benign (1).png");
    let full = read_image(&path).expect("full");
    let top = read_image_rows(&path, 10).expect("first rows");
    assert_eq!((top.width, top.height), (full.width, full.height));
    assert_eq!(full.pixels.len(), full.width * full.height);
    assert_eq!(top.pixels[..], full.pixels[..10 * full.width]);
}

#[test]
fn a_truncated_file_is_refused_even_when_its_missing_rows_are_not_needed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/busi/benign/benign (1).png");
    let bytes = std::fs::read(&path).expect("fixture");
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &bytes[..bytes.len() - 200]).expect("write");
    let err = read_image_rows(&cut, 1).expect_err("truncated").to_string();
    assert!(
        err.contains("cut.png") && err.contains("truncated"),
        "{err}"
    );
}
