//! Logistic regression by Newton–Raphson with step halving, optionally ridge-penalized: the one
//! solver behind the classifiers' penalized fit ([`crate::model::fit_logistic`]) and the
//! clinical stage's maximum-likelihood fits ([`crate::clinical::logistic`]).
//!
//! Minimizes the penalized negative log-likelihood
//!
//! `f(β) = −Σ_i [y_i log σ(η_i) + (1 − y_i) log σ(−η_i)] + (α/2) Σ_{j≥1} β_j²`, `η = Xβ`,
//!
//! where column 0 of `X` is the intercept (never penalized). Each step solves
//! `(Xᵀ W X + α I₀) s = Xᵀ (y − p) − α β₀`, with `W = diag(p(1 − p))` and `I₀` the identity
//! without its intercept entry, and is halved (up to 30 times, as R's `glm.fit` does) until
//! `f` does not increase. Every loop is bounded, so that no input can make a fit spin: for
//! `α > 0` the problem is strictly convex and Newton converges in a handful of steps; without a
//! penalty, a separated outcome makes the coefficients grow without bound, which is detected
//! and reported instead of iterated on.

use nalgebra::{DMatrix, DVector};

use super::sigmoid;

/// Most Newton steps of one fit (R's `glm` allows 25; a separated fit is recognised long
/// before this).
pub const MAX_ITERATIONS: usize = 100;

/// Most halvings of one step.
const MAX_HALVINGS: usize = 30;

/// Convergence: the largest coefficient change of a step is below this.
const STEP_TOLERANCE: f64 = 1e-10;

/// R's test for fitted probabilities "numerically 0 or 1": within `10 ε` of either end.
const EXTREME: f64 = 10.0 * f64::EPSILON;

/// A converged fit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonFit {
    /// Coefficients, intercept first.
    pub beta: DVector<f64>,
    /// Penalized information `Xᵀ W X + α I₀` at the optimum (its inverse is the covariance of an
    /// unpenalized fit).
    pub information: DMatrix<f64>,
    /// Log-likelihood at the optimum (without the penalty).
    pub log_likelihood: f64,
    /// Newton steps taken.
    pub iterations: usize,
}

/// Why a fit has no finite optimum or could not reach it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NewtonError {
    /// The outcome is (quasi-)completely separated by the predictors: the maximum-likelihood
    /// coefficients are infinite (R's glm warns "fitted probabilities numerically 0 or 1").
    #[error(
        "complete or quasi-complete separation: fitted probabilities numerically 0 or 1, the \
         maximum-likelihood coefficients are infinite"
    )]
    Separation,
    /// `Xᵀ W X + α I₀` is not positive definite: collinear predictors.
    #[error("singular information matrix (collinear predictors)")]
    Singular,
    /// The input holds a value that is not finite.
    #[error("a predictor value is not finite")]
    NotFinite,
    /// No convergence within [`MAX_ITERATIONS`] steps.
    #[error("no convergence in {MAX_ITERATIONS} Newton steps")]
    NoConvergence,
}

/// `log σ(η)` without overflow: `−log(1 + e^{−η})`.
fn log_sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        -(-eta).exp().ln_1p()
    } else {
        eta - eta.exp().ln_1p()
    }
}

/// Log-likelihood `Σ y log σ(η) + (1 − y) log σ(−η)`.
fn log_likelihood(eta: &DVector<f64>, y: &[bool]) -> f64 {
    eta.iter()
        .zip(y)
        .map(|(&e, &yi)| if yi { log_sigmoid(e) } else { log_sigmoid(-e) })
        .sum()
}

/// `(α/2) Σ_{j≥1} β_j²`.
fn penalty_of(beta: &DVector<f64>, alpha: f64) -> f64 {
    0.5 * alpha * beta.iter().skip(1).map(|b| b * b).sum::<f64>()
}

/// Whether any fitted probability is numerically 0 or 1.
fn has_extreme_probability(eta: &DVector<f64>) -> bool {
    eta.iter().any(|&e| {
        let p = sigmoid(e);
        !(EXTREME..=1.0 - EXTREME).contains(&p)
    })
}

