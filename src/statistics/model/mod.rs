//! The six classifiers of a study, their hyperparameter grids and their tuning by stratified
//! k-fold cross-validation inside the training cohort, and the metrics ([`metrics`]).
//!
//! Every classifier outputs a score in [0, 1] read as the probability of the positive class.
//!
//! | Model | Implementation | Grid (tuned by mean CV AUC; ties to the earlier entry) |
//! | --- | --- | --- |
//! | logistic regression | Newton–Raphson ([`crate::stats::logistic`]), L2 penalty `½‖w‖²/C` on Σ log-loss | C ∈ {0.01, 0.1, 1, 10, 100} |
//! | SVM, RBF kernel | `linfa-svm` (SMO), Platt-scaled probabilities | C ∈ {0.1, 1, 10} × γ ∈ {0.01, 0.1, 1}, kernel `exp(−γ‖x − x'‖²)` |
//! | k-nearest neighbours | `linfa-nn` k-d tree, Euclidean; score = share of positive neighbours | k ∈ {3, 5, 9, 15} |
//! | random forest | [`forest`] (bagged CART Gini trees, 200 trees, bootstrap of n cases, a random feature subset per tree; score = mean leaf share of positives) | max depth ∈ {3, unlimited} × feature share ∈ {√p/p, 0.5} |
//! | gradient-boosted trees | `forust-ml` (log-loss, histogram trees, serial) | iterations ∈ {50, 150} × learning rate ∈ {0.05, 0.2}, depth 3 |
//! | multilayer perceptron | [`mlp`] (one tanh layer, Adam) | hidden ∈ {4, 16} × α ∈ {10⁻³, 1} |

pub mod forest;
pub mod metrics;
pub mod mlp;

use forust_ml::{GradientBooster, Matrix};
use linfa::prelude::*;
use linfa::Dataset;
use linfa_nn::distance::L2Dist;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use linfa_svm::Svm;
use nalgebra::DMatrix;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::stats::{logistic, sigmoid, LinearModel};

use forest::Forest;
use metrics::auc_fraction;
use mlp::Mlp;

/// The classifier families of a study, in reporting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Logistic regression (L2-penalized, Newton–Raphson).
    LogisticRegression,
    /// Support vector machine with RBF kernel and Platt scaling (linfa-svm).
    Svm,
    /// k-nearest neighbours (linfa-nn).
    Knn,
    /// Random forest ([`forest`]).
    RandomForest,
    /// Gradient-boosted trees (forust-ml).
    GradientBoosting,
    /// Multilayer perceptron.
    Mlp,
}

impl ModelKind {
    /// All six, in reporting order.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::LogisticRegression,
        ModelKind::Svm,
        ModelKind::Knn,
        ModelKind::RandomForest,
        ModelKind::GradientBoosting,
        ModelKind::Mlp,
    ];

    /// Short name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::LogisticRegression => "logistic_regression",
            ModelKind::Svm => "svm_rbf",
            ModelKind::Knn => "knn",
            ModelKind::RandomForest => "random_forest",
            ModelKind::GradientBoosting => "gradient_boosting",
            ModelKind::Mlp => "mlp",
        }
    }

    /// The documented hyperparameter grid (see the module table).
    pub fn grid(self) -> Vec<Hyperparameters> {
        match self {
            ModelKind::LogisticRegression => [0.01, 0.1, 1.0, 10.0, 100.0]
                .iter()
                .map(|&c| Hyperparameters::LogisticRegression { c })
                .collect(),
            ModelKind::Svm => [0.1, 1.0, 10.0]
                .iter()
                .flat_map(|&c| {
                    [0.01, 0.1, 1.0]
                        .iter()
                        .map(move |&gamma| Hyperparameters::Svm { c, gamma })
                })
                .collect(),
            ModelKind::Knn => [3, 5, 9, 15]
                .iter()
                .map(|&k| Hyperparameters::Knn { k })
                .collect(),
            ModelKind::RandomForest => [Some(3), None]
                .iter()
                .flat_map(|&max_depth| {
                    [FeatureShare::Sqrt, FeatureShare::Half]
                        .iter()
                        .map(move |&features| Hyperparameters::RandomForest {
                            trees: 200,
                            max_depth,
                            features,
                        })
                })
                .collect(),
            ModelKind::GradientBoosting => [50, 150]
                .iter()
                .flat_map(|&iterations| {
                    [0.05, 0.2].iter().map(move |&learning_rate| {
                        Hyperparameters::GradientBoosting {
                            iterations,
                            learning_rate,
                            max_depth: 3,
                        }
                    })
                })
                .collect(),
            ModelKind::Mlp => [4, 16]
                .iter()
                .flat_map(|&hidden| {
                    [1e-3, 1.0]
                        .iter()
                        .map(move |&alpha| Hyperparameters::Mlp { hidden, alpha })
                })
                .collect(),
        }
    }
}

