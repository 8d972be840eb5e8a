//! Generated cohorts: speckle ultrasound-like images with an irregular lesion, a binary outcome
//! that the lesion's texture and outline relate to, and a few clinical variables, written as PNG
//! files with a manifest. Used by benchmarks, tests and the demo; deterministic from a seed.
//!
//! Image model: every pixel is `level × R` with `R` a Rayleigh variate of scale 1 (fully
//! developed speckle), rounded and clipped to 0..255. The background level is 120; the lesion is
//! hypoechoic, at level 60. A lesion of a positive case is darker on average (level 50) and
//! heterogeneous (a quarter of its pixels at level 90) and its outline more lobulated.
//! Clinical variables: `age` (normal, mean 52 years, 6 years older for positive cases, sd 10)
//! and `lvi` (lymphovascular invasion `yes`/`no`, probability 0.6 for positive cases, 0.25
//! otherwise).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::Image;

/// A seeded 64-bit linear congruential generator with 53-bit uniform output.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1))
    }

    /// Uniform on (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A generated image with its lesion mask.
#[derive(Debug, Clone)]
pub struct SyntheticCase {
    /// The speckle image.
    pub image: Image<'static>,
    /// Lesion mask, row-major.
    pub mask: Vec<bool>,
}

/// A `size`² speckle image with a lesion of radius about 0.3 `size`; `positive` selects the
/// texture and outline of a positive case (see the module docs); `seed` varies everything.
pub fn speckle_case(size: usize, seed: u64, positive: bool) -> SyntheticCase {
    let mut rng = Lcg::new(seed);
    let centre = size as f64 / 2.0;
    let lobes = 3.0 + (seed % 5) as f64;
    let depth = 0.1 + 0.05 * (seed % 4) as f64 + if positive { 0.1 } else { 0.0 };
    let mut mask = vec![false; size * size];
    let mut pixels = vec![0.0; size * size];
    for y in 0..size {
        for x in 0..size {
            let (dy, dx) = (y as f64 - centre, x as f64 - centre);
            let radius = size as f64 * 0.3 * (1.0 + depth * (lobes * dy.atan2(dx)).sin());
            let inside = dx.hypot(dy) <= radius;
            let rayleigh = (-2.0 * (1.0 - rng.uniform()).ln()).sqrt();
            let level = match (inside, positive) {
                (false, _) => 120.0,
                (true, false) => 60.0,
                (true, true) if rng.uniform() < 0.25 => 90.0,
                (true, true) => 50.0,
            };
            pixels[y * size + x] = (level * rayleigh).min(255.0).round();
            mask[y * size + x] = inside;
        }
    }
    SyntheticCase {
        image: Image {
            width: size,
            height: size,
            pixels: pixels.into(),
            source: format!("synthetic-{seed}").into(),
        },
        mask,
    }
}

/// Writes `cases` generated cases of `size`² pixels into `dir` (`images/case_NNNNNN.png`,
/// `masks/case_NNNNNN_mask.png`) and a manifest `dir/manifest.csv` with columns
/// `case_id,image,mask,outcome,age,lvi` (outcome 1 for positive cases, about half). Returns the
/// manifest path.
pub fn write_cohort(dir: &Path, cases: usize, size: usize, seed: u64) -> Result<PathBuf> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    for sub in ["images", "masks"] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| fail(&d, &e))?;
    }
    let manifest = dir.join("manifest.csv");
    let mut w = csv::Writer::from_path(&manifest).map_err(|e| fail(&manifest, &e))?;
    w.write_record(["case_id", "image", "mask", "outcome", "age", "lvi"])
        .map_err(|e| fail(&manifest, &e))?;
    let mut rng = Lcg::new(seed ^ 0x5EED);
    for k in 0..cases {
        let positive = rng.uniform() < 0.5;
        let age = 52.0 + if positive { 6.0 } else { 0.0 } + 10.0 * rng.normal();
        let lvi = rng.uniform() < if positive { 0.6 } else { 0.25 };
        let case = speckle_case(
            size,
            seed.wrapping_mul(1_000_003).wrapping_add(k as u64),
            positive,
        );
        let id = format!("case_{k:06}");
        let image = format!("images/{id}.png");
        let mask = format!("masks/{id}_mask.png");
        let gray: Vec<u8> = case.image.pixels.iter().map(|&v| v as u8).collect();
        let labels: Vec<u8> = case.mask.iter().map(|&m| if m { 255 } else { 0 }).collect();
        for (name, data) in [(&image, gray), (&mask, labels)] {
            let path = dir.join(name);
            image::save_buffer(
                &path,
                &data,
                size as u32,
                size as u32,
                image::ExtendedColorType::L8,
            )
            .map_err(|e| fail(&path, &e))?;
        }
        w.write_record([
            id.as_str(),
            &image,
            &mask,
            if positive { "1" } else { "0" },
            &format!("{:.0}", age.clamp(25.0, 90.0)),
            if lvi { "yes" } else { "no" },
        ])
        .map_err(|e| fail(&manifest, &e))?;
    }
    w.flush().map_err(|e| fail(&manifest, &e))?;
    Ok(manifest)
}
