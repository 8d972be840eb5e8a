//! Outputs of a study: `metrics.csv`, `delong.csv`, `split.csv`, `scores.csv`,
//! `selection.json`, `model.json`, and the Markdown summary.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::error::{TrainError, TrainResult};
use super::{Study, StudyConfig};
use crate::table::format_number as number;

fn write_error(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Write {
        path: path.into(),
        message: e.to_string(),
    }
}

/// Write a CSV file (quoted as needed by the `csv` crate): a header and rows of text.
pub(crate) fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> TrainResult<()> {
    let mut writer = csv::Writer::from_path(path).map_err(|e| write_error(path, e))?;
    writer
        .write_record(header)
        .map_err(|e| write_error(path, e))?;
    for row in rows {
        writer.write_record(row).map_err(|e| write_error(path, e))?;
    }
    writer.flush().map_err(|e| write_error(path, e))
}

fn write_json(path: &Path, value: &serde_json::Value) -> TrainResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| write_error(path, e))?;
    std::fs::write(path, text + "\n").map_err(|e| write_error(path, e))
}

/// The `selection.json` document: notes, ICC, mRMR and LASSO results and the tuning grids.
pub fn selection_json(study: &Study, config: &StudyConfig) -> serde_json::Value {
    let names = &study.model.lasso_inputs;
    json!({
        "config": config,
        "notes": study.notes,
        "candidate_features": study.candidates.len(),
        "icc": study.icc,
        "mrmr": {
            "k": config.mrmr_k,
            "relevance": "F statistic",
            "redundancy": "mean absolute Pearson correlation (floor 0.001)",
            "form": "quotient",
            "inputs": study.mrmr_inputs.len(),
            "order": names,
            "f_statistic": study.mrmr.order.iter().map(|&j| study.mrmr.relevance[j]).collect::<Vec<_>>(),
            "scores": study.mrmr.scores,
        },
        "lasso": {
            "objective": "glmnet binomial: -(1/n) loglik + lambda * ||beta||_1, standardized",
            "folds": config.lasso_folds,
            "rule": study.lasso.rule,
            "lambda_min": study.lasso.lambda_min,
            "lambda_1se": study.lasso.lambda_1se,
            "lambda": study.lasso.lambda,
            "features": names,
            "coefficients": study.lasso.fit.coefficients,
            "intercept": study.lasso.fit.intercept,
            "kept": study.model.selected_features,
            "path": {
                "lambda": study.lasso.lambdas,
                "cv_deviance": study.lasso.cvm,
                "cv_deviance_se": study.lasso.cvsd,
                "nonzero": study.lasso.nonzero,
                "deviance_ratio": study.lasso.deviance_ratio,
                "intercepts": study.lasso.path.iter().map(|f| f.intercept).collect::<Vec<_>>(),
                "coefficients": study.lasso.path.iter().map(|f| f.coefficients.clone()).collect::<Vec<_>>(),
            },
        },
        "tuning": study.tuning,
    })
}

