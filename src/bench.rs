//! `sonorad bench`: the same regions through the CPU and the GPU backends, side by side.
//!
//! Reports, per backend, regions per second for the matrix stage alone and end to end
//! (discretized regions → matrices → 102 features, plus file decoding and region drawing when
//! cases come from a manifest), the GPU/CPU ratios, and the largest difference between the two
//! backends' matrices, which must be 0.

use std::time::Instant;

use rayon::prelude::*;

use crate::discretize::{Binning, GrayLevels};
use crate::error::{Error, Result};
use crate::extract::{
    extract_cases, prepare_manifest_case, prepare_region, region_features, PreparedRegion, Settings,
};
use crate::io::Case;
use crate::matrix::{Backend, Matrices};
use crate::roi::Region;

/// Timings of one backend.
#[derive(Debug, Clone)]
pub struct BackendTiming {
    /// Backend name and device.
    pub backend: String,
    /// Regions per second, matrix stage only (best of the repeats).
    pub matrix_regions_per_second: f64,
    /// Regions per second, end to end (best of the repeats).
    pub end_to_end_regions_per_second: f64,
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
        s += "| backend | matrices (regions/s) | end to end (regions/s) |\n|---|---:|---:|\n";
        for t in &self.timings {
            s += &format!(
                "| {} | {:.1} | {:.1} |\n",
                t.backend, t.matrix_regions_per_second, t.end_to_end_regions_per_second
            );
        }
        if let [cpu, gpu] = &self.timings[..] {
            s += &format!(
                "\nGPU/CPU: matrices {:.2}x, end to end {:.2}x\n",
                gpu.matrix_regions_per_second / cpu.matrix_regions_per_second,
                gpu.end_to_end_regions_per_second / cpu.end_to_end_regions_per_second
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

/// Runs `run` `repeats` times (at least once): the shortest time and the last output.
fn best_of<T>(repeats: usize, mut run: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let start = Instant::now();
    let mut last = run()?;
    let mut best = start.elapsed().as_secs_f64();
    for _ in 1..repeats {
        let start = Instant::now();
        last = run()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok((best, last))
}

/// Benchmarks prepared regions on each backend (CPU first).
pub fn bench_regions(
    workload: &str,
    regions: &[PreparedRegion],
    backends: &[&dyn Backend],
    repeats: usize,
) -> Result<BenchReport> {
    let grays: Vec<&GrayLevels> = regions.iter().map(|r| &r.gray).collect();
    let n = regions.len() as f64;
    let mut timings = Vec::new();
    let mut built: Vec<Vec<Matrices>> = Vec::new();
    for backend in backends {
        backend.build(&grays[..grays.len().min(2)])?;
        let (matrix_seconds, matrices) = best_of(repeats, || backend.build(&grays))?;
        let (end_seconds, _) = best_of(repeats, || {
            let matrices = backend.build(&grays)?;
            Ok(regions
                .par_iter()
                .zip(&matrices)
                .map(|(r, m)| region_features(r, m, None))
                .collect::<Vec<_>>())
        })?;
        timings.push(BackendTiming {
            backend: backend.name().to_string(),
            matrix_regions_per_second: n / matrix_seconds,
            end_to_end_regions_per_second: n / end_seconds,
        });
        built.push(matrices);
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
/// regions, matrices, formulas) with [`extract_cases`]. A case that cannot be prepared is left
/// out and listed in [`BenchReport::failed`]; an error when no case is left.
pub fn bench_manifest(
    cases: &[Case],
    settings: &Settings,
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
    for (timing, backend) in report.timings.iter_mut().zip(backends) {
        let (seconds, _) = best_of(repeats, || {
            extract_cases(&usable, settings, *backend)
                .into_iter()
                .collect::<Result<Vec<_>>>()
        })?;
        timing.end_to_end_regions_per_second = prepared.len() as f64 / seconds;
    }
    report.workload = format!(
        "{} cases from a manifest (end to end includes decoding)",
        usable.len()
    );
    report.failed = failed;
    Ok(report)
}
