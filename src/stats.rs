//! Small numeric helpers shared by the statistics, clinical and evaluation stages: the
//! logistic function, the median and the type-7 quantile.

/// The logistic function `σ(η) = 1 / (1 + e^{−η})`: the probability of a log-odds.
pub fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Median of sorted values: the middle value, or the mean of the two middle values; NaN when
/// there is none.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Linear-interpolation (R type 7) quantile `q` ∈ [0, 1] of sorted values; NaN when there is
/// none.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // position h = (n − 1) q, value = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋)
    let h = (sorted.len() - 1) as f64 * q;
    let low = (h.floor() as usize).min(sorted.len() - 1);
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median_sorted(&[1.0, 2.0, 7.0]), 2.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 7.0]), 3.0);
        assert!(median_sorted(&[]).is_nan());
        // R: quantile(c(1, 2, 4, 7), c(0, 0.25, 0.5, 1)) = 1, 1.75, 3, 7
        let x = [1.0, 2.0, 4.0, 7.0];
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 0.25), 1.75);
        assert_eq!(quantile_sorted(&x, 0.5), 3.0);
        assert_eq!(quantile_sorted(&x, 1.0), 7.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
