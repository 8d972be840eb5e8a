//! R's `pretty()`: about `n + 1` equally spaced round values covering a range, the tick rule
//! of R's axes and of rms' nomogram axes (`nomogram(..., nint = 10)` spans each continuous
//! predictor over `pretty(range, 10)`).
//!
//! The cell is `(high − low) / n`; the unit is the first of `1, 2, 5, 10 × 10^⌊log10 cell⌋` not
//! too far below the cell, with R's biases toward the larger unit (`high.u.bias = 1.5`, and
//! `u5.bias = 0.5 + 1.5 · 1.5` for the 5); the values run from `⌊low / unit⌋ unit` to
//! `⌈high / unit⌉ unit`, at least `min.n = n %/% 3` intervals. A range of (numerically) zero
//! width gets a cell of `0.75 |x|` divided by `min.n`, as R does. The values are made as R
//! 4.2's `seq.int(from, to, length.out)` makes them (`from + i · by`, the last one `to`), and
//! values within `1e-14` intervals of zero are set to zero.

/// R's rounding tolerance of the end multiples.
const ROUNDING: f64 = 1e-10;
/// `high.u.bias`.
const HIGH_U: f64 = 1.5;
/// `u5.bias = 0.5 + 1.5 · high.u.bias`.
const U5: f64 = 0.5 + 1.5 * HIGH_U;
/// `shrink.sml`.
const SHRINK_SMALL: f64 = 0.75;

/// `pretty(c(low, high), n)` with R's defaults; empty when an end is not finite.
pub fn pretty(low: f64, high: f64, n: usize) -> Vec<f64> {
    // R keeps the finite values only
    let finite: Vec<f64> = [low, high].into_iter().filter(|v| v.is_finite()).collect();
    let (Some(&a), Some(&b)) = (finite.first(), finite.last()) else {
        return Vec::new();
    };
    let (low, high) = (a.min(b), a.max(b));
    let min_n = n / 3;
    let (from, to, intervals) = bounds(low, high, n, min_n);
    let mut values = sequence(from, to, intervals + 1);
    if intervals > 0 {
        let delta = (to - from) / intervals as f64;
        for v in &mut values {
            if v.abs() < 1e-14 * delta {
                *v = 0.0;
            }
        }
    }
    values
}

/// R's `R_pretty` with `bounds = TRUE`: the first and last value and the number of intervals.
fn bounds(low: f64, high: f64, n: usize, min_n: usize) -> (f64, f64, usize) {
    let dx = high - low;
    let (mut cell, small) = if dx == 0.0 && high == 0.0 {
        (1.0, true)
    } else {
        let cell = low.abs().max(high.abs());
        // upper bound on cell / unit, times 3 for the several calculations
        let u = 1.0
            + if U5 >= 1.5 * HIGH_U + 0.5 {
                1.0 / (1.0 + HIGH_U)
            } else {
                1.5 / (1.0 + U5)
            };
        let u = u * n.max(1) as f64 * f64::EPSILON;
        (cell, dx < cell * u * 3.0)
    };
    if small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= SHRINK_SMALL;
        if min_n > 1 {
            cell /= min_n as f64;
        }
    } else {
        cell = dx;
        if n > 1 {
            cell /= n as f64;
        }
    }
    // R's f.min = 2^-20 floor on a subnormal cell
    cell = cell.max(2f64.powi(-20) * f64::MIN_POSITIVE);
    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    if 2.0 * base - cell < HIGH_U * (cell - unit) {
        unit = 2.0 * base;
        if 5.0 * base - cell < U5 * (cell - unit) {
            unit = 5.0 * base;
            if 10.0 * base - cell < HIGH_U * (cell - unit) {
                unit = 10.0 * base;
            }
        }
    }
    let mut ns = (low / unit + ROUNDING).floor();
    let mut nu = (high / unit - ROUNDING).ceil();
    while ns * unit > low + ROUNDING * unit {
        ns -= 1.0;
    }
    while nu * unit < high - ROUNDING * unit {
        nu += 1.0;
    }
    let k = (0.5 + nu - ns) as usize;
    let intervals = if k < min_n {
        let missing = (min_n - k) as f64;
        let half = (missing / 2.0).floor();
        let odd = missing - 2.0 * half;
        if ns >= 0.0 {
            nu += half;
            ns -= half + odd;
        } else {
            ns -= half;
            nu += half + odd;
        }
        min_n
    } else {
        k
    };
    // bounds = TRUE: the ends cover the original range
    let from = if ns * unit < low { ns * unit } else { low };
    let to = if nu * unit > high { nu * unit } else { high };
    (from, to, intervals)
}

/// R's (4.2) `seq.int(from, to, length.out = count)`: `from + i · by`, the last value `to`.
pub fn sequence(from: f64, to: f64, count: usize) -> Vec<f64> {
    if count == 1 {
        return vec![from];
    }
    let by = (to - from) / (count - 1) as f64;
    (0..count)
        .map(|i| {
            if i == count - 1 {
                to
            } else {
                from + i as f64 * by
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_examples() {
        // R 4.2: pretty(c(-1.116, 0.798), 10); pretty(c(34, 81), 10); pretty(c(0, 1))
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
        };
        let radscore = pretty(-1.116, 0.798, 10);
        let expected: Vec<f64> = (0..11).map(|k| -1.2 + 0.2 * k as f64).collect();
        assert!(close(&radscore, &expected), "{radscore:?}");
        assert_eq!(pretty(-1.116, 0.798, 10)[6], 0.0);
        let age = pretty(34.0, 81.0, 10);
        let expected: Vec<f64> = (0..12).map(|k| 30.0 + 5.0 * k as f64).collect();
        assert_eq!(age, expected);
        // R: 0.60000000000000009 (3 × 0.2), not 0.6
        assert_eq!(
            pretty(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 3.0 * 0.2, 0.8, 1.0]
        );
        assert!(pretty(f64::NAN, f64::INFINITY, 5).is_empty());
        // R drops a non-finite end: pretty(c(NaN, 1)) = pretty(1)
        assert_eq!(pretty(f64::NAN, 1.0, 5), pretty(1.0, 1.0, 5));
    }
}
