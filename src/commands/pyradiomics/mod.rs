//! `sonorad pyradiomics`: PyRadiomics 3.0.1's command line (`pyradiomics image|batch [mask]
//! [options]`) on sonorad's engine, so that a lab's shell scripts change one word. The same
//! inputs (one image and mask, or a batch CSV with `Image`, `Mask` and optional `Label` and
//! `Label_channel` columns, paths relative to the CSV), the same options, and the same output:
//! each case's input columns, then its `diagnostics_…` values, then its features under
//! PyRadiomics' names, in PyRadiomics' order ([`crate::compat::FeatureOrder`]), written as its `csv`, `json` or `txt` formats
//! write them. A failed case is logged as PyRadiomics logs it (`Feature extraction failed!`)
//! and keeps only its input columns in the output; sonorad also lists it in an errors file.
//!
//! Where sonorad differs, on purpose:
//! - settings are checked by sonorad's parser ([`crate::params`]), `--setting` overrides
//!   included (PyRadiomics passes those unchecked): a refused setting stops the run, exit 3;
//! - `diagnostics_Versions_PyRadiomics` and `…_PyWavelet` name sonorad, `…_Numpy`,
//!   `…_SimpleITK` and `…_Python` say `not used`; the image and mask diagnostics of every
//!   step are written (`original`, `interpolated`, `corrected`, `resegmented`: the library's
//!   [`crate::extract::case_with_diagnostics`]), but files' origins are taken as 0 (sonorad's
//!   readers read none: `CenterOfMass`, and where image and mask lie for `correctMask`), and
//!   a mask file without a spacing of its own (PNG, ...) is taken to lie on its image's pixels
//!   (PyRadiomics would give it 1 mm, a geometry mismatch beside a DICOM or NRRD image);
//! - with `--out-dir`, a failed case is not cached, so a rerun tries it again (PyRadiomics
//!   caches the failure), and the per-case files are written whole or not at all;
//! - `--mode voxel` is refused (`sonorad map` writes texture maps);
//! - log times are UTC.

pub mod log;
pub mod output;
pub mod overrides;
pub mod value;

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::compat::{self, FeatureOrder, FEATURE_CLASSES};
use crate::diagnostics;
use crate::extract::{self, CheckedSettings, FeatureRow, Settings};
use crate::io::{read_image_file, read_mask_file};
use crate::matrix::{self, Backend, BackendChoice};
use crate::params::Params;

use log::{Level, Logger};
use output::{Failure, Format, PathFormat, Row};
use value::PyValue;

/// PyRadiomics' warning, at each case, when the 3D `shape` class is enabled on a 2D image.
const SHAPE_SKIPPED: &str =
    "Shape features are only available 3D input (for 2D input, use shape2D). Found 2D input";

/// The options of PyRadiomics' command line (and sonorad's `--errors` and `--backend`).
#[derive(Debug, Clone)]
pub struct Options {
    /// An image file, or a batch CSV (a name ending in `.csv`).
    pub input: String,
    /// The mask file (single mode).
    pub mask: Option<String>,
    /// `--param`: a parameter file (YAML or JSON).
    pub param: Option<PathBuf>,
    /// `--setting NAME:VALUE`, in order.
    pub settings: Vec<String>,
    /// `--jobs`: cases extracted at once.
    pub jobs: usize,
    /// `--validate`: check the inputs only.
    pub validate: bool,
    /// `--out`: a file to append to (else standard output).
    pub out: Option<PathBuf>,
    /// `--out-dir`: per-case result files, read back when a run is repeated.
    pub out_dir: Option<PathBuf>,
    /// `--skip-nans`.
    pub skip_nans: bool,
    /// `--format`.
    pub format: Format,
    /// `--format-path`.
    pub format_path: PathFormat,
    /// `--unix-path`.
    pub unix_path: bool,
    /// `--label` (deprecated in PyRadiomics, which warns).
    pub label: Option<i64>,
    /// sonorad's errors file; by default next to the output (see [`errors_path`]).
    pub errors: Option<PathBuf>,
    /// sonorad's matrix backend.
    pub backend: BackendChoice,
}

/// One case of the batch: its number and its input columns (Image and Mask made absolute for
/// a batch, as PyRadiomics does).
#[derive(Debug, Clone)]
struct Case {
    index: usize,
    columns: Vec<(String, String)>,
}

