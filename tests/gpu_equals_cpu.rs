//! The GPU backend builds exactly the CPU backend's matrices, bit for bit, GLSZM zones included,
//! and hence the same features.
//!
//! Cases are generated: random sizes up to 2048², random masks (border-touching, multi-part,
//! holes), bin counts from 8 to 1024, 8- and 16-bit gray values, several regions of different
//! sizes in one batch, regions discretized on the device (from stored values) and by the host
//! (filtered and fractional values) in one batch. Without a GPU adapter the tests print a loud SKIPPED line; with
//! `SONORAD_REQUIRE_GPU=1` (set by `.ci/run`, where lavapipe provides an adapter) they fail instead.

use sonorad::discretize::Binning;
use sonorad::extract::{prepare_region, region_features, PreparedRegion};
use sonorad::io::{Image, PixelSpacing};
use sonorad::matrix::cpu::CpuBackend;
use sonorad::matrix::gpu::GpuBackend;
use sonorad::matrix::Backend;
use sonorad::roi::Region;
use std::path::Path;

#[path = "common/skip.rs"]
mod skip;

/// The GPU backend, or `None` after a loud message when there is no adapter.
fn gpu() -> Option<GpuBackend> {
    match GpuBackend::new() {
        Ok(b) => {
            eprintln!(
                "GPU tests run on: {} ({}, {})",
                b.adapter().name,
                b.adapter().backend,
                b.adapter().device_type
            );
            Some(b)
        }
        Err(e) => {
            if std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SONORAD_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            skip::announce(&format!(
                "GPU == CPU tests need a GPU adapter and none was found: {e}"
            ));
            None
        }
    }
}

#[path = "common/lcg.rs"]
mod lcg;
use lcg::Lcg;

impl Lcg {
    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
}

/// A random image (8- or 16-bit range, smooth background, speckle) and a random mask.
fn random_case(
    rng: &mut Lcg,
    width: usize,
    height: usize,
    sixteen_bit: bool,
) -> (Image<'static>, Vec<bool>) {
    let top = if sixteen_bit { 65535.0 } else { 255.0 };
    let (fx, fy) = (rng.unit() * 0.05, rng.unit() * 0.05);
    let pixels: Vec<f64> = (0..width * height)
        .map(|p| {
            let (x, y) = ((p % width) as f64, (p / width) as f64);
            let base = 0.5 + 0.3 * (x * fx).sin() * (y * fy).cos();
            let speckle = -(1.0 - rng.unit()).max(1e-12).ln();
            (base * speckle * top * 0.5).clamp(0.0, top).round()
        })
        .collect();
    let mut mask = vec![false; width * height];
    for _ in 0..1 + rng.below(3) {
        let (cx, cy) = (rng.unit() * width as f64, rng.unit() * height as f64);
        let (rx, ry) = (
            2.0 + rng.unit() * width as f64 * 0.4,
            2.0 + rng.unit() * height as f64 * 0.4,
        );
        let hole = rng.below(2) == 0;
        for y in 0..height {
            for x in 0..width {
                let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
                let d = dx * dx + dy * dy;
                if d <= 1.0 && !(hole && d < 0.05) {
                    mask[y * width + x] = true;
                }
            }
        }
    }
    // Make sure the region is at least 2×2.
    for p in [0, 1, width, width + 1] {
        mask[p] = true;
    }
    (
        Image {
            width,
            height,
            pixels: pixels.into(),
            source: "generated".into(),
        },
        mask,
    )
}

fn prepared(
    rng: &mut Lcg,
    width: usize,
    height: usize,
    sixteen_bit: bool,
    binning: Binning,
) -> PreparedRegion {
    let (image, mask) = random_case(rng, width, height, sixteen_bit);
    let region = Region::from_full_mask("tumor", &mask, width, height).unwrap();
    prepare_region(&image, &region, Path::new("generated"), binning).unwrap()
}

