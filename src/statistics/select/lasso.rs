//! L1-penalized (LASSO) logistic regression by coordinate descent, with glmnet's objective,
//! standardization, λ path and cross-validation rules (Friedman, Hastie & Tibshirani 2010,
//! "Regularization paths for generalized linear models via coordinate descent", JSS 33(1)).
//!
//! Objective, for `n` cases with outcome `y_i ∈ {0, 1}` and linear predictor
//! `η_i = β_0 + Σ_j β_j x_ij`:
//!
//! `min −(1/n) Σ_i [y_i η_i − log(1 + e^{η_i})] + λ Σ_j |β_j|` (the intercept is not penalized).
//!
//! As glmnet with `standardize = TRUE`, the columns are standardized internally (mean 0,
//! variance 1 with denominator `n`) and the coefficients are returned on the scale of the input.
//! The solver alternates a quadratic (IRLS) approximation of the log-likelihood with cyclic
//! coordinate descent and soft-thresholding, `β_j ← S(Σ_i w_i x_ij r_i + v_j β_j, λ) / v_j` with
//! `v_j = Σ_i w_i x_ij²`, halving a step whenever it would increase the objective. The sweeps
//! run on the weighted Gram matrix (glmnet's covariance updates), so a sweep costs O(p²), not
//! O(n p). After each sweep the quadratic is minimized exactly over the current support and
//! signs (a Cholesky solve); the coefficients move to that minimizer, or towards it until the
//! first one reaches zero and leaves the support (an active-set step; every move lowers the
//! objective). The quadratic is solved once the minimizer keeps its signs and no excluded
//! coefficient violates `|g_j| ≤ λ`. On correlated features, where cyclic sweeps alone converge
//! slowly, this gives the exact minimizer of each quadratic and so Newton's convergence. The
//! Newton steps stop when the largest weighted change `v_j Δβ_j²` falls below 10⁻¹⁴ (glmnet's
//! measure, with a tighter threshold).
//!
//! λ path: `λ_max = max_j |Σ_i x_ij (y_i − ȳ)| / n` (the smallest λ with all β_j = 0), then
//! `n_lambda` values log-spaced down to `λ_max × ratio`, ratio 10⁻⁴ if `n ≥ p` and 0.01
//! otherwise. As glmnet's binomial path, it stops early, from the 5th λ on, once the deviance
//! ratio exceeds 0.999 or grows by less than 10⁻⁵ ([`glmnet_path`]).
//!
//! Cross-validation (cv.glmnet, binomial deviance): by default every fold is fitted over its
//! own λ path and read at the full-data λ by linear interpolation, as `cv.glmnet` does; or
//! every fold at the full-data λ ([`CvLambdas`]). The folds run in parallel, each
//! independently of the others;
//! held-out probabilities are clipped to [10⁻⁵, 1 − 10⁻⁵]; `cvm` is the case-weighted mean of
//! the fold deviances and `cvsd = √(Σ_f N_f (dev_f − cvm)² / N / (F − 1))`. `lambda.min` is the
//! largest λ attaining the minimum `cvm`; `lambda.1se` the largest λ whose `cvm` is within one
//! `cvsd` of that minimum.

use nalgebra::{DMatrix, DVector};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::zscore::ZScore;
use super::SelectError;
use crate::stats::{sigmoid, LinearModel};

/// Convergence tolerance on the largest weighted squared coefficient change `G_jj δ²`, of a
/// Newton (IRLS) step and of a coordinate-descent sweep.
const TOLERANCE: f64 = 1e-14;
/// Iteration caps of the Newton (IRLS) steps and of the sweeps of one quadratic.
const MAX_OUTER: usize = 500;
const MAX_SWEEPS: usize = 100_000;
/// Relative slack of the subgradient check `|g_j| ≤ λ` of an excluded coefficient.
const SUPPORT_SLACK: f64 = 1e-12;
/// Probability clip of cv.glmnet's binomial deviance.
const PROBABILITY_MIN: f64 = 1e-5;

/// Which cross-validated λ to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum LambdaRule {
    /// The λ with the smallest mean CV deviance (`lambda.min`).
    #[serde(rename = "min")]
    #[value(name = "min")]
    Min,
    /// The largest λ within one standard error of the minimum (`lambda.1se`).
    #[serde(rename = "1se")]
    #[value(name = "1se")]
    OneSe,
}

impl LambdaRule {
    /// The rule as glmnet names it after `lambda.`: `min` or `1se`.
    pub fn name(self) -> &'static str {
        match self {
            LambdaRule::Min => "min",
            LambdaRule::OneSe => "1se",
        }
    }
}