/// The penalized information `Xᵀ W X + α I₀` and gradient `Xᵀ (y − p) − α β₀` at `beta`.
fn information_and_score(
    x: &DMatrix<f64>,
    y: &[bool],
    beta: &DVector<f64>,
    alpha: f64,
) -> (DMatrix<f64>, DVector<f64>) {
    let (n, k) = x.shape();
    let p = (x * beta).map(sigmoid);
    let weighted = DMatrix::from_fn(n, k, |i, j| x[(i, j)] * p[i] * (1.0 - p[i]));
    let mut information = x.transpose() * weighted;
    let residual = DVector::from_fn(n, |i, _| y[i] as u8 as f64 - p[i]);
    let mut score = x.transpose() * residual;
    for j in 1..k {
        information[(j, j)] += alpha;
        score[j] -= alpha * beta[j];
    }
    (information, score)
}

/// Fit `P(y = 1) = σ(Xβ)` (column 0 of `x` the intercept) with ridge penalty `alpha ≥ 0` on the
/// other coefficients.
pub fn fit(x: &DMatrix<f64>, y: &[bool], alpha: f64) -> Result<NewtonFit, NewtonError> {
    if x.iter().any(|v| !v.is_finite()) {
        return Err(NewtonError::NotFinite);
    }
    let objective =
        |beta: &DVector<f64>| -> f64 { -log_likelihood(&(x * beta), y) + penalty_of(beta, alpha) };
    let mut beta = DVector::<f64>::zeros(x.ncols());
    let mut current = objective(&beta);
    for iteration in 1..=MAX_ITERATIONS {
        let (information, score) = information_and_score(x, y, &beta, alpha);
        let Some(cholesky) = information.clone().cholesky().filter(|c| {
            // a pivot at rounding level of the diagonal's scale: singular in exact arithmetic
            let largest = information.diagonal().amax();
            c.l_dirty()
                .diagonal()
                .iter()
                .all(|l| l * l > 1e-12 * largest)
        }) else {
            return Err(failure(x, &beta, NewtonError::Singular));
        };
        let mut step = cholesky.solve(&score);
        let mut candidate = &beta + &step;
        let mut value = objective(&candidate);
        let mut halvings = 0;
        // halve until the objective is finite and does not increase
        while !(value.is_finite() && value <= current) && halvings < MAX_HALVINGS {
            step *= 0.5;
            candidate = &beta + &step;
            value = objective(&candidate);
            halvings += 1;
        }
        if !(value.is_finite() && value <= current) {
            // no descent along the Newton direction: at the optimum to rounding, unless the
            // fitted probabilities already reached 0 or 1 on the way to infinity (separation)
            if alpha == 0.0 && has_extreme_probability(&(x * &beta)) {
                return Err(NewtonError::Separation);
            }
            return Ok(finish(x, y, beta, alpha, iteration));
        }
        beta = candidate;
        current = value;
        if step.amax() < STEP_TOLERANCE {
            // converged: an extreme fitted probability here is only R's warning
            return Ok(finish(x, y, beta, alpha, iteration));
        }
    }
    Err(failure(x, &beta, NewtonError::NoConvergence))
}

/// The fit at its optimum `beta`.
fn finish(
    x: &DMatrix<f64>,
    y: &[bool],
    beta: DVector<f64>,
    alpha: f64,
    iterations: usize,
) -> NewtonFit {
    let eta = x * &beta;
    let (information, _) = information_and_score(x, y, &beta, alpha);
    NewtonFit {
        log_likelihood: log_likelihood(&eta, y),
        beta,
        information,
        iterations,
    }
}

/// The reason of a failed fit: separation when the fitted probabilities already reached 0 or
/// 1 (the information matrix then underflows), else `otherwise`.
fn failure(x: &DMatrix<f64>, beta: &DVector<f64>, otherwise: NewtonError) -> NewtonError {
    if has_extreme_probability(&(x * beta)) {
        NewtonError::Separation
    } else {
        otherwise
    }
}

