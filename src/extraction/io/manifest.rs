//! Case lists: a manifest CSV (an id column, `image`, `mask`, optional per-case `spacing`,
//! `label` and `frame`, any other columns passed through to the output untouched), or two folders
//! paired by file name.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Columns of a manifest that sonorad reads itself; every other column is passed through.
pub const KNOWN_COLUMNS: [&str; 5] = ["image", "mask", "spacing", "label", "frame"];

/// One case of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// The case identifier (value of the id column).
    pub id: String,
    /// Image path, resolved against the manifest's folder.
    pub image: PathBuf,
    /// Mask path, resolved against the manifest's folder.
    pub mask: PathBuf,
    /// Pixel spacing in mm for this case (manifest column `spacing`), overriding the others.
    pub spacing: Option<f64>,
    /// Mask label of the tumour for this case (manifest column `label`).
    pub label: Option<u32>,
    /// Frame of a multi-frame image (manifest column `frame`, 0-based; default 0).
    pub frame: Option<u32>,
    /// Values of the pass-through columns, in [`Manifest::extra_columns`] order.
    pub extra: Vec<String>,
}

impl ManifestRow {
    /// A case with an image and a mask and nothing else.
    pub fn new(
        id: impl Into<String>,
        image: impl Into<PathBuf>,
        mask: impl Into<PathBuf>,
    ) -> ManifestRow {
        ManifestRow {
            id: id.into(),
            image: image.into(),
            mask: mask.into(),
            spacing: None,
            label: None,
            frame: None,
            extra: Vec::new(),
        }
    }
}

/// The cases of a manifest and the names of its pass-through columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Cases in manifest order.
    pub cases: Vec<ManifestRow>,
    /// Columns copied unchanged to the output, after the id column.
    pub extra_columns: Vec<String>,
    /// The CSV file the cases were read from (`None` for folder pairs).
    pub source: Option<PathBuf>,
}

