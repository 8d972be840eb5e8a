//! Image and mask readers: PNG, JPEG, BMP, TIFF (8- and 16-bit; gray, gray+alpha, RGB, RGBA)
//! through the `image` crate (gray PNGs through [`super::png_gray`], which can stop after the rows a
//! caller needs), and DICOM, NIfTI and NRRD through [`super::medical`].
//!
//! Gray images are used as stored. Colour images are reduced to luminance
//! `0.299 R + 0.587 G + 0.114 B` in double precision, exactly as the reference extractor does.
//! Masks keep their raw values so that `--label N` can select one label (without a label every
//! non-zero pixel belongs to the region); a mask of several channels per pixel (gray+alpha, RGB,
//! RGBA, a vector NRRD) is read at channel `label_channel`, as PyRadiomics reads a segmentation
//! object ([`mask_channel`]).

use std::borrow::Cow;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageReader};

use super::medical::{medical_format, read_medical};
use super::png_gray;
use crate::error::{Error, Result};

/// A 2D gray-level image in row-major order. Its pixels are owned (read from a file, filtered)
/// or borrowed from a caller's buffer (a numpy array from the Python binding), so that a large
/// image in memory is read in place rather than copied.
#[derive(Debug, Clone)]
pub struct Image<'a> {
    /// Width in pixels (columns).
    pub width: usize,
    /// Height in pixels (rows).
    pub height: usize,
    /// Gray values, row-major, `height * width` long, or shorter when a caller asked for fewer
    /// rows ([`read_image_rows`]): the rows past those decoded are absent.
    pub pixels: Cow<'a, [f64]>,
    /// Where the image came from (for error messages).
    pub source: PathBuf,
}

impl Image<'_> {
    /// The image with its pixels owned (copied when they were borrowed).
    pub fn to_owned_image(&self) -> Image<'static> {
        Image {
            width: self.width,
            height: self.height,
            pixels: Cow::Owned(self.pixels.to_vec()),
            source: self.source.clone(),
        }
    }
}

/// A mask with its raw per-pixel labels, row-major, owned or borrowed as [`Image`]'s pixels.
#[derive(Debug, Clone)]
pub struct LabelMap<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Raw label value of every pixel.
    pub labels: Cow<'a, [u32]>,
    /// Where the mask came from.
    pub source: PathBuf,
    /// The pixel spacing the mask file carries (DICOM, NIfTI, NRRD); `None`: the mask lies on
    /// its image's pixels (see [`crate::alignment`]).
    pub spacing: Option<PixelSpacing>,
    /// Position of pixel (0, 0) in mm, x first, where known (a SimpleITK mask handed to the
    /// Python shell); `None`: its image's. sonorad's readers read no origin.
    pub origin: Option<[f64; 2]>,
}

impl LabelMap<'_> {
    /// Joins another mask of the same image into this one (a multi-lesion image's extra
    /// mask): each pixel that is 0 here takes `other`'s label. An error naming `other` when
    /// the sizes differ.
    pub fn join(&mut self, other: &LabelMap) -> Result<()> {
        if (other.width, other.height) != (self.width, self.height) {
            return Err(Error::Decode {
                path: other.source.clone(),
                message: format!(
                    "this extra mask is {} x {} pixels, the mask {} is {} x {}",
                    other.width,
                    other.height,
                    self.source.display(),
                    self.width,
                    self.height
                ),
            });
        }
        let labels = self.labels.to_mut();
        for (label, &o) in labels.iter_mut().zip(other.labels.iter()) {
            if *label == 0 {
                *label = o;
            }
        }
        Ok(())
    }
}

