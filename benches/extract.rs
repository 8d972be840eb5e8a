//! Criterion benchmarks of the CPU extraction path on real BUSI cases (bundled under
//! `tests/fixtures/busi`): time per tumour region for the matrix stage, the formulas, and the
//! whole extraction (decode, regions, matrices, formulas), and with a 3 mm peritumoral ring.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sonorad::discretize::GrayLevels;
use sonorad::extract::{
    extract_case, load_case, prepare_case, region_features, CheckedSettings, Settings,
};
use sonorad::io::read_manifest;
use sonorad::matrix::cpu::CpuBackend;
use sonorad::matrix::Backend;
use sonorad::roi::RingWidth;

fn bench(c: &mut Criterion) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/busi/manifest.csv");
    let cases = read_manifest(&manifest, "case_id").expect("bundled BUSI manifest");
    let tumour = CheckedSettings::default();
    let with_ring = Settings {
        spacing: Some(0.1),
        rings: vec![RingWidth::Millimetres(3.0)],
        ..Settings::default()
    }
    .check()
    .expect("valid settings");
    let backend = CpuBackend;

    let mut group = c.benchmark_group("busi_tumour_region");
    for case in &cases {
        let loaded = load_case(&case.image, &case.mask, &tumour).unwrap();
        let prepared = prepare_case(&loaded, &tumour, None).unwrap();
        let grays: Vec<&GrayLevels> = prepared.iter().map(|p| &p.gray).collect();
        let pixels = prepared[0].values.len();
        let label = format!("{}_{}px", case.id, pixels);
        group.bench_with_input(BenchmarkId::new("matrices", &label), &grays, |b, g| {
            b.iter(|| backend.build(g).unwrap())
        });
        let matrices = backend.build(&grays).unwrap();
        group.bench_with_input(BenchmarkId::new("formulas", &label), &matrices, |b, m| {
            b.iter(|| region_features(&prepared[0], &m[0], None))
        });
        group.bench_with_input(BenchmarkId::new("whole", &label), case, |b, case| {
            b.iter(|| extract_case(&case.image, &case.mask, &tumour, &backend).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("whole_with_ring3mm", &label),
            case,
            |b, case| {
                b.iter(|| extract_case(&case.image, &case.mask, &with_ring, &backend).unwrap())
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
