//! Gray Level Dependence Matrix (GLDM) features, 14 of them.
//!
//! `P(i, j)` counts region pixels of gray level `i` with `j - 1` dependent neighbours: neighbours
//! among the 8 in-plane ones (or those of another [`crate::matrix::Neighbourhood`]) that lie in
//! the region and whose gray level differs by at most `α` (PyRadiomics' `gldm_a`, default 0). `N_z = Σ P` is the number of region pixels. The formulas are
//! those of `emphasis.rs` with size = dependence size `j`.

use super::emphasis::emphasis;
use super::{named, Feature};

/// Largest dependence index + 1 with the default neighbourhood: a pixel has at most 8
/// dependent neighbours in 2D.
pub const DEPENDENCE_SIZES: usize = 9;

/// Dependence counts of a region: `counts[i][d]` for gray-level rank `i` and `d` dependent
/// neighbours (`d = 0..sizes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GldmMatrix {
    /// Number of gray levels present.
    pub levels: usize,
    /// Dependence counts per level: the number of neighbours + 1 ([`DEPENDENCE_SIZES`] by
    /// default).
    pub sizes: usize,
    /// `levels * sizes` counts.
    pub counts: Vec<u32>,
}

impl GldmMatrix {
    /// An all-zero matrix for the default 8 neighbours.
    pub fn zeros(levels: usize) -> Self {
        GldmMatrix::zeros_with(levels, DEPENDENCE_SIZES)
    }

    /// An all-zero matrix for `sizes - 1` neighbours.
    pub fn zeros_with(levels: usize, sizes: usize) -> Self {
        GldmMatrix {
            levels,
            sizes,
            counts: vec![0; levels * sizes],
        }
    }
}

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 14] = [
    "SmallDependenceEmphasis",
    "LargeDependenceEmphasis",
    "GrayLevelNonUniformity",
    "DependenceNonUniformity",
    "DependenceNonUniformityNormalized",
    "GrayLevelVariance",
    "DependenceVariance",
    "DependenceEntropy",
    "LowGrayLevelEmphasis",
    "HighGrayLevelEmphasis",
    "SmallDependenceLowGrayLevelEmphasis",
    "SmallDependenceHighGrayLevelEmphasis",
    "LargeDependenceLowGrayLevelEmphasis",
    "LargeDependenceHighGrayLevelEmphasis",
];

/// All GLDM features of a region; `gray` holds the gray level of each rank.
pub fn features(matrix: &GldmMatrix, gray: &[u32]) -> Vec<Feature> {
    let gray: Vec<f64> = gray.iter().map(|&v| f64::from(v)).collect();
    let mut pg = vec![0.0; matrix.levels];
    let mut pd = vec![0.0; matrix.sizes];
    let mut entries = Vec::new();
    for (i, row) in matrix.counts.chunks_exact(matrix.sizes).enumerate() {
        for (d, &c) in row.iter().enumerate() {
            if c != 0 {
                pg[i] += f64::from(c);
                pd[d] += f64::from(c);
                entries.push((i, (d + 1) as f64, f64::from(c)));
            }
        }
    }
    let ps: Vec<(f64, f64)> = pd
        .iter()
        .enumerate()
        .filter(|(_, &v)| v != 0.0)
        .map(|(d, &v)| ((d + 1) as f64, v))
        .collect();
    let e = emphasis(&entries, &pg, &ps, &gray);
    named(
        "gldm",
        &NAMES,
        [
            e.small,
            e.large,
            e.gray_nonuniformity,
            e.size_nonuniformity,
            e.size_nonuniformity_normalized,
            e.gray_variance,
            e.size_variance,
            e.entropy,
            e.low_gray,
            e.high_gray,
            e.small_low_gray,
            e.small_high_gray,
            e.large_low_gray,
            e.large_high_gray,
        ],
    )
}
