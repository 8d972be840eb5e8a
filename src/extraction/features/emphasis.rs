//! Formulas shared by the three "gray level x size" matrices: GLRLM (size = run length),
//! GLSZM (size = zone size) and GLDM (size = dependence count). PyRadiomics defines the same
//! quantities on each, under class-specific names; they are written here once.
//!
//! Let `P(i, j)` be the count of gray-level rank `i` and size `s_j`, `N = Σ P` (runs, zones, or
//! pixels), `p_g(i) = Σ_j P(i,j)`, `p_s(j) = Σ_i P(i,j)`, `N_p = Σ_j s_j p_s(j)`, and `g_i` the gray
//! level of rank `i`.

use super::plogp;

/// The shared quantities of one size matrix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Emphasis {
    /// Small size emphasis: `Σ p_s(j) / s_j² / N`.
    pub small: f64,
    /// Large size emphasis: `Σ p_s(j) s_j² / N`.
    pub large: f64,
    /// Gray level non-uniformity: `Σ p_g(i)² / N`.
    pub gray_nonuniformity: f64,
    /// Gray level non-uniformity normalised: `Σ p_g(i)² / N²`.
    pub gray_nonuniformity_normalized: f64,
    /// Size non-uniformity: `Σ p_s(j)² / N`.
    pub size_nonuniformity: f64,
    /// Size non-uniformity normalised: `Σ p_s(j)² / N²`.
    pub size_nonuniformity_normalized: f64,
    /// Percentage: `N / N_p`.
    pub percentage: f64,
    /// Gray level variance: `Σ p_g/N (g_i - μ_g)²`, `μ_g = Σ p_g/N g_i`.
    pub gray_variance: f64,
    /// Size variance: `Σ p_s/N (s_j - μ_s)²`, `μ_s = Σ p_s/N s_j`.
    pub size_variance: f64,
    /// Entropy: `-Σ P/N log2(P/N + ε)`.
    pub entropy: f64,
    /// Low gray level emphasis: `Σ p_g(i) / g_i² / N`.
    pub low_gray: f64,
    /// High gray level emphasis: `Σ p_g(i) g_i² / N`.
    pub high_gray: f64,
    /// Small size low gray level emphasis: `Σ P / (g_i² s_j²) / N`.
    pub small_low_gray: f64,
    /// Small size high gray level emphasis: `Σ P g_i² / s_j² / N`.
    pub small_high_gray: f64,
    /// Large size low gray level emphasis: `Σ P s_j² / g_i² / N`.
    pub large_low_gray: f64,
    /// Large size high gray level emphasis: `Σ P s_j² g_i² / N`.
    pub large_high_gray: f64,
}

/// Computes the shared quantities from the non-zero entries `(rank, size, count)`, the marginal
/// `p_g` (by rank), the marginal `p_s` as `(size, count)` pairs, and the gray level of each rank.
pub(crate) fn emphasis(
    entries: &[(usize, f64, f64)],
    pg: &[f64],
    ps: &[(f64, f64)],
    gray: &[f64],
) -> Emphasis {
    let n: f64 = pg.iter().sum();
    let (mut small, mut large, mut size_nu, mut np) = (0.0, 0.0, 0.0, 0.0);
    for &(s, v) in ps {
        small += v / (s * s);
        large += v * (s * s);
        size_nu += v * v;
        np += v * s;
    }
    let (mut gray_nu, mut low_gray, mut high_gray) = (0.0, 0.0, 0.0);
    for (&v, &g) in pg.iter().zip(gray) {
        gray_nu += v * v;
        low_gray += v / (g * g);
        high_gray += v * (g * g);
    }
    let mean_gray: f64 = pg.iter().zip(gray).map(|(&v, &g)| v / n * g).sum();
    let gray_variance: f64 = pg
        .iter()
        .zip(gray)
        .map(|(&v, &g)| v / n * ((g - mean_gray) * (g - mean_gray)))
        .sum();
    let mean_size: f64 = ps.iter().map(|&(s, v)| v / n * s).sum();
    let size_variance: f64 = ps
        .iter()
        .map(|&(s, v)| v / n * ((s - mean_size) * (s - mean_size)))
        .sum();
    let (mut entropy, mut slg, mut shg, mut llg, mut lhg) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, s, c) in entries {
        let (g2, s2) = (gray[i] * gray[i], s * s);
        entropy -= plogp(c / n);
        slg += c / (g2 * s2);
        shg += c * g2 / s2;
        llg += c * s2 / g2;
        lhg += c * (s2 * g2);
    }
    Emphasis {
        small: small / n,
        large: large / n,
        gray_nonuniformity: gray_nu / n,
        gray_nonuniformity_normalized: gray_nu / (n * n),
        size_nonuniformity: size_nu / n,
        size_nonuniformity_normalized: size_nu / (n * n),
        percentage: n / np,
        gray_variance,
        size_variance,
        entropy,
        low_gray: low_gray / n,
        high_gray: high_gray / n,
        small_low_gray: slg / n,
        small_high_gray: shg / n,
        large_low_gray: llg / n,
        large_high_gray: lhg / n,
    }
}
