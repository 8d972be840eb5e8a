//! `sonorad` command line: a thin shell over the library.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};

use sonorad::archive::{self, ArchiveOptions, OutputFormat, Progress, Shard};
use sonorad::commands::{docs, map, pyradiomics};
use sonorad::discretize::Binning;
use sonorad::extract::{self, CheckedSettings, EnabledImageType, Settings};
use sonorad::io::{pair_folders, read_manifest, read_manifest_table};
use sonorad::maps::device::DeviceMaps;
use sonorad::maps::{KernelSettings, MapDevices, MAX_KERNEL_RADIUS};
use sonorad::matrix::{self, BackendChoice};
use sonorad::params::{FeatureClassSelection, Params};
use sonorad::roi::RingWidth;
use sonorad::select::lasso::LambdaRule;
use sonorad::table;
use sonorad::train::Missing;

#[derive(Parser)]
#[command(
    name = "sonorad",
    version,
    about = "Radiomics for 2D ultrasound, PyRadiomics-identical features",
    after_help = docs::example(
        "features of the bundled BUSI sample (6 cases), from the repository's root",
        "sonorad extract --manifest tests/fixtures/busi/manifest.csv --ring 3mm --spacing 0.1 --out busi-features.csv"
    )
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract features of the tumour (and rings) of one image, or of every case of a manifest.
    #[command(after_help = docs::example(
        "tumour and 3 mm ring of the cohort that the `sonorad generate` example writes",
        "sonorad extract --manifest cohort/manifest.csv --ring 3mm --spacing 0.1 --out features.csv"
    ))]
    Extract(Box<ExtractArgs>),
    /// Join the outputs of `extract --shard K/N` runs, checking that no case is missing or
    /// duplicated.
    #[command(after_help = docs::example(
        "after `sonorad extract --manifest cohort/manifest.csv --shard K/2 --out shard-K.csv`, K = 1, 2",
        "sonorad merge --manifest cohort/manifest.csv --out merged.csv shard-1.csv shard-2.csv"
    ))]
    Merge(MergeArgs),
    /// Write a generated cohort (speckle images, lesion masks, outcome, clinical variables)
    /// with its manifest.
    #[command(after_help = docs::example(
        "80 speckle images of 128x128 pixels with lesion masks, outcome, age and lvi",
        "sonorad generate --cases 80 --size 128 --out cohort"
    ))]
    Generate(GenerateArgs),
    /// List the GPU adapters wgpu sees and the backend each choice would use.
    #[command(after_help = docs::example(
        "what `--backend auto` and `--backend gpu` would run on here",
        "sonorad info"
    ))]
    Info,
    /// Run the same regions through the CPU and GPU backends and compare speed and matrices.
    /// Exit code 3 when the backends' matrices differ, 2 when manifest cases failed (they are
    /// listed and left out).
    #[command(after_help = docs::example(
        "16 generated 256x256 images through each backend, one round",
        "sonorad bench --synthetic 16 --size 256 --repeats 1"
    ))]
    Bench(BenchArgs),
    /// Statistics stage: split, ICC filter, z-score, mRMR, LASSO Rad-score, six tuned
    /// classifiers and their metrics (AUC with DeLong CI, rates at the Youden cutoff); with
    /// `--clinical`, the clinical and combined models; then the HTML report.
    #[command(after_help = docs::example(
        "the radiomics models of features.csv, from the `sonorad extract` example",
        "sonorad train --features features.csv --outcome outcome --out study"
    ))]
    Train(TrainArgs),
    /// Score new cases with a trained model: Rad-score, combined probability, risk group at the
    /// training cutoff, and inputs outside the training range.
    #[command(after_help = docs::example(
        "the cases of features.csv scored with the models of the `sonorad train` example",
        "sonorad predict --model study/model.json --features features.csv --out predictions.csv"
    ))]
    Predict(PredictArgs),
    /// Run the whole chain (generated cohort → features → models → report) in under a minute.
    #[command(after_help = docs::example(
        "then open sonorad-demo/report.html",
        "sonorad demo --out sonorad-demo"
    ))]
    Demo(DemoArgs),
    /// Texture maps (PyRadiomics' voxel-based extraction): a feature value for every region
    /// pixel from the kernel around it, written as NIfTI, 32-bit float TIFF and PNG heatmaps
    /// with one HTML page per case.
    #[command(after_help = docs::example(
        "GLCM joint entropy of the 5x5 kernel around each pixel of a case of `sonorad generate`",
        "sonorad map --image cohort/images/case_000000.png --mask cohort/masks/case_000000_mask.png --features glcm_JointEntropy --kernel-radius 2 --out maps"
    ))]
    Map(Box<MapArgs>),
    /// PyRadiomics' command line (`pyradiomics image|batch [mask] [options]`) on sonorad:
    /// the same arguments, and output with PyRadiomics' columns (input columns, diagnostics,
    /// features) in its csv, json or txt format.
    #[command(
        override_usage = "sonorad pyradiomics image|batch [mask] [Options]",
        after_help = docs::example(
            "a bundled BUSI case (mask label 255), bundled 2D parameter file, from the repository's root",
            "sonorad pyradiomics \"tests/fixtures/busi/benign/benign (2).png\" \"tests/fixtures/busi/benign/benign (2)_mask.png\" -p tests/fixtures/pyradiomics_cli/params.yaml -s label:255 -f csv -o benign2.csv"
        )
    )]
    Pyradiomics(Box<PyradiomicsArgs>),
    /// Write the completion script of a shell to standard output.
    ///
    /// bash: save it as ~/.local/share/bash-completion/completions/sonorad; zsh: as `_sonorad` in
    /// a folder of $fpath; fish: as ~/.config/fish/completions/sonorad.fish; elvish, powershell:
    /// evaluate it in the shell's startup file.
    #[command(after_help = docs::example(
        "bash-completion loads it in every new shell",
        "sonorad completions bash > ~/.local/share/bash-completion/completions/sonorad"
    ))]
    Completions(CompletionsArgs),
    /// Write the manual pages (roff).
    ///
    /// sonorad(1), or one command's sonorad-<command>(1), to standard output; with --out-dir,
    /// sonorad.1 and every sonorad-<command>.1 into a folder (a `man1/` of the manual path, as
    /// /usr/share/man/man1 for a package).
    #[command(after_help = docs::example(
        "every page into man/; `man -l man/sonorad-extract.1` reads one",
        "sonorad man --out-dir man"
    ))]
    Man(ManArgs),
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell whose script to write.
    #[arg(value_enum)]
    shell: docs::Shell,
}