/// A case id as a file or folder name (for `--write-masks`): every character other than an
/// ASCII letter, digit, `.`, `_` or `-` becomes `_`, and an id changed that way, or one that is
/// empty or all dots, gets `-` and 8 hex digits of its SHA-256 appended, so that no id can name
/// a path outside the target folder and two ids never share a name.
pub fn file_name_of_id(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe == id && !id.chars().all(|c| c == '.') {
        return safe;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{hex}")
}

/// Reads a manifest and returns its cases (see [`read_manifest_table`]).
pub fn read_manifest(path: &Path, id_column: &str) -> Result<Vec<ManifestRow>> {
    Ok(read_manifest_table(path, id_column)?.cases)
}

/// Reads a manifest. `id_column` names the id column; `image` and `mask` columns are required;
/// `spacing` (mm), `label` and `frame` are optional per-case settings (an empty cell means the
/// command-line default); all other columns are passed through.
pub fn read_manifest_table(path: &Path, id_column: &str) -> Result<Manifest> {
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
    let position = |name: &str| headers.iter().position(|h| h == name);
    let column = |name: &str| {
        position(name).ok_or_else(|| {
            err(format!(
                "no '{name}' column (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let (id_at, image_at, mask_at) = (column(id_column)?, column("image")?, column("mask")?);
    let (spacing_at, label_at, frame_at) =
        (position("spacing"), position("label"), position("frame"));
    let extra_at: Vec<usize> = (0..headers.len())
        .filter(|&k| k != id_at && !KNOWN_COLUMNS.contains(&&headers[k]))
        .collect();
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let mut cases = Vec::new();
    let mut seen = HashSet::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let field = |at: usize, name: &str| {
            record
                .get(at)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| err(format!("line {line}: empty '{name}'")))
        };
        let optional = |at: Option<usize>| at.and_then(|k| record.get(k)).filter(|v| !v.is_empty());
        let id = field(id_at, id_column)?.to_string();
        if !seen.insert(id.clone()) {
            return Err(err(format!("line {line}: duplicate case id '{id}'")));
        }
        let spacing = optional(spacing_at)
            .map(|v| match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
                _ => Err(err(format!(
                    "line {line}: spacing '{v}' is not a positive number of mm"
                ))),
            })
            .transpose()?;
        let label = optional(label_at)
            .map(|v| {
                v.parse::<u32>().map_err(|_| {
                    err(format!(
                        "line {line}: label '{v}' is not a non-negative integer"
                    ))
                })
            })
            .transpose()?;
        let frame = optional(frame_at)
            .map(|v| {
                v.parse::<u32>().map_err(|_| {
                    err(format!(
                        "line {line}: frame '{v}' is not a non-negative integer"
                    ))
                })
            })
            .transpose()?;
        cases.push(ManifestRow {
            id,
            image: base.join(field(image_at, "image")?),
            mask: base.join(field(mask_at, "mask")?),
            spacing,
            label,
            frame,
            extra: extra_at
                .iter()
                .map(|&k| record.get(k).unwrap_or_default().to_string())
                .collect(),
        });
    }
    if cases.is_empty() {
        return Err(err("no cases".into()));
    }
    Ok(Manifest {
        cases,
        extra_columns: extra_at.iter().map(|&k| headers[k].to_string()).collect(),
        source: Some(path.to_path_buf()),
    })
}

/// File extensions sonorad reads as images or masks (lower case; `.nii.gz` counts as `gz`).
const IMAGE_EXTENSIONS: [&str; 13] = [
    "png", "jpg", "jpeg", "bmp", "tif", "tiff", "dcm", "dicom", "nii", "gz", "nrrd", "nhdr", "ima",
];

/// File name without its image extension (`a.nii.gz` → `a`), or `None` when the name does not
/// end in an extension sonorad reads.
fn image_stem(name: &str) -> Option<&str> {
    let lower = name.to_ascii_lowercase();
    if let Some(stripped) = lower.strip_suffix(".nii.gz") {
        return Some(&name[..stripped.len()]);
    }
    let dot = name.rfind('.')?;
    let ext = &lower[dot + 1..];
    (ext != "gz" && IMAGE_EXTENSIONS.contains(&ext)).then_some(&name[..dot])
}

/// Builds cases from two folders: every image file of `images` (sorted by name) is paired with
/// the file of `masks` whose stem is the image's stem followed by `mask_suffix` (any readable
/// extension). The case id is the image's stem. When both folders are the same, files whose stem
/// ends with the suffix are masks, not images. An image without a mask is still listed, with the
/// mask path it was looked for under, so that the run records it as a failed case.
pub fn pair_folders(images: &Path, masks: &Path, mask_suffix: &str) -> Result<Manifest> {
    let list = |dir: &Path| -> Result<Vec<(String, PathBuf)>> {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = image_stem(&name) {
                files.push((stem.to_string(), path));
            }
        }
        files.sort();
        Ok(files)
    };
    let mask_files = list(masks)?;
    let same_folder = images.canonicalize().ok() == masks.canonicalize().ok();
    let mut cases = Vec::new();
    for (stem, image) in list(images)? {
        if same_folder && !mask_suffix.is_empty() && stem.ends_with(mask_suffix) {
            continue;
        }
        let wanted = format!("{stem}{mask_suffix}");
        let mask = mask_files
            .iter()
            .find(|(s, _)| *s == wanted)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| masks.join(format!("{wanted}.<png|dcm|nii|...>")));
        if let Some(twin) = cases.iter().find(|c: &&ManifestRow| c.id == stem) {
            return Err(Error::Manifest {
                path: images.to_path_buf(),
                message: format!(
                    "{} and {} would both be case '{stem}'; rename one",
                    twin.image.display(),
                    image.display()
                ),
            });
        }
        cases.push(ManifestRow::new(stem, image, mask));
    }
    if cases.is_empty() {
        return Err(Error::Manifest {
            path: images.to_path_buf(),
            message: "no image files in this folder".into(),
        });
    }
    Ok(Manifest {
        cases,
        extra_columns: Vec::new(),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_image_extensions_only() {
        assert_eq!(image_stem("benign (1).png"), Some("benign (1)"));
        assert_eq!(image_stem("scan.nii.gz"), Some("scan"));
        assert_eq!(image_stem("scan.NII.GZ"), Some("scan"));
        assert_eq!(image_stem("us_0001.dcm"), Some("us_0001"));
        assert_eq!(image_stem("notes.txt"), None);
        assert_eq!(image_stem("archive.tar.gz"), None);
    }
}
