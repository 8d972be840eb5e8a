//! The statistics stage (`sonorad train`): from a feature table to selected features, a
//! Rad-score, six tuned classifiers and their metrics. Every step is fitted on the training
//! cohort only and then applied to validation; every random choice comes from the study seed.
//!
//! 1. read the table: candidate features by the rule of [`data`]; binary outcome;
//! 2. split: a given column, or a stratified random split (seed);
//! 3. missing values: rows reported, then dropped, or imputed with training medians;
//! 4. constant features (on training) dropped, with a note;
//! 5. optional reproducibility filter: ICC(2,1) against a second reader's table, keep ≥ 0.75;
//! 6. z-score (training mean and SD);
//! 7. mRMR, top K (default 20);
//! 8. LASSO logistic regression, 10-fold stratified CV, `lambda.1se` (or `lambda.min`);
//! 9. Rad-score = the LASSO linear predictor;
//! 10. six classifiers on the LASSO-kept features, tuned by 5-fold stratified CV;
//! 11. metrics on both cohorts at the training Youden cutoff; pairwise DeLong tests.
//!
//! Seeds: the split uses `seed`, the LASSO folds `seed + 1`, the tuning folds `seed + 2` (both
//! wrapping around at `u64::MAX`), and the classifiers `seed`.

pub mod data;
pub mod error;
pub mod outputs;
pub mod split;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::metrics::{
    delong_test, youden_cutoff, CohortMetrics, DelongComponents, DelongTest,
};
use crate::model::{tune, Fitted, Hyperparameters, ModelError, ModelKind, Tuning};
use crate::select::icc::icc_2_1;
use crate::select::lasso::{lasso_cv, CvLambdas, LambdaRule, LassoCv};
use crate::select::mrmr::{mrmr, Mrmr};
use crate::select::zscore::ZScore;
use crate::stats::{median_sorted, LinearModel};
use crate::table::FeatureTable;
use data::Cohort;
use error::{TrainError, TrainResult};

/// Leaves out the candidate feature columns without a value in any case (a filter that failed
/// everywhere, say), with a note naming them, so that one empty column does not exclude every
/// case as "incomplete"; `values` loses those columns too.
fn drop_empty_columns(
    table: &FeatureTable,
    candidates: Vec<usize>,
    values: &mut [Vec<Option<f64>>],
    notes: &mut Vec<String>,
) -> Vec<usize> {
    let filled: Vec<bool> = (0..candidates.len())
        .map(|j| values.iter().any(|row| row[j].is_some()))
        .collect();
    if filled.iter().all(|&f| f) {
        return candidates;
    }
    let empty: Vec<&str> = candidates
        .iter()
        .zip(&filled)
        .filter(|(_, &f)| !f)
        .map(|(&c, _)| table.header[c].as_str())
        .collect();
    notes.push(format!(
        "{} feature column(s) without a value in any case, left out: {}",
        empty.len(),
        empty.join(", ")
    ));
    for row in values.iter_mut() {
        let mut j = 0;
        row.retain(|_| {
            j += 1;
            filled[j - 1]
        });
    }
    candidates
        .into_iter()
        .zip(&filled)
        .filter(|(_, &f)| f)
        .map(|(c, _)| c)
        .collect()
}

/// What to do with rows that have missing feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Exclude the rows.
    Drop,
    /// Replace each missing value with the training median of its feature.
    Impute,
}

/// Study settings; a `study.toml` holds any subset of them (the names below), and command-line
/// flags override it.
///
/// | Setting | Default | Purpose |
/// | --- | --- | --- |
/// | `seed` | 42 | split, folds and classifier randomness |
/// | `validation_fraction` | 0.3 | share of each class held out (random split) |
/// | `mrmr_k` | 20 | features kept by mRMR |
/// | `lambda` | `"1se"` | `"min"` or `"1se"` |
/// | `icc_threshold` | 0.75 | minimum ICC(2,1) to keep a feature |
/// | `lasso_folds` | 10 | LASSO cross-validation folds |
/// | `tuning_folds` | 5 | classifier tuning folds |
/// | `n_lambda` | 100 | length of the λ path |
/// | `missing` | `"drop"` | `"drop"` or `"impute"` |
/// | `cv_lambdas` | `"fold"` | LASSO CV folds over their own λ paths, as `cv.glmnet` (`"fold"`), or at the full-data λ (`"full"`) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudyConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Validation share of a random split.
    pub validation_fraction: f64,
    /// mRMR K.
    pub mrmr_k: usize,
    /// LASSO λ rule.
    pub lambda: LambdaRule,
    /// ICC(2,1) threshold.
    pub icc_threshold: f64,
    /// LASSO CV folds.
    pub lasso_folds: usize,
    /// Tuning folds.
    pub tuning_folds: usize,
    /// λ path length.
    pub n_lambda: usize,
    /// Missing-value handling.
    pub missing: Missing,
    /// λ values of the LASSO's cross-validation folds.
    pub cv_lambdas: CvLambdas,
}

impl Default for StudyConfig {
    fn default() -> Self {
        StudyConfig {
            seed: 42,
            validation_fraction: 0.3,
            mrmr_k: 20,
            lambda: LambdaRule::OneSe,
            icc_threshold: 0.75,
            lasso_folds: 10,
            tuning_folds: 5,
            n_lambda: 100,
            missing: Missing::Drop,
            cv_lambdas: CvLambdas::Fold,
        }
    }
}

