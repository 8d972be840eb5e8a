//! Discrimination and classification metrics: AUC with its DeLong variance and confidence
//! interval, paired DeLong tests, the Youden cutoff and the confusion-matrix rates at a cutoff.
//!
//! Let `m` be the number of positive cases with scores `X_1..X_m` and `n` the number of negative
//! cases with scores `Y_1..Y_n`, and `ψ(x, y) = 1` if `x > y`, `1/2` if `x = y`, `0` otherwise.
//!
//! * AUC `= (1 / m n) Σ_i Σ_j ψ(X_i, Y_j)` (the Mann–Whitney statistic).
//! * DeLong's structural components: `V10_i = (1/n) Σ_j ψ(X_i, Y_j)` for each positive and
//!   `V01_j = (1/m) Σ_i ψ(X_i, Y_j)` for each negative. Following Sun & Xu (2014, "Fast
//!   implementation of DeLong's algorithm", IEEE Signal Processing Letters 21:1389) they are
//!   computed from midranks: `V10_i = (Z_i − R_i) / n` where `Z_i` is the midrank of `X_i` among
//!   all cases and `R_i` its midrank among the positives, and `V01_j = 1 − (Z_j − R_j) / m`.
//! * `Var(AUC) = S10 / m + S01 / n` with `S10`, `S01` the sample variances (denominator `m − 1`,
//!   `n − 1`) of the components; for two models on the same cases the covariance uses sample
//!   covariances in the same way.
//! * 95% CI `= AUC ± 1.959964 √Var`, clipped to [0, 1] (as pROC does).
//! * Paired test: `z = (AUC_a − AUC_b) / √(Var_a + Var_b − 2 Cov_ab)`, two-sided `p = erfc(|z|/√2)`.

use serde::Serialize;

/// The 97.5% quantile of the standard normal distribution (scipy.stats.norm.ppf(0.975)).
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Midranks (1-based, ties get the mean of their ranks) of `values`.
pub fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        // midrank of a tie group spanning positions start..=end (0-based) = mean of 1-based ranks
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = rank;
        }
        start = end + 1;
    }
    ranks
}

/// The AUC as an exact fraction: `numerator / denominator` with numerator `2 × wins + ties`
/// and denominator `2 m n`, counted over all positive–negative pairs.
pub fn auc_fraction(scores: &[f64], labels: &[bool]) -> (u64, u64) {
    let positives: Vec<f64> = pick(scores, labels, true);
    let mut negatives: Vec<f64> = pick(scores, labels, false);
    negatives.sort_by(f64::total_cmp);
    let mut doubled = 0u64;
    for x in &positives {
        // negatives strictly below x count twice (a win), equal ones once (a tie)
        let below = negatives.partition_point(|y| y < x) as u64;
        let not_above = negatives.partition_point(|y| y <= x) as u64;
        doubled += 2 * below + (not_above - below);
    }
    (doubled, 2 * positives.len() as u64 * negatives.len() as u64)
}

fn pick(scores: &[f64], labels: &[bool], class: bool) -> Vec<f64> {
    scores
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l == class)
        .map(|(&s, _)| s)
        .collect()
}

/// DeLong's structural components of one model's scores on one cohort.
#[derive(Debug, Clone)]
pub struct DelongComponents {
    /// AUC of the scores.
    pub auc: f64,
    /// `V10_i`, one per positive case (in the order the positives appear).
    pub v10: Vec<f64>,
    /// `V01_j`, one per negative case.
    pub v01: Vec<f64>,
}

impl DelongComponents {
    /// Components of `scores` against `labels` (true = positive). Needs at least two cases of
    /// each class; returns `None` otherwise.
    pub fn new(scores: &[f64], labels: &[bool]) -> Option<Self> {
        let positives = pick(scores, labels, true);
        let negatives = pick(scores, labels, false);
        let (m, n) = (positives.len(), negatives.len());
        if m < 2 || n < 2 {
            return None;
        }
        let all: Vec<f64> = positives.iter().chain(&negatives).copied().collect();
        let z = midranks(&all);
        let rx = midranks(&positives);
        let ry = midranks(&negatives);
        // V10_i = (Z_i − R_i) / n: the share of negatives below positive i (ties half)
        let v10: Vec<f64> = (0..m).map(|i| (z[i] - rx[i]) / n as f64).collect();
        // V01_j = 1 − (Z_j − R_j) / m: the share of positives above negative j (ties half)
        let v01: Vec<f64> = (0..n)
            .map(|j| 1.0 - (z[m + j] - ry[j]) / m as f64)
            .collect();
        // AUC = (Σ Z_i over positives − m(m+1)/2) / (m n)
        let rank_sum: f64 = z[..m].iter().sum();
        let auc = (rank_sum - (m * (m + 1)) as f64 / 2.0) / (m * n) as f64;
        Some(DelongComponents { auc, v10, v01 })
    }

