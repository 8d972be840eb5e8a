//! Unpenalized logistic regression by Newton–Raphson (IRLS), with the observed-information
//! covariance `(Xᵀ W X)⁻¹`, Wald tests and odds ratios.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::{ClinicalError, ClinicalResult};
use crate::evaluate::distributions::normal_two_sided;
use crate::model::metrics::Z_975;
use crate::stats::sigmoid;

/// A fitted logistic regression `P(y = 1) = σ(β₀ + Σ β_j x_j)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logit {
    /// Coefficients, intercept first.
    pub coefficients: Vec<f64>,
    /// Standard errors, intercept first: square roots of the diagonal of `(Xᵀ W X)⁻¹`.
    pub standard_errors: Vec<f64>,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

/// One coefficient's odds ratio, Wald 95% CI and p value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OddsRatio {
    /// Term name.
    pub term: String,
    /// Coefficient β.
    pub coefficient: f64,
    /// Standard error of β.
    pub standard_error: f64,
    /// Odds ratio `e^β`.
    pub odds_ratio: f64,
    /// Lower 95% limit `e^{β − 1.96 SE}`.
    pub ci_low: f64,
    /// Upper 95% limit `e^{β + 1.96 SE}`.
    pub ci_high: f64,
    /// Two-sided Wald p of `z = β / SE`.
    pub p: f64,
}

impl Logit {
    /// Fit on `rows` (predictor values, no intercept column) and outcomes. Newton steps
    /// `β ← β + (Xᵀ W X)⁻¹ Xᵀ (y − p)`, `W = diag(p (1 − p))`, until the largest step is below
    /// 1e-10 (at most 100); a separated or rank-deficient design is an error naming `model`.
    pub fn fit(model: &str, rows: &[Vec<f64>], outcome: &[bool]) -> ClinicalResult<Logit> {
        let n = rows.len();
        let k = rows.first().map_or(0, Vec::len) + 1;
        let fail = |message: String| ClinicalError::Fit {
            model: model.into(),
            message,
        };
        if n <= k {
            return Err(fail(format!("{n} cases for {k} coefficients")));
        }
        // design matrix with a leading column of ones
        let x = DMatrix::from_fn(n, k, |i, j| if j == 0 { 1.0 } else { rows[i][j - 1] });
        let y = DVector::from_fn(n, |i, _| outcome[i] as u8 as f64);
        let mut beta = DVector::<f64>::zeros(k);
        let mut information = DMatrix::<f64>::zeros(k, k);
        let mut iterations = 0;
        for iteration in 1..=100 {
            iterations = iteration;
            let p = (&x * &beta).map(sigmoid);
            // observed information Xᵀ W X
            let weights = p.map(|v| v * (1.0 - v));
            let weighted = DMatrix::from_fn(n, k, |i, j| x[(i, j)] * weights[i]);
            information = x.transpose() * weighted;
            // score Xᵀ (y − p)
            let score = x.transpose() * (&y - &p);
            let step = information
                .clone()
                .cholesky()
                .ok_or_else(|| fail("singular information matrix (collinear predictors?)".into()))?
                .solve(&score);
            beta += &step;
            if step.amax() < 1e-10 {
                break;
            }
        }
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 30.0) {
            return Err(fail(
                "coefficients diverge (complete or quasi-complete separation)".into(),
            ));
        }
        let covariance = information
            .cholesky()
            .ok_or_else(|| fail("singular information matrix".into()))?
            .inverse();
        let p = (&x * &beta).map(sigmoid);
        // log-likelihood Σ y ln p + (1 − y) ln(1 − p)
        let log_likelihood = (0..n)
            .map(|i| {
                if outcome[i] {
                    p[i].ln()
                } else {
                    (1.0 - p[i]).ln()
                }
            })
            .sum();
        Ok(Logit {
            coefficients: beta.iter().copied().collect(),
            standard_errors: (0..k).map(|j| covariance[(j, j)].sqrt()).collect(),
            log_likelihood,
            iterations,
        })
    }

    /// Linear predictor `β₀ + Σ β_j x_j` of one row.
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        crate::stats::linear_predictor(self.coefficients[0], &self.coefficients[1..], row)
    }

    /// Predicted probability of one row.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.linear_predictor(row))
    }

    /// Odds ratios of the predictors (not the intercept), named by `terms`.
    pub fn odds_ratios(&self, terms: &[String]) -> Vec<OddsRatio> {
        terms
            .iter()
            .enumerate()
            .map(|(j, term)| {
                let b = self.coefficients[j + 1];
                let se = self.standard_errors[j + 1];
                OddsRatio {
                    term: term.clone(),
                    coefficient: b,
                    standard_error: se,
                    odds_ratio: b.exp(),
                    ci_low: (b - Z_975 * se).exp(),
                    ci_high: (b + Z_975 * se).exp(),
                    p: normal_two_sided(b / se),
                }
            })
            .collect()
    }
}