impl StudyConfig {
    /// Read a `study.toml`.
    pub fn read(path: &Path) -> TrainResult<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        let config: StudyConfig = toml::from_str(&text).map_err(|e| TrainError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        config.check().map_err(|message| TrainError::Config {
            path: path.into(),
            message: format!("invalid setting: {message}"),
        })?;
        Ok(config)
    }

    /// The first setting out of range, as a message.
    fn check(&self) -> Result<(), String> {
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(format!(
                "validation_fraction must lie strictly between 0 and 1, not {}",
                self.validation_fraction
            ));
        }
        if self.mrmr_k == 0 || self.n_lambda < 2 {
            return Err(format!(
                "mrmr_k must be ≥ 1 and n_lambda ≥ 2, not {} and {}",
                self.mrmr_k, self.n_lambda
            ));
        }
        if self.lasso_folds < 3 || self.tuning_folds < 2 {
            return Err(format!(
                "lasso_folds must be ≥ 3 and tuning_folds ≥ 2, not {} and {}",
                self.lasso_folds, self.tuning_folds
            ));
        }
        Ok(())
    }
}

/// Everything `sonorad train` needs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The feature table.
    pub features: PathBuf,
    /// Outcome column.
    pub outcome: String,
    /// Split column (otherwise a stratified random split).
    pub split_column: Option<String>,
    /// Second reader's feature table for the ICC filter.
    pub icc_features: Option<PathBuf>,
    /// Settings.
    pub config: StudyConfig,
    /// Output folder.
    pub out: PathBuf,
}

/// One case of the study.
#[derive(Debug, Clone, Serialize)]
pub struct StudyCase {
    /// Case id.
    pub id: String,
    /// Cohort.
    pub cohort: Cohort,
    /// Outcome.
    pub outcome: bool,
    /// LASSO CV fold (training only).
    pub lasso_fold: Option<usize>,
    /// Tuning fold (training only).
    pub tuning_fold: Option<usize>,
}

/// ICC filter results.
#[derive(Debug, Clone, Serialize)]
pub struct IccReport {
    /// The ICC form.
    pub form: String,
    /// Keep threshold.
    pub threshold: f64,
    /// Training cases found in both tables.
    pub cases: usize,
    /// ICC of every assessed feature.
    pub values: BTreeMap<String, f64>,
    /// Features kept.
    pub kept: Vec<String>,
    /// Features absent from the second table (dropped: their reproducibility is unknown).
    pub absent: Vec<String>,
}

/// Everything fitted on the training cohort that scores a new case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringModel {
    /// The outcome column (1 = positive).
    pub outcome: String,
    /// Medians used to impute each candidate feature (empty with `missing = drop`).
    pub imputation_medians: BTreeMap<String, f64>,
    /// Features entering the LASSO (the mRMR selection), in mRMR order.
    pub lasso_inputs: Vec<String>,
    /// z-score constants of the LASSO inputs.
    pub zscore: ZScore,
    /// Rad-score.
    pub radscore: RadScore,
    /// Features the classifiers use (non-zero LASSO coefficients; the mRMR features if none).
    pub selected_features: Vec<String>,
    /// The fitted logistic regression on the z-scored selected features.
    pub logistic_regression: LinearModel,
    /// Each classifier: chosen hyperparameters and training Youden cutoff.
    pub classifiers: Vec<ClassifierSummary>,
    /// Seed the classifiers were fitted with.
    pub seed: u64,
}

/// The Rad-score: the LASSO linear predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadScore {
    /// λ used.
    pub lambda: f64,
    /// Intercept on z-scored features.
    pub intercept: f64,
    /// Coefficient of each z-scored LASSO input (zeros included), in `lasso_inputs` order.
    pub coefficients: Vec<f64>,
    /// Intercept on the raw feature scale: `β₀ − Σ β_j μ_j / σ_j`.
    pub raw_intercept: f64,
    /// Coefficients on the raw scale: `β_j / σ_j`.
    pub raw_coefficients: Vec<f64>,
    /// The formula as text.
    pub formula: String,
    /// Training Youden cutoff of the Rad-score.
    pub youden_cutoff: f64,
}

/// A tuned classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierSummary {
    /// Model name.
    pub model: String,
    /// Chosen hyperparameters.
    pub hyperparameters: Hyperparameters,
    /// Mean CV AUC of the chosen point.
    pub cv_auc: f64,
    /// Training Youden cutoff.
    pub youden_cutoff: f64,
}

