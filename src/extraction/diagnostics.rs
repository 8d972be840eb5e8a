//! PyRadiomics' diagnostics of an image and its mask (`generalinfo.GeneralInfo`): the
//! `diagnostics_Image-…` and `diagnostics_Mask-…` entries that `additionalInfo` adds to a
//! result, with the values PyRadiomics computes and the text Python's `str()` gives them, so
//! that the shells (the PyRadiomics command line and Python API) write the same columns.
//!
//! Per image (`Image-<prefix>_`): for the original image its `Hash` (SHA-1 of the pixels as
//! SimpleITK stores them, which is `sitk.Hash`) and `Dimensionality`; then `Spacing` and `Size`
//! (x first) and the `Mean`, `Minimum` and `Maximum` of every pixel. Per mask
//! (`Mask-<prefix>_`): for the original mask its `Hash` (of the labels as 32-bit integers,
//! PyRadiomics' cast), then `Spacing`, `Size`, the label's `BoundingBox` (x, y, width, height),
//! `VoxelNum`, `VolumeNum` (8-connected parts), `CenterOfMassIndex` (mean pixel index, x first)
//! and `CenterOfMass` (in mm from the origin); with an image, the `Mean`, `Minimum` and
//! `Maximum` of the region's pixels. Prefixes: `original`, `interpolated` (after resampling),
//! `corrected` (a mask resampled onto its image's pixels by `correctMask`), `resegmented`.
//!
//! [`crate::extract::case_with_diagnostics`] runs a case's steps and gives them all, in
//! PyRadiomics' order (`featureextractor.loadImage` adds the original image and mask, then the
//! interpolated ones; `execute` the corrected mask, then the resegmented one): the shells call
//! it rather than these functions, so that the values come from the images the features are
//! computed on.

use sha1::{Digest, Sha1};

use crate::filters::log::python_float_repr;
use crate::io::{Image, PixelSpacing, PixelType};
use crate::matrix::NEIGHBOURS;
use crate::numpy::numpy_sum;

/// A diagnostic value, typed as PyRadiomics gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `str`.
    Text(String),
    /// An `int`.
    Int(u64),
    /// A numpy `float64`.
    Float(f64),
    /// A `tuple` of floats.
    Floats(Vec<f64>),
    /// A `tuple` of ints.
    Ints(Vec<u64>),
}

impl Value {
    /// The text Python's `str()` gives the value (what PyRadiomics' CSV output holds).
    pub fn python_str(&self) -> String {
        let tuple = |items: Vec<String>| match items.len() {
            1 => format!("({},)", items[0]),
            _ => format!("({})", items.join(", ")),
        };
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(x) => python_float_repr(*x),
            Value::Floats(v) => tuple(v.iter().map(|&x| python_float_repr(x)).collect()),
            Value::Ints(v) => tuple(v.iter().map(u64::to_string).collect()),
        }
    }

    /// The Python type PyRadiomics gives the value.
    pub fn python_type(&self) -> &'static str {
        match self {
            Value::Text(_) => "str",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Floats(_) | Value::Ints(_) => "tuple",
        }
    }
}

/// Named diagnostics in PyRadiomics' order.
pub type Diagnostics = Vec<(String, Value)>;

/// Where an image or mask lies: pixel spacing and the position of its first pixel, in mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Pixel spacing.
    pub spacing: PixelSpacing,
    /// Position of pixel (0, 0), x first.
    pub origin: [f64; 2],
}

/// `sitk.Hash`: the SHA-1 of the pixels as `pixel_type` stores them (little-endian).
pub fn image_hash(image: &Image, pixel_type: PixelType) -> String {
    let mut sha = Sha1::new();
    for &v in image.pixels.iter() {
        // the values are the stored ones, so each cast is exact
        match pixel_type {
            PixelType::U8 => sha.update([v as u8]),
            PixelType::I8 => sha.update((v as i8).to_le_bytes()),
            PixelType::U16 => sha.update((v as u16).to_le_bytes()),
            PixelType::I16 => sha.update((v as i16).to_le_bytes()),
            PixelType::U32 => sha.update((v as u32).to_le_bytes()),
            PixelType::I32 => sha.update((v as i32).to_le_bytes()),
            PixelType::F32 => sha.update((v as f32).to_le_bytes()),
            PixelType::F64 => sha.update(v.to_le_bytes()),
        }
    }
    hex(&sha.finalize())
}

