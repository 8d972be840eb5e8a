//! The report stage, run after `sonorad train` has fitted a study: the clinical and combined
//! models when a clinical table is given ([`crate::clinical`]), their tables as CSV, the
//! figures ([`figures`], SVG and PNG under `DIR/figures/`) and one self-contained
//! `DIR/report.html` ([`html`]) holding the cohort table, every table and figure, the Rad-score
//! formula, the settings, the software version and the SHA-256 of every input.

pub mod error;
pub mod figures;
pub mod heatmap;
pub mod html;

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::clinical::cohort::{categorical_test, mann_whitney, median_iqr};
use crate::clinical::error::ClinicalError;
use crate::clinical::logistic::OddsRatio;
use crate::clinical::variables::{ClinicalTable, VariableKind};
use crate::clinical::CLINICAL_MODEL_FILE;
use crate::clinical::{self, Calibration, ClinicalOptions, ClinicalStudy};
use crate::evaluate::nomogram::Nomogram;
use crate::table::{format_number, FeatureTable};
use crate::train::data::Cohort;
use crate::train::{Study, TrainOptions, Trained};
use error::{ReportError, ReportResult};
use figures::{Figure, Series};
use html::{escape, number, p_value, section, table};

/// Settings of the report stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportOptions {
    /// Clinical table (first column: case id).
    pub clinical: Option<PathBuf>,
    /// Clinical-stage settings.
    pub clinical_options: ClinicalOptions,
    /// Notes printed at the top of the report (e.g. which variable stands in for another).
    pub notes: Vec<String>,
    /// Texture maps to show (`sonorad map`'s heatmaps), with what they show.
    pub maps: Option<MapsShown>,
}

/// Texture-map heatmaps the report shows side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct MapsShown {
    /// What the maps are (case, feature, kernel), printed above them.
    pub description: String,
    /// Each heatmap's PNG file and its caption.
    pub images: Vec<(PathBuf, String)>,
}

