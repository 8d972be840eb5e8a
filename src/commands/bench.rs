//! `sonorad bench`: the same regions through the CPU, GPU and mixed backends, side by side.
//!
//! Reports, per backend, regions per second for the matrix stage alone and end to end
//! (discretized regions → matrices → 102 features, plus file decoding and region drawing when
//! cases come from a manifest), the ratios to the CPU, and the largest difference between the
//! backends' matrices, which must be 0. The backends take turns within each round, so that a
//! change in the machine's speed touches all of them alike. For a backend with a device it also
//! reports the host's time outside the device per region the device built (packing, uploads,
//! unpacking: [`crate::matrix::gpu::PhaseTimes`]) as a share of the CPU backend's matrix time
//! per region, both wall time on all cores, measured in the same rounds.

use std::time::Instant;

use rayon::prelude::*;

use crate::discretize::{Binning, GrayLevels};
use crate::error::{Error, Result};
use crate::extract::{
    extract_cases_timed, prepare_manifest_case, prepare_region, region_features, CheckedSettings,
    PreparedRegion, Stage, StageTimes,
};
use crate::io::ManifestRow;
use crate::matrix::gpu::PhaseTimes;
use crate::matrix::{Backend, Matrices};
use crate::roi::Region;

/// Timings of one backend.
#[derive(Debug, Clone)]
pub struct BackendTiming {
    /// Backend name and device.
    pub backend: String,
    /// Regions per second, matrix stage only (best of the repeats).
    pub matrix_regions_per_second: f64,
    /// Regions per second, end to end (best of the repeats); `None` for the matrix-stage-only
    /// row of the GPU on host-made ranks.
    pub end_to_end_regions_per_second: Option<f64>,
    /// Mean wall seconds of the matrix stage per region, over the repeats.
    pub matrix_seconds_per_region: f64,
    /// For a backend with a device: the phase times of its batches in the matrix-stage
    /// repeats.
    pub phases: Option<PhaseTimes>,
    /// For a manifest: thread seconds of each pipeline stage per end-to-end round (decode,
    /// regions, filters, discretize, matrices, formulas), mean of the rounds.
    pub stages: Vec<(&'static str, f64)>,
}

impl BackendTiming {
    /// Host seconds outside the device per region the device built, when there is a device.
    pub fn host_seconds_per_region(&self) -> Option<f64> {
        self.phases
            .filter(|p| p.regions > 0)
            .map(|p| p.host_seconds() / p.regions as f64)
    }
}

/// Result of a benchmark run.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// What was measured (cases, sizes, settings).
    pub workload: String,
    /// Number of regions.
    pub regions: usize,
    /// One entry per backend, CPU first.
    pub timings: Vec<BackendTiming>,
    /// Largest absolute difference between any two corresponding matrix cells of the backends.
    pub max_matrix_difference: u64,
    /// Manifest cases left out of the measurement, as `case <id>: <error>`.
    pub failed: Vec<String>,
}

impl BenchReport {
    /// The report as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut s = format!("{}: {} regions\n\n", self.workload, self.regions);
        s += "| backend | matrices (regions/s) | end to end (regions/s) | matrices vs cpu | end to end vs cpu | host outside the device per region | share of the CPU's matrix time per region |\n|---|---:|---:|---:|---:|---:|---:|\n";
        let cpu = self.timings.iter().find(|t| t.backend == "cpu");
        for t in &self.timings {
            let ratio = |f: fn(&BackendTiming) -> Option<f64>| match (cpu.and_then(f), f(t)) {
                (Some(c), Some(v)) => format!("{:.2}x", v / c),
                _ => String::new(),
            };
            let host = t.host_seconds_per_region();
            s += &format!(
                "| {} | {:.1} | {} | {} | {} | {} | {} |\n",
                t.backend,
                t.matrix_regions_per_second,
                t.end_to_end_regions_per_second
                    .map_or("".into(), |e| format!("{e:.1}")),
                ratio(|t| Some(t.matrix_regions_per_second)),
                ratio(|t| t.end_to_end_regions_per_second),
                host.map_or("".into(), |h| format!("{:.1} µs", h * 1e6)),
                match (host, cpu) {
                    (Some(h), Some(c)) => {
                        format!("{:.1}%", 100.0 * h / c.matrix_seconds_per_region)
                    }
                    _ => String::new(),
                },
            );
        }
        if let Some(c) = cpu {
            s += &format!(
                "\nCPU backend matrix stage: {:.1} µs per region (wall, all cores, mean of the repeats)\n",
                c.matrix_seconds_per_region * 1e6
            );
        }
        for t in &self.timings {
            if let Some(p) = &t.phases {
                s += &format!("{} phases: {}\n", t.backend, p.line());
            }
        }
        for t in self.timings.iter().filter(|t| !t.stages.is_empty()) {
            let stages: Vec<String> = t
                .stages
                .iter()
                .map(|(name, seconds)| format!("{name} {seconds:.3} s"))
                .collect();
            s += &format!(
                "{} end to end, thread time per round: {}\n",
                t.backend,
                stages.join(", ")
            );
        }
        s += &format!(
            "largest matrix difference between backends: {}\n",
            self.max_matrix_difference
        );
        if !self.failed.is_empty() {
            s += &format!(
                "\n{} case(s) failed and were left out:\n",
                self.failed.len()
            );
            for f in &self.failed {
                s += &format!("- {f}\n");
            }
        }
        s
    }
}