    /// DeLong variance of the AUC.
    pub fn variance(&self) -> f64 {
        self.covariance(self)
    }

    /// DeLong covariance of this AUC and another model's AUC on the same cases.
    pub fn covariance(&self, other: &DelongComponents) -> f64 {
        // Cov = S10(a,b) / m + S01(a,b) / n
        sample_covariance(&self.v10, &other.v10) / self.v10.len() as f64
            + sample_covariance(&self.v01, &other.v01) / self.v01.len() as f64
    }

    /// The 95% DeLong confidence interval, clipped to [0, 1].
    pub fn confidence_interval(&self) -> (f64, f64) {
        let half = Z_975 * self.variance().max(0.0).sqrt();
        ((self.auc - half).max(0.0), (self.auc + half).min(1.0))
    }
}

fn sample_covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let mean_a = a.iter().sum::<f64>() / n;
    let mean_b = b.iter().sum::<f64>() / n;
    // s_ab = Σ (a − ā)(b − b̄) / (n − 1)
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - mean_a) * (y - mean_b))
        .sum::<f64>()
        / (n - 1.0)
}

/// A paired DeLong test of two AUCs on the same cases.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DelongTest {
    /// AUC of the first model.
    pub auc_a: f64,
    /// AUC of the second model.
    pub auc_b: f64,
    /// z statistic (NaN when both score sets give identical components).
    pub z: f64,
    /// Two-sided p value (1 when the AUC difference has zero variance and is zero).
    pub p: f64,
}

/// Paired DeLong test of `a` against `b` (components of the same cohort).
pub fn delong_test(a: &DelongComponents, b: &DelongComponents) -> DelongTest {
    // Var(AUC_a − AUC_b) = Var_a + Var_b − 2 Cov_ab
    let variance = a.variance() + b.variance() - 2.0 * a.covariance(b);
    let difference = a.auc - b.auc;
    let (z, p) = if variance > 0.0 {
        let z = difference / variance.sqrt();
        (z, libm::erfc(z.abs() / std::f64::consts::SQRT_2))
    } else if difference == 0.0 {
        (f64::NAN, 1.0)
    } else {
        (f64::NAN, 0.0)
    };
    DelongTest {
        auc_a: a.auc,
        auc_b: b.auc,
        z,
        p,
    }
}

/// The Youden-optimal cutoff: the training score `c` maximising sensitivity + specificity − 1
/// when cases with score ≥ `c` are called positive. Ties go to the highest such cutoff.
pub fn youden_cutoff(scores: &[f64], labels: &[bool]) -> f64 {
    let mut cutoffs: Vec<f64> = scores.to_vec();
    cutoffs.sort_by(|a, b| b.total_cmp(a));
    cutoffs.dedup();
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    for &c in &cutoffs {
        let rates = Confusion::at(scores, labels, c);
        // J = sensitivity + specificity − 1
        let j = rates.sensitivity() + rates.specificity() - 1.0;
        if j > best.0 {
            best = (j, c);
        }
    }
    best.1
}

/// Counts of a 2×2 confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confusion {
    /// Positives called positive.
    pub true_positive: usize,
    /// Negatives called positive.
    pub false_positive: usize,
    /// Negatives called negative.
    pub true_negative: usize,
    /// Positives called negative.
    pub false_negative: usize,
}

impl Confusion {
    /// Confusion counts when cases with score ≥ `cutoff` are called positive.
    pub fn at(scores: &[f64], labels: &[bool], cutoff: f64) -> Self {
        let mut c = Confusion {
            true_positive: 0,
            false_positive: 0,
            true_negative: 0,
            false_negative: 0,
        };
        for (&s, &l) in scores.iter().zip(labels) {
            match (s >= cutoff, l) {
                (true, true) => c.true_positive += 1,
                (true, false) => c.false_positive += 1,
                (false, false) => c.true_negative += 1,
                (false, true) => c.false_negative += 1,
            }
        }
        c
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    }

