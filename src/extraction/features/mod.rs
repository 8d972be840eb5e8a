//! The seven 2D feature classes of PyRadiomics 3.0.1, 102 features per region.
//!
//! Each class lives in its own file with the matrix it reads and the formulas that read it.
//! Formulas exist exactly once; both matrix backends (CPU and GPU) feed them.

mod emphasis;
pub mod firstorder;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;
pub mod shape2d;

/// The log epsilon of PyRadiomics: machine epsilon of f64 (`numpy.spacing(1)`).
pub const EPS: f64 = f64::EPSILON;

/// One named feature value of a region.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// PyRadiomics class name: `firstorder`, `shape2D`, `glcm`, `glrlm`, `glszm`, `gldm`, `ngtdm`.
    pub class: &'static str,
    /// PyRadiomics feature name in PascalCase, e.g. `Contrast`.
    pub name: &'static str,
    /// The value (NaN where PyRadiomics gives NaN).
    pub value: f64,
}

/// Pairs a class's names with its values.
pub(crate) fn named<const N: usize>(
    class: &'static str,
    names: &[&'static str; N],
    values: [f64; N],
) -> Vec<Feature> {
    names
        .iter()
        .zip(values)
        .map(|(&name, value)| Feature { class, name, value })
        .collect()
}

/// Mean over angles ignoring NaN (`numpy.nanmean`); NaN when no angle has a value.
pub(crate) fn nanmean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values.into_iter().filter(|v| !v.is_nan()) {
        sum += v;
        n += 1;
    }
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

/// Averages per-angle feature rows with `nanmean`, feature by feature.
pub(crate) fn average_angles<const N: usize>(per_angle: &[[f64; N]]) -> [f64; N] {
    std::array::from_fn(|k| nanmean(per_angle.iter().map(|row| row[k])))
}

/// Sum of values in numpy's order (`numpy.sum` of a contiguous float64 array): blocks of 8192
/// (the ufunc buffer), each summed pairwise, added to `-0.0`. Matching the order keeps first-order
/// statistics within a few ulps of PyRadiomics instead of `n ε`.
pub(crate) fn numpy_sum(values: &[f64]) -> f64 {
    numpy_sum_of(values, |v| v)
}

/// [`numpy_sum`] of `term(v)` over the values, as numpy sums the array of terms, without making
/// that array.
pub(crate) fn numpy_sum_of(values: &[f64], term: impl Fn(f64) -> f64 + Copy) -> f64 {
    values
        .chunks(8192)
        .fold(-0.0, |total, chunk| total + pairwise_sum(chunk, term))
}

/// numpy's pairwise summation of `term(v)`: 8 interleaved partial sums up to 128 values,
/// halving above.
fn pairwise_sum(a: &[f64], term: impl Fn(f64) -> f64 + Copy) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |s, &v| s + term(v))
    } else if n <= 128 {
        let mut r: [f64; 8] = std::array::from_fn(|j| term(a[j]));
        let whole = n - n % 8;
        for block in a[8..whole].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(block) {
                *acc += term(v);
            }
        }
        let head = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        a[whole..].iter().fold(head, |s, &v| s + term(v))
    } else {
        let half = n / 2;
        let half = half - half % 8;
        pairwise_sum(&a[..half], term) + pairwise_sum(&a[half..], term)
    }
}

/// `p log2(p + eps)`: one term of a (negated) Shannon entropy in bits.
#[inline]
pub(crate) fn plogp(p: f64) -> f64 {
    p * (p + EPS).log2()
}
/// Position of feature `name` in a class's `names`, found when compiling (a misspelt name
/// does not compile), so that code reads a value by its name, not by a positional constant.
pub(crate) const fn position(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        let (a, b) = (names[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no feature of that name")
}
