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

/// A PNG of a few hundred bytes whose header claims `width` × `height` gray pixels (one IDAT of a
/// single compressed row).
fn png_claiming(path: &Path, width: u32, height: u32) {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]); // 8-bit gray, deflate, no filter, not interlaced
    chunk(&mut png, b"IHDR", &header);
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut zlib, &[0u8; 64]).unwrap();
    chunk(&mut png, b"IDAT", &zlib.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png).unwrap();
}

/// A small PNG claiming 100000 × 100000 pixels (or 1 × 4294967295) is refused from its header,
/// naming the file, as image and as mask, before any pixel buffer is allocated.
#[test]
fn png_header_claiming_a_huge_size_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    for (name, w, h) in [("wide.png", 100_000, 100_000), ("tall.png", 1, u32::MAX)] {
        let huge = dir.path().join(name);
        png_claiming(&huge, w, h);
        assert!(std::fs::metadata(&huge).unwrap().len() < 400);
        let expected = format!(
            "{name}: not a readable image: the header claims {w} x {h} pixels, above the limit of 268435456 pixels (--max-pixels)"
        );
        let (code, err) = fails(&["--image", &image, "--mask", huge.to_str().unwrap()]);
        assert_eq!(code, 1);
        assert!(err.contains(&expected), "{err}");
        let (_, err) = fails(&["--image", huge.to_str().unwrap(), "--mask", &mask]);
        assert!(err.contains(&expected), "{err}");
    }
    // the limit is a setting
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--max-pixels", "1000"]);
    assert!(
        err.contains("mask.png: not a readable image: the header claims 40 x 30 pixels, above the limit of 1000 pixels"),
        "{err}"
    );
}

/// A FIFO (or any file that is not a regular file) named as an image is refused at once instead
/// of blocking the run forever; a detached NRRD header pointing at /dev/zero is refused naming
/// the header.
#[test]
fn pipes_and_devices_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let fifo = dir.path().join("scan.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let (_, err) = fails(&["--image", fifo.to_str().unwrap(), "--mask", &mask]);
        assert!(
            err.contains("scan.png: not a readable image: not a regular file (a pipe or a device); images and masks must be regular files"),
            "{err}"
        );
        let (_, err) = fails(&["--image", &image, "--mask", fifo.to_str().unwrap()]);
        assert!(
            err.contains("scan.png: not a readable image: not a regular file"),
            "{err}"
        );
    }
    let header = dir.path().join("zero.nhdr");
    std::fs::write(
        &header,
        "NRRD0004\ntype: uchar\ndimension: 2\nsizes: 40 30\nencoding: raw\ndata file: /dev/zero\n\n",
    )
    .unwrap();
    let (_, err) = fails(&["--image", header.to_str().unwrap(), "--mask", &mask]);
    assert!(
        err.contains("zero.nhdr: not a readable image: NRRD data file /dev/zero: /dev/zero: not a readable image: not a regular file"),
        "{err}"
    );
}

/// A gzip bomb behind an NRRD header of 128 × 96 bytes inflates no further than the 12,288
/// bytes the header calls for (it used to inflate whole); a NIfTI header claiming 20000 × 20000
/// is refused before its volume is read.
#[test]
fn compressed_data_inflates_only_as_far_as_the_header_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut zeros = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        std::io::Write::write_all(&mut zeros, &block).unwrap();
    }
    let mut file =
        b"NRRD0004\ntype: uchar\ndimension: 2\nsizes: 128 96\nencoding: gzip\n\n".to_vec();
    file.extend(zeros.finish().unwrap());
    let bomb = dir.path().join("bomb.nrrd");
    std::fs::write(&bomb, file).unwrap();
    let image = sonorad::io::read_image_file(&bomb, 0).unwrap().image;
    assert_eq!((image.width, image.height), (128, 96));
    assert!(image.pixels.iter().all(|&v| v == 0.0));

    let mut header = vec![0u8; 352];
    header[..4].copy_from_slice(&348i32.to_le_bytes());
    for (k, d) in [2i16, 20000, 20000, 1, 1, 1, 1, 1].iter().enumerate() {
        header[40 + 2 * k..42 + 2 * k].copy_from_slice(&d.to_le_bytes());
    }
    header[70..72].copy_from_slice(&2i16.to_le_bytes()); // uint8
    header[72..74].copy_from_slice(&8i16.to_le_bytes());
    header[108..112].copy_from_slice(&352f32.to_le_bytes());
    header[344..348].copy_from_slice(b"n+1\0");
    let nifti = dir.path().join("huge.nii");
    std::fs::write(&nifti, header).unwrap();
    let err = sonorad::io::read_image_file(&nifti, 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("huge.nii: not a readable image: the header claims 20000 x 20000 pixels"),
        "{err}"
    );
}

