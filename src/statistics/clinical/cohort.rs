//! The cohort table: clinical variables by outcome group, with a test per variable. Numeric
//! variables: median (IQR) and the Mann–Whitney U test (normal approximation with tie and
//! continuity correction, as R's `wilcox.test(exact = FALSE)`). Categorical variables: counts
//! (%) and Pearson's chi-square test without continuity correction, or Fisher's exact test for
//! a 2×2 table with an expected count below 5.

use serde::Serialize;

use crate::evaluate::distributions::{chi_square_upper, fisher_exact, normal_two_sided};
use crate::stats::quantile_sorted;

/// One row of the cohort table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    /// Variable (or `variable: level`).
    pub variable: String,
    /// Summary among negative cases.
    pub negative: String,
    /// Summary among positive cases.
    pub positive: String,
    /// p value (on the variable's first row only).
    pub p: Option<f64>,
    /// Test used.
    pub test: String,
}

/// Mann–Whitney U test p value of two samples.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let ranks = crate::model::metrics::midranks(&all);
    // U = R₁ − n₁ (n₁ + 1) / 2
    let u = ranks[..a.len()].iter().sum::<f64>() - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    // tie term Σ (t³ − t)
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    // σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n (n − 1)))
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    let d = u - n1 * n2 / 2.0;
    // continuity correction of 0.5 towards zero
    let z = (d - 0.5 * d.signum()) / sigma;
    if sigma > 0.0 {
        normal_two_sided(z)
    } else {
        1.0
    }
}

/// Chi-square (or Fisher) test of a levels × 2 table of counts `[negative, positive]`;
/// returns the p value and the test's name.
pub fn categorical_test(counts: &[[u64; 2]]) -> (f64, &'static str) {
    let total: u64 = counts.iter().map(|c| c[0] + c[1]).sum();
    let columns = [
        counts.iter().map(|c| c[0]).sum::<u64>(),
        counts.iter().map(|c| c[1]).sum::<u64>(),
    ];
    // expected count = row total × column total / n
    let expected = |r: usize, c: usize| {
        (counts[r][0] + counts[r][1]) as f64 * columns[c] as f64 / total as f64
    };
    let small = (0..counts.len()).any(|r| (0..2).any(|c| expected(r, c) < 5.0));
    if counts.len() == 2 && small {
        let p = fisher_exact(counts[0][0], counts[0][1], counts[1][0], counts[1][1]);
        return (p, "Fisher exact");
    }
    // Pearson X² = Σ (O − E)² / E, df = (levels − 1)
    let statistic: f64 = (0..counts.len())
        .flat_map(|r| (0..2).map(move |c| (r, c)))
        .filter(|&(r, c)| expected(r, c) > 0.0)
        .map(|(r, c)| (counts[r][c] as f64 - expected(r, c)).powi(2) / expected(r, c))
        .sum();
    (
        chi_square_upper(statistic, (counts.len() - 1) as f64),
        "chi-square",
    )
}

/// Median and interquartile range (type-7 quantiles) as `median (q1–q3)`.
pub fn median_iqr(values: &[f64]) -> String {
    if values.is_empty() {
        return "–".into();
    }
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| quantile_sorted(&s, p);
    format!("{:.4} ({:.4}–{:.4})", q(0.5), q(0.25), q(0.75))
}