impl Case {
    fn get(&self, key: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What every case shares: the checked settings, PyRadiomics' settings dict and image types,
/// the feature order, the backend.
struct Run<'a> {
    settings: CheckedSettings,
    params_warnings: Vec<String>,
    settings_dict: Vec<(String, PyValue)>,
    image_types: PyValue,
    order: FeatureOrder,
    backend: &'a dyn Backend,
    log: &'a Logger,
    out_dir: Option<PathBuf>,
}

/// Runs the command; the exit status is PyRadiomics': 0 when the run finished (failed cases
/// included: they are logged, kept as input columns and listed in the errors file), 1 when the
/// input is not a batch and has no mask or lacks a column, 2 when the output file cannot be
/// opened, 3 when the run stops on an error (parameter file, settings, no case).
pub fn run(options: &Options, log: &Logger) -> i32 {
    let mut out: Box<dyn Write> = match &options.out {
        Some(path) => match open_append(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!(
                    "error: argument --out/-o: can't open '{}': {e}",
                    path.display()
                );
                return 2;
            }
        },
        None => Box::new(std::io::stdout()),
    };
    log.info(&format!(
        "Starting PyRadiomics (sonorad {})",
        env!("CARGO_PKG_VERSION")
    ));
    let (cases, relative_start) = match read_input(options, log) {
        Ok(Some(found)) => found,
        Ok(None) => return 1,
        Err(message) => return stopped(log, &message),
    };
    if options.validate {
        validate(options, &cases, log);
        return 0;
    }
    match extract_all(options, &cases, log) {
        Ok((mut rows, failures)) => {
            if rows.is_empty() {
                return stopped(log, "No cases to process...");
            }
            for row in rows.iter_mut() {
                if options.skip_nans {
                    output::skip_nans(row);
                }
                output::format_paths(row, options.format_path, &relative_start, options.unix_path);
            }
            if let Err(e) = output::write_results(out.as_mut(), &rows, options.format) {
                return stopped(log, &format!("cannot write the output: {e}"));
            }
            record_failures(options, &failures, log);
            log.info("Finished segment-based extraction successfully...");
            0
        }
        Err(message) => stopped(log, &message),
    }
}

/// PyRadiomics' "Error extracting features!" with the reason, and its exit status 3.
fn stopped(log: &Logger, message: &str) -> i32 {
    log.error(&format!("Error extracting features!\n{message}"));
    3
}

