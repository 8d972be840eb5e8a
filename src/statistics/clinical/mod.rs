//! Clinical and combined models on top of a fitted study ([`crate::train`]).
//!
//! 1. join the clinical table ([`variables`]) on the case id;
//! 2. univariate logistic regression ([`logistic`]) of each variable on the training cohort:
//!    OR, Wald 95% CI, Wald p;
//! 3. the multivariable clinical model on the variables with p < 0.05 (for a categorical
//!    variable: any level), or on the variables given;
//! 4. the combined model: logistic regression on the Rad-score and those variables;
//! 5. clinical, radiomics (`σ(Rad-score)`) and combined probabilities compared: AUC with
//!    DeLong 95% CI, metrics at each model's training Youden cutoff (a probability), pairwise
//!    DeLong tests;
//! 6. calibration ([`crate::evaluate::calibration`]), decision curves and the nomogram of the
//!    combined model.
//!
//! Cases without a clinical row or with a missing value of a model variable are excluded
//! from the clinical and combined analyses (listed in the notes).

pub mod cohort;
pub mod error;
pub mod logistic;
pub mod variables;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::evaluate::calibration::{
    bootstrap_calibration, brier_score, hosmer_lemeshow, lowess_at, quantile_groups,
    BootstrapCalibration, CalibrationGroup, HosmerLemeshow, LOWESS_SPAN,
};
use crate::evaluate::dca::{decision_curves, DecisionCurves};
use crate::evaluate::nomogram::{nomogram, Nomogram, NomogramPredictor};
use crate::model::metrics::{delong_test, youden_cutoff, CohortMetrics, DelongComponents};
use crate::stats::sigmoid;
use crate::table::FeatureTable;
use crate::train::data::Cohort;
use crate::train::{PairTest, Study};
use error::{ClinicalError, ClinicalResult};
use logistic::{Logit, OddsRatio};
use variables::{ClinicalTable, Variable, VariableKind};

/// File name of the combined model beside `model.json`.
pub const CLINICAL_MODEL_FILE: &str = "clinical_model.json";

/// Settings of the clinical stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalOptions {
    /// Variables of the multivariable model; `None`: those with univariate p < 0.05.
    pub variables: Option<Vec<String>>,
    /// Bootstrap resamples of the bias-corrected calibration curve.
    pub resamples: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for ClinicalOptions {
    fn default() -> Self {
        ClinicalOptions {
            variables: None,
            resamples: 1000,
            seed: 42,
        }
    }
}

/// Univariate analysis of one variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Univariate {
    /// Variable name.
    pub variable: String,
    /// Reference level of a categorical variable.
    pub reference: Option<String>,
    /// Training cases with a value.
    pub n: usize,
    /// OR, CI and p of each term.
    pub terms: Vec<OddsRatio>,
    /// Smallest term p (the variable's p for selection).
    pub p: f64,
}

/// Everything needed to score a new case with the clinical and combined models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalModel {
    /// Variables of both models, in term order.
    pub variables: Vec<Variable>,
    /// Multivariable clinical model (terms of `variables`).
    pub clinical: Logit,
    /// Combined model: Rad-score first, then the clinical terms.
    pub combined: Logit,
    /// Training Youden cutoff of the combined probability.
    pub combined_cutoff: f64,
    /// Training Youden cutoff of the clinical probability.
    pub clinical_cutoff: f64,
    /// Training range (min, max) of each numeric input: features, `radscore` and numeric
    /// clinical variables; values outside are flagged by `predict`.
    pub ranges: BTreeMap<String, (f64, f64)>,
}

