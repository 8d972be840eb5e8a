//! Calibration of predicted probabilities: grouped (decile) curve, lowess-smoothed curve,
//! bootstrap bias-corrected (optimism-corrected) curve as in rms' `calibrate`, the
//! Hosmer–Lemeshow test and the Brier score.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use super::distributions::chi_square_upper;
use crate::stats::{approx, quantile_sorted, Ties};

/// One group of a grouped calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationGroup {
    /// Cases in the group.
    pub n: usize,
    /// Mean predicted probability of the group.
    pub predicted: f64,
    /// Observed share of positives in the group.
    pub observed: f64,
    /// Positives observed in the group.
    pub events: usize,
    /// Expected positives: the sum of the predicted probabilities.
    pub expected: f64,
}

/// Groups of predicted probabilities cut at their `g`-quantiles, as R's
/// `ResourceSelection::hoslem.test` cuts them: breaks are the distinct type-7 quantiles
/// `0, 1/g, …, 1`, intervals are right-closed and the first includes its lower end.
/// Groups that receive no case are left out.
pub fn quantile_groups(predicted: &[f64], outcome: &[bool], g: usize) -> Vec<CalibrationGroup> {
    if predicted.is_empty() || g == 0 {
        return Vec::new();
    }
    let mut sorted = predicted.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = (0..=g)
        .map(|k| quantile_sorted(&sorted, k as f64 / g as f64))
        .collect();
    breaks.dedup();
    let groups = (breaks.len() - 1).max(1);
    let mut n = vec![0usize; groups];
    let mut events = vec![0usize; groups];
    let mut expected = vec![0.0; groups];
    for (&p, &y) in predicted.iter().zip(outcome) {
        // group = first interval (b_k, b_k+1] holding p; the lowest value joins group 0
        let k = (0..groups)
            .find(|&k| p <= breaks[(k + 1).min(breaks.len() - 1)])
            .unwrap_or(groups - 1);
        n[k] += 1;
        events[k] += y as usize;
        expected[k] += p;
    }
    (0..groups)
        .filter(|&k| n[k] > 0)
        .map(|k| CalibrationGroup {
            n: n[k],
            predicted: expected[k] / n[k] as f64,
            observed: events[k] as f64 / n[k] as f64,
            events: events[k],
            expected: expected[k],
        })
        .collect()
}

/// The Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    /// Number of groups asked for (g).
    pub groups: usize,
    /// Statistic `Σ_k (O_k − E_k)² / E_k + (O'_k − E'_k)² / E'_k` over events and non-events.
    pub statistic: f64,
    /// Degrees of freedom, `g − 2`.
    pub df: usize,
    /// Upper-tail chi-square p value.
    pub p: f64,
}

/// Hosmer–Lemeshow test with `g` quantile groups ([`quantile_groups`]) and `df = g − 2`
/// (the convention of `ResourceSelection::hoslem.test`, also when ties merge groups).
pub fn hosmer_lemeshow(predicted: &[f64], outcome: &[bool], g: usize) -> HosmerLemeshow {
    let groups = quantile_groups(predicted, outcome, g);
    // statistic: squared deviations of observed from expected events and non-events
    let statistic: f64 = groups
        .iter()
        .map(|group| {
            let non_events = (group.n - group.events) as f64;
            let expected_non_events = group.n as f64 - group.expected;
            (group.events as f64 - group.expected).powi(2) / group.expected
                + (non_events - expected_non_events).powi(2) / expected_non_events
        })
        .sum();
    let df = g.saturating_sub(2);
    HosmerLemeshow {
        groups: g,
        statistic,
        df,
        p: chi_square_upper(statistic, df as f64),
    }
}

/// Brier score: the mean squared difference between predicted probability and outcome.
pub fn brier_score(predicted: &[f64], outcome: &[bool]) -> f64 {
    // Brier = (1/n) Σ (p_i − y_i)²
    predicted
        .iter()
        .zip(outcome)
        .map(|(&p, &y)| (p - y as u8 as f64).powi(2))
        .sum::<f64>()
        / predicted.len() as f64
}

