//! DICOM, NIfTI and NRRD input: the same pixels as a PNG give the same features, and the
//! spacing the file carries is used (ultrasound region calibration in cm, PixelSpacing, pixdim,
//! NRRD spacings).
//!
//! DICOM fixtures are made here with the `dicom-object` crate itself; NIfTI-1 and NRRD files are
//! written byte by byte from their specifications (NIfTI-1: 348-byte header, `n+1` magic, data at
//! offset 352; NRRD0004: text header, blank line, data).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use sonorad::io::{read_image_file, read_mask_file, PixelSpacing};

const W: usize = 40;
const H: usize = 30;

/// A speckle image and an irregular lesion mask.
fn pixels() -> (Vec<u8>, Vec<u8>) {
    let case = sonorad::synth::speckle_case(W.max(H), 3, true);
    let side = W.max(H);
    let mut image = Vec::with_capacity(W * H);
    let mut mask = Vec::with_capacity(W * H);
    for y in 0..H {
        for x in 0..W {
            image.push(case.image.pixels[y * side + x] as u8);
            mask.push(if case.mask[y * side + x] { 1 } else { 0 });
        }
    }
    (image, mask)
}

fn png(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    image::save_buffer(
        &path,
        data,
        W as u32,
        H as u32,
        image::ExtendedColorType::L8,
    )
    .unwrap();
    path
}

fn features(image: &Path, mask: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "extract".to_string(),
        "--backend".into(),
        "cpu".into(),
        "--image".into(),
        image.to_str().unwrap().into(),
        "--mask".into(),
        mask.to_str().unwrap().into(),
        "--ring".into(),
        "0.5mm".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn element(tag: dicom_core::Tag, vr: VR, value: PrimitiveValue) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, value)
}

/// An uncompressed ultrasound DICOM file of 8-bit samples.
fn dicom(
    path: &Path,
    frames: &[Vec<u8>],
    samples_per_pixel: u16,
    extra: Vec<DataElement<InMemDicomObject>>,
) {
    let obj = dicom_object(frames, samples_per_pixel, extra);
    write_dicom(obj, path, uids::EXPLICIT_VR_LITTLE_ENDIAN);
}

/// Writes `obj` with a file meta table naming `transfer_syntax`.
fn write_dicom(obj: InMemDicomObject, path: &Path, transfer_syntax: &str) {
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(transfer_syntax)
                .media_storage_sop_class_uid(uids::ULTRASOUND_IMAGE_STORAGE)
                .media_storage_sop_instance_uid("1.2.826.0.1.3680043.2.1125.1"),
        )
        .unwrap();
    file.write_to_file(path).unwrap();
}

/// The data set of [`dicom`].
fn dicom_object(
    frames: &[Vec<u8>],
    samples_per_pixel: u16,
    extra: Vec<DataElement<InMemDicomObject>>,
) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    let interpretation = if samples_per_pixel == 3 {
        "RGB"
    } else {
        "MONOCHROME2"
    };
    obj.put(element(
        tags::SOP_CLASS_UID,
        VR::UI,
        uids::ULTRASOUND_IMAGE_STORAGE.into(),
    ));
    obj.put(element(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        "1.2.826.0.1.3680043.2.1125.1".into(),
    ));
    obj.put(element(tags::MODALITY, VR::CS, "US".into()));
    obj.put(element(tags::ROWS, VR::US, PrimitiveValue::from(H as u16)));
    obj.put(element(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(W as u16),
    ));
    obj.put(element(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(samples_per_pixel),
    ));
    obj.put(element(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        interpretation.into(),
    ));
    obj.put(element(
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(8u16),
    ));
    obj.put(element(
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(8u16),
    ));
    obj.put(element(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16)));
    obj.put(element(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    ));
    if samples_per_pixel == 3 {
        obj.put(element(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ));
    }
    if frames.len() > 1 {
        obj.put(element(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            frames.len().to_string().into(),
        ));
    }
    for e in extra {
        obj.put(e);
    }
    let data: Vec<u8> = frames.concat();
    obj.put(element(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::from(data),
    ));
    obj
}

