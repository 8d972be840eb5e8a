//! The feature table as the statistics read it: the one seam between extraction and the
//! statistics half (`train`, `predict`, the clinical model and the report all take it).
//!
//! Columns are sorted once, when the table is read: a column whose name parses as a radiomics
//! feature ([`FeatureColumn`]: `<region>_<image type>_<class>_<Feature>`) holds `f64` values,
//! every other column (outcome, split, clinical variables) is kept as text. A Parquet table's
//! float columns are read as floats, not through text.
//!
//! **Missing values** are one `f64`, NaN, and are written `nan` in every CSV sonorad writes
//! (pandas, polars, DuckDB and R's `read.csv` all read `nan` as a missing or NaN number). On
//! input, a feature cell that is empty, `NA`, `NaN`, `null` or `none` (any case) is missing, and
//! so is a non-finite number.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Float64Array, RecordBatchReader};

use super::{column_text, format_value, open_parquet, read_error, FeatureColumn, OutputFormat};
use crate::error::{Error, Result};

/// A column after the case id.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A radiomics feature: one value per case, NaN when missing.
    Feature(Vec<f64>),
    /// Any other column, as text (cells trimmed).
    Text(Vec<String>),
}

/// A feature table with typed columns; the first column holds the case ids (distinct, not
/// empty).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Where it came from.
    pub path: PathBuf,
    /// Column names in file order; the first is the case id column.
    pub header: Vec<String>,
    /// Case id of each row.
    pub ids: Vec<String>,
    /// Columns `1..header.len()`, in file order.
    pub columns: Vec<Column>,
}

/// True for a missing cell of any table (features, clinical variables): empty, or `NA`,
/// `NaN`, `null` or `none` in any case, surrounding spaces ignored.
pub fn is_missing(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "" | "na" | "nan" | "null" | "none"
    )
}

impl FeatureTable {
    /// Reads a table whose first column is the case id: Parquet by the extension (`.parquet`
    /// or `.pq`), otherwise CSV with a header row; an error naming the file when it cannot be
    /// read, has no columns, repeats or lacks a case id, or holds a feature cell that is not
    /// a number.
    pub fn read(path: &Path) -> Result<FeatureTable> {
        let (header, cells) = match OutputFormat::of_path(path) {
            OutputFormat::Parquet => read_parquet_columns(path)?,
            OutputFormat::Csv => read_csv_columns(path)?,
        };
        FeatureTable::from_cells(path, header, cells)
    }

