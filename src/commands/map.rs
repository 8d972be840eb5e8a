//! `sonorad map`: texture maps ([`crate::maps`]) of one case, or of every case of a manifest,
//! written for analysis tools and for eyes.
//!
//! For each region, image type and feature, three files named as the feature's column
//! (`tumor_original_glcm_Contrast`), each in the image's geometry:
//! - `.nii.gz`: a 2D NIfTI-1 image of 32-bit floats, with the pixel spacing (mm) in `pixdim`
//!   and in the qform and sform (scanner coordinates, x along the columns);
//! - `.tif`: a 32-bit float grayscale TIFF, for image tools;
//! - `.png`: the map in colour over the gray image, the region outlined, with a colour bar.
//!
//! and one `index.html` per case showing every map side by side. A manifest maps each case
//! into the subfolder named by its id; a case that fails is recorded in `errors.csv` and the
//! others go on; a case whose `index.html` exists (written last) is skipped, so a stopped run
//! resumes where it stopped.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::extract::{load_whole_frame, CheckedSettings, LoadedCase};
use crate::io::ManifestRow;
use crate::io::PixelSpacing;
use crate::maps::{case_maps, KernelSettings, MapDevices, RegionMaps};
use crate::report::heatmap::Heatmap;

/// The files written per map (`sonorad map --formats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// `.nii.gz`.
    pub nifti: bool,
    /// `.tif`.
    pub tiff: bool,
    /// `.png` heatmaps (and the page showing them).
    pub png: bool,
}

impl Default for Formats {
    fn default() -> Formats {
        Formats {
            nifti: true,
            tiff: true,
            png: true,
        }
    }
}

impl Formats {
    /// Formats from a comma-separated list of `nifti`, `tiff`, `png`.
    pub fn parse(text: &str) -> std::result::Result<Formats, String> {
        let mut formats = Formats {
            nifti: false,
            tiff: false,
            png: false,
        };
        for name in text.split(',').map(str::trim) {
            match name {
                "nifti" => formats.nifti = true,
                "tiff" => formats.tiff = true,
                "png" => formats.png = true,
                other => return Err(format!("unknown format '{other}' (nifti, tiff, png)")),
            }
        }
        Ok(formats)
    }
}

/// What one case's maps came to.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOutputs {
    /// Maps written (one per region, image type and feature).
    pub maps: usize,
    /// The case's page.
    pub page: PathBuf,
}

/// Maps one case into `out` (created when missing).
pub fn map_case(
    case: &ManifestRow,
    settings: &CheckedSettings,
    kernel: KernelSettings,
    devices: MapDevices<'_>,
    (out, formats): (&Path, Formats),
) -> Result<CaseOutputs> {
    let settings = settings.for_case(case);
    let frame = case.frame.unwrap_or(0);
    let loaded = load_whole_frame(&case.image, &case.mask, frame, &settings)?;
    let maps = case_maps(&loaded, &settings, kernel, devices)?;
    write_case((out, formats), &loaded, &maps, kernel)
}

/// A write error naming `path`.
fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes every map of a case in `formats` and its page into `dir`; the page last.
pub fn write_case(
    (dir, formats): (&Path, Formats),
    case: &LoadedCase,
    maps: &[RegionMaps],
    kernel: KernelSettings,
) -> Result<CaseOutputs> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let (w, h) = (case.image.width, case.image.height);
    let spacing = case.spacing.unwrap_or(PixelSpacing::square(1.0));
    // each map's region as a full-image mask, for its heatmap's overlay and outline
    let masks: Vec<Vec<bool>> = maps
        .iter()
        .map(|m| {
            case.regions
                .iter()
                .find(|r| r.name == m.region)
                .map_or_else(|| vec![false; w * h], |r| r.to_full_mask(w, h))
        })
        .collect();
    let jobs: Vec<(usize, usize)> = maps
        .iter()
        .enumerate()
        .flat_map(|(r, m)| (0..m.maps.names.len()).map(move |k| (r, k)))
        .collect();
    // each map's three files on its own thread
    let written = jobs
        .par_iter()
        .map(|&(r, k)| {
            let name = maps[r].name(k);
            let values = maps[r].maps.full(k, w, h, kernel.init_value);
            if formats.nifti {
                let nifti = dir.join(format!("{name}.nii.gz"));
                write_nifti(&nifti, &values, (w, h), spacing)?;
            }
            if formats.tiff {
                write_tiff(&dir.join(format!("{name}.tif")), &values, (w, h))?;
            }
            if !formats.png {
                return Ok(name);
            }
            let heatmap = Heatmap {
                title: &name,
                width: w,
                height: h,
                gray: &case.image.pixels,
                values: &values,
                region: &masks[r],
            };
            let png = dir.join(format!("{name}.png"));
            heatmap.write_png(&png).map_err(|e| write_error(&png, e))?;
            Ok(name)
        })
        .collect::<Result<Vec<String>>>()?;
    let page = dir.join("index.html");
    let temporary = dir.join("index.html.partial");
    std::fs::write(&temporary, page_html(case, kernel, formats, &written))
        .map_err(|e| write_error(&temporary, e))?;
    std::fs::rename(&temporary, &page).map_err(|e| write_error(&page, e))?;
    Ok(CaseOutputs {
        maps: written.len(),
        page,
    })
}

