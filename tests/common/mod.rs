//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes an 8-bit gray PNG.
pub fn write_gray8(path: &Path, width: u32, height: u32, pixels: &[u8]) {
    image::save_buffer(path, pixels, width, height, image::ExtendedColorType::L8).unwrap();
}

/// Writes a 0/255 mask PNG.
pub fn write_mask(path: &Path, width: u32, height: u32, inside: impl Fn(u32, u32) -> bool) {
    let data: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| if inside(x, y) { 255 } else { 0 })
        .collect();
    write_gray8(path, width, height, &data);
}

/// A deterministic speckle-like test image.
pub fn speckle(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..width * height)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 256) as u8
        })
        .collect()
}

/// Runs the `sonorad` binary.
pub fn sonorad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .output()
        .unwrap()
}

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Reads a long `feature,value` CSV into pairs.
pub fn read_long(text: &str) -> Vec<(String, f64)> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse::<f64>().unwrap())
        })
        .collect()
}