impl ScoringModel {
    /// Check that the parts agree (as a `model.json` edited by hand may not): one z-score
    /// mean, SD, Rad-score coefficient and raw coefficient per LASSO input, every SD positive,
    /// one logistic coefficient per selected feature, and every selected feature a LASSO
    /// input.
    /// The message names the first disagreement.
    pub fn validate(&self) -> Result<(), String> {
        let inputs = self.lasso_inputs.len();
        for (what, len) in [
            ("zscore.mean", self.zscore.mean.len()),
            ("zscore.sd", self.zscore.sd.len()),
            ("radscore.coefficients", self.radscore.coefficients.len()),
            (
                "radscore.raw_coefficients",
                self.radscore.raw_coefficients.len(),
            ),
        ] {
            if len != inputs {
                return Err(format!(
                    "{what} has {len} value(s) for {inputs} LASSO input(s) (lasso_inputs)"
                ));
            }
        }
        if let Some((name, sd)) = self
            .lasso_inputs
            .iter()
            .zip(&self.zscore.sd)
            .find(|(_, sd)| !(sd.is_finite() && **sd > 0.0))
        {
            return Err(format!(
                "zscore.sd of '{name}' is {sd}, not a positive number"
            ));
        }
        let selected = self.selected_features.len();
        let coefficients = self.logistic_regression.coefficients.len();
        if coefficients != selected {
            return Err(format!(
                "logistic_regression.coefficients has {coefficients} value(s) for {selected} \
                 selected feature(s) (selected_features)"
            ));
        }
        match self
            .selected_features
            .iter()
            .find(|name| !self.lasso_inputs.contains(name))
        {
            Some(name) => Err(format!(
                "selected feature '{name}' is not among the LASSO inputs (lasso_inputs)"
            )),
            None => Ok(()),
        }
    }

    /// Rad-score and logistic-regression probability of one case from its raw feature values
    /// (`value(name)`); a missing value is imputed when medians were fitted.
    /// The computation is `train`'s own ([`ZScore::transform`], [`LinearModel::predict`],
    /// [`LinearModel::probabilities`], each case on its own through
    /// [`crate::stats::linear_predictor`]), so a training case scores exactly as in `scores.csv`.
    /// A model whose parts disagree
    /// ([`ScoringModel::validate`]) is an error.
    pub fn score(&self, value: &dyn Fn(&str) -> Option<f64>) -> TrainResult<(f64, f64)> {
        self.validate()
            .map_err(|m| TrainError::Setting(format!("inconsistent scoring model: {m}")))?;
        // raw values of the LASSO inputs; an input neither model reads stands at its mean
        // (z = 0, coefficient 0)
        let mut row = Array2::<f64>::zeros((1, self.lasso_inputs.len()));
        for (j, ((name, &b), &mean)) in self
            .lasso_inputs
            .iter()
            .zip(&self.radscore.coefficients)
            .zip(&self.zscore.mean)
            .enumerate()
        {
            row[[0, j]] = if b != 0.0 || self.selected_features.contains(name) {
                value(name)
                    .or_else(|| self.imputation_medians.get(name).copied())
                    .ok_or_else(|| TrainError::NoValue {
                        feature: name.into(),
                    })?
            } else {
                mean
            };
        }
        let z = self.zscore.transform(row.view());
        let radscore = LinearModel {
            intercept: self.radscore.intercept,
            coefficients: self.radscore.coefficients.clone(),
        }
        .predict(z.view());
        // validated: every selected feature is a LASSO input
        let selected: Vec<usize> = self
            .selected_features
            .iter()
            .filter_map(|name| self.lasso_inputs.iter().position(|n| n == name))
            .collect();
        let probability = self
            .logistic_regression
            .probabilities(z.select(Axis(1), &selected).view());
        match (radscore.first(), probability.first()) {
            (Some(&r), Some(&p)) => Ok((r, p)),
            _ => Err(TrainError::Setting("no score computed".into())),
        }
    }
}

/// Scores, metrics and tests of one model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResult {
    /// Model name (`radscore` or a classifier).
    pub model: String,
    /// Scores of every study case (in case order).
    pub scores: Vec<f64>,
    /// Training Youden cutoff.
    pub cutoff: f64,
    /// Metrics on training.
    pub training: CohortMetrics,
    /// Metrics on validation.
    pub validation: CohortMetrics,
}

/// One pairwise DeLong test.
#[derive(Debug, Clone, Serialize)]
pub struct PairTest {
    /// Cohort.
    pub cohort: Cohort,
    /// First model.
    pub model_a: String,
    /// Second model.
    pub model_b: String,
    /// The test.
    pub test: DelongTest,
}

/// A fitted study.
#[derive(Debug, Clone, Serialize)]
pub struct Study {
    /// Notes on what was dropped or imputed, and why.
    pub notes: Vec<String>,
    /// The cases used, with cohort and folds.
    pub cases: Vec<StudyCase>,
    /// Candidate feature columns of the table.
    pub candidates: Vec<String>,
    /// ICC filter, when run.
    pub icc: Option<IccReport>,
    /// Features entering mRMR (after constant and ICC filters).
    pub mrmr_inputs: Vec<String>,
    /// mRMR ranking (indices into `mrmr_inputs`).
    pub mrmr: Mrmr,
    /// LASSO cross-validation (columns = `model.lasso_inputs`).
    pub lasso: LassoCv,
    /// Classifier tuning.
    pub tuning: Vec<Tuning>,
    /// Everything needed to score a new case.
    pub model: ScoringModel,
    /// Per-model results (Rad-score first).
    pub results: Vec<ModelResult>,
    /// Pairwise DeLong tests.
    pub tests: Vec<PairTest>,
}

