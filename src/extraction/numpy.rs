//! numpy's summation order, which PyRadiomics' statistics inherit: sums taken in the same
//! order keep sonorad's values within a few ulps of PyRadiomics' instead of `n ε`. Used by the
//! pre-processing (normalisation, resegmentation) and by the first-order formulas.

/// Sum of values in numpy's order (`numpy.sum` of a contiguous float64 array): blocks of 8192
/// (the ufunc buffer), each summed pairwise, added to `-0.0`. Matching the order keeps first-order
/// statistics within a few ulps of PyRadiomics instead of `n ε`.
pub fn numpy_sum(values: &[f64]) -> f64 {
    numpy_sum_of(values, |v| v)
}

/// [`numpy_sum`] of `term(v)` over the values, as numpy sums the array of terms, without making
/// that array.
pub fn numpy_sum_of(values: &[f64], term: impl Fn(f64) -> f64 + Copy) -> f64 {
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
