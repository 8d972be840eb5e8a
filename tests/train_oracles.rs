//! Statistics-stage numerics against independent implementations. Expected values:
//! tests/fixtures/train/*.json, written by tests/oracles/train_oracles.py (scikit-learn,
//! statsmodels, mrmr-selection, an independent fast-DeLong implementation after Sun & Xu 2014,
//! and Shrout & Fleiss 1979; package versions recorded inside each file).

#[path = "common/json.rs"]
mod json;

use json::{bools, floats};
use ndarray::{Array2, Axis};
use serde_json::Value;
use sonorad::clinical::error::ClinicalError;
use sonorad::clinical::logistic::Logit;
use sonorad::model::fit_logistic;
use sonorad::model::forest::DecisionTree;
use sonorad::model::metrics::{auc_fraction, delong_test, DelongComponents};
use sonorad::select::icc::icc_2_1;
use sonorad::select::lasso::lasso_logistic;
use sonorad::select::mrmr::mrmr;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/train/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("oracle file");
    serde_json::from_str(&text).expect("oracle JSON")
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(floats).collect();
    let p = rows[0].len();
    Array2::from_shape_vec((rows.len(), p), rows.concat()).expect("rectangular")
}

fn number(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

/// Absolute agreement to `tolerance`.
fn within(ours: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (ours - expected).abs() <= tolerance,
        "{what}: {ours} vs expected {expected} (difference {:e}, tolerance {tolerance:e})",
        (ours - expected).abs()
    );
}

#[test]
fn auc_is_the_exact_pair_count_fraction() {
    let oracle = fixture("auc_delong.json");
    let labels = bools(&oracle["labels"]);
    for (i, model) in oracle["models"]
        .as_array()
        .expect("models")
        .iter()
        .enumerate()
    {
        let scores = floats(&model["scores"]);
        let numerator = model["auc_numerator"].as_u64().expect("numerator");
        let denominator = model["auc_denominator"].as_u64().expect("denominator");
        assert_eq!(
            auc_fraction(&scores, &labels),
            (numerator, denominator),
            "model {i}"
        );
        let components = DelongComponents::new(&scores, &labels).expect("both classes");
        // the midrank AUC is the same fraction, to the last bit of its division
        assert_eq!(
            components.auc,
            numerator as f64 / denominator as f64,
            "model {i}"
        );
        within(
            components.auc,
            number(&model["auc_sklearn"]),
            1e-15,
            "AUC vs scikit-learn",
        );
    }
}