/// A deterministic speckle image of `size`² pixels with an irregular lesion of about half the
/// side ([`crate::synth::speckle_case`]), discretized with `binning`; `seed` varies the texture
/// and the outline.
pub fn synthetic_region(size: usize, seed: u64, binning: Binning) -> Result<PreparedRegion> {
    let case = crate::synth::speckle_case(size, seed, false);
    let region = Region::from_full_mask("tumor", &case.mask, size, size).ok_or_else(|| {
        crate::error::Error::Setting(format!("synthetic size {size} is too small for a lesion"))
    })?;
    prepare_region(&case.image, &region, case.image.source.as_path(), binning)
}

/// Largest difference between two sets of matrices.
pub fn max_difference(a: &[Matrices], b: &[Matrices]) -> u64 {
    fn cells(m: &Matrices) -> Vec<u64> {
        let mut v: Vec<u64> = m.histogram.iter().map(|&c| u64::from(c)).collect();
        v.extend(m.glcm.counts.iter().map(|&c| u64::from(c)));
        v.extend(m.glrlm.counts.iter().map(|&c| u64::from(c)));
        v.extend(m.gldm.counts.iter().map(|&c| u64::from(c)));
        v.extend(m.ngtdm.counts.iter().map(|&c| u64::from(c)));
        v.extend(m.ngtdm.difference_sums.iter().copied());
        v.extend(
            m.glszm
                .entries
                .iter()
                .flat_map(|&(r, s, c)| [u64::from(r), u64::from(s), u64::from(c)]),
        );
        v
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let (x, y) = (cells(x), cells(y));
            if x.len() != y.len() {
                return u64::MAX;
            }
            x.iter()
                .zip(&y)
                .map(|(p, q)| p.abs_diff(*q))
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// Runs each of `runs` once per round, taking turns, for `rounds` rounds (at least one): per
/// run, the shortest time, the summed time and the last output.
fn take_turns<T>(
    rounds: usize,
    runs: &[&dyn Fn() -> Result<T>],
) -> Result<Vec<(f64, f64, Option<T>)>> {
    let mut out: Vec<(f64, f64, Option<T>)> =
        runs.iter().map(|_| (f64::INFINITY, 0.0, None)).collect();
    for _ in 0..rounds.max(1) {
        for (run, slot) in runs.iter().zip(&mut out) {
            let start = Instant::now();
            let value = run()?;
            let seconds = start.elapsed().as_secs_f64();
            slot.0 = slot.0.min(seconds);
            slot.1 += seconds;
            slot.2 = Some(value);
        }
    }
    Ok(out)
}

/// One measured row: a backend over a list of regions.
struct Entry<'a> {
    name: String,
    backend: &'a dyn Backend,
    regions: Vec<&'a GrayLevels>,
    /// Phase times of the device batches this row's matrix-stage runs made.
    phases: std::cell::RefCell<Option<PhaseTimes>>,
}

impl Entry<'_> {
    /// The backend's matrices of this row's regions, adding the phase times of its batches.
    fn build(&self) -> Result<Vec<Matrices>> {
        let before = self.backend.phase_times();
        let out = self.backend.build(&self.regions)?;
        if let (Some(b), Some(a)) = (before, self.backend.phase_times()) {
            let mut phases = self.phases.borrow_mut();
            phases
                .get_or_insert_with(PhaseTimes::default)
                .add(&a.since(&b));
        }
        Ok(out)
    }
}