/// A thin 16-bit image (34 × 485, `--bin-count 64`) whose GLCM makes the general eigensolver of
/// MCC iterate without end used to hang `extract` on both backends. The solver is now bounded
/// and falls back to the symmetric route: the case finishes within seconds with PyRadiomics'
/// values (MCC 0.9999999999999647 and Idmn 0.950129384273491, from
/// `tests/fixtures/regressions/mcc_hang/README.md`) to 1e-9.
#[test]
fn an_mcc_that_never_converged_now_finishes_with_pyradiomics_value() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/regressions/mcc_hang"
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(["extract", "--backend", "cpu", "--bin-count", "64"])
        .args(["--image", &format!("{dir}/image.png")])
        .args(["--mask", &format!("{dir}/mask.png")])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("extract still running after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| -> f64 {
        let line = table.lines().find(|l| l.starts_with(name)).unwrap();
        line.split(',').nth(1).unwrap().parse().unwrap()
    };
    for (name, expected) in [
        ("tumor_original_glcm_MCC,", 0.9999999999999647),
        ("tumor_original_glcm_Idmn,", 0.950129384273491),
    ] {
        let got = value(name);
        assert!(
            (got - expected).abs() <= 1e-9 * expected.abs(),
            "{name} {got}"
        );
    }
}

/// Every truncation of a JPEG is an error naming the file: the decoder itself fills missing scan
/// data with gray and reports nothing.
#[test]
fn truncated_jpegs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = good_case(dir.path());
    let jpeg = dir.path().join("scan.jpg");
    image::save_buffer(
        &jpeg,
        &speckle(40, 30, 3),
        40,
        30,
        image::ExtendedColorType::L8,
    )
    .unwrap();
    let bytes = std::fs::read(&jpeg).unwrap();
    extract_succeeds(&["--image", jpeg.to_str().unwrap(), "--mask", &mask]);
    let cut = dir.path().join("cut.jpg");
    for keep in [
        bytes.len() / 4,
        bytes.len() / 2,
        bytes.len() - 2,
        bytes.len() - 1,
    ] {
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let (code, err) = fails(&["--image", cut.to_str().unwrap(), "--mask", &mask]);
        assert_eq!(code, 1);
        assert!(
            err.contains("cut.jpg: not a readable image: the JPEG file does not end with its end-of-image marker (truncated)"),
            "{keep} bytes: {err}"
        );
    }
}

/// A PNG whose zlib stream carries a wrong Adler-32 checksum (chunk CRC recomputed, so only the
/// checksum is wrong) is refused, as zlib refuses it.
#[test]
fn png_with_a_bad_adler32_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let mut bytes = std::fs::read(&mask).unwrap();
    // the last IDAT chunk ends 12 bytes (IEND) + 4 (its CRC) before the end of the file; its
    // data ends with the 4-byte Adler-32
    let iend = bytes.len() - 12;
    let crc_at = iend - 4;
    bytes[crc_at - 1] ^= 0x55;
    let length_at = (0..crc_at)
        .rev()
        .find(|&k| &bytes[k + 4..k + 8] == b"IDAT")
        .unwrap();
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[length_at + 4..crc_at]);
    bytes[crc_at..iend].copy_from_slice(&crc.sum().to_be_bytes());
    let bad = dir.path().join("bad_adler.png");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, err) = fails(&["--image", &image, "--mask", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bad_adler.png: not a readable image: Corrupt deflate stream. WrongChecksum"),
        "{err}"
    );
}

/// A small image padded to 64 MiB (a sparse file: a valid header, then zeros) is refused from its
/// size and header before it is read, naming the file.
#[test]
fn a_file_far_larger_than_its_pixels_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let padded = dir.path().join("padded.png");
    std::fs::copy(&image, &padded).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&padded)
        .unwrap();
    file.set_len(64 << 20).unwrap();
    let (code, err) = fails(&["--image", padded.to_str().unwrap(), "--mask", &mask]);
    assert_eq!(code, 1);
    assert!(
        err.contains("padded.png: not a readable image: the file holds 67108864 bytes, more than its 40 x 30 pixels can need (16786816); refused unread"),
        "{err}"
    );
}

/// An NRRD file of 1 GiB (a sparse file) whose header asks for 40 × 30 bytes is read as far as
/// those bytes: the header alone first, then the data streamed (the whole file used to be read).
#[test]
fn an_nrrd_file_is_read_only_as_far_as_its_header_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.nrrd");
    let header = "NRRD0004\ntype: uchar\ndimension: 2\nsizes: 40 30\nencoding: raw\n\n";
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend((0..1200u32).map(|k| (k % 251) as u8));
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    let image = sonorad::io::read_image_file(&path, 0).unwrap().image;
    assert_eq!((image.width, image.height), (40, 30));
    assert_eq!(image.pixels[1199], f64::from(1199 % 251));
}