#[derive(Args)]
struct ManArgs {
    /// The command whose page to write (default: sonorad's own page).
    #[arg(conflicts_with = "out_dir")]
    command: Option<String>,
    /// Folder to write every page into (created when missing).
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// PyRadiomics 3.0.1's arguments (its help texts, shortened), and sonorad's `--errors` and
/// `--backend`.
#[derive(Args)]
struct PyradiomicsArgs {
    /// Image file (single mode) or CSV batch file (batch mode: columns Image, Mask, and
    /// optionally Label, Label_channel; paths relative to the CSV).
    #[arg(value_name = "{Image,Batch}FILE", required_unless_present = "version")]
    input: Option<String>,
    /// Mask file identifying the ROI in the image; only in single mode, ignored otherwise.
    #[arg(value_name = "MaskFILE")]
    mask: Option<String>,
    /// Parameter file containing the settings to be used in extraction (YAML or JSON).
    #[arg(long, short = 'p', value_name = "FILE")]
    param: Option<PathBuf>,
    /// Overrides the parameter file's and default settings ("SETTING_NAME:VALUE", lists
    /// comma-separated); may be given several times.
    #[arg(long, short = 's', value_name = "SETTING_NAME:VALUE")]
    setting: Vec<String>,
    /// (Batch mode) cases extracted at once, 1 to the number of CPUs.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1, value_parser = jobs)]
    jobs: usize,
    /// Check the parameter file and that every image and mask exists, then stop.
    #[arg(long)]
    validate: bool,
    /// File to append output to (default: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Folder for one CSV per case (features_N.csv), read back when the run is repeated
    /// (short form -od).
    #[arg(long = "out-dir", value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Extraction mode: segment (voxel is refused; `sonorad map` writes texture maps).
    #[arg(long, short = 'm', value_enum, default_value_t = PyradiomicsMode::Segment)]
    mode: PyradiomicsMode,
    /// Leave out values that are NaN floats (as PyRadiomics: feature values are numpy 0-d
    /// arrays, which it keeps).
    #[arg(long = "skip-nans")]
    skip_nans: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    format: pyradiomics::output::Format,
    /// Image and mask paths in the output.
    #[arg(long = "format-path", value_enum, default_value_t)]
    format_path: pyradiomics::output::PathFormat,
    /// Use "/" in output paths (short form -up).
    #[arg(long = "unix-path")]
    unix_path: bool,
    /// Lowest level written to --log-file.
    #[arg(long = "logging-level", value_name = "LEVEL", default_value = "WARNING",
          value_parser = ["NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])]
    logging_level: String,
    /// File to append log lines to.
    #[arg(long = "log-file", value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// Output to stderr: 3 (default) WARNING and up, 4 (the flag alone) INFO, 5 DEBUG.
    #[arg(long, short = 'v', num_args = 0..=1, default_value_t = 3, default_missing_value = "4",
          value_parser = clap::value_parser!(u8).range(1..=5))]
    verbosity: u8,
    /// (Deprecated in PyRadiomics) label value of the ROI; use --setting label:N.
    #[arg(long, short = 'l', value_name = "N")]
    label: Option<i64>,
    /// sonorad: the errors file (Case, Image, Mask, Error); default errors.csv in --out-dir,
    /// else <out>_errors.csv next to --out, else pyradiomics_errors.csv.
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    /// sonorad: matrix backend.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Print the version and exit.
    #[arg(long)]
    version: bool,
}

/// PyRadiomics' `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PyradiomicsMode {
    /// Features of each region.
    Segment,
    /// Feature maps (refused: use `sonorad map`).
    Voxel,
}

/// `--jobs`: 1 to the number of CPUs, as PyRadiomics' choices.
fn jobs(text: &str) -> std::result::Result<usize, String> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    match text.parse::<usize>() {
        Ok(n) if (1..=cpus).contains(&n) => Ok(n),
        _ => Err(format!("invalid choice: {text} (choose from 1 to {cpus})")),
    }
}

