//! `sonorad` command line: a thin shell over the library.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use sonorad::discretize::Binning;
use sonorad::extract::{self, FeatureRow, Settings};
use sonorad::io::read_manifest;
use sonorad::matrix::{self, BackendChoice};
use sonorad::roi::RingWidth;
use sonorad::table;

#[derive(Parser)]
#[command(
    name = "sonorad",
    version,
    about = "Radiomics for 2D ultrasound, PyRadiomics-identical features"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract features of the tumour (and rings) of one image, or of every case of a manifest.
    Extract(ExtractArgs),
    /// List the GPU adapters wgpu sees and the backend each choice would use.
    Info,
    /// Run the same regions through the CPU and GPU backends and compare speed and matrices.
    Bench(BenchArgs),
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
    #[arg(long, default_value_t = 512)]
    size: usize,
    /// Fixed bin count (default for generated cases: 32).
    #[arg(long)]
    bin_count: Option<usize>,
    /// Fixed bin width (manifest default: 25).
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Pixel spacing in mm, for rings in mm.
    #[arg(long)]
    spacing: Option<f64>,
    /// Peritumoral rings (manifest only).
    #[arg(long = "ring")]
    rings: Vec<RingWidth>,
    /// Repeats per measurement; the best is kept.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
}

#[derive(Args)]
struct ExtractArgs {
    /// Image file (PNG, JPEG, BMP, TIFF; 8/16-bit gray or RGB).
    #[arg(long, requires = "mask", conflicts_with = "manifest")]
    image: Option<PathBuf>,
    /// Mask file of the same size; the region is every non-zero pixel, or `== --label`.
    #[arg(long, requires = "image")]
    mask: Option<PathBuf>,
    /// CSV with an id column and `image`, `mask` columns (paths relative to the CSV).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Id column of the manifest.
    #[arg(long, default_value = "case_id")]
    id_column: String,
    /// Only mask pixels with this label form the tumour.
    #[arg(long)]
    label: Option<u32>,
    /// Pixel spacing in mm (square pixels).
    #[arg(long)]
    spacing: Option<f64>,
    /// Peritumoral ring width, e.g. `3mm` or `10px`; repeat for several rings.
    #[arg(long = "ring")]
    rings: Vec<RingWidth>,
    /// Fixed bin width (default 25; edges anchored at 0).
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Fixed bin count between the region's minimum and maximum.
    #[arg(long)]
    bin_count: Option<usize>,
    /// Matrix backend: auto (a hardware GPU if present, else CPU), cpu or gpu.
    #[arg(long, default_value = "auto")]
    backend: BackendChoice,
    /// Write every region as a PNG mask into this folder (one subfolder per case for a manifest).
    #[arg(long)]
    write_masks: Option<PathBuf>,
    /// Output CSV (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Extract(args) => run_extract(args),
        Command::Info => run_info(),
        Command::Bench(args) => run_bench(args),
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

fn settings(args: &ExtractArgs) -> Result<Settings> {
    let binning = match (args.bin_width, args.bin_count) {
        (_, Some(n)) => Binning::Count(n),
        (Some(w), None) => Binning::Width(w),
        (None, None) => Binning::default(),
    };
    let s = Settings {
        binning,
        label: args.label,
        spacing: args.spacing,
        rings: args.rings.clone(),
    };
    s.validate()?;
    Ok(s)
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

fn write_masks(dir: &Path, image: &Path, mask: &Path, settings: &Settings) -> Result<()> {
    let loaded = extract::load_case(image, mask, settings)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create folder", dir.display()))?;
    for r in &loaded.regions {
        r.write_png(
            &dir.join(format!("{}.png", r.name)),
            loaded.image.width,
            loaded.image.height,
        )?;
    }
    Ok(())
}

fn run_extract(args: ExtractArgs) -> Result<i32> {
    let settings = settings(&args)?;
    let backend = matrix::create(args.backend, &mut |note| eprintln!("{note}"))?;
    if let (Some(image), Some(mask)) = (&args.image, &args.mask) {
        if let Some(dir) = &args.write_masks {
            write_masks(dir, image, mask, &settings)?;
        }
        let row = extract::extract_case(image, mask, &settings, backend.as_ref())?;
        let (out, path) = open_output(&args.out)?;
        table::write_long(out, &row, &path)?;
        return Ok(0);
    }
    let Some(manifest) = &args.manifest else {
        bail!("give --image and --mask, or --manifest");
    };
    let cases = read_manifest(manifest, &args.id_column)?;
    if let Some(dir) = &args.write_masks {
        for c in &cases {
            if let Err(e) = write_masks(&dir.join(&c.id), &c.image, &c.mask, &settings) {
                eprintln!("case {}: {e:#}", c.id);
            }
        }
    }
    let done = AtomicUsize::new(0);
    let total = cases.len();
    let results = extract::extract_cases(&cases, &settings, backend.as_ref(), &|_, _| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(100) || n == total {
            eprintln!("{n}/{total} cases");
        }
    });
    let mut rows: Vec<(&str, &FeatureRow)> = Vec::new();
    let mut failed = 0;
    for (case, result) in cases.iter().zip(&results) {
        match result {
            Ok(row) => rows.push((case.id.as_str(), row)),
            Err(e) => {
                failed += 1;
                eprintln!("case {}: {e}", case.id);
            }
        }
    }
    let (out, path) = open_output(&args.out)?;
    table::write_wide(out, &args.id_column, &rows, &path)?;
    eprintln!("{} of {total} cases extracted, {failed} failed", rows.len());
    Ok(if failed > 0 { 2 } else { 0 })
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
            if a.is_hardware() {
                println!("--backend auto uses: the GPU ({})", a.name);
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
    let cpu = matrix::cpu::CpuBackend;
    let gpu = match matrix::gpu::GpuBackend::new() {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("no GPU backend, measuring the CPU only: {e}");
            None
        }
    };
    let mut backends: Vec<&dyn matrix::Backend> = vec![&cpu];
    if let Some(g) = &gpu {
        eprintln!(
            "GPU: {} ({}, {})",
            g.adapter().name,
            g.adapter().backend,
            g.adapter().device_type
        );
        backends.push(g);
    }
    let report = if let Some(manifest) = &args.manifest {
        let binning = match (args.bin_width, args.bin_count) {
            (_, Some(n)) => Binning::Count(n),
            (Some(w), None) => Binning::Width(w),
            (None, None) => Binning::default(),
        };
        let settings = Settings {
            binning,
            label: None,
            spacing: args.spacing,
            rings: args.rings.clone(),
        };
        settings.validate()?;
        let cases = read_manifest(manifest, &args.id_column)?;
        sonorad::bench::bench_manifest(&cases, &settings, &backends, args.repeats)?
    } else {
        let binning = Binning::Count(args.bin_count.unwrap_or(32));
        binning.validate()?;
        let regions = (0..args.synthetic)
            .map(|seed| sonorad::bench::synthetic_region(args.size, seed as u64, binning))
            .collect::<sonorad::Result<Vec<_>>>()?;
        let workload = format!(
            "{} generated {}x{} images, {:?}",
            args.synthetic, args.size, args.size, binning
        );
        sonorad::bench::bench_regions(&workload, &regions, &backends, args.repeats)?
    };
    print!("{}", report.to_markdown());
    Ok(if report.max_matrix_difference == 0 {
        0
    } else {
        3
    })
}