/// R's `lowess(x, y, f, iter = 0)` (Cleveland's `clowess`, no robustness iterations), the
/// smoother of rms' `calibrate` for a binary outcome: returns `x` sorted (stably) and the
/// fitted value at each. Each fit is a straight line by weighted least squares with tricube
/// weights `(1 − (d/h)³)³` over the `⌊f n⌋` nearest observations (at least 2; ties on the right
/// included; weight 1 within `0.001 h`, 0 beyond `0.999 h`), `h` the distance to the farthest
/// of them; the slope is dropped when the weighted spread of `x` is below `0.001` of its range.
/// As R's default `delta = 0.01 · range(x)`, points within `delta` of the last fitted one are
/// not fitted but interpolated linearly, and tied `x` share one fit.
pub fn lowess(x: &[f64], y: &[f64], f: f64) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    if n < 2 {
        return (xs, ys);
    }
    let delta = 0.01 * (xs[n - 1] - xs[0]);
    // neighbourhood size ⌊f n⌋, between 2 and n
    let ns = ((f * n as f64 + 1e-7) as usize).clamp(2, n);
    let mut fitted = vec![0.0; n];
    let (mut left, mut right) = (0usize, ns - 1);
    let mut last: Option<usize> = None;
    let mut i = 0usize;
    loop {
        // move the window right while that brings its far end closer to x_i
        if right < n - 1 && xs[i] - xs[left] > xs[right + 1] - xs[i] {
            left += 1;
            right += 1;
            continue;
        }
        fitted[i] = local_line(&xs, &ys, xs[i], left, right).unwrap_or(ys[i]);
        // points skipped since the last fit: linear interpolation
        if let Some(l) = last {
            if l + 1 < i {
                let denom = xs[i] - xs[l];
                for j in l + 1..i {
                    let alpha = (xs[j] - xs[l]) / denom;
                    fitted[j] = alpha * fitted[i] + (1.0 - alpha) * fitted[l];
                }
            }
        }
        let mut l = i;
        let cut = xs[l] + delta;
        let mut next = l + 1;
        while next < n {
            if xs[next] > cut {
                break;
            }
            if xs[next] == xs[l] {
                fitted[next] = fitted[l];
                l = next;
            }
            next += 1;
        }
        last = Some(l);
        if l >= n - 1 {
            break;
        }
        i = (l + 1).max(next - 1);
    }
    (xs, fitted)
}

/// clowess' `lowest`: the local weighted line of sorted `xs`, `ys` at `x0` over the window
/// starting at `left` (`right` its nominal end, ties beyond it included); `None` when every
/// weight is 0.
fn local_line(xs: &[f64], ys: &[f64], x0: f64, left: usize, right: usize) -> Option<f64> {
    let n = xs.len();
    let range = xs[n - 1] - xs[0];
    let h = (x0 - xs[left]).max(xs[right] - x0);
    let (h9, h1) = (0.999 * h, 0.001 * h);
    let mut weights = Vec::new();
    let mut total = 0.0;
    for &xj in &xs[left..] {
        let r = (xj - x0).abs();
        if r <= h9 {
            // tricube weight
            let w = if r <= h1 {
                1.0
            } else {
                (1.0 - (r / h).powi(3)).powi(3)
            };
            weights.push(w);
            total += w;
        } else if xj > x0 {
            break;
        } else {
            weights.push(0.0);
        }
    }
    if total <= 0.0 {
        return None;
    }
    for w in &mut weights {
        *w /= total;
    }
    let window = left..left + weights.len();
    if h > 0.0 {
        // weighted centre a, spread c; slope b/c where the points are spread enough
        let a: f64 = weights
            .iter()
            .zip(&xs[window.clone()])
            .map(|(w, x)| w * x)
            .sum();
        let c: f64 = weights
            .iter()
            .zip(&xs[window.clone()])
            .map(|(w, x)| w * (x - a) * (x - a))
            .sum();
        if c.sqrt() > 0.001 * range {
            let b = (x0 - a) / c;
            for (w, x) in weights.iter_mut().zip(&xs[window.clone()]) {
                *w *= b * (x - a) + 1.0;
            }
        }
    }
    Some(weights.iter().zip(&ys[window]).map(|(w, y)| w * y).sum())
}

/// The lowess calibration curve of `(predicted, outcome)` read at `at`, as rms'
/// `calibrate` reads it: `approx(lowess(predicted, y, iter = 0), xout = at, ties = first)`;
/// NaN outside the range of `predicted`.
pub fn lowess_at(predicted: &[f64], outcome: &[f64], f: f64, at: &[f64]) -> Vec<f64> {
    let (xs, fitted) = lowess(predicted, outcome, f);
    approx(&xs, &fitted, Ties::First, at)
}

/// A smoothed and bias-corrected calibration curve on a grid of predicted probabilities, as
/// `rms::calibrate(fit, method = "boot")` computes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapCalibration {
    /// Grid of predicted probabilities: 50 values from the 5th to the (n − 4)th smallest
    /// prediction (rms' `predy`).
    pub grid: Vec<f64>,
    /// Apparent curve: lowess of the outcome on the prediction, at the grid
    /// (`calibrated.orig`).
    pub apparent: Vec<f64>,
    /// Bias-corrected curve: apparent minus the mean optimism (`calibrated.corrected`); NaN
    /// where no resample reached the grid point.
    pub corrected: Vec<f64>,
    /// Mean optimism at each grid point, over the resamples that reach it.
    pub optimism: Vec<f64>,
    /// Resamples that reach each grid point (rms' `n`): a grid point outside a resample's
    /// range of predictions (on the resample or on the original cases) is left out of that
    /// point's mean.
    pub counts: Vec<usize>,
    /// Bootstrap resamples whose refit succeeded.
    pub resamples: usize,
    /// Mean absolute error over the cases, as `print.calibrate` reports it: the mean of
    /// `|p_i − corrected(p_i)|`, the corrected curve interpolated at each case's prediction
    /// (cases outside the grid left out).
    pub mean_absolute_error: f64,
    /// Mean of `|corrected − grid|` over the grid points with a corrected value.
    pub grid_mean_absolute_error: f64,
}