#[derive(Args)]
struct MapArgs {
    /// Image file.
    #[arg(long, requires = "mask", conflicts_with = "manifest")]
    image: Option<PathBuf>,
    /// Mask file of the same size; the region is every non-zero pixel, or `== --label`.
    #[arg(long, requires = "image")]
    mask: Option<PathBuf>,
    /// CSV with an id column and `image`, `mask` columns, as for `extract`: each case is mapped
    /// into `--out/<case id>/`; a failed case goes to `--out/errors.csv`, a mapped one is
    /// skipped when the run is repeated.
    #[arg(long, required_unless_present = "image")]
    manifest: Option<PathBuf>,
    /// Id column of the manifest.
    #[arg(long, default_value = "case_id")]
    id_column: String,
    #[command(flatten)]
    regions: RegionArgs,
    /// Half the kernel's side: each region pixel's kernel is the (2r + 1)² square around it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_KERNEL_RADIUS as i64))]
    kernel_radius: u32,
    /// Keep kernels (and the binning) inside the region (PyRadiomics' maskedKernel).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    masked_kernel: bool,
    /// Value of the map outside the region (PyRadiomics' initValue; `nan` for none).
    #[arg(long, default_value_t = 0.0)]
    init_value: f64,
    /// Features to map, comma-separated: whole classes (`firstorder,glcm`) or single features
    /// (`glcm_Contrast,glrlm_RunEntropy`); default all first-order and texture features.
    #[arg(long)]
    features: Option<String>,
    /// Fixed bin width (default 25), over the region (or the window, unmasked) as a whole.
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Fixed bin count.
    #[arg(long)]
    bin_count: Option<usize>,
    #[command(flatten)]
    image_types: FilterArgs,
    /// A PyRadiomics parameter file: imageType, featureClass, setting and voxelSetting
    /// (kernelRadius, maskedKernel, initValue); replaces the flags it sets.
    #[arg(long, conflicts_with_all = ["filters", "bin_width", "bin_count", "label", "label_channel", "features"])]
    params: Option<PathBuf>,
    /// Where the filters and the maps run: auto, cpu, gpu or mixed, as for `extract`. On a
    /// device (gpu, mixed, auto on a hardware GPU) the map kernels compute every class, GLCM's
    /// MCC included, for kernel radius up to 3; larger kernels are mapped on the CPU.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Most seconds one case may take (reading, filters, maps), checked after each step and
    /// every few thousand kernels: a case over budget fails naming its file (with --manifest
    /// it goes to errors.csv and the run goes on).
    #[arg(long, default_value_t = 600.0)]
    case_time_budget: f64,
    /// Output folder (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// Files per map, comma-separated: nifti (.nii.gz), tiff (32-bit float), png (heatmap).
    #[arg(long, default_value = "nifti,tiff,png")]
    formats: String,
    /// No progress output, only the final summary.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct BenchArgs {
    /// Cases from a manifest (end to end then includes decoding).
    #[arg(long, conflicts_with = "synthetic")]
    manifest: Option<PathBuf>,
    /// Id column of the manifest.
    #[arg(long, default_value = "case_id")]
    id_column: String,
    /// Number of generated cases (speckle images with an irregular lesion).
    #[arg(long, default_value_t = 64)]
    synthetic: usize,
    /// Side of the generated images in pixels.
    #[arg(long, default_value_t = 512, conflicts_with = "manifest")]
    size: usize,
    /// Fixed bin count (default for generated cases: 32).
    #[arg(long)]
    bin_count: Option<usize>,
    /// Fixed bin width (manifest only; default 25).
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Pixel spacing in mm, for rings in mm (manifest only; a case's `spacing` column wins).
    #[arg(long)]
    spacing: Option<f64>,
    /// Peritumoral rings (manifest only).
    #[arg(long = "ring")]
    rings: Vec<RingWidth>,
    /// Image types (manifest only): as `extract --filters`, with --log-sigma and --wavelet.
    #[command(flatten)]
    image_types: FilterArgs,
    /// Rounds; in each, every backend runs once in turn; the best round is kept.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Print the phase times of every GPU batch to stderr.
    #[arg(long)]
    trace: bool,
}

/// The region flags of `extract` and `map`.
#[derive(Args)]
struct RegionArgs {
    /// Only mask pixels with this label form the tumour.
    #[arg(long)]
    label: Option<u32>,
    /// The channel of a mask with several channels per pixel (gray+alpha, RGB, RGBA PNG, a
    /// vector NRRD) that holds the labels, as PyRadiomics' label_channel; a one-channel mask
    /// ignores it. A manifest's `label_channel` column wins.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    label_channel: u32,
    /// Pixel spacing in mm (square pixels).
    #[arg(long)]
    spacing: Option<f64>,
    /// Peritumoral ring width, e.g. `3mm` or `10px`; repeat for several rings (each is
    /// extracted, or mapped, like the tumour).
    #[arg(long = "ring")]
    rings: Vec<RingWidth>,
}

/// The image-type flags of `extract` and `bench`.
#[derive(Args)]
struct FilterArgs {
    /// Image types, comma-separated: original, log, wavelet, square, squareroot, logarithm,
    /// exponential, gradient.
    #[arg(long, value_delimiter = ',', default_value = "original")]
    filters: Vec<String>,
    /// LoG sigmas in mm (with `--filters log`).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    log_sigma: Vec<f64>,
    /// Wavelet of `--filters wavelet` (PyWavelets name: coif1, haar, db2, sym4, ...).
    #[arg(long, default_value = "coif1")]
    wavelet: String,
}

impl FilterArgs {
    /// The enabled image types, each binned with `binning`.
    fn enabled(&self, binning: Binning) -> Result<Vec<EnabledImageType>> {
        extract::enabled_image_types(&self.filters, &self.log_sigma, &self.wavelet, binning)
            .map_err(|e| anyhow::anyhow!("--filters: {e}"))
    }

