//! Archive runs: a manifest streamed through the pipeline in chunks under a memory budget, with
//! progress, per-case errors, resume, CSV or Parquet output and sharding.
//!
//! Steps of [`run`]:
//! 1. select this shard's cases (`--shard K/N`: every case whose manifest position `i` (0-based)
//!    has `i mod N = K − 1`);
//! 2. open the output: refuse an existing one unless resuming or forcing; when resuming, drop a
//!    partial last line and skip the cases already written;
//! 3. extract the cases chunk by chunk ([`crate::extract::extract_pipelined`]: while the backend
//!    builds one chunk's matrices, the previous chunk's formulas run and the next chunk is read,
//!    drawn and discretized), each chunk's size
//!    following the memory budget and the size of the images seen so far, with at least one
//!    case per thread;
//! 4. append the chunk's rows to the output and its failures to the errors file, each in one
//!    write followed by a flush to disk; a writer thread does this while the next chunks are
//!    extracted, so that a kill loses at most the chunks in flight (one being prepared, one
//!    being built, one in its formulas, one being written), which a resumed run extracts again;
//! 5. report progress; at the end, a summary with counts and where the time went.
//!
//! CSV output is one file that grows chunk by chunk. Parquet output is written as one part file
//! per chunk in `<out>.parts/` (each written under a temporary name and renamed when complete)
//! and joined into `<out>` at the end.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;

use crate::error::{Error, Result};
use crate::extract::{extract_pipelined, CheckedSettings, FeatureRow, Settings, Stage, StageTimes};
use crate::io::{Manifest, ManifestRow};
use crate::matrix::Backend;
use crate::table::{
    drop_partial_line, format_value, open_parquet, read_csv_table, read_error, read_parquet_table,
    with_suffix, write_error, write_parquet, CsvAppender, ParquetOut,
};
pub use crate::table::{read_table, write_table, OutputFormat};