/// `SequenceOfUltrasoundRegions` with one region calibrated at `delta_cm` per pixel.
fn ultrasound_region(delta_cm: f64) -> DataElement<InMemDicomObject> {
    let mut region = InMemDicomObject::new_empty();
    region.put(element(
        tags::PHYSICAL_UNITS_X_DIRECTION,
        VR::US,
        PrimitiveValue::from(3u16),
    ));
    region.put(element(
        tags::PHYSICAL_UNITS_Y_DIRECTION,
        VR::US,
        PrimitiveValue::from(3u16),
    ));
    region.put(element(
        tags::PHYSICAL_DELTA_X,
        VR::FD,
        PrimitiveValue::from(delta_cm),
    ));
    region.put(element(
        tags::PHYSICAL_DELTA_Y,
        VR::FD,
        PrimitiveValue::from(delta_cm),
    ));
    DataElement::new(
        tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
        VR::SQ,
        DataSetSequence::from(vec![region]),
    )
}

#[test]
fn dicom_ultrasound_region_spacing_in_cm() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    let dcm = dir.path().join("us.dcm");
    dicom(
        &dcm,
        std::slice::from_ref(&image),
        1,
        vec![ultrasound_region(0.01)],
    );
    let file = read_image_file(&dcm, 0).unwrap();
    assert_eq!(
        file.spacing,
        Some(PixelSpacing {
            row: 0.1,
            column: 0.1
        })
    );
    let mask_png = png(dir.path(), "mask.png", &mask);
    let expected = features(
        &png(dir.path(), "us.png", &image),
        &mask_png,
        &["--spacing", "0.1"],
    );
    assert_eq!(features(&dcm, &mask_png, &[]), expected);
}

#[test]
fn dicom_pixel_spacing_rgb_and_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    let spacing = element(tags::PIXEL_SPACING, VR::DS, "0.2\\0.2".into());
    // RGB with equal channels: luminance 0.299 v + 0.587 v + 0.114 v.
    let rgb: Vec<u8> = image.iter().flat_map(|&v| [v, v, v]).collect();
    let dcm = dir.path().join("rgb.dcm");
    dicom(&dcm, std::slice::from_ref(&rgb), 3, vec![spacing.clone()]);
    let rgb_png = dir.path().join("rgb.png");
    image::save_buffer(
        &rgb_png,
        &rgb,
        W as u32,
        H as u32,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    let mask_png = png(dir.path(), "mask.png", &mask);
    assert_eq!(
        features(&dcm, &mask_png, &[]),
        features(&rgb_png, &mask_png, &["--spacing", "0.2"])
    );
    // Two frames; frame 1 is the image, frame 0 its negative.
    let negative: Vec<u8> = image.iter().map(|&v| 255 - v).collect();
    let cine = dir.path().join("cine.dcm");
    dicom(&cine, &[negative, image.clone()], 1, vec![spacing]);
    let second = read_image_file(&cine, 1).unwrap().image;
    assert_eq!(
        second.pixels,
        image.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
    );
    let err = read_image_file(&cine, 2).unwrap_err().to_string();
    assert!(
        err.contains(
            "cine.dcm: not a readable image: frame 2 requested, but the file holds 2 frame(s)"
        ),
        "{err}"
    );
}

#[test]
fn dicom_without_extension_is_recognised_by_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = pixels();
    let path = dir.path().join("IM00001");
    dicom(
        &path,
        std::slice::from_ref(&image),
        1,
        vec![ultrasound_region(0.005)],
    );
    let file = read_image_file(&path, 0).unwrap();
    assert_eq!(file.image.width, W);
    assert_eq!(file.spacing.map(|s| s.column), Some(0.05));
}

/// A NIfTI-1 single file of `u8` voxels, `W × H × 1`, with pixdim `spacing` mm.
fn nifti(path: &Path, data: &[u8], spacing: [f32; 2], gzip: bool) {
    let mut header = vec![0u8; 352];
    header[0..4].copy_from_slice(&348i32.to_le_bytes());
    for (k, d) in [3i16, W as i16, H as i16, 1, 1, 1, 1, 1].iter().enumerate() {
        header[40 + 2 * k..42 + 2 * k].copy_from_slice(&d.to_le_bytes());
    }
    header[70..72].copy_from_slice(&2i16.to_le_bytes()); // DT_UINT8
    header[72..74].copy_from_slice(&8i16.to_le_bytes());
    for (k, p) in [1.0f32, spacing[0], spacing[1], 1.0].iter().enumerate() {
        header[76 + 4 * k..80 + 4 * k].copy_from_slice(&p.to_le_bytes());
    }
    header[108..112].copy_from_slice(&352f32.to_le_bytes());
    header[123] = 2; // mm
    header[344..348].copy_from_slice(b"n+1\0");
    header.extend_from_slice(data);
    if gzip {
        let mut encoder =
            flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
        encoder.write_all(&header).unwrap();
        encoder.finish().unwrap();
    } else {
        std::fs::write(path, header).unwrap();
    }
}

