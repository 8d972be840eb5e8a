//! Minimum-redundancy maximum-relevance ranking (Peng, Long & Ding 2005), quotient form, as the
//! `mrmr-selection` package's `mrmr_classif` computes it with its defaults:
//!
//! * relevance of feature `f`: the one-way ANOVA F statistic of `f` between the two classes,
//!   `F = [Σ_g n_g (x̄_g − x̄)² / (G − 1)] / [Σ_g Σ_{i∈g} (x_i − x̄_g)² / (n − G)]`;
//!   features with F ≤ 0 (or undefined) are never selected;
//! * redundancy of `f` at step `s`: the mean over the already selected features `g` of
//!   `max(|r(f, g)|, 0.001)`, with `r` Pearson's correlation (0 where undefined);
//! * score = relevance / redundancy (relevance alone at the first step; a redundancy of exactly
//!   1 gives a score of 0); the highest score is selected, ties to the earlier column.

use ndarray::{ArrayView1, ArrayView2, Axis};
use serde::Serialize;

/// Floor of the absolute correlation used as redundancy (`mrmr.main.FLOOR`).
const FLOOR: f64 = 0.001;

/// Result of an mRMR ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mrmr {
    /// Selected column indices, in selection order.
    pub order: Vec<usize>,
    /// F statistic of every input column.
    pub relevance: Vec<f64>,
    /// Score (relevance / mean redundancy) with which each selected column won its step.
    pub scores: Vec<f64>,
}

/// One-way ANOVA F statistic of `x` between the classes of `labels`.
pub fn f_statistic(x: ArrayView1<f64>, labels: &[bool]) -> f64 {
    let n = x.len() as f64;
    let mut sums = [0.0; 2];
    let mut counts = [0.0; 2];
    for (&v, &l) in x.iter().zip(labels) {
        sums[l as usize] += v;
        counts[l as usize] += 1.0;
    }
    let groups = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    // x̄ = Σ x / n
    let grand = (sums[0] + sums[1]) / n;
    let means = [sums[0] / counts[0], sums[1] / counts[1]];
    // SS between = Σ_g n_g (x̄_g − x̄)²
    let between: f64 = (0..2)
        .filter(|&g| counts[g] > 0.0)
        .map(|g| counts[g] * (means[g] - grand).powi(2))
        .sum();
    // SS within = Σ_i (x_i − x̄_{g(i)})²
    let within: f64 = x
        .iter()
        .zip(labels)
        .map(|(&v, &l)| (v - means[l as usize]).powi(2))
        .sum();
    // F = (SSB / (G − 1)) / (SSW / (n − G))
    (between / (groups - 1.0)) / (within / (n - groups))
}

/// Pearson correlation of two columns; 0 where undefined (a constant column).
pub fn pearson(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    let n = a.len() as f64;
    let mean_a = a.sum() / n;
    let mean_b = b.sum() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        sab += (x - mean_a) * (y - mean_b);
        saa += (x - mean_a) * (x - mean_a);
        sbb += (y - mean_b) * (y - mean_b);
    }
    // r = Σ (a − ā)(b − b̄) / √(Σ (a − ā)² Σ (b − b̄)²)
    let r = sab / (saa * sbb).sqrt();
    if r.is_finite() {
        r
    } else {
        0.0
    }
}

/// Rank up to `k` columns of `x` (rows = training cases) by mRMR against `labels`.
pub fn mrmr(x: ArrayView2<f64>, labels: &[bool], k: usize) -> Mrmr {
    let relevance: Vec<f64> = x
        .axis_iter(Axis(1))
        .map(|c| f_statistic(c, labels))
        .collect();
    let mut candidates: Vec<usize> = (0..x.ncols())
        .filter(|&j| relevance[j].is_finite() && relevance[j] > 0.0)
        .collect();
    // redundancy_sum[j] = Σ over selected g of max(|r(j, g)|, FLOOR)
    let mut redundancy_sum = vec![0.0; x.ncols()];
    let mut order = Vec::new();
    let mut scores = Vec::new();
    while order.len() < k && !candidates.is_empty() {
        let mut best: Option<(usize, f64)> = None;
        for (position, &j) in candidates.iter().enumerate() {
            let score = if order.is_empty() {
                relevance[j]
            } else {
                // redundancy = mean of the floored absolute correlations
                let redundancy = redundancy_sum[j] / order.len() as f64;
                if redundancy == 1.0 {
                    0.0
                } else {
                    relevance[j] / redundancy
                }
            };
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((position, score));
            }
        }
        let Some((position, score)) = best else { break };
        let chosen = candidates.remove(position);
        order.push(chosen);
        scores.push(score);
        for &j in &candidates {
            redundancy_sum[j] += pearson(x.column(j), x.column(chosen)).abs().max(FLOOR);
        }
    }
    Mrmr {
        order,
        relevance,
        scores,
    }
}
