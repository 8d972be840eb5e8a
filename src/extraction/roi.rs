//! Regions of interest: the tumour mask and peritumoral rings around it.
//!
//! A ring of width `w` is the set of pixels outside the tumour whose exact Euclidean distance to
//! the nearest tumour pixel `d` satisfies `0 < d <= w`, clipped to the image. Distances come
//! from an exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher, Theory of
//! Computing 2012) in integer arithmetic, so ring membership has no rounding error of its own;
//! only the conversion of a width in mm to pixels (`w_px = w_mm / spacing`) is floating point,
//! and it is compared with a relative slack of 1e-12 so that e.g. 3 mm at 0.1 mm/pixel is
//! exactly 30 pixels.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Width of a peritumoral ring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RingWidth {
    /// Width in millimetres; needs a pixel spacing.
    Millimetres(f64),
    /// Width in pixels.
    Pixels(f64),
}

impl RingWidth {
    /// Width in pixels, given the pixel spacing in mm (if any).
    pub fn in_pixels(&self, spacing: Option<f64>) -> Result<f64> {
        match *self {
            RingWidth::Pixels(p) => Ok(p),
            RingWidth::Millimetres(mm) => match spacing {
                Some(s) => Ok(mm / s),
                None => Err(Error::Setting(format!(
                    "ring width {self} is in mm but no pixel spacing is known; give --spacing MM or use a width in px"
                ))),
            },
        }
    }

    /// Region name of this ring, e.g. `ring3mm` or `ring10px`.
    pub fn region_name(&self) -> String {
        format!("ring{self}")
    }
}

impl fmt::Display for RingWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingWidth::Millimetres(v) => write!(f, "{v}mm"),
            RingWidth::Pixels(v) => write!(f, "{v}px"),
        }
    }
}

impl FromStr for RingWidth {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let (number, make): (&str, fn(f64) -> RingWidth) = if let Some(n) = s.strip_suffix("mm") {
            (n, RingWidth::Millimetres)
        } else if let Some(n) = s.strip_suffix("px") {
            (n, RingWidth::Pixels)
        } else {
            return Err(Error::Setting(format!(
                "ring width '{s}' needs a unit: e.g. 3mm or 10px"
            )));
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| Error::Setting(format!("ring width '{s}' is not a number with a unit")))?;
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::Setting(format!("ring width '{s}' must be positive")));
        }
        Ok(make(value))
    }
}

/// A region cropped to its bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Region name used as feature prefix (`tumor`, `ring3mm`, ...).
    pub name: String,
    /// Column of the bounding box's left edge in the image.
    pub x0: usize,
    /// Row of the bounding box's top edge in the image.
    pub y0: usize,
    /// Bounding-box width.
    pub width: usize,
    /// Bounding-box height.
    pub height: usize,
    /// Membership of each bounding-box pixel, row-major.
    pub mask: Vec<bool>,
}

impl Region {
    /// Crops a full-image mask to its bounding box; `None` when the mask is empty.
    pub fn from_full_mask(
        name: &str,
        mask: &[bool],
        width: usize,
        height: usize,
    ) -> Option<Region> {
        Region::from_pixels(name, mask, width, height, |m| m)
    }

    /// The region of the pixels of a full image (`width * height`, row-major) for which
    /// `inside` holds, cropped to its bounding box; `None` when no pixel is inside.
    pub fn from_pixels<T: Copy>(
        name: &str,
        pixels: &[T],
        width: usize,
        height: usize,
        inside: impl Fn(T) -> bool,
    ) -> Option<Region> {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for (y, row) in pixels.chunks_exact(width.max(1)).take(height).enumerate() {
            // most rows of a full image miss the region: test them whole, without an early exit
            if !row.iter().fold(false, |any, &m| any | inside(m)) {
                continue;
            }
            if let Some(first) = row.iter().position(|&m| inside(m)) {
                let last = row.iter().rposition(|&m| inside(m)).unwrap_or(first);
                x0 = x0.min(first);
                x1 = x1.max(last);
                y0 = y0.min(y);
                y1 = y;
            }
        }
        if x0 == usize::MAX {
            return None;
        }
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        let mut cropped = Vec::with_capacity(w * h);
        for y in y0..=y1 {
            let row = &pixels[y * width + x0..y * width + x1 + 1];
            cropped.extend(row.iter().map(|&m| inside(m)));
        }
        Some(Region {
            name: name.to_string(),
            x0,
            y0,
            width: w,
            height: h,
            mask: cropped,
        })
    }

    /// Number of pixels in the region.
    pub fn pixel_count(&self) -> usize {
        self.mask.iter().filter(|&&m| m).count()
    }

