//! What the study reads from a feature table ([`FeatureTable`]): which columns are features,
//! the binary outcome and the split column.
//!
//! **Feature columns.** A column is a candidate feature when its name contains an image-type
//! token between underscores, as `extract` writes them (`<region>_<image type>_<class>_<Name>`):
//! `_original_`, `_square_`, `_squareroot_`, `_logarithm_`, `_exponential_`, `_gradient_`, or
//! a token starting `_log-sigma-`, `_wavelet-` or `_lbp-`. Every other column (the id, the
//! outcome, clinical variables, pass-through manifest columns) is ignored as a feature; the
//! outcome and split columns may be any column.

use std::collections::BTreeSet;

use super::error::{TrainError, TrainResult};
use crate::table::{FeatureColumn, FeatureTable};

/// Whether a column name is a radiomic feature under the documented rule
/// ([`FeatureColumn::parse`]).
pub fn is_feature_column(name: &str) -> bool {
    FeatureColumn::parse(name).is_some()
}

/// The binary outcome of every row: `0`/`1` (also `0.0`/`1.0`, `false`/`true`); any other
/// value (including an empty cell) is an error listing the offending values.
pub fn outcome(table: &FeatureTable, name: &str) -> TrainResult<Vec<bool>> {
    let column = table.column(name)?;
    let mut bad = BTreeSet::new();
    let mut labels = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        let cell = table.text(row, column);
        let cell = cell.as_ref();
        let label = match cell.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            other => match other.parse::<f64>() {
                Ok(1.0) => Some(true),
                Ok(0.0) => Some(false),
                _ => None,
            },
        };
        match label {
            Some(l) => labels.push(l),
            None => {
                bad.insert(if cell.is_empty() {
                    "(empty)".to_string()
                } else {
                    cell.to_string()
                });
            }
        }
    }
    if !bad.is_empty() {
        return Err(TrainError::NonBinaryOutcome {
            path: table.path.clone(),
            column: name.into(),
            values: bad.into_iter().collect(),
        });
    }
    Ok(labels)
}

/// The cohort of every row from a split column: `train`/`training`/`development` mean
/// training; `validation`/`valid`/`val`/`test` mean validation (case-insensitive).
pub fn split(table: &FeatureTable, name: &str) -> TrainResult<Vec<Cohort>> {
    let column = table.column(name)?;
    let mut bad = BTreeSet::new();
    let mut cohorts = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        match table.text(row, column).to_ascii_lowercase().as_str() {
            "train" | "training" | "development" => cohorts.push(Cohort::Training),
            "validation" | "valid" | "val" | "test" => cohorts.push(Cohort::Validation),
            other => {
                bad.insert(other.to_string());
            }
        }
    }
    if !bad.is_empty() {
        return Err(TrainError::BadSplit {
            path: table.path.clone(),
            column: name.into(),
            values: bad.into_iter().collect(),
        });
    }
    Ok(cohorts)
}

/// Training or validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// Fitting cohort.
    Training,
    /// Held-out cohort.
    Validation,
}

impl Cohort {
    /// Lower-case name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Cohort::Training => "training",
            Cohort::Validation => "validation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_rule() {
        assert!(is_feature_column("tumor_original_glcm_Contrast"));
        assert!(is_feature_column(
            "ring3mm_log-sigma-1-0-mm-3D_firstorder_Mean"
        ));
        assert!(is_feature_column("tumor_wavelet-LH_glszm_ZoneEntropy"));
        assert!(is_feature_column("tumor_squareroot_firstorder_Mean"));
        assert!(!is_feature_column("malignant"));
        assert!(!is_feature_column("case_id"));
        assert!(!is_feature_column("age_original"));
        assert!(!is_feature_column("mask_pixels"));
        // the parts
        let parsed = FeatureColumn::parse("ring3mm_log-sigma-1-0-mm-3D_firstorder_Mean");
        assert_eq!(
            parsed,
            Some(FeatureColumn {
                region: "ring3mm",
                image_type: "log-sigma-1-0-mm-3D",
                class: "firstorder",
                feature: "Mean",
            })
        );
        // an image type needs a class and a name after it
        assert_eq!(FeatureColumn::parse("lesion_original_size"), None);
    }
}