/// Columns of `x` that are linear combinations of earlier columns, as R's `lm` and `glm` find
/// them (LINPACK `dqrdc2`): columns are taken in order, each orthogonalized against the kept
/// ones, and one whose remaining norm is below `1e-7` of its own norm is aliased (R reports
/// its coefficient as `NA`).
pub fn aliased_columns(x: &DMatrix<f64>) -> Vec<usize> {
    const TOLERANCE: f64 = 1e-7;
    let mut basis: Vec<DVector<f64>> = Vec::new();
    let mut aliased = Vec::new();
    for (j, column) in x.column_iter().enumerate() {
        let norm = column.norm();
        let mut rest = column.into_owned();
        // modified Gram–Schmidt, twice for orthogonality to rounding
        for _ in 0..2 {
            for q in &basis {
                let projection = q.dot(&rest);
                rest.axpy(-projection, q, 1.0);
            }
        }
        let remaining = rest.norm();
        if norm == 0.0 || remaining < TOLERANCE * norm {
            aliased.push(j);
        } else {
            basis.push(rest / remaining);
        }
    }
    aliased
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(values: &[f64]) -> DMatrix<f64> {
        DMatrix::from_fn(values.len(), 2, |i, j| if j == 0 { 1.0 } else { values[i] })
    }

    #[test]
    fn one_binary_predictor_gives_the_log_odds_ratio() {
        // 2×2 table: x = 0 → 3 of 8 positive, x = 1 → 6 of 8 positive; the MLE is closed form
        let x: Vec<f64> = [[0.0; 8], [1.0; 8]].concat();
        let y: Vec<bool> = (0..16).map(|i| i < 3 || (8..14).contains(&i)).collect();
        let fit = fit(&design(&x), &y, 0.0).expect("fit");
        let intercept = (3.0f64 / 5.0).ln();
        let slope = (6.0f64 / 2.0).ln() - intercept;
        assert!((fit.beta[0] - intercept).abs() < 1e-12, "{}", fit.beta[0]);
        assert!((fit.beta[1] - slope).abs() < 1e-12, "{}", fit.beta[1]);
    }

    #[test]
    fn penalized_optimum_is_stationary() {
        let x: Vec<f64> = (0..40).map(|i| ((i * 7919) % 37) as f64 / 10.0).collect();
        let y: Vec<bool> = (0..40).map(|i| (i * 31) % 7 < 3).collect();
        let alpha = 0.7;
        let fit = fit(&design(&x), &y, alpha).expect("fit");
        // ∇f = −(Xᵀ (y − p) − α β₀) = 0 at the optimum
        let (_, score) = information_and_score(&design(&x), &y, &fit.beta, alpha);
        assert!(score.amax() < 1e-9, "gradient {score}");
    }

    #[test]
    fn separation_is_reported_and_penalized_separable_data_converge() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let y: Vec<bool> = (0..30).map(|i| i >= 15).collect();
        assert_eq!(fit(&design(&x), &y, 0.0), Err(NewtonError::Separation));
        let penalized = fit(&design(&x), &y, 0.01).expect("a penalty bounds the coefficients");
        assert!(penalized.iterations < MAX_ITERATIONS);
        assert!(penalized.beta.iter().all(|b| b.is_finite()));
    }

    #[test]
    fn aliased_columns_are_the_later_of_dependent_ones() {
        // columns: 1, a, 2a + 1 (aliased), b, a − b (aliased), 0 (aliased)
        let a = [0.3, 1.0, 2.5, 4.0, 5.5, 7.25];
        let b = [1.0, 0.0, 3.0, 1.0, 2.0, 9.0];
        let x = DMatrix::from_fn(6, 6, |i, j| match j {
            0 => 1.0,
            1 => a[i],
            2 => 2.0 * a[i] + 1.0,
            3 => b[i],
            4 => a[i] - b[i],
            _ => 0.0,
        });
        assert_eq!(aliased_columns(&x), vec![2, 4, 5]);
        assert!(aliased_columns(&DMatrix::identity(4, 3)).is_empty());
    }

    #[test]
    fn collinear_and_non_finite_designs_are_refused() {
        let x = DMatrix::from_fn(6, 3, |i, j| if j == 0 { 1.0 } else { i as f64 });
        let y = [false, true, false, true, true, false];
        assert_eq!(fit(&x, &y, 0.0), Err(NewtonError::Singular));
        let mut bad = design(&[0.0, 1.0, 2.0, 3.0]);
        bad[(2, 1)] = f64::NAN;
        assert_eq!(
            fit(&bad, &[false, true, false, true], 0.0),
            Err(NewtonError::NotFinite)
        );
    }
}
