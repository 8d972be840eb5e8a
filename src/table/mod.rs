//! Feature tables and their codecs, the one module that reads and writes them: long CSV
//! (`feature,value`) for one case; wide tables (one row per case) as CSV or Parquet, read
//! whole, written whole, or appended to record by record for a resumable archive run.
//!
//! Values are written with Rust's shortest round-trip formatting, so reading them back gives the
//! same `f64` bit for bit. NaN, the one missing value, is written `nan` in every table and
//! study output, infinities `inf` / `-inf` ([`format_value`], [`format_number`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, RecordBatchReader, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};
use crate::extract::FeatureRow;
use crate::filters::ImageKind;

mod feature_table;
pub use feature_table::{is_missing, Column, FeatureTable};

/// A feature column's name, parsed: `<region>_<image type>_<class>_<Feature>` as `extract`
/// (and PyRadiomics, with `lbp-` image types) names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureColumn<'a> {
    /// Region (`tumor`, `ring3mm`, …).
    pub region: &'a str,
    /// Image type (`original`, `log-sigma-1-0-mm-3D`, `wavelet-LH`, …).
    pub image_type: &'a str,
    /// Feature class (`firstorder`, `glcm`, …).
    pub class: &'a str,
    /// Feature name (`Contrast`, …).
    pub feature: &'a str,
}

impl<'a> FeatureColumn<'a> {
    /// The parts of a feature column's name, or `None` for any other column (the id, the
    /// outcome, clinical or pass-through columns). The image type is the first token after the
    /// region that is an image type's command-line name ([`ImageKind::cli_name`]: `original`,
    /// `square`, …) or starts `log-sigma-`, `wavelet-` or `lbp-`; a class and a name follow it.
    pub fn parse(name: &'a str) -> Option<FeatureColumn<'a>> {
        /// Prefixes of the parameterized image types' names.
        const PREFIXES: [&str; 3] = ["log-sigma-", "wavelet-", "lbp-"];
        let is_image_type = |t: &str| {
            ImageKind::ALL
                .iter()
                .any(|k| !matches!(k, ImageKind::LoG | ImageKind::Wavelet) && k.cli_name() == t)
                || PREFIXES.iter().any(|p| t.starts_with(p))
        };
        let tokens: Vec<&str> = name.split('_').collect();
        let i = (1..tokens.len().saturating_sub(2)).find(|&i| is_image_type(tokens[i]))?;
        let offset = |k: usize| tokens[..k].iter().map(|t| t.len() + 1).sum::<usize>();
        Some(FeatureColumn {
            region: &name[..offset(i) - 1],
            image_type: tokens[i],
            class: tokens[i + 1],
            feature: &name[offset(i + 2)..],
        })
    }
}

/// A number in a study output (metrics, scores, coefficients): Rust's shortest display form
/// (`1`, `0.25`), and the feature table's spelling of a missing or infinite value (`nan`,
/// `inf`, `-inf`), so that every CSV sonorad writes spells "missing" one way.
pub fn format_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        format_value(v)
    }
}

/// Formats a value so that it parses back to the same `f64`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:?}")
    }
}

pub(crate) fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes one case as a long CSV `feature,value`.
pub fn write_long(out: impl Write, row: &FeatureRow, path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["feature", "value"])
        .map_err(|e| write_error(path, e))?;
    for (name, value) in row {
        w.write_record([name.as_str(), &format_value(*value)])
            .map_err(|e| write_error(path, e))?;
    }
    w.flush().map_err(|e| write_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for v in [0.1 + 0.2, 1e-300, -2.5e17, 1.0 / 3.0, 0.0] {
            assert_eq!(
                format_value(v).parse::<f64>().unwrap().to_bits(),
                v.to_bits()
            );
        }
        assert_eq!(format_value(f64::NAN), "nan");
        assert_eq!(format_value(1.0), "1.0");
    }
}

/// Output table format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Comma-separated values, one row per case.
    #[default]
    Csv,
    /// Apache Parquet: the id and pass-through columns as strings, features as float64.
    Parquet,
}

impl OutputFormat {
    /// The format of a file from its extension (`.parquet` or `.pq` → Parquet, else CSV).
    pub fn of_path(path: &Path) -> OutputFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some("parquet" | "pq") => OutputFormat::Parquet,
            _ => OutputFormat::Csv,
        }
    }
}

/// A feature table that cannot be read.
pub(crate) fn read_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Table {
        path: path.to_path_buf(),
        message: format!("cannot read feature table: {e}"),
    }
}

/// Appends whole records to a CSV file: each call is one `write` of complete lines, then a
/// flush to disk.
pub(crate) struct CsvAppender {
    file: File,
    path: PathBuf,
}