#[test]
fn nifti_images_and_masks() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    let expected = features(
        &png(dir.path(), "img.png", &image),
        &png(dir.path(), "mask.png", &mask),
        &["--spacing", "0.25"],
    );
    for gzip in [false, true] {
        let ext = if gzip { "nii.gz" } else { "nii" };
        let img = dir.path().join(format!("img.{ext}"));
        let msk = dir.path().join(format!("mask.{ext}"));
        nifti(&img, &image, [0.25, 0.25], gzip);
        nifti(&msk, &mask, [0.25, 0.25], gzip);
        assert_eq!(
            read_mask_file(&msk, 0, 0)
                .unwrap()
                .labels
                .iter()
                .filter(|&&v| v == 1)
                .count(),
            mask.iter().filter(|&&v| v == 1).count()
        );
        assert_eq!(features(&img, &msk, &[]), expected, "{ext}");
    }
    let skewed = dir.path().join("skewed.nii");
    nifti(&skewed, &image, [0.25, 0.5], false);
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(["extract", "--image", skewed.to_str().unwrap(), "--mask"])
        .arg(dir.path().join("mask.png"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // non-square pixels are measured as they are: a pixel covers 0.5 × 0.25 mm²
    let text = String::from_utf8(out.stdout).unwrap();
    let surface = text
        .lines()
        .find_map(|l| l.strip_prefix("tumor_original_shape2D_PixelSurface,"))
        .unwrap();
    let pixels = mask.iter().filter(|&&v| v != 0).count() as f64;
    assert_eq!(surface.parse::<f64>().unwrap(), pixels * 0.125);
    // a ring in mm needs square pixels (the distance transform counts pixels)
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args([
            "extract",
            "--ring",
            "1mm",
            "--image",
            skewed.to_str().unwrap(),
        ])
        .arg("--mask")
        .arg(dir.path().join("mask.png"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains(
            "skewed.nii: ring 1mm is in mm, but pixels are not square (0.5 mm between rows, 0.25 mm between columns)"
        ),
        "{err}"
    );
}

#[test]
fn nrrd_attached_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    let mask_png = png(dir.path(), "mask.png", &mask);
    let expected = features(
        &png(dir.path(), "img.png", &image),
        &mask_png,
        &["--spacing", "0.3"],
    );
    // 16-bit big-endian raw, and 8-bit gzip with space directions.
    let raw = dir.path().join("img.nrrd");
    let mut bytes = format!(
        "NRRD0004\n# written by the test\ntype: unsigned short\ndimension: 2\nsizes: {W} {H}\nendian: big\nencoding: raw\nspacings: 0.3 0.3\n\n"
    )
    .into_bytes();
    bytes.extend(image.iter().flat_map(|&v| u16::from(v).to_be_bytes()));
    std::fs::write(&raw, bytes).unwrap();
    assert_eq!(features(&raw, &mask_png, &[]), expected);

    let gz = dir.path().join("img_gz.nrrd");
    let mut bytes = format!(
        "NRRD0004\ntype: uchar\ndimension: 2\nsizes: {W} {H}\nencoding: gzip\nspace dimension: 2\nspace directions: (0.3,0) (0,0.3)\n\n"
    )
    .into_bytes();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Default::default());
    encoder.write_all(&image).unwrap();
    bytes.extend(encoder.finish().unwrap());
    std::fs::write(&gz, bytes).unwrap();
    assert_eq!(features(&gz, &mask_png, &[]), expected);
}

