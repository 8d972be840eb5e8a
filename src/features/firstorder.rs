//! First-order (intensity) features, 18 of them.
//!
//! Computed from `X`, the region's original gray values (`N_p` of them, before discretization),
//! and from `p(i)`, the normalised histogram of the discretized gray levels (the "matrix" of this
//! class, built by the backends). Percentiles use linear interpolation between order statistics
//! (`numpy.percentile`). Let `X̄` be the mean, `m_k = mean((X - X̄)^k)` the central moments, and
//! `V` the area of one pixel (mm², 1 when no spacing is given).

use super::{named, numpy_sum, plogp, Feature};
use crate::stats::{median_sorted, quantile_sorted};

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 18] = [
    "Energy",
    "TotalEnergy",
    "Entropy",
    "Minimum",
    "10Percentile",
    "90Percentile",
    "Maximum",
    "Mean",
    "Median",
    "InterquartileRange",
    "Range",
    "MeanAbsoluteDeviation",
    "RobustMeanAbsoluteDeviation",
    "RootMeanSquared",
    "Skewness",
    "Kurtosis",
    "Variance",
    "Uniformity",
];

/// Percentiles used by the class, and the median.
const QUANTILES: [f64; 4] = [10.0, 25.0, 75.0, 90.0];

/// The two order statistics (0-based ranks) a numpy percentile `q` interpolates between.
fn percentile_ranks(n: usize, q: f64) -> [usize; 2] {
    let below = ((n - 1) as f64 * (q / 100.0)).floor() as usize;
    [below, (below + 1).min(n - 1)]
}

/// Puts the order statistics of ranks `ranks` (sorted, distinct) in place, as a full sort would,
/// without sorting the rest: recursive selection around the middle rank.
fn select_ranks(values: &mut [f64], ranks: &[usize], offset: usize) {
    if ranks.is_empty() {
        return;
    }
    let middle = ranks.len() / 2;
    let k = ranks[middle] - offset;
    let (left, _, right) = values.select_nth_unstable_by(k, f64::total_cmp);
    select_ranks(left, &ranks[..middle], offset);
    select_ranks(right, &ranks[middle + 1..], offset + k + 1);
}

/// Percentile `q` (0..100) with numpy's linear interpolation; `sorted` must hold the order
/// statistics of [`percentile_ranks`] in place.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    quantile_sorted(sorted, q / 100.0)
}

/// Mean of values, summed in numpy's order.
fn mean(values: &[f64]) -> f64 {
    numpy_sum(values) / values.len() as f64
}

/// All first-order features. `values` are the region's gray values (non-empty), `histogram`
/// the pixel count of each discretized gray level present, `pixel_area` the area of a pixel.
pub fn features(values: &[f64], histogram: &[u32], pixel_area: f64) -> Vec<Feature> {
    let mut sorted = values.to_vec();
    let count = sorted.len();
    let mut ranks: Vec<usize> = QUANTILES
        .iter()
        .flat_map(|&q| percentile_ranks(count, q))
        .collect();
    ranks.extend([0, (count - 1) / 2, count / 2, count - 1]);
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(&mut sorted, &ranks, 0);
    let n = count as f64;
    let total: f64 = histogram.iter().map(|&c| f64::from(c)).sum();
    let p: Vec<f64> = histogram.iter().map(|&c| f64::from(c) / total).collect();

    // Energy: Σ X²
    let squares: Vec<f64> = values.iter().map(|&x| x * x).collect();
    let energy = numpy_sum(&squares);
    let average = mean(values);
    let deviations: Vec<f64> = values.iter().map(|&x| x - average).collect();
    let squared: Vec<f64> = deviations.iter().map(|&d| d * d).collect();
    let m2 = mean(&squared);
    let m3 = mean(
        &deviations
            .iter()
            .zip(&squared)
            .map(|(&d, &d2)| d2 * d)
            .collect::<Vec<_>>(),
    );
    let m4 = mean(&squared.iter().map(|&d2| d2 * d2).collect::<Vec<_>>());
    let (p10, p90) = (percentile(&sorted, 10.0), percentile(&sorted, 90.0));
    // Robust mean absolute deviation: MAD of the values between the 10th and 90th percentiles.
    // As numpy's nanmean does, excluded values count as 0 in the sums but not in the count.
    let kept = |x: f64| x >= p10 && x <= p90;
    let n_robust = values.iter().filter(|&&x| kept(x)).count() as f64;
    let robust_mean = numpy_sum(
        &values
            .iter()
            .map(|&x| if kept(x) { x } else { 0.0 })
            .collect::<Vec<_>>(),
    ) / n_robust;
    let robust_deviations: Vec<f64> = values
        .iter()
        .map(|&x| {
            if kept(x) {
                (x - robust_mean).abs()
            } else {
                0.0
            }
        })
        .collect();
    let (minimum, maximum) = (sorted[0], sorted[sorted.len() - 1]);
    // Skewness and kurtosis are 0 for a flat region (m2 = 0), as in PyRadiomics.
    let spread = if m2 == 0.0 { 1.0 } else { m2 };
    named(
        "firstorder",
        &NAMES,
        [
            energy,
            // Total energy: V Σ X²
            energy * pixel_area,
            // Entropy: -Σ p(i) log2(p(i) + ε)
            -numpy_sum(&p.iter().map(|&v| plogp(v)).collect::<Vec<_>>()),
            minimum,
            percentile(&sorted, 10.0),
            p90,
            maximum,
            // Mean: X̄
            average,
            median_sorted(&sorted),
            // Interquartile range: P75 - P25
            percentile(&sorted, 75.0) - percentile(&sorted, 25.0),
            // Range: max - min
            maximum - minimum,
            // Mean absolute deviation: mean |X - X̄|
            mean(&deviations.iter().map(|d| d.abs()).collect::<Vec<_>>()),
            numpy_sum(&robust_deviations) / n_robust,
            // Root mean squared: sqrt(Σ X² / N_p)
            (energy / n).sqrt(),
            // Skewness: m3 / m2^1.5
            m3 / spread.powf(1.5),
            // Kurtosis (not excess): m4 / m2²
            m4 / (spread * spread),
            // Variance: m2 (as the square of numpy's standard deviation)
            m2.sqrt() * m2.sqrt(),
            // Uniformity: Σ p(i)²
            numpy_sum(&p.iter().map(|&v| v * v).collect::<Vec<_>>()),
        ],
    )
}