/// Share of the features each random-forest tree sees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureShare {
    /// √p of p features.
    Sqrt,
    /// Half of the features.
    Half,
}

/// One point of a hyperparameter grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Hyperparameters {
    /// Logistic regression with L2 penalty `½‖w‖² / C` added to the summed log-loss.
    LogisticRegression {
        /// Inverse penalty strength (scikit-learn's C).
        c: f64,
    },
    /// RBF support vector machine.
    Svm {
        /// Box constraint.
        c: f64,
        /// Kernel width γ in `exp(−γ‖x − x'‖²)`.
        gamma: f64,
    },
    /// k-nearest neighbours.
    Knn {
        /// Number of neighbours.
        k: usize,
    },
    /// Random forest.
    RandomForest {
        /// Number of trees.
        trees: usize,
        /// Depth limit (None = grow until pure).
        max_depth: Option<usize>,
        /// Features per tree.
        features: FeatureShare,
    },
    /// Gradient-boosted trees.
    GradientBoosting {
        /// Boosting rounds.
        iterations: usize,
        /// Shrinkage.
        learning_rate: f64,
        /// Tree depth.
        max_depth: usize,
    },
    /// Multilayer perceptron.
    Mlp {
        /// Hidden units.
        hidden: usize,
        /// L2 penalty α.
        alpha: f64,
    },
}

/// A fitted classifier.
pub enum Fitted {
    /// Logistic regression.
    LogisticRegression(LinearModel),
    /// SVM with Platt scaling.
    Svm(Svm<f64, Pr>),
    /// kNN: the training cases and k.
    Knn {
        /// Training matrix.
        x: Array2<f64>,
        /// Training outcome.
        y: Vec<bool>,
        /// Neighbours.
        k: usize,
    },
    /// Random forest.
    RandomForest(Forest),
    /// Gradient-boosted trees.
    GradientBoosting(Box<GradientBooster>),
    /// Multilayer perceptron.
    Mlp(Mlp),
}

/// What can go wrong fitting or tuning a classifier.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A classifier's fit failed.
    #[error("{model}: fitting failed: {message}")]
    Fit {
        /// The model.
        model: String,
        /// What the crate said.
        message: String,
    },
    /// A hyperparameter is out of range.
    #[error("invalid setting: {0}")]
    Setting(String),
    /// A fold too small for a step.
    #[error("{step}: {message}")]
    TooFewCases {
        /// The step.
        step: String,
        /// What is missing.
        message: String,
    },
}

/// Result alias of the classifiers.
pub type ModelResult<T> = std::result::Result<T, ModelError>;

fn fit_error(model: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::Fit {
        model: model.into(),
        message: e.to_string(),
    }
}