/// Runs `sonorad ARGS` and kills it after `seconds`: the exit code, or `None` when it hung.
fn run_within(args: &[&str], seconds: u64) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if start.elapsed().as_secs() >= seconds {
            child.kill().unwrap();
            let _ = child.wait();
            return (None, String::new());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A manifest naming a FIFO, a folder or `/dev/zero` as an image, as a mask or as a detached
/// NRRD data file: the good cases are written, each bad one is recorded in the errors file
/// with its reason, and the run ends with exit status 2 within seconds (it used to block on
/// the FIFO forever, opened while the chunk was sized). An output, errors file or
/// `--write-masks` folder that is a FIFO is refused before anything is opened.
#[test]
fn a_manifest_naming_pipes_folders_and_devices_records_them_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let fifo = dir.path().join("pipe.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let folder = dir.path().join("folder.png");
    std::fs::create_dir(&folder).unwrap();
    let header = dir.path().join("zero.nhdr");
    std::fs::write(
        &header,
        "NRRD0004\ntype: uchar\ndimension: 2\nsizes: 40 30\nencoding: raw\ndata file: /dev/zero\n\n",
    )
    .unwrap();
    let (fifo, folder, header) = (
        fifo.display().to_string(),
        folder.display().to_string(),
        header.display().to_string(),
    );
    let rows = [
        ("good_1", image.as_str(), mask.as_str()),
        ("fifo_image", &fifo, &mask),
        ("fifo_mask", &image, &fifo),
        ("folder_image", &folder, &mask),
        ("folder_mask", &image, &folder),
        ("zero_image", "/dev/zero", &mask),
        ("zero_mask", &image, "/dev/zero"),
        ("nrrd_zero_data", &header, &mask),
        ("good_2", &image, &mask),
    ];
    let manifest = dir.path().join("cases.csv");
    let mut text = String::from("case_id,image,mask\n");
    for (id, i, m) in rows {
        text.push_str(&format!("{id},{i},{m}\n"));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("features.csv");
    let (code, err) = run_within(
        &[
            "extract",
            "--backend",
            "cpu",
            "--manifest",
            manifest.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        30,
    );
    assert_eq!(code, Some(2), "the run hung or ended otherwise: {err}");
    let table = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, vec!["good_1", "good_2"], "{table}");
    let errors_file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("errors"))
        .expect("an errors file");
    let errors = std::fs::read_to_string(&errors_file).unwrap();
    for (id, _, _) in &rows[1..8] {
        let line = errors
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap_or_else(|| panic!("{id} not recorded:\n{errors}"));
        assert!(
            line.contains("not a regular file") || line.contains("a folder;"),
            "{line}"
        );
    }
    // outputs that are not regular files are refused at once
    for (flag, target) in [("--out", &fifo), ("--out", &folder)] {
        let (code, err) = run_within(
            &[
                "extract",
                "--backend",
                "cpu",
                "--manifest",
                manifest.to_str().unwrap(),
                flag,
                target,
            ],
            30,
        );
        assert!(
            code.is_some_and(|c| c != 0),
            "{flag} {target}: hung or succeeded: {err}"
        );
        assert!(err.contains(target.as_str()), "{err}");
    }
}

/// Every file an archive run writes beside its output (the errors file, the settings record)
/// and the `--write-masks` folder are checked before anything is opened: a FIFO there used to
/// block the run forever.
#[test]
fn an_archive_run_refuses_special_files_among_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let manifest = dir.path().join("cases.csv");
    std::fs::write(&manifest, format!("case_id,image,mask\na,{image},{mask}\n")).unwrap();
    let out = dir.path().join("f.csv");
    for (fifo, extra) in [
        ("f.csv.errors.csv", None),
        ("f.csv.settings.txt", None),
        ("masks", Some("--write-masks")),
    ] {
        let path = dir.path().join(fifo);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
        let mut args = vec![
            "extract",
            "--backend",
            "cpu",
            "--manifest",
            manifest.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        let path_text = path.display().to_string();
        if let Some(flag) = extra {
            args.extend([flag, path_text.as_str()]);
        }
        let (code, err) = run_within(&args, 30);
        assert!(
            code.is_some_and(|c| c != 0),
            "{fifo}: hung or succeeded: {err}"
        );
        assert!(err.contains(&path_text), "{fifo}: {err}");
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_file(&out);
    }
}

/// A wavelet level is input that can exhaust memory (`level: 1000000` grew `extract` to
/// 10.7 GB in 60 s): a level beyond 32 is refused before any case is read, naming the
/// setting; a level whose sub-bands would take more than 1 GiB of this image is refused for
/// the case, naming the largest level that fits (1200 × 1200 pixels: 30).
#[test]
fn wavelet_levels_beyond_what_fits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = good_case(dir.path());
    let params = |level: &str| {
        let path = dir.path().join(format!("level_{level}.yaml"));
        std::fs::write(
            &path,
            format!(
                "imageType:\n  Wavelet:\n    level: {level}\nfeatureClass:\n  firstorder: [Mean]\n"
            ),
        )
        .unwrap();
        path.display().to_string()
    };
    let huge = params("1000000");
    let (_, err) = fails(&["--image", &image, "--mask", &mask, "--params", &huge]);
    assert!(
        err.contains("imageType.Wavelet.level") && err.contains("an integer from 1 to 32"),
        "{err}"
    );
    let big = dir.path().join("big.png");
    let big_mask = dir.path().join("big_mask.png");
    write_gray8(&big, 1200, 1200, &speckle(1200, 1200, 3));
    write_mask(&big_mask, 1200, 1200, |x, y| {
        (500..700).contains(&x) && (500..700).contains(&y)
    });
    let (big, big_mask) = (big.display().to_string(), big_mask.display().to_string());
    let level_31 = params("31");
    let (_, err) = fails(&["--image", &big, "--mask", &big_mask, "--params", &level_31]);
    assert!(
        err.contains("big.png")
            && err.contains("wavelet level 31: its 94 sub-band images of this 1200 × 1200 image would take more than 1 GiB; at most level 30 fits (setting `level`)"),
        "{err}"
    );
}