fn assert_same(gpu: &GpuBackend, regions: &[PreparedRegion]) {
    let grays: Vec<_> = regions.iter().map(|r| &r.gray).collect();
    let on_gpu = gpu.build(&grays).unwrap();
    let on_cpu = CpuBackend.build(&grays).unwrap();
    assert_eq!(on_gpu.len(), on_cpu.len());
    for (k, (g, c)) in on_gpu.iter().zip(&on_cpu).enumerate() {
        let r = &regions[k].gray;
        let what = format!(
            "region {k}: {}x{}, {} levels",
            r.width,
            r.height,
            r.level_count()
        );
        assert_eq!(g.histogram, c.histogram, "histogram, {what}");
        assert_eq!(g.glcm, c.glcm, "GLCM, {what}");
        assert_eq!(g.glrlm, c.glrlm, "GLRLM, {what}");
        assert_eq!(g.gldm, c.gldm, "GLDM, {what}");
        assert_eq!(g.ngtdm, c.ngtdm, "NGTDM, {what}");
        assert_eq!(g.glszm, c.glszm, "GLSZM, {what}");
        let fg = region_features(&regions[k], g, Some(PixelSpacing::square(0.1)));
        let fc = region_features(&regions[k], c, Some(PixelSpacing::square(0.1)));
        for (a, b) in fg.iter().zip(&fc) {
            assert_eq!(
                a.value.to_bits(),
                b.value.to_bits(),
                "{} {}, {what}",
                a.class,
                a.name
            );
        }
    }
}

#[test]
fn mixed_batch_of_small_and_medium_regions() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Lcg(11);
    let mut regions = Vec::new();
    for k in 0..40 {
        let (w, h) = (3 + rng.below(300) as usize, 3 + rng.below(300) as usize);
        let bins = [8, 16, 32, 64, 100, 256, 1024][k % 7];
        let binning = if k % 5 == 0 {
            Binning::Width(25.0)
        } else {
            Binning::Count(bins)
        };
        regions.push(prepared(&mut rng, w, h, k % 2 == 1, binning));
    }
    assert_same(&gpu, &regions);
}

#[test]
fn sixteen_bit_with_small_bin_width() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Lcg(5);
    // Bin width 50 on 16-bit values: about a thousand gray levels, beyond workgroup memory.
    let regions: Vec<_> = (0..3)
        .map(|_| {
            let width = 150 + rng.below(100) as usize;
            prepared(&mut rng, width, 120, true, Binning::Width(50.0))
        })
        .collect();
    assert!(regions.iter().any(|r| r.gray.level_count() > 500));
    assert_same(&gpu, &regions);
}

#[test]
fn large_images_up_to_2048() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Lcg(99);
    let regions = vec![
        prepared(&mut rng, 2048, 2048, false, Binning::Count(32)),
        prepared(&mut rng, 1024, 1536, true, Binning::Count(1024)),
        prepared(&mut rng, 2048, 7, false, Binning::Count(8)),
    ];
    // Runs as long as the image side.
    assert!(regions[0].gray.width.max(regions[0].gray.height) >= 1024);
    assert_same(&gpu, &regions);
}

#[test]
fn single_line_angles_are_emptied_like_the_cpu() {
    let Some(gpu) = gpu() else { return };
    // A checkerboard of region pixels: no two region pixels share a row or column line, so
    // those GLRLM angles are emptied; diagonals keep theirs.
    let (w, h) = (9, 9);
    let mask: Vec<bool> = (0..w * h).map(|p| (p % w + p / w) % 2 == 0).collect();
    let image = Image {
        width: w,
        height: h,
        pixels: (0..w * h).map(|p| (p * 37 % 200) as f64).collect(),
        source: "checkerboard".into(),
    };
    let region = Region::from_full_mask("tumor", &mask, w, h).unwrap();
    let r = prepare_region(
        &image,
        &region,
        Path::new("checkerboard"),
        Binning::Count(4),
    )
    .unwrap();
    assert_same(&gpu, &[r]);
}

/// A region of a `w` × `h` image whose pixel (x, y) has gray value `value(x, y)` and belongs to
/// the region when `inside(x, y)`; binned at width 1 so that every distinct value is a level.
fn crafted(
    w: usize,
    h: usize,
    value: impl Fn(usize, usize) -> f64,
    inside: impl Fn(usize, usize) -> bool,
) -> PreparedRegion {
    let image = Image {
        width: w,
        height: h,
        pixels: (0..w * h).map(|p| value(p % w, p / w)).collect(),
        source: "crafted".into(),
    };
    let mask: Vec<bool> = (0..w * h).map(|p| inside(p % w, p / w)).collect();
    let region = Region::from_full_mask("tumor", &mask, w, h).unwrap();
    prepare_region(&image, &region, Path::new("crafted"), Binning::Width(1.0)).unwrap()
}