/// Internally standardized copy of the training matrix: [`ZScore`] constants, and columns
/// without spread set to zero.
struct Standardized {
    z: Array2<f64>,
    scale: ZScore,
}

impl Standardized {
    fn new(x: ArrayView2<f64>) -> Self {
        let scale = ZScore::fit(x);
        let mut z = scale.transform(x);
        for (mut column, &sd) in z.axis_iter_mut(Axis(1)).zip(&scale.sd) {
            if sd <= 0.0 {
                column.fill(0.0);
            }
        }
        Standardized { z, scale }
    }

    /// Coefficients of the standardized problem mapped back to the input scale.
    fn unstandardize(&self, intercept: f64, beta: &[f64]) -> LinearModel {
        self.scale.unstandardize(intercept, beta)
    }
}

/// log(1 + e^η) without overflow.
fn log1p_exp(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

fn soft_threshold(value: f64, lambda: f64) -> f64 {
    // S(g, λ) = sign(g) max(|g| − λ, 0)
    value.signum() * (value.abs() - lambda).max(0.0)
}

/// The standardized columns with a leading column of ones (the intercept is coefficient 0).
fn with_intercept(z: &Array2<f64>) -> Array2<f64> {
    let (n, p) = z.dim();
    let mut design = Array2::ones((n, p + 1));
    design.slice_mut(s![.., 1..]).assign(z);
    design
}

/// Penalized objective of the standardized problem, `b = (β₀, β_1, ..., β_p)`.
fn objective(design: &Array2<f64>, y: &[f64], b: &[f64], lambda: f64) -> f64 {
    let n = y.len() as f64;
    let eta = design.dot(&ArrayView1::from(b));
    // −(1/n) Σ [y η − log(1 + e^η)] + λ Σ_{j≥1} |β_j|
    let loss: f64 = eta
        .iter()
        .zip(y)
        .map(|(&e, &yi)| log1p_exp(e) - yi * e)
        .sum::<f64>()
        / n;
    loss + lambda * b[1..].iter().map(|v| v.abs()).sum::<f64>()
}

/// The quadratic (IRLS) approximation of the objective at a fit:
/// `½ bᵀ G b − cᵀ b + λ Σ_{j≥1} |b_j|`, with `G = Xᵀ W X` and `c = Xᵀ W u` on the columns
/// `X = (1, z_1, ..., z_p)`, weights `w_i = p_i (1 − p_i) / n` and working response
/// `u_i = η_i + (y_i − p_i) / (p_i (1 − p_i))`.
struct Quadratic {
    gram: Array2<f64>,
    linear: Array1<f64>,
}

impl Quadratic {
    fn new(design: &Array2<f64>, y: &[f64], b: &[f64]) -> Self {
        let n = y.len() as f64;
        let eta = design.dot(&ArrayView1::from(b));
        let mut weighted = design.clone();
        let mut response = Array1::zeros(y.len());
        for (i, mut row) in weighted.axis_iter_mut(Axis(0)).enumerate() {
            let p = sigmoid(eta[i]);
            let variance = (p * (1.0 - p)).max(1e-12);
            // w_i = p_i (1 − p_i) / n; u_i = η_i + (y_i − p_i) / (p_i (1 − p_i))
            row *= variance / n;
            response[i] = eta[i] + (y[i] - p) / variance;
        }
        Quadratic {
            gram: design.t().dot(&weighted),
            linear: weighted.t().dot(&response),
        }
    }

    /// Minimize the quadratic from `b` by cyclic coordinate descent with soft-thresholding,
    /// `b_j ← S(G_jj b_j − g_j, λ) / G_jj` with `g = G b − c` (the intercept unthresholded).
    /// After every sweep, the quadratic is minimized exactly on the current support with the
    /// current signs ([`Quadratic::face_minimizer`]): if that minimizer keeps the signs it is
    /// taken, and it is the answer when every excluded coefficient satisfies `|g_j| ≤ λ`;
    /// otherwise `b` moves towards it until the first coefficient reaches zero, which leaves
    /// the support. Every move lowers the objective.
    fn minimize(&self, lambda: f64, b: &mut [f64]) {
        let mut gradient = self.gram.dot(&ArrayView1::from(&*b)) - &self.linear;
        for _ in 0..MAX_SWEEPS {
            let mut largest_change: f64 = 0.0;
            for j in 0..b.len() {
                let curvature = self.gram[[j, j]];
                if curvature <= 0.0 {
                    continue;
                }
                let updated = if j == 0 {
                    b[j] - gradient[j] / curvature
                } else {
                    soft_threshold(curvature * b[j] - gradient[j], lambda) / curvature
                };
                let delta = updated - b[j];
                if delta != 0.0 {
                    // g ← g + δ G_·j
                    gradient.scaled_add(delta, &self.gram.column(j));
                    b[j] = updated;
                    largest_change = largest_change.max(curvature * delta * delta);
                }
            }
            let signs = signs(b);
            let Some(target) = self.face_minimizer(lambda, &signs) else {
                if largest_change < TOLERANCE {
                    return;
                }
                continue;
            };
            // largest step t ≤ 1 towards the face minimizer before a coefficient changes sign:
            // t = min b_j / (b_j − target_j) over the coefficients whose sign would change
            let mut step = 1.0;
            let mut leaving = Vec::new();
            for j in (1..b.len()).filter(|&j| signs[j] != 0) {
                if target[j] * f64::from(signs[j]) <= 0.0 {
                    let t = b[j] / (b[j] - target[j]);
                    if t < step {
                        step = t;
                        leaving.clear();
                    }
                    if t <= step {
                        leaving.push(j);
                    }
                }
            }
            for (v, t) in b.iter_mut().zip(&target) {
                *v += step * (t - *v);
            }
            for &j in &leaving {
                b[j] = 0.0;
            }
            gradient = self.gram.dot(&ArrayView1::from(&*b)) - &self.linear;
            // optimal: the support kept its signs and no excluded coefficient may enter
            let optimal = leaving.is_empty()
                && (1..b.len())
                    .filter(|&j| b[j] == 0.0)
                    .all(|j| gradient[j].abs() <= lambda * (1.0 + SUPPORT_SLACK));
            if optimal || largest_change < TOLERANCE && leaving.is_empty() && step == 1.0 {
                return;
            }
        }
    }

    /// The minimizer of the quadratic over the face where the coefficients keep the signs `s`
    /// (zeros stay zero): `G_AA b_A = c_A − λ s_A` on the support `A` (with the intercept).
    /// `None` when `G_AA` is not numerically positive definite.
    fn face_minimizer(&self, lambda: f64, signs: &[i8]) -> Option<Vec<f64>> {
        let support: Vec<usize> = (0..signs.len())
            .filter(|&j| j == 0 || signs[j] != 0)
            .collect();
        let k = support.len();
        let gram = DMatrix::from_fn(k, k, |a, b| self.gram[[support[a], support[b]]]);
        // right-hand side c_A − λ s_A (the intercept is not penalized)
        let rhs = DVector::from_fn(k, |a, _| {
            let j = support[a];
            if j == 0 {
                self.linear[0]
            } else {
                self.linear[j] - lambda * f64::from(signs[j])
            }
        });
        let solution = gram.cholesky()?.solve(&rhs);
        let mut b = vec![0.0; signs.len()];
        for (a, &j) in support.iter().enumerate() {
            b[j] = solution[a];
        }
        b.iter().all(|v| v.is_finite()).then_some(b)
    }
}

/// Sign of every coefficient (−1, 0, 1).
fn signs(b: &[f64]) -> Vec<i8> {
    b.iter()
        .map(|&v| {
            if v > 0.0 {
                1
            } else if v < 0.0 {
                -1
            } else {
                0
            }
        })
        .collect()
}

/// Solve one λ on the standardized problem, starting from (`b0`, `beta`): proximal Newton
/// (IRLS) steps, each quadratic minimized as in [`Quadratic::minimize`], halving a step
/// whenever it would increase the objective.
fn solve(z: &Array2<f64>, y: &[f64], lambda: f64, b0: &mut f64, beta: &mut [f64]) {
    let design = with_intercept(z);
    let mut b: Vec<f64> = std::iter::once(*b0).chain(beta.iter().copied()).collect();
    let mut current = objective(&design, y, &b, lambda);
    for _ in 0..MAX_OUTER {
        let old = b.clone();
        let quadratic = Quadratic::new(&design, y, &b);
        quadratic.minimize(lambda, &mut b);
        // step halving: never accept a step that increases the objective
        let mut value = objective(&design, y, &b, lambda);
        let mut halvings = 0;
        while value > current && halvings < 30 {
            for (v, o) in b.iter_mut().zip(&old) {
                *v = 0.5 * (*v + o);
            }
            value = objective(&design, y, &b, lambda);
            halvings += 1;
        }
        current = value.min(current);
        // convergence: the largest weighted squared change G_jj (Δb_j)², as glmnet's
        let change = b
            .iter()
            .zip(&old)
            .enumerate()
            .map(|(j, (v, o))| quadratic.gram[[j, j]] * (v - o).powi(2))
            .fold(0.0, f64::max);
        if change < TOLERANCE {
            break;
        }
    }
    *b0 = b[0];
    beta.copy_from_slice(&b[1..]);
}

fn as_float(y: &[bool]) -> Vec<f64> {
    y.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect()
}

fn null_intercept(y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    // β₀ = logit(ȳ)
    (mean / (1.0 - mean)).ln()
}

/// LASSO logistic regression of `y` on `x` at one λ (glmnet's objective and standardization).
pub fn lasso_logistic(x: ArrayView2<f64>, y: &[bool], lambda: f64) -> LinearModel {
    lasso_path(x, y, &[lambda]).remove(0)
}

/// LASSO fits over a decreasing sequence of λ values, each warm-started from the previous one.
pub fn lasso_path(x: ArrayView2<f64>, y: &[bool], lambdas: &[f64]) -> Vec<LinearModel> {
    path_until(x, y, lambdas, |_| false)
}

/// [`lasso_path`], stopping after the first fit for which `stop` returns true.
fn path_until(
    x: ArrayView2<f64>,
    y: &[bool],
    lambdas: &[f64],
    mut stop: impl FnMut(&LinearModel) -> bool,
) -> Vec<LinearModel> {
    let s = Standardized::new(x);
    let yf = as_float(y);
    let mut b0 = null_intercept(&yf);
    let mut beta = vec![0.0; x.ncols()];
    let mut fits = Vec::with_capacity(lambdas.len());
    for &lambda in lambdas {
        solve(&s.z, &yf, lambda, &mut b0, &mut beta);
        let fit = s.unstandardize(b0, &beta);
        let done = stop(&fit);
        fits.push(fit);
        if done {
            break;
        }
    }
    fits
}

/// glmnet's λ sequence for `x`, `y`: `n_lambda` log-spaced values from `λ_max`.
pub fn lambda_sequence(x: ArrayView2<f64>, y: &[bool], n_lambda: usize) -> Vec<f64> {
    let s = Standardized::new(x);
    let yf = as_float(y);
    let n = yf.len() as f64;
    let mean = yf.iter().sum::<f64>() / n;
    // λ_max = max_j |Σ_i z_ij (y_i − ȳ)| / n
    let lambda_max =
        s.z.axis_iter(Axis(1))
            .map(|c| {
                c.iter()
                    .zip(&yf)
                    .map(|(zij, yi)| zij * (yi - mean))
                    .sum::<f64>()
                    .abs()
                    / n
            })
            .fold(0.0, f64::max);
    let ratio: f64 = if x.nrows() < x.ncols() { 0.01 } else { 1e-4 };
    if n_lambda == 1 {
        return vec![lambda_max];
    }
    (0..n_lambda)
        // λ_k = λ_max ratio^{k / (K − 1)}
        .map(|k| lambda_max * ratio.powf(k as f64 / (n_lambda - 1) as f64))
        .collect()
}

/// Binomial deviance `−2 Σ [y log p + (1 − y) log(1 − p)] = 2 Σ [log(1 + e^η) − y η]` of a fit
/// on `x`, `y` (finite however extreme the probabilities).
fn deviance(fit: &LinearModel, x: ArrayView2<f64>, y: &[f64]) -> f64 {
    fit.predict(x)
        .iter()
        .zip(y)
        .map(|(&eta, &yi)| 2.0 * (log1p_exp(eta) - yi * eta))
        .sum()
}

/// cv.glmnet's binomial deviance of held-out cases: probabilities clipped to
/// [10⁻⁵, 1 − 10⁻⁵].
fn clipped_deviance(fit: &LinearModel, x: ArrayView2<f64>, y: &[f64]) -> f64 {
    fit.predict(x)
        .iter()
        .zip(y)
        .map(|(&eta, &yi)| {
            let p = sigmoid(eta).clamp(PROBABILITY_MIN, 1.0 - PROBABILITY_MIN);
            -2.0 * (yi * p.ln() + (1.0 - yi) * (1.0 - p).ln())
        })
        .sum()
}

/// Result of a cross-validated LASSO.
#[derive(Debug, Clone, Serialize)]
pub struct LassoCv {
    /// The λ values (decreasing), truncated where the full-data path stopped.
    pub lambdas: Vec<f64>,
    /// Fits on all training cases, one per λ.
    pub path: Vec<LinearModel>,
    /// Deviance ratio (1 − deviance / null deviance) of each full-data fit.
    pub deviance_ratio: Vec<f64>,
    /// Mean cross-validated binomial deviance per λ.
    pub cvm: Vec<f64>,
    /// Its standard error per λ.
    pub cvsd: Vec<f64>,
    /// Number of non-zero coefficients per λ.
    pub nonzero: Vec<usize>,
    /// `lambda.min`.
    pub lambda_min: f64,
    /// `lambda.1se`.
    pub lambda_1se: f64,
    /// The rule used to choose.
    pub rule: LambdaRule,
    /// The chosen λ.
    pub lambda: f64,
    /// The fit at the chosen λ (on all training cases).
    pub fit: LinearModel,
}

/// How the folds of the cross-validation are fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvLambdas {
    /// Each fold over its own λ sequence (from its own λ_max, with its own early stop), its
    /// coefficients linearly interpolated in λ at the full-data values (clamped to the fold's
    /// range): what `cv.glmnet(x, y, family = "binomial", foldid = ...)` does.
    #[default]
    Fold,
    /// Every fold at the full-data λ values: `cv.glmnet(..., lambda = <full-data path>)`.
    Full,
}