/// Lowess span of the calibration curves (R's default `f = 2/3`).
pub const LOWESS_SPAN: f64 = 2.0 / 3.0;

/// rms' calibration grid: 50 values from the 5th to the (n − 4)th sorted prediction; `None`
/// for 10 or fewer cases (rms requires n > 10).
pub fn calibration_grid(predicted: &[f64]) -> Option<Vec<f64>> {
    let n = predicted.len();
    if n <= 10 {
        return None;
    }
    let mut sorted = predicted.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(super::pretty::sequence(sorted[4], sorted[n - 5], 50))
}

/// Bootstrap optimism correction of the lowess calibration curve (rms `calibrate`,
/// `method = "boot"`, rms 6.5). `refit(rows)` fits the model on the given rows of the original
/// data (drawn with replacement) and returns its predictions for every original row, or `None`
/// when that resample cannot be fitted (it is then skipped). For each of `resamples` draws, the
/// optimism at a grid point is the resample's calibration error minus the same fit's error on
/// the original rows, both read from a lowess curve by linear interpolation; a point outside
/// either curve's range is missing for that draw and left out of the point's mean, as rms does.
/// The corrected curve is the apparent curve minus the mean optimism (not clipped). `None` for
/// 10 or fewer cases.
///
/// The draws are taken in turn from one generator seeded with `seed`, the refits run in
/// parallel (rayon), and the optimism is summed in draw order: the result does not depend on
/// the number of threads.
pub fn bootstrap_calibration(
    predicted: &[f64],
    outcome: &[bool],
    refit: &(dyn Fn(&[usize]) -> Option<Vec<f64>> + Sync),
    resamples: usize,
    seed: u64,
) -> Option<BootstrapCalibration> {
    let n = predicted.len();
    let grid = calibration_grid(predicted)?;
    let y: Vec<f64> = outcome.iter().map(|&v| v as u8 as f64).collect();
    let apparent = lowess_at(predicted, &y, LOWESS_SPAN, &grid);
    let mut rng = StdRng::seed_from_u64(seed);
    let draws: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.gen_range(0..n)).collect())
        .collect();
    // optimism of each resample at the grid points (NaN where missing), `None` where the refit
    // failed
    let per_draw: Vec<Option<Vec<f64>>> = draws
        .par_iter()
        .map(|rows| {
            let fitted = refit(rows)?;
            let boot_p: Vec<f64> = rows.iter().map(|&i| fitted[i]).collect();
            let boot_y: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            // apparent calibration of the bootstrap fit on its own resample
            let on_resample = lowess_at(&boot_p, &boot_y, LOWESS_SPAN, &grid);
            // test calibration of the same fit on the original rows
            let on_original = lowess_at(&fitted, &y, LOWESS_SPAN, &grid);
            Some(
                on_resample
                    .iter()
                    .zip(&on_original)
                    .map(|(r, o)| r - o)
                    .collect(),
            )
        })
        .collect();
    let mut optimism = vec![0.0; grid.len()];
    let mut counts = vec![0usize; grid.len()];
    let mut done = 0usize;
    for draw in per_draw.iter().flatten() {
        for ((total, count), o) in optimism.iter_mut().zip(&mut counts).zip(draw) {
            if !o.is_nan() {
                *total += o;
                *count += 1;
            }
        }
        done += 1;
    }
    for (o, &count) in optimism.iter_mut().zip(&counts) {
        *o = if count > 0 {
            *o / count as f64
        } else {
            f64::NAN
        };
    }
    let corrected: Vec<f64> = apparent.iter().zip(&optimism).map(|(a, o)| a - o).collect();
    Some(BootstrapCalibration {
        mean_absolute_error: case_mean_absolute_error(predicted, &grid, &corrected),
        grid_mean_absolute_error: grid_mean_absolute_error(&grid, &corrected),
        grid,
        apparent,
        corrected,
        optimism,
        counts,
        resamples: done,
    })
}

/// `print.calibrate`'s mean absolute error: `mean |p_i − approx(grid, corrected, p_i)|` over
/// the cases inside the grid (ties averaged).
fn case_mean_absolute_error(predicted: &[f64], grid: &[f64], corrected: &[f64]) -> f64 {
    let at = approx(grid, corrected, Ties::Mean, predicted);
    let errors: Vec<f64> = predicted
        .iter()
        .zip(&at)
        .filter(|(_, c)| !c.is_nan())
        .map(|(p, c)| (p - c).abs())
        .collect();
    errors.iter().sum::<f64>() / errors.len().max(1) as f64
}

/// Mean `|corrected − grid|` over the grid points with a corrected value.
fn grid_mean_absolute_error(grid: &[f64], corrected: &[f64]) -> f64 {
    let errors: Vec<f64> = grid
        .iter()
        .zip(corrected)
        .filter(|(_, c)| !c.is_nan())
        .map(|(g, c)| (c - g).abs())
        .collect();
    errors.iter().sum::<f64>() / errors.len().max(1) as f64
}