/// Whether (x, y) lies on the arms of a square spiral of corridors one pixel wide, walls one
/// pixel wide, around the centre of an `n` × `n` image.
fn on_spiral(n: usize, x: usize, y: usize) -> bool {
    // the ring (distance from the border) the pixel lies on; even rings are the corridor,
    // joined to the next even ring through a gap in the odd ring between them
    let ring = x.min(y).min(n - 1 - x).min(n - 1 - y);
    if ring.is_multiple_of(2) {
        // each corridor ring is open at its top-left corner so that it spirals inwards
        return !(x == ring && y == ring && ring > 0);
    }
    // the wall ring has one gap, just right of its top-left corner
    y == ring && x == ring + 1
}

/// Zones are 8-connected components of one gray level: shapes where a naive labelling goes
/// wrong (arms that meet late, a spiral whose one zone winds through the whole image,
/// diagonal-only chains, checkerboards whose colours are each one zone by their corners, single
/// pixels, regions touching every border, many large zones of one size), all in one batch.
#[test]
fn zone_shapes_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let n = 61;
    let spiral = crafted(
        n,
        n,
        |x, y| if on_spiral(n, x, y) { 200.0 } else { 10.0 },
        |_, _| true,
    );
    let u_shape = crafted(
        40,
        40,
        |x, y| {
            if (!(6..=33).contains(&x) || y > 33) && y > 2 {
                200.0
            } else {
                10.0
            }
        },
        |_, _| true,
    );
    // two interleaved combs whose teeth meet only at the far ends
    let combs = crafted(
        48,
        48,
        |x, y| {
            if (x % 4 == 0 && y < 46) || y == 47 {
                9.0
            } else {
                3.0
            }
        },
        |_, _| true,
    );
    let checkerboard = crafted(30, 30, |x, y| ((x + y) % 2 * 255) as f64, |_, _| true);
    let diagonals = crafted(
        50,
        50,
        |x, y| {
            if (x + 2 * y) % 7 == 0 || x == y {
                80.0
            } else {
                20.0
            }
        },
        |_, _| true,
    );
    let mut noise = Lcg(7);
    let values: Vec<f64> = (0..64 * 64).map(|_| noise.below(40) as f64).collect();
    let scattered = crafted(
        64,
        64,
        |x, y| values[y * 64 + x],
        |x, y| (x * 7 + y * 3) % 5 != 0,
    );
    let stripes = crafted(100, 100, |_, y| (y / 2 % 2) as f64 * 50.0, |_, _| true);
    let ring = crafted(
        40,
        30,
        |x, y| ((x * 31 + y * 17) % 3) as f64,
        |x, y| x == 0 || y == 0 || x == 39 || y == 29 || (x + y) % 5 == 0,
    );
    let regions = [
        spiral,
        u_shape,
        combs,
        checkerboard,
        diagonals,
        scattered,
        stripes,
        ring,
    ];
    // the spiral's corridor is one zone of over a thousand pixels, the stripes 25 zones of 200
    // pixels per level: zones beyond the dense table
    let spiral_zone = regions[0].gray.ranks().iter().filter(|&&r| r == 2).count();
    assert!(spiral_zone > 1000, "{spiral_zone}");
    assert_same(&gpu, &regions);
    let cpu = CpuBackend
        .build(&[&regions[0].gray, &regions[6].gray])
        .unwrap();
    assert!(cpu[0].glszm.entries.contains(&(1, spiral_zone as u32, 1)));
    assert_eq!(cpu[1].glszm.entries, [(0, 200, 25), (1, 200, 25)]);
}

/// The GPU backend keeps its device buffers from batch to batch: a small batch after a large one
/// reuses the large buffers and must not see counts left over from the large batch.
#[test]
fn reused_buffers_hold_no_stale_counts() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Lcg(23);
    let large: Vec<PreparedRegion> = (0..3)
        .map(|_| prepared(&mut rng, 400, 300, true, Binning::Count(256)))
        .collect();
    let small: Vec<PreparedRegion> = (0..2)
        .map(|_| prepared(&mut rng, 20, 30, false, Binning::Count(8)))
        .collect();
    assert_same(&gpu, &large);
    assert_same(&gpu, &small);
    assert_same(&gpu, &large[..1]);
}

/// Checked settings with one ring and two image types: the original image binned with
/// `original`, its square with `square`.
fn ring_and_square(
    ring: &str,
    original: Binning,
    square: Binning,
) -> sonorad::extract::CheckedSettings {
    use sonorad::extract::EnabledImageType;
    use sonorad::filters::ImageType;
    sonorad::extract::Settings {
        rings: vec![ring.parse().unwrap()],
        image_types: vec![
            EnabledImageType::new(ImageType::Original, original),
            EnabledImageType::new(ImageType::Square, square),
        ],
        ..Default::default()
    }
    .check()
    .unwrap()
}

