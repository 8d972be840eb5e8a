//! Neighbouring Gray Tone Difference Matrix (NGTDM) features, 5 of them.
//!
//! For each gray level `i`: `n_i`, the number of region pixels of level `i`, and
//! `s_i = Σ |i - Ā|` over those pixels, where `Ā` is the mean gray level of the pixel's region
//! neighbours among its 8 in-plane neighbours (a pixel with no region neighbour adds 0 but is
//! still counted in `n_i`, as in PyRadiomics 3.0.1).
//!
//! To keep the matrix integer (so GPU and CPU agree exactly), a pixel of level `g` with `c`
//! region neighbours summing to `S` adds `|g c - S|` to the integer sum `T_i(c)`; then
//! `s_i = Σ_c T_i(c) / c`.
//!
//! Let `N_vp = Σ n_i`, `p_i = n_i / N_vp`, `N_gp` the number of levels with `p_i > 0`, and `g_i`
//! the gray level of row `i`.

use super::{named, Feature};

/// Largest number of region neighbours of a pixel in 2D with the default neighbourhood.
pub const MAX_NEIGHBOURS: usize = 8;

/// NGTDM of a region, indexed by gray-level rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgtdmMatrix {
    /// Number of gray levels present.
    pub levels: usize,
    /// The most region neighbours a pixel can have ([`MAX_NEIGHBOURS`] by default).
    pub max_neighbours: usize,
    /// `n_i`: pixels of each level.
    pub counts: Vec<u32>,
    /// `T_i(c)`: `levels * max_neighbours` integer sums of `|g c - S|`, at index
    /// `i * max_neighbours + c - 1`.
    pub difference_sums: Vec<u64>,
}

impl NgtdmMatrix {
    /// An all-zero matrix for the default 8 neighbours.
    pub fn zeros(levels: usize) -> Self {
        NgtdmMatrix::zeros_with(levels, MAX_NEIGHBOURS)
    }

    /// An all-zero matrix for up to `max_neighbours` neighbours.
    pub fn zeros_with(levels: usize, max_neighbours: usize) -> Self {
        NgtdmMatrix {
            levels,
            max_neighbours,
            counts: vec![0; levels],
            difference_sums: vec![0; levels * max_neighbours],
        }
    }

    /// `s_i = Σ_c T_i(c) / c` for each level.
    pub fn s(&self) -> Vec<f64> {
        self.difference_sums
            .chunks_exact(self.max_neighbours)
            .map(|t| {
                t.iter()
                    .enumerate()
                    .map(|(c, &v)| v as f64 / (c + 1) as f64)
                    .sum()
            })
            .collect()
    }
}

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 5] = [
    "Coarseness",
    "Contrast",
    "Busyness",
    "Complexity",
    "Strength",
];

/// All NGTDM features of a region; `gray` holds the gray level of each rank.
pub fn features(matrix: &NgtdmMatrix, gray: &[u32]) -> Vec<Feature> {
    let s = matrix.s();
    let nvp: f64 = matrix.counts.iter().map(|&c| f64::from(c)).sum();
    let p: Vec<f64> = matrix.counts.iter().map(|&c| f64::from(c) / nvp).collect();
    let g: Vec<f64> = gray.iter().map(|&v| f64::from(v)).collect();
    let ngp = p.iter().filter(|&&v| v > 0.0).count() as f64;
    let sum_s: f64 = s.iter().sum();
    let sum_ps: f64 = p.iter().zip(&s).map(|(&pi, &si)| pi * si).sum();
    let l = matrix.levels;
    let (mut spread, mut busy_divisor, mut complexity, mut strength) = (0.0, 0.0, 0.0, 0.0);
    for a in 0..l {
        for b in 0..l {
            let d = g[a] - g[b];
            spread += p[a] * p[b] * (d * d);
            // PyRadiomics removes the terms of a level without a counted pixel (p_i = 0): a
            // level of the region absent from a texture map's kernel, or one whose pixels
            // have no neighbour in the region
            if p[a] == 0.0 || p[b] == 0.0 {
                continue;
            }
            busy_divisor += (g[a] * p[a] - g[b] * p[b]).abs();
            complexity += d.abs() * (p[a] * s[a] + p[b] * s[b]) / (p[a] + p[b]);
            strength += (p[a] + p[b]) * (d * d);
        }
    }
    let divisor = ngp * (ngp - 1.0);
    named(
        "ngtdm",
        &NAMES,
        [
            // Coarseness: 1 / Σ p_i s_i, 10^6 when the sum is 0
            if sum_ps != 0.0 {
                1.0 / sum_ps
            } else {
                1_000_000.0
            },
            // Contrast: Σ_i Σ_j p_i p_j (g_i - g_j)^2 / (N_gp (N_gp - 1)) * Σ s_i / N_vp
            if divisor != 0.0 {
                spread * sum_s / nvp / divisor
            } else {
                0.0
            },
            // Busyness: Σ p_i s_i / Σ_i Σ_j |g_i p_i - g_j p_j|, 0 when the divisor is 0
            if busy_divisor != 0.0 {
                sum_ps / busy_divisor
            } else {
                0.0
            },
            // Complexity: Σ_i Σ_j |g_i - g_j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vp
            complexity / nvp,
            // Strength: Σ_i Σ_j (p_i + p_j)(g_i - g_j)^2 / Σ s_i, 0 when Σ s_i = 0
            if sum_s != 0.0 { strength / sum_s } else { 0.0 },
        ],
    )
}
