//! Clinical-model and evaluation numerics against independent implementations.
//! Expected values: tests/fixtures/report/oracles.json, written by
//! tests/oracles/report_oracles.py (statsmodels, scipy, pandas; provenance inside).

#[path = "common/json.rs"]
mod json;

use std::io::Write;

use json::{bools, floats};
use serde_json::Value;
use sonorad::clinical::cohort::{categorical_test, mann_whitney};
use sonorad::clinical::logistic::{Logit, OddsRatio};
use sonorad::clinical::variables::ClinicalTable;
use sonorad::evaluate::calibration::{
    brier_score, hosmer_lemeshow, lowess_at, quantile_groups, LOWESS_SPAN,
};
use sonorad::evaluate::dca::{decision_curves, net_benefit, treat_all};
use sonorad::evaluate::distributions::fisher_exact;
use sonorad::evaluate::nomogram::{nomogram, NomogramPredictor};

fn oracles() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/report/oracles.json"
    ))
    .expect("oracle file");
    serde_json::from_str(&text).expect("oracle JSON")
}

fn close(a: f64, b: f64, relative: f64, what: &str) {
    assert!(
        (a - b).abs() <= relative * b.abs().max(1e-12),
        "{what}: {a} vs expected {b}"
    );
}

fn check_terms(ours: &[OddsRatio], expected: &Value) {
    let expected = expected.as_array().expect("terms");
    assert_eq!(ours.len(), expected.len());
    for (o, e) in ours.iter().zip(expected) {
        assert_eq!(o.term, e["term"].as_str().expect("term"));
        for (value, key) in [
            (o.coefficient, "coefficient"),
            (o.standard_error, "standard_error"),
            (o.odds_ratio, "odds_ratio"),
            (o.ci_low, "ci_low"),
            (o.ci_high, "ci_high"),
            (o.p, "p"),
        ] {
            close(
                value,
                e[key].as_f64().expect("number"),
                1e-7,
                &format!("{} {key}", o.term),
            );
        }
    }
}

