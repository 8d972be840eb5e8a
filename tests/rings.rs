//! Peritumoral rings against an independent brute-force distance computation.
//!
//! A ring of width `w` holds the pixels outside the tumour whose Euclidean distance to the
//! nearest tumour pixel is > 0 and <= w, clipped to the image. The brute force below checks every
//! pixel against every tumour pixel.

use sonorad::roi::{ring, squared_distance_transform, Region, RingWidth};

#[path = "common/lcg.rs"]
mod lcg;
use lcg::Lcg;

/// A mask of a few random blobs (possibly touching the border, possibly several parts).
fn random_mask(rng: &mut Lcg, width: usize, height: usize) -> Vec<bool> {
    let mut mask = vec![false; width * height];
    for _ in 0..1 + rng.below(3) {
        let (cx, cy) = (
            rng.below(width as u64) as f64,
            rng.below(height as u64) as f64,
        );
        let (rx, ry) = (1.0 + rng.below(8) as f64, 1.0 + rng.below(8) as f64);
        for y in 0..height {
            for x in 0..width {
                let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
                if dx * dx + dy * dy <= 1.0 {
                    mask[y * width + x] = true;
                }
            }
        }
    }
    mask
}

fn brute_force_ring(mask: &[bool], width: usize, height: usize, w: f64) -> Vec<bool> {
    let tumour: Vec<(i64, i64)> = (0..width * height)
        .filter(|&p| mask[p])
        .map(|p| ((p % width) as i64, (p / width) as i64))
        .collect();
    (0..width * height)
        .map(|p| {
            let (x, y) = ((p % width) as i64, (p / width) as i64);
            let d2 = tumour
                .iter()
                .map(|&(tx, ty)| (tx - x) * (tx - x) + (ty - y) * (ty - y))
                .min()
                .unwrap();
            d2 > 0 && (d2 as f64).sqrt() <= w
        })
        .collect()
}

#[test]
fn rings_match_brute_force() {
    let mut rng = Lcg(2024);
    let mut checked = 0;
    for case in 0..60 {
        let (width, height) = (8 + rng.below(40) as usize, 8 + rng.below(40) as usize);
        let mask = random_mask(&mut rng, width, height);
        let Some(tumor) = Region::from_full_mask("tumor", &mask, width, height) else {
            continue;
        };
        for w in [1.0, 1.5, 2.0, 2.9, 3.0, 5.0, 7.3] {
            let expected = brute_force_ring(&mask, width, height, w);
            let got = ring(&tumor, "ring", w, width, height)
                .map(|r| r.to_full_mask(width, height))
                .unwrap_or_else(|| vec![false; width * height]);
            assert_eq!(got, expected, "case {case}, {width}x{height}, width {w}");
            checked += 1;
        }
    }
    assert!(checked > 300);
}

#[test]
fn distance_transform_is_exact() {
    let mut rng = Lcg(7);
    for _ in 0..30 {
        let (width, height) = (5 + rng.below(30) as usize, 5 + rng.below(30) as usize);
        let mask = random_mask(&mut rng, width, height);
        if !mask.contains(&true) {
            continue;
        }
        let d = squared_distance_transform(&mask, width, height);
        for (p, &distance) in d.iter().enumerate() {
            let (x, y) = ((p % width) as i64, (p / width) as i64);
            let best = (0..width * height)
                .filter(|&q| mask[q])
                .map(|q| {
                    let (qx, qy) = ((q % width) as i64, (q / width) as i64);
                    (qx - x).pow(2) + (qy - y).pow(2)
                })
                .min()
                .unwrap();
            assert_eq!(distance, best);
        }
    }
}

#[test]
fn width_in_mm_lands_exactly_on_whole_pixels() {
    // 0.3 mm at 0.1 mm per pixel is 3 pixels: a pixel exactly 3 px away belongs to the ring,
    // although 0.3 / 0.1 is 2.9999999999999996 in floating point.
    let px = RingWidth::Millimetres(0.3).in_pixels(Some(0.1)).unwrap();
    assert!(px < 3.0);
    let (width, height) = (80, 5);
    let mask: Vec<bool> = (0..width * height).map(|p| p % width == 0).collect();
    let tumor = Region::from_full_mask("tumor", &mask, width, height).unwrap();
    let r = ring(&tumor, "ring0.3mm", px, width, height)
        .unwrap()
        .to_full_mask(width, height);
    assert!(r[3], "pixel at exactly 3 px must be in the ring");
    assert!(!r[4]);
}

#[test]
fn ring_is_clipped_to_the_image() {
    let (width, height) = (20, 20);
    let mask: Vec<bool> = (0..width * height)
        .map(|p| p % width < 2 && p / width < 2)
        .collect();
    let tumor = Region::from_full_mask("tumor", &mask, width, height).unwrap();
    let r = ring(&tumor, "ring", 3.0, width, height).unwrap();
    assert_eq!((r.x0, r.y0), (0, 0));
    assert_eq!(
        r.to_full_mask(width, height),
        brute_force_ring(&mask, width, height, 3.0)
    );
}