/// Benchmarks prepared regions on each backend (CPU first), the backends taking turns. When the
/// GPU backend is among them and some regions' ranks are made on the device (from stored
/// values), a last row, `gpu, host ranks`, runs its matrix stage on the same regions with
/// every rank made by the host, so both routes are measured side by side.
pub fn bench_regions(
    workload: &str,
    regions: &[PreparedRegion],
    backends: &[&dyn Backend],
    repeats: usize,
) -> Result<BenchReport> {
    let grays: Vec<&GrayLevels> = regions.iter().map(|r| &r.gray).collect();
    let host: Vec<GrayLevels> = grays.iter().map(|g| g.with_host_ranks()).collect();
    let entry = |name: &str, backend, regions| Entry {
        name: name.to_string(),
        backend,
        regions,
        phases: Default::default(),
    };
    let mut entries: Vec<Entry> = backends
        .iter()
        .map(|&b| entry(b.name(), b, grays.clone()))
        .collect();
    let gpu = backends.iter().find(|b| b.name() == "gpu");
    if let (Some(&gpu), true) = (gpu, host.iter().zip(&grays).any(|(h, g)| h != *g)) {
        entries.push(entry("gpu, host ranks", gpu, host.iter().collect()));
    }
    let n = regions.len() as f64;
    let rounds = repeats.max(1);
    for backend in backends {
        backend.build(&grays[..grays.len().min(2)])?;
    }
    let matrix_runs: Vec<Box<dyn Fn() -> Result<Vec<Matrices>>>> = entries
        .iter()
        .map(|e| Box::new(|| e.build()) as Box<dyn Fn() -> Result<Vec<Matrices>>>)
        .collect();
    let runs: Vec<&dyn Fn() -> Result<Vec<Matrices>>> = matrix_runs.iter().map(|r| &**r).collect();
    let matrices = take_turns(rounds, &runs)?;
    let end_runs: Vec<Box<dyn Fn() -> Result<usize>>> = backends
        .iter()
        .map(|b| {
            let grays = &grays;
            Box::new(move || {
                let matrices = b.build(grays)?;
                Ok(regions
                    .par_iter()
                    .zip(&matrices)
                    .map(|(r, m)| region_features(r, m, None).len())
                    .sum::<usize>())
            }) as Box<dyn Fn() -> Result<usize>>
        })
        .collect();
    let runs: Vec<&dyn Fn() -> Result<usize>> = end_runs.iter().map(|r| &**r).collect();
    let mut end_to_end = take_turns(rounds, &runs)?
        .into_iter()
        .map(|e| Some(n / e.0));
    let mut timings = Vec::new();
    let mut built = Vec::new();
    for (e, m) in entries.iter().zip(matrices) {
        timings.push(BackendTiming {
            backend: e.name.clone(),
            matrix_regions_per_second: n / m.0,
            end_to_end_regions_per_second: end_to_end.next().flatten(),
            matrix_seconds_per_region: m.1 / (rounds as f64 * n),
            phases: *e.phases.borrow(),
            stages: Vec::new(),
        });
        built.push(m.2.unwrap_or_default());
    }
    let max_matrix_difference = built
        .windows(2)
        .map(|w| max_difference(&w[0], &w[1]))
        .max()
        .unwrap_or(0);
    Ok(BenchReport {
        workload: workload.to_string(),
        regions: regions.len(),
        timings,
        max_matrix_difference,
        failed: Vec::new(),
    })
}

/// Benchmarks the cases of a manifest, each with its own settings (spacing, label, frame) as
/// `extract` uses them: the matrix stage on their prepared regions, and end to end (decode,
/// regions, matrices, formulas) with [`extract_cases`](crate::extract::extract_cases). A case that cannot be prepared is left
/// out and listed in [`BenchReport::failed`]; an error when no case is left.
pub fn bench_manifest(
    cases: &[ManifestRow],
    settings: &CheckedSettings,
    backends: &[&dyn Backend],
    repeats: usize,
) -> Result<BenchReport> {
    let outcomes: Vec<Result<Vec<PreparedRegion>>> = cases
        .par_iter()
        .map(|c| prepare_manifest_case(c, settings))
        .collect();
    let mut prepared = Vec::new();
    let mut usable = Vec::new();
    let mut failed = Vec::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        match outcome {
            Ok(regions) => {
                prepared.extend(regions);
                usable.push(case.clone());
            }
            Err(e) => failed.push(format!("case {}: {e}", case.id)),
        }
    }
    if usable.is_empty() {
        return Err(Error::Setting(format!(
            "no case of the manifest can be benchmarked; {}",
            failed
                .first()
                .map_or("the manifest lists no case", String::as_str)
        )));
    }
    let mut report = bench_regions("manifest", &prepared, backends, repeats)?;
    let times: Vec<StageTimes> = backends.iter().map(|_| StageTimes::default()).collect();
    let end_runs: Vec<Box<dyn Fn() -> Result<usize>>> = backends
        .iter()
        .zip(&times)
        .map(|(b, times)| {
            let usable = &usable;
            Box::new(move || {
                let rows = extract_cases_timed(usable, settings, *b, times);
                rows.into_iter()
                    .collect::<Result<Vec<_>>>()
                    .map(|r| r.len())
            }) as Box<dyn Fn() -> Result<usize>>
        })
        .collect();
    let runs: Vec<&dyn Fn() -> Result<usize>> = end_runs.iter().map(|r| &**r).collect();
    let rounds = repeats.max(1) as f64;
    let turns = take_turns(repeats, &runs)?;
    for ((timing, (seconds, _, _)), times) in report.timings.iter_mut().zip(turns).zip(&times) {
        timing.end_to_end_regions_per_second = Some(prepared.len() as f64 / seconds);
        timing.stages = Stage::ALL
            .iter()
            .map(|&s| (s.name(), times.seconds(s) / rounds))
            .collect();
    }
    report.workload = format!(
        "{} cases from a manifest (end to end includes decoding)",
        usable.len()
    );
    report.failed = failed;
    Ok(report)
}
