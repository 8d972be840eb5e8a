//! The statistics stage against R itself: `pretty`, `lowess` + `approx`, rms' `nomogram` and
//! `calibrate`, glmnet's path and `cv.glmnet`. The fixtures in tests/fixtures/r were written by
//! tests/oracles/r_oracles.sh (R 4.2.2, rms 6.5.0, glmnet 4.1.6; versions inside each file).

use std::path::Path;

use ndarray::Array2;
use serde_json::Value;
use sonorad::clinical::logistic::Logit;
use sonorad::evaluate::calibration::{bootstrap_calibration, lowess, lowess_at, LOWESS_SPAN};
use sonorad::evaluate::nomogram::{nomogram, NomogramPredictor};
use sonorad::evaluate::pretty::pretty;
use sonorad::select::lasso::{glmnet_path, lasso_cv, CvLambdas, LambdaRule};
use sonorad::stats::{approx, Ties};

#[path = "common/json.rs"]
mod json;
use json::{bools, floats};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/r")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("JSON")
}

/// `|a − b| ≤ tolerance · max(1, |b|)`, NaN equal to R's NA (null).
fn close(a: f64, b: Option<f64>, tolerance: f64, what: &str) {
    match b {
        None => assert!(a.is_nan(), "{what}: {a}, R gives NA"),
        Some(b) => assert!(
            (a - b).abs() <= tolerance * b.abs().max(1.0),
            "{what}: {a} vs R {b}"
        ),
    }
}

fn values_or_na(v: &Value) -> Vec<Option<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(Value::as_f64)
        .collect()
}

