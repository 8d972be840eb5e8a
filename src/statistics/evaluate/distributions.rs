//! Tail probabilities of the normal and chi-square distributions, and the hypergeometric
//! probabilities behind Fisher's exact test.

/// Two-sided normal p value of a z statistic: `erfc(|z| / √2)`.
pub fn normal_two_sided(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Upper tail `P(X ≥ x)` of a chi-square variable with `df` degrees of freedom: the regularized
/// upper incomplete gamma function `Q(df / 2, x / 2)`.
pub fn chi_square_upper(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(df / 2.0, x / 2.0)
}

/// Regularized upper incomplete gamma `Q(a, x)`: series for `x < a + 1`, Lentz continued
/// fraction otherwise (Numerical Recipes §6.2).
fn gamma_q(a: f64, x: f64) -> f64 {
    // log prefactor: −x + a ln x − ln Γ(a)
    let log_prefactor = -x + a * x.ln() - libm::lgamma(a);
    if x < a + 1.0 {
        // series: P(a, x) = e^{…} Σ x^n / (a (a+1) … (a+n))
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut denominator = a;
        for _ in 0..1000 {
            denominator += 1.0;
            term *= x / denominator;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        1.0 - sum * log_prefactor.exp()
    } else {
        // continued fraction for Q(a, x), modified Lentz
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        log_prefactor.exp() * h
    }
}

/// Two-sided Fisher exact p value of the 2×2 table `[[a, b], [c, d]]`: the sum of the
/// hypergeometric probabilities of all tables with the same margins that are no more likely
/// than the observed one (R's `fisher.test` rule, relative tolerance 1e-7).
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let row1 = a + b;
    let col1 = a + c;
    let n = a + b + c + d;
    // log hypergeometric probability of a table with top-left cell x
    let log_probability =
        |x: u64| log_choose(col1, x) + log_choose(n - col1, row1 - x) - log_choose(n, row1);
    let low = row1.saturating_sub(n - col1);
    let high = row1.min(col1);
    let observed = log_probability(a);
    (low..=high)
        .map(log_probability)
        .filter(|&lp| lp <= observed + 1e-7_f64.ln_1p())
        .map(f64::exp)
        .sum::<f64>()
        .min(1.0)
}

/// ln C(n, k).
fn log_choose(n: u64, k: u64) -> f64 {
    libm::lgamma(n as f64 + 1.0) - libm::lgamma(k as f64 + 1.0) - libm::lgamma((n - k) as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_tails_match_tables() {
        // qchisq(0.95, 8) = 15.50731 and qchisq(0.95, 1) = 3.841459 (R)
        assert!((chi_square_upper(15.507_313, 8.0) - 0.05).abs() < 1e-6);
        assert!((chi_square_upper(3.841_459, 1.0) - 0.05).abs() < 1e-6);
        // the series branch: P(X ≥ 2) for df = 8 is 0.9810118 (R: pchisq(2, 8, lower = FALSE))
        assert!((chi_square_upper(2.0, 8.0) - 0.981_011_8).abs() < 1e-6);
    }

    #[test]
    fn fisher_matches_r() {
        // fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value = 0.4857143
        assert!((fisher_exact(3, 1, 1, 3) - 0.485_714_3).abs() < 1e-6);
    }
}