/// Reads a raster image file whole, after checking from its header (read alone) that the file
/// is no larger than its pixels can need: a few hundred bytes of header must not make sonorad
/// read a gigabyte of padding.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    super::check_regular_file(path)?;
    let size = std::fs::metadata(path)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    // a file within the bound of an image of no pixels needs no look at its header (the
    // decoders check the pixel count themselves), so ordinary files are opened once
    let header = (size > most_file_bytes(0))
        .then(|| {
            ImageReader::open(path)
                .ok()?
                .with_guessed_format()
                .ok()?
                .into_dimensions()
                .ok()
        })
        .flatten();
    if let Some((width, height)) = header {
        super::check_pixel_count(path, u64::from(width), u64::from(height))?;
        let most = most_file_bytes(u64::from(width) * u64::from(height));
        if size > most {
            return Err(Error::Decode {
                path: path.to_path_buf(),
                message: format!(
                    "the file holds {size} bytes, more than its {width} x {height} pixels can need ({most}); refused unread"
                ),
            });
        }
    }
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Most bytes a raster file of `pixels` pixels can sensibly hold: 8 bytes a pixel (16-bit RGBA
/// stored raw, more than any compression leaves), plus 16 MiB of headers, profiles and metadata.
fn most_file_bytes(pixels: u64) -> u64 {
    pixels.saturating_mul(8).saturating_add(16 << 20)
}

fn decode(path: &Path, bytes: Vec<u8>) -> Result<DynamicImage> {
    check_jpeg_complete(path, &bytes)?;
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Decode {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    if reader.format().is_none() {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            message: "unknown image format (expected PNG, JPEG, BMP or TIFF)".into(),
        });
    }
    let failed = |e: image::ImageError| Error::Decode {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let decoder = reader.into_decoder().map_err(failed)?;
    let (width, height) = image::ImageDecoder::dimensions(&decoder);
    super::check_pixel_count(path, u64::from(width), u64::from(height))?;
    DynamicImage::from_decoder(decoder).map_err(failed)
}

/// A JPEG file (it starts with the SOI marker FF D8) must end with the EOI marker FF D9 (trailing
/// zero bytes allowed): the decoder fills a cut file's missing scan data with gray and reports
/// no error, so a truncated JPEG would otherwise give the features of an image that is not there.
fn check_jpeg_complete(path: &Path, bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(());
    }
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |k| k + 1);
    if bytes[..end].ends_with(&[0xff, 0xd9]) {
        return Ok(());
    }
    Err(Error::Decode {
        path: path.to_path_buf(),
        message: "the JPEG file does not end with its end-of-image marker (truncated)".into(),
    })
}

/// Luminance of an RGB triple, in the order the reference computes it.
fn luminance(r: f64, g: f64, b: f64) -> f64 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// Pixel spacing a file carries, in mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelSpacing {
    /// Distance between rows (mm).
    pub row: f64,
    /// Distance between columns (mm).
    pub column: f64,
}

impl PixelSpacing {
    /// Square pixels of `mm` mm.
    pub fn square(mm: f64) -> PixelSpacing {
        PixelSpacing {
            row: mm,
            column: mm,
        }
    }

    /// Whether rows and columns are as far apart (to 1e-9 of the larger).
    pub fn is_square(&self) -> bool {
        (self.row - self.column).abs() <= 1e-9 * self.row.max(self.column)
    }

    fn of(spacing: Option<[f64; 2]>) -> Option<PixelSpacing> {
        spacing.map(|[row, column]| PixelSpacing { row, column })
    }
}

/// How a file stores its pixels: what SimpleITK would read them as, and so the type a resampled
/// image keeps ([`crate::resample`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelType {
    /// Unsigned 8-bit.
    U8,
    /// Signed 8-bit.
    I8,
    /// Unsigned 16-bit.
    U16,
    /// Signed 16-bit.
    I16,
    /// Unsigned 32-bit.
    U32,
    /// Signed 32-bit.
    I32,
    /// 32-bit float.
    F32,
    /// 64-bit float (also colour images reduced to luminance).
    F64,
}

impl PixelType {
    /// ITK's `CastComponentWithBoundsChecking` from the interpolator's double: values at or
    /// beyond the type's range (`NonpositiveMin`, `max`) are clamped to it, others
    /// `static_cast`: truncation toward zero for integers, round-to-nearest for `f32`. A NaN
    /// (undefined behaviour in C++ for integer types) becomes 0 for integer types.
    pub fn cast(self, value: f64) -> f64 {
        let (min, max, integer) = match self {
            PixelType::U8 => (0.0, u8::MAX as f64, true),
            PixelType::I8 => (i8::MIN as f64, i8::MAX as f64, true),
            PixelType::U16 => (0.0, u16::MAX as f64, true),
            PixelType::I16 => (i16::MIN as f64, i16::MAX as f64, true),
            PixelType::U32 => (0.0, u32::MAX as f64, true),
            PixelType::I32 => (i32::MIN as f64, i32::MAX as f64, true),
            PixelType::F32 => (-(f32::MAX as f64), f32::MAX as f64, false),
            PixelType::F64 => return value,
        };
        if value <= min {
            min
        } else if value >= max {
            max
        } else if integer {
            // Saturating, NaN to 0; also makes -0.3 a +0, as the C++ integer cast does.
            value as i64 as f64
        } else {
            value as f32 as f64
        }
    }
}

/// An image with the pixel spacing its file carries (DICOM, NIfTI, NRRD; `None` otherwise) and
/// its origin.
#[derive(Debug, Clone)]
pub struct ImageFile<'a> {
    /// The gray-level image.
    pub image: Image<'a>,
    /// The file's pixel spacing.
    pub spacing: Option<PixelSpacing>,
    /// How the file stores its pixels (the type a resampled image keeps).
    pub pixel_type: PixelType,
    /// Position of pixel (0, 0) in mm, x first. sonorad's readers read no origin (0, 0); a
    /// caller that knows it (the Python shell, from SimpleITK) sets it.
    pub origin: [f64; 2],
}

