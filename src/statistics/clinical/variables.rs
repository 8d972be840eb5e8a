//! The clinical table: joined on the case id; numeric columns enter as they are, categorical
//! columns are dummy-coded against a stated reference level (the first level in sorted order,
//! as R's `factor` orders them).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{ClinicalError, ClinicalResult};
use crate::table::{is_missing, Column, FeatureTable};

/// How a clinical variable enters a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// Numeric: one term, the value itself.
    Numeric,
    /// Categorical: one 0/1 term per level other than the reference.
    Categorical {
        /// All levels in sorted order.
        levels: Vec<String>,
        /// The reference level (coded all zeros).
        reference: String,
    },
}

/// A clinical variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// Column name.
    pub name: String,
    /// Numeric or categorical.
    pub kind: VariableKind,
}

impl Variable {
    /// Names of the model terms: the name, or `name=level` for each non-reference level.
    pub fn terms(&self) -> Vec<String> {
        match &self.kind {
            VariableKind::Numeric => vec![self.name.clone()],
            VariableKind::Categorical { levels, reference } => levels
                .iter()
                .filter(|l| *l != reference)
                .map(|l| format!("{}={l}", self.name))
                .collect(),
        }
    }

    /// Model terms of one raw value; an unparsable number or an unknown level is an error
    /// message.
    pub fn encode(&self, raw: &str) -> Result<Vec<f64>, String> {
        match &self.kind {
            VariableKind::Numeric => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|v| vec![v])
                .ok_or_else(|| format!("'{raw}' is not a number")),
            VariableKind::Categorical { levels, reference } => {
                if !levels.iter().any(|l| l == raw.trim()) {
                    return Err(format!(
                        "unknown level '{raw}' (levels: {})",
                        levels.join(", ")
                    ));
                }
                Ok(levels
                    .iter()
                    .filter(|l| *l != reference)
                    .map(|l| (l == raw.trim()) as u8 as f64)
                    .collect())
            }
        }
    }
}

/// A clinical table: case ids (first column) and the raw cells of each variable.
#[derive(Debug, Clone)]
pub struct ClinicalTable {
    /// The file.
    pub path: PathBuf,
    /// Case ids, in row order.
    pub ids: Vec<String>,
    /// The variables, in column order.
    pub variables: Vec<Variable>,
    /// Raw cells: `cells[row][variable]`, `None` when missing.
    pub cells: Vec<Vec<Option<String>>>,
    /// Columns left out because no cell holds a value (every cell missing: [`is_missing`]).
    pub empty: Vec<String>,
}

impl ClinicalTable {
    /// Read a CSV whose first column is the case id; every other column that is not named in
    /// `exclude` and is not a radiomics feature column (`is_feature_column`) is a variable:
    /// numeric when every present cell parses as a number, except 0/1 columns, which are
    /// categorical like text columns. A column without any value is left out and listed in
    /// `empty`.
    pub fn read(path: &Path, exclude: &[&str]) -> ClinicalResult<Self> {
        Self::from_raw(&FeatureTable::read(path)?, exclude)
    }

    /// Build from an already read table (see [`ClinicalTable::read`]).
    pub fn from_raw(table: &FeatureTable, exclude: &[&str]) -> ClinicalResult<Self> {
        let text = |c: usize| match &table.columns[c - 1] {
            Column::Text(cells) => cells.as_slice(),
            Column::Feature(_) => &[],
        };
        let present_cells = |c: usize| -> Vec<&str> {
            text(c)
                .iter()
                .map(String::as_str)
                .filter(|v| !is_missing(v))
                .collect()
        };
        // radiomics feature columns are never clinical variables
        let (columns, empty_columns): (Vec<usize>, Vec<usize>) = (1..table.header.len())
            .filter(|&c| !exclude.contains(&table.header[c].as_str()) && !table.is_feature(c))
            .partition(|&c| !present_cells(c).is_empty());
        let mut variables = Vec::new();
        for &c in &columns {
            let present = present_cells(c);
            let numeric = present
                .iter()
                .all(|v| v.trim().parse::<f64>().is_ok_and(f64::is_finite));
            // 0/1 columns are categorical (levels "0" and "1", reference "0")
            let binary = numeric && present.iter().all(|v| matches!(v.trim(), "0" | "1"));
            let kind = if numeric && !binary {
                VariableKind::Numeric
            } else {
                let mut levels: Vec<String> =
                    present.iter().map(|v| v.trim().to_string()).collect();
                levels.sort();
                levels.dedup();
                // a kept column has a value, so a first level
                let reference = levels.first().cloned().unwrap_or_default();
                VariableKind::Categorical { reference, levels }
            };
            variables.push(Variable {
                name: table.header[c].clone(),
                kind,
            });
        }
        let cells = (0..table.len())
            .map(|r| {
                columns
                    .iter()
                    .map(|&c| {
                        let cell = &text(c)[r];
                        (!is_missing(cell)).then(|| cell.trim().to_string())
                    })
                    .collect()
            })
            .collect();
        Ok(ClinicalTable {
            path: table.path.clone(),
            ids: table.ids.clone(),
            variables,
            cells,
            empty: empty_columns
                .iter()
                .map(|&c| table.header[c].clone())
                .collect(),
        })
    }

    /// Index of a variable by name; an unknown name, or a column without any value, is an
    /// error naming it.
    pub fn variable(&self, name: &str) -> ClinicalResult<usize> {
        if self.empty.iter().any(|e| e == name) {
            return Err(ClinicalError::Read {
                path: self.path.clone(),
                message: format!(
                    "column '{name}' holds no value (every cell is empty, NA, NaN, null or none)"
                ),
            });
        }
        self.variables
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| ClinicalError::MissingColumn {
                path: self.path.clone(),
                column: name.into(),
            })
    }

    /// Model terms of `variables` for row `row`, or `None` if any is missing.
    pub fn design_row(&self, row: usize, variables: &[usize]) -> ClinicalResult<Option<Vec<f64>>> {
        let mut out = Vec::new();
        for &v in variables {
            let Some(raw) = &self.cells[row][v] else {
                return Ok(None);
            };
            out.extend(
                self.variables[v]
                    .encode(raw)
                    .map_err(|message| ClinicalError::Value {
                        path: self.path.clone(),
                        case: self.ids[row].clone(),
                        column: self.variables[v].name.clone(),
                        message,
                    })?,
            );
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 4]]) -> FeatureTable {
        FeatureTable {
            path: PathBuf::from("clinical.csv"),
            header: ["case_id", "age", "notes", "stage"]
                .map(String::from)
                .to_vec(),
            ids: rows.iter().map(|r| r[0].to_string()).collect(),
            columns: (1..4)
                .map(|c| Column::Text(rows.iter().map(|r| r[c].to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn a_column_without_values_is_left_out_and_named() {
        let raw = table(&[["a", "61", "", "II"], ["b", "48", "NA", "I"]]);
        let clinical = ClinicalTable::from_raw(&raw, &[]).expect("table");
        let names: Vec<&str> = clinical.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["age", "stage"]);
        assert_eq!(clinical.empty, ["notes"]);
        assert_eq!(clinical.cells[1], [Some("48".into()), Some("I".into())]);
        let error = clinical.variable("notes").expect_err("empty column");
        assert_eq!(
            error.to_string(),
            "clinical.csv: column 'notes' holds no value (every cell is empty, NA, NaN, null or none)"
        );
        assert_eq!(clinical.variable("stage").expect("stage"), 1);
    }
}
