//! Calibration of predicted probabilities: grouped (decile) curve, lowess-smoothed curve,
//! bootstrap bias-corrected (optimism-corrected) curve as in rms' `calibrate`, the
//! Hosmer–Lemeshow test and the Brier score.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use super::distributions::chi_square_upper;
use crate::stats::quantile_sorted;

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

/// Lowess smoother without robustness iterations (R's `lowess(x, y, f, iter = 0)`, the form
/// rms' `calibrate` uses for a binary outcome), evaluated at `at`: at each point a straight
/// line fitted by least squares with tricube weights `(1 − (d/h)³)³` on the `⌈f n⌉` nearest
/// observations (`⌊f n⌋`), `h` the distance to the farthest of them.
pub fn lowess_at(x: &[f64], y: &[f64], f: f64, at: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    // neighbourhood size r = ⌊f n⌋ (R's clowess), at least 2
    let r = ((f * n as f64 + 1e-7) as usize).clamp(2.min(n), n);
    at.iter()
        .map(|&x0| {
            // the r nearest observations form a window [lo, lo + r) of the sorted x
            let mut lo = xs.partition_point(|&v| v < x0).saturating_sub(r).min(n - r);
            while lo + r < n && x0 - xs[lo] > xs[lo + r] - x0 {
                lo += 1;
            }
            let h = (x0 - xs[lo]).max(xs[lo + r - 1] - x0);
            let (mut sw, mut swx, mut swy, mut swxx, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            // clowess: from the window's left end, take points within 0.999 h (ties on the
            // right included), weight 1 within 0.001 h
            for j in lo..n {
                let d = (xs[j] - x0).abs();
                if d > 0.999 * h {
                    if xs[j] > x0 {
                        break;
                    }
                    continue;
                }
                // tricube weight of observation j
                let w = if d <= 0.001 * h {
                    1.0
                } else {
                    (1.0 - (d / h).powi(3)).powi(3)
                };
                sw += w;
                swx += w * xs[j];
                swy += w * ys[j];
                swxx += w * xs[j] * xs[j];
                swxy += w * xs[j] * ys[j];
            }
            if sw <= 0.0 {
                return f64::NAN;
            }
            // weighted least-squares line: slope = Sxy / Sxx about the weighted means
            let mean_x = swx / sw;
            let mean_y = swy / sw;
            let sxx = swxx / sw - mean_x * mean_x;
            let sxy = swxy / sw - mean_x * mean_y;
            let scale = xs[n - 1] - xs[0];
            if sxx.sqrt() > 0.001 * scale {
                mean_y + sxy / sxx * (x0 - mean_x)
            } else {
                mean_y
            }
        })
        .collect()
}

/// A smoothed and bias-corrected calibration curve on a grid of predicted probabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapCalibration {
    /// Grid of predicted probabilities (from the smallest to the largest prediction).
    pub grid: Vec<f64>,
    /// Apparent curve: lowess of the outcome on the prediction, at the grid.
    pub apparent: Vec<f64>,
    /// Bias-corrected curve: apparent minus the mean bootstrap optimism.
    pub corrected: Vec<f64>,
    /// Mean optimism at each grid point.
    pub optimism: Vec<f64>,
    /// Bootstrap resamples whose refit succeeded.
    pub resamples: usize,
    /// Mean absolute error of the bias-corrected curve against the identity.
    pub mean_absolute_error: f64,
}

/// Lowess span of the calibration curves (R's default `f = 2/3`).
pub const LOWESS_SPAN: f64 = 2.0 / 3.0;

/// Bootstrap optimism correction of the lowess calibration curve (rms `calibrate`,
/// `method = "boot"`). `refit(rows)` fits the model on the given rows of the original data
/// (drawn with replacement) and returns its predictions for every original row, or `None`
/// when that resample cannot be fitted (it is then skipped). For each of `resamples` draws,
/// optimism(x) = calibration on the resample − calibration of the same fit on the original
/// rows; the corrected curve is the apparent curve minus the mean optimism.
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
) -> BootstrapCalibration {
    let n = predicted.len();
    let y: Vec<f64> = outcome.iter().map(|&v| v as u8 as f64).collect();
    let low = predicted.iter().copied().fold(f64::INFINITY, f64::min);
    let high = predicted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // grid of 50 equally spaced predicted probabilities
    let grid: Vec<f64> = (0..50)
        .map(|k| low + (high - low) * k as f64 / 49.0)
        .collect();
    let apparent = lowess_at(predicted, &y, LOWESS_SPAN, &grid);
    let mut rng = StdRng::seed_from_u64(seed);
    let draws: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.gen_range(0..n)).collect())
        .collect();
    // optimism of each resample at the grid points, `None` where the refit failed
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
    let mut done = 0usize;
    for draw in per_draw.iter().flatten() {
        for (total, o) in optimism.iter_mut().zip(draw) {
            *total += o;
        }
        done += 1;
    }
    for o in &mut optimism {
        *o /= done.max(1) as f64;
    }
    let corrected: Vec<f64> = apparent
        .iter()
        .zip(&optimism)
        .map(|(a, o)| (a - o).clamp(0.0, 1.0))
        .collect();
    // mean |corrected − predicted| over the grid
    let mean_absolute_error = corrected
        .iter()
        .zip(&grid)
        .map(|(c, g)| (c - g).abs())
        .sum::<f64>()
        / grid.len() as f64;
    BootstrapCalibration {
        grid,
        apparent,
        corrected,
        optimism,
        resamples: done,
        mean_absolute_error,
    }
}