/// Reads frame `frame` (0 for single-frame files) of an image file of any supported format,
/// with the spacing the file carries.
pub fn read_image_file(path: &Path, frame: u32) -> Result<ImageFile<'static>> {
    read_image_file_rows(path, frame, usize::MAX)
}

/// [`read_image_file`] for a caller that needs only rows `0..rows`: a gray PNG stops decoding
/// there (the other rows hold NaN); other files are read whole.
pub fn read_image_file_rows(path: &Path, frame: u32, rows: usize) -> Result<ImageFile<'static>> {
    super::check_regular_file(path)?;
    let Some(format) = medical_format(path) else {
        if frame != 0 {
            return Err(Error::Decode {
                path: path.to_path_buf(),
                message: format!("frame {frame} requested, but the file holds one 2D image"),
            });
        }
        let (image, pixel_type) = read_typed_rows(path, rows)?;
        return Ok(ImageFile {
            image,
            spacing: None,
            pixel_type,
            origin: [0.0, 0.0],
        });
    };
    let raster = read_medical(path, format, frame)?;
    let pixels = match raster.channels {
        1 => raster.samples,
        2 => raster.samples.chunks_exact(2).map(|p| p[0]).collect(),
        3 | 4 => rgb(&raster.samples, raster.channels),
        n => {
            return Err(Error::UnsupportedPixels {
                path: path.to_path_buf(),
                format: format!("{n} samples per pixel"),
            })
        }
    };
    Ok(ImageFile {
        image: Image {
            width: raster.width,
            height: raster.height,
            pixels: pixels.into(),
            source: path.to_path_buf(),
        },
        spacing: PixelSpacing::of(raster.spacing),
        pixel_type: raster.pixel_type,
        origin: [0.0, 0.0],
    })
}

/// PyRadiomics' rule (`imageoperations.getMask`) for which channel of a mask holds the labels:
/// a mask of several channels per pixel is a segmentation object whose channel `label_channel`
/// is read; a mask of one channel is read as it is, whatever `label_channel` says. An error
/// naming the mask when it has no such channel. Every reader, and a binding handing over a
/// mask of several channels, picks the channel by this one rule.
pub fn mask_channel(path: &Path, channels: usize, label_channel: u32) -> Result<usize> {
    let channel = usize::try_from(label_channel).unwrap_or(usize::MAX);
    match channels {
        0 | 1 => Ok(0),
        _ if channel < channels => Ok(channel),
        _ => Err(Error::MaskChannel {
            path: path.to_path_buf(),
            channel: label_channel,
            channels,
        }),
    }
}

/// Reads a mask file of any supported format at channel `label_channel` ([`mask_channel`]);
/// values must be non-negative integers.
pub fn read_mask_file(path: &Path, frame: u32, label_channel: u32) -> Result<LabelMap<'static>> {
    super::check_regular_file(path)?;
    let Some(format) = medical_format(path) else {
        return read_mask(path, label_channel);
    };
    let raster = read_medical(path, format, frame)?;
    let channels = raster.channels.max(1);
    let channel = mask_channel(path, channels, label_channel)?;
    let labels = raster
        .samples
        .chunks_exact(channels)
        .map(|p| p[channel])
        .map(|v| {
            if v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
                Ok(v as u32)
            } else {
                Err(Error::UnsupportedPixels {
                    path: path.to_path_buf(),
                    format: format!("mask value {v} (masks must hold non-negative integer labels)"),
                })
            }
        })
        .collect::<Result<Vec<u32>>>()?;
    Ok(LabelMap {
        width: raster.width,
        height: raster.height,
        labels: labels.into(),
        source: path.to_path_buf(),
        spacing: PixelSpacing::of(raster.spacing),
        origin: None,
    })
}

/// Reads an image file as gray levels (colour reduced to luminance). PNG, JPEG, BMP, TIFF only;
/// [`read_image_file`] reads every format.
pub fn read_image(path: &Path) -> Result<Image<'static>> {
    read_image_rows(path, usize::MAX)
}

/// [`read_image`] for a caller that needs only rows `0..rows`: a gray PNG stops decoding after
/// them and its pixels end there; other files are decoded whole.
pub fn read_image_rows(path: &Path, rows: usize) -> Result<Image<'static>> {
    read_typed_rows(path, rows).map(|(image, _)| image)
}

