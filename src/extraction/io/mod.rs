//! Readers for images, masks and case manifests.

pub mod image;
pub mod manifest;
pub mod medical;
pub mod png_gray;

pub use self::image::{
    mask_channel, read_image, read_image_file, read_mask, read_mask_file, Image, ImageFile,
    LabelMap, PixelSpacing, PixelType,
};
pub use manifest::{
    pair_folders, read_manifest, read_manifest_table, ExtraMasks, Manifest, ManifestRow,
    PairedFolders,
};

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Default most pixels an image or mask may have (2^28, a 16384² image), checked from the
/// file's header before any pixel buffer is allocated, so that a small file claiming a huge
/// size cannot exhaust memory.
pub const DEFAULT_MAX_PIXELS: u64 = 1 << 28;

static MAX_PIXELS: AtomicU64 = AtomicU64::new(DEFAULT_MAX_PIXELS);

/// Sets the pixel limit every reader applies (`extract --max-pixels`); at least 1.
pub fn set_max_pixels(pixels: u64) {
    MAX_PIXELS.store(pixels.max(1), Ordering::Relaxed);
}

/// The pixel limit every reader applies.
pub fn max_pixels() -> u64 {
    MAX_PIXELS.load(Ordering::Relaxed)
}

/// An error naming `path` when an image of `width` × `height` pixels (as its header says) is
/// above [`max_pixels`].
pub(crate) fn check_pixel_count(path: &Path, width: u64, height: u64) -> Result<()> {
    let pixels = width.saturating_mul(height);
    if pixels > max_pixels() {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            message: format!(
                "the header claims {width} x {height} pixels, above the limit of {} pixels (--max-pixels)",
                max_pixels()
            ),
        });
    }
    Ok(())
}

/// An error naming an output `path` that exists and is not a regular file (or a link to one):
/// opening a FIFO to write blocks until a reader comes, a device swallows the rows, a folder
/// cannot be written. A path that does not exist yet is fine.
pub fn check_output_file(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::Write {
            path: path.to_path_buf(),
            message: format!(
                "{}; outputs must be regular files",
                if m.is_dir() {
                    "a folder"
                } else {
                    "not a regular file (a pipe or a device)"
                }
            ),
        }),
        _ => Ok(()),
    }
}

/// An error naming an output folder `path` that exists and is not a folder.
pub fn check_output_folder(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => Err(Error::Write {
            path: path.to_path_buf(),
            message: "not a folder; --write-masks needs a folder (it is created if missing)".into(),
        }),
        _ => Ok(()),
    }
}

/// An error naming `path` unless it is a regular file (or a link to one): a FIFO, a device such
/// as `/dev/zero` or a folder would block or never end.
pub(crate) fn check_regular_file(path: &Path) -> Result<()> {
    let metadata = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_file() {
        return Ok(());
    }
    let kind = if metadata.is_dir() {
        "a folder"
    } else {
        "not a regular file (a pipe or a device)"
    };
    Err(Error::Decode {
        path: path.to_path_buf(),
        message: format!("{kind}; images and masks must be regular files"),
    })
}
