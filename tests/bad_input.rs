//! Bad input: each problem gives a non-zero exit and one clear message naming the file and the
//! problem, never a panic.

#[path = "common/images.rs"]
mod images;
#[path = "common/run.rs"]
mod run;

use images::{speckle, write_gray8, write_mask};
use run::{extract_succeeds, sonorad};
use std::path::Path;

/// A valid 40×30 image with a 10×8 lesion mask in `dir`.
fn good_case(dir: &Path) -> (String, String) {
    let image = dir.join("img.png");
    let mask = dir.join("mask.png");
    write_gray8(&image, 40, 30, &speckle(40, 30, 7));
    write_mask(&mask, 40, 30, |x, y| {
        (10..20).contains(&x) && (8..16).contains(&y)
    });
    (image.display().to_string(), mask.display().to_string())
}

/// Runs `extract` and returns (exit code, stderr), asserting no panic.
fn fails(args: &[&str]) -> (i32, String) {
    let mut all = vec!["extract", "--backend", "cpu"];
    all.extend_from_slice(args);
    let out = sonorad(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let code = out.status.code().expect("killed by a signal");
    assert_ne!(code, 0, "expected failure for {args:?}; stderr: {stderr}");
    (code, stderr)
}

#[test]
fn missing_image_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = good_case(dir.path());
    let missing = dir.path().join("nope.png").display().to_string();
    let (_, err) = fails(&["--image", &missing, "--mask", &mask]);
    assert!(err.contains("nope.png: cannot read file"), "{err}");
}

#[test]
fn truncated_png() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let bytes = std::fs::read(&image).unwrap();
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (_, err) = fails(&["--image", cut.to_str().unwrap(), "--mask", &mask]);
    assert!(err.contains("cut.png: not a readable image"), "{err}");
}

#[test]
fn not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = good_case(dir.path());
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "this is not a picture\n").unwrap();
    let (_, err) = fails(&["--image", text.to_str().unwrap(), "--mask", &mask]);
    assert!(
        err.contains("notes.png: not a readable image: unknown image format"),
        "{err}"
    );
}

#[test]
fn mask_size_differs_from_image() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let small = dir.path().join("small_mask.png");
    write_mask(&small, 20, 30, |_, _| true);
    let (_, err) = fails(&["--image", &image, "--mask", small.to_str().unwrap()]);
    assert!(
        err.contains("small_mask.png: mask is 20x30 but image") && err.contains("img.png is 40x30"),
        "{err}"
    );
}

#[test]
fn empty_mask() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let empty = dir.path().join("empty.png");
    write_mask(&empty, 40, 30, |_, _| false);
    let (_, err) = fails(&["--image", &image, "--mask", empty.to_str().unwrap()]);
    assert!(
        err.contains("empty.png: region 'tumor' is empty (the mask has no non-zero pixel)"),
        "{err}"
    );
}

#[test]
fn label_not_in_mask() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--label", "3"]);
    assert!(
        err.contains("mask.png: region 'tumor' is empty (no pixel has label 3)"),
        "{err}"
    );
}

#[test]
fn ring_in_mm_without_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--ring", "3mm"]);
    assert!(
        err.contains("ring width 3mm is in mm but no pixel spacing is known; give --spacing MM"),
        "{err}"
    );
}

#[test]
fn ring_without_room() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let full = dir.path().join("full.png");
    write_mask(&full, 40, 30, |_, _| true);
    let (_, err) = fails(&[
        "--image",
        &image,
        "--mask",
        full.to_str().unwrap(),
        "--ring",
        "2px",
    ]);
    assert!(
        err.contains("full.png: region 'ring2px' is empty (the tumour leaves no pixel of the image around it)"),
        "{err}"
    );
}

#[test]
fn huge_ring_reaches_the_image_edges() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "extract",
            "--backend",
            "cpu",
            "--image",
            &image,
            "--mask",
            &mask,
        ];
        args.extend_from_slice(extra);
        let out = sonorad(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{extra:?}: {stderr}");
        // feature names without the ring's width, with the values
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .map(|l| match l.strip_prefix("ring") {
                Some(rest) => format!("ring_{}", rest.split_once('_').unwrap().1),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
    };
    // A ring wider than the image is every pixel outside the tumour, as a 100 px one is here.
    assert_eq!(run(&["--ring", "1e300px"]), run(&["--ring", "100px"]));
    let spacing = ["--spacing", "1e-300"];
    assert_eq!(
        run(&[&["--ring", "1e300mm"], &spacing[..]].concat()),
        run(&[&["--ring", "100px"], &spacing[..]].concat())
    );
}

#[test]
fn non_positive_bin_width() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    for width in ["0", "-5"] {
        let arg = format!("--bin-width={width}");
        let (_, err) = fails(&["--image", &image, "--mask", &mask, &arg]);
        assert!(
            err.contains(&format!("bin width must be a positive number, got {width}")),
            "{err}"
        );
    }
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--bin-count", "0"]);
    assert!(err.contains("bin count must be at least 1"), "{err}");
}