    /// Accuracy = (TP + TN) / all.
    pub fn accuracy(&self) -> f64 {
        Self::ratio(
            self.true_positive + self.true_negative,
            self.true_positive + self.true_negative + self.false_positive + self.false_negative,
        )
    }

    /// Sensitivity = TP / (TP + FN).
    pub fn sensitivity(&self) -> f64 {
        Self::ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    /// Specificity = TN / (TN + FP).
    pub fn specificity(&self) -> f64 {
        Self::ratio(self.true_negative, self.true_negative + self.false_positive)
    }

    /// Positive predictive value = TP / (TP + FP).
    pub fn ppv(&self) -> f64 {
        Self::ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    /// Negative predictive value = TN / (TN + FN).
    pub fn npv(&self) -> f64 {
        Self::ratio(self.true_negative, self.true_negative + self.false_negative)
    }

    /// F1 = 2 TP / (2 TP + FP + FN).
    pub fn f1(&self) -> f64 {
        Self::ratio(
            2 * self.true_positive,
            2 * self.true_positive + self.false_positive + self.false_negative,
        )
    }
}

/// Every metric of one model on one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct CohortMetrics {
    /// Number of cases.
    pub n: usize,
    /// Number of positive cases.
    pub positives: usize,
    /// AUC.
    pub auc: f64,
    /// DeLong standard error of the AUC (NaN with fewer than two cases of a class).
    pub auc_se: f64,
    /// Lower end of the 95% DeLong CI.
    pub auc_ci_low: f64,
    /// Upper end of the 95% DeLong CI.
    pub auc_ci_high: f64,
    /// The cutoff used (the training Youden cutoff).
    pub cutoff: f64,
    /// Accuracy at the cutoff.
    pub accuracy: f64,
    /// Sensitivity at the cutoff.
    pub sensitivity: f64,
    /// Specificity at the cutoff.
    pub specificity: f64,
    /// PPV at the cutoff.
    pub ppv: f64,
    /// NPV at the cutoff.
    pub npv: f64,
    /// F1 at the cutoff.
    pub f1: f64,
}

impl CohortMetrics {
    /// Metrics of `scores` against `labels` at `cutoff`.
    pub fn new(scores: &[f64], labels: &[bool], cutoff: f64) -> Self {
        let confusion = Confusion::at(scores, labels, cutoff);
        let (auc, auc_se, (low, high)) = match DelongComponents::new(scores, labels) {
            Some(c) => (c.auc, c.variance().max(0.0).sqrt(), c.confidence_interval()),
            None => {
                let (num, den) = auc_fraction(scores, labels);
                let auc = if den == 0 {
                    f64::NAN
                } else {
                    num as f64 / den as f64
                };
                (auc, f64::NAN, (f64::NAN, f64::NAN))
            }
        };
        CohortMetrics {
            n: scores.len(),
            positives: labels.iter().filter(|&&l| l).count(),
            auc,
            auc_se,
            auc_ci_low: low,
            auc_ci_high: high,
            cutoff,
            accuracy: confusion.accuracy(),
            sensitivity: confusion.sensitivity(),
            specificity: confusion.specificity(),
            ppv: confusion.ppv(),
            npv: confusion.npv(),
            f1: confusion.f1(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn auc_counts_ties_half() {
        // positives 0.8, 0.4; negatives 0.4, 0.1: pairs 1 + 1 + 0.5 + 1 = 3.5 of 4
        let scores = [0.8, 0.4, 0.4, 0.1];
        let labels = [true, true, false, false];
        assert_eq!(auc_fraction(&scores, &labels), (7, 8));
        let c = DelongComponents::new(&scores, &labels).unwrap();
        assert_eq!(c.auc, 0.875);
        assert_eq!(c.v10, vec![1.0, 0.75]);
        assert_eq!(c.v01, vec![0.75, 1.0]);
    }

    #[test]
    fn youden_picks_best_threshold() {
        let scores = [0.9, 0.8, 0.7, 0.3, 0.2, 0.6];
        let labels = [true, true, true, false, false, false];
        // at 0.7: sens 1, spec 1 → J = 1
        assert_eq!(youden_cutoff(&scores, &labels), 0.7);
        let c = Confusion::at(&scores, &labels, 0.7);
        assert_eq!(c.accuracy(), 1.0);
        assert_eq!(c.f1(), 1.0);
    }
}