/// The SHA-1 of mask labels as 32-bit integers (PyRadiomics casts masks to `UInt32`).
pub fn mask_hash(labels: &[u32]) -> String {
    let mut sha = Sha1::new();
    for &l in labels {
        sha.update(l.to_le_bytes());
    }
    hex(&sha.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PyRadiomics' `addImageElements`: the hash and dimensionality for `original`, then spacing,
/// size, mean, minimum and maximum of every pixel.
pub fn image_elements(
    image: &Image,
    pixel_type: PixelType,
    placement: Placement,
    prefix: &str,
) -> Diagnostics {
    let key = |name: &str| format!("diagnostics_Image-{prefix}_{name}");
    let mut out = Vec::new();
    if prefix == "original" {
        out.push((key("Hash"), Value::Text(image_hash(image, pixel_type))));
        out.push((key("Dimensionality"), Value::Text("2D".into())));
    }
    out.extend(geometry(&key, placement, (image.width, image.height)));
    out.extend(statistics(&key, &image.pixels));
    out
}

/// PyRadiomics' `addMaskElements` for the pixels of `labels` (a `width × height` label map)
/// equal to `label`: the hash for `original`, spacing, size, bounding box, pixel count, parts,
/// centre of mass; with `image`, the mean, minimum and maximum of the region's pixels.
pub fn mask_elements(
    (labels, width, height): (&[u32], usize, usize),
    label: u32,
    placement: Placement,
    image: Option<&Image>,
    prefix: &str,
) -> Diagnostics {
    let inside: Vec<bool> = labels.iter().map(|&l| l == label).collect();
    let hash = (prefix == "original").then(|| mask_hash(labels));
    region_elements(hash, (&inside, width, height), placement, image, prefix)
}

/// [`mask_elements`] for a region given by its membership (`inside`, a `width × height`
/// map), with the mask's `hash` where PyRadiomics gives one (`original`).
pub fn region_elements(
    hash: Option<String>,
    (inside, width, height): (&[bool], usize, usize),
    placement: Placement,
    image: Option<&Image>,
    prefix: &str,
) -> Diagnostics {
    let key = |name: &str| format!("diagnostics_Mask-{prefix}_{name}");
    let mut out = Vec::new();
    if let Some(hash) = hash {
        out.push((key("Hash"), Value::Text(hash)));
    }
    out.extend(geometry(&key, placement, (width, height)));
    let pixels: Vec<(usize, usize)> = (0..inside.len())
        .filter(|&p| inside[p])
        .map(|p| (p % width, p / width))
        .collect();
    out.extend(region_shape(
        &key,
        &pixels,
        inside,
        (width, height),
        placement,
    ));
    if let Some(image) = image {
        let values: Vec<f64> = pixels
            .iter()
            .map(|&(x, y)| image.pixels[y * width + x])
            .collect();
        out.extend(statistics(&key, &values));
    }
    out
}

/// `Spacing` and `Size`, x first.
fn geometry(
    key: &impl Fn(&str) -> String,
    placement: Placement,
    (width, height): (usize, usize),
) -> Diagnostics {
    let s = placement.spacing;
    vec![
        (key("Spacing"), Value::Floats(vec![s.column, s.row])),
        (key("Size"), Value::Ints(vec![width as u64, height as u64])),
    ]
}

/// `Mean` (numpy's pairwise sum), `Minimum` and `Maximum` of `values` (none when empty).
fn statistics(key: &impl Fn(&str) -> String, values: &[f64]) -> Diagnostics {
    if values.is_empty() {
        return Vec::new();
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    vec![
        (
            key("Mean"),
            Value::Float(numpy_sum(values) / values.len() as f64),
        ),
        (key("Minimum"), Value::Float(min)),
        (key("Maximum"), Value::Float(max)),
    ]
}

/// `BoundingBox`, `VoxelNum`, `VolumeNum`, `CenterOfMassIndex` and `CenterOfMass` of a region
/// given by its pixels (row-major) and full-size membership.
fn region_shape(
    key: &impl Fn(&str) -> String,
    pixels: &[(usize, usize)],
    inside: &[bool],
    size: (usize, usize),
    placement: Placement,
) -> Diagnostics {
    let Some(&(first_x, first_y)) = pixels.first() else {
        return Vec::new();
    };
    let (mut x0, mut x1, mut y1) = (first_x, first_x, first_y);
    for &(x, y) in pixels {
        (x0, x1, y1) = (x0.min(x), x1.max(x), y1.max(y));
    }
    let n = pixels.len() as f64;
    // numpy.mean of the integer coordinates: exact sums
    let cx = pixels.iter().map(|&(x, _)| x as f64).sum::<f64>() / n;
    let cy = pixels.iter().map(|&(_, y)| y as f64).sum::<f64>() / n;
    let s = placement.spacing;
    // ITK's continuous index to point: (0 + s·i) + origin, per axis (identity direction)
    let centre = vec![
        (0.0 + s.column * cx) + placement.origin[0],
        (0.0 + s.row * cy) + placement.origin[1],
    ];
    let bbox = [x0, first_y, x1 - x0 + 1, y1 - first_y + 1];
    vec![
        (
            key("BoundingBox"),
            Value::Ints(bbox.iter().map(|&v| v as u64).collect()),
        ),
        (key("VoxelNum"), Value::Int(pixels.len() as u64)),
        (key("VolumeNum"), Value::Int(parts(inside, size))),
        (key("CenterOfMassIndex"), Value::Floats(vec![cx, cy])),
        (key("CenterOfMass"), Value::Floats(centre)),
    ]
}

/// The number of 8-connected parts of a `width × height` membership mask (SimpleITK's
/// `ConnectedComponentImageFilter` with `FullyConnectedOn`).
fn parts(inside: &[bool], (width, height): (usize, usize)) -> u64 {
    let mut seen = vec![false; inside.len()];
    let mut stack = Vec::new();
    let mut count = 0;
    for start in 0..inside.len() {
        if !inside[start] || seen[start] {
            continue;
        }
        count += 1;
        seen[start] = true;
        stack.push(start);
        while let Some(p) = stack.pop() {
            let (x, y) = ((p % width) as isize, (p / width) as isize);
            for (dy, dx) in NEIGHBOURS {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= width as isize || ny >= height as isize {
                    continue;
                }
                let q = ny as usize * width + nx as usize;
                if inside[q] && !seen[q] {
                    seen[q] = true;
                    stack.push(q);
                }
            }
        }
    }
    count
}
