//! Test images written as PNG files.

use std::path::Path;

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
