//! Case manifests: a CSV with an id column and `image`, `mask` columns; paths relative to the CSV.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One case of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The case identifier (value of the id column).
    pub id: String,
    /// Image path, resolved against the manifest's folder.
    pub image: PathBuf,
    /// Mask path, resolved against the manifest's folder.
    pub mask: PathBuf,
}

/// Reads a manifest. `id_column` names the id column; `image` and `mask` columns are required.
pub fn read_manifest(path: &Path, id_column: &str) -> Result<Vec<Case>> {
    let err = |message: String| Error::Manifest {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| err(format!("cannot read header: {e}")))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            err(format!(
                "no '{name}' column (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let (id_at, image_at, mask_at) = (column(id_column)?, column("image")?, column("mask")?);
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let mut cases = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let field = |at: usize, name: &str| {
            record
                .get(at)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| err(format!("line {line}: empty '{name}'")))
        };
        let id = field(id_at, id_column)?.to_string();
        if !seen.insert(id.clone()) {
            return Err(err(format!("line {line}: duplicate case id '{id}'")));
        }
        cases.push(Case {
            id,
            image: base.join(field(image_at, "image")?),
            mask: base.join(field(mask_at, "mask")?),
        });
    }
    if cases.is_empty() {
        return Err(err("no cases".into()));
    }
    Ok(cases)
}
