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

pub(crate) use crate::numpy::{numpy_sum, numpy_sum_of};

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

/// PyRadiomics' `weightingNorm`: the angles' GLCMs (and GLRLMs) are summed into one matrix,
/// each weighted by a function of the length of its angle's step in mm, instead of being
/// averaged feature by feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// `manhattan`: `d = |dy| s_y + |dx| s_x`.
    Manhattan,
    /// `euclidean`: `d = sqrt((dy s_y)² + (dx s_x)²)`.
    Euclidean,
    /// `infinity`: `d = max(|dy| s_y, |dx| s_x)`.
    Infinity,
    /// `no_weighting`: every angle weighs 1 (the angles are summed).
    NoWeighting,
}

impl WeightingNorm {
    /// Every norm, by PyRadiomics' name.
    pub const ALL: [WeightingNorm; 4] = [
        WeightingNorm::Euclidean,
        WeightingNorm::Manhattan,
        WeightingNorm::Infinity,
        WeightingNorm::NoWeighting,
    ];

    /// PyRadiomics' name.
    pub fn name(self) -> &'static str {
        match self {
            WeightingNorm::Manhattan => "manhattan",
            WeightingNorm::Euclidean => "euclidean",
            WeightingNorm::Infinity => "infinity",
            WeightingNorm::NoWeighting => "no_weighting",
        }
    }

    /// The norm PyRadiomics names `name`.
    pub fn from_name(name: &str) -> Option<WeightingNorm> {
        WeightingNorm::ALL.into_iter().find(|n| n.name() == name)
    }

    /// The squared length `d²` of a `(dy, dx)` step with pixel spacing `(s_y, s_x)`, computed
    /// as PyRadiomics computes it for the GLCM's weight `exp(−d²)` (the Euclidean one without a
    /// square root); `None` for `no_weighting`.
    fn squared_length(self, (dy, dx): (isize, isize), (sy, sx): (f64, f64)) -> Option<f64> {
        let (y, x) = (dy.unsigned_abs() as f64 * sy, dx.unsigned_abs() as f64 * sx);
        match self {
            WeightingNorm::Manhattan => Some((y + x) * (y + x)),
            WeightingNorm::Euclidean => Some(y * y + x * x),
            WeightingNorm::Infinity => Some(y.max(x) * y.max(x)),
            WeightingNorm::NoWeighting => None,
        }
    }

    /// The GLCM weight of an angle: `exp(−d²)`, 1 for `no_weighting`.
    pub fn glcm_weight(self, step: (isize, isize), spacing: (f64, f64)) -> f64 {
        self.squared_length(step, spacing)
            .map_or(1.0, |d2| (-d2).exp())
    }

    /// The GLRLM weight of an angle: the length `d` itself, 1 for `no_weighting`.
    pub fn glrlm_weight(self, (dy, dx): (isize, isize), (sy, sx): (f64, f64)) -> f64 {
        let (y, x) = (dy.unsigned_abs() as f64 * sy, dx.unsigned_abs() as f64 * sx);
        match self {
            WeightingNorm::Manhattan => y + x,
            WeightingNorm::Euclidean => (y * y + x * x).sqrt(),
            WeightingNorm::Infinity => y.max(x),
            WeightingNorm::NoWeighting => 1.0,
        }
    }
}

/// Settings of the formulas that PyRadiomics lets a parameter file change; the defaults are
/// PyRadiomics' own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FormulaOptions {
    /// `symmetricalGLCM` (default true): `P_a = C_a + C_aᵀ`; false reads `C_a` as it is.
    pub symmetrical_glcm: bool,
    /// `weightingNorm` (default none): the angles' matrices summed with weights.
    pub weighting_norm: Option<WeightingNorm>,
    /// `voxelArrayShift` `c` (default 0): added to the gray values in first-order Energy, Total
    /// Energy and Root Mean Squared, which a normalised image (negative values) needs.
    pub voxel_array_shift: f64,
}

impl Default for FormulaOptions {
    fn default() -> FormulaOptions {
        FormulaOptions {
            symmetrical_glcm: true,
            weighting_norm: None,
            voxel_array_shift: 0.0,
        }
    }
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