/// Fit a study on a feature table (and optionally a second reader's table). A cohort too
/// small for a step, or no feature left after one, is an error naming the feature table.
///
/// This is `sonorad train`'s fit, on a table in memory; [`run`] reads the tables from files
/// ([`FeatureTable::read`]), fits with this function and writes the outputs.
///
/// # Example
///
/// A generated table of 60 cases, half of them positive, with four feature columns (named as
/// `extract` writes them): two shifted in the positive cases, two pure noise. With the default
/// [`StudyConfig`] (random split, 30 % of each class held out, seed 42):
///
/// ```
/// use std::path::PathBuf;
///
/// use sonorad::synth::Lcg;
/// use sonorad::table::{Column, FeatureTable};
/// use sonorad::train::{data::Cohort, fit_study, StudyConfig};
///
/// let outcome: Vec<bool> = (0..60).map(|i| i % 2 == 0).collect();
/// let mut noise = Lcg::new(7);
/// let mut feature = |shift: f64| -> Column {
///     Column::Feature(
///         outcome
///             .iter()
///             .map(|&positive| if positive { shift } else { 0.0 } + noise.normal())
///             .collect(),
///     )
/// };
/// let table = FeatureTable {
///     path: PathBuf::from("<generated>"), // names the table in errors
///     header: [
///         "case_id",
///         "outcome",
///         "tumor_original_firstorder_Mean",
///         "tumor_original_glcm_Contrast",
///         "tumor_original_glszm_ZoneEntropy",
///         "tumor_original_shape2D_Perimeter",
///     ]
///     .map(String::from)
///     .to_vec(),
///     ids: (0..60).map(|i| format!("case{i:02}")).collect(),
///     columns: vec![
///         Column::Text(outcome.iter().map(|&y| u8::from(y).to_string()).collect()),
///         feature(2.0),
///         feature(1.5),
///         feature(0.0),
///         feature(0.0),
///     ],
/// };
///
/// let study = fit_study(&table, "outcome", None, None, &StudyConfig::default())?;
///
/// // round(0.3 × 30) = 9 cases of each class held out
/// let validation = study.cases.iter().filter(|c| c.cohort == Cohort::Validation).count();
/// assert_eq!((study.cases.len() - validation, validation), (42, 18));
/// // every feature column is a candidate; the Rad-score's formula names each LASSO-kept one
/// assert_eq!(study.candidates.len(), 4);
/// let kept = &study.model.selected_features;
/// assert!(kept.contains(&"tumor_original_firstorder_Mean".to_string()));
/// assert!(kept.iter().all(|f| study.model.radscore.formula.contains(f.as_str())));
/// // the Rad-score and the six classifiers, each with metrics on both cohorts
/// assert_eq!(study.results.len(), 7);
/// assert_eq!(study.results[0].model, "radscore");
/// # Ok::<(), sonorad::train::error::TrainError>(())
/// ```
pub fn fit_study(
    table: &FeatureTable,
    outcome: &str,
    split_column: Option<&str>,
    second_reader: Option<&FeatureTable>,
    config: &StudyConfig,
) -> TrainResult<Study> {
    fit_study_on(table, outcome, split_column, second_reader, config).map_err(|e| match e {
        TrainError::TooFewCases { .. }
        | TrainError::NoFeatures { .. }
        | TrainError::Select(_)
        | TrainError::Model(ModelError::TooFewCases { .. }) => TrainError::Study {
            path: table.path.clone(),
            source: Box::new(e),
        },
        other => other,
    })
}

/// The study's steps in order: candidates, missing values, split, imputation, constant and ICC
/// filters, z-score and mRMR, LASSO and the Rad-score, the classifiers, the DeLong tests.
fn fit_study_on(
    table: &FeatureTable,
    outcome: &str,
    split_column: Option<&str>,
    second_reader: Option<&FeatureTable>,
    config: &StudyConfig,
) -> TrainResult<Study> {
    config.check().map_err(TrainError::Setting)?;
    let mut notes = Vec::new();
    let labels = data::outcome(table, outcome)?;
    let candidates = read_candidates(table, outcome, split_column, &mut notes)?;
    let ids = table.ids.clone();
    let rows = complete_rows(&candidates.values, &ids, config.missing, &mut notes);
    let y: Vec<bool> = rows.iter().map(|&r| labels[r]).collect();
    let split = split_cases(table, split_column, &rows, &y, config)?;
    let ytrain: Vec<bool> = split.training.iter().map(|&i| y[i]).collect();
    let filled = impute(
        &candidates,
        &rows,
        &split.training,
        config.missing,
        &mut notes,
    );
    let mut keep = filled.keep.clone();
    drop_constant(
        &filled.matrix,
        &split.training,
        &candidates.names,
        &mut keep,
        &mut notes,
    );
    let icc = match second_reader {
        Some(second) => {
            let training_ids: Vec<String> = split
                .training
                .iter()
                .map(|&i| ids[rows[i]].clone())
                .collect();
            let report = icc_filter(
                second,
                &keep,
                &candidates.names,
                &filled.matrix,
                &training_ids,
                &split.training,
                config.icc_threshold,
            )?;
            keep.retain(|&j| report.kept.contains(&candidates.names[j]));
            notes.push(icc_note(&report));
            Some(report)
        }
        None => None,
    };
    if keep.is_empty() {
        return Err(TrainError::NoFeatures {
            step: "the missing-value, constant and ICC filters".into(),
        });
    }
    let ranked = rank_features(
        &filled.matrix,
        &keep,
        &candidates.names,
        &split,
        &ytrain,
        config,
    )?;
    let lasso = select_lasso(&ranked, &split, &ytrain, config, &mut notes)?;
    let classifiers = fit_classifiers(&ranked, &lasso, &split, &y, &ytrain, config)?;
    let tests = pairwise_tests(&classifiers.results, &y, &split.training, &split.validation);
    let cases = study_cases(&ids, &rows, &split, &y, &lasso.folds, &classifiers.folds);
    Ok(Study {
        notes,
        cases,
        candidates: candidates.names,
        icc,
        mrmr_inputs: ranked.mrmr_inputs,
        mrmr: ranked.ranking,
        tuning: classifiers.tuning,
        model: ScoringModel {
            outcome: outcome.into(),
            imputation_medians: filled.medians,
            lasso_inputs: ranked.lasso_inputs,
            zscore: ranked.lasso_z,
            radscore: lasso.radscore,
            selected_features: lasso.selected_names,
            logistic_regression: classifiers.logistic_regression,
            classifiers: classifiers.summaries,
            seed: config.seed,
        },
        lasso: lasso.cv,
        results: classifiers.results,
        tests,
    })
}

