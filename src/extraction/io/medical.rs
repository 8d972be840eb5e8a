//! Medical image formats: DICOM (ultrasound and others), NIfTI-1 and NRRD, read as one 2D frame
//! with its pixel spacing.
//!
//! - **DICOM** through the `dicom-object` / `dicom-pixeldata` crates: uncompressed transfer
//!   syntaxes and the compressed ones those crates decode natively (JPEG baseline, extended and
//!   lossless, RLE, deflate). Monochrome pixels get the modality rescale (slope/intercept) and no
//!   VOI window; MONOCHROME1 is not inverted. RGB pixels are returned as 3 channels, which the
//!   caller reduces to luminance; for YBR_FULL / YBR_FULL_422 the Y channel *is* the luminance
//!   `0.299 R + 0.587 G + 0.114 B`, so it is returned as one channel. Multi-frame files give the
//!   requested frame (0 by default). Spacing comes from the first region of the
//!   `SequenceOfUltrasoundRegions` with a physical unit of cm (`PhysicalDeltaX/Y`, converted to
//!   mm), else from `PixelSpacing`, else from `ImagerPixelSpacing`.
//! - **NIfTI-1** (`.nii`, `.nii.gz`) through the `nifti` crate: a volume of shape `x × y` or
//!   `x × y × 1`; pixel (row r, column c) is voxel (x = c, y = r), as SimpleITK reads it. The
//!   scale `scl_slope`/`scl_inter` is applied when the slope is non-zero; spacing is
//!   `pixdim[1..3]` in the unit of `xyzt_units` (mm when unset).
//! - **NRRD** (`.nrrd` with attached data, `.nhdr` with a detached `data file`): 2D scalar data, or
//!   3D with a first axis of 3 or 4 colour samples; `raw` or `gzip` encoding; spacing from
//!   `spacings` or the norms of `space directions`.

use std::io::Read;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_pixeldata::{ConvertOptions, ModalityLutOption, PixelDecoder, VoiLutOption};

use crate::error::{Error, Result};
use crate::io::PixelType;

/// A decoded 2D frame: `height × width` pixels of `channels` samples each, row-major.
#[derive(Debug, Clone)]
pub struct Raster {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Samples per pixel (1 gray, 3 RGB, 4 RGBA).
    pub channels: usize,
    /// `height * width * channels` samples.
    pub samples: Vec<f64>,
    /// How the file stores a gray pixel (`F64` for colour, reduced to luminance).
    pub pixel_type: PixelType,
    /// Pixel spacing `[between rows, between columns]` in mm, where the file gives one.
    pub spacing: Option<[f64; 2]>,
}

/// The medical formats sonorad recognises, by extension or (DICOM) by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedicalFormat {
    /// DICOM Part 10 file.
    Dicom,
    /// NIfTI-1 (`.nii`, `.nii.gz`).
    Nifti,
    /// NRRD (`.nrrd`, `.nhdr`).
    Nrrd,
}

/// The medical format of a file, from its extension or, for DICOM, the `DICM` preamble marker
/// (looked for in files without a raster-image extension); `None` for other files (PNG, JPEG,
/// ...).
pub fn medical_format(path: &Path) -> Option<MedicalFormat> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        return Some(MedicalFormat::Nifti);
    }
    if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        return Some(MedicalFormat::Nrrd);
    }
    if name.ends_with(".dcm") || name.ends_with(".dicom") {
        return Some(MedicalFormat::Dicom);
    }
    // a file named as a raster image is not probed for the DICOM marker (one open less per file)
    if [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        return None;
    }
    let mut head = [0u8; 132];
    let has_marker = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[128..132] == b"DICM";
    has_marker.then_some(MedicalFormat::Dicom)
}

