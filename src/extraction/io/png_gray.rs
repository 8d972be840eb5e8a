//! Direct PNG decoding for gray-level files, the common case of ultrasound archives.
//!
//! Gray PNGs (1, 2, 4, 8 or 16 bits, not interlaced) are decoded with the `png` crate row by
//! row, without the `image` crate's conversions: an image can stop after the last row its
//! regions need, and a 1-bit mask is unpacked straight into labels. Values are those the `image`
//! crate gives: 1-, 2- and 4-bit samples scaled to 0..=255 (`v · 255 / (2^depth − 1)`), 8- and
//! 16-bit samples as stored. Every other PNG (palette, gray+alpha, colour, interlaced) returns
//! `None`, and the caller decodes it through the `image` crate.
//!
//! A file is checked to the end of its chunk structure (IEND present, no chunk cut short) before
//! any row is read, so a truncated file is an error even when the rows it lacks are not needed.
//! Chunk CRCs are verified as chunks are read, and the image data's Adler-32 checksum when every
//! row is decoded (a mask always; an image whose regions reach its last row); an image decoded
//! only down to the rows its regions need leaves the checksum of the rest unread.

use std::io::Cursor;
use std::path::Path;

use png::{BitDepth, ColorType, Decoder, Transformations};

use crate::error::{Error, Result};

/// The PNG file signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Whether `bytes` start with the PNG signature.
pub fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

/// Gray samples of the first rows of a PNG file, as `T` (`u32` labels or `f64` gray values).
pub struct GrayRows<T> {
    /// Width in pixels.
    pub width: usize,
    /// Height of the whole image in pixels.
    pub height: usize,
    /// Samples of rows `0..rows`, row-major (`rows * width` long).
    pub samples: Vec<T>,
    /// `U16` for 16-bit files, `U8` for 1- to 8-bit ones (as SimpleITK reads them).
    pub pixel_type: crate::io::PixelType,
}

fn decode_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Decode {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Walks the chunk structure of a PNG file: every chunk complete and IEND last.
fn check_complete(bytes: &[u8], path: &Path) -> Result<()> {
    let mut at = SIGNATURE.len();
    loop {
        let Some(header) = bytes.get(at..at + 8) else {
            return Err(decode_error(
                path,
                "the PNG file ends before its IEND chunk (truncated)",
            ));
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = at + 8 + length + 4;
        if end > bytes.len() {
            return Err(decode_error(
                path,
                format!(
                    "the PNG chunk '{}' is cut short (truncated file)",
                    String::from_utf8_lossy(&header[4..8])
                ),
            ));
        }
        if &header[4..8] == b"IEND" {
            return Ok(());
        }
        at = end;
    }
}

/// Decodes rows `0..min(rows, height)` of a gray PNG; `Ok(None)` for any other PNG.
pub fn read_gray_rows<T: From<u16> + Copy + Default>(
    bytes: &[u8],
    path: &Path,
    rows: usize,
) -> Result<Option<GrayRows<T>>> {
    check_complete(bytes, path)?;
    let mut decoder = Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(Transformations::IDENTITY);
    // chunk CRCs, and the zlib stream's Adler-32 once every row is read
    decoder.ignore_checksums(false);
    let mut reader = decoder.read_info().map_err(|e| decode_error(path, e))?;
    let info = reader.info();
    if info.color_type != ColorType::Grayscale || info.interlaced {
        return Ok(None);
    }
    crate::io::check_pixel_count(path, u64::from(info.width), u64::from(info.height))?;
    let (width, height) = (info.width as usize, info.height as usize);
    let depth = info.bit_depth;
    let rows = rows.min(height);
    let table = match depth {
        BitDepth::One => byte_table::<1, T>(),
        BitDepth::Two => byte_table::<2, T>(),
        BitDepth::Four => byte_table::<4, T>(),
        BitDepth::Eight | BitDepth::Sixteen => Vec::new(),
    };
    let mut samples = Vec::with_capacity(rows * width);
    for y in 0..rows {
        let row = reader
            .next_row()
            .map_err(|e| decode_error(path, e))?
            .ok_or_else(|| decode_error(path, format!("the image data ends at row {y}")))?;
        unpack(row.data(), depth, width, &table, &mut samples);
    }
    if rows == height {
        // the end of the image data: its Adler-32 checksum is verified here
        reader.finish().map_err(|e| decode_error(path, e))?;
    }
    let pixel_type = if depth == BitDepth::Sixteen {
        crate::io::PixelType::U16
    } else {
        crate::io::PixelType::U8
    };
    Ok(Some(GrayRows {
        width,
        height,
        samples,
        pixel_type,
    }))
}

/// Appends the `width` samples of one raw row; `table` is the [`byte_table`] of a depth below 8.
fn unpack<T: From<u16> + Copy + Default>(
    data: &[u8],
    depth: BitDepth,
    width: usize,
    table: &[[T; 8]],
    out: &mut Vec<T>,
) {
    match depth {
        BitDepth::Eight => out.extend(data[..width].iter().map(|&v| T::from(u16::from(v)))),
        BitDepth::Sixteen => out.extend(
            data.chunks_exact(2)
                .take(width)
                .map(|b| T::from(u16::from_be_bytes([b[0], b[1]]))),
        ),
        BitDepth::One => unpack_low::<1, T>(data, width, table, out),
        BitDepth::Two => unpack_low::<2, T>(data, width, table, out),
        BitDepth::Four => unpack_low::<4, T>(data, width, table, out),
    }
}

/// The samples of every byte value of a row packed `BITS` per sample (1, 2 or 4), scaled to
/// 0..=255 as the `image` crate scales them (`v · 255 / (2^BITS − 1)`): `8 / BITS` samples per
/// byte, most significant bits first.
fn byte_table<const BITS: u16, T: From<u16> + Copy + Default>() -> Vec<[T; 8]> {
    let max = (1u16 << BITS) - 1;
    let scale = 255 / max;
    (0..=255u16)
        .map(|byte| {
            let mut samples = [T::default(); 8];
            for (k, sample) in samples.iter_mut().take(usize::from(8 / BITS)).enumerate() {
                *sample = T::from(((byte >> (8 - BITS * (k as u16 + 1))) & max) * scale);
            }
            samples
        })
        .collect()
}

/// Appends the `width` samples of a row packed `BITS` per sample, looked up byte by byte in
/// `table` ([`byte_table`]).
fn unpack_low<const BITS: u16, T: Copy>(
    data: &[u8],
    width: usize,
    table: &[[T; 8]],
    out: &mut Vec<T>,
) {
    let per_byte = usize::from(8 / BITS);
    let (whole, rest) = (width / per_byte, width % per_byte);
    out.reserve(width);
    for &byte in data.iter().take(whole) {
        out.extend_from_slice(&table[usize::from(byte)][..per_byte]);
    }
    if let (true, Some(&byte)) = (rest > 0, data.get(whole)) {
        out.extend_from_slice(&table[usize::from(byte)][..rest]);
    }
}