/// [`read_image_rows`] with how the file stores its pixels: 8- or 16-bit gray as such, colour
/// reduced to luminance in f64.
fn read_typed_rows(path: &Path, rows: usize) -> Result<(Image<'static>, PixelType)> {
    let bytes = read_bytes(path)?;
    if png_gray::is_png(&bytes) {
        if let Some(gray) = png_gray::read_gray_rows::<f64>(&bytes, path, rows)? {
            let image = Image {
                width: gray.width,
                height: gray.height,
                pixels: gray.samples.into(),
                source: path.to_path_buf(),
            };
            return Ok((image, gray.pixel_type));
        }
    }
    let img = decode(path, bytes)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let pixel_type = match &img {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageLumaA8(_) => PixelType::U8,
        DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) => PixelType::U16,
        _ => PixelType::F64,
    };
    let pixels: Vec<f64> = match &img {
        DynamicImage::ImageLuma8(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageLuma16(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageLumaA8(b) => b
            .as_raw()
            .chunks_exact(2)
            .map(|p| f64::from(p[0]))
            .collect(),
        DynamicImage::ImageLumaA16(b) => b
            .as_raw()
            .chunks_exact(2)
            .map(|p| f64::from(p[0]))
            .collect(),
        DynamicImage::ImageRgb8(b) => rgb(b.as_raw(), 3),
        DynamicImage::ImageRgba8(b) => rgb(b.as_raw(), 4),
        DynamicImage::ImageRgb16(b) => rgb(b.as_raw(), 3),
        DynamicImage::ImageRgba16(b) => rgb(b.as_raw(), 4),
        DynamicImage::ImageRgb32F(b) => rgb(b.as_raw(), 3),
        DynamicImage::ImageRgba32F(b) => rgb(b.as_raw(), 4),
        other => {
            return Err(Error::UnsupportedPixels {
                path: path.to_path_buf(),
                format: format!("{:?}", other.color()),
            })
        }
    };
    let image = Image {
        width,
        height,
        pixels: pixels.into(),
        source: path.to_path_buf(),
    };
    Ok((image, pixel_type))
}

fn rgb<T: Copy + Into<f64>>(raw: &[T], channels: usize) -> Vec<f64> {
    raw.chunks_exact(channels)
        .map(|p| luminance(p[0].into(), p[1].into(), p[2].into()))
        .collect()
}

/// Reads a PNG, JPEG, BMP or TIFF mask file, keeping the raw values of channel
/// `label_channel` ([`mask_channel`]; a gray file has one channel); [`read_mask_file`] reads
/// every format.
pub fn read_mask(path: &Path, label_channel: u32) -> Result<LabelMap<'static>> {
    let bytes = read_bytes(path)?;
    if png_gray::is_png(&bytes) {
        // one channel: label_channel does not apply
        if let Some(gray) = png_gray::read_gray_rows::<u32>(&bytes, path, usize::MAX)? {
            return Ok(LabelMap {
                width: gray.width,
                height: gray.height,
                labels: gray.samples.into(),
                source: path.to_path_buf(),
                spacing: None,
                origin: None,
            });
        }
    }
    let img = decode(path, bytes)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let labels: Vec<u32> = match &img {
        DynamicImage::ImageLuma8(b) => channel_of(path, b.as_raw(), 1, label_channel)?,
        DynamicImage::ImageLuma16(b) => channel_of(path, b.as_raw(), 1, label_channel)?,
        DynamicImage::ImageLumaA8(b) => channel_of(path, b.as_raw(), 2, label_channel)?,
        DynamicImage::ImageLumaA16(b) => channel_of(path, b.as_raw(), 2, label_channel)?,
        DynamicImage::ImageRgb8(b) => channel_of(path, b.as_raw(), 3, label_channel)?,
        DynamicImage::ImageRgba8(b) => channel_of(path, b.as_raw(), 4, label_channel)?,
        DynamicImage::ImageRgb16(b) => channel_of(path, b.as_raw(), 3, label_channel)?,
        DynamicImage::ImageRgba16(b) => channel_of(path, b.as_raw(), 4, label_channel)?,
        other => {
            return Err(Error::UnsupportedPixels {
                path: path.to_path_buf(),
                format: format!("{:?} (masks must hold integer labels)", other.color()),
            })
        }
    };
    Ok(LabelMap {
        width,
        height,
        labels: labels.into(),
        source: path.to_path_buf(),
        spacing: None,
        origin: None,
    })
}

/// The values of channel `label_channel` ([`mask_channel`]) of interleaved `channels`-channel
/// pixels.
fn channel_of<T: Copy + Into<u32>>(
    path: &Path,
    raw: &[T],
    channels: usize,
    label_channel: u32,
) -> Result<Vec<u32>> {
    let channel = mask_channel(path, channels, label_channel)?;
    Ok(raw
        .chunks_exact(channels)
        .map(|p| p[channel].into())
        .collect())
}