/// A mask of several channels per pixel is read at its channel `label_channel`, whatever the
/// format (a vector NRRD, gray+alpha and RGBA PNGs, 8- and 16-bit), by the one rule
/// (`mask_channel`): channel k holds label k + 1 here; a channel the mask lacks is an error
/// naming the file and the channel count; a one-channel mask ignores label_channel.
#[test]
fn masks_of_several_channels_are_read_at_label_channel() {
    use sonorad::io::read_mask;
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = pixels();
    // pixel p of channel k: label k + 1 inside the lesion, 0 outside
    let interleaved = |channels: usize| -> Vec<u8> {
        mask.iter()
            .flat_map(|&m| (0..channels).map(move |k| m * (k as u8 + 1)))
            .collect()
    };
    let expected = |k: u32| -> Vec<u32> { mask.iter().map(|&m| u32::from(m) * (k + 1)).collect() };
    let nrrd = dir.path().join("vector.nrrd");
    let mut bytes =
        format!("NRRD0004\ntype: uchar\ndimension: 3\nsizes: 3 {W} {H}\nencoding: raw\n\n")
            .into_bytes();
    bytes.extend(interleaved(3));
    std::fs::write(&nrrd, bytes).unwrap();
    let gray_alpha = dir.path().join("la.png");
    image::save_buffer(
        &gray_alpha,
        &interleaved(2),
        W as u32,
        H as u32,
        image::ExtendedColorType::La8,
    )
    .unwrap();
    let rgba16 = dir.path().join("rgba16.png");
    let wide: Vec<u8> = interleaved(4)
        .iter()
        .flat_map(|&v| u16::from(v).to_ne_bytes())
        .collect();
    image::save_buffer(
        &rgba16,
        &wide,
        W as u32,
        H as u32,
        image::ExtendedColorType::Rgba16,
    )
    .unwrap();
    for (path, channels) in [(&nrrd, 3u32), (&gray_alpha, 2), (&rgba16, 4)] {
        for k in 0..channels {
            let labels = read_mask_file(path, 0, k).unwrap().labels.to_vec();
            assert_eq!(labels, expected(k), "{} channel {k}", path.display());
        }
        let err = read_mask_file(path, 0, channels).unwrap_err().to_string();
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            err.contains(name)
                && err.contains(&format!(
                    "label_channel {channels} requested, but the mask has only {channels} channels"
                )),
            "{err}"
        );
    }
    assert_eq!(
        read_mask(&gray_alpha, 1).unwrap().labels.to_vec(),
        expected(1)
    );
    // one channel: label_channel is ignored, as PyRadiomics ignores it for a scalar mask
    let gray = png(dir.path(), "gray.png", &mask);
    assert_eq!(
        read_mask_file(&gray, 0, 5).unwrap().labels.to_vec(),
        expected(0)
    );
}

#[test]
fn nrrd_bad_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.nrrd");
    for (sizes, problem) in [
        (
            "40.5 30",
            "NRRD 'sizes': '40.5' is not a positive whole number",
        ),
        ("0 30", "NRRD 'sizes': '0' is not a positive whole number"),
        (
            "-40 30",
            "NRRD 'sizes': '-40' is not a positive whole number",
        ),
        (
            "18446744073709551615 18446744073709551615",
            "the header claims 18446744073709551615 x 18446744073709551615 pixels, above the limit of 268435456 pixels (--max-pixels)",
        ),
        (
            "4294967295 4294967295",
            "the header claims 4294967295 x 4294967295 pixels, above the limit",
        ),
        ("40 30", "NRRD data holds 0 bytes, 9600 needed"),
    ] {
        let header =
            format!("NRRD0004\ntype: double\ndimension: 2\nsizes: {sizes}\nencoding: raw\n\n");
        std::fs::write(&path, header).unwrap();
        let err = read_image_file(&path, 0).unwrap_err().to_string();
        assert!(
            err.contains("bad.nrrd: not a readable image") && err.contains(problem),
            "{sizes}: {err}"
        );
    }
}