#[test]
fn single_pixel_region() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let dot = dir.path().join("dot.png");
    write_mask(&dot, 40, 30, |x, y| x == 5 && y == 5);
    let (_, err) = fails(&["--image", &image, "--mask", dot.to_str().unwrap()]);
    assert!(
        err.contains("dot.png: region 'tumor' has a single pixel; PyRadiomics cannot extract features for a single voxel"),
        "{err}"
    );
}

#[test]
fn one_pixel_thick_region() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let line = dir.path().join("line.png");
    write_mask(&line, 40, 30, |x, y| y == 5 && (3..13).contains(&x));
    let (_, err) = fails(&["--image", &image, "--mask", line.to_str().unwrap()]);
    assert!(
        err.contains("line.png: region 'tumor' is one pixel thick (10x1 bounding box)"),
        "{err}"
    );
}

#[test]
fn bad_case_in_manifest_is_reported_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    good_case(dir.path());
    std::fs::write(
        dir.path().join("cases.csv"),
        "case_id,image,mask\ngood,img.png,mask.png\nbad,missing.png,mask.png\n",
    )
    .unwrap();
    let out_csv = dir.path().join("features.csv");
    let manifest = dir.path().join("cases.csv");
    let out = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--manifest",
        manifest.to_str().unwrap(),
        "--out",
        out_csv.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("case bad:") && stderr.contains("missing.png: cannot read file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 2 cases extracted, 1 failed"),
        "{stderr}"
    );
    let table = std::fs::read_to_string(&out_csv).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with("good,"));
}

#[test]
fn manifest_without_mask_column() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("cases.csv");
    std::fs::write(&manifest, "case_id,image\na,img.png\n").unwrap();
    let (_, err) = fails(&["--manifest", manifest.to_str().unwrap()]);
    assert!(
        err.contains("cases.csv: no 'mask' column (columns: case_id, image)"),
        "{err}"
    );
}

/// A 16-bit PNG whose pixels are all different, with a mask of its `side`×`side` top-left square.
fn distinct_16bit_case(dir: &Path, side: u32) -> (String, String) {
    let (w, h) = (side + 10, side + 10);
    let image = dir.join("img16.png");
    let pixels: Vec<u16> = (0..w * h).map(|i| (i * 7 % 65536) as u16).collect();
    image::ImageBuffer::<image::Luma<u16>, _>::from_raw(w, h, pixels)
        .unwrap()
        .save(&image)
        .unwrap();
    let mask = dir.join("mask16.png");
    write_mask(&mask, w, h, |x, y| x < side && y < side);
    (image.display().to_string(), mask.display().to_string())
}

#[test]
fn too_many_bins() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--bin-width", "0.001"]);
    assert!(
        err.contains("img.png: bin width 0.001 makes")
            && err.contains("above the limit of 65536 bins; use a larger bin width"),
        "{err}"
    );
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--bin-count", "70000"]);
    assert!(
        err.contains("bin count 70000 is above the limit of 65536 bins"),
        "{err}"
    );
}

#[test]
fn matrices_too_large_for_the_gray_levels() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = distinct_16bit_case(dir.path(), 100);
    // 10 000 distinct values at bin width 1: 10 000 gray levels, a 400-million-cell GLCM.
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--bin-width", "1"]);
    assert!(
        err.contains("mask16.png: region 'tumor' has 10000 gray levels")
            && err.contains("above the limit of 67108864; use a larger bin width"),
        "{err}"
    );
    // 1024 bins work.
    let out = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--image",
        &image,
        "--mask",
        &mask,
        "--bin-count",
        "1024",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 40×30 little-endian float NRRD of the speckle image with `value` at column 12, row 9.
fn float_nrrd(path: &Path, value: f32) {
    let mut pixels: Vec<f32> = speckle(40, 30, 7).iter().map(|&v| f32::from(v)).collect();
    pixels[9 * 40 + 12] = value;
    let mut bytes =
        b"NRRD0004\ntype: float\ndimension: 2\nsizes: 40 30\nendian: little\nencoding: raw\n\n"
            .to_vec();
    bytes.extend(pixels.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn non_finite_pixel_in_a_region() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = good_case(dir.path());
    let image = dir.path().join("float.nrrd");
    for (value, shown) in [
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (f32::NEG_INFINITY, "-inf"),
    ] {
        float_nrrd(&image, value);
        let (_, err) = fails(&["--image", image.to_str().unwrap(), "--mask", &mask]);
        assert!(
            err.contains(&format!(
                "float.nrrd: region 'tumor' holds a pixel value of {shown} (column 12, row 9)"
            )),
            "{err}"
        );
    }
    // Outside every region a NaN does no harm.
    float_nrrd(&image, f32::NAN);
    let outside = dir.path().join("outside.png");
    write_mask(&outside, 40, 30, |x, y| {
        (20..30).contains(&x) && (15..25).contains(&y)
    });
    extract_succeeds(&[
        "--image",
        image.to_str().unwrap(),
        "--mask",
        outside.to_str().unwrap(),
    ]);
}