    /// The region as a full-image mask.
    pub fn to_full_mask(&self, width: usize, height: usize) -> Vec<bool> {
        let mut full = vec![false; width * height];
        for y in 0..self.height {
            for x in 0..self.width {
                full[(self.y0 + y) * width + self.x0 + x] = self.mask[y * self.width + x];
            }
        }
        full
    }

    /// Writes the region as an 8-bit PNG mask (255 inside, 0 outside) of the full image size.
    pub fn write_png(&self, path: &Path, width: usize, height: usize) -> Result<()> {
        let data: Vec<u8> = self
            .to_full_mask(width, height)
            .iter()
            .map(|&m| if m { 255 } else { 0 })
            .collect();
        image::save_buffer(
            path,
            &data,
            width as u32,
            height as u32,
            image::ExtendedColorType::L8,
        )
        .map_err(|e| Error::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// Squared distance stand-in for "no feature pixel".
const FAR: i64 = i64::MAX / 4;

/// Exact 1D squared distance transform of `f` (lower envelope of parabolas) into `out`.
fn distance_1d(f: &[i64], out: &mut [i64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let intersection = |q: usize, p: usize| -> f64 {
        let (q, p) = (q as i64, p as i64);
        ((f[q as usize] + q * q) - (f[p as usize] + p * p)) as f64 / (2 * (q - p)) as f64
    };
    for q in 1..n {
        if f[q] >= FAR {
            continue;
        }
        if f[v[0]] >= FAR {
            v[0] = q;
            continue;
        }
        let mut s = intersection(q, v[k]);
        while s <= z[k] {
            k -= 1;
            s = intersection(q, v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    if f[v[0]] >= FAR {
        out.fill(FAR);
        return;
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let d = q as i64 - v[k] as i64;
        *o = d * d + f[v[k]];
    }
}

/// Exact squared Euclidean distance (in pixels²) from every pixel to the nearest `true` pixel.
/// Pixels with no `true` pixel at all get `i64::MAX / 4`.
pub fn squared_distance_transform(mask: &[bool], width: usize, height: usize) -> Vec<i64> {
    let mut grid: Vec<i64> = mask.iter().map(|&m| if m { 0 } else { FAR }).collect();
    let n = width.max(height);
    let (mut f, mut out) = (vec![0i64; n], vec![0i64; n]);
    let (mut v, mut z) = (vec![0usize; n], vec![0f64; n + 1]);
    for x in 0..width {
        for y in 0..height {
            f[y] = grid[y * width + x];
        }
        distance_1d(&f[..height], &mut out[..height], &mut v, &mut z);
        for y in 0..height {
            grid[y * width + x] = out[y];
        }
    }
    for y in 0..height {
        let row = &mut grid[y * width..(y + 1) * width];
        f[..width].copy_from_slice(row);
        distance_1d(&f[..width], &mut out[..width], &mut v, &mut z);
        row.copy_from_slice(&out[..width]);
    }
    grid
}

/// The peritumoral ring of `width_px` pixels around `tumor` (a region of an image of
/// `image_width` x `image_height` pixels), clipped to the image. `None` if the ring is empty
/// (the tumour fills the image).
pub fn ring(
    tumor: &Region,
    name: &str,
    width_px: f64,
    image_width: usize,
    image_height: usize,
) -> Option<Region> {
    // (a float-to-int cast saturates; a ring wider than the image reaches its edges)
    let reach = (width_px.floor() as usize).saturating_add(1);
    let x0 = tumor.x0.saturating_sub(reach);
    let y0 = tumor.y0.saturating_sub(reach);
    let x1 = (tumor.x0 + tumor.width)
        .saturating_add(reach)
        .min(image_width);
    let y1 = (tumor.y0 + tumor.height)
        .saturating_add(reach)
        .min(image_height);
    let (w, h) = (x1 - x0, y1 - y0);
    let mut inside = vec![false; w * h];
    for y in 0..tumor.height {
        for x in 0..tumor.width {
            inside[(tumor.y0 - y0 + y) * w + tumor.x0 - x0 + x] = tumor.mask[y * tumor.width + x];
        }
    }
    let distances = squared_distance_transform(&inside, w, h);
    let limit = width_px * width_px * (1.0 + 1e-12);
    let ring_mask: Vec<bool> = distances
        .iter()
        .map(|&d| d > 0 && (d as f64) <= limit)
        .collect();
    let mut region = Region::from_full_mask(name, &ring_mask, w, h)?;
    region.x0 += x0;
    region.y0 += y0;
    Some(region)
}