    /// Whether only the original image is asked for.
    fn original_only(&self) -> bool {
        self.filters.iter().all(|f| f.trim() == "original")
    }
}

#[derive(Args)]
struct ExtractArgs {
    /// Image file (PNG, JPEG, BMP, TIFF; 8/16-bit gray or RGB).
    #[arg(long, requires = "mask", conflicts_with = "manifest")]
    image: Option<PathBuf>,
    /// Mask file of the same size; the region is every non-zero pixel, or `== --label`.
    #[arg(long, requires = "image")]
    mask: Option<PathBuf>,
    /// CSV with an id column and `image`, `mask` columns (paths relative to the CSV); optional
    /// per-case `spacing`, `label`, `label_channel`, `frame`; other columns are copied to the
    /// output.
    #[arg(long, conflicts_with = "images")]
    manifest: Option<PathBuf>,
    /// Folder of images, paired with masks by name (see --masks, --mask-suffix).
    #[arg(long, requires = "masks")]
    images: Option<PathBuf>,
    /// Folder of masks: the mask of `scan.png` is `scan<suffix>.<any image extension>`.
    #[arg(long, requires = "images")]
    masks: Option<PathBuf>,
    /// Mask name suffix for --images/--masks.
    #[arg(long, default_value = "_mask")]
    mask_suffix: String,
    /// With --images/--masks, an image's extra masks `<stem><suffix>_<n>` (BUSI's further
    /// lesions): `union` joins them to the first mask (one case per image), `separate` makes
    /// each its own case `<stem>_<n>`, `ignore` leaves them out. The run says what it did.
    #[arg(long, value_enum, default_value_t = sonorad::io::ExtraMasks::Union)]
    extra_masks: sonorad::io::ExtraMasks,
    /// Id column of the manifest.
    #[arg(long, default_value = "case_id")]
    id_column: String,
    #[command(flatten)]
    regions: RegionArgs,
    /// Fixed bin width (default 25; edges anchored at 0).
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Fixed bin count between the region's minimum and maximum.
    #[arg(long)]
    bin_count: Option<usize>,
    #[command(flatten)]
    image_types: FilterArgs,
    /// A PyRadiomics parameter file (YAML: imageType, featureClass, setting); replaces
    /// --filters, --bin-width/--bin-count, --label and --label-channel.
    #[arg(long, conflicts_with_all = ["filters", "bin_width", "bin_count", "label", "label_channel"])]
    params: Option<PathBuf>,
    /// Matrix backend: auto (the CPU threads at once and a hardware GPU with them once it has
    /// started, if there is one; one case stays on the CPU), cpu, gpu (the GPU alone) or mixed
    /// (GPU and CPU together on any adapter, software drivers included).
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Print the phase times of every GPU batch (pack, upload, device, unpack) and their totals
    /// to stderr.
    #[arg(long)]
    trace: bool,
    /// Write every region as a PNG mask into this folder (one subfolder per case for a manifest).
    #[arg(long)]
    write_masks: Option<PathBuf>,
    /// Output file (one image: default standard output; a manifest or folders: required).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format of a manifest run (default: from the extension, `.parquet` → parquet).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Per-case errors file (default `<out>.errors.csv`).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Continue an existing output: skip the cases it holds.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Overwrite an existing output.
    #[arg(long)]
    force: bool,
    /// Process only part K of N of the cases (`--shard 3/10`), for job arrays.
    #[arg(long)]
    shard: Option<Shard>,
    /// Memory budget for the cases in flight, in MiB (a chunk still holds at least one case per
    /// thread).
    #[arg(long, default_value_t = 1024)]
    memory_budget: usize,
    /// Most pixels an image or mask may have; a file whose header claims more is refused before
    /// any pixel is read.
    #[arg(long, default_value_t = sonorad::io::DEFAULT_MAX_PIXELS)]
    max_pixels: u64,
    /// Most seconds one case may take in its own steps (reading, regions, filters,
    /// discretization, features), checked after each: a case over budget goes to the errors
    /// file and the run goes on.
    #[arg(long, default_value_t = 600.0)]
    case_time_budget: f64,
    /// No progress output, only the final summary.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct GenerateArgs {
    /// Number of cases.
    #[arg(long, default_value_t = 100)]
    cases: usize,
    /// Image side in pixels.
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder to write (`images/`, `masks/`, `manifest.csv`).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct MergeArgs {
    /// The manifest the shards were run from.
    #[arg(long)]
    manifest: PathBuf,
    /// Id column of the manifest.
    #[arg(long, default_value = "case_id")]
    id_column: String,
    /// Merged output (CSV, or Parquet for a `.parquet` name or --format parquet).
    #[arg(long)]
    out: PathBuf,
    /// Output format (default: from the extension).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Shard outputs to join.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

/// Keeps freed image-sized buffers in the process for the next case. glibc serves each
/// allocation above an adaptive threshold with a fresh mapping and trims the heap top when it is
/// freed, so every case's megabyte-sized image and label buffers came back as page faults (a
/// seventh of the CPU time of a BUSI run). Allocations up to 32 MiB now come from the heap,
/// trimmed only above 64 MiB of free space.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt sets allocator parameters only; it runs before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

/// Other platforms keep their allocator's defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() {
    keep_freed_memory();
    let mut argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("pyradiomics") {
        argv = pyradiomics::long_forms(argv);
    }
    let cli = Cli::parse_from(argv);
    let outcome = match cli.command {
        Command::Extract(args) => run_extract(*args),
        Command::Merge(args) => run_merge(args),
        Command::Generate(args) => run_generate(args),
        Command::Info => run_info(),
        Command::Bench(args) => run_bench(args),
        Command::Train(args) => run_train(args),
        Command::Predict(args) => run_predict(args),
        Command::Demo(args) => run_demo(args),
        Command::Map(args) => run_map(*args),
        Command::Pyradiomics(args) => run_pyradiomics(*args),
        Command::Completions(args) => run_completions(args),
        Command::Man(args) => run_man(args),
    };
    // through auto's exit: a GPU start that a short run left behind does not hold it up
    match outcome {
        Ok(code) => matrix::auto::exit(code),
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            matrix::auto::exit(1);
        }
    }
}

/// The error and its causes, each written once: the library's messages already embed their
/// direct cause (`{path}: cannot read file: {source}`), which anyhow's `{:#}` would repeat.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn settings(args: &ExtractArgs) -> Result<CheckedSettings> {
    let settings = Settings {
        label: args.regions.label,
        label_channel: args.regions.label_channel,
        spacing: args.regions.spacing,
        rings: args.regions.rings.clone(),
        case_time_budget: Some(case_time_budget(args.case_time_budget)?),
        mask_folder: args.write_masks.clone(),
        ..Settings::default()
    };
    let settings = match &args.params {
        Some(path) => read_params(path)?.apply(settings),
        None => {
            let binning = Binning::from_settings(args.bin_width, args.bin_count);
            Settings {
                image_types: args.image_types.enabled(binning)?,
                ..settings
            }
        }
    };
    Ok(settings.check()?)
}

