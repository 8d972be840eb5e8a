//! `sonorad bench`: the same regions through the CPU and the GPU backends, side by side.
//!
//! Reports, per backend, regions per second for the matrix stage alone and end to end
//! (discretized regions → matrices → 102 features, plus file decoding and region drawing when
//! cases come from a manifest), the GPU/CPU ratios, and the largest difference between the two
//! backends' matrices, which must be 0.

use std::time::Instant;

use rayon::prelude::*;

use crate::discretize::{Binning, GrayLevels};
use crate::error::Result;
use crate::extract::{extract_cases, prepare_region, region_features, PreparedRegion, Settings};
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

fn best_of<T>(repeats: usize, mut run: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let out = run()?;
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    Ok((best, last.expect("at least one repeat")))
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
    })
}

/// Benchmarks the cases of a manifest: the matrix stage on their prepared regions, and end to
/// end (decode, regions, matrices, formulas) with [`extract_cases`].
pub fn bench_manifest(
    cases: &[Case],
    settings: &Settings,
    backends: &[&dyn Backend],
    repeats: usize,
) -> Result<BenchReport> {
    let prepared: Vec<PreparedRegion> = cases
        .par_iter()
        .map(|c| {
            crate::extract::load_case(&c.image, &c.mask, settings)
                .and_then(|l| crate::extract::prepare_case(&l, settings))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut report = bench_regions("manifest", &prepared, backends, repeats)?;
    for (timing, backend) in report.timings.iter_mut().zip(backends) {
        let (seconds, _) = best_of(repeats, || Ok(extract_cases(cases, settings, *backend)))?;
        timing.end_to_end_regions_per_second = prepared.len() as f64 / seconds;
    }
    report.workload = format!(
        "{} cases from a manifest (end to end includes decoding)",
        cases.len()
    );
    Ok(report)
}