/// One batch holds regions discretized on the device from stored values (each case's tumour
/// and ring sharing one crop; 8-bit values in 16-bit entries, 16-bit values in 32-bit ones) and
/// regions the host discretized (a filtered image, an image with fractional values).
#[test]
fn host_and_device_discretized_regions_share_a_batch() {
    use sonorad::discretize::Ranks;
    let Some(gpu) = gpu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = sonorad::synth::write_cohort(dir.path(), 3, 120, 7).unwrap();
    let manifest = sonorad::io::read_manifest_table(&manifest_path, "case_id").unwrap();
    let settings = ring_and_square("5px", Binning::Width(10.0), Binning::Count(16));
    let mut regions = Vec::new();
    for case in &manifest.cases {
        let loaded = sonorad::extract::load_case(&case.image, &case.mask, &settings).unwrap();
        let prepared = sonorad::extract::prepare_case(&loaded, &settings, None).unwrap();
        // tumour original, tumour square, ring original, ring square
        let source = |k: usize| match &prepared[k].gray.ranks {
            Ranks::Lookup(l) => Some(std::sync::Arc::as_ptr(&l.source)),
            Ranks::Computed(_) => None,
        };
        assert!(
            source(0).is_some() && source(0) == source(2),
            "one crop per case"
        );
        assert!(
            source(1).is_none() && source(3).is_none(),
            "filtered: host ranks"
        );
        regions.extend(prepared);
    }
    let mut rng = Lcg(41);
    let wide = prepared(&mut rng, 150, 90, true, Binning::Count(1024));
    assert!(matches!(&wide.gray.ranks, Ranks::Lookup(l) if l.source.entries.is_wide()));
    regions.push(wide);
    let (image, mask) = random_case(&mut rng, 80, 60, false);
    let image = Image {
        pixels: image.pixels.iter().map(|v| v / 4.0).collect(),
        ..image
    };
    let region = Region::from_full_mask("tumor", &mask, 80, 60).unwrap();
    let fractional = prepare_region(
        &image,
        &region,
        Path::new("fractional"),
        Binning::Width(0.5),
    )
    .unwrap();
    assert!(matches!(fractional.gray.ranks, Ranks::Computed(_)));
    regions.push(fractional);
    assert_same(&gpu, &regions);
}

/// Many batches in one call, two in flight at a time (one uploaded while the other is on the
/// device, read back in order), give the CPU's matrices in the callers' order.
#[test]
fn overlapping_batches_keep_every_region_in_place() {
    let Some(gpu) = gpu() else { return };
    let gpu = gpu.with_batch_cells(16_000);
    let mut rng = Lcg(59);
    let regions: Vec<PreparedRegion> = (0..14)
        .map(|k| {
            prepared(
                &mut rng,
                60 + 7 * k,
                50 + 5 * k,
                k % 3 == 0,
                Binning::Count(12),
            )
        })
        .collect();
    assert_same(&gpu, &regions);
    let batches = gpu.phase_times().unwrap().batches;
    assert!(batches >= 8, "{batches} batches");
}

/// A whole archive run (regions of many cases gathered into GPU batches, rings, a filtered image
/// type) writes the same table on both backends, byte for byte.
#[test]
fn archive_run_tables_are_identical() {
    let Some(gpu) = gpu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = sonorad::synth::write_cohort(dir.path(), 12, 96, 3).unwrap();
    let manifest = sonorad::io::read_manifest_table(&manifest_path, "case_id").unwrap();
    let settings = ring_and_square("4px", Binning::default(), Binning::default());
    let mixed = sonorad::matrix::mixed::MixedBackend::new(
        GpuBackend::new().unwrap(),
        Box::new(|note| panic!("the device failed: {note}")),
    );
    let mut tables = Vec::new();
    let backends = [
        ("cpu", &CpuBackend as &dyn Backend),
        ("gpu", &gpu),
        ("mixed", &mixed),
    ];
    for (name, backend) in backends {
        let mut options =
            sonorad::archive::ArchiveOptions::new(dir.path().join(format!("{name}.csv")));
        options.progress = sonorad::archive::Progress::Quiet;
        let summary = sonorad::archive::run(&manifest, &settings, backend, &options).unwrap();
        assert_eq!(summary.extracted, 12);
        tables.push(std::fs::read_to_string(&options.out).unwrap());
    }
    assert_eq!(tables[0], tables[1]);
    assert_eq!(tables[0], tables[2]);
}