/// One of N deterministic parts of a manifest (`K/N`, 1 ≤ K ≤ N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1-based.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || Error::Setting(format!("shard '{s}' is not K/N with 1 <= K <= N"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether the case at manifest position `position` (0-based) belongs to this shard.
    pub fn holds(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// How many of a manifest's `total` cases this shard holds.
    pub fn cases_of(&self, total: usize) -> usize {
        (total + self.count - self.index) / self.count
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A progress bar on a terminal, plain log lines every 10 s otherwise.
    #[default]
    Auto,
    /// Nothing but the final summary.
    Quiet,
}

/// Options of an archive run.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// Output table.
    pub out: PathBuf,
    /// Its format.
    pub format: OutputFormat,
    /// Per-case errors file (CSV `case_id,file,message`); default `<out>.errors.csv`.
    pub errors: Option<PathBuf>,
    /// Skip cases already in the output and append the rest.
    pub resume: bool,
    /// Overwrite an existing output.
    pub force: bool,
    /// This run's part of the manifest.
    pub shard: Option<Shard>,
    /// Memory budget for the cases in flight, in MiB.
    pub memory_budget_mib: usize,
    /// Progress display.
    pub progress: Progress,
    /// Name of the id column in the output.
    pub id_column: String,
    /// Told after every chunk how many cases are done and failed, of how many: a caller's own
    /// progress display (a notebook's bar), besides `progress`.
    pub on_progress: Option<ProgressHook>,
    /// Set (from another thread: a binding's Ctrl-C) to stop the run after the chunk in hand:
    /// the rows finished so far are written whole, and the run returns [`Error::Interrupted`];
    /// `resume` then goes on from there.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// A callback told `(done, failed, total)` cases after every chunk of an archive run.
#[derive(Clone)]
pub struct ProgressHook(pub std::sync::Arc<dyn Fn(usize, usize, usize) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

impl ArchiveOptions {
    /// Options with defaults: CSV, errors next to the output, 1 GiB budget.
    pub fn new(out: impl Into<PathBuf>) -> ArchiveOptions {
        let out = out.into();
        ArchiveOptions {
            format: OutputFormat::of_path(&out),
            out,
            errors: None,
            resume: false,
            force: false,
            shard: None,
            memory_budget_mib: 1024,
            progress: Progress::Auto,
            on_progress: None,
            id_column: "case_id".into(),
            cancel: None,
        }
    }

    /// Whether the run was asked to stop ([`ArchiveOptions::cancel`]).
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The errors file of this run.
    pub fn errors_path(&self) -> PathBuf {
        self.errors
            .clone()
            .unwrap_or_else(|| with_suffix(&self.out, ".errors.csv"))
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Cases of this shard in the manifest.
    pub cases: usize,
    /// Cases skipped because the output already held them (resume).
    pub skipped: usize,
    /// Cases extracted and written by this run.
    pub extracted: usize,
    /// Cases that failed (listed in the errors file).
    pub failed: usize,
    /// The errors file.
    pub errors_path: PathBuf,
    /// Wall time of the run in seconds.
    pub wall_seconds: f64,
    /// Time per stage (decode, regions, discretize, matrices, formulas, write), summed over
    /// threads, in seconds.
    pub stage_seconds: Vec<(&'static str, f64)>,
}

impl RunSummary {
    /// One-paragraph human summary.
    pub fn to_text(&self) -> String {
        let rate = self.extracted as f64 / self.wall_seconds.max(1e-9);
        let stages: Vec<String> = self
            .stage_seconds
            .iter()
            .map(|(name, s)| format!("{name} {s:.2} s"))
            .collect();
        format!(
            "{} of {} cases extracted, {} failed{}, {} skipped (already in the output); {:.1} s, {:.1} cases/s; time per stage (all threads): {}",
            self.extracted,
            self.cases,
            self.failed,
            if self.failed > 0 {
                format!(" (see {})", self.errors_path.display())
            } else {
                String::new()
            },
            self.skipped,
            self.wall_seconds,
            rate,
            stages.join(", ")
        )
    }
}

/// The file a case's error is about: the path the error names, else the case's image.
fn error_file(case: &ManifestRow, error: &Error) -> PathBuf {
    error
        .path()
        .map_or_else(|| case.image.clone(), Path::to_path_buf)
}

/// Where finished rows go.
enum Sink {
    Csv(CsvAppender, bool),
    Parquet { parts: PathBuf, next: usize },
}

/// The output of a run: its sink, its header once known, and the ids it already holds.
struct Output {
    sink: Sink,
    header: Option<Vec<String>>,
    done: HashSet<String>,
    text_columns: usize,
    path: PathBuf,
}

impl Output {
    /// Opens (or, with resume, reopens) the output of a run.
    fn open(options: &ArchiveOptions, text_columns: usize) -> Result<Output> {
        let out = &options.out;
        let parts = with_suffix(out, ".parts");
        let exists = out.exists() || parts.exists();
        if exists && !options.resume && !options.force {
            return Err(Error::Write {
                path: out.clone(),
                message: "output exists; give --resume to continue it or --force to overwrite it"
                    .into(),
            });
        }
        let resume = exists && options.resume;
        let mut header = None;
        let mut done = HashSet::new();
        let sink = match options.format {
            OutputFormat::Csv => {
                if resume && out.exists() {
                    drop_partial_line(out)?;
                    let (h, rows) = read_csv_table(out)?;
                    if !h.is_empty() {
                        header = Some(h);
                    }
                    done.extend(rows.into_iter().filter_map(|r| r.into_iter().next()));
                }
                let fresh = !resume;
                Sink::Csv(CsvAppender::open(out, fresh)?, header.is_some())
            }
            OutputFormat::Parquet => {
                if !resume {
                    if parts.exists() {
                        std::fs::remove_dir_all(&parts).map_err(|e| write_error(&parts, e))?;
                    }
                    if out.exists() {
                        std::fs::remove_file(out).map_err(|e| write_error(out, e))?;
                    }
                }
                if resume && out.exists() && parts.exists() {
                    // A run killed after its joined table was renamed into place but before its
                    // parts were removed: the table holds every part's rows, so the parts go.
                    std::fs::remove_dir_all(&parts).map_err(|e| write_error(&parts, e))?;
                }
                std::fs::create_dir_all(&parts).map_err(|e| write_error(&parts, e))?;
                if resume && out.exists() {
                    // A finished table becomes the first part again.
                    std::fs::rename(out, parts.join("part-000000.parquet"))
                        .map_err(|e| write_error(out, e))?;
                }
                let mut next = 0;
                for (k, part) in parquet_parts(&parts)?.iter().enumerate() {
                    let (h, rows) = read_parquet_table(part)?;
                    header = Some(h);
                    done.extend(rows.into_iter().filter_map(|r| r.into_iter().next()));
                    next = k + 1;
                }
                Sink::Parquet { parts, next }
            }
        };
        Ok(Output {
            sink,
            header,
            done,
            text_columns,
            path: out.clone(),
        })
    }

    /// Appends finished rows; the first row fixes the header, later ones must match it.
    fn append(&mut self, header: Vec<String>, rows: Vec<Vec<String>>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match &self.header {
            Some(h) if *h != header => {
                return Err(write_error(
                    &self.path,
                    "the existing output has other columns than this run produces (different settings?); use another output or --force",
                ))
            }
            Some(_) => {}
            None => self.header = Some(header.clone()),
        }
        match &mut self.sink {
            Sink::Csv(appender, header_written) => {
                if !*header_written {
                    appender.append(&[header])?;
                    *header_written = true;
                }
                appender.append(&rows)
            }
            Sink::Parquet { parts, next } => {
                let part = parts.join(format!("part-{:06}.parquet", *next));
                *next += 1;
                write_parquet(&part, &header, self.text_columns, &rows)
            }
        }
    }

    /// Joins Parquet parts into the output file, one record batch at a time and one row group
    /// per part, so that memory holds one part at most; nothing to do for CSV.
    fn finish(self) -> Result<()> {
        let Sink::Parquet { parts, .. } = self.sink else {
            return Ok(());
        };
        let mut out: Option<(PathBuf, SchemaRef, ParquetOut)> = None;
        for part in parquet_parts(&parts)? {
            let reader = open_parquet(&part)?;
            let schema = reader.schema();
            let writer = match &mut out {
                Some((first, expected, writer)) => {
                    if expected.fields() != schema.fields() {
                        return Err(Error::Table {
                            path: part,
                            message: format!("has other columns than {}", first.display()),
                        });
                    }
                    writer
                }
                None => {
                    let writer = ParquetOut::create(&self.path, schema.clone())?;
                    &mut out.insert((part.clone(), schema, writer)).2
                }
            };
            for batch in reader {
                writer.write(&batch.map_err(|e| read_error(&part, e))?)?;
            }
            writer.flush()?;
        }
        match out {
            Some((_, _, writer)) => writer.finish()?,
            None => {
                let header = match self.header {
                    Some(h) if !h.is_empty() => h,
                    _ => vec!["case_id".into()],
                };
                write_parquet(&self.path, &header, self.text_columns, &[])?;
            }
        }
        std::fs::remove_dir_all(&parts).map_err(|e| write_error(&parts, e))
    }
}

fn parquet_parts(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| write_error(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    parts.sort();
    Ok(parts)
}

/// Progress on a terminal bar or as periodic log lines.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    start: Instant,
    last_line: Instant,
}

impl Reporter {
    fn new(progress: Progress, total: usize) -> Reporter {
        let bar = (progress == Progress::Auto && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases, {per_sec}, ETA {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let now = Instant::now();
        Reporter {
            bar,
            total,
            start: now,
            last_line: now,
        }
    }

    fn update(&mut self, done: usize, failed: usize, quiet: bool) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            if failed > 0 {
                bar.set_message(format!("({failed} failed)"));
            }
            return;
        }
        if quiet || self.last_line.elapsed() < Duration::from_secs(10) {
            return;
        }
        self.last_line = Instant::now();
        let elapsed = self.start.elapsed().as_secs_f64();
        let rate = done as f64 / elapsed.max(1e-9);
        let eta = (self.total - done) as f64 / rate.max(1e-9);
        eprintln!(
            "{done}/{} cases, {failed} failed, {rate:.1} cases/s, ETA {:.0} s",
            self.total, eta
        );
    }

    /// Prints a line (above the bar on a terminal).
    fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Bytes one case needs in flight, per image pixel (image as f64, labels, regions, ranks,
/// matrices and rows), used to size chunks from the memory budget.
const BYTES_PER_PIXEL_IN_FLIGHT: usize = 48;
/// Chunk size bounds. A chunk also holds at least one case per thread ([`min_chunk`]).
const MIN_CHUNK: usize = 8;
const MAX_CHUNK: usize = 1024;

/// Runs `manifest` through the pipeline into `options.out`. Failed cases are written to the
/// errors file and never stop the run.
pub fn run(
    manifest: &Manifest,
    settings: &CheckedSettings,
    backend: &dyn Backend,
    options: &ArchiveOptions,
) -> Result<RunSummary> {
    let start = Instant::now();
    check_output_paths(manifest, options)?;
    let cases: Vec<&ManifestRow> = manifest
        .cases
        .iter()
        .enumerate()
        .filter(|(k, _)| options.shard.is_none_or(|s| s.holds(*k)))
        .map(|(_, c)| c)
        .collect();
    let text_columns = 1 + manifest.extra_columns.len();
    check_recorded_settings(settings, options)?;
    let output = Output::open(options, text_columns)?;
    record_settings(settings, options)?;
    let errors_path = options.errors_path();
    let errors = CsvAppender::open(&errors_path, true)?;
    let todo: Vec<ManifestRow> = cases
        .iter()
        .filter(|c| !output.done.contains(&c.id))
        .map(|&c| c.clone())
        .collect();
    let skipped = cases.len() - todo.len();
    let times = StageTimes::default();
    let mut reporter = Reporter::new(options.progress, cases.len());
    let (mut extracted, mut failed) = (0, 0);
    let budget = options.memory_budget_mib.max(1) * (1 << 20);
    // A chunk is written (and flushed to disk) by the writer thread while the next one is
    // extracted; the rendezvous channel keeps at most one chunk waiting for the disk.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<ChunkRecords>(0);
    let write_seconds = std::thread::scope(|scope| -> Result<f64> {
        let writer = scope.spawn(move || write_chunks(output, errors, receiver));
        // Three chunks are in flight (one prepared while the next is built and the one before
        // goes through its formulas): they share the budget.
        let size = |chunk: &[ManifestRow]| next_chunk_size(chunk, budget / 3);
        extract_pipelined(
            &todo,
            min_chunk(),
            size,
            settings,
            backend,
            &times,
            |chunk, results| {
                let records = chunk_records(chunk, results, manifest, options, &reporter);
                extracted += records.rows.len();
                failed += records.failures.len();
                // a send fails when the writer stopped on an error, which its join reports
                let sent = sender.send(records).is_ok();
                reporter.update(
                    skipped + extracted + failed,
                    failed,
                    options.progress == Progress::Quiet,
                );
                if let Some(hook) = &options.on_progress {
                    (hook.0)(skipped + extracted + failed, failed, cases.len());
                }
                sent && !options.cancelled()
            },
        );
        drop(sender);
        writer.join().map_err(|_| Error::Write {
            path: options.out.clone(),
            message: "the output writer stopped unexpectedly".into(),
        })?
    })?;
    reporter.finish();
    if options.cancelled() {
        return Err(Error::Interrupted {
            path: options.out.clone(),
            done: skipped + extracted + failed,
            total: cases.len(),
        });
    }
    let mut stage_seconds: Vec<(&'static str, f64)> = Stage::ALL
        .iter()
        .map(|&s| (s.name(), times.seconds(s)))
        .collect();
    stage_seconds.push(("write", write_seconds));
    Ok(RunSummary {
        cases: cases.len(),
        skipped,
        extracted,
        failed,
        errors_path,
        wall_seconds: start.elapsed().as_secs_f64(),
        stage_seconds,
    })
}

/// The output rows and the errors-file rows of a finished chunk.
fn chunk_records(
    chunk: &[ManifestRow],
    results: Vec<Result<FeatureRow>>,
    manifest: &Manifest,
    options: &ArchiveOptions,
    reporter: &Reporter,
) -> ChunkRecords {
    let mut records = ChunkRecords::default();
    for (case, result) in chunk.iter().zip(results) {
        match result {
            Ok(row) => {
                records
                    .header
                    .get_or_insert_with(|| header_of(&options.id_column, manifest, &row));
                records.rows.push(record_of(case, &row));
            }
            Err(e) => {
                if options.progress != Progress::Quiet {
                    reporter.note(&format!("case {}: {e}", case.id));
                }
                records.failures.push(vec![
                    case.id.clone(),
                    error_file(case, &e).display().to_string(),
                    e.to_string(),
                ]);
            }
        }
    }
    records
}

/// The finished rows and the failures of one chunk, on their way to the disk.
#[derive(Default)]
struct ChunkRecords {
    /// The output header, from the chunk's first extracted case.
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    failures: Vec<Vec<String>>,
}

/// The writer thread of [`run`]: the errors file's header, then each chunk's rows and failures
/// as they come, then the output's last step ([`Output::finish`]). Stops at the first error.
/// Returns the seconds spent writing.
fn write_chunks(
    mut output: Output,
    mut errors: CsvAppender,
    chunks: std::sync::mpsc::Receiver<ChunkRecords>,
) -> Result<f64> {
    let start = Instant::now();
    let mut busy = Duration::ZERO;
    errors.append(&[vec!["case_id".into(), "file".into(), "message".into()]])?;
    busy += start.elapsed();
    for chunk in chunks {
        let started = Instant::now();
        if let Some(header) = chunk.header {
            if let Some(name) = repeated_column(&header) {
                return Err(Error::Table {
                    path: output.path.clone(),
                    message: format!(
                        "column '{name}' would appear twice (a pass-through column of the manifest named like the id or a feature column); rename it"
                    ),
                });
            }
            output.append(header, chunk.rows)?;
        }
        errors.append(&chunk.failures)?;
        busy += started.elapsed();
    }
    let started = Instant::now();
    output.finish()?;
    busy += started.elapsed();
    Ok(busy.as_secs_f64())
}

/// Where the settings of an output are recorded: `<out>.settings.txt`.
fn settings_path(options: &ArchiveOptions) -> PathBuf {
    with_suffix(&options.out, ".settings.txt")
}

/// The settings an output is made with, as recorded beside it: the sonorad version, the
/// extraction settings and the id column. The case time budget and the mask folder are left
/// out: they decide which cases finish and what else is written, not how a row is computed.
fn settings_record(settings: &CheckedSettings, options: &ArchiveOptions) -> String {
    let settings = Settings {
        case_time_budget: None,
        mask_folder: None,
        ..(**settings).clone()
    };
    let shard = options.shard.map_or(String::new(), |s| {
        format!("shard: {}/{}\n", s.index, s.count)
    });
    format!(
        "sonorad {}
id column: {}
{shard}{settings:#?}
",
        env!("CARGO_PKG_VERSION"),
        options.id_column
    )
}

/// The shard an output was made as, from its settings record (`shard: K/N`), if recorded.
fn recorded_shard(output: &Path) -> Option<Shard> {
    let record = std::fs::read_to_string(with_suffix(output, ".settings.txt")).ok()?;
    record
        .lines()
        .find_map(|l| l.strip_prefix("shard: "))
        .and_then(|s| s.parse().ok())
}

/// Which shards the missing cases belong to, from the shards' settings records: a shard whose
/// output was not given (or never written) is named as missing, a given shard that lacks some
/// of its cases as unfinished. Empty when the records do not say (older outputs).
fn missing_shards(manifest: &Manifest, shards: &[&Path], missing: &[String]) -> String {
    let given: Vec<(Shard, &Path)> = shards
        .iter()
        .filter_map(|&p| recorded_shard(p).map(|s| (s, p)))
        .collect();
    let Some(count) = given.first().map(|(s, _)| s.count) else {
        return String::new();
    };
    let mut notes = Vec::new();
    for index in 1..=count {
        let shard = Shard { index, count };
        let lacking = manifest
            .cases
            .iter()
            .enumerate()
            .filter(|(i, c)| shard.holds(*i) && missing.contains(&c.id))
            .count();
        if lacking == 0 {
            continue;
        }
        match given.iter().find(|(s, _)| s.index == index && s.count == count) {
            Some((_, path)) => notes.push(format!(
                "shard {index}/{count} ({}) is unfinished: {lacking} of its cases are in neither its output nor its errors file; run it again (it resumes)",
                path.display()
            )),
            None => notes.push(format!(
                "shard {index}/{count} is missing: no output given for it ({lacking} cases)"
            )),
        }
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    }
}

/// Before a resume: an error when the output was made with other settings than this run's, so
/// that rows computed two ways never share a table. An output without a record (made before
/// records were kept) is resumed as before.
fn check_recorded_settings(settings: &CheckedSettings, options: &ArchiveOptions) -> Result<()> {
    let path = settings_path(options);
    if !options.resume || !path.exists() {
        return Ok(());
    }
    let recorded = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    if recorded == settings_record(settings, options) {
        return Ok(());
    }
    Err(Error::Table {
        path: options.out.clone(),
        message: format!(
            "was made with other settings (recorded in {}); resume it with the same settings, or give --force to start over",
            path.display()
        ),
    })
}

/// Records this run's settings beside its output.
fn record_settings(settings: &CheckedSettings, options: &ArchiveOptions) -> Result<()> {
    let path = settings_path(options);
    std::fs::write(&path, settings_record(settings, options)).map_err(|e| write_error(&path, e))
}

/// The first column name that `header` holds twice.
fn repeated_column(header: &[String]) -> Option<&str> {
    let mut seen = HashSet::with_capacity(header.len());
    header
        .iter()
        .find(|name| !seen.insert(name.as_str()))
        .map(String::as_str)
}

/// Refuses output paths that are not files (a FIFO would block the open: every output, the
/// errors file and the settings record are checked before anything is opened) or that would
/// overwrite an input or each other: the errors file equal to the output, or the output equal
/// to the manifest it is made from.
fn check_output_paths(manifest: &Manifest, options: &ArchiveOptions) -> Result<()> {
    // a file that need not exist yet: its folder resolved, then its name
    let resolved = |p: &Path| -> PathBuf {
        let folder = p
            .parent()
            .filter(|f| !f.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match (folder.canonicalize(), p.file_name()) {
            (Ok(f), Some(name)) => f.join(name),
            _ => p.to_path_buf(),
        }
    };
    let same = |a: &Path, b: &Path| resolved(a) == resolved(b);
    let refuse = |message: String| {
        Err(Error::Setting(format!(
            "{}: {message}",
            options.out.display()
        )))
    };
    for path in [
        &options.out,
        &options.errors_path(),
        &settings_path(options),
    ] {
        crate::io::check_output_file(path)?;
    }
    if same(&options.errors_path(), &options.out) {
        return refuse(
            "the errors file (--errors) and the output (--out) are the same file".into(),
        );
    }
    if let Some(source) = manifest.source.as_deref().filter(|m| same(m, &options.out)) {
        return refuse(format!(
            "the output is the manifest {} itself; choose another --out",
            source.display()
        ));
    }
    Ok(())
}

/// Fewest cases in a chunk: [`MIN_CHUNK`], and at least one per thread. Each thread holds one
/// case in flight whatever the chunk size, so a smaller chunk would save no memory, only leave
/// cores idle until the chunk's last case is done.
fn min_chunk() -> usize {
    MIN_CHUNK.max(rayon::current_num_threads())
}

/// Chunk size for the next chunk: the memory budget over the in-flight size of the largest
/// image of the last chunk (its file size as a lower bound when it cannot be read), within
/// [`min_chunk`] and [`MAX_CHUNK`].
fn next_chunk_size(chunk: &[ManifestRow], budget: usize) -> usize {
    let largest = chunk
        .iter()
        .filter_map(|c| image_pixels(&c.image))
        .max()
        .unwrap_or(512 * 512);
    (budget / (largest * BYTES_PER_PIXEL_IN_FLIGHT).max(1))
        .clamp(min_chunk(), MAX_CHUNK.max(min_chunk()))
}

/// Pixel count of an image from its header where the format allows it cheaply.
fn image_pixels(path: &Path) -> Option<usize> {
    // a FIFO or a device would block the open (or never end): only regular files are peeked,
    // the case's reader then reports the others
    crate::io::check_regular_file(path).ok()?;
    image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
        .map(|(w, h)| w as usize * h as usize)
        .or_else(|| std::fs::metadata(path).ok().map(|m| m.len() as usize))
}

fn header_of(id_column: &str, manifest: &Manifest, row: &FeatureRow) -> Vec<String> {
    let mut header = vec![id_column.to_string()];
    header.extend(manifest.extra_columns.iter().cloned());
    header.extend(row.iter().map(|(name, _)| name.clone()));
    header
}

fn record_of(case: &ManifestRow, row: &FeatureRow) -> Vec<String> {
    let mut record = vec![case.id.clone()];
    record.extend(case.extra.iter().cloned());
    record.extend(row.iter().map(|(_, v)| format_value(*v)));
    record
}

/// What [`merge`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSummary {
    /// Rows written.
    pub rows: usize,
    /// Shard outputs read (the paths given, less errors files).
    pub shards: usize,
    /// Manifest cases absent from every shard output but listed in a shard's errors file.
    pub failed: Vec<String>,
}

/// Joins shard outputs into one table in manifest order, checking that every manifest case is
/// in exactly one shard output (or in a shard's errors file, `<shard>.errors.csv`) and that all
/// shards have the same columns.
pub fn merge(
    manifest: &Manifest,
    shards: &[PathBuf],
    out: &Path,
    format: OutputFormat,
) -> Result<MergeSummary> {
    let fail = |message: String| Error::Write {
        path: out.to_path_buf(),
        message,
    };
    let mut header: Option<(PathBuf, Vec<String>)> = None;
    let mut by_id: std::collections::HashMap<String, (&Path, Vec<String>)> = Default::default();
    let mut failed_ids = HashSet::new();
    let shards = shard_outputs(shards);
    for &shard in &shards {
        let (h, rows) = read_table(shard)?;
        match &header {
            Some((first, expected)) if *expected != h && !rows.is_empty() => {
                return Err(Error::Table {
                    path: shard.to_path_buf(),
                    message: format!("has other columns than {}", first.display()),
                })
            }
            None if !rows.is_empty() => header = Some((shard.to_path_buf(), h)),
            _ => {}
        }
        for row in rows {
            let id = row.first().cloned().unwrap_or_default();
            if let Some((other, _)) = by_id.get(&id) {
                return Err(Error::Table {
                    path: shard.to_path_buf(),
                    message: format!("case '{id}' is also in {}", other.display()),
                });
            }
            by_id.insert(id, (shard, row));
        }
        let errors = with_suffix(shard, ".errors.csv");
        if errors.exists() {
            let (_, rows) = read_csv_table(&errors)?;
            failed_ids.extend(rows.into_iter().filter_map(|r| r.into_iter().next()));
        }
    }
    let known: HashSet<&str> = manifest.cases.iter().map(|c| c.id.as_str()).collect();
    if let Some((stray, (shard, _))) = by_id.iter().find(|(id, _)| !known.contains(id.as_str())) {
        return Err(Error::Table {
            path: shard.to_path_buf(),
            message: format!("case '{stray}' is not in the manifest"),
        });
    }
    let mut rows = Vec::with_capacity(by_id.len());
    let mut missing = Vec::new();
    let mut failed = Vec::new();
    for case in &manifest.cases {
        match by_id.remove(&case.id) {
            Some((_, row)) => rows.push(row),
            None if failed_ids.contains(&case.id) => failed.push(case.id.clone()),
            None => missing.push(case.id.clone()),
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).map(String::as_str).collect();
        return Err(fail(format!(
            "{} manifest case(s) are in no shard output and no errors file (a shard missing or unfinished?): {}{}{}",
            missing.len(),
            shown.join(", "),
            if missing.len() > 10 { ", ..." } else { "" },
            missing_shards(manifest, &shards, &missing)
        )));
    }
    let header = header
        .map(|(_, h)| h)
        .unwrap_or_else(|| vec!["case_id".into()]);
    let text_columns = 1 + manifest.extra_columns.len();
    write_table(out, format, &header, text_columns, &rows)?;
    Ok(MergeSummary {
        rows: rows.len(),
        shards: shards.len(),
        failed,
    })
}

/// The shard outputs among the paths given to [`merge`]: errors files (`*.errors.csv`) are
/// left out, since merge reads each shard's own with the shard. A shell glob such as
/// `shards/part_*.csv` matches both, and an errors file read as a table would make a run with
/// any failed case refuse to merge ("has other columns"), or hide a missing shard behind it.
fn shard_outputs(paths: &[PathBuf]) -> Vec<&Path> {
    paths
        .iter()
        .map(PathBuf::as_path)
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().ends_with(".errors.csv"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn a_shard_counts_the_cases_it_holds() {
        for count in 1..6 {
            for index in 1..=count {
                let shard = Shard { index, count };
                for total in 0..20 {
                    let held = (0..total).filter(|&k| shard.holds(k)).count();
                    assert_eq!(shard.cases_of(total), held, "{index}/{count} of {total}");
                }
            }
        }
    }
}
