//! Gray-level discretization exactly as PyRadiomics 3.0.1 does it (`imageoperations.binImage`).
//!
//! * **Fixed bin width** `w` (default 25): edges `e_k = L + k w`, `L = min - (min mod w)` (so edges
//!   are anchored at 0), `k = 0, 1, ...` while `e_k < max + 2w`. A single edge `e` becomes
//!   `[e - 0.5, e + 0.5]`.
//! * **Fixed bin count** `n`: the edges of `numpy.histogram(values, n)` (`linspace(min, max, n+1)`,
//!   or `min ± 0.5` for a flat region), with the last edge raised by 1.
//!
//! At most [`MAX_BINS`] bins are made: a bin width so small, or a bin count so large, that a
//! region would need more is refused before any edge is allocated.
//!
//! A value `x` gets gray level `#{k : e_k <= x}` (`numpy.digitize`), so levels start at 1.
//! Only the region's values are used to find the edges. `Ng`, the number of gray levels, is the
//! *maximum* level present, not the count of distinct levels.

use std::path::Path;

use crate::error::{Error, Result};

/// Most bins a region may be discretized into (2^16: every value of 16-bit data at bin width 1).
pub const MAX_BINS: usize = 1 << 16;

/// How gray values are grouped into gray levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Fixed bin width, edges anchored at 0.
    Width(f64),
    /// Fixed number of bins between the region's minimum and maximum.
    Count(usize),
}

impl Default for Binning {
    fn default() -> Self {
        Binning::Width(25.0)
    }
}

impl Binning {
    /// Checks the setting: the width must be positive and finite, the count at least 1 and at
    /// most [`MAX_BINS`].
    pub fn validate(&self) -> Result<()> {
        match *self {
            Binning::Width(w) if !(w.is_finite() && w > 0.0) => Err(Error::Setting(format!(
                "bin width must be a positive number, got {w}"
            ))),
            Binning::Count(0) => Err(Error::Setting("bin count must be at least 1".into())),
            Binning::Count(n) if n > MAX_BINS => Err(Error::Setting(format!(
                "bin count {n} is above the limit of {MAX_BINS} bins"
            ))),
            _ => Ok(()),
        }
    }

    /// Bin edges for the given region values (non-empty, finite) of the image `source`; an
    /// error naming `source` when they would make more than [`MAX_BINS`] bins.
    pub fn edges(&self, values: &[f64], source: &Path) -> Result<Vec<f64>> {
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let too_many = |setting: String, bins: f64, advice: &str| {
            Error::Binning {
            path: source.to_path_buf(),
            message: format!(
                "{setting} makes {bins} bins for a region with values from {min} to {max}, above the limit of {MAX_BINS} bins; {advice}"
            ),
        }
        };
        match *self {
            Binning::Width(w) => {
                let low = min - min.rem_euclid(w);
                let high = max + 2.0 * w;
                let n = ((high - low) / w).ceil().max(0.0);
                // n edges make n - 1 bins (a single edge makes one)
                if n.is_nan() || n - 1.0 > MAX_BINS as f64 {
                    let setting = format!("bin width {w}");
                    return Err(too_many(setting, n - 1.0, "use a larger bin width"));
                }
                let n = n as usize;
                // numpy.arange: first two values fix the step, then start + i * step.
                let step = (low + w) - low;
                let mut edges: Vec<f64> = (0..n).map(|i| low + i as f64 * step).collect();
                if let [edge] = edges[..] {
                    edges = vec![edge - 0.5, edge + 0.5];
                }
                Ok(edges)
            }
            Binning::Count(count) => {
                if count > MAX_BINS {
                    let setting = format!("bin count {count}");
                    return Err(too_many(setting, count as f64, "use a smaller bin count"));
                }
                let (start, stop) = if min == max {
                    (min - 0.5, max + 0.5)
                } else {
                    (min, max)
                };
                let step = (stop - start) / count as f64;
                let mut edges: Vec<f64> = (0..=count).map(|i| i as f64 * step + start).collect();
                if let Some(last) = edges.last_mut() {
                    *last = stop + 1.0;
                }
                Ok(edges)
            }
        }
    }
}

/// Gray level of `x`: the number of edges `<= x`.
#[inline]
pub fn digitize(x: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= x) as u32
}

/// A region's discretized gray levels, cropped to its bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayLevels {
    /// Bounding-box width.
    pub width: usize,
    /// Bounding-box height.
    pub height: usize,
    /// Rank of each pixel's gray level among the levels present (1-based); 0 outside the region.
    pub ranks: Vec<u32>,
    /// Gray level of each rank: `levels[r - 1]` is the level of rank `r`. Sorted, distinct.
    pub levels: Vec<u32>,
}

impl GrayLevels {
    /// `Ng`: the maximum gray level present.
    pub fn ng(&self) -> u32 {
        self.levels.last().copied().unwrap_or(0)
    }

    /// Number of distinct gray levels present.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// Discretizes the masked pixels of a bounding-box crop (`values` and `mask` row-major,
    /// `width * height` long) with the given bin edges.
    pub fn new(
        values: &[f64],
        mask: &[bool],
        width: usize,
        height: usize,
        edges: &[f64],
    ) -> GrayLevels {
        let mut raw = vec![0u32; width * height];
        let mut max_level = 0;
        for ((r, &v), &m) in raw.iter_mut().zip(values).zip(mask) {
            if m {
                *r = digitize(v, edges);
                max_level = max_level.max(*r);
            }
        }
        let mut present = vec![false; max_level as usize + 1];
        for (&r, &m) in raw.iter().zip(mask) {
            if m {
                present[r as usize] = true;
            }
        }
        let mut rank_of = vec![0u32; max_level as usize + 1];
        let mut levels = Vec::new();
        for (level, &p) in present.iter().enumerate() {
            if p {
                levels.push(level as u32);
                rank_of[level] = levels.len() as u32;
            }
        }
        for (r, &m) in raw.iter_mut().zip(mask) {
            if m {
                *r = rank_of[*r as usize];
            }
        }
        GrayLevels {
            width,
            height,
            ranks: raw,
            levels,
        }
    }
}
