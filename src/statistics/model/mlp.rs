//! A small multilayer perceptron for binary outcomes (no Rust crate on ndarray 0.16 offers one):
//! one hidden layer of `tanh` units and a logistic output, trained by full-batch Adam.
//!
//! Let `h = tanh(W₁ x + b₁)` (H hidden units) and `p = σ(w₂·h + b₂)`. The loss is scikit-learn's
//! `MLPClassifier` loss: `L = −(1/n) Σ [y log p + (1 − y) log(1 − p)] + (α / 2n) (‖W₁‖² + ‖w₂‖²)`.
//! Weights start from Glorot-uniform values drawn from a seeded generator, so a fit is
//! reproducible from its seed.
//!
//! | Setting | Default | Purpose |
//! | --- | --- | --- |
//! | `hidden` | (grid) | hidden units H |
//! | `alpha` | (grid) | L2 penalty α |
//! | epochs | 500 | full-batch Adam steps |
//! | learning rate | 0.01 | Adam step size (β₁ 0.9, β₂ 0.999, ε 10⁻⁸) |

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::stats::sigmoid;

/// Full-batch Adam steps.
const EPOCHS: usize = 500;
/// Adam step size.
const LEARNING_RATE: f64 = 0.01;

/// A fitted perceptron.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Hidden weights, H × p.
    pub w1: Array2<f64>,
    /// Hidden biases, H.
    pub b1: Array1<f64>,
    /// Output weights, H.
    pub w2: Array1<f64>,
    /// Output bias.
    pub b2: f64,
}

/// Gradients of the loss with respect to every parameter.
struct Gradient {
    w1: Array2<f64>,
    b1: Array1<f64>,
    w2: Array1<f64>,
    b2: f64,
}

impl Mlp {
    /// Glorot-uniform initial weights for `inputs` features and `hidden` units.
    fn initial(inputs: usize, hidden: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        // limit = √(6 / (fan_in + fan_out))
        let limit1 = (6.0 / (inputs + hidden) as f64).sqrt();
        let limit2 = (6.0 / (hidden + 1) as f64).sqrt();
        Mlp {
            w1: Array2::from_shape_fn((hidden, inputs), |_| rng.gen_range(-limit1..limit1)),
            b1: Array1::from_shape_fn(hidden, |_| rng.gen_range(-limit1..limit1)),
            w2: Array1::from_shape_fn(hidden, |_| rng.gen_range(-limit2..limit2)),
            b2: rng.gen_range(-limit2..limit2),
        }
    }

    /// Hidden activations (n × H) and output probabilities.
    fn forward(&self, x: ArrayView2<f64>) -> (Array2<f64>, Array1<f64>) {
        // h = tanh(x W₁ᵀ + b₁)
        let hidden = (x.dot(&self.w1.t()) + &self.b1).mapv(f64::tanh);
        // p = σ(h w₂ + b₂)
        let p = (hidden.dot(&self.w2) + self.b2).mapv(sigmoid);
        (hidden, p)
    }