/// The candidate feature columns of a table and their values (row by row, `None` missing).
struct Candidates {
    /// Column names.
    names: Vec<String>,
    /// Values of every table row.
    values: Vec<Vec<Option<f64>>>,
}

/// Step 1: the feature columns (names holding an image type, not the outcome or split column),
/// those without any value dropped with a note.
fn read_candidates(
    table: &FeatureTable,
    outcome: &str,
    split_column: Option<&str>,
    notes: &mut Vec<String>,
) -> TrainResult<Candidates> {
    let excluded = [Some(outcome), split_column];
    let columns: Vec<usize> = (1..table.header.len())
        .filter(|&c| table.is_feature(c) && !excluded.contains(&Some(table.header[c].as_str())))
        .collect();
    if columns.is_empty() {
        return Err(table
            .error("no feature columns (names containing _original_, _log-sigma-, _wavelet-, ...)")
            .into());
    }
    let mut values: Vec<Vec<Option<f64>>> = Vec::with_capacity(table.len());
    for r in 0..table.len() {
        values.push(
            columns
                .iter()
                .map(|&c| table.value(r, c).map_err(TrainError::from))
                .collect::<TrainResult<_>>()?,
        );
    }
    let columns = drop_empty_columns(table, columns, &mut values, notes);
    if columns.is_empty() {
        return Err(table
            .error("no feature column has a value in any case")
            .into());
    }
    Ok(Candidates {
        names: columns.iter().map(|&c| table.header[c].clone()).collect(),
        values,
    })
}

/// Step 2: the rows analysed. Rows with missing values are listed in a note, then dropped
/// or kept for imputation.
fn complete_rows(
    values: &[Vec<Option<f64>>],
    ids: &[String],
    missing: Missing,
    notes: &mut Vec<String>,
) -> Vec<usize> {
    let incomplete: Vec<usize> = (0..values.len())
        .filter(|&r| values[r].iter().any(Option::is_none))
        .collect();
    if !incomplete.is_empty() {
        let listed: Vec<String> = incomplete
            .iter()
            .map(|&r| {
                let count = values[r].iter().filter(|v| v.is_none()).count();
                format!("{} ({count})", ids[r])
            })
            .collect();
        notes.push(format!(
            "{} case(s) with missing feature values (count in brackets), {}: {}",
            incomplete.len(),
            match missing {
                Missing::Drop => "excluded",
                Missing::Impute => "imputed with training medians",
            },
            listed.join(", ")
        ));
    }
    match missing {
        Missing::Drop => (0..values.len())
            .filter(|r| !incomplete.contains(r))
            .collect(),
        Missing::Impute => (0..values.len()).collect(),
    }
}

/// The cohorts of the analysed rows (indices into them).
struct Split {
    /// Cohort of each analysed row.
    cohorts: Vec<Cohort>,
    /// Training rows.
    training: Vec<usize>,
    /// Validation rows.
    validation: Vec<usize>,
}

/// Step 3: the split column's cohorts, or a stratified random split; an empty validation
/// cohort, or a training class smaller than the LASSO folds, is an error.
fn split_cases(
    table: &FeatureTable,
    split_column: Option<&str>,
    rows: &[usize],
    y: &[bool],
    config: &StudyConfig,
) -> TrainResult<Split> {
    let cohorts: Vec<Cohort> = match split_column {
        Some(column) => {
            let all = data::split(table, column)?;
            rows.iter().map(|&r| all[r]).collect()
        }
        None => split::stratified_split(y, config.validation_fraction, config.seed),
    };
    let in_cohort =
        |c: Cohort| -> Vec<usize> { (0..rows.len()).filter(|&i| cohorts[i] == c).collect() };
    let (training, validation) = (in_cohort(Cohort::Training), in_cohort(Cohort::Validation));
    if validation.is_empty() {
        return Err(TrainError::TooFewCases {
            step: "split".into(),
            message: "the validation cohort is empty (every case is in training); a study needs \
                      validation cases to report on"
                .into(),
        });
    }
    let positives = training.iter().filter(|&&i| y[i]).count();
    let negatives = training.len() - positives;
    if positives < config.lasso_folds || negatives < config.lasso_folds {
        return Err(TrainError::TooFewCases {
            step: "split".into(),
            message: format!(
                "the training cohort has {positives} positive and {negatives} negative cases; \
                 each class needs at least lasso_folds = {}",
                config.lasso_folds
            ),
        });
    }
    Ok(Split {
        cohorts,
        training,
        validation,
    })
}

/// The analysed rows' feature matrix with missing values filled.
struct Filled {
    /// Rows × candidates; a value missing everywhere in training stays NaN.
    matrix: Array2<f64>,
    /// Candidates kept (all but those missing in every training case, when imputing).
    keep: Vec<usize>,
    /// Training median of each imputed feature.
    medians: BTreeMap<String, f64>,
}