/// A 2D NIfTI-1 file of 32-bit floats (gzip-compressed for `.nii.gz`), x along the columns,
/// with `spacing`'s pixels.
fn write_nifti(
    path: &Path,
    values: &[f64],
    (w, h): (usize, usize),
    spacing: PixelSpacing,
) -> Result<()> {
    let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    // ndarray is row-major; NIfTI's first axis (x) varies fastest: index the array [x][y]
    let array = ndarray17::Array2::from_shape_vec((h, w), data)
        .map_err(|e| write_error(path, e))?
        .reversed_axes();
    // x runs along the columns, y along the rows
    let (sx, sy) = (spacing.column as f32, spacing.row as f32);
    let mut header = nifti::NiftiHeader {
        pixdim: [1.0, sx, sy, 1.0, 1.0, 1.0, 1.0, 1.0],
        xyzt_units: 2,
        qform_code: 1,
        sform_code: 1,
        srow_x: [sx, 0.0, 0.0, 0.0],
        srow_y: [0.0, sy, 0.0, 0.0],
        srow_z: [0.0, 0.0, 1.0, 0.0],
        ..nifti::NiftiHeader::default()
    };
    header.descrip = b"sonorad texture map".to_vec();
    nifti::writer::WriterOptions::new(path)
        .reference_header(&header)
        .compression_level(flate2::Compression::fast())
        .write_nifti(&array)
        .map_err(|e| write_error(path, e))
}

/// A 32-bit float grayscale TIFF.
fn write_tiff(path: &Path, values: &[f64], (w, h): (usize, usize)) -> Result<()> {
    let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    let file = std::fs::File::create(path).map_err(|e| write_error(path, e))?;
    let mut encoder = tiff::encoder::TiffEncoder::new(std::io::BufWriter::new(file))
        .map_err(|e| write_error(path, e))?;
    encoder
        .write_image::<tiff::encoder::colortype::Gray32Float>(w as u32, h as u32, &data)
        .map_err(|e| write_error(path, e))
}

/// The case's page: every map's heatmap side by side, grouped by region and image type, each
/// linking its NIfTI and TIFF files.
fn page_html(
    case: &LoadedCase,
    kernel: KernelSettings,
    formats: Formats,
    names: &[String],
) -> String {
    let mut html = String::new();
    let title = html_escape(&case.image.source.display().to_string());
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Texture maps: {title}</title>\n<style>body{{font-family:sans-serif;margin:1.5em}}figure{{display:inline-block;margin:0 1em 1em 0;vertical-align:top}}figure img{{width:300px}}figcaption{{font-size:12px;max-width:300px;word-break:break-all}}</style></head><body>\n<h1>Texture maps</h1>\n<p>Image <code>{title}</code>; kernel radius {}, {} kernel, outside the region {}. Each map: NIfTI and 32-bit float TIFF beside it.</p>\n",
        kernel.radius,
        if kernel.masked { "masked" } else { "unmasked" },
        kernel.init_value
    );
    let mut group = String::new();
    for name in names {
        // region and image type: the name up to its class
        let key = name.rsplitn(3, '_').nth(2).unwrap_or(name).to_string();
        if key != group {
            let _ = writeln!(html, "<h2>{}</h2>", html_escape(&key));
            group = key;
        }
        let n = html_escape(name);
        let image = if formats.png {
            format!("<img src=\"{n}.png\" alt=\"{n}\">")
        } else {
            String::new()
        };
        let mut links = Vec::new();
        if formats.nifti {
            links.push(format!("<a href=\"{n}.nii.gz\">NIfTI</a>"));
        }
        if formats.tiff {
            links.push(format!("<a href=\"{n}.tif\">TIFF</a>"));
        }
        let _ = writeln!(
            html,
            "<figure>{image}<figcaption>{n} ({})</figcaption></figure>",
            links.join(", ")
        );
    }
    html.push_str("</body></html>\n");
    html
}

/// Text safe inside HTML.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a manifest run ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestOutputs {
    /// Cases mapped in this run.
    pub mapped: usize,
    /// Cases skipped because their page existed (an earlier run mapped them).
    pub skipped: usize,
    /// Cases that failed, with their errors (also in `errors.csv`).
    pub failed: Vec<(String, String)>,
}

/// Maps every case of a manifest into `out/<case id>/`, telling `progress` after each case;
/// a failed case is recorded in `out/errors.csv` and the rest go on; a case whose page exists
/// is skipped.
pub fn map_manifest(
    cases: &[ManifestRow],
    settings: &CheckedSettings,
    kernel: KernelSettings,
    devices: MapDevices<'_>,
    (out, formats): (&Path, Formats),
    progress: impl Fn(usize, usize),
) -> Result<ManifestOutputs> {
    std::fs::create_dir_all(out).map_err(|e| write_error(out, e))?;
    let mut outputs = ManifestOutputs::default();
    for (k, case) in cases.iter().enumerate() {
        let dir = out.join(crate::io::manifest::file_name_of_id(&case.id));
        if dir.join("index.html").is_file() {
            outputs.skipped += 1;
        } else {
            match map_case(case, settings, kernel, devices, (&dir, formats)) {
                Ok(_) => outputs.mapped += 1,
                Err(e) => outputs.failed.push((case.id.clone(), e.to_string())),
            }
        }
        progress(k + 1, cases.len());
    }
    let errors = out.join("errors.csv");
    let mut writer = csv::Writer::from_path(&errors).map_err(|e| write_error(&errors, e))?;
    writer
        .write_record(["case_id", "error"])
        .map_err(|e| write_error(&errors, e))?;
    for (id, error) in &outputs.failed {
        writer
            .write_record([id, error])
            .map_err(|e| write_error(&errors, e))?;
    }
    writer.flush().map_err(|e| write_error(&errors, e))?;
    Ok(outputs)
}
