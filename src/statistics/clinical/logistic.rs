//! Unpenalized logistic regression as R's `glm` fits it (aliased terms, Newton–Raphson), with
//! the observed-information covariance `(Xᵀ W X)⁻¹`, Wald tests and odds ratios.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{ClinicalError, ClinicalResult};
use crate::evaluate::distributions::normal_two_sided;
use crate::model::metrics::Z_975;
use crate::stats::logistic::{self, NewtonError};
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
    /// Predictors (0-based, intercept not counted) that are linear combinations of earlier
    /// ones: left out of the fit, coefficient and standard error 0 (R: `NA`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliased: Vec<usize>,
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
    /// The term is aliased (a linear combination of earlier terms): not estimated, every
    /// number NaN (R: `NA`).
    pub aliased: bool,
}

impl Logit {
    /// Maximum-likelihood fit on `rows` (predictor values, no intercept column) and outcomes,
    /// as R's `glm(family = binomial)` fits it: predictors that are linear combinations of
    /// earlier ones are aliased (coefficient and standard error 0 here, `NA` in R) and listed
    /// in `aliased`; the rest are fitted by the bounded Newton–Raphson of
    /// [`crate::stats::logistic`] to a largest step below 1e-10. A separated outcome is
    /// [`ClinicalError::Separation`]; every other failure names `model` too.
    pub fn fit(model: &str, rows: &[Vec<f64>], outcome: &[bool]) -> ClinicalResult<Logit> {
        let n = rows.len();
        let k = rows.first().map_or(0, Vec::len) + 1;
        let fail = |message: String| ClinicalError::Fit {
            model: model.into(),
            message,
        };
        // design matrix with a leading column of ones
        let x = DMatrix::from_fn(n, k, |i, j| if j == 0 { 1.0 } else { rows[i][j - 1] });
        let aliased = logistic::aliased_columns(&x);
        let kept: Vec<usize> = (0..k).filter(|j| !aliased.contains(j)).collect();
        if n <= kept.len() {
            return Err(fail(format!("{n} cases for {} coefficients", kept.len())));
        }
        let fit = logistic::fit(&x.select_columns(&kept), outcome, 0.0).map_err(|e| match e {
            NewtonError::Separation => ClinicalError::Separation {
                model: model.into(),
            },
            other => fail(other.to_string()),
        })?;
        let covariance = fit
            .information
            .cholesky()
            .ok_or_else(|| fail(NewtonError::Singular.to_string()))?
            .inverse();
        let mut coefficients = vec![0.0; k];
        let mut standard_errors = vec![0.0; k];
        for (position, &j) in kept.iter().enumerate() {
            coefficients[j] = fit.beta[position];
            standard_errors[j] = covariance[(position, position)].sqrt();
        }
        Ok(Logit {
            coefficients,
            standard_errors,
            log_likelihood: fit.log_likelihood,
            iterations: fit.iterations,
            // predictor indices: the intercept, column 0, is never aliased (n > 0)
            aliased: aliased.iter().filter(|&&j| j > 0).map(|j| j - 1).collect(),
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
                if self.aliased.contains(&j) {
                    return OddsRatio {
                        term: term.clone(),
                        coefficient: f64::NAN,
                        standard_error: f64::NAN,
                        odds_ratio: f64::NAN,
                        ci_low: f64::NAN,
                        ci_high: f64::NAN,
                        p: f64::NAN,
                        aliased: true,
                    };
                }
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
                    aliased: false,
                }
            })
            .collect()
    }
}
