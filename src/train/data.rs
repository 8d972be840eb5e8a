//! Reading a feature table: which columns are features, the binary outcome, the split column,
//! and missing values.
//!
//! **Feature columns.** A column is a candidate feature when its name contains an image-type
//! token between underscores, as `extract` writes them (`<region>_<image type>_<class>_<Name>`):
//! `_original_`, `_square_`, `_squareroot_`, `_logarithm_`, `_exponential_`, `_gradient_`, or
//! a token starting `_log-sigma-`, `_wavelet-` or `_lbp-`. Every other column (the id, the
//! outcome, clinical variables, pass-through manifest columns) is ignored as a feature; the
//! outcome and split columns may be any column.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::error::{TrainError, TrainResult};
use crate::table::{read_table, FeatureColumn, OutputFormat};

/// Whether a column name is a radiomic feature under the documented rule
/// ([`FeatureColumn::parse`]).
pub fn is_feature_column(name: &str) -> bool {
    FeatureColumn::parse(name).is_some()
}

/// A table (CSV or Parquet) held as text.
#[derive(Debug, Clone)]
pub struct RawTable {
    /// Where it came from.
    pub path: PathBuf,
    /// Column names; the first is the case id.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl RawTable {
    /// Read a table whose first column is the case id: Parquet as `extract` writes it (by
    /// the extension, `.parquet` or `.pq`; values as text in shortest round-trip form, a null
    /// value as `nan`), otherwise CSV with a header row.
    pub fn read(path: &Path) -> TrainResult<Self> {
        let (header, rows) = match OutputFormat::of_path(path) {
            OutputFormat::Parquet => Self::read_parquet(path)?,
            OutputFormat::Csv => Self::read_csv(path)?,
        };
        let table = RawTable {
            path: path.into(),
            header,
            rows,
        };
        table.check_ids()?;
        Ok(table)
    }

    /// Header and rows of a Parquet table, cells trimmed.
    fn read_parquet(path: &Path) -> TrainResult<(Vec<String>, Vec<Vec<String>>)> {
        let (header, rows) = read_table(path)?;
        let trim = |cells: Vec<String>| -> Vec<String> {
            cells.iter().map(|c| c.trim().to_string()).collect()
        };
        Ok((trim(header), rows.into_iter().map(trim).collect()))
    }

    /// Header and rows of a CSV table with a header row, cells trimmed.
    fn read_csv(path: &Path) -> TrainResult<(Vec<String>, Vec<Vec<String>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| TrainError::Read {
                path: path.into(),
                message: e.to_string(),
            })?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| TrainError::Read {
                path: path.into(),
                message: e.to_string(),
            })?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| TrainError::Table {
                path: path.into(),
                message: e.to_string(),
            })?;
            rows.push(record.iter().map(|s| s.trim().to_string()).collect());
        }
        Ok((header, rows))
    }

    fn check_ids(&self) -> TrainResult<()> {
        if self.header.is_empty() {
            return Err(self.error("no columns"));
        }
        let mut seen = BTreeSet::new();
        for row in &self.rows {
            if row[0].is_empty() {
                return Err(self.error("a row has an empty case id"));
            }
            if !seen.insert(row[0].as_str()) {
                return Err(self.error(&format!("case id '{}' appears twice", row[0])));
            }
        }
        Ok(())
    }

    /// An error about this table.
    pub fn error(&self, message: &str) -> TrainError {
        TrainError::Table {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Index of a named column.
    pub fn column(&self, name: &str) -> TrainResult<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| self.error(&format!("no column '{name}'")))
    }

    /// Case ids (the first column).
    pub fn ids(&self) -> Vec<String> {
        self.rows.iter().map(|r| r[0].clone()).collect()
    }

    /// Parse a feature cell: a missing cell ([`is_missing`]) and non-finite values are
    /// missing.
    pub fn value(&self, row: usize, column: usize) -> TrainResult<Option<f64>> {
        let cell = self.rows[row][column].as_str();
        if is_missing(cell) {
            return Ok(None);
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            Ok(_) => Ok(None),
            Err(_) => Err(self.error(&format!(
                "case '{}', column '{}': '{cell}' is not a number",
                self.rows[row][0], self.header[column]
            ))),
        }
    }

    /// The binary outcome of every row: `0`/`1` (also `0.0`/`1.0`, `false`/`true`); any other
    /// value (including an empty cell) is an error listing the offending values.
    pub fn outcome(&self, name: &str) -> TrainResult<Vec<bool>> {
        let column = self.column(name)?;
        let mut bad = BTreeSet::new();
        let mut labels = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let cell = row[column].as_str();
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
                path: self.path.clone(),
                column: name.into(),
                values: bad.into_iter().collect(),
            });
        }
        Ok(labels)
    }

    /// The cohort of every row from a split column: `train`/`training`/`development` mean
    /// training; `validation`/`valid`/`val`/`test` mean validation (case-insensitive).
    pub fn split(&self, name: &str) -> TrainResult<Vec<Cohort>> {
        let column = self.column(name)?;
        let mut bad = BTreeSet::new();
        let mut cohorts = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            match row[column].to_ascii_lowercase().as_str() {
                "train" | "training" | "development" => cohorts.push(Cohort::Training),
                "validation" | "valid" | "val" | "test" => cohorts.push(Cohort::Validation),
                other => {
                    bad.insert(other.to_string());
                }
            }
        }
        if !bad.is_empty() {
            return Err(TrainError::BadSplit {
                path: self.path.clone(),
                column: name.into(),
                values: bad.into_iter().collect(),
            });
        }
        Ok(cohorts)
    }
}

/// True for a missing cell of any table (features, clinical variables): empty, or `NA`,
/// `NaN`, `null` or `none` in any case, surrounding spaces ignored.
pub fn is_missing(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "" | "na" | "nan" | "null" | "none"
    )
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
    fn missing_cells() {
        for cell in ["", "  ", "NA", "na", "NaN", "null", " None "] {
            assert!(is_missing(cell), "{cell:?}");
        }
        for cell in ["0", "nan1", "none-such", "N/A0"] {
            assert!(!is_missing(cell), "{cell:?}");
        }
    }

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