/// Reads frame `frame` of a medical image file.
pub fn read_medical(path: &Path, format: MedicalFormat, frame: u32) -> Result<Raster> {
    if !path.exists() {
        return Err(Error::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    match format {
        MedicalFormat::Dicom => read_dicom(path, frame),
        MedicalFormat::Nifti => only_frame_zero(path, frame).and_then(|_| read_nifti(path)),
        MedicalFormat::Nrrd => only_frame_zero(path, frame).and_then(|_| read_nrrd(path)),
    }
}

fn decode_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Decode {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn only_frame_zero(path: &Path, frame: u32) -> Result<()> {
    if frame == 0 {
        Ok(())
    } else {
        Err(decode_error(
            path,
            format!("frame {frame} requested, but the file holds one 2D image"),
        ))
    }
}

/// Physical unit code "cm" of `PhysicalUnitsXDirection` / `PhysicalUnitsYDirection`.
const ULTRASOUND_UNIT_CM: u16 = 3;

fn read_dicom(path: &Path, frame: u32) -> Result<Raster> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    check_element_lengths(path, &bytes)?;
    // parsed from the bytes already read (the preamble, when there is one, detected)
    let object = dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Auto)
        .from_reader(bytes.as_slice())
        .map_err(|e| decode_error(path, format!("not a readable DICOM file: {e}")))?;
    let frames = object
        .get(tags::NUMBER_OF_FRAMES)
        .and_then(|e| e.to_int::<u32>().ok())
        .unwrap_or(1);
    if frame >= frames {
        return Err(decode_error(
            path,
            format!("frame {frame} requested, but the file holds {frames} frame(s)"),
        ));
    }
    check_pixel_description(path, &object)?;
    check_rle_fragments(path, &object)?;
    let decoded = object
        .decode_pixel_data_frame(frame)
        .map_err(|e| decode_error(path, format!("cannot decode the DICOM pixel data: {e}")))?;
    let options = ConvertOptions::new()
        .with_modality_lut(ModalityLutOption::Default)
        .with_voi_lut(VoiLutOption::Identity);
    let samples: Vec<f64> = decoded
        .to_vec_frame_with_options(0, &options)
        .map_err(|e| decode_error(path, format!("cannot convert the DICOM pixel data: {e}")))?;
    let (width, height) = (decoded.columns() as usize, decoded.rows() as usize);
    let channels = usize::from(decoded.samples_per_pixel());
    let interpretation = decoded.photometric_interpretation().to_string();
    let (samples, channels) = if channels == 3 && interpretation.starts_with("YBR_FULL") {
        (samples.chunks_exact(3).map(|p| p[0]).collect(), 1)
    } else {
        (samples, channels)
    };
    if samples.len() != width * height * channels {
        return Err(decode_error(
            path,
            format!(
                "DICOM frame holds {} samples, expected {width} x {height} x {channels}",
                samples.len()
            ),
        ));
    }
    let pixel_type = dicom_pixel_type(&object, channels);
    Ok(Raster {
        width,
        height,
        channels,
        samples,
        pixel_type,
        spacing: dicom_spacing(&object),
    })
}

/// For a `.nii.gz`: inflates the stream to its end (at most the bytes the header implies, plus
/// 1 MiB of extensions), so that gzip verifies its CRC-32 and length, which the NIfTI reader,
/// stopping after the volume, never reaches; a corrupt or over-long stream is refused.
fn check_gzip_checksum(path: &Path, header: &nifti::NiftiHeader) -> Result<()> {
    let gzipped = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    if !gzipped {
        return Ok(());
    }
    let voxels: u64 = header.dim[1..=usize::from(header.dim[0].clamp(1, 7))]
        .iter()
        .map(|&d| u64::from(d.max(1)))
        .product();
    let bytes = voxels.saturating_mul(u64::from(header.bitpix.max(8) as u16 / 8));
    let limit = (header.vox_offset.max(352.0) as u64)
        .saturating_add(bytes)
        .saturating_add(1 << 20);
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut stream =
        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)).take(limit + 1);
    let inflated = std::io::copy(&mut stream, &mut std::io::sink())
        .map_err(|e| decode_error(path, format!("gzip stream: {e}")))?;
    if inflated > limit {
        return Err(decode_error(
            path,
            format!("the gzip stream holds more than the {limit} bytes its NIfTI header implies"),
        ));
    }
    Ok(())
}

/// Transfer syntax UIDs whose data set is not plain explicit VR little endian.
const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";

/// How a DICOM data set encodes its elements.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Explicit { big_endian: bool },
    Implicit,
}

