//! Random forest of CART classification trees (Breiman 2001), written here because
//! `linfa-trees` breaks ties between equally weighted classes in a leaf by hash-map order, so
//! its forests differ from run to run with the same seed.
//!
//! **Tree** (as scikit-learn's `DecisionTreeClassifier` with `criterion="gini"`). A node of `N`
//! samples, `N₁` of them positive, has Gini impurity `1 − (N₁/N)² − (N₀/N)²`. It becomes a leaf
//! when it is pure, holds fewer than 2 samples, or lies at the depth limit; otherwise it is split
//! at the feature and threshold that minimise the size-weighted impurity of the two children,
//! `N_L G_L + N_R G_R`, over all midpoints `(v_i + v_{i+1}) / 2` between consecutive distinct
//! values of each candidate feature (ties go to the earlier feature, then the lower threshold).
//! A sample goes left when its value is ≤ the threshold. A leaf scores `N₁ / N`.
//!
//! **Forest.** Tree `t` draws, from one generator seeded with the forest's seed, `n` bootstrap
//! samples (with replacement) and then `⌈share × p⌉` of the `p` features (without replacement),
//! and is grown on those. The forest's score is the mean leaf score of its trees (scikit-learn's
//! `predict_proba`).
//!
//! | Setting | Purpose |
//! | --- | --- |
//! | `trees` | number of trees |
//! | `max_depth` | depth limit (`None`: grow until the leaves are pure) |
//! | `feature_share` | share of the features each tree sees |

use ndarray::ArrayView2;
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

/// A node of a fitted tree.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Terminal node with its share of positive samples.
    Leaf { score: f64 },
    /// `x[feature] ≤ threshold` goes to `left`, otherwise to `right` (node indices).
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
}

/// A fitted CART classification tree.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTree {
    nodes: Vec<Node>,
}

/// The samples of a node, sorted by each candidate feature.
struct Sorted {
    /// `by_feature[k]`: sample numbers sorted by the k-th candidate feature.
    by_feature: Vec<Vec<usize>>,
}

/// The data a tree is grown on: `rows[s]` is the matrix row of sample `s`.
struct Growth<'x, 'a> {
    x: ArrayView2<'x, f64>,
    y: &'a [bool],
    rows: &'a [usize],
    features: &'a [usize],
    max_depth: Option<usize>,
}

impl Growth<'_, '_> {
    fn value(&self, sample: usize, feature: usize) -> f64 {
        self.x[[self.rows[sample], feature]]
    }

    fn positive(&self, sample: usize) -> bool {
        self.y[self.rows[sample]]
    }

    /// Grow the subtree of the samples in `sorted`, appending its nodes; returns its root.
    fn grow(&self, sorted: Sorted, depth: usize, nodes: &mut Vec<Node>) -> usize {
        let samples = &sorted.by_feature[0];
        let n = samples.len();
        let positives = samples.iter().filter(|&&s| self.positive(s)).count();
        let here = nodes.len();
        // leaf score N₁ / N
        nodes.push(Node::Leaf {
            score: positives as f64 / n as f64,
        });
        let at_limit = self.max_depth.is_some_and(|d| depth >= d);
        if positives == 0 || positives == n || n < 2 || at_limit {
            return here;
        }
        let Some((k, threshold)) = self.best_split(&sorted, positives) else {
            return here;
        };
        let feature = self.features[k];
        let mut goes_left = vec![false; self.rows.len()];
        for &s in samples {
            goes_left[s] = self.value(s, feature) <= threshold;
        }
        // each feature's order is kept by a stable partition
        let (left, right): (Vec<Vec<usize>>, Vec<Vec<usize>>) = sorted
            .by_feature
            .into_iter()
            .map(|order| order.into_iter().partition(|&s| goes_left[s]))
            .unzip();
        let left = self.grow(Sorted { by_feature: left }, depth + 1, nodes);
        let right = self.grow(Sorted { by_feature: right }, depth + 1, nodes);
        nodes[here] = Node::Split {
            feature,
            threshold,
            left,
            right,
        };
        here
    }

    /// The candidate feature (index into `features`) and threshold of the best split.
    fn best_split(&self, sorted: &Sorted, positives: usize) -> Option<(usize, f64)> {
        let n = sorted.by_feature[0].len();
        let total = [(n - positives) as f64, positives as f64];
        // minimising N_L G_L + N_R G_R = N − Σ_c N_Lc² / N_L − Σ_c N_Rc² / N_R is maximising
        // the purity Σ_c N_Lc² / N_L + Σ_c N_Rc² / N_R
        let mut best: Option<(f64, usize, f64)> = None;
        for (k, order) in sorted.by_feature.iter().enumerate() {
            let feature = self.features[k];
            let mut left = [0.0f64; 2];
            for i in 0..n - 1 {
                left[usize::from(self.positive(order[i]))] += 1.0;
                let (v, next) = (
                    self.value(order[i], feature),
                    self.value(order[i + 1], feature),
                );
                if v == next {
                    continue;
                }
                let n_left = (i + 1) as f64;
                let n_right = (n - i - 1) as f64;
                let right = [total[0] - left[0], total[1] - left[1]];
                let purity = (left[0] * left[0] + left[1] * left[1]) / n_left
                    + (right[0] * right[0] + right[1] * right[1]) / n_right;
                if best.is_none_or(|(b, _, _)| purity > b) {
                    // midpoint, or the lower value when the midpoint rounds up to the upper
                    let mid = v / 2.0 + next / 2.0;
                    let threshold = if mid >= next { v } else { mid };
                    best = Some((purity, k, threshold));
                }
            }
        }
        best.map(|(_, k, threshold)| (k, threshold))
    }
}

