//! Criterion benchmarks of the matrix stage on both backends, side by side: GPU (wgpu) against
//! CPU (rayon on all cores), for square synthetic speckle images of 256² to 4096² pixels with a
//! lesion of about a third of the image, in batches of 1 to 4096 regions.
//!
//! A batch repeats 4 distinct regions of its size, so the host holds 4 regions per size whatever
//! the batch; the backends still build every region of the batch. Points whose batch holds more
//! bounding-box pixels than `SONORAD_BENCH_MAX_PIXELS` (default 2^25, sized for a 2-core machine
//! running the shaders on lavapipe) are skipped with a line on stderr; raise it on a real GPU,
//! e.g. `SONORAD_BENCH_MAX_PIXELS=68719476736 cargo bench --bench backends`.
//!
//! Without a GPU adapter the GPU half is skipped and says so on stderr.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "support/config.rs"]
mod config;
use sonorad::commands::bench::synthetic_region;
use sonorad::discretize::{Binning, GrayLevels};
use sonorad::extract::PreparedRegion;
use sonorad::matrix::cpu::CpuBackend;
use sonorad::matrix::gpu::GpuBackend;
use sonorad::matrix::Backend;

const SIZES: [usize; 5] = [256, 512, 1024, 2048, 4096];
const BATCHES: [usize; 4] = [1, 16, 256, 4096];
const DISTINCT: usize = 4;

fn max_pixels() -> u64 {
    std::env::var("SONORAD_BENCH_MAX_PIXELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 25)
}

fn bench(c: &mut Criterion) {
    let gpu = match GpuBackend::new() {
        Ok(g) => {
            eprintln!("backends bench: GPU adapter {:?}", g.adapter());
            Some(g)
        }
        Err(e) => {
            eprintln!("backends bench: NO GPU ADAPTER ({e}); only the CPU backend is measured");
            None
        }
    };
    let cpu = CpuBackend;
    let limit = max_pixels();
    let mut group = c.benchmark_group("matrices");
    for size in SIZES {
        let distinct: Vec<PreparedRegion> = (0..DISTINCT as u64)
            .map(|seed| synthetic_region(size, seed, Binning::Width(25.0)))
            .collect::<Result<_, _>>()
            .expect("synthetic regions");
        let box_pixels = distinct
            .iter()
            .map(|r| (r.gray.width * r.gray.height) as u64)
            .max()
            .unwrap_or(0);
        for batch in BATCHES {
            if box_pixels * batch as u64 > limit {
                eprintln!(
                    "backends bench: skipping {size}² × {batch} ({} pixels > SONORAD_BENCH_MAX_PIXELS = {limit})",
                    box_pixels * batch as u64
                );
                continue;
            }
            let regions: Vec<&GrayLevels> =
                (0..batch).map(|k| &distinct[k % DISTINCT].gray).collect();
            let point = format!("{size}px_x{batch}");
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::new("cpu", &point), &regions, |b, r| {
                b.iter(|| cpu.build(r).expect("cpu matrices"))
            });
            if let Some(gpu) = &gpu {
                group.bench_with_input(BenchmarkId::new("gpu", &point), &regions, |b, r| {
                    b.iter(|| gpu.build(r).expect("gpu matrices"))
                });
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config::short();
    targets = bench
}
criterion_main!(benches);
