//! Gray Level Co-occurrence Matrix (GLCM) features, 24 of them.
//!
//! The GLCM of angle `a` counts pairs of region pixels `(x, x + a)` with gray levels `(i, j)`, for
//! the four in-plane angles at distance 1 (see [`crate::matrix::GLCM_ANGLES`]) or the angles of
//! another [`crate::matrix::Neighbourhood`]. Backends store the
//! asymmetric counts `C_a(i, j)`; here the matrix is made symmetric, `P_a = C_a + C_aᵀ`, and
//! normalised per angle, `p_a = P_a / Σ P_a`. Features are computed per angle and averaged with
//! `nanmean`; angles without any pair are dropped (PyRadiomics deletes empty angles).
//!
//! Let `g_i` be the gray level of row `i` (only levels present in the region have rows),
//! `Ng` the maximum gray level, `ε` machine epsilon, and per angle:
//! * `p_x(i) = Σ_j p(i,j)`, `p_y(j) = Σ_i p(i,j)`, `μ_x = Σ g_i p(i,j)`, `μ_y = Σ g_j p(i,j)`,
//! * `p_{x+y}(k) = Σ_{g_i+g_j=k} p(i,j)` for `k = 2..2Ng`,
//! * `p_{x-y}(k) = Σ_{|g_i-g_j|=k} p(i,j)` for `k = 0..Ng-1`,
//! * `HX`, `HY` the entropies of `p_x`, `p_y`; `HXY = -Σ p log2(p + ε)`,
//!   `HXY1 = -Σ p(i,j) log2(p_x(i) p_y(j) + ε)`, `HXY2 = -Σ p_x(i) p_y(j) log2(p_x(i) p_y(j) + ε)`.

use nalgebra::DMatrix;

use super::{average_angles, named, nanmean, plogp, Feature, FormulaOptions, EPS};
use crate::matrix::GLCM_ANGLES;

/// Co-occurrence counts of a region: `counts[a][i][j]` (angle-major, then row `i`, column `j`),
/// asymmetric, indexed by the rank of the gray level among the levels present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlcmMatrix {
    /// Number of gray levels present (matrix side).
    pub levels: usize,
    /// The angles `(dy, dx)`, in the order of the counts ([`GLCM_ANGLES`] by default).
    pub angles: Vec<(isize, isize)>,
    /// `angles.len() * levels * levels` counts.
    pub counts: Vec<u32>,
}

impl GlcmMatrix {
    /// An all-zero matrix for `levels` gray levels and the four default angles.
    pub fn zeros(levels: usize) -> Self {
        GlcmMatrix::zeros_with(levels, GLCM_ANGLES.to_vec())
    }

    /// An all-zero matrix for `levels` gray levels and `angles`.
    pub fn zeros_with(levels: usize, angles: Vec<(isize, isize)>) -> Self {
        GlcmMatrix {
            levels,
            counts: vec![0; angles.len() * levels * levels],
            angles,
        }
    }
}

/// Feature names in output order (PyRadiomics names).
pub const NAMES: [&str; 24] = [
    "Autocorrelation",
    "JointAverage",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "JointEnergy",
    "JointEntropy",
    "Imc1",
    "Imc2",
    "Idm",
    "MCC",
    "Idmn",
    "Id",
    "Idn",
    "InverseVariance",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
    "SumSquares",
];

const MCC: usize = super::position(&NAMES, "MCC");
const JOINT_AVERAGE: usize = super::position(&NAMES, "JointAverage");

/// All GLCM features of a region. `gray` holds the gray level `g_i` of each rank, `ng` is `Ng`;
/// `options` say whether the counts are made symmetric and how the angles are combined,
/// `spacing` is the pixel spacing `(s_y, s_x)` the angle weights read.
pub fn features(
    matrix: &GlcmMatrix,
    gray: &[u32],
    ng: u32,
    options: &FormulaOptions,
    spacing: (f64, f64),
) -> Vec<Feature> {
    let l = matrix.levels;
    let rows: Vec<[f64; 24]> = angle_matrices(matrix, options, spacing)
        .into_iter()
        .map(|p| angle_features(&p, l, gray, ng))
        .collect();
    let mut values = if rows.is_empty() {
        [f64::NAN; 24]
    } else {
        let mut v = average_angles(&rows);
        // Joint average: PyRadiomics takes the plain mean of μ_x over angles.
        v[JOINT_AVERAGE] = rows.iter().map(|r| r[JOINT_AVERAGE]).sum::<f64>() / rows.len() as f64;
        v
    };
    values[MCC] = mcc_over_angles(l, rows.iter().map(|r| r[MCC]));
    named("glcm", &NAMES, values)
}