/// A checked parameter file, its warnings (what PyRadiomics would warn about it) shown once.
fn read_params(path: &std::path::Path) -> Result<Params> {
    let params = Params::read(path)?;
    for warning in &params.warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    Ok(params)
}

/// `--case-time-budget` as a duration: a positive, finite number of seconds.
fn case_time_budget(seconds: f64) -> Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--case-time-budget must be a positive number of seconds, not {seconds}"
            )
        })
}

fn open_output(out: &Option<PathBuf>) -> Result<(Box<dyn Write>, PathBuf)> {
    match out {
        Some(p) => {
            let f = File::create(p)
                .with_context(|| format!("{}: cannot create output file", p.display()))?;
            Ok((Box::new(BufWriter::new(f)), p.clone()))
        }
        None => Ok((
            Box::new(std::io::stdout().lock()),
            PathBuf::from("<stdout>"),
        )),
    }
}

fn run_extract(args: ExtractArgs) -> Result<i32> {
    let settings = settings(&args)?;
    sonorad::io::set_max_pixels(args.max_pixels);
    if let (Some(image), Some(mask)) = (&args.image, &args.mask) {
        let backend = extract_backend(&args, &settings, 1)?;
        let row = extract::extract_case(image, mask, &settings, backend.as_ref())?;
        let (out, path) = open_output(&args.out)?;
        table::write_long(out, &row, &path)?;
        return Ok(0);
    }
    let manifest = match (&args.manifest, &args.images, &args.masks) {
        (Some(path), _, _) => read_manifest_table(path, &args.id_column)?,
        (None, Some(images), Some(masks)) => {
            let paired = pair_folders(images, masks, &args.mask_suffix, args.extra_masks)?;
            if let Some(summary) = paired.summary(args.extra_masks) {
                eprintln!("{summary}");
            }
            paired.manifest
        }
        _ => bail!("give --image and --mask, --manifest, or --images and --masks"),
    };
    let Some(out) = &args.out else {
        bail!("a manifest or folder run needs --out FILE");
    };
    let cases = args
        .shard
        .map_or(manifest.cases.len(), |s| s.cases_of(manifest.cases.len()));
    let backend = extract_backend(&args, &settings, cases)?;
    let mut options = ArchiveOptions::new(out);
    if let Some(format) = args.format {
        options.format = format;
    }
    options.errors = args.errors.clone();
    options.resume = args.resume;
    options.force = args.force;
    options.shard = args.shard;
    options.memory_budget_mib = args.memory_budget;
    options.id_column = args.id_column.clone();
    if args.quiet {
        options.progress = Progress::Quiet;
    }
    let summary = archive::run(&manifest, &settings, backend.as_ref(), &options)?;
    eprintln!("{}", summary.to_text());
    if let Some(phases) = backend.phase_times().filter(|_| args.trace) {
        eprintln!("{} backend, GPU totals: {}", backend.name(), phases.line());
    }
    Ok(if summary.failed > 0 { 2 } else { 0 })
}

/// The backend of an `extract` run of `cases` cases, with a note when the device builds only
/// part of what these settings ask for.
fn extract_backend(
    args: &ExtractArgs,
    settings: &CheckedSettings,
    cases: usize,
) -> Result<Box<dyn matrix::Backend>> {
    let options = matrix::BackendOptions {
        leave_start_to_exit: true,
        ..settings.backend_options(Some(cases), args.trace)
    };
    let backend = matrix::create(args.backend, options, |note| eprintln!("{note}"))?;
    if !settings.neighbourhood.is_default() && backend.device().is_some() {
        eprintln!(
            "backend {}: the device builds PyRadiomics' default neighbourhood only; with these distances, force2D or gldm_a the matrices are built on the CPU threads",
            backend.name()
        );
    }
    Ok(backend)
}

