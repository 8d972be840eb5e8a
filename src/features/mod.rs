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

/// `p log2(p + eps)`: one term of a (negated) Shannon entropy in bits.
#[inline]
pub(crate) fn plogp(p: f64) -> f64 {
    p * (p + EPS).log2()
}
