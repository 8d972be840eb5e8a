//! Case lists: a manifest CSV (an id column, `image`, `mask`, optional per-case `spacing`,
//! `label`, `label_channel` and `frame`, any other columns passed through to the output untouched), or two folders
//! paired by file name.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Columns of a manifest that sonorad reads itself; every other column is passed through.
pub const KNOWN_COLUMNS: [&str; 6] = [
    "image",
    "mask",
    "spacing",
    "label",
    "label_channel",
    "frame",
];

/// One case of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// The case identifier (value of the id column).
    pub id: String,
    /// Image path, resolved against the manifest's folder.
    pub image: PathBuf,
    /// Mask path, resolved against the manifest's folder.
    pub mask: PathBuf,
    /// Further masks of the same image whose regions join `mask`'s (a multi-lesion image's
    /// extra masks, `--extra-masks union`): a pixel takes the first non-zero label among the
    /// masks.
    pub extra_masks: Vec<PathBuf>,
    /// Pixel spacing in mm for this case (manifest column `spacing`), overriding the others.
    pub spacing: Option<f64>,
    /// Mask label of the tumour for this case (manifest column `label`).
    pub label: Option<u32>,
    /// Channel of a multi-channel mask holding the labels for this case (manifest column
    /// `label_channel`, see [`crate::extract::Settings::label_channel`]).
    pub label_channel: Option<u32>,
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
            extra_masks: Vec::new(),
            spacing: None,
            label: None,
            label_channel: None,
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
/// `spacing` (mm), `label`, `label_channel` and `frame` are optional per-case settings (an empty cell means the
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
    let channel_at = position("label_channel");
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
        let count = |at: Option<usize>, name: &str| {
            optional(at)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| {
                        err(format!(
                            "line {line}: {name} '{v}' is not a non-negative integer"
                        ))
                    })
                })
                .transpose()
        };
        let (label, label_channel) = (
            count(label_at, "label")?,
            count(channel_at, "label_channel")?,
        );
        let frame = count(frame_at, "frame")?;
        cases.push(ManifestRow {
            id,
            image: base.join(field(image_at, "image")?),
            mask: base.join(field(mask_at, "mask")?),
            extra_masks: Vec::new(),
            spacing,
            label,
            label_channel,
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

/// What to do with an image's extra masks in a folder pair: BUSI, for one, ships a
/// multi-lesion image's further lesions as `<stem><suffix>_<n>` beside `<stem><suffix>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExtraMasks {
    /// One case per image, its region the union of all its masks (what a per-image study,
    /// one outcome per image, measures).
    #[default]
    Union,
    /// One case per mask: the first mask keeps the image's id, extra mask `n` becomes case
    /// `<stem>_<n>`.
    Separate,
    /// The first mask only; the extra masks are listed and left out.
    Ignore,
}

/// Cases paired from two folders, and what was done with extra masks, for the run's summary.
#[derive(Debug, Clone)]
pub struct PairedFolders {
    /// The cases.
    pub manifest: Manifest,
    /// Extra mask files found (`<stem><suffix>_<n>`), over all images.
    pub extra_masks: usize,
    /// Images that had extra masks.
    pub images_with_extra_masks: usize,
}

impl PairedFolders {
    /// One line saying what was done with extra masks (`None` when there were none).
    pub fn summary(&self, mode: ExtraMasks) -> Option<String> {
        if self.extra_masks == 0 {
            return None;
        }
        let done = match mode {
            ExtraMasks::Union => "joined to their image's first mask, one case per image",
            ExtraMasks::Separate => "extracted as cases of their own, <image>_<n>",
            ExtraMasks::Ignore => "left out; only each image's first mask is used",
        };
        Some(format!(
            "{} extra masks of {} images (<image><suffix>_<n>): {done} (--extra-masks {})",
            self.extra_masks,
            self.images_with_extra_masks,
            match mode {
                ExtraMasks::Union => "union",
                ExtraMasks::Separate => "separate",
                ExtraMasks::Ignore => "ignore",
            }
        ))
    }
}

/// The number `n` of an extra mask stem `<image stem><suffix>_<n>`.
fn extra_mask_number(stem: &str, image_stem: &str, suffix: &str) -> Option<u32> {
    let rest = stem.strip_prefix(image_stem)?.strip_prefix(suffix)?;
    let digits = rest.strip_prefix('_')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Whether a file stem in a shared folder names a mask: `<x><suffix>` or `<x><suffix>_<n>`.
fn is_mask_stem(stem: &str, suffix: &str) -> bool {
    if suffix.is_empty() {
        return false;
    }
    if stem.ends_with(suffix) {
        return true;
    }
    match stem.rsplit_once('_') {
        Some((head, n)) => {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && head.ends_with(suffix)
        }
        None => false,
    }
}

/// Builds cases from two folders: every image file of `images` (sorted by name) is paired with
/// the file of `masks` whose stem is the image's stem followed by `mask_suffix` (any readable
/// extension), and its extra masks (`<stem><suffix>_<n>`) are handled as `extra` says. The case
/// id is the image's stem. When both folders are the same, files whose stem ends with the
/// suffix, or with the suffix and `_<n>`, are masks, not images. An image without a mask is
/// still listed, with the mask path it was looked for under, so that the run records it as a
/// failed case.
pub fn pair_folders(
    images: &Path,
    masks: &Path,
    mask_suffix: &str,
    extra: ExtraMasks,
) -> Result<PairedFolders> {
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
    let mut cases: Vec<ManifestRow> = Vec::new();
    let (mut extra_count, mut images_with_extra) = (0, 0);
    for (stem, image) in list(images)? {
        if same_folder && is_mask_stem(&stem, mask_suffix) {
            continue;
        }
        let wanted = format!("{stem}{mask_suffix}");
        let mask = mask_files
            .iter()
            .find(|(s, _)| *s == wanted)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| masks.join(format!("{wanted}.<png|dcm|nii|...>")));
        let mut extras: Vec<(u32, PathBuf)> = mask_files
            .iter()
            .filter_map(|(s, p)| extra_mask_number(s, &stem, mask_suffix).map(|n| (n, p.clone())))
            .collect();
        extras.sort();
        extra_count += extras.len();
        images_with_extra += usize::from(!extras.is_empty());
        let mut row = ManifestRow::new(stem.clone(), image.clone(), mask);
        let mut separate = Vec::new();
        match extra {
            ExtraMasks::Union => row.extra_masks = extras.into_iter().map(|(_, p)| p).collect(),
            ExtraMasks::Separate => {
                separate = extras
                    .into_iter()
                    .map(|(n, p)| ManifestRow::new(format!("{stem}_{n}"), image.clone(), p))
                    .collect()
            }
            ExtraMasks::Ignore => {}
        }
        for row in std::iter::once(row).chain(separate) {
            if let Some(twin) = cases.iter().find(|c| c.id == row.id) {
                return Err(Error::Manifest {
                    path: images.to_path_buf(),
                    message: format!(
                        "{} and {} would both be case '{}'; rename one",
                        twin.image.display(),
                        row.image.display(),
                        row.id
                    ),
                });
            }
            cases.push(row);
        }
    }
    if cases.is_empty() {
        return Err(Error::Manifest {
            path: images.to_path_buf(),
            message: "no image files in this folder".into(),
        });
    }
    Ok(PairedFolders {
        manifest: Manifest {
            cases,
            extra_columns: Vec::new(),
            source: None,
        },
        extra_masks: extra_count,
        images_with_extra_masks: images_with_extra,
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