fn run_generate(args: GenerateArgs) -> Result<i32> {
    if args.size < 16 {
        bail!("--size must be at least 16 pixels");
    }
    let manifest = sonorad::synth::write_cohort(&args.out, args.cases, args.size, args.seed)?;
    eprintln!(
        "{} cases written; manifest {}",
        args.cases,
        manifest.display()
    );
    Ok(0)
}

fn run_merge(args: MergeArgs) -> Result<i32> {
    let manifest = read_manifest_table(&args.manifest, &args.id_column)?;
    let format = args
        .format
        .unwrap_or_else(|| OutputFormat::of_path(&args.out));
    let summary = archive::merge(&manifest, &args.shards, &args.out, format)?;
    eprintln!(
        "{} rows merged from {} shard outputs into {}",
        summary.rows,
        summary.shards,
        args.out.display()
    );
    if !summary.failed.is_empty() {
        eprintln!(
            "{} case(s) failed in their shard (see the shards' errors files): {}",
            summary.failed.len(),
            summary.failed.join(", ")
        );
    }
    Ok(if summary.failed.is_empty() { 0 } else { 2 })
}

/// The settings and kernels of `sonorad map`: a parameter file's, else the flags'.
fn map_settings(args: &MapArgs) -> Result<(CheckedSettings, KernelSettings)> {
    let settings = Settings {
        label: args.regions.label,
        label_channel: args.regions.label_channel,
        spacing: args.regions.spacing,
        rings: args.regions.rings.clone(),
        case_time_budget: Some(case_time_budget(args.case_time_budget)?),
        ..Settings::default()
    };
    let mut kernel = KernelSettings {
        radius: args.kernel_radius as usize,
        masked: args.masked_kernel,
        init_value: args.init_value,
    };
    let settings = match &args.params {
        Some(path) => {
            let params = read_params(path)?;
            kernel = kernel.with_voxel_setting(params.voxel);
            sonorad::maps::settings_for_maps(params.apply(settings))?
        }
        None => {
            let binning = Binning::from_settings(args.bin_width, args.bin_count);
            let features = args
                .features
                .as_deref()
                .map(FeatureClassSelection::parse_list)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--features: {e}"))?;
            Settings {
                image_types: args.image_types.enabled(binning)?,
                feature_classes: features,
                ..settings
            }
        }
    };
    Ok((settings.check()?, kernel.check()?))
}