/// Step 4: the matrix of the analysed rows, missing values replaced by training medians; with
/// imputation, a feature missing in every training case is dropped with a note.
fn impute(
    candidates: &Candidates,
    rows: &[usize],
    training: &[usize],
    missing: Missing,
    notes: &mut Vec<String>,
) -> Filled {
    let n = candidates.names.len();
    let mut keep: Vec<usize> = (0..n).collect();
    let mut medians = BTreeMap::new();
    let mut matrix = Array2::<f64>::zeros((rows.len(), n));
    for j in 0..n {
        let mut present: Vec<f64> = training
            .iter()
            .filter_map(|&i| candidates.values[rows[i]][j])
            .collect();
        present.sort_by(f64::total_cmp);
        let fill = (!present.is_empty()).then(|| median_sorted(&present));
        for (i, &r) in rows.iter().enumerate() {
            matrix[[i, j]] = candidates.values[r][j].or(fill).unwrap_or(f64::NAN);
        }
        if missing == Missing::Impute {
            match fill {
                Some(m) => {
                    medians.insert(candidates.names[j].clone(), m);
                }
                None => keep.retain(|&k| k != j),
            }
        }
    }
    if keep.len() < n {
        notes.push(format!(
            "{} feature(s) missing in every training case, dropped",
            n - keep.len()
        ));
    }
    Filled {
        matrix,
        keep,
        medians,
    }
}

