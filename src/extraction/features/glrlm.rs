//! Gray Level Run Length Matrix (GLRLM) features, 16 of them.
//!
//! `P_a(i, j)` counts runs (maximal sequences of consecutive region pixels with the same gray
//! level along angle `a`) of gray level `i` and length `j`, for the four in-plane angles. As in
//! PyRadiomics, an angle along which no line holds two region pixels is emptied, and empty angles
//! are dropped; features are computed per angle and averaged with `nanmean`. The angles are
//! [`crate::matrix::GLCM_ANGLES`], in the same order.
//!
//! Let `g_i` be the gray level of row `i`, `j` the run length, `N_r = Σ P` the number of runs,
//! `N_p = Σ_j j p_r(j)` the number of region pixels, `p_g(i) = Σ_j P(i,j)`, `p_r(j) = Σ_i P(i,j)`.
//! The formulas are those of `emphasis.rs` with size = run length; names map as
//! ShortRunEmphasis = small size emphasis, RunPercentage = `N_r / N_p`, and so on.

use super::emphasis::emphasis;
use super::{average_angles, named, Feature, FormulaOptions};
use crate::matrix::GLCM_ANGLES;

/// Run counts of a region: `counts[a][i][j - 1]` for angle `a`, gray-level rank `i`, run length `j`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlrlmMatrix {
    /// Number of gray levels present.
    pub levels: usize,
    /// Longest run length the matrix can hold.
    pub max_run: usize,
    /// The angles `(dy, dx)`, in the order of the counts ([`GLCM_ANGLES`] by default; a
    /// subset of them with a fixed axis).
    pub angles: Vec<(isize, isize)>,
    /// `angles.len() * levels * max_run` counts.
    pub counts: Vec<u32>,
}

impl GlrlmMatrix {
    /// An all-zero matrix with the four default angles.
    pub fn zeros(levels: usize, max_run: usize) -> Self {
        GlrlmMatrix::zeros_with(levels, max_run, GLCM_ANGLES.to_vec())
    }

    /// An all-zero matrix with `angles`.
    pub fn zeros_with(levels: usize, max_run: usize, angles: Vec<(isize, isize)>) -> Self {
        GlrlmMatrix {
            levels,
            max_run,
            counts: vec![0; angles.len() * levels * max_run],
            angles,
        }
    }
}

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 16] = [
    "ShortRunEmphasis",
    "LongRunEmphasis",
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "RunLengthNonUniformity",
    "RunLengthNonUniformityNormalized",
    "RunPercentage",
    "GrayLevelVariance",
    "RunVariance",
    "RunEntropy",
    "LowGrayLevelRunEmphasis",
    "HighGrayLevelRunEmphasis",
    "ShortRunLowGrayLevelEmphasis",
    "ShortRunHighGrayLevelEmphasis",
    "LongRunLowGrayLevelEmphasis",
    "LongRunHighGrayLevelEmphasis",
];

/// All GLRLM features of a region; `gray` holds the gray level of each rank. With a weighting
/// norm in `options`, the angles' matrices are summed, each weighted by its step's length in mm
/// (`spacing` is `(s_y, s_x)`), and the features read that one matrix.
pub fn features(
    matrix: &GlrlmMatrix,
    gray: &[u32],
    options: &FormulaOptions,
    spacing: (f64, f64),
) -> Vec<Feature> {
    let (l, r) = (matrix.levels, matrix.max_run);
    let gray: Vec<f64> = gray.iter().map(|&v| f64::from(v)).collect();
    let angles = matrix.counts.chunks_exact(l * r);
    let rows: Vec<[f64; 16]> = match options.weighting_norm {
        None => angles
            .filter(|c| c.iter().any(|&v| v != 0))
            .map(|c| angle_features(c, l, r, &gray))
            .collect(),
        Some(norm) => {
            let mut sum = vec![0.0; l * r];
            for (counts, &angle) in angles.zip(&matrix.angles) {
                let w = norm.glrlm_weight(angle, spacing);
                for (s, &c) in sum.iter_mut().zip(counts) {
                    *s += f64::from(c) * w;
                }
            }
            let any = sum.iter().any(|&v| v != 0.0);
            any.then(|| angle_features(&sum, l, r, &gray))
                .into_iter()
                .collect()
        }
    };
    let values = if rows.is_empty() {
        [f64::NAN; 16]
    } else {
        average_angles(&rows)
    };
    named("glrlm", &NAMES, values)
}

/// The 16 features of one angle's run counts (or the weighted sum of all angles').
fn angle_features<C: Copy + Into<f64>>(
    counts: &[C],
    l: usize,
    r: usize,
    gray: &[f64],
) -> [f64; 16] {
    let mut pg = vec![0.0; l];
    let mut pr = vec![0.0; r];
    let mut entries = Vec::new();
    for i in 0..l {
        for j in 0..r {
            let c: f64 = counts[i * r + j].into();
            if c != 0.0 {
                pg[i] += c;
                pr[j] += c;
                entries.push((i, (j + 1) as f64, c));
            }
        }
    }
    let ps: Vec<(f64, f64)> = pr
        .iter()
        .enumerate()
        .filter(|(_, &v)| v != 0.0)
        .map(|(j, &v)| ((j + 1) as f64, v))
        .collect();
    let e = emphasis(&entries, &pg, &ps, gray);
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
    ]
}
