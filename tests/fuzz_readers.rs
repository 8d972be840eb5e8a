//! Mutation fuzzing of every image reader: seed files of each format (8- and 16-bit gray PNG, RGB
//! PNG, JPEG, BMP, TIFF, DICOM, NIfTI, NRRD raw and gzip) are mutated at random (bit flips, bytes
//! set to 0 or 255, 32-bit fields set to extreme values, truncation, a duplicated stretch) and
//! read as an image and as a mask, for `SONORAD_FUZZ_SECONDS` seconds per format (default 5;
//! `.ci/run` sets 60). Every read must return, with a value or an error naming the file:
//! no panic (counted under `catch_unwind`), no abort (the test process would die), and each
//! read in bounded time (the loop's rate is printed), and peak resident memory under 1 GiB.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

const W: u32 = 24;
const H: u32 = 20;

#[path = "common/lcg.rs"]
mod lcg;
#[path = "common/skip.rs"]
mod skip;
use lcg::Lcg;

/// A random index below `n`.
fn pick(rng: &mut Lcg, n: usize) -> usize {
    rng.below(n as u64) as usize
}

fn gray(seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    (0..W * H).map(|_| pick(&mut rng, 256) as u8).collect()
}

fn saved(dir: &Path, name: &str, data: &[u8], color: image::ExtendedColorType) -> PathBuf {
    let path = dir.join(name);
    image::save_buffer(&path, data, W, H, color).unwrap();
    path
}

fn dicom(dir: &Path) -> PathBuf {
    let mut obj = InMemDicomObject::new_empty();
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from(uids::ULTRASOUND_IMAGE_STORAGE),
    ));
    obj.put(DataElement::new(
        tags::MODALITY,
        VR::CS,
        PrimitiveValue::from("US"),
    ));
    obj.put(us(tags::ROWS, H as u16));
    obj.put(us(tags::COLUMNS, W as u16));
    obj.put(us(tags::SAMPLES_PER_PIXEL, 1));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from("MONOCHROME2"),
    ));
    obj.put(us(tags::BITS_ALLOCATED, 8));
    obj.put(us(tags::BITS_STORED, 8));
    obj.put(us(tags::HIGH_BIT, 7));
    obj.put(us(tags::PIXEL_REPRESENTATION, 0));
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::from(gray(5)),
    ));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .media_storage_sop_class_uid(uids::ULTRASOUND_IMAGE_STORAGE)
                .media_storage_sop_instance_uid("1.2.826.0.1.3680043.2.1125.9"),
        )
        .unwrap();
    let path = dir.join("seed.dcm");
    file.write_to_file(&path).unwrap();
    path
}

fn nifti(dir: &Path) -> PathBuf {
    let mut bytes = vec![0u8; 352];
    bytes[..4].copy_from_slice(&348i32.to_le_bytes());
    for (k, d) in [2i16, W as i16, H as i16, 1, 1, 1, 1, 1].iter().enumerate() {
        bytes[40 + 2 * k..42 + 2 * k].copy_from_slice(&d.to_le_bytes());
    }
    bytes[70..72].copy_from_slice(&2i16.to_le_bytes());
    bytes[72..74].copy_from_slice(&8i16.to_le_bytes());
    for k in 0..3 {
        bytes[76 + 4 * k..80 + 4 * k].copy_from_slice(&1f32.to_le_bytes());
    }
    bytes[108..112].copy_from_slice(&352f32.to_le_bytes());
    bytes[344..348].copy_from_slice(b"n+1\0");
    bytes.extend(gray(6));
    let path = dir.join("seed.nii");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn nrrd(dir: &Path, gzip: bool) -> PathBuf {
    let encoding = if gzip { "gzip" } else { "raw" };
    let mut bytes = format!(
        "NRRD0004\ntype: uchar\ndimension: 2\nsizes: {W} {H}\nspacings: 0.1 0.1\nencoding: {encoding}\n\n"
    )
    .into_bytes();
    if gzip {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&gray(7)).unwrap();
        bytes.extend(z.finish().unwrap());
    } else {
        bytes.extend(gray(7));
    }
    let path = dir.join(if gzip { "seed_gz.nrrd" } else { "seed.nrrd" });
    std::fs::write(&path, bytes).unwrap();
    path
}