fn matrix(rows: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = rows.as_array().expect("rows").iter().map(floats).collect();
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

#[test]
fn pretty_equals_r() {
    let oracle = fixture("pretty.json");
    let cases = oracle["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 600);
    for case in cases {
        let (lo, hi) = (case["lo"].as_f64().unwrap(), case["hi"].as_f64().unwrap());
        let n = case["n"].as_u64().unwrap() as usize;
        // R returns one value as a scalar
        let expected = match &case["values"] {
            Value::Array(_) => floats(&case["values"]),
            v => vec![v.as_f64().expect("number")],
        };
        assert_eq!(pretty(lo, hi, n), expected, "pretty(c({lo}, {hi}), {n})");
    }
}

#[test]
fn lowess_and_approx_equal_r() {
    let oracle = fixture("lowess.json");
    let (x, y) = (floats(&oracle["x"]), floats(&oracle["y"]));
    let (sorted, fitted) = lowess(&x, &y, LOWESS_SPAN);
    assert_eq!(sorted, floats(&oracle["sorted_x"]));
    for (k, (a, b)) in fitted.iter().zip(floats(&oracle["fitted"])).enumerate() {
        close(*a, Some(b), 1e-12, &format!("lowess fit {k}"));
    }
    let at = floats(&oracle["at"]);
    let expected = values_or_na(&oracle["approx"]);
    for (k, (a, b)) in approx(&sorted, &fitted, Ties::First, &at)
        .iter()
        .zip(&expected)
        .enumerate()
    {
        close(*a, *b, 1e-12, &format!("approx at {}", at[k]));
    }
    // the calibration curve reads the same
    assert_eq!(
        lowess_at(&x, &y, LOWESS_SPAN, &at)
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        approx(&sorted, &fitted, Ties::First, &at)
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
}

/// The rows (predictors, no intercept) and outcomes of an oracle's design.
fn design(oracle: &Value) -> (Vec<Vec<f64>>, Vec<bool>) {
    let columns: Vec<Vec<f64>> = oracle["design"]
        .as_array()
        .expect("design")
        .iter()
        .map(floats)
        .collect();
    let outcome: Vec<bool> = columns[0].iter().map(|&v| v == 1.0).collect();
    let rows = (0..outcome.len())
        .map(|i| columns[1..].iter().map(|c| c[i]).collect())
        .collect();
    (rows, outcome)
}

#[test]
fn nomograms_equal_rms() {
    let oracle = fixture("nomogram.json");
    for study in ["demo", "busi"] {
        let o = &oracle[study];
        let (rows, outcome) = design(o);
        let fit = Logit::fit(study, &rows, &outcome).expect("fit");
        for (k, (a, b)) in fit
            .coefficients
            .iter()
            .zip(floats(&o["coefficients"]))
            .enumerate()
        {
            close(*a, Some(b), 1e-6, &format!("{study} coefficient {k}"));
        }
        let names: Vec<String> = o["columns"].as_array().unwrap()[1..]
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let predictors: Vec<NomogramPredictor> = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let column = rows.iter().map(|r| r[j]);
                NomogramPredictor::Continuous {
                    name: name.clone(),
                    coefficient: fit.coefficients[j + 1],
                    min: column.clone().fold(f64::INFINITY, f64::min),
                    max: column.fold(f64::NEG_INFINITY, f64::max),
                }
            })
            .collect();
        let lp: Vec<f64> = rows.iter().map(|r| fit.linear_predictor(r)).collect();
        let chart = nomogram(fit.coefficients[0], &predictors, &lp);
        let what = |s: &str| format!("{study}: {s}");
        close(
            chart.scale,
            o["points_per_unit"].as_f64(),
            1e-6,
            &what("points per unit"),
        );
        close(
            chart.eta_at_zero,
            o["eta_at_zero"].as_f64(),
            1e-6,
            &what("η at 0 points"),
        );
        for (axis, expected) in chart.predictors.iter().zip(o["axes"].as_array().unwrap()) {
            let values = floats(&expected["values"]);
            assert_eq!(axis.ticks.len(), values.len(), "{study} {}", axis.name);
            for ((tick, v), points) in axis
                .ticks
                .iter()
                .zip(&values)
                .zip(floats(&expected["points"]))
            {
                close(
                    tick.label.parse().unwrap(),
                    Some(*v),
                    1e-12,
                    &what(&axis.name),
                );
                close(tick.points, Some(points), 1e-6, &what(&axis.name));
            }
        }
        assert_eq!(chart.total_points, floats(&o["total_points"]), "{study}");
        let lp_values = floats(&o["lp_values"]);
        assert_eq!(chart.linear_predictor.len(), lp_values.len());
        for ((t, v), points) in chart
            .linear_predictor
            .iter()
            .zip(&lp_values)
            .zip(floats(&o["lp_points"]))
        {
            close(t.label.parse().unwrap(), Some(*v), 1e-12, &what("lp value"));
            close(t.points, Some(points), 1e-6, &what("lp points"));
        }
        let probabilities = floats(&o["probability_values"]);
        assert_eq!(chart.probability.len(), probabilities.len(), "{study}");
        for ((t, v), points) in chart
            .probability
            .iter()
            .zip(&probabilities)
            .zip(floats(&o["probability_points"]))
        {
            close(
                t.label.parse().unwrap(),
                Some(*v),
                1e-12,
                &what("probability"),
            );
            close(t.points, Some(points), 1e-6, &what("probability points"));
        }
    }
}

#[test]
fn bootstrap_calibration_agrees_with_rms_calibrate() {
    let oracle = fixture("calibrate.json");
    for model in ["weak", "strong"] {
        let o = &oracle[model];
        let (rows, outcome) = design(o);
        let predicted = floats(&o["predicted"]);
        let refit = |draw: &[usize]| -> Option<Vec<f64>> {
            let x: Vec<Vec<f64>> = draw.iter().map(|&k| rows[k].clone()).collect();
            let y: Vec<bool> = draw.iter().map(|&k| outcome[k]).collect();
            let fit = Logit::fit(model, &x, &y)
                .ok()
                .filter(|f| f.aliased.is_empty())?;
            Some(rows.iter().map(|r| fit.probability(r)).collect())
        };
        let ours = bootstrap_calibration(&predicted, &outcome, &refit, 1000, 2025)
            .expect("more than 10 cases");
        // the grid and the apparent curve are deterministic: equal to R's
        for (k, (a, b)) in ours.grid.iter().zip(floats(&o["grid"])).enumerate() {
            close(*a, Some(b), 1e-12, &format!("{model} grid {k}"));
        }
        for (k, (a, b)) in ours
            .apparent
            .iter()
            .zip(values_or_na(&o["apparent"]))
            .enumerate()
        {
            close(*a, b, 1e-9, &format!("{model} apparent {k}"));
        }
        // the bias-corrected curve differs by bootstrap noise only (other random draws)
        let expected = values_or_na(&o["corrected"]);
        let differences: Vec<f64> = ours
            .corrected
            .iter()
            .zip(&expected)
            .filter_map(|(a, b)| b.map(|b| (a - b).abs()))
            .collect();
        assert_eq!(
            differences.len(),
            50,
            "{model}: a corrected value at every grid point"
        );
        let mean = differences.iter().sum::<f64>() / 50.0;
        eprintln!(
            "{model}: mean |ours − rms| = {mean:.4}, MAE {:.4} vs {:.4}",
            ours.mean_absolute_error,
            o["mean_absolute_error"].as_f64().unwrap()
        );
        assert!(mean < 0.02, "{model}: mean |ours − rms| = {mean}");
        // resamples reaching each grid point: the same share as rms, up to noise
        for (k, (&count, r)) in ours.counts.iter().zip(floats(&o["n"])).enumerate() {
            let (ours_share, r_share) = (count as f64 / ours.resamples as f64, r / 1000.0);
            assert!(
                (ours_share - r_share).abs() < 0.1,
                "{model} grid {k}: {count} of {} resamples reach it, rms {r} of 1000",
                ours.resamples
            );
        }
        let mae = o["mean_absolute_error"].as_f64().unwrap();
        assert!(
            (ours.mean_absolute_error - mae).abs() < 0.01,
            "{model}: mean absolute error {} vs rms {mae}",
            ours.mean_absolute_error
        );
    }
}

#[test]
fn glmnet_path_stops_where_glmnet_stops() {
    let oracle = fixture("glmnet.json");
    for (what, x, y, expected) in [
        (
            "early",
            matrix(&oracle["early"]["x"]),
            bools(&oracle["early"]["y"]),
            floats(&oracle["early"]["lambda"]),
        ),
        (
            "main",
            matrix(&oracle["x"]),
            bools(&oracle["y"]),
            floats(&oracle["lambda"]),
        ),
    ] {
        let (lambdas, _, _) = glmnet_path(x.view(), &y, 100);
        assert!(expected.len() < 100, "{what}: the oracle path stops early");
        assert_eq!(lambdas.len(), expected.len(), "{what}: path length");
        for (k, (a, b)) in lambdas.iter().zip(&expected).enumerate() {
            close(*a, Some(*b), 1e-10, &format!("{what} λ {k}"));
        }
    }
}

#[test]
fn cross_validation_equals_cv_glmnet() {
    let oracle = fixture("glmnet.json");
    let x = matrix(&oracle["x"]);
    let y = bools(&oracle["y"]);
    let folds: Vec<usize> = floats(&oracle["foldid"])
        .iter()
        .map(|&f| f as usize - 1)
        .collect();
    for (alignment, key) in [
        (CvLambdas::Fold, "default"),
        (CvLambdas::Full, "full_lambda"),
    ] {
        let o = &oracle[key];
        let cv = lasso_cv(x.view(), &y, &folds, 100, LambdaRule::OneSe, alignment).expect("cv");
        let lambda = floats(&o["lambda"]);
        assert_eq!(cv.lambdas.len(), lambda.len(), "{key}");
        for (k, ((m, s), (em, es))) in cv
            .cvm
            .iter()
            .zip(&cv.cvsd)
            .zip(floats(&o["cvm"]).into_iter().zip(floats(&o["cvsd"])))
            .enumerate()
        {
            close(*m, Some(em), 1e-6, &format!("{key} cvm {k}"));
            close(*s, Some(es), 1e-6, &format!("{key} cvsd {k}"));
        }
        close(cv.lambda_min, o["lambda_min"].as_f64(), 1e-10, key);
        close(cv.lambda_1se, o["lambda_1se"].as_f64(), 1e-10, key);
    }
}