/// Write every output file into `dir` (created if needed).
pub fn write(study: &Study, config: &StudyConfig, dir: &Path) -> TrainResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let mut metric_rows = Vec::new();
    for r in &study.results {
        for (cohort, m) in [("training", &r.training), ("validation", &r.validation)] {
            metric_rows.push(vec![
                r.model.clone(),
                cohort.into(),
                m.n.to_string(),
                m.positives.to_string(),
                number(m.auc),
                number(m.auc_se),
                number(m.auc_ci_low),
                number(m.auc_ci_high),
                number(m.cutoff),
                number(m.accuracy),
                number(m.sensitivity),
                number(m.specificity),
                number(m.ppv),
                number(m.npv),
                number(m.f1),
            ]);
        }
    }
    write_csv(
        &dir.join("metrics.csv"),
        &[
            "model",
            "cohort",
            "n",
            "positives",
            "auc",
            "auc_se",
            "auc_ci_low",
            "auc_ci_high",
            "cutoff",
            "accuracy",
            "sensitivity",
            "specificity",
            "ppv",
            "npv",
            "f1",
        ],
        &metric_rows,
    )?;
    let test_rows: Vec<Vec<String>> = study
        .tests
        .iter()
        .map(|t| {
            vec![
                t.cohort.name().into(),
                t.model_a.clone(),
                t.model_b.clone(),
                number(t.test.auc_a),
                number(t.test.auc_b),
                number(t.test.z),
                number(t.test.p),
            ]
        })
        .collect();
    write_csv(
        &dir.join("delong.csv"),
        &["cohort", "model_a", "model_b", "auc_a", "auc_b", "z", "p"],
        &test_rows,
    )?;
    let fold = |f: Option<usize>| f.map_or(String::new(), |v| v.to_string());
    let split_rows: Vec<Vec<String>> = study
        .cases
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.cohort.name().into(),
                (c.outcome as u8).to_string(),
                fold(c.lasso_fold),
                fold(c.tuning_fold),
            ]
        })
        .collect();
    write_csv(
        &dir.join("split.csv"),
        &["case_id", "cohort", "outcome", "lasso_fold", "tuning_fold"],
        &split_rows,
    )?;
    let mut header = vec!["case_id", "cohort", "outcome"];
    header.extend(study.results.iter().map(|r| r.model.as_str()));
    let score_rows: Vec<Vec<String>> = study
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut row = vec![
                c.id.clone(),
                c.cohort.name().into(),
                (c.outcome as u8).to_string(),
            ];
            row.extend(study.results.iter().map(|r| number(r.scores[i])));
            row
        })
        .collect();
    write_csv(&dir.join("scores.csv"), &header, &score_rows)?;
    write_json(&dir.join("selection.json"), &selection_json(study, config))?;
    let model = serde_json::to_value(&study.model).map_err(|e| write_error(dir, e))?;
    write_json(&dir.join("model.json"), &model)
}

/// Short Markdown summary: cohorts, selection, and the metrics table.
pub fn markdown(study: &Study) -> String {
    let mut s = String::new();
    let count = |cohort: super::data::Cohort, positive: bool| {
        study
            .cases
            .iter()
            .filter(|c| c.cohort == cohort && c.outcome == positive)
            .count()
    };
    use super::data::Cohort::{Training, Validation};
    let _ = writeln!(s, "## sonorad train\n");
    let _ = writeln!(
        s,
        "Cohorts: training {} ({} positive), validation {} ({} positive).\n",
        count(Training, true) + count(Training, false),
        count(Training, true),
        count(Validation, true) + count(Validation, false),
        count(Validation, true)
    );
    for note in &study.notes {
        let _ = writeln!(s, "- {note}");
    }
    let _ = writeln!(
        s,
        "- {} candidate features; {} after filters; mRMR kept {}; LASSO (λ = {:.5}, lambda.{}) kept {}: {}\n",
        study.candidates.len(),
        study.mrmr_inputs.len(),
        study.model.lasso_inputs.len(),
        study.lasso.lambda,
        study.lasso.rule.name(),
        study.model.selected_features.len(),
        study.model.selected_features.join(", ")
    );
    let _ = writeln!(
        s,
        "| model | cohort | AUC (95% CI) | accuracy | sensitivity | specificity | PPV | NPV | F1 |"
    );
    let _ = writeln!(s, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &study.results {
        for (cohort, m) in [("training", &r.training), ("validation", &r.validation)] {
            let _ = writeln!(
                s,
                "| {} | {cohort} | {:.3} ({:.3}–{:.3}) | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                r.model,
                m.auc,
                m.auc_ci_low,
                m.auc_ci_high,
                m.accuracy,
                m.sensitivity,
                m.specificity,
                m.ppv,
                m.npv,
                m.f1
            );
        }
    }
    s
}