/// L2-penalized logistic regression: minimizes `−Σ log σ(±η_i) + (α/2)‖w‖²` with `α = 1 / C`
/// (scikit-learn's `C`, which must be positive and finite; the intercept is not penalized) by
/// the bounded Newton solver of [`crate::stats::logistic`]. The problem is strictly convex, so
/// separable data converge too. The unpenalized (maximum-likelihood) fit is
/// [`crate::clinical::logistic::Logit::fit`].
///
/// linfa-logistic's L-BFGS was used here first; its line search (argmin's Moré–Thuente) has no
/// iteration bound and spun forever on a NaN cost from near-separable folds.
pub fn fit_logistic(x: ArrayView2<f64>, y: &[bool], c: f64) -> ModelResult<LinearModel> {
    if !(c > 0.0 && c.is_finite()) {
        return Err(ModelError::Setting(format!(
            "logistic regression C must be positive and finite, not {c}"
        )));
    }
    // design with a leading intercept column
    let design = DMatrix::from_fn(x.nrows(), x.ncols() + 1, |i, j| {
        if j == 0 {
            1.0
        } else {
            x[[i, j - 1]]
        }
    });
    let fit = logistic::fit(&design, y, 1.0 / c)
        .map_err(|e| fit_error(ModelKind::LogisticRegression.name(), e))?;
    Ok(LinearModel {
        intercept: fit.beta[0],
        coefficients: fit.beta.iter().skip(1).copied().collect(),
    })
}

impl Fitted {
    /// Fit one grid point on `x`, `y`; `seed` drives every random choice.
    pub fn fit(
        h: &Hyperparameters,
        x: ArrayView2<f64>,
        y: &[bool],
        seed: u64,
    ) -> ModelResult<Fitted> {
        match *h {
            Hyperparameters::LogisticRegression { c } => {
                Ok(Fitted::LogisticRegression(fit_logistic(x, y, c)?))
            }
            Hyperparameters::Svm { c, gamma } => {
                let dataset = Dataset::new(x.to_owned(), Array1::from(y.to_vec()));
                // linfa's Gaussian kernel is exp(−‖x − x'‖² / eps): eps = 1/γ
                Svm::<f64, Pr>::params()
                    .pos_neg_weights(c, c)
                    .gaussian_kernel(1.0 / gamma)
                    .fit(&dataset)
                    .map(Fitted::Svm)
                    .map_err(|e| fit_error(ModelKind::Svm.name(), e))
            }
            Hyperparameters::Knn { k } => Ok(Fitted::Knn {
                // the k-d tree reads rows as contiguous slices
                x: x.as_standard_layout().into_owned(),
                y: y.to_vec(),
                k,
            }),
            Hyperparameters::RandomForest {
                trees,
                max_depth,
                features,
            } => {
                let p = x.ncols() as f64;
                let share = match features {
                    FeatureShare::Sqrt => p.sqrt() / p,
                    FeatureShare::Half => 0.5,
                };
                Ok(Fitted::RandomForest(Forest::fit(
                    x, y, trees, max_depth, share, seed,
                )))
            }
            Hyperparameters::GradientBoosting {
                iterations,
                learning_rate,
                max_depth,
            } => {
                let columns = column_major(x);
                let matrix = Matrix::new(&columns, x.nrows(), x.ncols());
                let yf: Vec<f64> = y.iter().map(|&v| v as u8 as f64).collect();
                let mut booster = GradientBooster::default()
                    .set_iterations(iterations)
                    .set_learning_rate(learning_rate as f32)
                    .set_max_depth(max_depth)
                    .set_parallel(false)
                    .set_seed(seed);
                booster
                    .fit(&matrix, &yf, &vec![1.0; y.len()], None)
                    .map_err(|e| fit_error(ModelKind::GradientBoosting.name(), e))?;
                Ok(Fitted::GradientBoosting(Box::new(booster)))
            }
            Hyperparameters::Mlp { hidden, alpha } => {
                Ok(Fitted::Mlp(Mlp::fit(x, y, hidden, alpha, seed)))
            }
        }
    }

