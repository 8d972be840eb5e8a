//! First-order (intensity) features, 18 of them.
//!
//! Computed from `X`, the region's original gray values (`N_p` of them, before discretization),
//! and from `p(i)`, the normalised histogram of the discretized gray levels (the "matrix" of this
//! class, built by the backends). Percentiles use linear interpolation between order statistics
//! (`numpy.percentile`). Let `X̄` be the mean, `m_k = mean((X - X̄)^k)` the central moments, and
//! `V` the area of one pixel (mm², 1 when no spacing is given).

use super::{named, numpy_sum, numpy_sum_of, plogp, Feature};
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

/// Largest value sorted by counting: integer gray values up to 16 bits, as decoded images hold.
const COUNTING_LIMIT: u32 = 65535;

/// The values sorted by counting when all are integers in `0..=65535` (every stored 8- and
/// 16-bit image), `None` otherwise.
fn counting_sort(values: &[f64]) -> Option<Vec<f64>> {
    let mut top = 0;
    for &x in values {
        // (the cast saturates; the bits match only for a whole number, and not for -0)
        let whole = x as u32;
        if f64::from(whole).to_bits() != x.to_bits() || whole > COUNTING_LIMIT {
            return None;
        }
        top = top.max(whole);
    }
    let mut counts = vec![0u32; top as usize + 1];
    for &x in values {
        counts[x as usize] += 1;
    }
    let mut sorted = Vec::with_capacity(values.len());
    for (v, &c) in counts.iter().enumerate() {
        sorted.resize(sorted.len() + c as usize, v as f64);
    }
    Some(sorted)
}

/// The values with every order statistic the class reads ([`read_ranks`]) in place (fully sorted
/// when counting applies).
fn order_statistics(values: &[f64]) -> Vec<f64> {
    if let Some(sorted) = counting_sort(values) {
        return sorted;
    }
    let mut sorted = values.to_vec();
    select_ranks(&mut sorted, &read_ranks(values.len()), 0);
    sorted
}

/// The order statistics (0-based ranks, sorted, distinct) the class reads from `n` values: min,
/// max, the two middle values and those around each percentile in [`QUANTILES`].
fn read_ranks(n: usize) -> Vec<usize> {
    let mut ranks: Vec<usize> = QUANTILES
        .iter()
        .flat_map(|&q| percentile_ranks(n, q))
        .collect();
    ranks.extend([0, (n - 1) / 2, n / 2, n - 1]);
    ranks.sort_unstable();
    ranks.dedup();
    ranks
}

/// Percentile `q` (0..100) with numpy's linear interpolation; `sorted` must hold the order
/// statistics of [`percentile_ranks`] in place.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    quantile_sorted(sorted, q / 100.0)
}

/// Mean of `term(x)` over the values, summed in numpy's order.
fn mean_of(values: &[f64], term: impl Fn(f64) -> f64 + Copy) -> f64 {
    numpy_sum_of(values, term) / values.len() as f64
}

/// All first-order features. `values` are the region's gray values (non-empty), `histogram`
/// the pixel count of each discretized gray level present, `pixel_area` the area of a pixel,
/// `shift` PyRadiomics' `voxelArrayShift` `c` (Energy, Total Energy and Root Mean Squared read
/// `X + c`).
pub fn features(values: &[f64], histogram: &[u32], pixel_area: f64, shift: f64) -> Vec<Feature> {
    let sorted = order_statistics(values);
    let n = values.len() as f64;
    let total: f64 = histogram.iter().map(|&c| f64::from(c)).sum();
    let p: Vec<f64> = histogram.iter().map(|&c| f64::from(c) / total).collect();

    // Energy: Σ (X + c)²
    let energy = numpy_sum_of(values, |x| (x + shift) * (x + shift));
    let average = mean_of(values, |x| x);
    let m2 = mean_of(values, |x| (x - average) * (x - average));
    let m3 = mean_of(values, |x| {
        let d = x - average;
        d * d * d
    });
    let m4 = mean_of(values, |x| {
        let d2 = (x - average) * (x - average);
        d2 * d2
    });
    let (p10, p90) = (percentile(&sorted, 10.0), percentile(&sorted, 90.0));
    // Robust mean absolute deviation: MAD of the values between the 10th and 90th percentiles.
    // As numpy's nanmean does, excluded values count as 0 in the sums but not in the count.
    let kept = |x: f64| x >= p10 && x <= p90;
    let n_robust = values.iter().filter(|&&x| kept(x)).count() as f64;
    let robust_mean = numpy_sum_of(values, |x| if kept(x) { x } else { 0.0 }) / n_robust;
    let robust_deviation = numpy_sum_of(values, |x| {
        if kept(x) {
            (x - robust_mean).abs()
        } else {
            0.0
        }
    }) / n_robust;
    let (minimum, maximum) = (sorted[0], sorted[sorted.len() - 1]);
    // Skewness and kurtosis are 0 for a flat region (m2 = 0), as in PyRadiomics.
    let spread = if m2 == 0.0 { 1.0 } else { m2 };
    named(
        "firstorder",
        &NAMES,
        [
            energy,
            // Total energy: V Σ (X + c)²
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
            mean_of(values, |x| (x - average).abs()),
            robust_deviation,
            // Root mean squared: sqrt(Σ (X + c)² / N_p)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fully_sorted(values: &[f64]) -> Vec<f64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    #[test]
    fn whole_gray_values_are_sorted_by_counting() {
        let values: Vec<f64> = (0..1000).map(|k| f64::from((k * 7919) % 263)).collect();
        assert_eq!(counting_sort(&values), Some(fully_sorted(&values)));
        assert_eq!(order_statistics(&values), fully_sorted(&values));
    }

    #[test]
    fn other_values_fall_back_to_selection() {
        for odd in [0.5, -1.0, -0.0, 65536.0, f64::NAN] {
            let mut values: Vec<f64> = (0..200).map(|k| f64::from((k * 31) % 97)).collect();
            values[17] = odd;
            assert_eq!(counting_sort(&values), None, "{odd}");
            let selected = order_statistics(&values);
            let sorted = fully_sorted(&values);
            for k in read_ranks(values.len()) {
                assert_eq!(
                    selected[k].to_bits(),
                    sorted[k].to_bits(),
                    "{odd}, rank {k}"
                );
            }
        }
    }
}
