//! 2D shape features, 9 of them, from the region mask alone (no gray values).
//!
//! The mask (bounding-box crop padded by one empty pixel on each side) is traced with marching
//! squares: every 2×2 square of pixels with mixed membership contributes line segments between
//! the midpoints of its crossing edges. With `(y, x)` coordinates scaled by the pixel spacing
//! `(s_y, s_x)`:
//! * mesh surface `A = ½ Σ (a_y b_x − b_y a_x)` over segments `a → b` (shoelace formula),
//! * perimeter `P = Σ |b − a|`,
//! * maximum diameter: the largest distance between two segment end points,
//! * `λ_min ≤ λ_max`: eigenvalues of the covariance of the region's pixel coordinates
//!   (divided by `N_p`).
//!
//! The segment table follows PyRadiomics' `cshape.c`, so that segment orientation, and thus the
//! sign and rounding of every sum, is the same.

use super::{named, Feature};

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 9] = [
    "MeshSurface",
    "PixelSurface",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "Sphericity",
    "MaximumDiameter",
    "MajorAxisLength",
    "MinorAxisLength",
    "Elongation",
];

/// Edge midpoints `(y, x)` of a square: top, right, bottom, left.
const EDGE_POINTS: [(f64, f64); 4] = [(0.0, 0.5), (0.5, 1.0), (1.0, 0.5), (0.5, 0.0)];

/// Segments of each square configuration as pairs of edges (at most two segments).
const SEGMENTS: [&[(usize, usize)]; 16] = [
    &[],
    &[(3, 0)],
    &[(0, 1)],
    &[(3, 1)],
    &[(1, 2)],
    &[(1, 2), (3, 0)],
    &[(0, 2)],
    &[(3, 2)],
    &[(2, 3)],
    &[(2, 0)],
    &[(0, 1), (2, 3)],
    &[(2, 1)],
    &[(1, 3)],
    &[(1, 0)],
    &[(0, 3)],
    &[],
];

/// All shape features of a region given by its bounding-box mask (`width * height`, row-major)
/// and pixel spacing `(s_y, s_x)` in mm (1 when not known).
pub fn features(mask: &[bool], width: usize, height: usize, spacing: (f64, f64)) -> Vec<Feature> {
    let (sy, sx) = spacing;
    // Padded mask: one empty pixel around the crop.
    let (pw, ph) = (width + 2, height + 2);
    let mut padded = vec![0u8; pw * ph];
    for (y, row) in mask.chunks_exact(width).enumerate() {
        for (x, &m) in row.iter().enumerate() {
            padded[(y + 1) * pw + x + 1] = u8::from(m);
        }
    }

    let (mut surface, mut perimeter) = (0.0, 0.0);
    // Crossing-edge midpoints, doubled so they are integers: (2y, 2x).
    let mut vertices: Vec<(i64, i64)> = Vec::new();
    for iy in 0..ph - 1 {
        let (top, bottom) = (
            &padded[iy * pw..(iy + 1) * pw],
            &padded[(iy + 1) * pw..(iy + 2) * pw],
        );
        for ix in 0..pw - 1 {
            // Corner bits: p0 (top left), p1 (top right), p2 (bottom right), p3 (bottom left).
            let square = usize::from(top[ix])
                | usize::from(top[ix + 1]) << 1
                | usize::from(bottom[ix + 1]) << 2
                | usize::from(bottom[ix]) << 3;
            if square == 0 || square == 15 {
                continue;
            }
            for &(ea, eb) in SEGMENTS[square] {
                let a = (
                    (iy as f64 + EDGE_POINTS[ea].0) * sy,
                    (ix as f64 + EDGE_POINTS[ea].1) * sx,
                );
                let b = (
                    (iy as f64 + EDGE_POINTS[eb].0) * sy,
                    (ix as f64 + EDGE_POINTS[eb].1) * sx,
                );
                // Twice the signed area of the triangle (origin, a, b)
                surface += a.0 * b.1 - b.0 * a.1;
                // Segment length
                perimeter += ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)).sqrt();
            }
            // The left and bottom edges of each square, when crossed, hold one vertex each.
            let (p0, p3, p2) = (square & 1 != 0, square & 8 != 0, square & 4 != 0);
            if p0 != p3 {
                vertices.push((2 * iy as i64 + 1, 2 * ix as i64));
            }
            if p3 != p2 {
                vertices.push((2 * iy as i64 + 2, 2 * ix as i64 + 1));
            }
        }
    }
    // Mesh surface: ½ Σ cross products
    let surface = surface / 2.0;
    let diameter = max_diameter(&vertices, sy, sx);

    let (pixels, lambda_min, lambda_max) = coordinate_eigenvalues(mask, width, height, sy, sx);
    named(
        "shape2D",
        &NAMES,
        [
            surface,
            // Pixel surface: N_p s_y s_x
            pixels as f64 * (sx * sy),
            perimeter,
            // Perimeter to surface ratio: P / A
            perimeter / surface,
            // Sphericity: 2 sqrt(π A) / P
            2.0 * (std::f64::consts::PI * surface).sqrt() / perimeter,
            diameter,
            // Major axis length: 4 sqrt(λ_max)
            lambda_max.sqrt() * 4.0,
            // Minor axis length: 4 sqrt(λ_min)
            lambda_min.sqrt() * 4.0,
            // Elongation: sqrt(λ_min / λ_max)
            (lambda_min / lambda_max).sqrt(),
        ],
    )
}