/// The normalised matrices `p` (`l x l`) the features read: one per angle with a pair, in
/// angle order; or, with a weighting norm, the one matrix `Σ_a w_a P_a` (none when it is
/// empty). `P_a` is `C_a + C_aᵀ` for a symmetrical GLCM, else `C_a`.
fn angle_matrices(
    matrix: &GlcmMatrix,
    options: &FormulaOptions,
    spacing: (f64, f64),
) -> Vec<Vec<f64>> {
    let l = matrix.levels;
    let cell = |counts: &[u32], i: usize, j: usize| -> f64 {
        if options.symmetrical_glcm {
            f64::from(counts[i * l + j] + counts[j * l + i])
        } else {
            f64::from(counts[i * l + j])
        }
    };
    let unnormalised: Vec<Vec<f64>> = matrix
        .counts
        .chunks_exact(l * l)
        .map(|counts| {
            (0..l * l)
                .map(|k| cell(counts, k / l, k % l))
                .collect::<Vec<f64>>()
        })
        .collect();
    let combined = match options.weighting_norm {
        None => unnormalised,
        Some(norm) => {
            let mut sum = vec![0.0; l * l];
            for (p, &angle) in unnormalised.iter().zip(&matrix.angles) {
                let w = norm.glcm_weight(angle, spacing);
                for (s, v) in sum.iter_mut().zip(p) {
                    *s += v * w;
                }
            }
            vec![sum]
        }
    };
    combined
        .into_iter()
        .filter_map(|mut p| {
            let total: f64 = p.iter().sum();
            if total == 0.0 {
                return None;
            }
            p.iter_mut().for_each(|v| *v /= total);
            Some(p)
        })
        .collect()
}

/// MCC from each angle's value (NaN for an angle without pairs) of a matrix over `levels` gray
/// levels: their mean without the NaN, as every GLCM feature is averaged; 1 when there are fewer
/// than two levels, as PyRadiomics gives. Texture maps on a device average their angles here.
pub fn mcc_over_angles(levels: usize, angles: impl IntoIterator<Item = f64>) -> f64 {
    if levels < 2 {
        return 1.0;
    }
    nanmean(angles)
}