    /// The table of `header` and its columns' `cells` (cells as text, or Parquet floats).
    fn from_cells(path: &Path, header: Vec<String>, cells: Vec<Cells>) -> Result<FeatureTable> {
        let err = |message: String| Error::Table {
            path: path.to_path_buf(),
            message,
        };
        let mut cells = cells.into_iter();
        let ids = match cells.next() {
            Some(Cells::Text(ids)) => ids,
            Some(Cells::Float(v)) => v.into_iter().map(format_value).collect(),
            None => return Err(err("no columns".into())),
        };
        let mut seen = BTreeSet::new();
        for id in &ids {
            if id.is_empty() {
                return Err(err("a row has an empty case id".into()));
            }
            if !seen.insert(id.as_str()) {
                return Err(err(format!("case id '{id}' appears twice")));
            }
        }
        let columns = header[1..]
            .iter()
            .zip(cells)
            .map(|(name, cells)| match (FeatureColumn::parse(name), cells) {
                (Some(_), Cells::Float(v)) => Ok(Column::Feature(v)),
                (Some(_), Cells::Text(text)) => parse_feature(&ids, name, &text)
                    .map(Column::Feature)
                    .map_err(err),
                (None, Cells::Text(text)) => Ok(Column::Text(text)),
                (None, Cells::Float(v)) => {
                    Ok(Column::Text(v.into_iter().map(format_value).collect()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FeatureTable {
            path: path.to_path_buf(),
            header,
            ids,
            columns,
        })
    }

    /// An error about this table.
    pub fn error(&self, message: &str) -> Error {
        Error::Table {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Index of a named column (0 is the id).
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| self.error(&format!("no column '{name}'")))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether column `column` (> 0) is a radiomics feature.
    pub fn is_feature(&self, column: usize) -> bool {
        matches!(
            self.columns.get(column.wrapping_sub(1)),
            Some(Column::Feature(_))
        )
    }

    /// The number in row `row` of column `column` (> 0): a feature's value, or a text cell
    /// parsed; `None` when missing or not finite; an error naming the case and the column
    /// when a text cell is not a number.
    pub fn value(&self, row: usize, column: usize) -> Result<Option<f64>> {
        match &self.columns[column - 1] {
            Column::Feature(v) => Ok(Some(v[row]).filter(|v| v.is_finite())),
            Column::Text(cells) => parse_cell(&cells[row]).map_err(|cell| {
                self.error(&format!(
                    "case '{}', column '{}': '{cell}' is not a number",
                    self.ids[row], self.header[column]
                ))
            }),
        }
    }

    /// The text of row `row` in column `column` (0 is the id): a text cell as read, a feature
    /// value in shortest round-trip form (`nan` when missing).
    pub fn text(&self, row: usize, column: usize) -> Cow<'_, str> {
        match column.checked_sub(1).map(|c| &self.columns[c]) {
            None => Cow::Borrowed(&self.ids[row]),
            Some(Column::Text(cells)) => Cow::Borrowed(&cells[row]),
            Some(Column::Feature(v)) => Cow::Owned(format_value(v[row])),
        }
    }
}

/// A text cell as a number: `Ok(None)` when missing ([`is_missing`]) or not finite, `Err(cell)`
/// when it is not a number.
fn parse_cell(cell: &str) -> std::result::Result<Option<f64>, &str> {
    if is_missing(cell) {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(v) => Ok(Some(v).filter(|v| v.is_finite())),
        Err(_) => Err(cell),
    }
}

/// A feature column's text cells as values (NaN when missing or not finite); the message
/// naming the first case whose cell is not a number.
fn parse_feature(
    ids: &[String],
    name: &str,
    cells: &[String],
) -> std::result::Result<Vec<f64>, String> {
    cells
        .iter()
        .zip(ids)
        .map(|(cell, id)| match parse_cell(cell) {
            Ok(v) => Ok(v.unwrap_or(f64::NAN)),
            Err(cell) => Err(format!(
                "case '{id}', column '{name}': '{cell}' is not a number"
            )),
        })
        .collect()
}

/// One column's cells as read.
enum Cells {
    Text(Vec<String>),
    Float(Vec<f64>),
}

/// Header and columns of a CSV table with a header row, cells trimmed.
fn read_csv_columns(path: &Path) -> Result<(Vec<String>, Vec<Cells>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| read_error(path, e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| read_error(path, e))?
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    for record in reader.records() {
        let record = record.map_err(|e| Error::Table {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.push(cell.trim().to_string());
        }
    }
    Ok((header, columns.into_iter().map(Cells::Text).collect()))
}

/// Header and columns of a Parquet table: float columns as floats (null as NaN), string
/// columns as text, trimmed.
fn read_parquet_columns(path: &Path) -> Result<(Vec<String>, Vec<Cells>)> {
    let reader = open_parquet(path)?;
    let header: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().trim().to_string())
        .collect();
    let mut columns: Vec<Cells> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| read_error(path, e))?;
        if columns.is_empty() {
            columns = batch
                .columns()
                .iter()
                .map(|c| match c.as_any().is::<Float64Array>() {
                    true => Cells::Float(Vec::new()),
                    false => Cells::Text(Vec::new()),
                })
                .collect();
        }
        for (cells, column) in columns.iter_mut().zip(batch.columns()) {
            match (cells, column.as_any().downcast_ref::<Float64Array>()) {
                (Cells::Float(out), Some(f)) => {
                    out.extend(
                        (0..f.len()).map(|k| if f.is_null(k) { f64::NAN } else { f.value(k) }),
                    )
                }
                (Cells::Text(out), _) => out.extend(
                    column_text(path, column)?
                        .into_iter()
                        .map(|s| s.trim().to_string()),
                ),
                (Cells::Float(_), None) => {
                    return Err(read_error(
                        path,
                        "a column changes type between record batches",
                    ))
                }
            }
        }
    }
    if columns.is_empty() {
        columns = header.iter().map(|_| Cells::Text(Vec::new())).collect();
    }
    Ok((header, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

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
    fn feature_columns_hold_numbers_and_the_rest_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "t.csv",
            "case_id,malignant,tumor_original_glcm_Contrast,site\n a ,1, 2.5 ,left\nb,0,NA,right\nc,1,inf,\n",
        );
        let t = FeatureTable::read(&path).unwrap();
        assert_eq!(t.ids, ["a", "b", "c"]);
        assert!(!t.is_feature(1) && t.is_feature(2) && !t.is_feature(3));
        assert_eq!(t.value(0, 2).unwrap(), Some(2.5));
        assert_eq!(t.value(1, 2).unwrap(), None);
        assert_eq!(t.value(2, 2).unwrap(), None);
        assert_eq!(t.value(1, 1).unwrap(), Some(0.0));
        assert_eq!(t.text(1, 2), "nan");
        assert_eq!(t.text(2, 3), "");
        let err = t.value(0, 3).unwrap_err().to_string();
        assert!(
            err.ends_with("case 'a', column 'site': 'left' is not a number"),
            "{err}"
        );
    }

    #[test]
    fn bad_tables_are_refused_naming_the_file_and_the_cell() {
        let dir = tempfile::tempdir().unwrap();
        for (text, message) in [
            ("case_id,x\na,1\na,2\n", "case id 'a' appears twice"),
            ("case_id,x\n,1\n", "a row has an empty case id"),
            (
                "case_id,tumor_original_firstorder_Mean\na,1\nb,big\n",
                "case 'b', column 'tumor_original_firstorder_Mean': 'big' is not a number",
            ),
        ] {
            let path = write(dir.path(), "bad.csv", text);
            let err = FeatureTable::read(&path).unwrap_err().to_string();
            assert_eq!(err, format!("{}: {message}", path.display()));
        }
    }
}
