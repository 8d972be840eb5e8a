//! The results as PyRadiomics' command line writes them: the header of every case's keys
//! (the first case's, then the others' extra keys sorted), paths formatted absolute, relative
//! or as base names, and the `csv`, `json` and `txt` formats; plus the per-case files of
//! `--out-dir` that let an interrupted batch resume, and sonorad's errors file.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::value::PyValue;

/// One case's result: its input columns, then diagnostics and features, in order.
pub type Row = Vec<(String, PyValue)>;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One `Case-N_<key>: <value>` line per value.
    #[default]
    Txt,
    /// A list of one dict per case, indented by 2.
    Json,
    /// A header of every key, then one row per case.
    Csv,
}

/// `--format-path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PathFormat {
    /// Absolute paths (`os.path.abspath`: not resolving links).
    #[default]
    Absolute,
    /// Relative to the batch file's folder (single mode: the working folder).
    Relative,
    /// The file name only.
    Basename,
}

/// The output header: the first case's keys, then keys only other cases have, sorted (which is
/// PyRadiomics' rule, so a failed first case puts the features in name order).
pub fn headers(rows: &[Row]) -> Vec<String> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let mut out: Vec<String> = first.iter().map(|(k, _)| k.clone()).collect();
    let mut extra: Vec<String> = rows[1..]
        .iter()
        .flat_map(|r| r.iter().map(|(k, _)| k.clone()))
        .filter(|k| !out.contains(k))
        .collect();
    extra.sort();
    extra.dedup();
    out.extend(extra);
    out
}

/// Drops the values `--skip-nans` drops (NaN float scalars).
pub fn skip_nans(row: &mut Row) {
    row.retain(|(_, v)| !v.is_float_nan());
}

/// Formats the `Image` and `Mask` values of a row as `--format-path` and `--unix-path` ask.
pub fn format_paths(row: &mut Row, format: PathFormat, relative_start: &Path, unix: bool) {
    for (key, value) in row.iter_mut() {
        if key != "Image" && key != "Mask" {
            continue;
        }
        let text = value.str();
        let path = Path::new(&text);
        let mut formatted = match format {
            PathFormat::Absolute => absolute(path).display().to_string(),
            PathFormat::Relative => relative(path, relative_start).display().to_string(),
            PathFormat::Basename => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        if unix && std::path::MAIN_SEPARATOR != '/' {
            formatted = formatted.replace(std::path::MAIN_SEPARATOR, "/");
        }
        *value = PyValue::Str(formatted);
    }
}

/// `os.path.abspath`: joined to the working folder when relative, then `.` and `..` folded
/// without touching the file system.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `os.path.relpath(path, start)`.
pub fn relative(path: &Path, start: &Path) -> PathBuf {
    let (path, start) = (absolute(path), absolute(start));
    let (p, s): (Vec<_>, Vec<_>) = (path.components().collect(), start.components().collect());
    let common = p.iter().zip(&s).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..s.len() {
        out.push("..");
    }
    for part in &p[common..] {
        out.push(part.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Writes the rows in `format` (headers from [`headers`], used by `csv`).
pub fn write_results(out: &mut dyn Write, rows: &[Row], format: Format) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            let headers = headers(rows);
            write_csv_line(out, headers.iter().map(String::as_str))?;
            for row in rows {
                let cells: Vec<String> = headers
                    .iter()
                    .map(|h| {
                        row.iter()
                            .find(|(k, _)| k == h)
                            .map_or(String::new(), |(_, v)| v.str())
                    })
                    .collect();
                write_csv_line(out, cells.iter().map(String::as_str))?;
            }
        }
        Format::Txt => {
            for (i, row) in rows.iter().enumerate() {
                for (k, v) in row {
                    writeln!(out, "Case-{}_{k}: {}", i + 1, v.str())?;
                }
            }
        }
        Format::Json => {
            let mut text = String::new();
            let list = PyValue::List(rows.iter().map(|r| PyValue::Dict(r.clone())).collect());
            list.write_json(&mut text, 0);
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()
}

/// One CSV line as Python's `csv` module writes it (minimal quoting, `\n` ending).
pub fn write_csv_line<'a>(
    out: &mut dyn Write,
    cells: impl Iterator<Item = &'a str>,
) -> std::io::Result<()> {
    let cells: Vec<&str> = cells.collect();
    let single = cells.len() == 1;
    let line: Vec<String> = cells
        .iter()
        .map(|c| {
            let quote = c.contains([',', '"', '\n', '\r']) || (single && c.is_empty());
            if quote {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        })
        .collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\n")
}

/// A per-case file of `--out-dir` (`features_<N>.csv`: a header and one row), written whole
/// or not at all (a temporary file renamed into place), so an interrupted run leaves none
/// half-written.
pub fn write_case_file(path: &Path, row: &Row) -> std::io::Result<()> {
    let mut text = Vec::new();
    write_csv_line(&mut text, row.iter().map(|(k, _)| k.as_str()))?;
    let values: Vec<String> = row.iter().map(|(_, v)| v.str()).collect();
    write_csv_line(&mut text, values.iter().map(String::as_str))?;
    let partial = path.with_extension("csv.partial");
    std::fs::write(&partial, &text)?;
    std::fs::rename(&partial, path)
}

/// Reads a per-case file back as PyRadiomics does: every value a string.
pub fn read_case_file(path: &Path) -> Result<Row, String> {
    crate::io::check_regular_file(path).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let record = reader
        .records()
        .next()
        .ok_or_else(|| format!("{}: no values after the header", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(headers
        .iter()
        .zip(record.iter())
        .map(|(k, v)| (k.to_string(), PyValue::Str(v.to_string())))
        .collect())
}

/// One failed case for the errors file.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The case's number in the batch (from 1).
    pub case: usize,
    /// Its image path.
    pub image: String,
    /// Its mask path.
    pub mask: String,
    /// What went wrong.
    pub error: String,
}

/// Writes the errors file (`Case,Image,Mask,Error`), replacing it whole.
pub fn write_errors(path: &Path, failures: &[Failure]) -> std::io::Result<()> {
    let mut text = Vec::new();
    write_csv_line(&mut text, ["Case", "Image", "Mask", "Error"].into_iter())?;
    for f in failures {
        let case = f.case.to_string();
        write_csv_line(
            &mut text,
            [case.as_str(), &f.image, &f.mask, &f.error].into_iter(),
        )?;
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, &text)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(keys: &[&str]) -> Row {
        keys.iter()
            .map(|k| (k.to_string(), PyValue::Str("x".into())))
            .collect()
    }

    #[test]
    fn headers_put_other_cases_keys_after_in_name_order() {
        let rows = vec![row(&["Image", "Mask"]), row(&["Image", "Mask", "b", "a"])];
        assert_eq!(headers(&rows), vec!["Image", "Mask", "a", "b"]);
    }

    #[test]
    fn csv_quotes_as_python() {
        let mut out = Vec::new();
        write_csv_line(&mut out, ["a,b", "c\"d", "", "e"].into_iter()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"a,b\",\"c\"\"d\",,e\n");
    }

    #[test]
    fn paths_are_folded_as_python() {
        assert_eq!(
            absolute(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            relative(Path::new("/data/x/img.png"), Path::new("/data/y")),
            PathBuf::from("../x/img.png")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
    }
}
