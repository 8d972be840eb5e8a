//! `sonorad predict`: score new cases with a trained model folder.
//!
//! Reads `model.json` (the Rad-score and the radiomics model, from `sonorad train`) and, when
//! present beside it, `clinical_model.json` (the combined model). Each case gets its Rad-score,
//! the combined probability (or `σ(Rad-score)` without a combined model) and the risk group at
//! the training Youden cutoff. Values outside the training range are listed in `out_of_range`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::clinical::error::{ClinicalError, ClinicalResult};
use crate::clinical::variables::VariableKind;
use crate::clinical::{ClinicalModel, CLINICAL_MODEL_FILE};
use crate::stats::sigmoid;
use crate::table::{is_missing, FeatureTable};
use crate::train::error::TrainError;
use crate::train::ScoringModel;

/// One scored case.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Case id.
    pub case_id: String,
    /// Rad-score.
    pub radscore: f64,
    /// Combined probability (radiomics probability `σ(Rad-score)` without a combined model).
    pub probability: f64,
    /// True when the probability is at or above the cutoff.
    pub high_risk: bool,
    /// Inputs outside their training range.
    pub out_of_range: Vec<String>,
}

/// A trained model folder's scoring models.
#[derive(Debug, Clone)]
pub struct TrainedModels {
    /// Rad-score and radiomics classifiers.
    pub scoring: ScoringModel,
    /// Combined model, when the study had clinical data.
    pub clinical: Option<ClinicalModel>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> ClinicalResult<T> {
    let text = std::fs::read_to_string(path).map_err(|e| ClinicalError::Read {
        path: path.into(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ClinicalError::Read {
        path: path.into(),
        message: format!("not a sonorad model: {e}"),
    })
}

impl TrainedModels {
    /// Read `model.json` and, if it exists beside it, `clinical_model.json`; a file whose
    /// parts disagree in length ([`ScoringModel::validate`], [`ClinicalModel::validate`]) is
    /// an error naming it.
    pub fn read(model: &Path) -> ClinicalResult<Self> {
        let invalid = |path: &Path, message: String| ClinicalError::Read {
            path: path.into(),
            message: format!("not a valid sonorad model: {message}"),
        };
        let scoring: ScoringModel = read_json(model)?;
        scoring.validate().map_err(|m| invalid(model, m))?;
        let sibling: PathBuf = model
            .parent()
            .unwrap_or(Path::new("."))
            .join(CLINICAL_MODEL_FILE);
        let clinical = if sibling.exists() {
            let clinical: ClinicalModel = read_json(&sibling)?;
            clinical.validate().map_err(|m| invalid(&sibling, m))?;
            Some(clinical)
        } else {
            None
        };
        Ok(TrainedModels { scoring, clinical })
    }
}

/// Where a column is found: the clinical table first, then the feature table.
fn locate<'a>(
    name: &str,
    features: &'a FeatureTable,
    clinical: Option<&'a FeatureTable>,
) -> ClinicalResult<(&'a FeatureTable, usize)> {
    if let Some(c) = clinical {
        if let Some(i) = c.header.iter().position(|h| h == name) {
            return Ok((c, i));
        }
    }
    features
        .header
        .iter()
        .position(|h| h == name)
        .map(|i| (features, i))
        .ok_or_else(|| ClinicalError::MissingColumn {
            path: clinical.map_or(features.path.clone(), |c| c.path.clone()),
            column: name.into(),
        })
}

/// Every feature column the Rad-score (non-zero coefficients) and the logistic model read, by
/// name and index; a missing one is an error naming the table.
fn feature_columns(
    scoring: &ScoringModel,
    features: &FeatureTable,
) -> ClinicalResult<Vec<(String, usize)>> {
    let mut needed: Vec<&String> = scoring
        .lasso_inputs
        .iter()
        .zip(&scoring.radscore.coefficients)
        .filter(|(_, b)| **b != 0.0)
        .map(|(n, _)| n)
        .collect();
    needed.extend(&scoring.selected_features);
    needed.dedup();
    needed
        .iter()
        .map(|n| {
            features
                .header
                .iter()
                .position(|h| h == *n)
                .map(|i| ((*n).clone(), i))
                .ok_or_else(|| ClinicalError::MissingColumn {
                    path: features.path.clone(),
                    column: (*n).clone(),
                })
        })
        .collect()
}

/// The Rad-score of one case from its feature values; a value missing without an imputation
/// median, or a Rad-score that overflows, is an error naming the case.
fn radscore_of(
    scoring: &ScoringModel,
    values: &std::collections::BTreeMap<String, f64>,
    features: &FeatureTable,
    id: &str,
) -> ClinicalResult<f64> {
    let (radscore, _) = scoring
        .score(&|name| values.get(name).copied())
        .map_err(|e| match e {
            TrainError::NoValue { feature } => ClinicalError::Value {
                path: features.path.clone(),
                case: id.to_string(),
                column: feature,
                message: "no value, and the model holds no imputation median for it".into(),
            },
            other => ClinicalError::Train(other),
        })?;
    if !radscore.is_finite() {
        // finite coefficients can still overflow (a hand-edited model with 1e308)
        return Err(ClinicalError::Value {
                path: features.path.clone(),
                case: id.to_string(),
                column: "Rad-score".into(),
                message: format!(
                    "the model gives a Rad-score of {radscore} for this case; its coefficients are out of range for these values"
                ),
            });
    }
    Ok(radscore)
}

/// Score every row of `features` (joined with `clinical` on the case id when given).
pub fn predict(
    models: &TrainedModels,
    features: &FeatureTable,
    clinical: Option<&FeatureTable>,
) -> ClinicalResult<Vec<Prediction>> {
    let scoring = &models.scoring;
    let feature_columns = feature_columns(scoring, features)?;
    let variable_columns = match &models.clinical {
        Some(m) => m
            .variables
            .iter()
            .map(|v| locate(&v.name, features, clinical))
            .collect::<ClinicalResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let clinical_ids = clinical.map(|c| &c.ids);
    let mut out = Vec::new();
    for (row, id) in features.ids.iter().enumerate() {
        let mut out_of_range = Vec::new();
        let mut values = std::collections::BTreeMap::new();
        for (name, column) in &feature_columns {
            if let Some(v) = features.value(row, *column)? {
                values.insert(name.clone(), v);
            }
        }
        let radscore = radscore_of(scoring, &values, features, id)?;
        let (probability, cutoff) = match &models.clinical {
            Some(model) => {
                let mut terms = vec![radscore];
                for (variable, (table, column)) in model.variables.iter().zip(&variable_columns) {
                    // the variable's row: same row of the feature table, or the clinical
                    // table's row of this case id
                    let table_row = if std::ptr::eq(*table, features) {
                        Some(row)
                    } else {
                        clinical_ids
                            .as_ref()
                            .and_then(|ids| ids.iter().position(|c| c == id))
                    };
                    let value_error = |message: String| ClinicalError::Value {
                        path: table.path.clone(),
                        case: id.clone(),
                        column: variable.name.clone(),
                        message,
                    };
                    let raw = table_row
                        .map(|r| table.text(r, *column).into_owned())
                        .filter(|raw| !is_missing(raw))
                        .ok_or_else(|| value_error("missing value".into()))?;
                    let encoded = variable.encode(&raw).map_err(value_error)?;
                    if matches!(variable.kind, VariableKind::Numeric) {
                        flag(&model.ranges, &variable.name, encoded[0], &mut out_of_range);
                    }
                    terms.extend(encoded);
                }
                (model.combined.probability(&terms), model.combined_cutoff)
            }
            // the radiomics probability σ(Rad-score)
            None => (sigmoid(radscore), sigmoid(scoring.radscore.youden_cutoff)),
        };
        if let Some(model) = &models.clinical {
            for (name, v) in &values {
                flag(&model.ranges, name, *v, &mut out_of_range);
            }
            flag(&model.ranges, "radscore", radscore, &mut out_of_range);
        }
        out.push(Prediction {
            case_id: id.clone(),
            radscore,
            probability,
            high_risk: probability >= cutoff,
            out_of_range,
        });
    }
    Ok(out)
}

/// Record `name` when `value` lies outside its training range.
fn flag(
    ranges: &std::collections::BTreeMap<String, (f64, f64)>,
    name: &str,
    value: f64,
    out: &mut Vec<String>,
) {
    if let Some(&(lo, hi)) = ranges.get(name) {
        if value < lo || value > hi {
            out.push(name.into());
        }
    }
}

/// Write predictions as CSV (quoted as needed by the `csv` crate):
/// `case_id,radscore,probability,risk_group,out_of_range` (`out_of_range`: the inputs outside
/// their training range, `;`-separated).
pub fn write_predictions(predictions: &[Prediction], out: &mut dyn Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "case_id",
        "radscore",
        "probability",
        "risk_group",
        "out_of_range",
    ])?;
    for p in predictions {
        writer.write_record([
            p.case_id.clone(),
            p.radscore.to_string(),
            p.probability.to_string(),
            (if p.high_risk { "high" } else { "low" }).to_string(),
            p.out_of_range.join(";"),
        ])?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_csv_quotes_a_case_id_with_a_comma() {
        let predictions = [Prediction {
            case_id: "smith, \"jr\"".into(),
            radscore: -0.5,
            probability: 0.25,
            high_risk: false,
            out_of_range: vec!["age".into(), "radscore".into()],
        }];
        let mut out = Vec::new();
        write_predictions(&predictions, &mut out).expect("write");
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(
            text,
            "case_id,radscore,probability,risk_group,out_of_range\n\
             \"smith, \"\"jr\"\"\",-0.5,0.25,low,age;radscore\n"
        );
    }
}