/// One random mutation of `seed`.
fn mutate(seed: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + pick(rng, 4) {
        if bytes.is_empty() {
            break;
        }
        let at = pick(rng, bytes.len());
        match pick(rng, 6) {
            0 => bytes[at] ^= 1 << pick(rng, 8),
            1 => bytes[at] = [0, 255][pick(rng, 2)],
            2 => {
                let extreme: [u32; 6] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x0001_0000, 0x8000];
                let value = extreme[pick(rng, 6)].to_le_bytes();
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&value[..end - at]);
            }
            3 => bytes.truncate(at),
            4 => {
                let len = pick(rng, 64).min(bytes.len() - at);
                let stretch = bytes[at..at + len].to_vec();
                bytes.splice(at..at, stretch);
            }
            _ => bytes[at] = pick(rng, 256) as u8,
        }
    }
    bytes
}

/// Reads `path` as an image and as a mask, each under `catch_unwind`; the panic messages.
fn read_both(path: &Path) -> Vec<String> {
    let mut panics = Vec::new();
    for as_mask in [false, true] {
        let outcome = std::panic::catch_unwind(|| {
            if as_mask {
                sonorad::io::read_mask_file(path, 0, 0).map(|_| ())
            } else {
                sonorad::io::read_image_file(path, 0).map(|_| ())
            }
        });
        match outcome {
            Err(payload) => panics.push(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
            Ok(Err(e)) => {
                let text = e.to_string();
                assert!(text.contains(&*path.to_string_lossy()), "{text}");
            }
            Ok(Ok(())) => {}
        }
    }
    panics
}

#[test]
fn every_reader_survives_mutated_files() {
    let seconds: u64 = std::env::var("SONORAD_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let rgb: Vec<u8> = gray(2).iter().flat_map(|&v| [v, v / 2, 255 - v]).collect();
    let sixteen: Vec<u8> = gray(3).iter().flat_map(|&v| [v, v ^ 0x5a]).collect();
    let seeds = [
        saved(
            dir.path(),
            "seed8.png",
            &gray(1),
            image::ExtendedColorType::L8,
        ),
        saved(
            dir.path(),
            "seed16.png",
            &sixteen,
            image::ExtendedColorType::L16,
        ),
        saved(dir.path(), "rgb.png", &rgb, image::ExtendedColorType::Rgb8),
        saved(
            dir.path(),
            "seed.jpg",
            &gray(4),
            image::ExtendedColorType::L8,
        ),
        saved(dir.path(), "seed.bmp", &rgb, image::ExtendedColorType::Rgb8),
        saved(
            dir.path(),
            "seed.tif",
            &gray(8),
            image::ExtendedColorType::L8,
        ),
        dicom(dir.path()),
        nifti(dir.path()),
        nrrd(dir.path(), false),
        nrrd(dir.path(), true),
    ];
    let mut failures = Vec::new();
    for (k, seed_path) in seeds.iter().enumerate() {
        sonorad::io::read_image_file(seed_path, 0).expect("the seed reads");
        let seed = std::fs::read(seed_path).unwrap();
        let name = seed_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mutated = dir.path().join(format!("mutated_{name}"));
        let mut rng = Lcg(1000 + k as u64);
        let (start, mut reads, mut panics) = (Instant::now(), 0usize, Vec::new());
        while start.elapsed() < Duration::from_secs(seconds) {
            std::fs::write(&mutated, mutate(&seed, &mut rng)).unwrap();
            let found = read_both(&mutated);
            if !found.is_empty() {
                let copy = dir.path().join(format!("panic_{}_{name}", panics.len()));
                std::fs::copy(&mutated, copy).unwrap();
            }
            panics.extend(found);
            reads += 1;
        }
        eprintln!(
            "fuzz {name}: {reads} mutated files read in {seconds} s, {} panics",
            panics.len()
        );
        if !panics.is_empty() {
            failures.push(format!(
                "{name}: {} panics, first: {}",
                panics.len(),
                panics[0]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_peak_memory_below(1 << 30);
}

/// The process's peak memory stays below `limit` bytes, both resident (Linux `VmHWM`) and
/// reserved (`VmPeak`, which also counts an allocation never touched, such as a zeroed buffer
/// for a size a header claims): no mutated header may make a reader allocate what its small file
/// cannot hold. Elsewhere the check is skipped, visibly.
fn assert_peak_memory_below(limit: u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (kib("VmHWM:"), kib("VmPeak:")) {
        (Some(resident), Some(reserved)) => {
            eprintln!(
                "fuzz: peak memory {} MiB resident, {} MiB reserved",
                resident / 1024,
                reserved / 1024
            );
            for (what, value) in [("resident", resident), ("reserved", reserved)] {
                assert!(
                    value * 1024 < limit,
                    "peak {what} memory {} MiB, limit {} MiB",
                    value / 1024,
                    limit >> 20
                );
            }
        }
        _ => skip::announce("peak memory check: no VmHWM/VmPeak in /proc/self/status here"),
    }
}