/// Largest distance between two vertices (given doubled, in index space) after scaling by the
/// spacing. Only convex-hull vertices can be farthest apart, so the pairs are searched there.
fn max_diameter(vertices: &[(i64, i64)], sy: f64, sx: f64) -> f64 {
    let hull = convex_hull(vertices);
    let physical: Vec<(f64, f64)> = hull
        .iter()
        .map(|&(y, x)| ((y as f64 / 2.0) * sy, (x as f64 / 2.0) * sx))
        .collect();
    let mut best = 0.0f64;
    for (k, a) in physical.iter().enumerate() {
        for b in &physical[..k] {
            let (dy, dx) = (a.0 - b.0, a.1 - b.1);
            best = best.max((dy * dy + dx * dx).sqrt());
        }
    }
    best
}

/// Convex hull of integer points (Andrew's monotone chain), collinear points dropped.
fn convex_hull(points: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted = points.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(i64, i64)> = Vec::with_capacity(2 * sorted.len());
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(i64, i64)>> = if pass == 0 {
            Box::new(sorted.iter())
        } else {
            Box::new(sorted.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// Pixel count and eigenvalues `(λ_min, λ_max)` of the covariance of the region's physical pixel
/// coordinates, `C = (1/N_p) Σ (c − c̄)(c − c̄)ᵀ` (PyRadiomics divides each centred coordinate by
/// `sqrt(N_p)` before summing the products, which is the same matrix). The sums are exact
/// integers on pixel indices, e.g. `C_yy = s_y² (N_p Σ y² − (Σ y)²) / N_p²`, so the matrix
/// carries a few roundings in all rather than some per pixel.
fn coordinate_eigenvalues(
    mask: &[bool],
    width: usize,
    height: usize,
    sy: f64,
    sx: f64,
) -> (usize, f64, f64) {
    // N, Σy, Σx, Σy², Σx², Σxy over the region's pixels (index space)
    let (mut n, mut s_y, mut s_x, mut s_yy, mut s_xx, mut s_xy) =
        (0i128, 0i128, 0i128, 0i128, 0i128, 0i128);
    for (y, row) in mask.chunks_exact(width.max(1)).take(height).enumerate() {
        // (a row's Σx² needs 128 bits once rows pass 2^21 pixels)
        let (mut count, mut row_x, mut row_xx) = (0u64, 0u64, 0u128);
        for (x, &m) in row.iter().enumerate() {
            let (m, x) = (u64::from(m), x as u64);
            count += m;
            row_x += m * x;
            row_xx += u128::from(m * x * x);
        }
        let (y, count) = (y as i128, i128::from(count));
        n += count;
        s_y += count * y;
        s_yy += count * y * y;
        s_x += i128::from(row_x);
        s_xx += row_xx as i128;
        s_xy += y * i128::from(row_x);
    }
    let n2 = (n as f64) * (n as f64);
    let cyy = (n * s_yy - s_y * s_y) as f64 / n2 * (sy * sy);
    let cxx = (n * s_xx - s_x * s_x) as f64 / n2 * (sx * sx);
    let cyx = (n * s_xy - s_x * s_y) as f64 / n2 * (sy * sx);
    // Eigenvalues of the symmetric 2×2 matrix [[cyy, cyx], [cyx, cxx]].
    let half_trace = (cyy + cxx) / 2.0;
    let radius = (((cyy - cxx) / 2.0).powi(2) + cyx * cyx).sqrt();
    let lambda_max = half_trace + radius;
    let determinant = cyy * cxx - cyx * cyx;
    let lambda_min = if lambda_max > 0.0 {
        (determinant / lambda_max).max(0.0)
    } else {
        0.0
    };
    (n as usize, lambda_min, lambda_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(features: &[Feature], name: &str) -> f64 {
        features
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
            .unwrap()
    }

    #[test]
    fn square_of_four_pixels() {
        let f = features(&[true; 4], 2, 2, (1.0, 1.0));
        // Marching squares cuts the corners: a 2×2 block becomes an octagon with 4 sides of
        // length 1 and 4 corner cuts of length √0.5, area 4 − 4 · ⅛.
        assert_eq!(value(&f, "PixelSurface"), 4.0);
        assert!((value(&f, "Perimeter") - (4.0 + 4.0 * 0.5f64.sqrt())).abs() < 1e-12);
        assert!((value(&f, "MeshSurface") - 3.5).abs() < 1e-12);
        assert!((value(&f, "MaximumDiameter") - 5.0f64.sqrt()).abs() < 1e-12);
        assert!((value(&f, "Elongation") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn exact_moments_agree_with_the_centred_sums() {
        let (width, height, sy, sx) = (37, 23, 0.3, 0.7);
        let mask: Vec<bool> = (0..width * height).map(|k| (k * 7919) % 11 < 6).collect();
        let points: Vec<(f64, f64)> = (0..width * height)
            .filter(|&k| mask[k])
            .map(|k| ((k / width + 1) as f64 * sy, (k % width + 1) as f64 * sx))
            .collect();
        let n = points.len() as f64;
        let (my, mx) = (
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let c = |f: &dyn Fn(&(f64, f64)) -> f64| points.iter().map(f).sum::<f64>() / n;
        let (cyy, cxx, cyx) = (
            c(&|p| (p.0 - my) * (p.0 - my)),
            c(&|p| (p.1 - mx) * (p.1 - mx)),
            c(&|p| (p.0 - my) * (p.1 - mx)),
        );
        let radius = (((cyy - cxx) / 2.0).powi(2) + cyx * cyx).sqrt();
        let (expected_max, expected_min) = ((cyy + cxx) / 2.0 + radius, (cyy + cxx) / 2.0 - radius);
        let (count, lambda_min, lambda_max) = coordinate_eigenvalues(&mask, width, height, sy, sx);
        assert_eq!(count, points.len());
        assert!((lambda_max - expected_max).abs() < 1e-12 * expected_max);
        assert!((lambda_min - expected_min).abs() < 1e-12 * expected_max);
    }

    #[test]
    fn hull_drops_interior_and_collinear_points() {
        let pts = [(0, 0), (2, 0), (4, 0), (4, 4), (0, 4), (2, 2), (1, 1)];
        let mut hull = convex_hull(&pts);
        hull.sort_unstable();
        assert_eq!(hull, vec![(0, 0), (0, 4), (4, 0), (4, 4)]);
    }
}