fn open_append(path: &Path) -> std::io::Result<File> {
    if path.exists() {
        crate::io::check_regular_file(path).map_err(std::io::Error::other)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// The cases of the input and the folder relative paths start from: a batch CSV's rows, or
/// the one image and mask. `Ok(None)` where PyRadiomics logs an input error and exits 1.
fn read_input(options: &Options, log: &Logger) -> Result<Option<(Vec<Case>, PathBuf)>, String> {
    if options.input.ends_with(".csv") {
        let start = Path::new(&options.input)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        return read_batch(Path::new(&options.input), &start, log)
            .map(|cases| cases.map(|c| (c, start)));
    }
    match &options.mask {
        Some(mask) => Ok(Some((
            vec![Case {
                index: 1,
                columns: vec![
                    ("Image".into(), options.input.clone()),
                    ("Mask".into(), mask.clone()),
                ],
            }],
            std::env::current_dir().unwrap_or_default(),
        ))),
        None => {
            log.error(
                "Input is not recognized as batch, no mask specified, cannot compute result!",
            );
            Ok(None)
        }
    }
}

/// A batch CSV's cases; a row without an image or mask is skipped with PyRadiomics' warning.
fn read_batch(path: &Path, start: &Path, log: &Logger) -> Result<Option<Vec<Case>>, String> {
    crate::io::check_regular_file(path).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    for column in ["Image", "Mask"] {
        if !header.iter().any(|h| h == column) {
            log.error(&format!(
                "Required column \"{column}\" not present in input, unable to extract features..."
            ));
            return Ok(None);
        }
    }
    let mut cases = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let columns: Vec<(String, String)> = header
            .iter()
            .zip(record.iter())
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        let mut case = Case {
            index: cases.len() + 1,
            columns,
        };
        let (Some(image), Some(mask)) = (case.get("Image"), case.get("Mask")) else {
            log.warning(&format!(
                "Batch L{}: Missing required Image or Mask, skipping this case...",
                line + 2
            ));
            continue;
        };
        let (image, mask) = (resolve(start, image), resolve(start, mask));
        for (k, v) in case.columns.iter_mut() {
            match k.as_str() {
                "Image" => *v = image.clone(),
                "Mask" => *v = mask.clone(),
                _ => {}
            }
        }
        cases.push(case);
    }
    Ok(Some(cases))
}

/// A batch path relative to the CSV's folder, made absolute.
fn resolve(start: &Path, path: &str) -> String {
    if Path::new(path).is_absolute() {
        return path.to_string();
    }
    output::absolute(&start.join(path)).display().to_string()
}

/// `--validate`: the parameter file parses and passes the checks, and every case's image and
/// mask is a file; problems are logged as errors.
fn validate(options: &Options, cases: &[Case], log: &Logger) {
    if let Some(param) = &options.param {
        if !param.is_file() {
            log.error("Path for specified parameter file does not exist!");
        } else if let Err(e) = Params::read(param) {
            log.error(&format!("Parameter validation failed!\n{e}"));
        }
    }
    let mut errored = 0;
    for case in cases {
        let mut error = false;
        for column in ["Image", "Mask"] {
            if !case.get(column).is_some_and(|p| Path::new(p).is_file()) {
                error = true;
                log.error(&format!(
                    "{column} path for case ({}/{}) does not exist!",
                    case.index,
                    cases.len()
                ));
            }
        }
        errored += usize::from(error);
    }
    log.info(&format!(
        "Validation complete, errors found in {errored} case(s)"
    ));
}

/// The parameter tree PyRadiomics starts from: the file's, or (no file) the default
/// extractor's: the original image, every class but shape2D.
fn parameter_tree(param: Option<&Path>) -> Result<Mapping, String> {
    let Some(path) = param else {
        let mut root = Mapping::new();
        let mut original = Mapping::new();
        original.insert(Value::from("Original"), Value::Mapping(Mapping::new()));
        root.insert(Value::from("imageType"), Value::Mapping(original));
        let classes: Mapping = FEATURE_CLASSES
            .iter()
            .filter(|c| **c != "shape2D")
            .map(|c| (Value::from(*c), Value::Sequence(Vec::new())))
            .collect();
        root.insert(Value::from("featureClass"), Value::Mapping(classes));
        return Ok(root);
    };
    if !path.is_file() {
        return Err(format!("Parameter file {} does not exist.", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match serde_norway::from_str::<Value>(&text) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err(format!(
            "{}: the top level must be a mapping",
            path.display()
        )),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Reads the settings (file, overrides), creates the backend and extracts every case, in
/// parallel with `--jobs`: the rows in case order and the failures.
fn extract_all(
    options: &Options,
    cases: &[Case],
    log: &Logger,
) -> Result<(Vec<Row>, Vec<Failure>), String> {
    let overrides = overrides::parse_overrides(&options.settings, options.label)?;
    for warning in &overrides.warnings {
        log.warning(warning);
    }
    let root = parameter_tree(options.param.as_deref())?;
    let origin = options
        .param
        .as_ref()
        .map_or("the default settings".to_string(), |p| {
            p.display().to_string()
        });
    let params = Params::from_mapping(
        &overrides::with_overrides(root.clone(), &overrides.values),
        &origin,
    )
    .map_err(|e| e.to_string())?;
    let params_warnings = params.warnings.clone();
    let label = params.label.unwrap_or(1);
    let settings = Settings {
        label: Some(label),
        ..params.apply(Settings::default())
    }
    .check()
    .map_err(|e| e.to_string())?;
    if let Some(dir) = &options.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // the backend's notes (which backend `auto` chose, a device lost) are info lines
    let shown = log.shows(Level::Info);
    let note = move |n: &str| {
        if shown {
            eprint!("{}", log::line(Level::Info, "radiomics.script", n));
        }
    };
    // the command's process ends through matrix::auto::exit (main)
    let backend_options = matrix::BackendOptions {
        leave_start_to_exit: true,
        ..settings.backend_options(Some(cases.len()), false)
    };
    let backend =
        matrix::create(options.backend, backend_options, note).map_err(|e| e.to_string())?;
    let run = Run {
        settings,
        params_warnings,
        settings_dict: overrides::settings_dict(&root, &overrides.values),
        image_types: image_types_dict(&root),
        order: feature_order(&root),
        backend: backend.as_ref(),
        log,
        out_dir: options.out_dir.clone(),
    };
    log.info(&format!(
        "Input valid, starting extraction from {} case(s)...",
        cases.len()
    ));
    let results = in_parallel(options.jobs.min(cases.len()).max(1), cases, |case| {
        run.segment(case)
    })?;
    let mut rows = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (row, failure) in results {
        rows.push(row);
        failures.extend(failure);
    }
    Ok((rows, failures))
}

/// `work` over the cases on `jobs` threads (one case per thread at a time), results in case
/// order.
fn in_parallel<T: Send>(
    jobs: usize,
    cases: &[Case],
    work: impl Fn(&Case) -> T + Send + Sync,
) -> Result<Vec<T>, String> {
    if jobs <= 1 {
        return Ok(cases.iter().map(work).collect());
    }
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
    Ok(pool.install(|| cases.par_iter().map(work).collect()))
}

/// PyRadiomics' `enabledImagetypes` dict of the tree (`{'Original': {}}` when it names none).
fn image_types_dict(root: &Mapping) -> PyValue {
    match root.get("imageType") {
        Some(Value::Mapping(m)) if !m.is_empty() => PyValue::from_yaml(&Value::Mapping(m.clone())),
        _ => PyValue::Dict(vec![("Original".into(), PyValue::Dict(Vec::new()))]),
    }
}

impl Run<'_> {
    /// One case, read back from its `--out-dir` file when an earlier run wrote it.
    fn segment(&self, case: &Case) -> (Row, Option<Failure>) {
        let Some(dir) = &self.out_dir else {
            return self.features(case);
        };
        let path = dir.join(format!("features_{}.csv", case.index));
        if path.is_file() {
            match output::read_case_file(&path) {
                Ok(row) => {
                    self.log.info(&format!(
                        "Patient {} already processed, reading results...",
                        case.index
                    ));
                    return (row, None);
                }
                Err(e) => self
                    .log
                    .warning(&format!("{e}; extracting case {} again", case.index)),
            }
        }
        let (row, failure) = self.features(case);
        if failure.is_none() {
            if let Err(e) = output::write_case_file(&path, &row) {
                self.log.warning(&format!(
                    "{}: cannot write the case's file: {e}",
                    path.display()
                ));
            }
        }
        (row, failure)
    }

    /// One case's row: its columns, diagnostics and features; on failure its columns alone,
    /// with PyRadiomics' log line and the failure for the errors file.
    fn features(&self, case: &Case) -> (Row, Option<Failure>) {
        let mut row: Row = case
            .columns
            .iter()
            .map(|(k, v)| (k.clone(), PyValue::Str(v.clone())))
            .collect();
        self.log.info(&format!("Processing case {}", case.index));
        match self.extract(case) {
            Ok(values) => {
                row.extend(values);
                (row, None)
            }
            Err(error) => {
                self.log
                    .error(&format!("Feature extraction failed!\n{error}"));
                let failure = Failure {
                    case: case.index,
                    image: case.get("Image").unwrap_or_default().to_string(),
                    mask: case.get("Mask").unwrap_or_default().to_string(),
                    error,
                };
                (row, Some(failure))
            }
        }
    }

    /// The diagnostics and features of a case, or why there are none.
    fn extract(&self, case: &Case) -> Result<Row, String> {
        let label = optional_int(case, "Label")?;
        let label_channel = optional_int(case, "Label_channel")?;
        let settings = self.case_checked_settings(label, label_channel)?;
        let image_path = Path::new(case.get("Image").unwrap_or_default());
        let mask_path = Path::new(case.get("Mask").unwrap_or_default());
        let file = read_image_file(image_path, 0).map_err(|e| e.to_string())?;
        let mask =
            read_mask_file(mask_path, 0, settings.label_channel).map_err(|e| e.to_string())?;
        for warning in &self.params_warnings {
            // PyRadiomics' own words for the skipped 3D class (the parser's name the key)
            let text = match warning.strip_prefix("featureClass.shape: ") {
                Some(_) => SHAPE_SKIPPED,
                None => warning,
            };
            self.log
                .log(Level::Warning, "radiomics.featureextractor", text);
        }
        let mut out = Row::new();
        let dict = self.case_settings(label, label_channel);
        let additional = dict
            .iter()
            .find(|(k, _)| k == "additionalInfo")
            .is_some_and(|(_, v)| truthy(v));
        let loaded = if additional {
            let (loaded, steps) = extract::case_with_diagnostics(file, &mask, &settings)
                .map_err(|e| e.to_string())?;
            out.extend(self.diagnostics(dict, steps));
            loaded
        } else {
            extract::case_from_memory(file, &mask, &settings).map_err(|e| e.to_string())?
        };
        let features =
            extract::extract_loaded(&loaded, &settings, self.backend).map_err(|e| e.to_string())?;
        let features = arrange(&self.order, features);
        if settings.formulas.symmetrical_glcm {
            for _ in features
                .iter()
                .filter(|(k, _)| k.ends_with("_glcm_SumAverage"))
            {
                self.log.log(
                    Level::Warning,
                    "radiomics.glcm",
                    "GLCM is symmetrical, therefore Sum Average = 2 * Joint Average, only 1 needs to be calculated",
                );
            }
        }
        out.extend(features);
        Ok(out)
    }

    /// The checked settings of one case: the run's, with the batch's `Label` and
    /// `Label_channel` where the case has them.
    fn case_checked_settings(
        &self,
        label: Option<i64>,
        label_channel: Option<i64>,
    ) -> Result<CheckedSettings, String> {
        if label.is_none() && label_channel.is_none() {
            return Ok(self.settings.clone());
        }
        let mut settings = self.settings.clone().settings();
        if let Some(l) = label {
            settings.label =
                Some(u32::try_from(l).map_err(|_| format!("Label {l} is not a mask label"))?);
        }
        if let Some(c) = label_channel {
            settings.label_channel = u32::try_from(c).map_err(|_| {
                format!("Label_channel {c} is not a mask channel (an integer >= 0)")
            })?;
        }
        settings.check().map_err(|e| e.to_string())
    }

    /// The settings dict of one case: the run's, with the case's label and label channel.
    fn case_settings(
        &self,
        label: Option<i64>,
        label_channel: Option<i64>,
    ) -> Vec<(String, PyValue)> {
        let mut dict = self.settings_dict.clone();
        if let Some(l) = label {
            overrides::insert(&mut dict, "label", PyValue::Int(l));
        }
        if let Some(c) = label_channel {
            overrides::insert(&mut dict, "label_channel", PyValue::Int(c));
        }
        dict
    }

    /// PyRadiomics' `diagnostics_…` values: versions, configuration, then the image and mask
    /// diagnostics of the case's steps (`steps`, from [`extract::case_with_diagnostics`]).
    fn diagnostics(&self, dict: Vec<(String, PyValue)>, steps: diagnostics::Diagnostics) -> Row {
        let sonorad = PyValue::Str(format!("sonorad {}", env!("CARGO_PKG_VERSION")));
        let unused = PyValue::Str("not used".into());
        let mut out: Row = vec![
            ("diagnostics_Versions_PyRadiomics".into(), sonorad.clone()),
            ("diagnostics_Versions_Numpy".into(), unused.clone()),
            ("diagnostics_Versions_SimpleITK".into(), unused.clone()),
            ("diagnostics_Versions_PyWavelet".into(), sonorad),
            ("diagnostics_Versions_Python".into(), unused),
            (
                "diagnostics_Configuration_Settings".into(),
                PyValue::Dict(dict),
            ),
            (
                "diagnostics_Configuration_EnabledImageTypes".into(),
                self.image_types.clone(),
            ),
        ];
        out.extend(
            steps
                .iter()
                .map(|(k, v)| (k.clone(), PyValue::from_diagnostic(v))),
        );
        out
    }
}

/// An integer column of the batch (`Label`, `Label_channel`): `None` when absent, an error
/// when present but not an integer (PyRadiomics' `int()` fails on the case).
fn optional_int(case: &Case, column: &str) -> Result<Option<i64>, String> {
    match case.get(column) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{column} '{text}' is not an integer")),
    }
}

/// Python's truth value.
fn truthy(value: &PyValue) -> bool {
    match value {
        PyValue::None => false,
        PyValue::Bool(b) => *b,
        PyValue::Int(i) => *i != 0,
        PyValue::Float(x) | PyValue::Array0(x) => *x != 0.0,
        PyValue::Str(s) => !s.is_empty(),
        PyValue::Tuple(v) | PyValue::List(v) => !v.is_empty(),
        PyValue::Dict(d) => !d.is_empty(),
    }
}

/// The feature order of a parameter tree's `featureClass` (PyRadiomics' `enabledFeatures`;
/// all classes when it names none).
fn feature_order(root: &Mapping) -> FeatureOrder {
    match root.get("featureClass") {
        Some(Value::Mapping(m)) if !m.is_empty() => FeatureOrder::new(
            m.iter()
                .map(|(k, v)| {
                    let listed = match v {
                        Value::Sequence(items) => {
                            items.iter().map(|i| PyValue::from_yaml(i).str()).collect()
                        }
                        _ => Vec::new(),
                    };
                    (PyValue::from_yaml(k).str(), listed)
                })
                .collect(),
        ),
        _ => FeatureOrder::default(),
    }
}

/// The tumour's features under PyRadiomics' names and types, in its order.
fn arrange(order: &FeatureOrder, features: FeatureRow) -> Row {
    let tumour: Vec<(&str, f64)> = features
        .iter()
        .filter_map(|(name, value)| Some((name.strip_prefix("tumor_")?, *value)))
        .collect();
    let names: Vec<&str> = tumour.iter().map(|(name, _)| *name).collect();
    order
        .positions(&names)
        .into_iter()
        .map(|k| {
            let (name, value) = tumour[k];
            (name.to_string(), feature_value(name, value))
        })
        .collect()
}

/// A feature value with PyRadiomics' type: a `float64` scalar for the shape2D features
/// computed as numpy scalars, else a 0-d array.
fn feature_value(name: &str, value: f64) -> PyValue {
    let scalar = name
        .strip_prefix("original_shape2D_")
        .is_some_and(|f| compat::SHAPE2D_SCALARS.contains(&f));
    if scalar {
        PyValue::Float(value)
    } else {
        PyValue::Array0(value)
    }
}

/// Where the errors file goes: `--errors`; else `errors.csv` in `--out-dir`; else next to
/// `--out` (`<stem>_errors.csv`); else `pyradiomics_errors.csv` in the working folder.
pub fn errors_path(options: &Options) -> PathBuf {
    if let Some(p) = &options.errors {
        return p.clone();
    }
    if let Some(dir) = &options.out_dir {
        return dir.join("errors.csv");
    }
    if let Some(out) = &options.out {
        let stem = out
            .file_stem()
            .map_or("pyradiomics".into(), |s| s.to_string_lossy().into_owned());
        return out.with_file_name(format!("{stem}_errors.csv"));
    }
    PathBuf::from("pyradiomics_errors.csv")
}

/// Writes the errors file when a case failed, or when one from an earlier run is there (then
/// replaced, so it never lists a case that this run extracted); a warning says where.
fn record_failures(options: &Options, failures: &[Failure], log: &Logger) {
    let path = errors_path(options);
    if failures.is_empty() && !path.exists() {
        return;
    }
    match output::write_errors(&path, failures) {
        Ok(()) if !failures.is_empty() => log.warning(&format!(
            "{} case(s) failed; listed in {}",
            failures.len(),
            path.display()
        )),
        Ok(()) => {}
        Err(e) => log.error(&format!(
            "{}: cannot write the errors file: {e}",
            path.display()
        )),
    }
}

/// PyRadiomics' two-letter short options (`-od`, `-up`), which a one-letter short-option
/// parser reads as `-o d` and `-u p`, rewritten to their long forms.
pub fn long_forms(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let aliases: HashMap<&str, &str> = [("-od", "--out-dir"), ("-up", "--unix-path")].into();
    args.into_iter()
        .map(|a| {
            if let Some(long) = aliases.get(a.as_str()) {
                return long.to_string();
            }
            match a.split_once('=') {
                Some(("-od", value)) => format!("--out-dir={value}"),
                _ => a,
            }
        })
        .collect()
}