/// Runs `sonorad extract ARGS` (CPU backend), returning exit code and standard error.
fn extract_status(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(["extract", "--backend", "cpu"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// DICOM pixel descriptions no decoder can honour (BitsStored 0, above BitsAllocated, 255) are
/// refused before decoding, with a message naming the file and the attribute.
#[test]
fn dicom_with_impossible_bits_stored_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    let mask = png(dir.path(), "mask.png", &mask);
    for bits in [0u16, 33, 255] {
        let path = dir.path().join(format!("bits{bits}.dcm"));
        let extra = vec![element(
            tags::BITS_STORED,
            VR::US,
            PrimitiveValue::from(bits),
        )];
        dicom(&path, std::slice::from_ref(&image), 1, extra);
        let (code, stderr) = extract_status(&[
            "--image",
            path.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: not a readable image: BitsStored {bits} is impossible with BitsAllocated 8",
                path.display()
            )),
            "{stderr}"
        );
    }
}

/// An RLE Lossless DICOM whose fragment is garbage, or empty, must not take down an archive run
/// (the decoder panics on the garbage one): its header is checked before decoding, the case goes
/// to the errors file naming the file, and the other cases are extracted.
#[test]
fn garbage_rle_dicom_fails_its_case_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = pixels();
    png(dir.path(), "good.png", &image);
    png(dir.path(), "mask.png", &mask);
    let mut garbage = vec![0xffu8; 64];
    garbage.extend((0..200u32).map(|k| (k * 37 % 251) as u8));
    for (name, fragment) in [("garbage.dcm", garbage), ("empty.dcm", Vec::new())] {
        let mut obj = dicom_object(std::slice::from_ref(&image), 1, vec![]);
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            dicom_core::value::Value::PixelSequence(dicom_core::value::PixelFragmentSequence::new(
                Vec::<u32>::new(),
                vec![fragment],
            )),
        ));
        write_dicom(obj, &dir.path().join(name), uids::RLE_LOSSLESS);
    }
    std::fs::write(
        dir.path().join("cases.csv"),
        "case_id,image,mask\ngood,good.png,mask.png\ngarbage,garbage.dcm,mask.png\nempty,empty.dcm,mask.png\nalso_good,good.png,mask.png\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let (code, stderr) = extract_status(&[
        "--quiet",
        "--manifest",
        dir.path().join("cases.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    let table = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["good", "also_good"]);
    let errors = std::fs::read_to_string(dir.path().join("out.csv.errors.csv")).unwrap();
    for name in ["garbage", "empty"] {
        let line = errors
            .lines()
            .find(|l| l.starts_with(&format!("{name},")))
            .unwrap_or_else(|| panic!("{name} missing from the errors file: {errors}"));
        assert!(line.contains(&format!("{name}.dcm")), "{line}");
        assert!(!line.contains("internal error"), "{line}");
    }
}

/// A DICOM file whose pixel data declares 0x7fffffff bytes (the file holds a few hundred) is
/// refused from its element lengths before the parser allocates them, naming the file; so is
/// one whose elements are misaligned (a VR the standard does not know).
#[test]
fn dicom_with_a_bogus_element_length_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = pixels();
    let path = dir.path().join("bogus.dcm");
    dicom(&path, std::slice::from_ref(&image), 1, vec![]);
    let mut bytes = std::fs::read(&path).unwrap();
    let pixel_data = bytes
        .windows(8)
        .position(|w| w == [0xe0, 0x7f, 0x10, 0x00, b'O', b'B', 0, 0])
        .unwrap();
    bytes[pixel_data + 8..pixel_data + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = read_image_file(&path, 0).unwrap_err().to_string();
    assert!(
        err.contains("bogus.dcm: not a readable image: DICOM element (7FE0,0010) declares 2147483647 bytes, but only"),
        "{err}"
    );
    let modality = bytes
        .windows(4)
        .position(|w| w == [0x08, 0x00, 0x60, 0x00])
        .unwrap();
    bytes[modality + 4..modality + 6].copy_from_slice(b"TI");
    std::fs::write(&path, &bytes).unwrap();
    let err = read_image_file(&path, 0).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "bogus.dcm: not a readable image: DICOM data at byte {modality} is not an element"
        )),
        "{err}"
    );
}

/// A `.nii.gz` whose gzip CRC-32 is wrong is refused naming the file (the NIfTI reader stops
/// after the volume and never reached the checksum), as Python's gzip refuses it.
#[test]
fn nifti_gz_with_a_bad_crc_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = pixels();
    let path = dir.path().join("scan.nii.gz");
    nifti(&path, &image, [0.1, 0.1], true);
    read_image_file(&path, 0).expect("the intact file reads");
    let mut bytes = std::fs::read(&path).unwrap();
    let crc = bytes.len() - 8;
    bytes[crc] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = read_image_file(&path, 0).unwrap_err().to_string();
    assert!(
        err.contains("scan.nii.gz: not a readable image: gzip stream:"),
        "{err}"
    );
}