    /// Probability of the positive class for every row of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Array1<f64> {
        self.forward(x).1
    }

    /// The penalized loss on `x`, `y`.
    pub fn loss(&self, x: ArrayView2<f64>, y: &[f64], alpha: f64) -> f64 {
        let n = y.len() as f64;
        let p = self.predict(x);
        let eps = 1e-15;
        // cross-entropy = −(1/n) Σ [y log p + (1 − y) log(1 − p)]
        let cross_entropy = -p
            .iter()
            .zip(y)
            .map(|(&pi, &yi)| {
                let pi = pi.clamp(eps, 1.0 - eps);
                yi * pi.ln() + (1.0 - yi) * (1.0 - pi).ln()
            })
            .sum::<f64>()
            / n;
        // penalty = (α / 2n) (‖W₁‖² + ‖w₂‖²)
        let penalty =
            alpha / (2.0 * n) * (self.w1.mapv(|v| v * v).sum() + self.w2.mapv(|v| v * v).sum());
        cross_entropy + penalty
    }

    fn gradient(&self, x: ArrayView2<f64>, y: &[f64], alpha: f64) -> Gradient {
        let n = y.len() as f64;
        let (hidden, p) = self.forward(x);
        // ∂L/∂η_out = (p − y) / n
        let output_error: Array1<f64> = p.iter().zip(y).map(|(&pi, &yi)| (pi - yi) / n).collect();
        // ∂L/∂w₂ = hᵀ e + (α/n) w₂
        let w2 = hidden.t().dot(&output_error) + &(&self.w2 * (alpha / n));
        let b2 = output_error.sum();
        // ∂L/∂η_hidden = e w₂ᵀ ⊙ (1 − h²)
        let mut hidden_error = output_error
            .view()
            .insert_axis(Axis(1))
            .dot(&self.w2.view().insert_axis(Axis(0)));
        hidden_error.zip_mut_with(&hidden, |d, &h| *d *= 1.0 - h * h);
        // ∂L/∂W₁ = δᵀ x + (α/n) W₁
        let w1 = hidden_error.t().dot(&x) + &(&self.w1 * (alpha / n));
        let b1 = hidden_error.sum_axis(Axis(0));
        Gradient { w1, b1, w2, b2 }
    }

    /// Fit on `x`, `y` with `hidden` units and L2 penalty `alpha`, from `seed`.
    pub fn fit(x: ArrayView2<f64>, y: &[bool], hidden: usize, alpha: f64, seed: u64) -> Self {
        let yf: Vec<f64> = y.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect();
        let mut model = Mlp::initial(x.ncols(), hidden, seed);
        let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8);
        let zeros = || Gradient {
            w1: Array2::zeros((hidden, x.ncols())),
            b1: Array1::zeros(hidden),
            w2: Array1::zeros(hidden),
            b2: 0.0,
        };
        // first and second moment estimates
        let (mut m, mut v) = (zeros(), zeros());
        for t in 1..=EPOCHS {
            let g = model.gradient(x, &yf, alpha);
            // bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ
            let c1 = 1.0 - beta1.powi(t as i32);
            let c2 = 1.0 - beta2.powi(t as i32);
            let step = |param: &mut f64, grad: f64, m: &mut f64, v: &mut f64| {
                // m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²
                *m = beta1 * *m + (1.0 - beta1) * grad;
                *v = beta2 * *v + (1.0 - beta2) * grad * grad;
                // θ ← θ − η m̂ / (√v̂ + ε)
                *param -= LEARNING_RATE * (*m / c1) / ((*v / c2).sqrt() + eps);
            };
            ndarray::Zip::from(&mut model.w1)
                .and(&g.w1)
                .and(&mut m.w1)
                .and(&mut v.w1)
                .for_each(|p, &gr, mm, vv| step(p, gr, mm, vv));
            ndarray::Zip::from(&mut model.b1)
                .and(&g.b1)
                .and(&mut m.b1)
                .and(&mut v.b1)
                .for_each(|p, &gr, mm, vv| step(p, gr, mm, vv));
            ndarray::Zip::from(&mut model.w2)
                .and(&g.w2)
                .and(&mut m.w2)
                .and(&mut v.w2)
                .for_each(|p, &gr, mm, vv| step(p, gr, mm, vv));
            step(&mut model.b2, g.b2, &mut m.b2, &mut v.b2);
        }
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn gradient_matches_finite_differences() {
        let x = array![[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [1.0, 1.0]];
        let y = [1.0, 0.0, 1.0, 0.0];
        let model = Mlp::initial(2, 3, 7);
        let alpha = 0.3;
        let g = model.gradient(x.view(), &y, alpha);
        let h = 1e-6;
        for i in 0..3 {
            for j in 0..2 {
                let mut plus = model.clone();
                plus.w1[[i, j]] += h;
                let mut minus = model.clone();
                minus.w1[[i, j]] -= h;
                let numeric =
                    (plus.loss(x.view(), &y, alpha) - minus.loss(x.view(), &y, alpha)) / (2.0 * h);
                assert!((numeric - g.w1[[i, j]]).abs() < 1e-8, "w1[{i},{j}]");
            }
            let mut plus = model.clone();
            plus.w2[i] += h;
            let mut minus = model.clone();
            minus.w2[i] -= h;
            let numeric =
                (plus.loss(x.view(), &y, alpha) - minus.loss(x.view(), &y, alpha)) / (2.0 * h);
            assert!((numeric - g.w2[i]).abs() < 1e-8, "w2[{i}]");
        }
    }

    #[test]
    fn learns_xor_and_is_reproducible() {
        let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
        let y = [false, true, true, false];
        let a = Mlp::fit(x.view(), &y, 8, 0.0, 3);
        let p = a.predict(x.view());
        assert!(p[0] < 0.2 && p[3] < 0.2 && p[1] > 0.8 && p[2] > 0.8, "{p}");
        assert_eq!(a, Mlp::fit(x.view(), &y, 8, 0.0, 3));
    }
}