/// The 24 features of one normalised, symmetric angle matrix `p` (`l x l`).
fn angle_features(p: &[f64], l: usize, gray: &[u32], ng: u32) -> [f64; 24] {
    let g: Vec<f64> = gray.iter().map(|&v| f64::from(v)).collect();
    let ngf = f64::from(ng);
    let (mut px, mut py) = (vec![0.0; l], vec![0.0; l]);
    let (mut ux, mut uy) = (0.0, 0.0);
    let mut sum_k = vec![0.0; 2 * ng as usize + 1];
    let mut diff_k = vec![0.0; ng as usize];
    for i in 0..l {
        for j in 0..l {
            let v = p[i * l + j];
            px[i] += v;
            py[j] += v;
            ux += g[i] * v;
            uy += g[j] * v;
            sum_k[(gray[i] + gray[j]) as usize] += v;
            diff_k[gray[i].abs_diff(gray[j]) as usize] += v;
        }
    }
    let (mut autocorrelation, mut prominence, mut shade, mut tendency) = (0.0, 0.0, 0.0, 0.0);
    let (mut contrast, mut energy, mut hxy, mut hxy1, mut hxy2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut varx, mut vary, mut covariance, mut max_probability) = (0.0, 0.0, 0.0, 0.0f64);
    for i in 0..l {
        for j in 0..l {
            let v = p[i * l + j];
            // HXY2 term, which reads the marginals only: 0 (skipped) when one is 0
            let marginals = px[i] * py[j];
            if marginals != 0.0 {
                hxy2 -= plogp(marginals);
            }
            // every other term is a multiple of p(i,j): an empty cell adds nothing (a texture
            // map's kernel leaves most cells of its region's levels empty)
            if v == 0.0 {
                continue;
            }
            let cluster = g[i] + g[j] - ux - uy;
            // Autocorrelation: Σ p(i,j) g_i g_j
            autocorrelation += v * (g[i] * g[j]);
            // Cluster prominence: Σ p (g_i + g_j - μ_x - μ_y)^4
            prominence += v * cluster.powf(4.0);
            // Cluster shade: Σ p (g_i + g_j - μ_x - μ_y)^3
            shade += v * cluster.powf(3.0);
            // Cluster tendency: Σ p (g_i + g_j - μ_x - μ_y)^2
            tendency += v * (cluster * cluster);
            // Contrast: Σ p (g_i - g_j)^2
            let d = (g[i] - g[j]).abs();
            contrast += v * (d * d);
            // Joint energy: Σ p^2
            energy += v * v;
            // Joint entropy HXY
            hxy -= plogp(v);
            hxy1 -= v * (marginals + EPS).log2();
            varx += v * ((g[i] - ux) * (g[i] - ux));
            vary += v * ((g[j] - uy) * (g[j] - uy));
            covariance += v * (g[i] - ux) * (g[j] - uy);
            max_probability = max_probability.max(v);
        }
    }
    // Correlation: (Σ p (g_i-μ_x)(g_j-μ_y)) / (σ_x σ_y), 1 when σ_x σ_y = 0
    let (sigx, sigy) = (varx.sqrt(), vary.sqrt());
    let correlation = if sigx * sigy == 0.0 {
        1.0
    } else {
        covariance / (sigx * sigy + EPS)
    };
    let (mut difference_average, mut difference_entropy) = (0.0, 0.0);
    let (mut idm, mut idmn, mut id, mut idn, mut inverse_variance) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &v) in diff_k.iter().enumerate() {
        let kf = k as f64;
        // Difference average: Σ k p_{x-y}(k)
        difference_average += kf * v;
        // Difference entropy: -Σ p_{x-y} log2(p_{x-y} + ε)
        difference_entropy -= plogp(v);
        // Inverse difference moment: Σ p_{x-y}(k) / (1 + k^2)
        idm += v / (1.0 + kf * kf);
        // Inverse difference moment normalised: Σ p_{x-y}(k) / (1 + k^2 / Ng^2)
        idmn += v / (1.0 + kf * kf / (ngf * ngf));
        // Inverse difference: Σ p_{x-y}(k) / (1 + k)
        id += v / (1.0 + kf);
        // Inverse difference normalised: Σ p_{x-y}(k) / (1 + k / Ng)
        idn += v / (1.0 + kf / ngf);
        // Inverse variance: Σ_{k>0} p_{x-y}(k) / k^2
        if k > 0 {
            inverse_variance += v / (kf * kf);
        }
    }
    // Difference variance: Σ p_{x-y}(k) (k - DA)^2
    let difference_variance: f64 = diff_k
        .iter()
        .enumerate()
        .map(|(k, &v)| v * ((k as f64 - difference_average) * (k as f64 - difference_average)))
        .sum();
    let (mut sum_average, mut sum_entropy) = (0.0, 0.0);
    for (k, &v) in sum_k.iter().enumerate().skip(2) {
        // Sum average: Σ k p_{x+y}(k)
        sum_average += k as f64 * v;
        // Sum entropy: -Σ p_{x+y} log2(p_{x+y} + ε)
        sum_entropy -= plogp(v);
    }
    let hx: f64 = -px.iter().map(|&v| plogp(v)).sum::<f64>();
    let hy: f64 = -py.iter().map(|&v| plogp(v)).sum::<f64>();
    // Informational measure of correlation 1: (HXY - HXY1) / max(HX, HY), 0 when the max is 0
    let divisor = hx.max(hy);
    let imc1 = if divisor != 0.0 {
        (hxy - hxy1) / divisor
    } else {
        0.0
    };
    // Informational measure of correlation 2: sqrt(1 - e^{-2 (HXY2 - HXY)}), 0 when HXY2 = HXY
    let imc2 = if hxy2 == hxy {
        0.0
    } else {
        (1.0 - std::f64::consts::E.powf(-2.0 * (hxy2 - hxy))).sqrt()
    };
    // Sum of squares: Σ p (g_i - μ_x)^2
    let sum_squares = varx;
    [
        autocorrelation,
        ux,
        prominence,
        shade,
        tendency,
        contrast,
        correlation,
        difference_average,
        difference_entropy,
        difference_variance,
        energy,
        hxy,
        imc1,
        imc2,
        idm,
        maximal_correlation_coefficient(p, &px, &py, l),
        idmn,
        id,
        idn,
        inverse_variance,
        max_probability,
        sum_average,
        sum_entropy,
        sum_squares,
    ]
}

