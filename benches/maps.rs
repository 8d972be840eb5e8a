//! Criterion benchmarks of texture maps (`sonorad map`'s library call), CPU (rayon on all cores)
//! against the device's map kernels, side by side: generated speckle images of 128² to 1024²
//! pixels with a lesion of about a third of the image, kernel radius 1 and 2, every first-order
//! and texture feature (93 maps), and GLCM alone.
//!
//! Points whose region holds more than `SONORAD_BENCH_MAX_KERNELS` kernels (default 2^14, sized
//! for a 2-core machine running the shaders on lavapipe) are skipped with a line on stderr; raise
//! it on a real GPU, e.g. `SONORAD_BENCH_MAX_KERNELS=1048576 cargo bench --bench maps`. Without a
//! GPU adapter the device half is skipped and says so on stderr.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "support/config.rs"]
mod config;
use sonorad::device::Device;
use sonorad::discretize::Binning;
use sonorad::maps::device::DeviceMaps;
use sonorad::maps::{texture_maps, KernelSettings};
use sonorad::params::FeatureClassSelection;
use sonorad::roi::Region;
use sonorad::synth::speckle_case;

const SIZES: [usize; 4] = [128, 256, 512, 1024];
const RADII: [usize; 2] = [1, 2];

fn max_kernels() -> usize {
    std::env::var("SONORAD_BENCH_MAX_KERNELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 14)
}

/// The map kernels on the first adapter, or `None` after a line on stderr.
fn device_maps() -> Option<DeviceMaps> {
    let opened = Device::open().and_then(|d| DeviceMaps::new(Arc::new(d)));
    match opened {
        Ok(maps) => {
            eprintln!(
                "maps bench: device {:?}, {} kernels",
                maps.device().adapter(),
                maps.precision()
            );
            Some(maps)
        }
        Err(e) => {
            eprintln!("maps bench: NO GPU ADAPTER ({e}); only the CPU is measured");
            None
        }
    }
}

fn bench(c: &mut Criterion) {
    let device = device_maps();
    let glcm = FeatureClassSelection::parse_list("glcm").expect("a class list");
    let selections: [(&str, Option<&[FeatureClassSelection]>); 2] =
        [("all", None), ("glcm", Some(&glcm))];
    let limit = max_kernels();
    let mut group = c.benchmark_group("texture_maps");
    for size in SIZES {
        let case = speckle_case(size, 7, false);
        let region = Region::from_full_mask("tumor", &case.mask, size, size).expect("a lesion");
        let kernels = case.mask.iter().filter(|&&m| m).count();
        if kernels > limit {
            eprintln!(
                "maps bench: skipping {size}² ({kernels} kernels > SONORAD_BENCH_MAX_KERNELS = {limit})"
            );
            continue;
        }
        group.throughput(Throughput::Elements(kernels as u64));
        for radius in RADII {
            let kernel = KernelSettings {
                radius,
                masked: true,
                init_value: f64::NAN,
            };
            for (name, selection) in selections {
                let point = format!("{size}px_r{radius}_{name}");
                let maps = |device: Option<&DeviceMaps>| {
                    texture_maps(
                        &case.image,
                        &region,
                        Binning::Width(25.0),
                        kernel,
                        selection,
                        device,
                    )
                    .expect("maps")
                };
                group.bench_function(BenchmarkId::new("cpu", &point), |b| b.iter(|| maps(None)));
                if let Some(device) = &device {
                    group.bench_function(BenchmarkId::new("gpu", &point), |b| {
                        b.iter(|| maps(Some(device)))
                    });
                }
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
