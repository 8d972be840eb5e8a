//! Gray Level Size Zone Matrix (GLSZM) features, 16 of them.
//!
//! `P(i, j)` counts zones (8-connected groups of region pixels with the same gray level) of gray
//! level `i` and size `j` pixels. With `N_z = Σ P` zones and `N_p` region pixels the formulas are
//! those of `emphasis.rs` with size = zone size (SmallAreaEmphasis = small size emphasis,
//! ZonePercentage = `N_z / N_p`, ...).

use super::emphasis::emphasis;
use super::{named, Feature};

/// Zone counts of a region, stored sparsely as `(rank, size, count)` sorted by rank then size.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlszmMatrix {
    /// Number of gray levels present.
    pub levels: usize,
    /// Non-zero entries `(gray-level rank (0-based), zone size, number of zones)`.
    pub entries: Vec<(u32, u32, u32)>,
}

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 16] = [
    "SmallAreaEmphasis",
    "LargeAreaEmphasis",
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "SizeZoneNonUniformity",
    "SizeZoneNonUniformityNormalized",
    "ZonePercentage",
    "GrayLevelVariance",
    "ZoneVariance",
    "ZoneEntropy",
    "LowGrayLevelZoneEmphasis",
    "HighGrayLevelZoneEmphasis",
    "SmallAreaLowGrayLevelEmphasis",
    "SmallAreaHighGrayLevelEmphasis",
    "LargeAreaLowGrayLevelEmphasis",
    "LargeAreaHighGrayLevelEmphasis",
];

/// All GLSZM features of a region; `gray` holds the gray level of each rank.
pub fn features(matrix: &GlszmMatrix, gray: &[u32]) -> Vec<Feature> {
    let gray: Vec<f64> = gray.iter().map(|&v| f64::from(v)).collect();
    let mut pg = vec![0.0; matrix.levels];
    let mut by_size = std::collections::BTreeMap::<u32, f64>::new();
    let entries: Vec<(usize, f64, f64)> = matrix
        .entries
        .iter()
        .map(|&(i, s, c)| {
            pg[i as usize] += f64::from(c);
            *by_size.entry(s).or_default() += f64::from(c);
            (i as usize, f64::from(s), f64::from(c))
        })
        .collect();
    let ps: Vec<(f64, f64)> = by_size
        .into_iter()
        .map(|(s, v)| (f64::from(s), v))
        .collect();
    let e = emphasis(&entries, &pg, &ps, &gray);
    named(
        "glszm",
        &NAMES,
        [
            e.small,
            e.large,
            e.gray_nonuniformity,
            e.gray_nonuniformity_normalized,
            e.size_nonuniformity,
            e.size_nonuniformity_normalized,
            e.percentage,
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