/// Step 5: features constant on training are dropped from `keep`, with a note naming them.
fn drop_constant(
    matrix: &Array2<f64>,
    training: &[usize],
    names: &[String],
    keep: &mut Vec<usize>,
    notes: &mut Vec<String>,
) {
    let constant: Vec<usize> = keep
        .iter()
        .copied()
        .filter(|&j| {
            let first = matrix[[training[0], j]];
            training.iter().all(|&i| matrix[[i, j]] == first)
        })
        .collect();
    if !constant.is_empty() {
        notes.push(format!(
            "{} constant feature(s) on training dropped: {}",
            constant.len(),
            constant
                .iter()
                .map(|&j| names[j].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        keep.retain(|j| !constant.contains(j));
    }
}

/// The note of step 6, the ICC(2,1) filter.
fn icc_note(report: &IccReport) -> String {
    format!(
        "ICC(2,1) filter on {} training cases: {} of {} features kept (≥ {}); {} absent from \
         the second table dropped",
        report.cases,
        report.kept.len(),
        report.values.len(),
        report.threshold,
        report.absent.len()
    )
}

/// The features after mRMR.
struct Ranked {
    /// Features entering mRMR.
    mrmr_inputs: Vec<String>,
    /// mRMR ranking (indices into `mrmr_inputs`).
    ranking: Mrmr,
    /// Features kept by mRMR, in rank order: the LASSO's inputs.
    lasso_inputs: Vec<String>,
    /// Training z-score of the LASSO inputs.
    lasso_z: ZScore,
    /// The LASSO inputs z-scored, every analysed row.
    z_all: Array2<f64>,
}

/// Step 7: z-score with training means and SDs, then mRMR on training.
fn rank_features(
    matrix: &Array2<f64>,
    keep: &[usize],
    names: &[String],
    split: &Split,
    ytrain: &[bool],
    config: &StudyConfig,
) -> TrainResult<Ranked> {
    let mrmr_inputs: Vec<String> = keep.iter().map(|&j| names[j].clone()).collect();
    let x = matrix.select(Axis(1), keep);
    let xtrain = x.select(Axis(0), &split.training);
    let zscore = ZScore::fit(xtrain.view());
    let ztrain = zscore.transform(xtrain.view());
    let ranking = mrmr(ztrain.view(), ytrain, config.mrmr_k);
    if ranking.order.is_empty() {
        return Err(TrainError::NoFeatures {
            step: "mRMR (no feature has a positive F statistic)".into(),
        });
    }
    let lasso_inputs: Vec<String> = ranking
        .order
        .iter()
        .map(|&j| mrmr_inputs[j].clone())
        .collect();
    let lasso_z = zscore.select(&ranking.order);
    let z_all = lasso_z.transform(x.select(Axis(1), &ranking.order).view());
    Ok(Ranked {
        mrmr_inputs,
        ranking,
        lasso_inputs,
        lasso_z,
        z_all,
    })
}

/// The LASSO step's outcome.
struct LassoStep {
    /// LASSO fold of each training row.
    folds: Vec<usize>,
    /// The cross-validated LASSO.
    cv: LassoCv,
    /// Columns of the LASSO inputs the classifiers use.
    selected: Vec<usize>,
    /// Their names.
    selected_names: Vec<String>,
    /// Rad-score of every analysed row.
    radscores: Vec<f64>,
    /// The Rad-score model.
    radscore: RadScore,
}

/// Step 8: LASSO with stratified CV folds on training; the Rad-score of every row. When the
/// LASSO keeps nothing, the classifiers use the mRMR features (with a note).
fn select_lasso(
    ranked: &Ranked,
    split: &Split,
    ytrain: &[bool],
    config: &StudyConfig,
    notes: &mut Vec<String>,
) -> TrainResult<LassoStep> {
    let z_train = ranked.z_all.select(Axis(0), &split.training);
    let folds = split::stratified_folds(ytrain, config.lasso_folds, config.seed.wrapping_add(1));
    let cv = lasso_cv(
        z_train.view(),
        ytrain,
        &folds,
        config.n_lambda,
        config.lambda,
        config.cv_lambdas,
    )?;
    let mut selected: Vec<usize> = (0..ranked.lasso_inputs.len())
        .filter(|&j| cv.fit.coefficients[j] != 0.0)
        .collect();
    if selected.is_empty() {
        notes.push(
            "LASSO kept no feature at the chosen λ: the classifiers use the mRMR features".into(),
        );
        selected = (0..ranked.lasso_inputs.len()).collect();
    }
    let selected_names = selected
        .iter()
        .map(|&j| ranked.lasso_inputs[j].clone())
        .collect();
    let radscores = cv.fit.predict(ranked.z_all.view()).to_vec();
    let radscore = radscore_model(
        &cv,
        &ranked.lasso_inputs,
        &ranked.lasso_z,
        &radscores,
        &split.training,
        ytrain,
    );
    Ok(LassoStep {
        folds,
        cv,
        selected,
        selected_names,
        radscores,
        radscore,
    })
}

/// The classifiers step's outcome.
struct Classifiers {
    /// Tuning fold of each training row.
    folds: Vec<usize>,
    /// Per-model results, the Rad-score first.
    results: Vec<ModelResult>,
    /// Tuning of each family.
    tuning: Vec<Tuning>,
    /// Chosen hyperparameters and cutoffs.
    summaries: Vec<ClassifierSummary>,
    /// The logistic regression, for scoring new cases.
    logistic_regression: LinearModel,
}

/// Step 9: the six families tuned by CV AUC and fitted on the selected z-scored features, in
/// parallel, each from the study seed alone; their scores and metrics beside the Rad-score's.
fn fit_classifiers(
    ranked: &Ranked,
    lasso: &LassoStep,
    split: &Split,
    y: &[bool],
    ytrain: &[bool],
    config: &StudyConfig,
) -> TrainResult<Classifiers> {
    let zs_all = ranked.z_all.select(Axis(1), &lasso.selected);
    let zs_train = zs_all.select(Axis(0), &split.training);
    let folds = split::stratified_folds(ytrain, config.tuning_folds, config.seed.wrapping_add(2));
    let fits: Vec<TrainResult<ClassifierFit>> = ModelKind::ALL
        .par_iter()
        .map(|&kind| {
            let tuned = tune(kind, zs_train.view(), ytrain, &folds, config.seed)?;
            let fitted = Fitted::fit(&tuned.best, zs_train.view(), ytrain, config.seed)?;
            let logistic = match &fitted {
                Fitted::LogisticRegression(m) => Some(m.clone()),
                _ => None,
            };
            Ok(ClassifierFit {
                scores: fitted.scores(zs_all.view()),
                tuned,
                logistic,
            })
        })
        .collect();
    let mut results = vec![model_result(
        "radscore",
        lasso.radscores.clone(),
        y,
        &split.training,
        &split.validation,
        lasso.radscore.youden_cutoff,
    )];
    let mut tuning = Vec::new();
    let mut summaries = Vec::new();
    let mut logistic = None;
    for (kind, fit) in ModelKind::ALL.into_iter().zip(fits) {
        let fit = fit?;
        let train_scores: Vec<f64> = split.training.iter().map(|&i| fit.scores[i]).collect();
        let cutoff = youden_cutoff(&train_scores, ytrain);
        let cv_auc = fit
            .tuned
            .grid
            .iter()
            .find(|(h, _)| *h == fit.tuned.best)
            .map_or(f64::NAN, |(_, a)| *a);
        summaries.push(ClassifierSummary {
            model: kind.name().into(),
            hyperparameters: fit.tuned.best,
            cv_auc,
            youden_cutoff: cutoff,
        });
        results.push(model_result(
            kind.name(),
            fit.scores,
            y,
            &split.training,
            &split.validation,
            cutoff,
        ));
        tuning.push(fit.tuned);
        logistic = logistic.or(fit.logistic);
    }
    let logistic_regression = logistic.ok_or_else(|| TrainError::Fit {
        model: ModelKind::LogisticRegression.name().into(),
        message: "not fitted".into(),
    })?;
    Ok(Classifiers {
        folds,
        results,
        tuning,
        summaries,
        logistic_regression,
    })
}

/// Step 10: every analysed case with its cohort, outcome and folds.
fn study_cases(
    ids: &[String],
    rows: &[usize],
    split: &Split,
    y: &[bool],
    lasso_folds: &[usize],
    tuning_folds: &[usize],
) -> Vec<StudyCase> {
    let mut lasso_fold_of = vec![None; rows.len()];
    let mut tuning_fold_of = vec![None; rows.len()];
    for (t, &i) in split.training.iter().enumerate() {
        lasso_fold_of[i] = Some(lasso_folds[t]);
        tuning_fold_of[i] = Some(tuning_folds[t]);
    }
    (0..rows.len())
        .map(|i| StudyCase {
            id: ids[rows[i]].clone(),
            cohort: split.cohorts[i],
            outcome: y[i],
            lasso_fold: lasso_fold_of[i],
            tuning_fold: tuning_fold_of[i],
        })
        .collect()
}

/// One tuned and fitted classifier family.
struct ClassifierFit {
    tuned: Tuning,
    scores: Vec<f64>,
    logistic: Option<LinearModel>,
}

fn radscore_model(
    lasso: &LassoCv,
    names: &[String],
    z: &ZScore,
    scores: &[f64],
    training: &[usize],
    ytrain: &[bool],
) -> RadScore {
    let beta = &lasso.fit.coefficients;
    let raw = z.unstandardize(lasso.fit.intercept, beta);
    let mut formula = format!("Rad-score = {:.6}", lasso.fit.intercept);
    for (j, name) in names.iter().enumerate() {
        if beta[j] != 0.0 {
            formula.push_str(&format!(
                " {} {:.6} × ({name} − {:.6}) / {:.6}",
                if beta[j] < 0.0 { "−" } else { "+" },
                beta[j].abs(),
                z.mean[j],
                z.sd[j]
            ));
        }
    }
    let train_scores: Vec<f64> = training.iter().map(|&i| scores[i]).collect();
    RadScore {
        lambda: lasso.lambda,
        intercept: lasso.fit.intercept,
        coefficients: beta.clone(),
        raw_intercept: raw.intercept,
        raw_coefficients: raw.coefficients,
        formula,
        youden_cutoff: youden_cutoff(&train_scores, ytrain),
    }
}

fn model_result(
    name: &str,
    scores: Vec<f64>,
    y: &[bool],
    training: &[usize],
    validation: &[usize],
    cutoff: f64,
) -> ModelResult {
    let metrics = |rows: &[usize]| {
        let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
        let l: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        CohortMetrics::new(&s, &l, cutoff)
    };
    ModelResult {
        model: name.into(),
        training: metrics(training),
        validation: metrics(validation),
        cutoff,
        scores,
    }
}

fn pairwise_tests(
    results: &[ModelResult],
    y: &[bool],
    training: &[usize],
    validation: &[usize],
) -> Vec<PairTest> {
    let mut tests = Vec::new();
    for (cohort, rows) in [
        (Cohort::Training, training),
        (Cohort::Validation, validation),
    ] {
        let labels: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        let components: Vec<Option<DelongComponents>> = results
            .iter()
            .map(|r| {
                let s: Vec<f64> = rows.iter().map(|&i| r.scores[i]).collect();
                DelongComponents::new(&s, &labels)
            })
            .collect();
        for a in 0..results.len() {
            for b in a + 1..results.len() {
                if let (Some(ca), Some(cb)) = (&components[a], &components[b]) {
                    tests.push(PairTest {
                        cohort,
                        model_a: results[a].model.clone(),
                        model_b: results[b].model.clone(),
                        test: delong_test(ca, cb),
                    });
                }
            }
        }
    }
    tests
}

/// ICC(2,1) of every kept feature between the primary values and a second reader's table, on
/// the training cases present in both.
fn icc_filter(
    second: &FeatureTable,
    keep: &[usize],
    names: &[String],
    matrix: &Array2<f64>,
    training_ids: &[String],
    training: &[usize],
    threshold: f64,
) -> TrainResult<IccReport> {
    let second_ids = &second.ids;
    let pairs: Vec<(usize, usize)> = training
        .iter()
        .zip(training_ids)
        .filter_map(|(&i, id)| second_ids.iter().position(|s| s == id).map(|r| (i, r)))
        .collect();
    if pairs.len() < 2 {
        return Err(TrainError::TooFewCases {
            step: "ICC".into(),
            message: format!(
                "{} training case(s) appear in {}; at least 2 are needed",
                pairs.len(),
                second.path.display()
            ),
        });
    }
    let mut values = BTreeMap::new();
    let mut kept = Vec::new();
    let mut absent = Vec::new();
    for &j in keep {
        let Ok(column) = second.column(&names[j]) else {
            absent.push(names[j].clone());
            continue;
        };
        let mut ratings = Vec::new();
        for &(i, r) in &pairs {
            if let Some(v) = second.value(r, column)? {
                ratings.push([matrix[[i, j]], v]);
            }
        }
        let ratings = Array2::from(ratings);
        let icc = icc_2_1(ratings.view());
        values.insert(names[j].clone(), icc);
        if icc >= threshold {
            kept.push(names[j].clone());
        }
    }
    Ok(IccReport {
        form: "ICC(2,1): two-way random effects, absolute agreement, single measurement \
               (Shrout & Fleiss 1979)"
            .into(),
        threshold,
        cases: pairs.len(),
        values,
        kept,
        absent,
    })
}

/// A fitted study with the feature table it was fitted on, read once and shared with the
/// report stage.
#[derive(Debug)]
pub struct Trained {
    /// The study.
    pub study: Study,
    /// The feature table.
    pub features: FeatureTable,
}

/// Run `sonorad train`: read the tables, fit the study, write `metrics.csv`, `delong.csv`,
/// `selection.json`, `model.json`, `split.csv` and `scores.csv` into the output folder.
pub fn run(options: &TrainOptions) -> TrainResult<Trained> {
    let table = FeatureTable::read(&options.features)?;
    let second = options
        .icc_features
        .as_deref()
        .map(FeatureTable::read)
        .transpose()?;
    let study = fit_study(
        &table,
        &options.outcome,
        options.split_column.as_deref(),
        second.as_ref(),
        &options.config,
    )?;
    outputs::write(&study, &options.config, &options.out)?;
    Ok(Trained {
        study,
        features: table,
    })
}