/// The full-data path as glmnet computes it: `n_lambda` log-spaced λ from λ_max, stopping, as
/// glmnet's binomial path does, from the 5th λ on, after the first fit whose deviance ratio
/// `1 − D/D_null` exceeds 0.999 or grew by less than 10⁻⁵ (absolute) over the previous one.
/// Returns the λ values kept, their fits and deviance ratios.
pub fn glmnet_path(
    x: ArrayView2<f64>,
    y: &[bool],
    n_lambda: usize,
) -> (Vec<f64>, Vec<LinearModel>, Vec<f64>) {
    let yf = as_float(y);
    let all_lambdas = lambda_sequence(x, y, n_lambda);
    // null deviance: the intercept-only model
    let null = LinearModel {
        intercept: null_intercept(&yf),
        coefficients: vec![0.0; x.ncols()],
    };
    let null_deviance = deviance(&null, x, &yf);
    let mut deviance_ratio: Vec<f64> = Vec::new();
    let path = path_until(x, y, &all_lambdas, |fit| {
        // deviance ratio = 1 − D / D_null
        let ratio = 1.0 - deviance(fit, x, &yf) / null_deviance;
        // glmnet: from the mnlam = 5th λ on (1-based), devmax = 0.999, fdev = 10⁻⁵
        let stop = deviance_ratio.len() >= 4
            && (ratio > 0.999 || ratio - deviance_ratio[deviance_ratio.len() - 1] < 1e-5);
        deviance_ratio.push(ratio);
        stop
    });
    let kept = path.len();
    (all_lambdas[..kept].to_vec(), path, deviance_ratio)
}