#[test]
fn delong_variance_ci_covariance_and_paired_test() {
    let oracle = fixture("auc_delong.json");
    let labels = bools(&oracle["labels"]);
    let components: Vec<DelongComponents> = oracle["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| DelongComponents::new(&floats(&m["scores"]), &labels).expect("both classes"))
        .collect();
    for (i, (c, model)) in components
        .iter()
        .zip(oracle["models"].as_array().expect("models"))
        .enumerate()
    {
        within(
            c.auc,
            number(&model["auc_delong"]),
            1e-12,
            &format!("AUC {i}"),
        );
        within(
            c.variance(),
            number(&model["variance"]),
            1e-9,
            &format!("variance {i}"),
        );
        let (low, high) = c.confidence_interval();
        within(low, number(&model["ci_low"]), 1e-9, &format!("CI low {i}"));
        within(
            high,
            number(&model["ci_high"]),
            1e-9,
            &format!("CI high {i}"),
        );
    }
    for pair in oracle["pairs"].as_array().expect("pairs") {
        let a = pair["a"].as_u64().expect("a") as usize;
        let b = pair["b"].as_u64().expect("b") as usize;
        let what = format!("models {a}, {b}");
        within(
            components[a].covariance(&components[b]),
            number(&pair["covariance"]),
            1e-9,
            &format!("covariance {what}"),
        );
        let test = delong_test(&components[a], &components[b]);
        within(test.z, number(&pair["z"]), 1e-9, &format!("z {what}"));
        within(test.p, number(&pair["p"]), 1e-9, &format!("p {what}"));
    }
}

#[test]
fn lasso_matches_scikit_learn_l1_logistic_at_fixed_lambdas() {
    let oracle = fixture("lasso.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    for fit in oracle["fits"].as_array().expect("fits") {
        // scikit-learn's C = 1 / (n λ) makes its objective n × glmnet's
        let lambda = number(&fit["lambda"]);
        let ours = lasso_logistic(x.view(), &y, lambda);
        let expected = floats(&fit["coefficients"]);
        assert_eq!(
            ours.coefficients.len(),
            expected.len(),
            "λ = {lambda}: number of coefficients"
        );
        within(
            ours.intercept,
            number(&fit["intercept"]),
            1e-6,
            &format!("λ = {lambda}: intercept"),
        );
        for (j, (&b, &e)) in ours.coefficients.iter().zip(&expected).enumerate() {
            within(b, e, 1e-6, &format!("λ = {lambda}: coefficient {j}"));
            // the same coefficients are exactly zero
            assert_eq!(
                b == 0.0,
                e == 0.0,
                "λ = {lambda}: support of coefficient {j}"
            );
        }
    }
}

#[test]
fn mrmr_order_matches_mrmr_selection() {
    let oracle = fixture("mrmr.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let k = oracle["k"].as_u64().expect("k") as usize;
    let expected: Vec<usize> = oracle["order"]
        .as_array()
        .expect("order")
        .iter()
        .map(|v| v.as_u64().expect("index") as usize)
        .collect();
    assert_eq!(mrmr(x.view(), &y, k).order, expected);
}

#[test]
fn icc_2_1_reproduces_shrout_and_fleiss() {
    let oracle = fixture("icc.json");
    let icc = icc_2_1(matrix(&oracle["ratings"]).view());
    // published to two decimals
    assert_eq!(
        (icc * 100.0).round() / 100.0,
        number(&oracle["published_icc_2_1"])
    );
    within(icc, number(&oracle["icc_2_1"]), 1e-9, "ICC(2,1)");
}

#[test]
fn unpenalized_logistic_matches_statsmodels() {
    // the product's maximum-likelihood fit: the clinical stage's Newton–Raphson
    let oracle = fixture("logistic.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let expected = floats(&oracle["coefficients"]);
    let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
    let fit = Logit::fit("statsmodels oracle", &rows, &y).expect("fit");
    // intercept first
    assert_eq!(fit.coefficients.len(), expected.len() + 1);
    within(
        fit.coefficients[0],
        number(&oracle["intercept"]),
        1e-6,
        "intercept",
    );
    for (j, (&b, &e)) in fit.coefficients[1..].iter().zip(&expected).enumerate() {
        within(b, e, 1e-6, &format!("coefficient {j}"));
    }
}

#[test]
fn an_aliased_predictor_is_left_out_as_r_does() {
    // x plus a fifth column x₀ + 2 x₂ − 1: R's glm reports it NA and fits the rest as before
    let oracle = fixture("logistic.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let rows: Vec<Vec<f64>> = x
        .rows()
        .into_iter()
        .map(|r| {
            let mut row = r.to_vec();
            row.push(r[0] + 2.0 * r[2] - 1.0);
            row
        })
        .collect();
    let fit = Logit::fit("aliased", &rows, &y).expect("fit");
    assert_eq!(fit.aliased, vec![4]);
    assert_eq!((fit.coefficients[5], fit.standard_errors[5]), (0.0, 0.0));
    within(
        fit.coefficients[0],
        number(&oracle["intercept"]),
        1e-6,
        "intercept",
    );
    for (j, (&b, &e)) in fit.coefficients[1..5]
        .iter()
        .zip(&floats(&oracle["coefficients"]))
        .enumerate()
    {
        within(b, e, 1e-6, &format!("coefficient {j}"));
    }
    let terms: Vec<String> = (0..5).map(|j| format!("x{j}")).collect();
    let odds = fit.odds_ratios(&terms);
    assert!(odds[4].aliased && odds[4].odds_ratio.is_nan());
    assert!(!odds[0].aliased && odds[0].odds_ratio.is_finite());
}

#[test]
fn a_separated_outcome_is_reported_as_separation() {
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|i| vec![f64::from(i), f64::from(i % 3)])
        .collect();
    let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
    let error = Logit::fit("separated", &rows, &y).expect_err("no finite MLE");
    assert!(
        matches!(&error, ClinicalError::Separation { model } if model == "separated"),
        "{error}"
    );
    // quasi-complete: the classes share one value only (cases 19 and 20 both at 19)
    let mut rows = rows;
    rows[20][0] = 19.0;
    assert!(matches!(
        Logit::fit("quasi", &rows, &y),
        Err(ClinicalError::Separation { .. })
    ));
}

#[test]
fn penalized_logistic_converges_on_separable_data_to_a_stationary_point() {
    // the generated cohort of issue 21 made linfa-logistic's L-BFGS spin forever; Newton stops
    let x = Array2::from_shape_fn((60, 3), |(i, j)| ((i * (j + 3)) % 11) as f64 - 5.0);
    let y: Vec<bool> = (0..60).map(|i| x[[i, 0]] + 0.5 * x[[i, 1]] > 0.0).collect();
    for c in [0.01, 1.0, 100.0, 1e6] {
        let fit = fit_logistic(x.view(), &y, c).expect("converges");
        // gradient of Σ log-loss + ½‖w‖²/C vanishes: Xᵀ(y − p) = w / C, Σ(y − p) = 0
        let p = fit.probabilities(x.view());
        let residual: Vec<f64> = (0..60).map(|i| y[i] as u8 as f64 - p[i]).collect();
        let scale = 1.0 + fit.coefficients.iter().fold(0.0f64, |m, b| m.max(b.abs())) / c;
        within(
            residual.iter().sum::<f64>() / scale,
            0.0,
            1e-7,
            "intercept score",
        );
        for j in 0..3 {
            let score: f64 = (0..60).map(|i| x[[i, j]] * residual[i]).sum();
            within(
                (score - fit.coefficients[j] / c) / scale,
                0.0,
                1e-7,
                &format!("score {j} at C = {c}"),
            );
        }
    }
}

#[test]
fn penalized_logistic_does_not_depend_on_the_first_row() {
    // the fit must not depend on the order of the cases (linfa-logistic, used before, called
    // the class of the first row "positive")
    let oracle = fixture("logistic.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let reference = fit_logistic(x.view(), &y, 1.0).expect("fit");
    for class in [false, true] {
        let first = y.iter().position(|&v| v == class).expect("both classes");
        let order: Vec<usize> = (first..y.len()).chain(0..first).collect();
        let rotated = fit_logistic(
            x.select(Axis(0), &order).view(),
            &order.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            1.0,
        )
        .expect("fit");
        within(
            rotated.intercept,
            reference.intercept,
            1e-6,
            &format!("intercept, a {class} case first"),
        );
        assert_eq!(rotated.coefficients.len(), reference.coefficients.len());
        for (j, (&b, &e)) in rotated
            .coefficients
            .iter()
            .zip(&reference.coefficients)
            .enumerate()
        {
            within(
                b,
                e,
                1e-6,
                &format!("coefficient {j}, a {class} case first"),
            );
        }
    }
    assert!(
        fit_logistic(x.view(), &y, 0.0).is_err(),
        "C = 0 is no penalty"
    );
}

#[test]
fn cart_tree_matches_scikit_learn() {
    let oracle = fixture("tree.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let test = matrix(&oracle["test"]);
    let rows: Vec<usize> = (0..y.len()).collect();
    for tree in oracle["trees"].as_array().expect("trees") {
        let depth = tree["max_depth"].as_u64().map(|d| d as usize);
        let features: Vec<usize> =
            (0..tree["features"].as_u64().expect("features") as usize).collect();
        let fitted = DecisionTree::fit(x.view(), &y, &rows, &features, depth);
        // leaf probabilities are count ratios: equal to the last bit
        assert_eq!(
            fitted.predict(test.view()),
            floats(&tree["probability"]),
            "max depth {depth:?}"
        );
    }
}
