//! Whether a mask lies on its image's pixels, and PyRadiomics' correction when it does not
//! (`imageoperations.checkMask`, step 1, with the `correctMask` and `geometryTolerance`
//! settings).
//!
//! PyRadiomics computes the region's bounding box with SimpleITK's `LabelStatisticsImageFilter`
//! on the image and the mask, which refuses a mask of another size, or one whose origin or
//! spacing differs from the image's by more than the coordinate tolerance (ITK compares each
//! coordinate with `|geometryTolerance · s_x|`, `s_x` the image's spacing between columns;
//! `geometryTolerance` defaults to ITK's 1e-6). With `correctMask`, such a mask is resampled
//! onto the image's pixels by nearest neighbour instead ([`crate::resample::correct_mask`]),
//! provided its region lies within the image (`_checkROI`); otherwise the case fails.
//!
//! Covered here: 2D images and masks with identity direction, each with its spacing and origin.
//! sonorad's file readers read spacing (NRRD, NIfTI, DICOM) but no origin (taken as 0, so two
//! files never differ in origin); a mask file without a spacing of its own is taken to lie on
//! its image's grid. A caller that knows the origins (the Python shell, from SimpleITK) passes
//! them in [`crate::io::ImageFile::origin`] and [`crate::io::LabelMap::origin`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::resample::{correct_mask, Geometry, Grid};

/// ITK's default coordinate tolerance (`geometryTolerance` unset).
pub const DEFAULT_TOLERANCE: f64 = 1e-6;

/// PyRadiomics' `correctMask` and `geometryTolerance`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskAlignment {
    /// `correctMask`: resample a mask that does not lie on the image's pixels onto them
    /// (default: such a mask fails the case).
    pub correct: bool,
    /// `geometryTolerance`: how far origins and spacings may differ, as a fraction of the
    /// image's spacing between columns (default 1e-6).
    pub tolerance: f64,
}

impl Default for MaskAlignment {
    fn default() -> MaskAlignment {
        MaskAlignment {
            correct: false,
            tolerance: DEFAULT_TOLERANCE,
        }
    }
}

/// An image or mask file's name and the place of its pixels.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    /// The file (for messages).
    pub path: &'a Path,
    /// Width and height in pixels.
    pub size: [usize; 2],
    /// Where its pixels lie.
    pub geometry: Geometry,
}

impl MaskAlignment {
    /// Which origin or spacing coordinate of `mask` differs from `image`'s by more than the
    /// tolerance (ITK's `VerifyInputInformation`), described; `None` when none does.
    pub fn mismatch(&self, image: &Geometry, mask: &Geometry) -> Option<String> {
        let tolerance = (self.tolerance * image.spacing[0]).abs();
        let pairs = [
            ("origin", image.origin, mask.origin),
            ("spacing", image.spacing, mask.spacing),
        ];
        pairs.into_iter().find_map(|(what, a, b)| {
            let differs = (0..2).any(|axis| (a[axis] - b[axis]).abs() > tolerance);
            differs.then(|| {
                format!("image {what} {a:?} mm, mask {what} {b:?} mm (tolerance {tolerance} mm)")
            })
        })
    }

    /// `checkMask`'s first step: `false` when the mask lies on the image's pixels (same size,
    /// origin and spacing within the tolerance); `true` when it does not and `correctMask` asks
    /// for [`correct`]; an error naming both files otherwise (size first, as SimpleITK checks
    /// it first).
    pub fn needs_correction(&self, image: Placed, mask: Placed) -> Result<bool> {
        let same_size = image.size == mask.size;
        let mismatch = self.mismatch(&image.geometry, &mask.geometry);
        if same_size && mismatch.is_none() {
            return Ok(false);
        }
        if self.correct {
            return Ok(true);
        }
        Err(match mismatch.filter(|_| same_size) {
            Some(detail) => Error::GeometryMismatch {
                mask: mask.path.to_path_buf(),
                image: image.path.to_path_buf(),
                detail,
            },
            None => Error::SizeMismatch {
                mask: mask.path.to_path_buf(),
                mask_width: mask.size[0] as u32,
                mask_height: mask.size[1] as u32,
                image: image.path.to_path_buf(),
                image_width: image.size[0] as u32,
                image_height: image.size[1] as u32,
            },
        })
    }
}

/// PyRadiomics' `_correctMask` of a mask of labels `values` whose region is `label`: the mask
/// resampled onto the image's pixels by nearest neighbour, or an error naming the mask when
/// its region reaches outside the image (`_checkROI`) or is absent.
pub fn correct(image: Placed, mask: Placed, values: &[u32], label: u32) -> Result<Vec<u32>> {
    let grid = Grid {
        width: mask.size[0],
        height: mask.size[1],
        values,
        geometry: mask.geometry,
    };
    correct_mask(&image.geometry, image.size, &grid, label).map_err(|e| Error::Spacing {
        path: mask.path.to_path_buf(),
        message: format!(
            "correctMask cannot resample the mask onto image {}: {e}",
            image.path.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(path: &str, size: [usize; 2], origin: [f64; 2], spacing: [f64; 2]) -> Placed<'_> {
        Placed {
            path: Path::new(path),
            size,
            geometry: Geometry::new(origin, spacing),
        }
    }

    /// A 4×4 mask with a 2×2 region (label 1) at columns 1–2, rows 1–2.
    fn square() -> Vec<u32> {
        (0..16)
            .map(|p| u32::from((1..3).contains(&(p % 4)) && (1..3).contains(&(p / 4))))
            .collect()
    }

    #[test]
    fn within_the_tolerance_the_mask_is_used_as_it_is() {
        let image = placed("i.nrrd", [4, 4], [0.0, 0.0], [2.0, 2.0]);
        let close = placed("m.nrrd", [4, 4], [0.0, 2e-6], [2.0, 2.0]);
        let a = MaskAlignment::default();
        assert!(!a.needs_correction(image, close).unwrap());
        let far = placed("m.nrrd", [4, 4], [0.0, 3e-6], [2.0, 2.0]);
        let e = a.needs_correction(image, far).unwrap_err();
        assert!(e.to_string().contains("geometry mismatch"), "{e}");
        let loose = MaskAlignment {
            tolerance: -1e-3, // ITK takes its absolute value
            ..a
        };
        assert!(!loose.needs_correction(image, far).unwrap());
    }

    #[test]
    fn a_mask_of_another_size_is_refused_or_corrected() {
        let image = placed("i.png", [3, 3], [0.0, 0.0], [1.0, 1.0]);
        let mask = placed("m.png", [4, 4], [0.0, 0.0], [1.0, 1.0]);
        let e = MaskAlignment::default()
            .needs_correction(image, mask)
            .unwrap_err();
        assert!(e.to_string().contains("mask is 4x4 but image"), "{e}");
        let correcting = MaskAlignment {
            correct: true,
            ..MaskAlignment::default()
        };
        assert!(correcting.needs_correction(image, mask).unwrap());
        let on_image = correct(image, mask, &square(), 1).unwrap();
        assert_eq!(on_image, vec![0, 0, 0, 0, 1, 1, 0, 1, 1]);
        let small = placed("i.png", [2, 2], [0.0, 0.0], [1.0, 1.0]);
        let e = correct(small, mask, &square(), 1).unwrap_err();
        assert!(e.to_string().contains("larger than image space"), "{e}");
    }
}