/// Refuses a DICOM file in which an element declares more bytes than the file holds: the parser
/// would allocate and zero that many bytes (gigabytes for a bogus length) before finding the
/// file too short. The elements are walked without decoding them, the file meta group and then
/// the data set in its transfer syntax (a deflated data set is left to the parser); anything
/// the walk does not understand is left to the parser too.
fn check_element_lengths(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.get(128..132) != Some(b"DICM") {
        return Ok(());
    }
    let meta = Encoding::Explicit { big_endian: false };
    let (after_meta, syntax) = walk_elements(path, bytes, 132, meta, true)?;
    // the parser finds the end of the meta group from its group length (0002,0000): where that
    // and the elements disagree, it would read the data set from the wrong byte
    let declared = (bytes.get(132..136) == Some(&[2, 0, 0, 0][..])
        && bytes.get(136..138) == Some(b"UL"))
    .then(|| bytes.get(140..144))
    .flatten()
    .map(|b| 144 + u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if declared.is_some_and(|end| end != after_meta) {
        return Err(decode_error(
            path,
            "the DICOM file meta group's length (0002,0000) does not match its elements",
        ));
    }
    let encoding = match syntax.trim_end_matches(['\0', ' ']) {
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN => return Ok(()),
        IMPLICIT_VR_LITTLE_ENDIAN => Encoding::Implicit,
        EXPLICIT_VR_BIG_ENDIAN => Encoding::Explicit { big_endian: true },
        _ => meta,
    };
    walk_elements(path, bytes, after_meta, encoding, false).map(|_| ())
}

/// The header of one element: tag, VR (explicit encodings), value length and header size.
struct ElementHeader {
    group: u16,
    element: u16,
    vr: Option<[u8; 2]>,
    length: u32,
    size: usize,
}

/// VRs whose explicit header has 2 reserved bytes and a 4-byte length.
const LONG_VRS: [&[u8; 2]; 13] = [
    b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV",
];

/// Every VR of the DICOM standard (PS3.5 6.2); a parser reads any other as UN, with a 4-byte
/// length taken from the value's bytes.
const KNOWN_VRS: [&[u8; 2]; 34] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
    b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
    b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
];

/// The element header at `at`, `None` where the bytes are no element header (too few bytes, or
/// a VR the standard does not know).
fn element_header(bytes: &[u8], at: usize, encoding: Encoding) -> Option<ElementHeader> {
    let big = encoding == (Encoding::Explicit { big_endian: true });
    let u16_at = |k: usize| {
        let b = bytes.get(k..k + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |k: usize| {
        let b = bytes.get(k..k + 4)?;
        let word = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        })
    };
    let (group, element) = (u16_at(at)?, u16_at(at + 2)?);
    // items and delimiters, and every element of an implicit encoding: a 4-byte length, no VR
    if group == 0xfffe || encoding == Encoding::Implicit {
        let length = u32_at(at + 4)?;
        return Some(ElementHeader {
            group,
            element,
            vr: None,
            length,
            size: 8,
        });
    }
    let vr: [u8; 2] = bytes.get(at + 4..at + 6)?.try_into().ok()?;
    if !KNOWN_VRS.contains(&&vr) {
        return None;
    }
    let (length, size) = if LONG_VRS.contains(&&vr) {
        (u32_at(at + 8)?, 12)
    } else {
        (u32::from(u16_at(at + 6)?), 8)
    };
    Some(ElementHeader {
        group,
        element,
        vr: Some(vr),
        length,
        size,
    })
}

/// Walks the elements of `bytes` from `at` (only group 2 when `meta_only`), checking that each
/// is an element header and each defined length fits the bytes left; sequences and items are
/// walked into, the fragments of encapsulated pixel data skipped. Returns where the walk
/// stopped and the transfer syntax UID when it passed one.
fn walk_elements(
    path: &Path,
    bytes: &[u8],
    mut at: usize,
    encoding: Encoding,
    meta_only: bool,
) -> Result<(usize, String)> {
    let mut syntax = String::new();
    let mut fragments = false;
    while bytes.len().saturating_sub(at) >= 8 {
        let Some(h) = element_header(bytes, at, encoding) else {
            return Err(decode_error(
                path,
                format!("DICOM data at byte {at} is not an element (broken or misaligned file)"),
            ));
        };
        if meta_only && h.group != 2 {
            break;
        }
        at += h.size;
        let undefined = h.length == u32::MAX;
        match (h.group, h.element) {
            // a sequence or pixel-data delimiter
            (0xfffe, 0xe0dd) => fragments = false,
            (0x7fe0, 0x0010) if undefined => fragments = true,
            _ if undefined => continue,
            _ => {}
        }
        let left = bytes.len() - at;
        if h.length as usize > left {
            return Err(decode_error(
                path,
                format!(
                    "DICOM element ({:04X},{:04X}) declares {} bytes, but only {left} follow in the file",
                    h.group, h.element, h.length
                ),
            ));
        }
        if h.group == 0xfffe && !fragments {
            // an item of a sequence: its elements are walked
            continue;
        }
        if (h.group, h.element) == (2, 0x10) {
            syntax = String::from_utf8_lossy(&bytes[at..at + h.length as usize]).into_owned();
        }
        if h.vr != Some(*b"SQ") {
            at += h.length as usize;
        }
    }
    Ok((at, syntax))
}