/// `sonorad map` checks the region as PyRadiomics' voxel-based run does (its `checkMask` comes
/// first): a one-pixel region is refused, naming the mask, instead of giving 93 maps.
#[test]
fn a_one_pixel_region_has_no_maps() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = good_case(dir.path());
    let mask = dir.path().join("one.png");
    write_mask(&mask, 40, 30, |x, y| (x, y) == (12, 9));
    let out = dir.path().join("maps");
    let run = sonorad(&[
        "map",
        "--backend",
        "cpu",
        "--image",
        &image,
        "--mask",
        mask.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("one.png: region 'tumor' has a single pixel; PyRadiomics cannot extract features for a single voxel"),
        "{err}"
    );
}

/// Values so large that a bin width is below their resolution (1e30 + 25 == 1e30 in f64)
/// gave no gray level at all, and the GLCM formulas indexed out of bounds (a panic found by
/// the Python fuzz target): refused naming the image and the setting.
#[test]
fn a_bin_width_below_the_values_resolution_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("huge.nrrd");
    let (w, h) = (14usize, 16usize);
    let mut bytes = format!(
        "NRRD0004\ntype: double\ndimension: 2\nsizes: {w} {h}\nendian: little\nencoding: raw\n\n"
    )
    .into_bytes();
    for _ in 0..w * h {
        bytes.extend_from_slice(&1e30f64.to_le_bytes());
    }
    std::fs::write(&image, bytes).unwrap();
    let mask = dir.path().join("mask.png");
    write_mask(&mask, w as u32, h as u32, |x, _| x >= 12);
    let (_, err) = fails(&[
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
    ]);
    assert!(
        err.contains("huge.nrrd: bin width 25 is below the resolution of the region's values"),
        "{err}"
    );
}

/// `sonorad map` of a region filling a 20000 × 20000 image at radius 16: refused from the
/// files' headers by the pixel limit, before anything is allocated; within the limit a map is
/// bounded by `--case-time-budget` (600 s by default), which fails the case naming its file.
#[test]
fn a_map_of_a_huge_region_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = (dir.path().join("big.png"), dir.path().join("big_mask.png"));
    png_claiming(&image, 20_000, 20_000);
    png_claiming(&mask, 20_000, 20_000);
    let out = dir.path().join("maps");
    let run = sonorad(&[
        "map",
        "--backend",
        "cpu",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--kernel-radius",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the header claims 20000 x 20000 pixels, above the limit of 268435456 pixels"),
        "{err}"
    );
    // within the limit, the time budget ends a map that would take hours
    let (image, mask) = (
        dir.path().join("wide.png"),
        dir.path().join("wide_mask.png"),
    );
    write_gray8(&image, 1200, 1200, &speckle(1200, 1200, 5));
    write_mask(&mask, 1200, 1200, |_, _| true);
    let run = sonorad(&[
        "map",
        "--backend",
        "cpu",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--kernel-radius",
        "16",
        "--case-time-budget",
        "1",
        "--features",
        "glcm_Contrast",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("wide.png: the case exceeded its time budget of 1 s"),
        "{err}"
    );
}
