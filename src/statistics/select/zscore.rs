//! z-score standardization with constants from the training cohort.
//!
//! `z = (x − μ) / σ` with `μ` the training mean and `σ` the training standard deviation with
//! denominator `n` (as scikit-learn's `StandardScaler`).

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::stats::LinearModel;

/// Mean and standard deviation of each feature, fitted on training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZScore {
    /// Training mean of each column.
    pub mean: Vec<f64>,
    /// Training standard deviation (denominator n) of each column.
    pub sd: Vec<f64>,
}

impl ZScore {
    /// Fit the constants on `x` (rows = training cases). Columns with zero spread keep σ = 0;
    /// callers drop constant features before standardizing.
    pub fn fit(x: ArrayView2<f64>) -> Self {
        let n = x.nrows() as f64;
        let mut mean = Vec::with_capacity(x.ncols());
        let mut sd = Vec::with_capacity(x.ncols());
        for column in x.axis_iter(Axis(1)) {
            // μ = Σ x / n
            let mu = column.sum() / n;
            // σ = √(Σ (x − μ)² / n)
            let sigma = (column.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n).sqrt();
            mean.push(mu);
            sd.push(sigma);
        }
        ZScore { mean, sd }
    }

    /// Standardize `x` with the fitted constants.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut out = x.to_owned();
        for (j, mut column) in out.axis_iter_mut(Axis(1)).enumerate() {
            // z = (x − μ) / σ
            column.mapv_inplace(|v| (v - self.mean[j]) / self.sd[j]);
        }
        out
    }

    /// A linear predictor on standardized columns, `β₀ + Σ β_j z_j`, mapped to the raw scale:
    /// `β_j / σ_j` and `β₀ − Σ β_j μ_j / σ_j` (subtracted in column order). A column with
    /// σ = 0 gets coefficient 0 and leaves the intercept alone.
    pub fn unstandardize(&self, intercept: f64, coefficients: &[f64]) -> LinearModel {
        let mut b0 = intercept;
        let mut raw = vec![0.0; coefficients.len()];
        for (j, (&b, (&mu, &sigma))) in coefficients
            .iter()
            .zip(self.mean.iter().zip(&self.sd))
            .enumerate()
        {
            if sigma > 0.0 {
                // β_j(raw) = β_j / σ_j; β₀(raw) = β₀ − Σ β_j μ_j / σ_j
                raw[j] = b / sigma;
                b0 -= b * mu / sigma;
            }
        }
        LinearModel {
            intercept: b0,
            coefficients: raw,
        }
    }

    /// The constants of a subset of columns, in the given order.
    pub fn select(&self, columns: &[usize]) -> ZScore {
        ZScore {
            mean: columns.iter().map(|&j| self.mean[j]).collect(),
            sd: columns.iter().map(|&j| self.sd[j]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardizes_with_population_sd() {
        let x = array![[1.0, 10.0], [3.0, 10.0 + 2.0], [5.0, 10.0 + 4.0]];
        let z = ZScore::fit(x.view());
        assert_eq!(z.mean, vec![3.0, 12.0]);
        assert!((z.sd[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        let t = z.transform(x.view());
        assert!(t.column(0).sum().abs() < 1e-12);
        let var = t.column(1).mapv(|v| v * v).sum() / 3.0;
        assert!((var - 1.0).abs() < 1e-12);
    }
}