/// The fit at `s` from a path over decreasing `lambdas`, as glmnet's `lambda.interp` reads a
/// path: linear in λ between the two neighbouring values, `s` clamped to the path's range.
pub fn interpolate(lambdas: &[f64], path: &[LinearModel], s: f64) -> LinearModel {
    let last = lambdas.len() - 1;
    let s = s.clamp(lambdas[last], lambdas[0]);
    // the first λ at or below s: right neighbour; the one before it: left
    let right = lambdas.iter().position(|&l| l <= s).unwrap_or(last);
    if right == 0 || lambdas[right] == s {
        return path[right].clone();
    }
    let left = right - 1;
    // weight of the left fit: (s − λ_right) / (λ_left − λ_right)
    let frac = (s - lambdas[right]) / (lambdas[left] - lambdas[right]);
    let mix = |a: f64, b: f64| a * frac + b * (1.0 - frac);
    LinearModel {
        intercept: mix(path[left].intercept, path[right].intercept),
        coefficients: path[left]
            .coefficients
            .iter()
            .zip(&path[right].coefficients)
            .map(|(&a, &b)| mix(a, b))
            .collect(),
    }
}

/// Cross-validated LASSO logistic regression: the λ path on all of `x`, `y`
/// ([`glmnet_path`]), then the fold fits given by `folds` (the fold index of each row,
/// `0..n_folds`), aligned with the full-data λ as `alignment` says.
pub fn lasso_cv(
    x: ArrayView2<f64>,
    y: &[bool],
    folds: &[usize],
    n_lambda: usize,
    rule: LambdaRule,
    alignment: CvLambdas,
) -> Result<LassoCv, SelectError> {
    let n_folds = folds.iter().max().map_or(0, |m| m + 1);
    if n_folds < 2 {
        return Err(SelectError::TooFewCases {
            step: "LASSO cross-validation".into(),
            message: "needs at least two folds".into(),
        });
    }
    let yf = as_float(y);
    let (lambdas, path, deviance_ratio) = glmnet_path(x, y, n_lambda);
    let kept = path.len();

    // the folds are fitted in parallel; each is independent of the others
    let fold_results: Vec<(usize, Vec<f64>)> = (0..n_folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == f).collect();
            let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            if test.is_empty() || ytr.iter().all(|&v| v) || ytr.iter().all(|&v| !v) {
                return Err(SelectError::TooFewCases {
                    step: "LASSO cross-validation".into(),
                    message: format!("fold {f} leaves a training part with a single class"),
                });
            }
            let xtr = x.select(Axis(0), &train);
            let xte = x.select(Axis(0), &test);
            let yte: Vec<f64> = test.iter().map(|&i| yf[i]).collect();
            let fits = match alignment {
                CvLambdas::Fold => {
                    // the fold's own path, read at the full-data λ values
                    let (fold_lambdas, fold_path, _) = glmnet_path(xtr.view(), &ytr, n_lambda);
                    lambdas
                        .iter()
                        .map(|&l| interpolate(&fold_lambdas, &fold_path, l))
                        .collect()
                }
                CvLambdas::Full => lasso_path(xtr.view(), &ytr, &lambdas),
            };
            let deviances = fits
                .iter()
                // fold deviance = mean per-case deviance of the held-out cases
                .map(|fit| clipped_deviance(fit, xte.view(), &yte) / test.len() as f64)
                .collect();
            Ok((test.len(), deviances))
        })
        .collect::<Result<_, SelectError>>()?;
    let (fold_sizes, fold_deviance): (Vec<usize>, Vec<Vec<f64>>) = fold_results.into_iter().unzip();
    let total = y.len() as f64;
    let cvm: Vec<f64> = (0..kept)
        .map(|k| {
            // cvm = Σ_f N_f dev_f / N
            (0..n_folds)
                .map(|f| fold_sizes[f] as f64 * fold_deviance[f][k])
                .sum::<f64>()
                / total
        })
        .collect();
    let cvsd: Vec<f64> = (0..kept)
        .map(|k| {
            // cvsd = √(Σ_f N_f (dev_f − cvm)² / N / (F − 1))
            ((0..n_folds)
                .map(|f| fold_sizes[f] as f64 * (fold_deviance[f][k] - cvm[k]).powi(2))
                .sum::<f64>()
                / total
                / (n_folds as f64 - 1.0))
                .sqrt()
        })
        .collect();
    let minimum = cvm.iter().copied().fold(f64::INFINITY, f64::min);
    let index_min = cvm.iter().position(|&v| v <= minimum).unwrap_or(0);
    let bound = cvm[index_min] + cvsd[index_min];
    let index_1se = cvm.iter().position(|&v| v <= bound).unwrap_or(index_min);
    let chosen = match rule {
        LambdaRule::Min => index_min,
        LambdaRule::OneSe => index_1se,
    };
    let nonzero = path
        .iter()
        .map(|f| f.coefficients.iter().filter(|&&c| c != 0.0).count())
        .collect();
    Ok(LassoCv {
        lambda_min: lambdas[index_min],
        lambda_1se: lambdas[index_1se],
        lambda: lambdas[chosen],
        fit: path[chosen].clone(),
        rule,
        lambdas,
        path,
        deviance_ratio,
        cvm,
        cvsd,
        nonzero,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn lambda_max_zeroes_every_coefficient() {
        let x = array![[1.0, 0.5], [2.0, -1.0], [3.0, 0.0], [4.0, 2.0], [5.0, 1.0]];
        let y = [false, false, true, false, true];
        let lambdas = lambda_sequence(x.view(), &y, 3);
        let fits = lasso_path(x.view(), &y, &lambdas);
        assert!(fits[0].coefficients.iter().all(|&c| c == 0.0));
        // intercept-only fit: β₀ = logit(2/5)
        assert!((fits[0].intercept - (0.4f64 / 0.6).ln()).abs() < 1e-10);
        assert!(fits[2].coefficients.iter().any(|&c| c != 0.0));
    }
}