fn run_pyradiomics(args: PyradiomicsArgs) -> Result<i32> {
    if args.version {
        println!(
            "sonorad pyradiomics {} (PyRadiomics 3.0.1's command line)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(0);
    }
    if args.mode == PyradiomicsMode::Voxel {
        bail!("--mode voxel is not supported; `sonorad map` writes texture maps (PyRadiomics' voxel-based features)");
    }
    let file_level = match args.logging_level.as_str() {
        "NOTSET" => 0,
        "DEBUG" => 10,
        "INFO" => 20,
        "WARNING" => 30,
        "ERROR" => 40,
        _ => 50,
    };
    let log_file = args.log_file.as_deref().map(|p| (p, file_level));
    let log = pyradiomics::log::Logger::new(args.verbosity, log_file)
        .with_context(|| format!("--log-file {:?}", args.log_file))?;
    let options = pyradiomics::Options {
        input: args.input.unwrap_or_default(),
        mask: args.mask,
        param: args.param,
        settings: args.setting,
        jobs: args.jobs,
        validate: args.validate,
        out: args.out,
        out_dir: args.out_dir,
        skip_nans: args.skip_nans,
        format: args.format,
        format_path: args.format_path,
        unix_path: args.unix_path,
        label: args.label,
        errors: args.errors,
        backend: args.backend,
    };
    Ok(pyradiomics::run(&options, &log))
}

fn run_map(args: MapArgs) -> Result<i32> {
    let (settings, kernel) = map_settings(&args)?;
    let formats =
        map::Formats::parse(&args.formats).map_err(|e| anyhow::anyhow!("--formats: {e}"))?;
    let note = |note: &str| eprintln!("{note}");
    let backend = matrix::create(args.backend, matrix::BackendOptions::default(), note)?;
    let map_kernels = backend.device().and_then(|device| {
        DeviceMaps::new(Arc::clone(device))
            .inspect_err(|e| note(&format!("texture maps: on the CPU, {e}")))
            .ok()
    });
    let devices = MapDevices {
        filters: backend.filters(),
        maps: map_kernels.as_ref(),
    };
    if let (Some(image), Some(mask)) = (&args.image, &args.mask) {
        let case = sonorad::io::ManifestRow::new("", image, mask);
        let done = map::map_case(&case, &settings, kernel, devices, (&args.out, formats))?;
        eprintln!("{} maps written; page {}", done.maps, done.page.display());
        return Ok(0);
    }
    let Some(path) = &args.manifest else {
        bail!("give --image and --mask, or --manifest");
    };
    let manifest = read_manifest_table(path, &args.id_column)?;
    let quiet = args.quiet;
    let progress = |done: usize, total: usize| {
        if !quiet {
            eprint!("\rmapped {done}/{total} cases");
        }
    };
    let outputs = map::map_manifest(
        &manifest.cases,
        &settings,
        kernel,
        devices,
        (&args.out, formats),
        progress,
    )?;
    if !quiet {
        eprintln!();
    }
    eprintln!(
        "{} cases mapped, {} already mapped (skipped), {} failed{}",
        outputs.mapped,
        outputs.skipped,
        outputs.failed.len(),
        if outputs.failed.is_empty() {
            String::new()
        } else {
            format!(" (see {})", args.out.join("errors.csv").display())
        }
    );
    Ok(if outputs.failed.is_empty() { 0 } else { 2 })
}

fn run_completions(args: CompletionsArgs) -> Result<i32> {
    docs::completions(
        args.shell,
        &mut Cli::command(),
        &mut std::io::stdout().lock(),
    );
    Ok(0)
}

fn run_man(args: ManArgs) -> Result<i32> {
    match &args.out_dir {
        Some(dir) => {
            let pages = docs::man_pages(Cli::command(), dir)
                .with_context(|| format!("{}: cannot write the manual pages", dir.display()))?;
            eprintln!(
                "{} manual pages written into {}",
                pages.len(),
                dir.display()
            );
        }
        None => docs::man_page(
            Cli::command(),
            args.command.as_deref(),
            &mut std::io::stdout().lock(),
        )?,
    }
    Ok(0)
}

fn run_info() -> Result<i32> {
    let adapters = matrix::gpu::adapters();
    if adapters.is_empty() {
        println!("no GPU adapters (wgpu found no Vulkan, Metal or DX12 driver)");
    }
    for a in &adapters {
        println!(
            "adapter: {} | backend {} | type {} | driver {}",
            a.name, a.backend, a.device_type, a.driver
        );
    }
    match matrix::gpu::GpuBackend::new() {
        Ok(gpu) => {
            let a = gpu.adapter();
            println!(
                "--backend gpu uses: {} ({}, {})",
                a.name, a.backend, a.device_type
            );
            match matrix::Backend::filters(&gpu) {
                Some(_) => println!(
                    "filters (LoG, wavelet, point, gradient): on the device wherever the matrices are (--backend gpu or mixed; auto on a hardware GPU), with 64-bit floats in shaders"
                ),
                None => println!(
                    "filters: on the CPU, the adapter has no 64-bit floats in shaders"
                ),
            }
            if let Some(device) = matrix::Backend::device(&gpu) {
                match DeviceMaps::new(Arc::clone(device)) {
                    Ok(maps) => println!(
                        "texture maps (sonorad map): on the device in {} for kernel radius up to {} (every class, GLCM's MCC included), on the CPU beyond",
                        maps.precision(),
                        sonorad::maps::device::MAX_DEVICE_RADIUS
                    ),
                    Err(e) => println!("texture maps: on the CPU ({e})"),
                }
            }
            if matrix::auto_choice(Some(a)) == BackendChoice::Mixed {
                println!(
                    "--backend auto uses: the GPU ({}) together with the CPU threads",
                    a.name
                );
            } else {
                println!(
                    "--backend auto uses: the CPU ({} is a software driver)",
                    a.name
                );
            }
        }
        Err(e) => {
            println!("--backend gpu: unavailable ({e})");
            println!("--backend auto uses: the CPU");
        }
    }
    println!("CPU backend: {} threads", rayon::current_num_threads());
    Ok(0)
}

fn run_bench(args: BenchArgs) -> Result<i32> {
    let manifest_only =
        args.bin_width.is_some() || args.spacing.is_some() || !args.rings.is_empty();
    if args.manifest.is_none() && manifest_only {
        bail!("--bin-width, --spacing and --ring apply to --manifest cases only; generated cases are set by --synthetic, --size and --bin-count");
    }
    if args.manifest.is_none() && !args.image_types.original_only() {
        bail!(
            "bench: --filters applies to --manifest cases; generated cases use the original image"
        );
    }
    let cpu = matrix::cpu::CpuBackend;
    let options = matrix::BackendOptions {
        trace: args.trace,
        ..Default::default()
    };
    let note = |note: &str| eprintln!("{note}");
    let gpu = match matrix::create(BackendChoice::Gpu, options, note) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("no GPU backend, measuring the CPU only: {e}");
            None
        }
    };
    let mixed = gpu
        .as_ref()
        .and_then(|_| matrix::create(BackendChoice::Mixed, options, note).ok());
    let mut backends: Vec<&dyn matrix::Backend> = vec![&cpu];
    backends.extend(gpu.as_deref());
    backends.extend(mixed.as_deref());
    for b in &backends {
        eprintln!("bench backend: {}", b.describe());
    }
    let report = if let Some(manifest) = &args.manifest {
        let binning = Binning::from_settings(args.bin_width, args.bin_count);
        let settings = Settings {
            image_types: args.image_types.enabled(binning)?,
            spacing: args.spacing,
            rings: args.rings.clone(),
            ..Settings::default()
        }
        .check()?;
        let cases = read_manifest(manifest, &args.id_column)?;
        sonorad::commands::bench::bench_manifest(&cases, &settings, &backends, args.repeats)?
    } else {
        let binning = Binning::Count(args.bin_count.unwrap_or(32));
        binning.validate()?;
        let regions = (0..args.synthetic)
            .map(|seed| sonorad::commands::bench::synthetic_region(args.size, seed as u64, binning))
            .collect::<sonorad::Result<Vec<_>>>()?;
        let workload = format!(
            "{} generated {}x{} images, {:?}",
            args.synthetic, args.size, args.size, binning
        );
        sonorad::commands::bench::bench_regions(&workload, &regions, &backends, args.repeats)?
    };
    print!("{}", report.to_markdown());
    Ok(if report.max_matrix_difference != 0 {
        3
    } else if !report.failed.is_empty() {
        2
    } else {
        0
    })
}

