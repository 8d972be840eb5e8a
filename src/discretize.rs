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
    /// PyRadiomics' rule for the two settings: a bin count wins over a bin width, and neither
    /// gives the default width 25. The one place the command line and parameter files apply it.
    pub fn from_settings(width: Option<f64>, count: Option<usize>) -> Binning {
        match (width, count) {
            (_, Some(count)) => Binning::Count(count),
            (Some(width), None) => Binning::Width(width),
            (None, None) => Binning::default(),
        }
    }

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

/// Most integer values given a precomputed gray level (all of 16-bit data).
const TABLE_LIMIT: f64 = 65536.0;

/// [`digitize`] of each integer `0, 1, ...` up to the last edge (at most [`TABLE_LIMIT`] of
/// them), found by one walk along the edges.
fn integer_levels(edges: &[f64]) -> Vec<u32> {
    let top = edges
        .last()
        .map_or(0.0, |&e| e.ceil().clamp(0.0, TABLE_LIMIT));
    let mut level = 0;
    (0..top as usize)
        .map(|v| {
            while edges.get(level).is_some_and(|&e| e <= v as f64) {
                level += 1;
            }
            level as u32
        })
        .collect()
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
        let table = integer_levels(edges);
        for ((r, &v), &m) in raw.iter_mut().zip(values).zip(mask) {
            if m {
                // stored images hold integers: look them up; anything else is searched
                let whole = v as usize;
                *r = match table.get(whole) {
                    Some(&level) if whole as f64 == v => level,
                    _ => digitize(v, edges),
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integer_table_agrees_with_the_edge_search() {
        // fractional edges (bin count), edges anchored at 0 (bin width), one edge widened
        let edge_sets = [
            vec![3.0, 10.25, 17.5, 24.75, 33.0],
            vec![0.0, 25.0, 50.0, 75.0, 100.0],
            vec![41.5, 42.5],
        ];
        for edges in &edge_sets {
            let table = integer_levels(edges);
            assert_eq!(table.len(), edges[edges.len() - 1].ceil() as usize);
            for (v, &level) in table.iter().enumerate() {
                assert_eq!(
                    level,
                    digitize(v as f64, edges),
                    "value {v}, edges {edges:?}"
                );
            }
        }
    }

    #[test]
    fn whole_and_fractional_values_get_the_levels_of_the_edge_search() {
        let edges = [2.0, 4.5, 7.0, 9.5];
        let values = [2.0, 4.0, 4.5, 4.75, 7.0, -0.0, 9.0, 8.999, 3.0];
        let mask = [true; 9];
        let g = GrayLevels::new(&values, &mask, 3, 3, &edges);
        let raw: Vec<u32> = values.iter().map(|&v| digitize(v, &edges)).collect();
        let mut present = raw.clone();
        present.sort_unstable();
        present.dedup();
        assert_eq!(g.levels, present);
        let ranks: Vec<u32> = raw
            .iter()
            .map(|l| present.iter().position(|p| p == l).unwrap() as u32 + 1)
            .collect();
        assert_eq!(g.ranks, ranks);
    }
}
