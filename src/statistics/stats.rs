//! Small numeric helpers shared by the statistics, clinical and evaluation stages: the
//! logistic function, the median and the type-7 quantile, R's `approx`, and the
//! logistic-regression solver ([`logistic`]).

pub mod logistic;

/// The logistic function `σ(η) = 1 / (1 + e^{−η})`: the probability of a log-odds.
pub fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Linear predictor `β₀ + Σ_j β_j x_j` of one row, summed in column order. Every model scores
/// a case through this one function, so that a case's score never depends on which other cases
/// are scored with it (`predict` reproduces `train`'s scores bit for bit).
pub fn linear_predictor<'a>(
    intercept: f64,
    coefficients: impl IntoIterator<Item = &'a f64>,
    row: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    intercept
        + coefficients
            .into_iter()
            .zip(row)
            .map(|(b, x)| b * x)
            .sum::<f64>()
}

/// A linear model `η = intercept + Σ_j coefficient_j x_j` on its inputs' scale: the LASSO's
/// fits, the Rad-score's linear predictor and the logistic regression of the classifiers
/// (`P(y = 1 | x) = σ(η)`) are all this one type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinearModel {
    /// Intercept β₀.
    pub intercept: f64,
    /// Coefficients β_j, one per input column.
    pub coefficients: Vec<f64>,
}

impl LinearModel {
    /// `η_i` for every row of `x`, each through [`linear_predictor`].
    pub fn predict(&self, x: ndarray::ArrayView2<f64>) -> ndarray::Array1<f64> {
        x.rows()
            .into_iter()
            .map(|row| linear_predictor(self.intercept, &self.coefficients, row))
            .collect()
    }

    /// `σ(η_i)` for every row of `x`: the probability of the positive class of a logistic
    /// regression.
    pub fn probabilities(&self, x: ndarray::ArrayView2<f64>) -> Vec<f64> {
        self.predict(x).iter().map(|&eta| sigmoid(eta)).collect()
    }
}

/// Median of sorted values (`numpy.median`): the middle value, or the mean of the two middle
/// values; NaN when there is none. Only the middle order statistics are read.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Linear-interpolation quantile `q` ∈ [0, 1] of sorted values (R type 7, numpy's default),
/// computed as `numpy.quantile` computes it, so that first-order percentiles match PyRadiomics
/// bit for bit; NaN when there is none. Only the two order statistics around the position are
/// read, so `sorted` may be sorted only there.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    // position h = (n − 1) q between x⌊h⌋ and x⌊h⌋+1, fraction γ = h − ⌊h⌋
    let position = (n - 1) as f64 * q;
    let below = position.floor();
    let gamma = position - below;
    let low = (below as usize).min(n - 1);
    let (lo, hi) = (sorted[low], sorted[(low + 1).min(n - 1)]);
    let diff = hi - lo;
    // numpy's two-sided lerp: from the nearer end
    if gamma >= 0.5 {
        hi - diff * (1.0 - gamma)
    } else {
        lo + diff * gamma
    }
}

/// How [`approx`] merges the values of tied `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ties {
    /// The first value (`ties = function(x) x[1]`, as rms' `calibrate`).
    First,
    /// The mean (`ties = mean`, as `print.calibrate`).
    Mean,
}

/// R's `approx(x, y, xout, ties)$y` with `rule = 1`: linear interpolation in `(x, y)`, `x`
/// sorted (stably) and tied `x` merged as `ties` says; NaN outside `[min x, max x]` (R's NA)
/// and where `x` or `y` is NaN.
pub fn approx(x: &[f64], y: &[f64], ties: Ties, xout: &[f64]) -> Vec<f64> {
    let mut pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(&a, &b)| (a, b))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ux: Vec<f64> = Vec::new();
    let mut uy: Vec<f64> = Vec::new();
    let mut start = 0;
    while start < pairs.len() {
        let end = start + pairs[start..].partition_point(|p| p.0 == pairs[start].0);
        ux.push(pairs[start].0);
        uy.push(match ties {
            Ties::First => pairs[start].1,
            Ties::Mean => pairs[start..end].iter().map(|p| p.1).sum::<f64>() / (end - start) as f64,
        });
        start = end;
    }
    xout.iter()
        .map(|&v| {
            if ux.is_empty() || v.is_nan() || v < ux[0] || v > ux[ux.len() - 1] {
                return f64::NAN;
            }
            // the interval [x_i, x_j] holding v
            let j = ux.partition_point(|&u| u < v).min(ux.len() - 1);
            if ux[j] == v || j == 0 {
                return uy[j];
            }
            let i = j - 1;
            uy[i] + (uy[j] - uy[i]) * ((v - ux[i]) / (ux[j] - ux[i]))
        })
        .collect()
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
