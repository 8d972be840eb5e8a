//! Random inputs through the texture maps (`sonorad map`'s pipeline, on the CPU): small images
//! of random sizes and values (constant, 8-bit, huge, negative, NaN outside the region, ±inf
//! inside) under masks of degenerate shapes (one pixel, a line, a checkerboard, scattered
//! pixels, the whole image, none), with random kernel radius, masked or not, init value, bin
//! width or count. For `SONORAD_FUZZ_SECONDS` seconds (default 5; `.ci/run` sets 60): every
//! case must return, maps or an error naming the image, never a panic; the maps have the
//! image's size. (It found that a NaN or infinite pixel among the kernels' pixels made the GLCM
//! formulas index out of bounds; such a pixel is now refused, naming it.)

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sonorad::discretize::Binning;
use sonorad::extract::{self, EnabledImageType, Settings};
use sonorad::filters::ImageType;
use sonorad::io::{Image, ImageFile, LabelMap, PixelType};
use sonorad::maps::{self, KernelSettings, MapDevices};

#[path = "common/lcg.rs"]
mod lcg;
use lcg::Lcg;

fn pick(rng: &mut Lcg, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// Gray values of one of several kinds.
fn values(rng: &mut Lcg, n: usize) -> Vec<f64> {
    let kind = pick(rng, 6);
    (0..n)
        .map(|_| match kind {
            0 => 7.0,
            1 => pick(rng, 256) as f64,
            2 => pick(rng, 1000) as f64 * 1e300,
            3 => -(pick(rng, 5000) as f64) / 7.0,
            4 => pick(rng, 3) as f64,
            _ => pick(rng, 65536) as f64 / 3.0,
        })
        .collect()
}

/// A mask of one of several shapes.
fn mask(rng: &mut Lcg, w: usize, h: usize) -> Vec<u32> {
    let shape = pick(rng, 7);
    let (cx, cy) = (pick(rng, w), pick(rng, h));
    (0..w * h)
        .map(|p| {
            let (x, y) = (p % w, p / w);
            let inside = match shape {
                0 => (x, y) == (cx, cy),
                1 => y == cy,
                2 => (x + y) % 2 == 0,
                3 => pick(rng, 4) == 0,
                4 => true,
                5 => false,
                _ => x.abs_diff(cx) <= 2 && y.abs_diff(cy) <= 1,
            };
            u32::from(inside)
        })
        .collect()
}

#[test]
fn texture_maps_survive_random_degenerate_inputs() {
    let seconds: u64 = std::env::var("SONORAD_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut rng = Lcg(2026);
    let (start, mut cases, mut errors, mut panics) = (Instant::now(), 0usize, 0usize, Vec::new());
    while start.elapsed() < Duration::from_secs(seconds) {
        let (w, h) = (1 + pick(&mut rng, 24), 1 + pick(&mut rng, 24));
        let mut pixels = values(&mut rng, w * h);
        let labels = mask(&mut rng, w, h);
        match pick(&mut rng, 6) {
            0 => pixels[pick(&mut rng, w * h)] = f64::NAN,
            1 => pixels[pick(&mut rng, w * h)] = f64::INFINITY,
            _ => {}
        }
        let binning = match pick(&mut rng, 3) {
            0 => Binning::Width(25.0),
            1 => Binning::Width(0.5),
            _ => Binning::Count(1 + pick(&mut rng, 64)),
        };
        let kernel = KernelSettings {
            radius: 1 + pick(&mut rng, 4),
            masked: pick(&mut rng, 2) == 0,
            init_value: if pick(&mut rng, 2) == 0 {
                0.0
            } else {
                f64::NAN
            },
        };
        let source = PathBuf::from(format!("fuzz_{cases}.png"));
        let outcome = std::panic::catch_unwind(|| {
            let settings = Settings {
                image_types: vec![EnabledImageType::new(ImageType::Original, binning)],
                ..Settings::default()
            }
            .check()?;
            let file = ImageFile {
                image: Image {
                    width: w,
                    height: h,
                    pixels: Cow::Owned(pixels.clone()),
                    source: source.clone(),
                },
                spacing: None,
                pixel_type: PixelType::F64,
                origin: [0.0, 0.0],
            };
            let mask = LabelMap {
                width: w,
                height: h,
                labels: Cow::Owned(labels.clone()),
                source: source.with_extension("mask.png"),
                spacing: None,
                origin: None,
            };
            let case = extract::case_from_memory(file, &mask, &settings)?;
            maps::case_maps(&case, &settings, kernel, MapDevices::default())
        });
        cases += 1;
        match outcome {
            Err(payload) => panics.push(format!(
                "{w}x{h}, kernel {kernel:?}, {binning:?}: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
            Ok(Err(e)) => {
                errors += 1;
                let text = e.to_string();
                assert!(
                    text.contains("fuzz_"),
                    "an error not naming its input: {text}"
                );
            }
            Ok(Ok(regions)) => {
                for region in regions {
                    for k in 0..region.maps.names.len() {
                        assert_eq!(region.maps.full(k, w, h, kernel.init_value).len(), w * h);
                    }
                }
            }
        }
    }
    eprintln!(
        "fuzz maps: {cases} random cases in {seconds} s, {errors} refused with an error, {} panics",
        panics.len()
    );
    assert!(panics.is_empty(), "{panics:#?}");
}