/// Largest matrix side for which MCC uses the general eigensolver on `Q` itself.
const MCC_GENERAL_LIMIT: usize = 256;

/// QR iterations the general eigensolver may take per gray level before MCC falls back to the
/// symmetric route (LAPACK's `geev`, which numpy calls, allows 30 per eigenvalue).
const MCC_ITERATIONS_PER_LEVEL: usize = 30;

/// Maximal correlation coefficient: `sqrt` of the second largest eigenvalue of
/// `Q(i,j) = Σ_k p(i,k) p(j,k) / (p_x(i) p_y(k) + ε)`.
///
/// Up to 256 gray levels the eigenvalues of `Q` are computed directly (general solver, sorted as
/// numpy sorts complex numbers), within [`MCC_ITERATIONS_PER_LEVEL`] iterations per level; when
/// that does not converge (near-degenerate eigenvalues of thin regions), and beyond 256 levels,
/// where the general solver takes seconds per angle, MCC comes from
/// [`symmetric_mcc`] instead. A tiny negative eigenvalue from rounding gives 0, as the real part
/// of numpy's complex square root does.
fn maximal_correlation_coefficient(p: &[f64], px: &[f64], py: &[f64], l: usize) -> f64 {
    if l < 2 {
        return 1.0;
    }
    // a level absent from the matrix (a texture map's kernel lacks some of its region's levels)
    // is a zero row and column of Q: an eigenvalue 0, and no part of the others
    let present: Vec<usize> = (0..l).filter(|&i| px[i] > 0.0 || py[i] > 0.0).collect();
    let n = present.len();
    if l <= MCC_GENERAL_LIMIT && n >= 2 {
        let at = |i: usize, k: usize| p[present[i] * l + present[k]];
        let weights = DMatrix::<f64>::from_fn(n, n, |i, k| {
            at(i, k) / (px[present[i]] * py[present[k]] + EPS)
        });
        let pairs = DMatrix::<f64>::from_fn(n, n, |k, j| at(j, k));
        let q = weights * pairs;
        let bound = MCC_ITERATIONS_PER_LEVEL * n;
        if let Some(schur) = nalgebra::Schur::try_new(q, f64::EPSILON, bound) {
            let mut complex: Vec<nalgebra::Complex<f64>> =
                schur.complex_eigenvalues().iter().copied().collect();
            complex.resize(l, nalgebra::Complex::new(0.0, 0.0));
            complex.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
            return complex[l - 2].sqrt().re;
        }
    }
    symmetric_mcc(p, px, py, l)
}

/// MCC from `Q` without `ε` through its symmetric similar matrix `S = M Mᵀ`,
/// `M = D_x^{-1/2} P D_y^{-1/2}` (`Q = D_x^{-1/2} S D_x^{1/2}`), whose real eigenvalues a
/// symmetric solver finds quickly and always; rows with `p_x = 0` are zero in `Q` and contribute
/// eigenvalue 0.
fn symmetric_mcc(p: &[f64], px: &[f64], py: &[f64], l: usize) -> f64 {
    let rows: Vec<usize> = (0..l).filter(|&i| px[i] > 0.0).collect();
    let columns: Vec<usize> = (0..l).filter(|&k| py[k] > 0.0).collect();
    let m = DMatrix::<f64>::from_fn(rows.len(), columns.len(), |a, b| {
        let (i, k) = (rows[a], columns[b]);
        p[i * l + k] / (px[i] * py[k]).sqrt()
    });
    let mut eigenvalues: Vec<f64> = (&m * m.transpose())
        .symmetric_eigenvalues()
        .iter()
        .copied()
        .collect();
    eigenvalues.resize(l, 0.0);
    eigenvalues.sort_by(f64::total_cmp);
    eigenvalues[l - 2].max(0.0).sqrt()
}