impl ClinicalModel {
    /// Check that both models have one coefficient per term (as a `clinical_model.json`
    /// edited by hand may not): the intercept and the variables' terms, the combined model the
    /// Rad-score too. The message names the first disagreement.
    pub fn validate(&self) -> Result<(), String> {
        let terms: usize = self.variables.iter().map(|v| v.terms().len()).sum();
        for (what, logit, expected) in [
            ("clinical", &self.clinical, terms + 1),
            ("combined", &self.combined, terms + 2),
        ] {
            let (n, se) = (logit.coefficients.len(), logit.standard_errors.len());
            if n != expected || se != expected {
                return Err(format!(
                    "{what}: {n} coefficient(s) and {se} standard error(s), {expected} expected \
                     (intercept{} and {terms} variable term(s))",
                    if what == "combined" {
                        ", Rad-score"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(&j) = logit
                .aliased
                .iter()
                .find(|&&j| j + 1 >= n || logit.coefficients[j + 1] != 0.0)
            {
                return Err(format!(
                    "{what}: aliased term {j} is not a term with coefficient 0"
                ));
            }
        }
        Ok(())
    }
}

/// Calibration of one model on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Model.
    pub model: String,
    /// Cohort.
    pub cohort: Cohort,
    /// Decile groups.
    pub groups: Vec<CalibrationGroup>,
    /// Lowess curve: grid and smoothed observed share.
    pub smooth: (Vec<f64>, Vec<f64>),
    /// Bootstrap bias-corrected curve (training cohort of refittable models).
    pub bootstrap: Option<BootstrapCalibration>,
    /// Hosmer–Lemeshow test, g = 10.
    pub hosmer_lemeshow: HosmerLemeshow,
    /// Brier score.
    pub brier: f64,
}

/// A model's probabilities and metrics.
#[derive(Debug, Clone, Serialize)]
pub struct ModelProbabilities {
    /// `clinical`, `radiomics` or `combined`.
    pub model: String,
    /// Probability of every analysed case.
    pub probabilities: Vec<f64>,
    /// Training Youden cutoff (a probability).
    pub cutoff: f64,
    /// Training metrics at the cutoff.
    pub training: CohortMetrics,
    /// Validation metrics at the cutoff.
    pub validation: CohortMetrics,
}

/// The fitted clinical stage.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicalStudy {
    /// Notes: exclusions and choices.
    pub notes: Vec<String>,
    /// Indices into `study.cases` of the analysed cases.
    pub cases: Vec<usize>,
    /// Cohort of each analysed case.
    pub cohorts: Vec<Cohort>,
    /// Outcome of each analysed case.
    pub outcomes: Vec<bool>,
    /// Univariate analyses, one per variable.
    pub univariate: Vec<Univariate>,
    /// Multivariable clinical model: OR, CI, p.
    pub multivariable: Vec<OddsRatio>,
    /// Combined model: OR, CI, p (Rad-score first).
    pub combined: Vec<OddsRatio>,
    /// The three models' probabilities and metrics.
    pub models: Vec<ModelProbabilities>,
    /// Pairwise DeLong tests of the three models per cohort.
    pub tests: Vec<PairTest>,
    /// Calibration of each model on each cohort.
    pub calibration: Vec<Calibration>,
    /// Decision curves per cohort.
    pub decision_curves: Vec<(Cohort, DecisionCurves)>,
    /// Nomogram of the combined model.
    pub nomogram: Nomogram,
    /// The scoring model.
    pub model: ClinicalModel,
}

/// Training range (min, max) of every LASSO input feature of the study, read from the feature
/// table the study was fitted on.
pub fn feature_ranges(
    features: &FeatureTable,
    study: &Study,
) -> ClinicalResult<BTreeMap<String, (f64, f64)>> {
    let ids = &features.ids;
    let mut ranges = BTreeMap::new();
    for name in &study.model.lasso_inputs {
        let column = features.column(name)?;
        let mut range = (f64::INFINITY, f64::NEG_INFINITY);
        for case in study.cases.iter().filter(|c| c.cohort == Cohort::Training) {
            if let Some(row) = ids.iter().position(|id| *id == case.id) {
                if let Some(v) = features.value(row, column)? {
                    range = (range.0.min(v), range.1.max(v));
                }
            }
        }
        ranges.insert(name.clone(), range);
    }
    Ok(ranges)
}

/// Range (min, max) of values.
fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// Fit the clinical stage on a fitted study. `feature_ranges` (from [`feature_ranges`]) is
/// stored in the scoring model for `predict`'s range flags. The steps: match the clinical rows,
/// univariate analyses, the model's variables, complete cases, the clinical and combined fits,
/// the three models' probabilities, DeLong tests, calibration and decision curves, nomogram.
pub fn fit(
    study: &Study,
    table: &ClinicalTable,
    options: &ClinicalOptions,
    feature_ranges: BTreeMap<String, (f64, f64)>,
) -> ClinicalResult<ClinicalStudy> {
    let mut notes = Vec::new();
    if !table.empty.is_empty() {
        notes.push(format!(
            "{} column(s) of {} hold no value and were left out: {}",
            table.empty.len(),
            table.path.display(),
            table.empty.join(", ")
        ));
    }
    let radscores = &study
        .results
        .first()
        .ok_or_else(|| ClinicalError::Setting("the study has no Rad-score".into()))?
        .scores;
    let rows = clinical_rows(study, table, &mut notes);
    let univariate = univariate_analyses(study, table, &rows, &mut notes)?;
    let chosen = model_variables(options, &univariate, table, &mut notes)?;
    let variables: Vec<Variable> = chosen.iter().map(|&v| table.variables[v].clone()).collect();
    let terms: Vec<String> = variables.iter().flat_map(Variable::terms).collect();
    let analysed = complete_cases(study, table, &rows, &chosen, radscores, &mut notes)?;
    let ytrain = analysed.labels(&analysed.train_rows);
    let clinical = Logit::fit("clinical", &analysed.training(&analysed.design), &ytrain)?;
    let combined = Logit::fit(
        "combined",
        &analysed.training(&analysed.combined_design),
        &ytrain,
    )?;
    let mut combined_terms = vec!["radscore".to_string()];
    combined_terms.extend(terms.iter().cloned());
    notes.extend(alias_note("clinical", &clinical, &terms));
    notes.extend(alias_note("combined", &combined, &combined_terms));
    let models = model_probabilities(&analysed, &clinical, &combined);
    let tests = pairwise_delong(&analysed, &models);
    let (calibration, decision_curves) = calibrations(&analysed, &models, options);
    let (nomogram, ranges) = combined_nomogram(
        &analysed,
        &combined,
        (&chosen, &variables),
        table,
        feature_ranges,
    );
    let model = ClinicalModel {
        variables,
        combined_cutoff: models[2].cutoff,
        clinical_cutoff: models[0].cutoff,
        clinical: clinical.clone(),
        combined: combined.clone(),
        ranges,
    };
    Ok(ClinicalStudy {
        notes,
        cases: analysed.cases,
        cohorts: analysed.cohorts,
        outcomes: analysed.outcomes,
        univariate,
        multivariable: clinical.odds_ratios(&terms),
        combined: combined.odds_ratios(&combined_terms),
        models,
        tests,
        calibration,
        decision_curves,
        nomogram,
        model,
    })
}

/// The clinical-table row of each study case; cases without one are listed in a note.
fn clinical_rows(
    study: &Study,
    table: &ClinicalTable,
    notes: &mut Vec<String>,
) -> Vec<Option<usize>> {
    let rows: Vec<Option<usize>> = study
        .cases
        .iter()
        .map(|c| table.ids.iter().position(|id| *id == c.id))
        .collect();
    let unmatched: Vec<&str> = study
        .cases
        .iter()
        .zip(&rows)
        .filter(|(_, r)| r.is_none())
        .map(|(c, _)| c.id.as_str())
        .collect();
    if !unmatched.is_empty() {
        notes.push(format!(
            "{} case(s) have no row in {}: {}",
            unmatched.len(),
            table.path.display(),
            unmatched.join(", ")
        ));
    }
    rows
}

/// A univariate logistic regression of each variable on the training cases with a value; a
/// variable that separates the outcome is left out with a note.
fn univariate_analyses(
    study: &Study,
    table: &ClinicalTable,
    rows: &[Option<usize>],
    notes: &mut Vec<String>,
) -> ClinicalResult<Vec<Univariate>> {
    let training: Vec<usize> = (0..study.cases.len())
        .filter(|&i| study.cases[i].cohort == Cohort::Training && rows[i].is_some())
        .collect();
    let mut univariate = Vec::new();
    for (v, variable) in table.variables.iter().enumerate() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for &i in &training {
            if let Some(row) = rows[i] {
                if let Some(terms) = table.design_row(row, &[v])? {
                    x.push(terms);
                    y.push(study.cases[i].outcome);
                }
            }
        }
        let fit = match Logit::fit(&variable.name, &x, &y) {
            Ok(fit) => fit,
            Err(ClinicalError::Separation { .. }) => {
                notes.push(format!(
                    "{}: complete or quasi-complete separation of the outcome in training (no \
                     finite odds ratio); left out of the univariate table and the clinical model",
                    variable.name
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        let terms = fit.odds_ratios(&variable.terms());
        univariate.push(Univariate {
            variable: variable.name.clone(),
            reference: match &variable.kind {
                VariableKind::Categorical { reference, .. } => Some(reference.clone()),
                VariableKind::Numeric => None,
            },
            n: x.len(),
            p: terms.iter().map(|t| t.p).fold(1.0, f64::min),
            terms,
        });
    }
    Ok(univariate)
}

/// The variables of the multivariable model (indices into the table's variables): those given,
/// or those with univariate p < 0.05, or else the one with the smallest p (with a note).
fn model_variables(
    options: &ClinicalOptions,
    univariate: &[Univariate],
    table: &ClinicalTable,
    notes: &mut Vec<String>,
) -> ClinicalResult<Vec<usize>> {
    if let Some(names) = &options.variables {
        return names.iter().map(|n| table.variable(n)).collect();
    }
    let significant: Vec<usize> = univariate
        .iter()
        .filter(|u| u.p < 0.05)
        .map(|u| table.variable(&u.variable))
        .collect::<ClinicalResult<_>>()?;
    if !significant.is_empty() {
        return Ok(significant);
    }
    let best = univariate
        .iter()
        .min_by(|a, b| a.p.total_cmp(&b.p))
        .ok_or_else(|| {
            ClinicalError::Setting(format!("{}: no clinical variable", table.path.display()))
        })?;
    notes.push(format!(
        "no variable has univariate p < 0.05; the clinical model uses the one with the smallest \
         p, {}",
        best.variable
    ));
    Ok(vec![table.variable(&best.variable)?])
}

/// The cases of the clinical and combined models, with their designs.
struct Analysed {
    /// Indices into `study.cases`.
    cases: Vec<usize>,
    /// Cohort of each.
    cohorts: Vec<Cohort>,
    /// Outcome of each.
    outcomes: Vec<bool>,
    /// The clinical terms of each.
    design: Vec<Vec<f64>>,
    /// The Rad-score, then the clinical terms.
    combined_design: Vec<Vec<f64>>,
    /// Training cases (indices into `cases`).
    train_rows: Vec<usize>,
    /// Validation cases.
    validation_rows: Vec<usize>,
}

impl Analysed {
    /// `values` at `rows`.
    fn pick(&self, values: &[f64], rows: &[usize]) -> Vec<f64> {
        rows.iter().map(|&k| values[k]).collect()
    }

    /// The outcomes at `rows`.
    fn labels(&self, rows: &[usize]) -> Vec<bool> {
        rows.iter().map(|&k| self.outcomes[k]).collect()
    }

    /// The training rows of a design.
    fn training(&self, design: &[Vec<f64>]) -> Vec<Vec<f64>> {
        self.train_rows.iter().map(|&k| design[k].clone()).collect()
    }

    /// Training and validation rows, with their cohort.
    fn cohort_rows(&self) -> [(Cohort, &[usize]); 2] {
        [
            (Cohort::Training, &self.train_rows),
            (Cohort::Validation, &self.validation_rows),
        ]
    }
}

/// The study cases with a clinical row and a value of every chosen variable; the others are
/// listed in a note.
fn complete_cases(
    study: &Study,
    table: &ClinicalTable,
    rows: &[Option<usize>],
    chosen: &[usize],
    radscores: &[f64],
    notes: &mut Vec<String>,
) -> ClinicalResult<Analysed> {
    let mut cases = Vec::new();
    let mut design = Vec::new();
    let mut incomplete = Vec::new();
    for (i, case) in study.cases.iter().enumerate() {
        let Some(row) = rows[i] else { continue };
        match table.design_row(row, chosen)? {
            Some(d) => {
                cases.push(i);
                design.push(d);
            }
            None => incomplete.push(case.id.as_str()),
        }
    }
    if !incomplete.is_empty() {
        notes.push(format!(
            "{} case(s) with a missing model variable excluded from the clinical and combined \
             models: {}",
            incomplete.len(),
            incomplete.join(", ")
        ));
    }
    let cohorts: Vec<Cohort> = cases.iter().map(|&i| study.cases[i].cohort).collect();
    let outcomes: Vec<bool> = cases.iter().map(|&i| study.cases[i].outcome).collect();
    let combined_design: Vec<Vec<f64>> = cases
        .iter()
        .zip(&design)
        .map(|(&i, d)| {
            std::iter::once(radscores[i])
                .chain(d.iter().copied())
                .collect()
        })
        .collect();
    let in_cohort =
        |c: Cohort| -> Vec<usize> { (0..cases.len()).filter(|&k| cohorts[k] == c).collect() };
    Ok(Analysed {
        train_rows: in_cohort(Cohort::Training),
        validation_rows: in_cohort(Cohort::Validation),
        cases,
        cohorts,
        outcomes,
        design,
        combined_design,
    })
}

/// The note naming a model's aliased terms, if any.
fn alias_note(name: &str, fit: &Logit, terms: &[String]) -> Option<String> {
    (!fit.aliased.is_empty()).then(|| {
        let aliased: Vec<&str> = fit.aliased.iter().map(|&j| terms[j].as_str()).collect();
        format!(
            "{name} model: {} aliased (a linear combination of the terms before; not estimated, \
             NA as in R's glm): {}",
            aliased.len(),
            aliased.join(", ")
        )
    })
}

/// The clinical, radiomics (σ(Rad-score)) and combined probabilities of every analysed case,
/// with each model's training Youden cutoff and its metrics on both cohorts.
fn model_probabilities(
    analysed: &Analysed,
    clinical: &Logit,
    combined: &Logit,
) -> Vec<ModelProbabilities> {
    let a = analysed;
    let clinical_p: Vec<f64> = a.design.iter().map(|d| clinical.probability(d)).collect();
    let radiomics_p: Vec<f64> = a.combined_design.iter().map(|d| sigmoid(d[0])).collect();
    let combined_p: Vec<f64> = a
        .combined_design
        .iter()
        .map(|d| combined.probability(d))
        .collect();
    let ytrain = a.labels(&a.train_rows);
    [
        ("clinical", clinical_p),
        ("radiomics", radiomics_p),
        ("combined", combined_p),
    ]
    .into_iter()
    .map(|(name, p)| {
        // training Youden cutoff of the probability
        let cutoff = youden_cutoff(&a.pick(&p, &a.train_rows), &ytrain);
        ModelProbabilities {
            model: name.into(),
            training: CohortMetrics::new(&a.pick(&p, &a.train_rows), &ytrain, cutoff),
            validation: CohortMetrics::new(
                &a.pick(&p, &a.validation_rows),
                &a.labels(&a.validation_rows),
                cutoff,
            ),
            cutoff,
            probabilities: p,
        }
    })
    .collect()
}

/// Pairwise DeLong tests of the three models on each cohort.
fn pairwise_delong(analysed: &Analysed, models: &[ModelProbabilities]) -> Vec<PairTest> {
    let mut tests = Vec::new();
    for (cohort, rows) in analysed.cohort_rows() {
        let labels = analysed.labels(rows);
        let components: Vec<Option<DelongComponents>> = models
            .iter()
            .map(|m| DelongComponents::new(&analysed.pick(&m.probabilities, rows), &labels))
            .collect();
        for a in 0..models.len() {
            for b in a + 1..models.len() {
                if let (Some(ca), Some(cb)) = (&components[a], &components[b]) {
                    tests.push(PairTest {
                        cohort,
                        model_a: models[a].model.clone(),
                        model_b: models[b].model.clone(),
                        test: delong_test(ca, cb),
                    });
                }
            }
        }
    }
    tests
}

/// Calibration of each model on each cohort (the bootstrap curve for the refittable models on
/// training), and the decision curves of each cohort.
fn calibrations(
    analysed: &Analysed,
    models: &[ModelProbabilities],
    options: &ClinicalOptions,
) -> (Vec<Calibration>, Vec<(Cohort, DecisionCurves)>) {
    let mut calibration = Vec::new();
    let mut curves = Vec::new();
    for (cohort, rows) in analysed.cohort_rows() {
        if rows.is_empty() {
            continue;
        }
        let labels = analysed.labels(rows);
        for m in models {
            let p = analysed.pick(&m.probabilities, rows);
            calibration.push(calibrate(analysed, m, cohort, &p, &labels, options));
        }
        let named: Vec<(String, Vec<f64>)> = models
            .iter()
            .map(|m| (m.model.clone(), analysed.pick(&m.probabilities, rows)))
            .collect();
        curves.push((cohort, decision_curves(&named, &labels)));
    }
    (calibration, curves)
}

/// One model's calibration on one cohort: decile groups, the lowess curve on 50 points over the
/// predictions' range, Hosmer–Lemeshow, Brier, and on training the bootstrap bias-corrected
/// curve of a refittable (clinical or combined) model.
fn calibrate(
    analysed: &Analysed,
    model: &ModelProbabilities,
    cohort: Cohort,
    p: &[f64],
    labels: &[bool],
    options: &ClinicalOptions,
) -> Calibration {
    let y: Vec<f64> = labels.iter().map(|&v| v as u8 as f64).collect();
    let (low, high) = range_of(p.iter().copied());
    let grid: Vec<f64> = (0..50)
        .map(|k| low + (high - low) * k as f64 / 49.0)
        .collect();
    let smooth = lowess_at(p, &y, LOWESS_SPAN, &grid);
    let refit_design = match model.model.as_str() {
        "clinical" => Some(&analysed.design),
        "combined" => Some(&analysed.combined_design),
        _ => None,
    };
    let bootstrap = match (cohort, refit_design) {
        (Cohort::Training, Some(design)) => {
            let train_matrix = analysed.training(design);
            let refit = |draw: &[usize]| -> Option<Vec<f64>> {
                let x: Vec<Vec<f64>> = draw.iter().map(|&k| train_matrix[k].clone()).collect();
                let y: Vec<bool> = draw.iter().map(|&k| labels[k]).collect();
                // as rms: a resample whose fit fails or aliases a term is skipped
                let fit = Logit::fit(&model.model, &x, &y)
                    .ok()
                    .filter(|f| f.aliased.is_empty())?;
                Some(train_matrix.iter().map(|r| fit.probability(r)).collect())
            };
            bootstrap_calibration(p, labels, &refit, options.resamples, options.seed)
        }
        _ => None,
    };
    Calibration {
        model: model.model.clone(),
        cohort,
        groups: quantile_groups(p, labels, 10),
        smooth: (grid, smooth),
        bootstrap,
        hosmer_lemeshow: hosmer_lemeshow(p, labels, 10),
        brier: brier_score(p, labels),
    }
}

/// The nomogram of the combined model, and the training ranges `predict` flags against
/// (`feature_ranges`, the Rad-score's and each numeric clinical variable's).
fn combined_nomogram(
    analysed: &Analysed,
    combined: &Logit,
    (chosen, variables): (&[usize], &[Variable]),
    table: &ClinicalTable,
    feature_ranges: BTreeMap<String, (f64, f64)>,
) -> (Nomogram, BTreeMap<String, (f64, f64)>) {
    let column = |j: usize| {
        range_of(
            analysed
                .train_rows
                .iter()
                .map(|&k| analysed.combined_design[k][j]),
        )
    };
    let mut ranges = feature_ranges;
    ranges.insert("radscore".into(), column(0));
    // an aliased numeric term (coefficient NA) gets no axis
    let estimated = |term: usize| !combined.aliased.contains(&(term - 1));
    let mut predictors = Vec::new();
    if estimated(1) {
        predictors.push(NomogramPredictor::Continuous {
            name: "Rad-score".into(),
            coefficient: combined.coefficients[1],
            min: ranges["radscore"].0,
            max: ranges["radscore"].1,
        });
    }
    let mut term = 2;
    for (v, variable) in chosen.iter().zip(variables) {
        match &variable.kind {
            VariableKind::Numeric => {
                let r = column(term - 1);
                ranges.insert(variable.name.clone(), r);
                if estimated(term) {
                    predictors.push(NomogramPredictor::Continuous {
                        name: variable.name.clone(),
                        coefficient: combined.coefficients[term],
                        min: r.0,
                        max: r.1,
                    });
                }
                term += 1;
            }
            VariableKind::Categorical { levels, reference } => {
                let mut coded = Vec::new();
                for level in levels {
                    if level == reference {
                        coded.push((level.clone(), 0.0));
                    } else {
                        coded.push((level.clone(), combined.coefficients[term]));
                        term += 1;
                    }
                }
                predictors.push(NomogramPredictor::Categorical {
                    name: format!("{} (reference {reference})", table.variables[*v].name),
                    levels: coded,
                });
            }
        }
    }
    let train_lp: Vec<f64> = analysed
        .train_rows
        .iter()
        .map(|&k| combined.linear_predictor(&analysed.combined_design[k]))
        .collect();
    (
        nomogram(combined.coefficients[0], &predictors, &train_lp),
        ranges,
    )
}
