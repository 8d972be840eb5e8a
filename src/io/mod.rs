//! Readers for images, masks and case manifests.

pub mod image;
pub mod manifest;
pub mod medical;
pub mod png_gray;

pub use self::image::{
    read_image, read_image_file, read_mask, read_mask_file, Image, ImageFile, LabelMap,
    PixelSpacing,
};
pub use manifest::{pair_folders, read_manifest, read_manifest_table, Case, Manifest};
