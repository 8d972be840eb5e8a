//! Readers for images, masks and case manifests.

pub mod image;
pub mod manifest;

pub use self::image::{read_image, read_mask, Image, LabelMap};
pub use manifest::{read_manifest, Case};