/// Refuses pixel descriptions no decoder can honour before any pixel is decoded (the decoders
/// panic on some of them): BitsAllocated must be 1, 8, 16, 32 or 64, BitsStored between 1 and
/// BitsAllocated, HighBit below BitsAllocated, SamplesPerPixel 1, 3 or 4, and a present
/// RescaleSlope or RescaleIntercept a finite number.
fn check_pixel_description(path: &Path, object: &dicom_object::DefaultDicomObject) -> Result<()> {
    // a present but empty attribute counts as absent, as DICOM allows
    let number = |tag| {
        object
            .get(tag)
            .map(|e| {
                e.to_float64()
                    .map_err(|_| e.to_str().unwrap_or_default().trim().to_string())
            })
            .filter(|v| v.as_ref().is_ok() || v.as_ref().is_err_and(|t| !t.is_empty()))
    };
    let integer = |tag, name: &str| -> Result<Option<f64>> {
        match number(tag) {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(text)) => Err(decode_error(
                path,
                format!("{name} '{text}' is not a number"),
            )),
        }
    };
    let allocated = integer(tags::BITS_ALLOCATED, "BitsAllocated")?.unwrap_or(8.0);
    if ![1.0, 8.0, 16.0, 32.0, 64.0].contains(&allocated) {
        return Err(decode_error(
            path,
            format!("BitsAllocated {allocated} is not 1, 8, 16, 32 or 64"),
        ));
    }
    if let Some(stored) = integer(tags::BITS_STORED, "BitsStored")? {
        if !(1.0..=allocated).contains(&stored) {
            return Err(decode_error(
                path,
                format!("BitsStored {stored} is impossible with BitsAllocated {allocated}"),
            ));
        }
    }
    if let Some(high) = integer(tags::HIGH_BIT, "HighBit")? {
        if !(0.0..allocated).contains(&high) {
            return Err(decode_error(
                path,
                format!("HighBit {high} is impossible with BitsAllocated {allocated}"),
            ));
        }
    }
    let rows = integer(tags::ROWS, "Rows")?.unwrap_or(0.0);
    let columns = integer(tags::COLUMNS, "Columns")?.unwrap_or(0.0);
    crate::io::check_pixel_count(path, columns as u64, rows as u64)?;
    if let Some(samples) = integer(tags::SAMPLES_PER_PIXEL, "SamplesPerPixel")? {
        if ![1.0, 3.0, 4.0].contains(&samples) {
            return Err(decode_error(
                path,
                format!("SamplesPerPixel {samples} is not 1, 3 or 4"),
            ));
        }
    }
    for (tag, name) in [
        (tags::RESCALE_SLOPE, "RescaleSlope"),
        (tags::RESCALE_INTERCEPT, "RescaleIntercept"),
    ] {
        match number(tag) {
            Some(Ok(v)) if !v.is_finite() => {
                return Err(decode_error(
                    path,
                    format!("{name} {v} is not a finite number"),
                ))
            }
            Some(Err(text)) => {
                return Err(decode_error(
                    path,
                    format!("{name} '{text}' is not a number"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Transfer syntax UID of RLE Lossless.
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// Refuses RLE Lossless pixel data whose fragments do not start with a valid RLE header (the
/// decoder panics on them): a segment count from 1 to 15, the first segment at byte 64, and
/// segment offsets increasing within the fragment.
fn check_rle_fragments(path: &Path, object: &dicom_object::DefaultDicomObject) -> Result<()> {
    let syntax = object.meta().transfer_syntax().trim_end_matches('\0');
    if syntax != RLE_LOSSLESS {
        return Ok(());
    }
    let Some(fragments) = object
        .get(tags::PIXEL_DATA)
        .and_then(|e| e.value().fragments())
    else {
        return Err(decode_error(
            path,
            "RLE pixel data is not encapsulated in fragments",
        ));
    };
    for (k, fragment) in fragments.iter().enumerate() {
        let bad = |why: &str| decode_error(path, format!("RLE fragment {k} {why}"));
        let word = |i: usize| {
            fragment
                .get(4 * i..4 * i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let segments = word(0).ok_or_else(|| bad("is shorter than the 64-byte RLE header"))?;
        if fragment.len() < 64 {
            return Err(bad("is shorter than the 64-byte RLE header"));
        }
        if !(1..=15).contains(&segments) {
            return Err(bad(&format!(
                "declares {segments} segments (1 to 15 allowed)"
            )));
        }
        let offsets: Vec<usize> = (1..=segments).filter_map(word).collect();
        let increasing = offsets.windows(2).all(|w| w[0] < w[1]);
        if offsets.first() != Some(&64)
            || !increasing
            || offsets.iter().any(|&o| o >= fragment.len())
        {
            return Err(bad(
                "has segment offsets outside the fragment or out of order",
            ));
        }
    }
    Ok(())
}

/// Pixel spacing of a DICOM object in mm: ultrasound region calibration first, then
/// `PixelSpacing`, then `ImagerPixelSpacing`.
fn dicom_spacing(object: &dicom_object::DefaultDicomObject) -> Option<[f64; 2]> {
    let from_regions = object
        .get(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .and_then(|e| e.items())
        .and_then(|items| {
            items.iter().find_map(|region| {
                let value = |tag| region.get(tag).and_then(|e| e.to_float64().ok());
                let unit = |tag| region.get(tag).and_then(|e| e.to_int::<u16>().ok());
                let dx = value(tags::PHYSICAL_DELTA_X)?;
                let dy = value(tags::PHYSICAL_DELTA_Y)?;
                let in_cm = unit(tags::PHYSICAL_UNITS_X_DIRECTION) == Some(ULTRASOUND_UNIT_CM)
                    && unit(tags::PHYSICAL_UNITS_Y_DIRECTION) == Some(ULTRASOUND_UNIT_CM);
                (in_cm && dx > 0.0 && dy > 0.0).then_some([dy.abs() * 10.0, dx.abs() * 10.0])
            })
        });
    let pair = |tag| {
        object
            .get(tag)
            .and_then(|e| e.to_multi_float64().ok())
            .filter(|v| v.len() == 2 && v[0] > 0.0 && v[1] > 0.0)
            .map(|v| [v[0], v[1]])
    };
    from_regions
        .or_else(|| pair(tags::PIXEL_SPACING))
        .or_else(|| pair(tags::IMAGER_PIXEL_SPACING))
}

fn read_nifti(path: &Path) -> Result<Raster> {
    use nifti::{NiftiObject, NiftiVolume};
    // the header alone first: its dimensions are checked before the volume is allocated
    let header = nifti::NiftiHeader::from_file(path)
        .map_err(|e| decode_error(path, format!("not a readable NIfTI file: {e}")))?;
    let [_, x, y, rest @ ..] = header.dim;
    let others: u64 = rest.iter().map(|&d| u64::from(d.max(1))).product();
    crate::io::check_pixel_count(path, u64::from(x), u64::from(y).saturating_mul(others))?;
    check_gzip_checksum(path, &header)?;
    let object = nifti::ReaderOptions::new()
        .read_file(path)
        .map_err(|e| decode_error(path, format!("not a readable NIfTI file: {e}")))?;
    let header = object.header().clone();
    let volume = object.into_volume();
    let dims = volume.dim().to_vec();
    let (width, height) = match dims.as_slice() {
        [x, y] | [x, y, 1] => (usize::from(*x), usize::from(*y)),
        _ => {
            return Err(decode_error(
                path,
                format!("NIfTI volume of shape {dims:?} is not a 2D image (x × y or x × y × 1)"),
            ))
        }
    };
    let datatype = header
        .data_type()
        .map_err(|e| decode_error(path, format!("NIfTI data type: {e}")))?;
    let (channels, mut samples) = if datatype == nifti::NiftiType::Rgb24 {
        let raw = volume.into_raw_data();
        (3, raw.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>())
    } else {
        (1, nifti_values(path, volume, datatype)?)
    };
    let (slope, intercept) = (f64::from(header.scl_slope), f64::from(header.scl_inter));
    let scaled = channels == 1 && slope != 0.0 && (slope, intercept) != (1.0, 0.0);
    let pixel_type = match datatype {
        _ if scaled || channels > 1 => PixelType::F64,
        nifti::NiftiType::Uint8 => PixelType::U8,
        nifti::NiftiType::Int8 => PixelType::I8,
        nifti::NiftiType::Uint16 => PixelType::U16,
        nifti::NiftiType::Int16 => PixelType::I16,
        nifti::NiftiType::Uint32 => PixelType::U32,
        nifti::NiftiType::Int32 => PixelType::I32,
        nifti::NiftiType::Float32 => PixelType::F32,
        _ => PixelType::F64,
    };
    if scaled {
        for v in &mut samples {
            *v = *v * slope + intercept;
        }
    }
    if samples.len() != width * height * channels {
        return Err(decode_error(
            path,
            "NIfTI data is shorter than its dimensions say",
        ));
    }
    // xyzt_units bits 0..2: 1 metre, 2 mm, 3 micron, 0 unknown (read as mm).
    let to_mm = match header.xyzt_units & 0x07 {
        1 => 1000.0,
        3 => 0.001,
        _ => 1.0,
    };
    let (dx, dy) = (f64::from(header.pixdim[1]), f64::from(header.pixdim[2]));
    let spacing = (dx > 0.0 && dy > 0.0).then_some([dy * to_mm, dx * to_mm]);
    Ok(Raster {
        width,
        height,
        channels,
        samples,
        pixel_type,
        spacing,
    })
}

/// Voxel values of a scalar NIfTI volume as `f64` (byte order as the header says).
fn nifti_values(
    path: &Path,
    volume: nifti::InMemNiftiVolume,
    datatype: nifti::NiftiType,
) -> Result<Vec<f64>> {
    use nifti::NiftiType as T;
    fn widen<V: Into<f64>>(v: Vec<V>) -> Vec<f64> {
        v.into_iter().map(Into::into).collect()
    }
    let bad = |e: nifti::NiftiError| decode_error(path, format!("NIfTI data: {e}"));
    Ok(match datatype {
        T::Uint8 => widen(volume.into_nifti_typed_data::<u8>().map_err(bad)?),
        T::Int8 => widen(volume.into_nifti_typed_data::<i8>().map_err(bad)?),
        T::Uint16 => widen(volume.into_nifti_typed_data::<u16>().map_err(bad)?),
        T::Int16 => widen(volume.into_nifti_typed_data::<i16>().map_err(bad)?),
        T::Uint32 => widen(volume.into_nifti_typed_data::<u32>().map_err(bad)?),
        T::Int32 => widen(volume.into_nifti_typed_data::<i32>().map_err(bad)?),
        T::Float32 => widen(volume.into_nifti_typed_data::<f32>().map_err(bad)?),
        T::Float64 => volume.into_nifti_typed_data::<f64>().map_err(bad)?,
        other => {
            return Err(decode_error(
                path,
                format!("NIfTI data type {other:?} is not supported"),
            ))
        }
    })
}

/// The fields of an NRRD header sonorad uses.
struct NrrdHeader {
    kind: String,
    sizes: Vec<usize>,
    encoding: String,
    big_endian: bool,
    spacing: Option<Vec<f64>>,
    data_file: Option<PathBuf>,
    header_bytes: usize,
}

fn parse_nrrd_header(path: &Path, bytes: &[u8]) -> Result<NrrdHeader> {
    if !bytes.starts_with(b"NRRD000") {
        return Err(decode_error(path, "not an NRRD file (no NRRD000x magic)"));
    }
    let mut header = NrrdHeader {
        kind: String::new(),
        sizes: Vec::new(),
        encoding: "raw".into(),
        big_endian: false,
        spacing: None,
        data_file: None,
        header_bytes: bytes.len(),
    };
    let mut at = 0;
    let mut first = true;
    while at < bytes.len() {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| at + p);
        let line = String::from_utf8_lossy(&bytes[at..end])
            .trim_end_matches('\r')
            .to_string();
        at = end + 1;
        if first {
            first = false;
            continue;
        }
        if line.is_empty() {
            header.header_bytes = at.min(bytes.len());
            break;
        }
        if line.starts_with('#') || line.contains(":=") {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(decode_error(
                path,
                format!("NRRD header line '{line}' has no ':'"),
            ));
        };
        let value = value.trim();
        let numbers = |v: &str| -> Result<Vec<f64>> {
            v.split_whitespace()
                .map(|t| {
                    t.parse()
                        .map_err(|_| decode_error(path, format!("NRRD '{key}': bad number '{t}'")))
                })
                .collect()
        };
        match key.trim() {
            "type" => header.kind = value.to_string(),
            "sizes" => {
                header.sizes = value
                    .split_whitespace()
                    .map(|t| match t.parse::<usize>() {
                        Ok(n) if n > 0 => Ok(n),
                        _ => Err(decode_error(
                            path,
                            format!("NRRD 'sizes': '{t}' is not a positive whole number"),
                        )),
                    })
                    .collect::<Result<_>>()?;
            }
            "encoding" => header.encoding = value.to_string(),
            "endian" => header.big_endian = value == "big",
            "spacings" => header.spacing = Some(numbers(value)?),
            "space directions" => {
                let norms = value
                    .split_whitespace()
                    .map(|t| {
                        if t == "none" {
                            Ok(f64::NAN)
                        } else {
                            let v = numbers(
                                &t.trim_matches(|c| c == '(' || c == ')').replace(',', " "),
                            )?;
                            Ok(v.iter().map(|x| x * x).sum::<f64>().sqrt())
                        }
                    })
                    .collect::<Result<Vec<f64>>>()?;
                header.spacing = Some(norms);
            }
            "data file" | "datafile" => {
                let base = path.parent().unwrap_or_else(|| Path::new("."));
                header.data_file = Some(base.join(value));
            }
            _ => {}
        }
    }
    Ok(header)
}

/// Most bytes an NRRD header may take; the header is read alone, the data streamed after it.
const NRRD_HEADER_LIMIT: u64 = 1 << 20;

fn read_nrrd(path: &Path) -> Result<Raster> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut prefix = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(NRRD_HEADER_LIMIT).read_to_end(&mut prefix))
        .map_err(read_error)?;
    let header = parse_nrrd_header(path, &prefix)?;
    if header.data_file.is_none() && header.header_bytes as u64 >= NRRD_HEADER_LIMIT {
        return Err(decode_error(
            path,
            format!("the NRRD header does not end (blank line) within its first {NRRD_HEADER_LIMIT} bytes"),
        ));
    }
    let (channels, width, height) = match header.sizes.as_slice() {
        [w, h] => (1, *w, *h),
        [c @ (3 | 4), w, h] => (*c, *w, *h),
        sizes => {
            return Err(decode_error(
                path,
                format!("NRRD sizes {sizes:?} are not a 2D image (w h, or 3|4 w h for colour)"),
            ))
        }
    };
    crate::io::check_pixel_count(
        path,
        width as u64,
        (height as u64).saturating_mul(channels as u64),
    )?;
    let count = width * height * channels;
    let needed = count.saturating_mul(nrrd_sample_size(path, &header.kind)?);
    let raw = nrrd_data(path, &header, needed)?;
    let samples = nrrd_samples(path, &header.kind, &raw, count, header.big_endian)?;
    let pixel_type = if channels > 1 {
        PixelType::F64
    } else {
        nrrd_pixel_type(path, &header.kind)?
    };
    let spacing = header.spacing.as_deref().and_then(|s| match s {
        [dx, dy] | [_, dx, dy] if dx.is_finite() && dy.is_finite() && *dx > 0.0 && *dy > 0.0 => {
            Some([*dy, *dx])
        }
        _ => None,
    });
    Ok(Raster {
        width,
        height,
        channels,
        samples,
        pixel_type,
        spacing,
    })
}

/// The pixel type of an NRRD `type` (what [`nrrd_samples`] reads it as).
fn nrrd_pixel_type(path: &Path, kind: &str) -> Result<PixelType> {
    let signed = kind.starts_with("signed") || kind.starts_with("int") || kind == "short";
    Ok(match (nrrd_sample_size(path, kind)?, signed, kind) {
        (1, false, _) => PixelType::U8,
        (1, true, _) => PixelType::I8,
        (2, false, _) => PixelType::U16,
        (2, true, _) => PixelType::I16,
        (4, _, "float") => PixelType::F32,
        (4, false, _) => PixelType::U32,
        (4, true, _) => PixelType::I32,
        _ => PixelType::F64,
    })
}

/// The pixel type of a DICOM image as stored (BitsAllocated, PixelRepresentation); `F64`
/// for colour and for a modality rescale other than the identity, whose values sonorad reads
/// rescaled.
fn dicom_pixel_type(object: &dicom_object::DefaultDicomObject, channels: usize) -> PixelType {
    let number = |tag| object.get(tag).and_then(|e| e.to_float64().ok());
    let rescaled = number(tags::RESCALE_SLOPE).is_some_and(|s| s != 1.0)
        || number(tags::RESCALE_INTERCEPT).is_some_and(|i| i != 0.0);
    if channels > 1 || rescaled {
        return PixelType::F64;
    }
    let signed = number(tags::PIXEL_REPRESENTATION) == Some(1.0);
    match (number(tags::BITS_ALLOCATED).unwrap_or(8.0) as u32, signed) {
        (1 | 8, false) => PixelType::U8,
        (8, true) => PixelType::I8,
        (16, false) => PixelType::U16,
        (16, true) => PixelType::I16,
        (32, false) => PixelType::U32,
        (32, true) => PixelType::I32,
        _ => PixelType::F64,
    }
}

/// At most the first `needed` bytes of an NRRD file's data (attached after the header, or in
/// its detached data file, which must be a regular file), streamed from the file and inflated
/// when gzip-encoded: never more than the header's sizes call for, however large the file or its
/// inflation. Errors name the header `path`.
fn nrrd_data(path: &Path, header: &NrrdHeader, needed: usize) -> Result<Vec<u8>> {
    let limit = needed as u64;
    let encoded: Box<dyn Read + '_> = match &header.data_file {
        Some(file) => {
            crate::io::check_regular_file(file).map_err(|e| {
                decode_error(path, format!("NRRD data file {}: {e}", file.display()))
            })?;
            let opened = std::fs::File::open(file).map_err(|e| {
                decode_error(path, format!("NRRD data file {}: {e}", file.display()))
            })?;
            Box::new(opened)
        }
        None => {
            let mut file = std::fs::File::open(path).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
            std::io::Seek::seek(
                &mut file,
                std::io::SeekFrom::Start(header.header_bytes as u64),
            )
            .map_err(|e| decode_error(path, format!("NRRD data: {e}")))?;
            Box::new(file)
        }
    };
    let mut raw = Vec::new();
    let read = match header.encoding.as_str() {
        "raw" => encoded.take(limit).read_to_end(&mut raw),
        "gzip" | "gz" => flate2::read::GzDecoder::new(encoded)
            .take(limit)
            .read_to_end(&mut raw),
        other => {
            return Err(decode_error(
                path,
                format!("NRRD encoding '{other}' is not supported (raw, gzip)"),
            ))
        }
    };
    read.map_err(|e| decode_error(path, format!("NRRD data: {e}")))?;
    Ok(raw)
}

/// Bytes per sample of NRRD type `kind`.
fn nrrd_sample_size(path: &Path, kind: &str) -> Result<usize> {
    Ok(match kind {
        "uchar" | "unsigned char" | "uint8" | "uint8_t" | "signed char" | "int8" | "int8_t" => 1,
        "ushort" | "unsigned short" | "uint16" | "uint16_t" | "short" | "int16" | "int16_t" => 2,
        "uint" | "unsigned int" | "uint32" | "uint32_t" | "int" | "int32" | "int32_t" | "float" => {
            4
        }
        "double" => 8,
        other => {
            return Err(decode_error(
                path,
                format!("NRRD type '{other}' is not supported"),
            ))
        }
    })
}

/// Decodes `count` samples of NRRD type `kind`.
fn nrrd_samples(path: &Path, kind: &str, raw: &[u8], count: usize, big: bool) -> Result<Vec<f64>> {
    let size = nrrd_sample_size(path, kind)?;
    let needed = count
        .checked_mul(size)
        .ok_or_else(|| decode_error(path, format!("NRRD image of {count} samples is too large")))?;
    if raw.len() < needed {
        return Err(decode_error(
            path,
            format!("NRRD data holds {} bytes, {needed} needed", raw.len()),
        ));
    }
    let word = |chunk: &[u8]| -> [u8; 8] {
        let mut b = [0u8; 8];
        if big {
            for (k, &v) in chunk.iter().rev().enumerate() {
                b[k] = v;
            }
        } else {
            b[..chunk.len()].copy_from_slice(chunk);
        }
        b
    };
    let chunks = raw[..count * size].chunks_exact(size);
    let signed = kind.starts_with("signed") || kind.starts_with("int") || kind == "short";
    Ok(chunks
        .map(|c| {
            let b = word(c);
            match (size, signed, kind) {
                (1, false, _) => f64::from(b[0]),
                (1, true, _) => f64::from(b[0] as i8),
                (2, false, _) => f64::from(u16::from_le_bytes([b[0], b[1]])),
                (2, true, _) => f64::from(i16::from_le_bytes([b[0], b[1]])),
                (4, _, "float") => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                (4, false, _) => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                (4, true, _) => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                _ => f64::from_le_bytes(b),
            }
        })
        .collect())
}