    /// Probability-like scores of the positive class for every row of `x`.
    pub fn scores(&self, x: ArrayView2<f64>) -> Vec<f64> {
        match self {
            Fitted::LogisticRegression(m) => m.probabilities(x),
            Fitted::Svm(m) => {
                let p: Array1<Pr> = m.predict(&x.to_owned());
                p.iter().map(|v| f64::from(**v)).collect()
            }
            Fitted::Knn { x: train, y, k } => {
                let index = CommonNearestNeighbour::KdTree.from_batch(train, L2Dist);
                x.as_standard_layout()
                    .axis_iter(Axis(0))
                    .map(|row| match &index {
                        Ok(index) => match index.k_nearest(row, *k) {
                            // score = share of positive cases among the k nearest
                            Ok(neighbours) => {
                                neighbours.iter().filter(|(_, i)| y[*i]).count() as f64
                                    / neighbours.len().max(1) as f64
                            }
                            Err(_) => f64::NAN,
                        },
                        Err(_) => f64::NAN,
                    })
                    .collect()
            }
            Fitted::RandomForest(forest) => forest.predict(x),
            Fitted::GradientBoosting(booster) => {
                let columns = column_major(x);
                let matrix = Matrix::new(&columns, x.nrows(), x.ncols());
                booster
                    .predict(&matrix, false)
                    .iter()
                    // p = σ(log-odds)
                    .map(|&eta| sigmoid(eta))
                    .collect()
            }
            Fitted::Mlp(m) => m.predict(x).to_vec(),
        }
    }
}

fn column_major(x: ArrayView2<f64>) -> Vec<f64> {
    x.t().iter().copied().collect()
}

/// The outcome of tuning one model family.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    /// The model family.
    pub model: ModelKind,
    /// Mean cross-validated AUC of every grid point, in grid order.
    pub grid: Vec<(Hyperparameters, f64)>,
    /// The chosen grid point.
    pub best: Hyperparameters,
}

/// Mean held-out AUC of every grid point over the folds (`folds[i]` = fold of row `i`), then
/// the best point; all rows must be training rows. The (grid point, fold) fits run in parallel;
/// each is seeded with `seed` alone and the fold AUCs are summed in fold order, so the result
/// does not depend on the number of threads.
pub fn tune(
    kind: ModelKind,
    x: ArrayView2<f64>,
    y: &[bool],
    folds: &[usize],
    seed: u64,
) -> ModelResult<Tuning> {
    let n_folds = folds.iter().max().map_or(0, |m| m + 1);
    let points = kind.grid();
    let fold_auc = |h: &Hyperparameters, f: usize| -> ModelResult<f64> {
        let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
        let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == f).collect();
        let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let yte: Vec<bool> = test.iter().map(|&i| y[i]).collect();
        let model = Fitted::fit(h, x.select(Axis(0), &train).view(), &ytr, seed)?;
        let scores = model.scores(x.select(Axis(0), &test).view());
        let (num, den) = auc_fraction(&scores, &yte);
        if den == 0 {
            return Err(ModelError::TooFewCases {
                step: format!("tuning {}", kind.name()),
                message: format!("fold {f} lacks a class"),
            });
        }
        Ok(num as f64 / den as f64)
    };
    let aucs: Vec<ModelResult<f64>> = (0..points.len() * n_folds)
        .into_par_iter()
        .map(|task| fold_auc(&points[task / n_folds], task % n_folds))
        .collect();
    // the first failure in (grid point, fold) order
    let aucs: Vec<f64> = aucs.into_iter().collect::<ModelResult<_>>()?;
    let grid: Vec<(Hyperparameters, f64)> = points
        .into_iter()
        .zip(aucs.chunks(n_folds.max(1)))
        // mean CV AUC = Σ_f AUC_f / F, summed in fold order
        .map(|(h, fold_aucs)| (h, fold_aucs.iter().sum::<f64>() / n_folds as f64))
        .collect();
    let mut best = grid[0];
    for &(h, auc) in &grid[1..] {
        if auc > best.1 {
            best = (h, auc);
        }
    }
    Ok(Tuning {
        model: kind,
        best: best.0,
        grid,
    })
}