impl DecisionTree {
    /// Grow a tree on the samples `rows` of `x` (a row may repeat), splitting on the columns
    /// `features` only.
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[bool],
        rows: &[usize],
        features: &[usize],
        max_depth: Option<usize>,
    ) -> Self {
        let growth = Growth {
            x,
            y,
            rows,
            features,
            max_depth,
        };
        let by_feature = features
            .iter()
            .map(|&f| {
                let mut order: Vec<usize> = (0..rows.len()).collect();
                order.sort_by(|&a, &b| growth.value(a, f).total_cmp(&growth.value(b, f)));
                order
            })
            .collect();
        let mut nodes = Vec::new();
        if !rows.is_empty() && !features.is_empty() {
            growth.grow(Sorted { by_feature }, 0, &mut nodes);
        }
        DecisionTree { nodes }
    }

    /// The leaf score (share of positive training samples) of every row of `x`; NaN for an
    /// empty tree.
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| {
                let mut node = 0;
                loop {
                    match self.nodes.get(node) {
                        Some(Node::Leaf { score }) => return *score,
                        Some(&Node::Split {
                            feature,
                            threshold,
                            left,
                            right,
                        }) => {
                            node = if row[feature] <= threshold {
                                left
                            } else {
                                right
                            }
                        }
                        None => return f64::NAN,
                    }
                }
            })
            .collect()
    }
}

/// A fitted random forest.
#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    trees: Vec<DecisionTree>,
}

impl Forest {
    /// Grow `trees` trees on `x`, `y` (see the module doc); every random draw comes from `seed`.
    /// Without cases or features the forest is empty and scores NaN.
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[bool],
        trees: usize,
        max_depth: Option<usize>,
        feature_share: f64,
        seed: u64,
    ) -> Self {
        let (n, p) = x.dim();
        if n == 0 || p == 0 {
            return Forest { trees: Vec::new() };
        }
        // features per tree = ⌈share × p⌉, at least 1
        let per_tree = ((feature_share * p as f64).ceil() as usize).clamp(1, p);
        let mut rng = StdRng::seed_from_u64(seed);
        let trees = (0..trees)
            .map(|_| {
                let rows: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
                let mut features = sample(&mut rng, p, per_tree).into_vec();
                features.sort_unstable();
                DecisionTree::fit(x, y, &rows, &features, max_depth)
            })
            .collect();
        Forest { trees }
    }

    /// Mean leaf score over the trees for every row of `x` (NaN for an empty forest).
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f64> {
        if self.trees.is_empty() {
            return vec![f64::NAN; x.nrows()];
        }
        let mut total = vec![0.0; x.nrows()];
        for tree in &self.trees {
            for (t, s) in total.iter_mut().zip(tree.predict(x)) {
                *t += s;
            }
        }
        // score = Σ_t leaf score_t / T
        let count = self.trees.len() as f64;
        total.iter().map(|t| t / count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn tree_separates_and_respects_depth() {
        let x = array![
            [1.0, 5.0],
            [2.0, 4.0],
            [3.0, 3.0],
            [4.0, 2.0],
            [5.0, 1.0],
            [6.0, 0.0]
        ];
        let y = [false, false, true, false, true, true];
        let all: Vec<usize> = (0..6).collect();
        let full = DecisionTree::fit(x.view(), &y, &all, &[0, 1], None);
        assert_eq!(full.predict(x.view()), vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        // one split at 2.5 on feature 0 (purity 2 + 2.5 = 4.5, ties to the earlier feature)
        let stump = DecisionTree::fit(x.view(), &y, &all, &[0, 1], Some(1));
        assert_eq!(
            stump.predict(array![[2.5, 0.0], [2.6, 9.0]].view()),
            vec![0.0, 0.75]
        );
    }

    #[test]
    fn forest_is_reproducible_from_its_seed() {
        let x = array![
            [0.1, 1.0],
            [0.4, 0.2],
            [0.5, 0.9],
            [0.9, 0.3],
            [0.3, 0.3],
            [0.8, 0.8]
        ];
        let y = [false, false, true, true, false, true];
        let a = Forest::fit(x.view(), &y, 25, Some(2), 0.5, 9);
        assert_eq!(a, Forest::fit(x.view(), &y, 25, Some(2), 0.5, 9));
        assert_ne!(a, Forest::fit(x.view(), &y, 25, Some(2), 0.5, 10));
        assert!(a.predict(x.view()).iter().all(|s| (0.0..=1.0).contains(s)));
    }

    #[test]
    fn forest_without_features_is_empty_and_scores_nan() {
        let x = Array2::<f64>::zeros((4, 0));
        let forest = Forest::fit(x.view(), &[false, true, false, true], 10, None, 0.5, 1);
        let scores = forest.predict(x.view());
        assert_eq!(scores.len(), 4);
        assert!(scores.iter().all(|s| s.is_nan()));
    }
}