/// The oracle's clinical table, written to a temporary CSV and read back.
fn clinical_table(o: &Value, dir: &std::path::Path) -> ClinicalTable {
    let path = dir.join("clinical.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "case_id,age,size,group,outcome").expect("write");
    let ids = o["ids"].as_array().expect("ids");
    for i in 0..ids.len() {
        writeln!(
            f,
            "{},{},{},{},{}",
            ids[i].as_str().expect("id"),
            o["age"][i],
            o["size"][i],
            o["group"][i].as_str().expect("group"),
            o["outcome"][i]
        )
        .expect("write");
    }
    drop(f);
    ClinicalTable::read(&path, &["outcome"]).expect("clinical table")
}

#[test]
fn odds_ratios_match_statsmodels() {
    let all = oracles();
    let o = &all["logistic"];
    let dir = tempfile::tempdir().expect("tempdir");
    let table = clinical_table(o, dir.path());
    let y = bools(&o["outcome"]);
    // the categorical column is dummy-coded against its first sorted level, "a"
    let group = table.variable("group").expect("group");
    assert_eq!(table.variables[group].terms(), vec!["group=b", "group=c"]);
    for name in ["age", "size", "group"] {
        let v = table.variable(name).expect("variable");
        let x: Vec<Vec<f64>> = (0..y.len())
            .map(|r| table.design_row(r, &[v]).expect("row").expect("complete"))
            .collect();
        let fit = Logit::fit(name, &x, &y).expect("fit");
        check_terms(
            &fit.odds_ratios(&table.variables[v].terms()),
            &o["univariate"][name],
        );
    }
    let columns: Vec<usize> = ["age", "size", "group"]
        .iter()
        .map(|n| table.variable(n).expect("variable"))
        .collect();
    let x: Vec<Vec<f64>> = (0..y.len())
        .map(|r| {
            table
                .design_row(r, &columns)
                .expect("row")
                .expect("complete")
        })
        .collect();
    let fit = Logit::fit("multivariable", &x, &y).expect("fit");
    let terms = ["age", "size", "group=b", "group=c"].map(String::from);
    check_terms(&fit.odds_ratios(&terms), &o["multivariable"]);
}

#[test]
fn hosmer_lemeshow_matches_reference() {
    let all = oracles();
    let o = &all["hosmer_lemeshow"];
    let y = bools(&o["outcome"]);
    for (p_key, result_key) in [("predicted", "result"), ("tied_predicted", "tied_result")] {
        let p = floats(&o[p_key]);
        let hl = hosmer_lemeshow(&p, &y, 10);
        let expected = &o[result_key];
        close(
            hl.statistic,
            expected["statistic"].as_f64().expect("x"),
            1e-9,
            "HL statistic",
        );
        assert_eq!(hl.df, 8, "df = g − 2");
        close(hl.p, expected["p"].as_f64().expect("p"), 1e-8, "HL p");
    }
    let p = floats(&o["predicted"]);
    // the decile groups partition the cases
    let groups = quantile_groups(&p, &y, 10);
    assert_eq!(groups.iter().map(|g| g.n).sum::<usize>(), p.len());
    close(
        brier_score(&p, &y),
        o["brier"].as_f64().expect("brier"),
        1e-12,
        "Brier",
    );
}

/// The bootstrap bias-corrected curve against a plain serial reference written from rms'
/// `calibrate` definition: the same draws (one `StdRng` seeded with the seed, `n` indices per
/// resample), rms' grid, optimism = lowess on the resample − lowess of the same fit on the
/// original rows where both reach the grid point, corrected = apparent − mean optimism (the
/// agreement with rms itself is in tests/r_oracles.rs). The parallel implementation must equal it exactly,
/// on one thread and on several.
#[test]
fn bootstrap_calibration_equals_serial_reference() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use sonorad::evaluate::calibration::bootstrap_calibration;

    let all = oracles();
    let y = bools(&all["hosmer_lemeshow"]["outcome"]);
    let p = floats(&all["hosmer_lemeshow"]["predicted"]);
    let logit: Vec<Vec<f64>> = p.iter().map(|v| vec![(v / (1.0 - v)).ln()]).collect();
    // refit a logistic recalibration on the resample; resamples whose first row is even fail
    let refit = |rows: &[usize]| -> Option<Vec<f64>> {
        if rows[0].is_multiple_of(2) {
            return None;
        }
        let x: Vec<Vec<f64>> = rows.iter().map(|&i| logit[i].clone()).collect();
        let outcome: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        let fit = Logit::fit("recalibration", &x, &outcome).ok()?;
        Some(logit.iter().map(|r| fit.probability(r)).collect())
    };
    let (resamples, seed) = (200, 7);

    let n = p.len();
    let yf: Vec<f64> = y.iter().map(|&v| v as u8 as f64).collect();
    // rms' grid: 50 values from the 5th to the (n − 4)th sorted prediction
    let mut sorted = p.clone();
    sorted.sort_by(f64::total_cmp);
    let step = (sorted[n - 5] - sorted[4]) / 49.0;
    let grid: Vec<f64> = (0..50)
        .map(|k| {
            if k == 49 {
                sorted[n - 5]
            } else {
                sorted[4] + k as f64 * step
            }
        })
        .collect();
    let apparent = lowess_at(&p, &yf, LOWESS_SPAN, &grid);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut optimism = vec![0.0; grid.len()];
    let mut counts = vec![0usize; grid.len()];
    let mut done = 0;
    for _ in 0..resamples {
        let rows: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        let Some(fitted) = refit(&rows) else { continue };
        let boot_p: Vec<f64> = rows.iter().map(|&i| fitted[i]).collect();
        let boot_y: Vec<f64> = rows.iter().map(|&i| yf[i]).collect();
        let on_resample = lowess_at(&boot_p, &boot_y, LOWESS_SPAN, &grid);
        let on_original = lowess_at(&fitted, &yf, LOWESS_SPAN, &grid);
        for k in 0..grid.len() {
            // a grid point outside either curve is missing for this resample
            let o = on_resample[k] - on_original[k];
            if !o.is_nan() {
                optimism[k] += o;
                counts[k] += 1;
            }
        }
        done += 1;
    }
    assert!(done > resamples / 4 && done < resamples, "{done} refits");
    let optimism: Vec<f64> = optimism
        .iter()
        .zip(&counts)
        .map(|(o, &c)| o / c as f64)
        .collect();
    let corrected: Vec<f64> = apparent.iter().zip(&optimism).map(|(a, o)| a - o).collect();

    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let ours = pool
            .install(|| bootstrap_calibration(&p, &y, &refit, resamples, seed))
            .expect("more than 10 cases");
        assert_eq!(ours.resamples, done, "{threads} thread(s)");
        assert_eq!(ours.counts, counts, "{threads} thread(s)");
        assert_eq!(ours.grid, grid);
        assert_eq!(ours.apparent, apparent);
        assert_eq!(ours.optimism, optimism, "{threads} thread(s)");
        assert_eq!(ours.corrected, corrected, "{threads} thread(s)");
    }
    // a model refitted on its own resample looks better there than on the original rows
    assert!(optimism.iter().any(|o| o.abs() > 1e-3));
}