/// The section showing texture maps, each PNG embedded as a `data:` URI so that the report
/// stays one self-contained file.
fn maps_section(maps: &MapsShown) -> ReportResult<String> {
    use base64::Engine as _;
    let mut figures = String::new();
    for (path, caption) in &maps.images {
        let png = std::fs::read(path).map_err(|e| ReportError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        figures.push_str(&format!(
            "<figure class=\"map\"><img src=\"data:image/png;base64,{data}\" alt=\"{}\" style=\"max-width:100%\"><figcaption>{}</figcaption></figure>",
            escape(caption),
            escape(caption)
        ));
    }
    Ok(section(
        "maps",
        "Texture maps",
        &format!(
            "<p>{}</p><div style=\"display:flex;flex-wrap:wrap;gap:1em\">{figures}</div>",
            escape(&maps.description)
        ),
    ))
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256(path: &Path) -> ReportResult<String> {
    let read_error = |e: std::io::Error| ReportError::Read {
        path: path.into(),
        message: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn write_file(path: &Path, text: &str) -> ReportResult<()> {
    std::fs::write(path, text).map_err(|e| ReportError::Write {
        path: path.into(),
        message: e.to_string(),
    })
}

fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> ReportResult<()> {
    Ok(crate::train::outputs::write_csv(path, header, rows)?)
}

/// One model's ROC curve on one cohort, as the report draws it and `roc_curves.csv` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// Model name.
    pub model: String,
    /// Cohort.
    pub cohort: Cohort,
    /// AUC of the model on the cohort.
    pub auc: f64,
    /// Points (threshold, false-positive rate, sensitivity), from (∞, 0, 0): a case is called
    /// positive when its score is at or above the threshold.
    pub points: Vec<(f64, f64, f64)>,
}

/// The ROC curves of every radiomics model and, with a clinical stage, of the clinical and
/// combined models, training cohort first.
pub fn roc_curves(study: &Study, clinical: Option<&ClinicalStudy>) -> Vec<RocCurve> {
    let mut curves = Vec::new();
    for cohort in [Cohort::Training, Cohort::Validation] {
        let rows: Vec<usize> = (0..study.cases.len())
            .filter(|&i| study.cases[i].cohort == cohort)
            .collect();
        let labels: Vec<bool> = rows.iter().map(|&i| study.cases[i].outcome).collect();
        for r in &study.results {
            let s: Vec<f64> = rows.iter().map(|&i| r.scores[i]).collect();
            curves.push(RocCurve {
                model: r.model.clone(),
                cohort,
                auc: match cohort {
                    Cohort::Training => r.training.auc,
                    Cohort::Validation => r.validation.auc,
                },
                points: roc_points(&s, &labels),
            });
        }
        if let Some(c) = clinical {
            let rows: Vec<usize> = (0..c.cases.len())
                .filter(|&k| c.cohorts[k] == cohort)
                .collect();
            let labels: Vec<bool> = rows.iter().map(|&k| c.outcomes[k]).collect();
            for m in c.models.iter().filter(|m| m.model != "radiomics") {
                let s: Vec<f64> = rows.iter().map(|&k| m.probabilities[k]).collect();
                curves.push(RocCurve {
                    model: m.model.clone(),
                    cohort,
                    auc: match cohort {
                        Cohort::Training => m.training.auc,
                        Cohort::Validation => m.validation.auc,
                    },
                    points: roc_points(&s, &labels),
                });
            }
        }
    }
    curves
}

/// `roc_curves.csv`: every point of every curve.
fn write_roc_curves(dir: &Path, curves: &[RocCurve]) -> ReportResult<()> {
    let rows: Vec<Vec<String>> = curves
        .iter()
        .flat_map(|c| {
            c.points.iter().map(move |&(threshold, fpr, tpr)| {
                vec![
                    c.cohort.name().to_string(),
                    c.model.clone(),
                    format_number(threshold),
                    format_number(fpr),
                    format_number(tpr),
                ]
            })
        })
        .collect();
    write_csv(
        &dir.join("roc_curves.csv"),
        &["cohort", "model", "threshold", "fpr", "tpr"],
        &rows,
    )
}

/// The rows of `calibration_curves.csv`: per model and cohort the decile groups (`n` cases
/// each), the lowess curve, and on training the bootstrap apparent, bias-corrected (`n`: the
/// resamples reaching the point) and optimism curves, as the calibration figures draw them.
fn calibration_curve_rows(calibration: &[Calibration]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for k in calibration {
        let mut push = |curve: &str, x: f64, y: f64, n: String| {
            rows.push(vec![
                k.model.clone(),
                k.cohort.name().to_string(),
                curve.to_string(),
                format_number(x),
                format_number(y),
                n,
            ]);
        };
        for g in &k.groups {
            push("deciles", g.predicted, g.observed, g.n.to_string());
        }
        for (&x, &y) in k.smooth.0.iter().zip(&k.smooth.1) {
            push("lowess", x, y, String::new());
        }
        if let Some(b) = &k.bootstrap {
            for (i, &x) in b.grid.iter().enumerate() {
                push("apparent", x, b.apparent[i], String::new());
                push("bias_corrected", x, b.corrected[i], b.counts[i].to_string());
                push("optimism", x, b.optimism[i], b.counts[i].to_string());
            }
        }
    }
    rows
}

/// The rows of `nomogram.csv`: every tick of every axis, its label and its position, on the
/// 0–100 points scale (the Points and predictor axes) or on the total-points scale (the
/// Total points, Linear predictor and probability axes), as the nomogram figure draws them.
fn nomogram_rows(n: &Nomogram) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut push = |axis: &str, scale: &str, label: String, position: f64| {
        rows.push(vec![
            axis.to_string(),
            scale.to_string(),
            label,
            format_number(position),
        ]);
    };
    for k in 0..=10 {
        push("Points", "points", (10 * k).to_string(), 10.0 * k as f64);
    }
    for axis in &n.predictors {
        for t in &axis.ticks {
            push(&axis.name, "points", t.label.clone(), t.points);
        }
    }
    for &t in &n.total_points {
        push("Total points", "total_points", t.to_string(), t);
    }
    for t in &n.linear_predictor {
        push(
            "Linear predictor",
            "total_points",
            t.label.clone(),
            t.points,
        );
    }
    for t in &n.probability {
        push(
            "Predicted probability",
            "total_points",
            t.label.clone(),
            t.points,
        );
    }
    rows
}

/// ROC curve points (threshold, false-positive rate, sensitivity) of scores, one per distinct
/// score from the highest, after the start (∞, 0, 0).
pub fn roc_points(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64, f64)> {
    let positives = labels.iter().filter(|&&l| l).count().max(1) as f64;
    let negatives = labels.iter().filter(|&&l| !l).count().max(1) as f64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![(f64::INFINITY, 0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut k = 0;
    while k < order.len() {
        // all cases tied at this score move together
        let s = scores[order[k]];
        while k < order.len() && scores[order[k]] == s {
            if labels[order[k]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            k += 1;
        }
        points.push((s, fp / negatives, tp / positives));
    }
    points
}

fn odds_rows(terms: &[OddsRatio]) -> Vec<Vec<String>> {
    terms
        .iter()
        .map(|t| {
            if t.aliased {
                let mut row = vec![escape(&t.term), "NA (aliased)".to_string()];
                row.extend(std::iter::repeat_n("NA".to_string(), 4));
                return row;
            }
            vec![
                escape(&t.term),
                number(t.coefficient),
                number(t.standard_error),
                number(t.odds_ratio),
                format!("{} – {}", number(t.ci_low), number(t.ci_high)),
                p_value(t.p),
            ]
        })
        .collect()
}

const ODDS_HEADER: [&str; 6] = ["term", "β", "SE", "OR", "95% CI", "Wald p"];

fn odds_csv(terms: &[OddsRatio], variable: Option<&str>) -> Vec<Vec<String>> {
    terms
        .iter()
        .map(|t| {
            let mut row: Vec<String> = variable.map(String::from).into_iter().collect();
            row.push(t.term.clone());
            // an aliased term is not estimated: missing (R prints NA)
            let text = |v: f64| {
                if t.aliased {
                    format_number(f64::NAN)
                } else {
                    format_number(v)
                }
            };
            row.extend(
                [
                    t.coefficient,
                    t.standard_error,
                    t.odds_ratio,
                    t.ci_low,
                    t.ci_high,
                    t.p,
                ]
                .map(text),
            );
            row
        })
        .collect()
}

/// The cohort table: n and outcome split per cohort, and each clinical variable by outcome
/// group with its test (see [`crate::clinical::cohort`]).
fn cohort_section(study: &Study, clinical: Option<&ClinicalTable>) -> String {
    let mut rows = Vec::new();
    for cohort in [Cohort::Training, Cohort::Validation] {
        let cases: Vec<&crate::train::StudyCase> =
            study.cases.iter().filter(|c| c.cohort == cohort).collect();
        let positive = cases.iter().filter(|c| c.outcome).count();
        rows.push(vec![
            cohort.name().into(),
            cases.len().to_string(),
            (cases.len() - positive).to_string(),
            positive.to_string(),
        ]);
    }
    let mut body = table(&["cohort", "n", "negative (0)", "positive (1)"], &rows);
    let Some(table_data) = clinical else {
        return body;
    };
    for cohort in [Cohort::Training, Cohort::Validation] {
        let mut rows = Vec::new();
        let matched: Vec<(usize, bool)> = study
            .cases
            .iter()
            .filter(|c| c.cohort == cohort)
            .filter_map(|c| {
                table_data
                    .ids
                    .iter()
                    .position(|id| *id == c.id)
                    .map(|r| (r, c.outcome))
            })
            .collect();
        for (v, variable) in table_data.variables.iter().enumerate() {
            match &variable.kind {
                VariableKind::Numeric => {
                    let group = |positive: bool| -> Vec<f64> {
                        matched
                            .iter()
                            .filter(|(_, o)| *o == positive)
                            .filter_map(|(r, _)| table_data.cells[*r][v].as_ref())
                            .filter_map(|s| s.parse::<f64>().ok())
                            .collect()
                    };
                    let (negative, positive) = (group(false), group(true));
                    let p = if negative.is_empty() || positive.is_empty() {
                        f64::NAN
                    } else {
                        mann_whitney(&negative, &positive)
                    };
                    rows.push(vec![
                        escape(&variable.name),
                        "median (IQR)".into(),
                        median_iqr(&negative),
                        median_iqr(&positive),
                        p_value(p),
                        "Mann–Whitney U".into(),
                    ]);
                }
                VariableKind::Categorical { levels, .. } => {
                    let counts: Vec<[u64; 2]> = levels
                        .iter()
                        .map(|level| {
                            let count = |positive: bool| {
                                matched
                                    .iter()
                                    .filter(|(r, o)| {
                                        *o == positive
                                            && table_data.cells[*r][v].as_deref() == Some(level)
                                    })
                                    .count() as u64
                            };
                            [count(false), count(true)]
                        })
                        .collect();
                    let totals = [
                        counts.iter().map(|c| c[0]).sum::<u64>().max(1),
                        counts.iter().map(|c| c[1]).sum::<u64>().max(1),
                    ];
                    let (p, test) = categorical_test(&counts);
                    for (k, level) in levels.iter().enumerate() {
                        let cell = |j: usize| {
                            format!(
                                "{} ({:.1}%)",
                                counts[k][j],
                                100.0 * counts[k][j] as f64 / totals[j] as f64
                            )
                        };
                        rows.push(vec![
                            if k == 0 {
                                escape(&variable.name)
                            } else {
                                String::new()
                            },
                            escape(level),
                            cell(0),
                            cell(1),
                            if k == 0 { p_value(p) } else { String::new() },
                            if k == 0 { test.into() } else { String::new() },
                        ]);
                    }
                }
            }
        }
        body.push_str(&format!(
            "<h3>Clinical variables by outcome, {} cohort</h3>",
            cohort.name()
        ));
        body.push_str(&table(
            &["variable", "summary", "negative", "positive", "p", "test"],
            &rows,
        ));
    }
    body.push_str(
        "<p>Tests: numeric variables, Mann–Whitney U (normal approximation, tie- and \
         continuity-corrected); categorical variables, Pearson chi-square without continuity \
         correction, or Fisher's exact test for a 2×2 table with an expected count below 5.</p>",
    );
    body
}

fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    series: Vec<Series>,
) -> Figure {
    Figure::Lines {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        x_range,
        y_range,
        series,
        verticals: Vec::new(),
        top_labels: Vec::new(),
    }
}

/// A line figure of one cohort (ROC, calibration, decision curves) over `y_range` and x in
/// 0..1, rendered as `<stem>_<cohort>` and wrapped for the report with its caption.
fn cohort_figure(
    figures_dir: &Path,
    (stem, title, cohort): (&str, &str, Cohort),
    (x_label, y_label, y_range): (&str, &str, (f64, f64)),
    series: Vec<Series>,
    caption: &str,
) -> ReportResult<String> {
    let figure = lines(
        &format!("{title}, {} cohort", cohort.name()),
        x_label,
        y_label,
        (0.0, 1.0),
        y_range,
        series,
    );
    let name = format!("{stem}_{}", cohort.name());
    Ok(html::figure(
        &name.replace('_', "-"),
        &figure.render(figures_dir, &name)?,
        caption,
    ))
}

fn diagonal() -> Series {
    Series::reference("reference", vec![(0.0, 0.0), (1.0, 1.0)])
}

/// Write the clinical-stage CSV files and `clinical_model.json`.
fn write_clinical_outputs(dir: &Path, study: &Study, c: &ClinicalStudy) -> ReportResult<()> {
    // per case: cohort, outcome and each model's probability
    let scores: Vec<Vec<String>> = c
        .cases
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let mut row = vec![
                study.cases[i].id.clone(),
                c.cohorts[k].name().into(),
                (c.outcomes[k] as u8).to_string(),
            ];
            row.extend(c.models.iter().map(|m| format_number(m.probabilities[k])));
            row
        })
        .collect();
    let mut header = vec!["case_id", "cohort", "outcome"];
    header.extend(c.models.iter().map(|m| m.model.as_str()));
    write_csv(&dir.join("clinical_scores.csv"), &header, &scores)?;
    let mut univariate = Vec::new();
    for u in &c.univariate {
        univariate.extend(odds_csv(&u.terms, Some(&u.variable)));
    }
    let odds_header = ["term", "beta", "se", "or", "ci_low", "ci_high", "p"];
    let mut header = vec!["variable"];
    header.extend(odds_header);
    write_csv(&dir.join("clinical_univariate.csv"), &header, &univariate)?;
    write_csv(
        &dir.join("clinical_multivariable.csv"),
        &odds_header,
        &odds_csv(&c.multivariable, None),
    )?;
    write_csv(
        &dir.join("combined_model.csv"),
        &odds_header,
        &odds_csv(&c.combined, None),
    )?;
    let mut rows = Vec::new();
    for m in &c.models {
        for (cohort, x) in [("training", &m.training), ("validation", &m.validation)] {
            rows.push(vec![
                m.model.clone(),
                cohort.into(),
                x.n.to_string(),
                format_number(x.auc),
                format_number(x.auc_ci_low),
                format_number(x.auc_ci_high),
                format_number(m.cutoff),
                format_number(x.accuracy),
                format_number(x.sensitivity),
                format_number(x.specificity),
                format_number(x.ppv),
                format_number(x.npv),
            ]);
        }
    }
    write_csv(
        &dir.join("model_comparison.csv"),
        &[
            "model",
            "cohort",
            "n",
            "auc",
            "auc_ci_low",
            "auc_ci_high",
            "cutoff_probability",
            "accuracy",
            "sensitivity",
            "specificity",
            "ppv",
            "npv",
        ],
        &rows,
    )?;
    let tests: Vec<Vec<String>> = c
        .tests
        .iter()
        .map(|t| {
            vec![
                t.cohort.name().into(),
                t.model_a.clone(),
                t.model_b.clone(),
                format_number(t.test.z),
                format_number(t.test.p),
            ]
        })
        .collect();
    write_csv(
        &dir.join("model_comparison_delong.csv"),
        &["cohort", "model_a", "model_b", "z", "p"],
        &tests,
    )?;
    write_evaluation_outputs(dir, c)?;
    let json = serde_json::to_string_pretty(&c.model).map_err(|e| ReportError::Write {
        path: dir.join(CLINICAL_MODEL_FILE),
        message: e.to_string(),
    })?;
    write_file(&dir.join(CLINICAL_MODEL_FILE), &(json + "\n"))
}

/// The evaluation CSV files: `calibration.csv`, `calibration_curves.csv`, `nomogram.csv`,
/// `decision_curves.csv`.
fn write_evaluation_outputs(dir: &Path, c: &ClinicalStudy) -> ReportResult<()> {
    let calibration: Vec<Vec<String>> = c
        .calibration
        .iter()
        .map(|k| {
            let mut row = vec![
                k.model.clone(),
                k.cohort.name().into(),
                format_number(k.hosmer_lemeshow.statistic),
                k.hosmer_lemeshow.df.to_string(),
                format_number(k.hosmer_lemeshow.p),
                format_number(k.brier),
            ];
            match &k.bootstrap {
                Some(b) => row.extend([
                    b.resamples.to_string(),
                    format_number(b.mean_absolute_error),
                    format_number(b.grid_mean_absolute_error),
                ]),
                None => row.extend([String::new(), String::new(), String::new()]),
            }
            row
        })
        .collect();
    write_csv(
        &dir.join("calibration.csv"),
        &[
            "model",
            "cohort",
            "hl_statistic",
            "hl_df",
            "hl_p",
            "brier",
            "bootstrap_resamples",
            "mean_absolute_error_cases",
            "mean_absolute_error_grid",
        ],
        &calibration,
    )?;
    write_csv(
        &dir.join("calibration_curves.csv"),
        &["model", "cohort", "curve", "predicted", "observed", "n"],
        &calibration_curve_rows(&c.calibration),
    )?;
    write_csv(
        &dir.join("nomogram.csv"),
        &["axis", "scale", "label", "position"],
        &nomogram_rows(&c.nomogram),
    )?;
    let mut dca = Vec::new();
    for (cohort, curves) in &c.decision_curves {
        for (k, pt) in curves.thresholds.iter().enumerate() {
            let mut row = vec![
                cohort.name().to_string(),
                format_number(*pt),
                format_number(curves.treat_all[k]),
            ];
            row.extend(curves.models.iter().map(|(_, nb)| format_number(nb[k])));
            dca.push(row);
        }
    }
    let mut header = vec!["cohort", "threshold", "treat_all"];
    header.extend(c.models.iter().map(|m| m.model.as_str()));
    write_csv(&dir.join("decision_curves.csv"), &header, &dca)?;
    Ok(())
}

/// The clinical stage of the report, when a clinical table is given: the fitted stage (its
/// CSV files written), or why its models could not be fitted (separation, too few cases: the
/// rest of the report is still written).
fn fit_clinical(
    study: &Study,
    options: &ReportOptions,
    features: &FeatureTable,
    clinical_table: Option<&ClinicalTable>,
    dir: &Path,
) -> ReportResult<(Option<ClinicalStudy>, Option<String>)> {
    let mut clinical_skipped = None;
    let clinical_study = match clinical_table {
        Some(t) => {
            let ranges = clinical::feature_ranges(features, study)?;
            match clinical::fit(study, t, &options.clinical_options, ranges) {
                Ok(c) => {
                    write_clinical_outputs(dir, study, &c)?;
                    Some(c)
                }
                // a model R could not fit either: reported, and the rest still written
                Err(e @ (ClinicalError::Separation { .. } | ClinicalError::Fit { .. })) => {
                    clinical_skipped = Some(format!(
                        "The clinical and combined models were not fitted: {e}. The radiomics \
                         results below are complete."
                    ));
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    Ok((clinical_study, clinical_skipped))
}

/// The notes: `--note` text, why a clinical stage was skipped, the study's and the clinical
/// stage's notes.
fn notes_section(
    options: &ReportOptions,
    clinical_skipped: Option<&String>,
    study: &Study,
    clinical_study: Option<&ClinicalStudy>,
) -> String {
    let mut notes: String = options
        .notes
        .iter()
        .chain(clinical_skipped)
        .chain(&study.notes)
        .chain(clinical_study.iter().flat_map(|c| &c.notes))
        .map(|n| format!("<p class=\"note\">{}</p>", escape(n)))
        .collect();
    if notes.is_empty() {
        notes = "<p>No case or feature was excluded.</p>".into();
    }
    section("notes", "Notes", &notes)
}

/// Software version, settings and the SHA-256 of every input.
fn settings_section(train: &TrainOptions, options: &ReportOptions) -> ReportResult<String> {
    let mut inputs = vec![("features", train.features.clone())];
    if let Some(p) = &train.icc_features {
        inputs.push(("second reader features", p.clone()));
    }
    if let Some(p) = &options.clinical {
        inputs.push(("clinical", p.clone()));
    }
    let mut checksum_rows = Vec::new();
    for (role, path) in &inputs {
        checksum_rows.push(vec![
            role.to_string(),
            escape(&path.display().to_string()),
            format!("<code>{}</code>", sha256(path)?),
        ]);
    }
    let settings = serde_json::to_string_pretty(&train.config).unwrap_or_default();
    let clinical_settings = format!(
        "clinical variables: {}\nbootstrap resamples: {}\nbootstrap seed: {}",
        options
            .clinical_options
            .variables
            .as_ref()
            .map_or("univariate p < 0.05".to_string(), |v| v.join(", ")),
        options.clinical_options.resamples,
        options.clinical_options.seed
    );
    Ok(section(
        "settings",
        "Software, settings and inputs",
        &format!(
            "<p>sonorad {} (report written by <code>sonorad train</code>)</p>\
             <p>Outcome column: <code>{}</code>; split: {}</p><pre>{}</pre><pre>{}</pre>\
             <h3>Input checksums (SHA-256)</h3>{}",
            env!("CARGO_PKG_VERSION"),
            escape(&train.outcome),
            escape(
                &train
                    .split_column
                    .as_ref()
                    .map_or("stratified random".into(), |c| format!("column {c}"))
            ),
            escape(&settings),
            escape(&clinical_settings),
            table(&["input", "file", "SHA-256"], &checksum_rows)
        ),
    ))
}

/// The LASSO figures as glmnet's plots draw them: the coefficient path against ln λ and the
/// cross-validated deviance, both with λ.min and λ.1se marked and the number of non-zero
/// coefficients along the top.
fn lasso_figures(study: &Study) -> (Figure, Figure) {
    let lasso = &study.lasso;
    let log_lambda = |l: f64| l.ln();
    let x_range = (
        lasso
            .lambdas
            .iter()
            .copied()
            .map(log_lambda)
            .fold(f64::INFINITY, f64::min),
        lasso
            .lambdas
            .iter()
            .copied()
            .map(log_lambda)
            .fold(f64::NEG_INFINITY, f64::max),
    );
    let coefficient_extent = lasso
        .path
        .iter()
        .flat_map(|f| f.coefficients.iter().map(|c| c.abs()))
        .fold(1e-6, f64::max);
    let path_series: Vec<Series> = study
        .model
        .lasso_inputs
        .iter()
        .enumerate()
        .map(|(j, name)| {
            Series::line(
                name,
                lasso
                    .lambdas
                    .iter()
                    .zip(&lasso.path)
                    .map(|(l, f)| (log_lambda(*l), f.coefficients[j]))
                    .collect(),
            )
        })
        .collect();
    let verticals = vec![
        (log_lambda(lasso.lambda_min), "λ.min".to_string()),
        (log_lambda(lasso.lambda_1se), "λ.1se".to_string()),
    ];
    // as glmnet's plots: the number of non-zero coefficients along the top, every 10th λ
    let top_labels: Vec<(f64, String)> = lasso
        .lambdas
        .iter()
        .zip(&lasso.nonzero)
        .step_by(10)
        .map(|(l, n)| (log_lambda(*l), n.to_string()))
        .collect();
    let lasso_path = Figure::Lines {
        title: "LASSO coefficient path".into(),
        x_label: "ln λ".into(),
        y_label: "coefficient (z-scored features)".into(),
        x_range,
        y_range: (-coefficient_extent * 1.05, coefficient_extent * 1.05),
        series: path_series,
        verticals: verticals.clone(),
        top_labels: top_labels.clone(),
    };
    let cv_high = lasso
        .cvm
        .iter()
        .zip(&lasso.cvsd)
        .map(|(m, s)| m + s)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let cv_low = lasso
        .cvm
        .iter()
        .zip(&lasso.cvsd)
        .map(|(m, s)| m - s)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    // as plot(cv.glmnet): the mean deviance as red points with ±1 SE error bars
    let cv_curve = Figure::Lines {
        title: "LASSO cross-validation".into(),
        x_label: "ln λ".into(),
        y_label: "binomial deviance".into(),
        x_range,
        y_range: (
            cv_low - 0.03 * (cv_high - cv_low),
            cv_high + 0.03 * (cv_high - cv_low),
        ),
        series: vec![Series::markers(
            "mean CV deviance ± 1 SE",
            lasso
                .lambdas
                .iter()
                .zip(&lasso.cvm)
                .map(|(l, m)| (log_lambda(*l), *m))
                .collect(),
        )
        .in_colour(1)
        .with_bars(
            lasso
                .lambdas
                .iter()
                .zip(lasso.cvm.iter().zip(&lasso.cvsd))
                .map(|(l, (m, s))| (log_lambda(*l), m - s, m + s))
                .collect(),
        )],
        verticals,
        top_labels,
    };
    (lasso_path, cv_curve)
}

/// Feature selection and the Rad-score: counts, formula, mRMR table, LASSO path and CV
/// figures, feature weights.
fn selection_section(study: &Study, figures_dir: &Path) -> ReportResult<String> {
    let lasso = &study.lasso;
    let (lasso_path, cv_curve) = lasso_figures(study);
    let weights: Vec<(String, f64)> = study
        .model
        .lasso_inputs
        .iter()
        .zip(&study.model.radscore.coefficients)
        .filter(|(_, b)| **b != 0.0)
        .map(|(n, b)| (n.clone(), *b))
        .collect();
    let weights_figure = Figure::Bars {
        title: "Rad-score feature weights (LASSO)".into(),
        x_label: "coefficient (z-scored feature)".into(),
        bars: weights.clone(),
    };
    let mrmr_rows: Vec<Vec<String>> = study
        .mrmr
        .order
        .iter()
        .zip(&study.mrmr.scores)
        .enumerate()
        .map(|(rank, (&j, score))| {
            let name = &study.mrmr_inputs[j];
            let coefficient = study
                .model
                .lasso_inputs
                .iter()
                .position(|n| n == name)
                .map_or(0.0, |k| study.model.radscore.coefficients[k]);
            vec![
                (rank + 1).to_string(),
                escape(name),
                number(*score),
                number(coefficient),
            ]
        })
        .collect();
    Ok(section(
        "selection",
        "Feature selection and Rad-score",
        &format!(
            "<p>{} candidate features; {} after filters; mRMR kept {}; LASSO (λ = {}, rule {:?}) kept {}.</p>\
             <h3>Rad-score formula</h3><pre id=\"radscore-formula\">{}</pre>{}{}{}{}",
            study.candidates.len(),
            study.mrmr_inputs.len(),
            study.model.lasso_inputs.len(),
            number(lasso.lambda),
            lasso.rule,
            weights.len(),
            escape(&study.model.radscore.formula),
            table(&["mRMR rank", "feature", "mRMR score", "LASSO coefficient"], &mrmr_rows),
            html::figure("lasso-path", &lasso_path.render(figures_dir, "lasso_path")?, "LASSO coefficient path against ln λ (as plot(glmnet, xvar = \"lambda\")); dashed lines at λ.min and λ.1se; along the top, the number of non-zero coefficients."),
            html::figure("lasso-cv", &cv_curve.render(figures_dir, "lasso_cv")?, "Ten-fold cross-validated binomial deviance (as plot(cv.glmnet)): mean with ±1 SE error bars; dashed lines at λ.min and λ.1se; along the top, the number of non-zero coefficients."),
            html::figure("feature-weights", &weights_figure.render(figures_dir, "feature_weights")?, "Non-zero LASSO coefficients of the Rad-score."),
        ),
    ))
}

/// Columns of a metrics table.
const METRIC_HEADER: [&str; 11] = [
    "model",
    "cohort",
    "n",
    "AUC (95% CI, DeLong)",
    "cutoff",
    "accuracy",
    "sensitivity",
    "specificity",
    "PPV",
    "NPV",
    "F1",
];

/// Columns of a DeLong table.
const DELONG_HEADER: [&str; 7] = [
    "cohort", "model A", "model B", "AUC A", "AUC B", "z", "DeLong p",
];

/// The rows of a DeLong table.
fn delong_rows(tests: &[crate::train::PairTest]) -> Vec<Vec<String>> {
    tests
        .iter()
        .map(|t| {
            vec![
                t.cohort.name().into(),
                escape(&t.model_a),
                escape(&t.model_b),
                number(t.test.auc_a),
                number(t.test.auc_b),
                number(t.test.z),
                p_value(t.test.p),
            ]
        })
        .collect()
}

/// The radiomics models: metrics of the Rad-score and the six classifiers, DeLong tests.
fn models_section(study: &Study) -> String {
    let metric_rows: Vec<Vec<String>> = study
        .results
        .iter()
        .flat_map(|r| {
            [("training", &r.training), ("validation", &r.validation)].map(|(cohort, m)| {
                vec![
                    escape(&r.model),
                    cohort.into(),
                    m.n.to_string(),
                    format!(
                        "{} ({} – {})",
                        number(m.auc),
                        number(m.auc_ci_low),
                        number(m.auc_ci_high)
                    ),
                    number(m.cutoff),
                    number(m.accuracy),
                    number(m.sensitivity),
                    number(m.specificity),
                    number(m.ppv),
                    number(m.npv),
                    number(m.f1),
                ]
            })
        })
        .collect();
    section(
        "radiomics-models",
        "Radiomics models",
        &format!(
            "<p>Rad-score and six classifiers on the LASSO-selected features; metrics at each \
             model's training Youden cutoff.</p>{}<h3>Pairwise DeLong tests</h3>{}",
            table(&METRIC_HEADER, &metric_rows),
            table(&DELONG_HEADER, &delong_rows(&study.tests))
        ),
    )
}

/// ROC curves of every model on each cohort (all radiomics models, plus the clinical and
/// combined ones); their points are written to `roc_curves.csv`.
fn roc_section(
    study: &Study,
    clinical_study: Option<&ClinicalStudy>,
    dir: &Path,
    figures_dir: &Path,
) -> ReportResult<String> {
    // ROC curves: all radiomics models, plus clinical and combined.
    let rocs = roc_curves(study, clinical_study);
    write_roc_curves(dir, &rocs)?;
    let mut roc_html = String::new();
    for cohort in [Cohort::Training, Cohort::Validation] {
        let mut series: Vec<Series> = rocs
            .iter()
            .filter(|c| c.cohort == cohort)
            .map(|c| {
                Series::line(
                    &format!("{} (AUC {:.3})", c.model, c.auc),
                    c.points.iter().map(|&(_, fpr, tpr)| (fpr, tpr)).collect(),
                )
            })
            .collect();
        series.push(diagonal());
        roc_html.push_str(&cohort_figure(
            figures_dir,
            ("roc", "ROC curves", cohort),
            ("1 − specificity", "sensitivity", (0.0, 1.0)),
            series,
            &format!("ROC curves of every model on the {} cohort.", cohort.name()),
        )?);
    }
    Ok(section("roc", "ROC curves", &roc_html))
}

/// The clinical stage's sections: clinical model, combined model and comparison, calibration,
/// decision curves, nomogram.
fn clinical_sections(
    c: &ClinicalStudy,
    options: &ReportOptions,
    figures_dir: &Path,
) -> ReportResult<Vec<String>> {
    Ok(vec![
        clinical_model_section(c, options)?,
        combined_section(c)?,
        calibration_section(c, figures_dir)?,
        dca_section(c, figures_dir)?,
        nomogram_section(c, figures_dir)?,
    ])
}

/// The clinical model section: univariate analyses and the multivariable model.
fn clinical_model_section(c: &ClinicalStudy, options: &ReportOptions) -> ReportResult<String> {
    let mut univariate_rows = Vec::new();
    for u in &c.univariate {
        for mut row in odds_rows(&u.terms) {
            row.insert(
                0,
                format!(
                    "{} (n = {}{})",
                    escape(&u.variable),
                    u.n,
                    u.reference
                        .as_ref()
                        .map_or(String::new(), |r| format!(", reference {}", escape(r)))
                ),
            );
            univariate_rows.push(row);
        }
    }
    let mut univariate_header = vec!["variable"];
    univariate_header.extend(ODDS_HEADER);
    Ok(section(
            "clinical",
            "Clinical model",
            &format!(
                "<p>Logistic regression (Newton–Raphson, observed-information covariance); OR = e^β, \
                 Wald 95% CI e^(β ± 1.96 SE), Wald p. Categorical variables are dummy-coded against \
                 the stated reference level. The multivariable model uses {}.</p>\
                 <h3>Univariate (training cohort)</h3>{}<h3>Multivariable clinical model</h3>{}",
                options
                    .clinical_options
                    .variables
                    .as_ref()
                    .map_or("the variables with univariate p &lt; 0.05".to_string(), |v| format!("the variables given: {}", escape(&v.join(", ")))),
                table(&univariate_header, &univariate_rows),
                table(&ODDS_HEADER, &odds_rows(&c.multivariable)),
            ),
        ))
}

/// The combined model and the comparison of the clinical, radiomics and combined models.
fn combined_section(c: &ClinicalStudy) -> ReportResult<String> {
    let comparison_rows: Vec<Vec<String>> = c
        .models
        .iter()
        .flat_map(|m| {
            [("training", &m.training), ("validation", &m.validation)].map(|(cohort, x)| {
                vec![
                    m.model.clone(),
                    cohort.into(),
                    x.n.to_string(),
                    format!(
                        "{} ({} – {})",
                        number(x.auc),
                        number(x.auc_ci_low),
                        number(x.auc_ci_high)
                    ),
                    format!("{:.1}%", 100.0 * m.cutoff),
                    number(x.accuracy),
                    number(x.sensitivity),
                    number(x.specificity),
                    number(x.ppv),
                    number(x.npv),
                    number(x.f1),
                ]
            })
        })
        .collect();
    let mut comparison_header = METRIC_HEADER;
    comparison_header[4] = "cutoff (probability)";
    Ok(section(
            "combined",
            "Combined model and model comparison",
            &format!(
                "<p>Combined model: logistic regression on the Rad-score and the clinical \
                 predictors (training cohort). Radiomics probability = 1 / (1 + e^(−Rad-score)). \
                 Cutoffs are each model's training Youden cutoff, given as a probability.</p>{}\
                 <h3>Clinical, radiomics and combined models</h3>{}<h3>Pairwise DeLong tests</h3>{}",
                table(&ODDS_HEADER, &odds_rows(&c.combined)),
                table(&comparison_header, &comparison_rows),
                table(&DELONG_HEADER, &delong_rows(&c.tests)),
            ),
        ))
}

/// Calibration: Hosmer–Lemeshow, Brier, bootstrap errors and the calibration figures.
fn calibration_section(c: &ClinicalStudy, figures_dir: &Path) -> ReportResult<String> {
    let calibration_rows: Vec<Vec<String>> = c
        .calibration
        .iter()
        .map(|k| {
            vec![
                k.model.clone(),
                k.cohort.name().into(),
                number(k.hosmer_lemeshow.statistic),
                k.hosmer_lemeshow.df.to_string(),
                p_value(k.hosmer_lemeshow.p),
                number(k.brier),
                k.bootstrap.as_ref().map_or("–".into(), |b| {
                    format!(
                        "{} over cases, {} over the grid ({} resamples)",
                        number(b.mean_absolute_error),
                        number(b.grid_mean_absolute_error),
                        b.resamples
                    )
                }),
            ]
        })
        .collect();
    let mut calibration_html = table(
        &[
            "model",
            "cohort",
            "Hosmer–Lemeshow χ²",
            "df",
            "p",
            "Brier",
            "bias-corrected mean |error| (rms print.calibrate: over cases)",
        ],
        &calibration_rows,
    );
    calibration_html.push_str(
        "<p>Hosmer–Lemeshow: g = 10 groups cut at the deciles of the predicted probability, \
             df = g − 2. Curves: decile groups (points), lowess (f = 2/3, no robustness \
             iterations), and for the training cohort the bootstrap bias-corrected curve \
             (optimism over refits on resamples, as rms' calibrate).</p>",
    );
    for cohort in [Cohort::Training, Cohort::Validation] {
        let mut series = Vec::new();
        // one colour per model: deciles as points, lowess solid, bias-corrected dashed
        for (colour, k) in c
            .calibration
            .iter()
            .filter(|k| k.cohort == cohort)
            .enumerate()
        {
            series.push(
                Series::markers(
                    &format!("{} deciles", k.model),
                    k.groups.iter().map(|g| (g.predicted, g.observed)).collect(),
                )
                .in_colour(colour),
            );
            series.push(
                Series::line(
                    &format!("{} lowess", k.model),
                    k.smooth
                        .0
                        .iter()
                        .copied()
                        .zip(k.smooth.1.iter().copied())
                        .collect(),
                )
                .in_colour(colour),
            );
            if let Some(b) = &k.bootstrap {
                series.push(
                    Series::line(
                        &format!("{} bias-corrected", k.model),
                        // as rms' plot: missing points left out, the axes at 0..1
                        b.grid
                            .iter()
                            .copied()
                            .zip(b.corrected.iter().copied())
                            .filter(|(_, c)| !c.is_nan())
                            .map(|(g, c)| (g, c.clamp(0.0, 1.0)))
                            .collect(),
                    )
                    .in_colour(colour)
                    .dashed(),
                );
            }
        }
        series.push(diagonal());
        calibration_html.push_str(&cohort_figure(
            figures_dir,
            ("calibration", "Calibration", cohort),
            ("predicted probability", "observed proportion", (0.0, 1.0)),
            series,
            &format!("Calibration curves on the {} cohort.", cohort.name()),
        )?);
    }
    Ok(section("calibration", "Calibration", &calibration_html))
}

/// Decision curves of each cohort.
fn dca_section(c: &ClinicalStudy, figures_dir: &Path) -> ReportResult<String> {
    let mut dca_html = String::from(
            "<p>Net benefit = TP/n − FP/n · pt/(1 − pt), a case treated when its probability is \
             at least the threshold pt (0.01 … 0.99); treat-all and treat-none (0) for reference.</p>",
        );
    for (cohort, curves) in &c.decision_curves {
        let mut series: Vec<Series> = curves
            .models
            .iter()
            .map(|(name, nb)| {
                Series::line(
                    name,
                    curves
                        .thresholds
                        .iter()
                        .copied()
                        .zip(nb.iter().copied())
                        .collect(),
                )
            })
            .collect();
        series.push(Series::line(
            "treat all",
            curves
                .thresholds
                .iter()
                .copied()
                .zip(curves.treat_all.iter().copied())
                .collect(),
        ));
        series.push(Series::reference(
            "treat none",
            vec![(0.0, 0.0), (1.0, 0.0)],
        ));
        let prevalence = curves.treat_all.first().copied().unwrap_or(0.5).max(0.05);
        dca_html.push_str(&cohort_figure(
            figures_dir,
            ("dca", "Decision curves", *cohort),
            (
                "threshold probability",
                "net benefit",
                (-0.05, prevalence * 1.1),
            ),
            series,
            &format!("Decision curves on the {} cohort.", cohort.name()),
        )?);
    }
    Ok(section("dca", "Decision curve analysis", &dca_html))
}

/// The nomogram of the combined model, its table and figure.
fn nomogram_section(c: &ClinicalStudy, figures_dir: &Path) -> ReportResult<String> {
    let figure = Figure::Nomogram {
        title: "Nomogram of the combined model".into(),
        nomogram: c.nomogram.clone(),
    };
    let nomogram_rows: Vec<Vec<String>> = c
        .nomogram
        .predictors
        .iter()
        .map(|a| {
            vec![
                escape(&a.name),
                number(a.span),
                a.ticks
                    .iter()
                    .map(|t| format!("{} → {}", escape(&t.label), number(t.points)))
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    Ok(section(
            "nomogram",
            "Nomogram",
            &format!(
                "<p>As R's rms: each predictor's points are proportional to its contribution to \
                 the linear predictor; the predictor with the widest range of contribution spans \
                 100 points ({} points per unit of linear predictor). Continuous axes span \
                 pretty(training range, 10), as rms::nomogram draws them.</p>{}{}",
                number(c.nomogram.scale),
                table(&["predictor", "points spanned", "value → points"], &nomogram_rows),
                html::figure("nomogram", &figure.render(figures_dir, "nomogram")?, "Nomogram: read each predictor's points, add them, read the probability under the total."),
            ),
        ))
}

/// What the report stage fitted besides the study.
#[derive(Debug)]
pub struct ReportOutcome {
    /// The clinical stage, when a clinical table was given and its models could be fitted.
    pub clinical: Option<ClinicalStudy>,
    /// Why the clinical and combined models were not fitted although a clinical table was
    /// given (separation, too few cases); the same words open the report's notes.
    pub clinical_skipped: Option<String>,
}

/// Run the report stage on a fitted study: clinical and combined models (with a clinical
/// table), their CSV tables and `clinical_model.json`, the figures and `report.html`, all in
/// `train.out`. A clinical model that cannot be fitted (separation, too few cases) is reported
/// in the notes and the rest of the report is still written.
pub fn run(
    trained: &Trained,
    train: &TrainOptions,
    options: &ReportOptions,
) -> ReportResult<ReportOutcome> {
    let (study, features) = (&trained.study, &trained.features);
    let dir = &train.out;
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|e| ReportError::Write {
        path: figures_dir.clone(),
        message: e.to_string(),
    })?;
    let clinical_table = match &options.clinical {
        Some(path) => {
            let mut exclude = vec![train.outcome.as_str()];
            exclude.extend(train.split_column.as_deref());
            Some(ClinicalTable::read(path, &exclude)?)
        }
        None => None,
    };
    let (clinical_study, clinical_skipped) =
        fit_clinical(study, options, features, clinical_table.as_ref(), dir)?;
    let mut sections = vec![
        notes_section(
            options,
            clinical_skipped.as_ref(),
            study,
            clinical_study.as_ref(),
        ),
        settings_section(train, options)?,
        section(
            "cohort",
            "Cohort",
            &cohort_section(study, clinical_table.as_ref()),
        ),
        selection_section(study, &figures_dir)?,
        models_section(study),
        roc_section(study, clinical_study.as_ref(), dir, &figures_dir)?,
    ];
    if let Some(maps) = &options.maps {
        sections.insert(3, maps_section(maps)?);
    }
    if let Some(c) = &clinical_study {
        sections.extend(clinical_sections(c, options, &figures_dir)?);
    }

    let page = html::page("sonorad radiomics report", &sections);
    write_file(&dir.join("report.html"), &page)?;
    Ok(ReportOutcome {
        clinical: clinical_study,
        clinical_skipped,
    })
}