#[derive(Args)]
struct TrainArgs {
    /// Feature table written by `extract` (CSV; first column the case id). Candidate features
    /// are the columns whose names hold an image type (`_original_`, `_log-sigma-`, ...).
    #[arg(long)]
    features: PathBuf,
    /// Binary outcome column (0/1).
    #[arg(long)]
    outcome: String,
    /// Column giving each case's cohort (train/validation); otherwise a stratified random split.
    #[arg(long, conflicts_with_all = ["validation_fraction"])]
    split_column: Option<String>,
    /// Share of each class held out for validation (random split; default 0.3).
    #[arg(long)]
    validation_fraction: Option<f64>,
    /// Seed of the split, the folds and the classifiers (default 42).
    #[arg(long)]
    seed: Option<u64>,
    /// Study settings (TOML); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Second reader's feature table: keep features with ICC(2,1) ≥ the threshold (0.75).
    #[arg(long)]
    icc_features: Option<PathBuf>,
    /// Rows with missing feature values: drop, or impute with training medians (default drop).
    #[arg(long, value_enum)]
    missing: Option<Missing>,
    /// Features kept by mRMR (default 20).
    #[arg(long)]
    mrmr_k: Option<usize>,
    /// LASSO λ: min or 1se (default 1se).
    #[arg(long, value_enum)]
    lambda: Option<LambdaRule>,
    /// Clinical table joined on the case id (first column): univariate and multivariable
    /// clinical models, the combined Rad-score + clinical model and its nomogram.
    #[arg(long)]
    clinical: Option<PathBuf>,
    /// Variables of the multivariable clinical model, comma-separated (default: those with
    /// univariate p < 0.05).
    #[arg(long, value_delimiter = ',', requires = "clinical")]
    clinical_vars: Option<Vec<String>>,
    /// Bootstrap resamples of the bias-corrected calibration curve.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// A note printed at the top of the report (repeatable), e.g. which variable stands in for
    /// another.
    #[arg(long)]
    note: Vec<String>,
    /// Output folder: metrics.csv, selection.json, model.json, figures/ and report.html.
    #[arg(long)]
    out: PathBuf,
}

fn run_train(args: TrainArgs) -> Result<i32> {
    use sonorad::clinical::ClinicalOptions;
    use sonorad::report::{self, ReportOptions};
    use sonorad::train::{self, StudyConfig, TrainOptions};
    let mut config = match &args.config {
        Some(path) => StudyConfig::read(path)?,
        None => StudyConfig::default(),
    };
    if let Some(v) = args.validation_fraction {
        config.validation_fraction = v;
    }
    if let Some(v) = args.seed {
        config.seed = v;
    }
    if let Some(v) = args.missing {
        config.missing = v;
    }
    if let Some(v) = args.mrmr_k {
        config.mrmr_k = v;
    }
    if let Some(v) = args.lambda {
        config.lambda = v;
    }
    let options = TrainOptions {
        features: args.features,
        outcome: args.outcome,
        split_column: args.split_column,
        icc_features: args.icc_features,
        config,
        out: args.out,
    };
    let trained = train::run(&options)?;
    let report_options = ReportOptions {
        clinical: args.clinical,
        clinical_options: ClinicalOptions {
            variables: args.clinical_vars,
            resamples: args.bootstrap,
            seed: options.config.seed,
        },
        notes: args.note,
        maps: None,
    };
    let outcome = report::run(&trained, &options, &report_options)?;
    if let Some(why) = &outcome.clinical_skipped {
        eprintln!("warning: {why}");
    }
    print!("{}", train::outputs::markdown(&trained.study));
    eprintln!(
        "outputs written to {} (report: {})",
        options.out.display(),
        options.out.join("report.html").display()
    );
    Ok(0)
}

#[derive(Args)]
struct PredictArgs {
    /// model.json written by `train` (clinical_model.json beside it adds the combined model).
    #[arg(long)]
    model: PathBuf,
    /// Feature table of the new cases (first column the case id).
    #[arg(long)]
    features: PathBuf,
    /// Clinical table of the new cases (first column the case id).
    #[arg(long)]
    clinical: Option<PathBuf>,
    /// Output CSV (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn run_predict(args: PredictArgs) -> Result<i32> {
    use sonorad::commands::predict::{predict, write_predictions, TrainedModels};
    use sonorad::table::FeatureTable;
    let models = TrainedModels::read(&args.model)?;
    let features = FeatureTable::read(&args.features)?;
    let clinical = args
        .clinical
        .as_deref()
        .map(FeatureTable::read)
        .transpose()?;
    let predictions = predict(&models, &features, clinical.as_ref())?;
    match &args.out {
        Some(path) => {
            let mut out = BufWriter::new(
                File::create(path).with_context(|| format!("{}: cannot create", path.display()))?,
            );
            write_predictions(&predictions, &mut out)?;
            out.flush()?;
        }
        None => write_predictions(&predictions, &mut std::io::stdout().lock())?,
    }
    Ok(0)
}

#[derive(Args)]
struct DemoArgs {
    /// Output folder.
    #[arg(long, default_value = "sonorad-demo")]
    out: PathBuf,
    /// Generated cases.
    #[arg(long, default_value_t = 160)]
    cases: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn run_demo(args: DemoArgs) -> Result<i32> {
    use sonorad::commands::demo::{self, DemoOptions};
    let options = DemoOptions {
        cases: args.cases,
        seed: args.seed,
        ..DemoOptions::new(&args.out)
    };
    let report = demo::run(&options)?;
    println!("report: {}", report.display());
    Ok(0)
}