#[test]
fn cohort_tests_match_scipy() {
    let all = oracles();
    let o = &all["logistic"];
    let t = &all["tests"];
    let y = bools(&o["outcome"]);
    let age = floats(&o["age"]);
    let negative: Vec<f64> = (0..y.len()).filter(|&i| !y[i]).map(|i| age[i]).collect();
    let positive: Vec<f64> = (0..y.len()).filter(|&i| y[i]).map(|i| age[i]).collect();
    close(
        mann_whitney(&negative, &positive),
        t["mann_whitney_p"].as_f64().expect("p"),
        1e-8,
        "Mann–Whitney p",
    );
    let counts: Vec<[u64; 2]> = t["chi_square_counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|r| [r[0].as_u64().expect("n"), r[1].as_u64().expect("n")])
        .collect();
    let (p, test) = categorical_test(&counts);
    assert_eq!(test, "chi-square");
    close(
        p,
        t["chi_square_p"].as_f64().expect("p"),
        1e-8,
        "chi-square p",
    );
    close(
        fisher_exact(7, 2, 3, 9),
        t["fisher_p"].as_f64().expect("p"),
        1e-8,
        "Fisher p",
    );
    let (p, test) = categorical_test(&[[7, 2], [3, 9]]);
    assert_eq!(test, "Fisher exact");
    close(p, t["fisher_p"].as_f64().expect("p"), 1e-8, "Fisher p");
}

/// rms rule: each predictor's contribution β·x ranges over its axis (here the training range is
/// already a pretty() range) (a categorical
/// predictor over its levels, reference 0); the widest range spans 100 points, so
/// scale = 100 / max_j range_j and a value scores scale·(β x − min β x). Total points T map to
/// η = η₀ + T/scale, η₀ = intercept + Σ min contributions, and p = 1/(1 + e^{−η}).
#[test]
fn nomogram_points_follow_rms_rule() {
    let all = oracles();
    let o = &all["nomogram"];
    let predictors = vec![
        NomogramPredictor::Continuous {
            name: "Rad-score".into(),
            coefficient: 1.3,
            min: -2.5,
            max: 3.0,
        },
        NomogramPredictor::Continuous {
            name: "age".into(),
            coefficient: 0.045,
            min: 25.0,
            max: 85.0,
        },
        NomogramPredictor::Categorical {
            name: "lvi".into(),
            levels: vec![("no".into(), 0.0), ("yes".into(), 0.9)],
        },
    ];
    let chart = nomogram(-4.2, &predictors, &[-3.0, 2.0]);
    close(
        chart.scale,
        o["scale"].as_f64().expect("scale"),
        1e-12,
        "scale",
    );
    close(
        chart.eta_at_zero,
        o["eta_at_zero"].as_f64().expect("eta"),
        1e-12,
        "η₀",
    );
    let spans = floats(&o["spans"]);
    for (axis, span) in chart.predictors.iter().zip(&spans) {
        close(axis.span, *span, 1e-12, &axis.name);
    }
    // the widest predictor (Rad-score: 1.3 × 5.5 = 7.15) spans exactly 100 points
    close(chart.predictors[0].span, 100.0, 1e-12, "widest span");
    let tick = |axis: usize, label: &str| {
        chart.predictors[axis]
            .ticks
            .iter()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("tick {label} on axis {axis}"))
            .points
    };
    close(
        tick(1, "60"),
        o["points_age_60"].as_f64().expect("p"),
        1e-12,
        "age 60",
    );
    close(
        tick(0, "0"),
        o["points_radscore_0"].as_f64().expect("p"),
        1e-12,
        "Rad-score 0",
    );
    close(
        tick(2, "yes"),
        o["points_lvi_yes"].as_f64().expect("p"),
        1e-12,
        "lvi yes",
    );
    assert_eq!(tick(2, "no"), 0.0);
    let half = chart
        .probability
        .iter()
        .find(|t| t.label == "0.5")
        .expect("p = 0.5 tick");
    // rms places a probability tick by linear interpolation of σ over 1000 values of the
    // linear-predictor axis, not at the exact logit: close to 1e-6
    close(
        half.points,
        o["total_points_p_0_5"].as_f64().expect("p"),
        1e-6,
        "T(0.5)",
    );
    close(
        chart.total_to_probability(100.0),
        o["probability_at_100_points"].as_f64().expect("p"),
        1e-12,
        "p(100 points)",
    );
}

/// Net benefit by hand: 10 cases, 4 positive. Probabilities
/// [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], outcomes
/// [1, 1, 0, 1, 0, 0, 1, 0, 0, 0].
#[test]
fn net_benefit_by_hand() {
    let p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    let y = [
        true, true, false, true, false, false, true, false, false, false,
    ];
    // pt = 0.5: treated p ≥ 0.5 → first 5: TP = 3, FP = 2; NB = 3/10 − 2/10 · 0.5/0.5 = 0.1
    close(net_benefit(&p, &y, 0.5), 0.1, 1e-12, "NB(0.5)");
    // pt = 0.25: treated first 7: TP = 4, FP = 3; NB = 0.4 − 0.3 · (0.25/0.75) = 0.3
    close(net_benefit(&p, &y, 0.25), 0.3, 1e-12, "NB(0.25)");
    // pt = 0.85: treated first 1: TP = 1, FP = 0; NB = 0.1
    close(net_benefit(&p, &y, 0.85), 0.1, 1e-12, "NB(0.85)");
    // treat all at pt = 0.2: 0.4 − 0.6 · 0.25 = 0.25; at 0.5: 0.4 − 0.6 = −0.2
    close(treat_all(&y, 0.2), 0.25, 1e-12, "treat all 0.2");
    close(treat_all(&y, 0.5), -0.2, 1e-12, "treat all 0.5");
    let curves = decision_curves(&[("m".into(), p.to_vec())], &y);
    assert_eq!(curves.thresholds.len(), 99);
    close(curves.thresholds[0], 0.01, 1e-12, "first threshold");
    close(curves.models[0].1[49], 0.1, 1e-12, "curve at 0.5");
}