impl CsvAppender {
    /// Opens `path` for appending; when `fresh`, truncates it first.
    pub(crate) fn open(path: &Path, fresh: bool) -> Result<CsvAppender> {
        let mut options = OpenOptions::new();
        options.create(true);
        if fresh {
            options.write(true).truncate(true);
        } else {
            options.append(true);
        }
        let file = options.open(path).map_err(|e| write_error(path, e))?;
        Ok(CsvAppender {
            file,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn append(&mut self, records: &[Vec<String>]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in records {
            w.write_record(r).map_err(|e| write_error(&self.path, e))?;
        }
        let bytes = w.into_inner().map_err(|e| write_error(&self.path, e))?;
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| write_error(&self.path, e))
    }
}

/// Cuts a partial last line (a write interrupted by a kill) off a CSV file.
pub(crate) fn drop_partial_line(path: &Path) -> Result<()> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| write_error(path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| write_error(path, e))?;
    let keep = complete_records_end(&bytes);
    if keep < bytes.len() {
        file.set_len(keep as u64)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
            .map_err(|e| write_error(path, e))?;
    }
    Ok(())
}

/// Bytes of `csv` up to the end of its last complete record: one that parses, has as many
/// fields as the header and ends with a newline. A record cut by a kill, even inside a quoted
/// field holding a newline (a case id), is after that point: the cut leaves it short of fields
/// or of its final newline (the last field is a feature value, never quoted).
pub(crate) fn complete_records_end(csv: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut record = csv::ByteRecord::new();
    let (mut end, mut fields) = (0, None);
    while let Ok(true) = reader.read_byte_record(&mut record) {
        let at = reader.position().byte() as usize;
        let width = *fields.get_or_insert(record.len());
        if record.len() != width || at == 0 || csv.get(at - 1) != Some(&b'\n') {
            break;
        }
        end = at;
    }
    end
}

/// Header and ids of an existing CSV feature table.
pub(crate) fn read_csv_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| read_error(path, e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| read_error(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| read_error(path, e))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// Opens a Parquet feature table for reading, one record batch at a time.
pub(crate) fn open_parquet(path: &Path) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).map_err(|e| read_error(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| read_error(path, format!("not a readable Parquet file: {e}")))
}

/// Header and rows (as text) of a Parquet feature table.
pub(crate) fn read_parquet_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let reader = open_parquet(path)?;
    let header = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| read_error(path, e))?;
        let columns: Vec<Vec<String>> = batch
            .columns()
            .iter()
            .map(|c| column_text(path, c))
            .collect::<Result<_>>()?;
        for k in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[k].clone()).collect());
        }
    }
    Ok((header, rows))
}

pub(crate) fn column_text(path: &Path, column: &ArrayRef) -> Result<Vec<String>> {
    if let Some(s) = column.as_any().downcast_ref::<StringArray>() {
        return Ok(s
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect());
    }
    if let Some(f) = column.as_any().downcast_ref::<Float64Array>() {
        return Ok(f
            .iter()
            .map(|v| format_value(v.unwrap_or(f64::NAN)))
            .collect());
    }
    Err(read_error(
        path,
        format!(
            "column of type {} is not a sonorad column",
            column.data_type()
        ),
    ))
}

/// Reads a feature table written by sonorad (CSV or Parquet by extension): header and rows as
/// text (values in shortest round-trip form).
pub fn read_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    match OutputFormat::of_path(path) {
        OutputFormat::Csv => read_csv_table(path),
        OutputFormat::Parquet => read_parquet_table(path),
    }
}

/// Writes rows (text cells) as one Parquet file: the first `text_columns` columns as strings,
/// the rest as float64 parsed from their text.
pub(crate) fn write_parquet(
    path: &Path,
    header: &[String],
    text_columns: usize,
    rows: &[Vec<String>],
) -> Result<()> {
    let fields: Vec<Field> = header
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let kind = if k < text_columns {
                DataType::Utf8
            } else {
                DataType::Float64
            };
            Field::new(name, kind, false)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(header.len());
    for k in 0..header.len() {
        if k < text_columns {
            columns.push(Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r[k].as_str()),
            )));
        } else {
            let values = rows
                .iter()
                .map(|r| {
                    r[k].parse::<f64>().map_err(|_| {
                        write_error(
                            path,
                            format!("column '{}': '{}' is not a number", header[k], r[k]),
                        )
                    })
                })
                .collect::<Result<Vec<f64>>>()?;
            columns.push(Arc::new(Float64Array::from(values)));
        }
    }
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| write_error(path, e))?;
    let mut out = ParquetOut::create(path, schema)?;
    out.write(&batch)?;
    out.finish()
}

/// A Parquet file written under a temporary name and renamed into place when finished.
pub(crate) struct ParquetOut {
    writer: ArrowWriter<File>,
    temporary: PathBuf,
    path: PathBuf,
}

impl ParquetOut {
    /// Starts `<path>.partial` with the given schema.
    pub(crate) fn create(path: &Path, schema: SchemaRef) -> Result<ParquetOut> {
        let temporary = with_suffix(path, ".partial");
        let file = File::create(&temporary).map_err(|e| write_error(&temporary, e))?;
        let writer = ArrowWriter::try_new(file, schema, None).map_err(|e| write_error(path, e))?;
        Ok(ParquetOut {
            writer,
            temporary,
            path: path.to_path_buf(),
        })
    }

    /// Adds a batch to the current row group.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|e| write_error(&self.path, e))
    }

    /// Ends the current row group, so that the rows buffered so far leave memory.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(|e| write_error(&self.path, e))
    }

    /// Writes the footer, syncs the file to disk and renames it into place.
    pub(crate) fn finish(self) -> Result<()> {
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| write_error(&path, e))?;
        file.sync_all().map_err(|e| write_error(&path, e))?;
        std::fs::rename(&self.temporary, &path).map_err(|e| write_error(&path, e))
    }
}

/// Writes a table (CSV or Parquet by `format`) in one go, replacing `path`.
pub fn write_table(
    path: &Path,
    format: OutputFormat,
    header: &[String],
    text_columns: usize,
    rows: &[Vec<String>],
) -> Result<()> {
    match format {
        OutputFormat::Parquet => write_parquet(path, header, text_columns, rows),
        OutputFormat::Csv => {
            let temporary = with_suffix(path, ".partial");
            let mut out = CsvAppender::open(&temporary, true)?;
            out.append(&[header.to_vec()])?;
            out.append(rows)?;
            std::fs::rename(&temporary, path).map_err(|e| write_error(path, e))
        }
    }
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