/// `sonorad extract` writes the same bytes with `--backend cpu`, `gpu` and `mixed` (GPU and CPU
/// threads sharing one queue) on the bundled BUSI sample with a 3 mm ring.
#[test]
fn busi_sample_tables_are_identical_on_every_backend() {
    if gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let manifest = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/busi/manifest.csv"
    );
    let mut tables = Vec::new();
    for backend in ["cpu", "gpu", "mixed"] {
        let out = dir.path().join(format!("{backend}.csv"));
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_sonorad"))
            .args([
                "extract",
                "--quiet",
                "--backend",
                backend,
                "--manifest",
                manifest,
            ])
            .args(["--ring", "3mm", "--spacing", "0.1", "--trace", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{backend}: {stderr}");
        // --trace reports the device's batches and the host's time outside the device (the
        // mixed backend's CPU threads may leave its GPU no batch of so few regions)
        if backend == "gpu" {
            assert!(stderr.contains("gpu batch: 1 batch(es)"), "{stderr}");
        }
        if backend != "cpu" {
            assert!(stderr.contains("GPU totals:"), "{stderr}");
        }
        tables.push(std::fs::read(&out).unwrap());
    }
    assert!(tables[0].len() > 1000);
    assert!(tables[0] == tables[1], "gpu table differs from cpu");
    assert!(tables[0] == tables[2], "mixed table differs from cpu");
}

/// A device lost in the middle of a run (here destroyed, as a driver reset would) leaves the rest
/// of the run to the CPU: the GPU and mixed backends still return the CPU's matrices, each
/// tells its note at most once (the GPU backend exactly once; the mixed backend's CPU threads
/// may drain a short queue before its feeder tries the device), and later calls go straight to
/// the CPU.
#[test]
fn a_lost_device_hands_the_rest_of_the_run_to_the_cpu() {
    use sonorad::matrix::gpu::GpuContext;
    use sonorad::matrix::mixed::MixedBackend;
    use std::sync::{Arc, Mutex};
    if gpu().is_none() {
        return;
    }
    let mut rng = Lcg(31);
    let regions: Vec<PreparedRegion> = (0..24)
        .map(|k| prepared(&mut rng, 40 + 10 * (k % 6), 50, false, Binning::Count(16)))
        .collect();
    let grays: Vec<_> = regions.iter().map(|r| &r.gray).collect();
    let on_cpu = CpuBackend.build(&grays).unwrap();
    type Notes = Arc<Mutex<Vec<String>>>;
    let listener = |notes: &Notes| {
        let notes = Arc::clone(notes);
        Box::new(move |m: &str| notes.lock().unwrap().push(m.to_string()))
    };
    let (alone_notes, mixed_notes): (Notes, Notes) = Default::default();
    let context = Arc::new(GpuContext::open().unwrap());
    let alone = GpuBackend::on(Arc::clone(&context)).with_note(listener(&alone_notes));
    let mixed = MixedBackend::new(GpuBackend::on(Arc::clone(&context)), listener(&mixed_notes));
    assert!(alone.build(&grays).unwrap() == on_cpu);
    context.device().release();
    for backend in [&alone as &dyn Backend, &mixed] {
        for _ in 0..3 {
            assert!(
                backend.build(&grays).unwrap() == on_cpu,
                "{}",
                backend.name()
            );
        }
    }
    let (alone_notes, mixed_notes) = (alone_notes.lock().unwrap(), mixed_notes.lock().unwrap());
    assert_eq!(alone_notes.len(), 1, "{alone_notes:?}");
    assert!(mixed_notes.len() <= 1, "{mixed_notes:?}");
    for note in alone_notes.iter().chain(mixed_notes.iter()) {
        assert!(note.starts_with("the GPU failed ("), "{note}");
        assert!(
            note.ends_with("the CPU builds the rest of the run, no case is lost"),
            "{note}"
        );
    }
}

/// `auto` with its GPU start held back by a gate, as a slow driver would hold it. An archive run
/// without filters goes through on the CPU threads while the start is held; after the start the
/// device joins them. A filtered run waits for the start, so that every case has the same
/// filters (the device's): it is still waiting while the gate is shut. Every table equals the
/// mixed backend's, byte for byte.
#[test]
fn auto_builds_on_the_cpu_until_its_gpu_has_started() {
    use sonorad::matrix::auto::AutoBackend;
    use sonorad::matrix::mixed::MixedBackend;
    use std::sync::mpsc;
    use std::time::Duration;
    if gpu().is_none() {
        return;
    }
    let failed = |note: &str| panic!("the device failed: {note}");
    let gated = || {
        let (go, gate) = mpsc::channel::<()>();
        let auto = AutoBackend::start(move || {
            gate.recv().ok()?;
            Some(MixedBackend::new(GpuBackend::new().ok()?, Box::new(failed)))
        })
        .unwrap();
        (go, auto)
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = sonorad::synth::write_cohort(dir.path(), 8, 96, 7).unwrap();
    let manifest = sonorad::io::read_manifest_table(&manifest_path, "case_id").unwrap();
    let table =
        |settings: &sonorad::extract::CheckedSettings, backend: &dyn Backend, name: &str| {
            let mut options =
                sonorad::archive::ArchiveOptions::new(dir.path().join(format!("{name}.csv")));
            options.progress = sonorad::archive::Progress::Quiet;
            let summary = sonorad::archive::run(&manifest, settings, backend, &options).unwrap();
            assert_eq!(summary.extracted, 8, "{name}");
            std::fs::read_to_string(&options.out).unwrap()
        };
    let mixed = MixedBackend::new(GpuBackend::new().unwrap(), Box::new(failed));

    let plain = sonorad::extract::Settings {
        rings: vec!["4px".parse().unwrap()],
        ..Default::default()
    }
    .check()
    .unwrap();
    let (go, auto) = gated();
    let while_starting = table(&plain, &auto, "plain-starting");
    assert!(
        auto.describe().ends_with("while the GPU starts"),
        "{}",
        auto.describe()
    );
    go.send(()).unwrap();
    assert!(auto.device().is_some());
    assert!(
        auto.describe().starts_with("auto: mixed ("),
        "{}",
        auto.describe()
    );
    let started = table(&plain, &auto, "plain-started");
    assert!(auto.phase_times().is_some());
    let reference = table(&plain, &mixed, "plain-mixed");
    assert_eq!(while_starting, reference);
    assert_eq!(started, reference);

    let filtered = ring_and_square("4px", Binning::default(), Binning::default());
    let (go, auto) = gated();
    let waited = std::thread::scope(|scope| {
        let run = scope.spawn(|| table(&filtered, &auto, "filtered-auto"));
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !run.is_finished(),
            "a filtered run did not wait for the GPU's start"
        );
        go.send(()).unwrap();
        run.join().unwrap()
    });
    assert!(auto.filters().is_some());
    assert_eq!(waited, table(&filtered, &mixed, "filtered-mixed"));
}

/// A GPU that finishes starting in the middle of `auto`'s build takes part in the regions left:
/// the CPU threads built the first regions, the device some of the rest, and the matrices are
/// the CPU's.
#[test]
fn auto_hands_the_regions_left_to_a_gpu_that_starts_mid_build() {
    use sonorad::matrix::auto::AutoBackend;
    use sonorad::matrix::mixed::MixedBackend;
    use std::sync::mpsc;
    use std::time::Duration;
    let Some(gpu) = gpu() else { return };
    let mut rng = Lcg(71);
    // regions large enough that the CPU threads take far longer than the gate's 30 ms
    let regions: Vec<PreparedRegion> = (0..160)
        .map(|k| prepared(&mut rng, 180 + k % 40, 160, k % 4 == 0, Binning::Count(32)))
        .collect();
    let grays: Vec<_> = regions.iter().map(|r| &r.gray).collect();
    let mixed = MixedBackend::new(gpu, Box::new(|note| panic!("the device failed: {note}")));
    let (go, gate) = mpsc::channel::<()>();
    let auto = AutoBackend::start(move || gate.recv().ok().map(|()| mixed)).unwrap();
    let built = std::thread::scope(|scope| {
        scope.spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            go.send(()).unwrap();
        });
        auto.build(&grays).unwrap()
    });
    assert!(built == CpuBackend.build(&grays).unwrap());
    let on_device = auto.phase_times().unwrap().regions;
    assert!(
        on_device > 0 && on_device < grays.len(),
        "{on_device} of {} regions on the device",
        grays.len()
    );
}
