//! Intraclass correlation ICC(2,1): two-way random effects, absolute agreement, single
//! measurement (Shrout & Fleiss 1979, case 2; McGraw & Wong 1996, ICC(A,1)).
//!
//! For `n` targets (cases) rated by `k` raters (readers), with the two-way ANOVA mean squares
//! `MSR` (rows = targets), `MSC` (columns = raters) and `MSE` (residual):
//!
//! `ICC(2,1) = (MSR − MSE) / (MSR + (k − 1) MSE + k (MSC − MSE) / n)`.

use ndarray::ArrayView2;

/// ICC(2,1) of a ratings matrix with one row per target and one column per rater. Returns NaN
/// when fewer than two targets or raters are given, or when all ratings are equal.
pub fn icc_2_1(ratings: ArrayView2<f64>) -> f64 {
    let (n, k) = ratings.dim();
    if n < 2 || k < 2 {
        return f64::NAN;
    }
    let (nf, kf) = (n as f64, k as f64);
    // grand mean = Σ x / (n k)
    let grand = ratings.sum() / (nf * kf);
    let row_means: Vec<f64> = ratings.rows().into_iter().map(|r| r.sum() / kf).collect();
    let column_means: Vec<f64> = ratings
        .columns()
        .into_iter()
        .map(|c| c.sum() / nf)
        .collect();
    // SS rows = k Σ_i (row mean − grand)²
    let ss_rows = kf * row_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    // SS columns = n Σ_j (column mean − grand)²
    let ss_columns = nf
        * column_means
            .iter()
            .map(|m| (m - grand).powi(2))
            .sum::<f64>();
    // SS total = Σ (x − grand)²
    let ss_total = ratings.iter().map(|x| (x - grand).powi(2)).sum::<f64>();
    // SS error = SS total − SS rows − SS columns
    let ss_error = ss_total - ss_rows - ss_columns;
    // mean squares: MSR = SSR/(n−1), MSC = SSC/(k−1), MSE = SSE/((n−1)(k−1))
    let msr = ss_rows / (nf - 1.0);
    let msc = ss_columns / (kf - 1.0);
    let mse = ss_error / ((nf - 1.0) * (kf - 1.0));
    // ICC(2,1) = (MSR − MSE) / (MSR + (k−1) MSE + k (MSC − MSE)/n)
    let denominator = msr + (kf - 1.0) * mse + kf * (msc - mse) / nf;
    if denominator == 0.0 {
        f64::NAN
    } else {
        (msr - mse) / denominator
    }
}
