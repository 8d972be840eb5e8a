//! The report stage end to end: `sonorad demo`'s chain on its generated cohort, the HTML
//! report opened in headless Chromium (screenshot, rendered DOM and layout, network log), and
//! `predict` on the cohort's features (the study's scores reproduced, risk groups, out-of-range
//! flags, missing-column errors).
//!
//! Chromium: the Debian package `chromium`. Without it the browser checks print a loud
//! SKIPPED line, or fail when SONORAD_REQUIRE_BROWSER=1 (as in `.ci/run`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

#[path = "common/skip.rs"]
mod skip;

use serde_json::Value;
use sonorad::clinical::error::ClinicalError;
use sonorad::commands::demo::{self, DemoOptions};
use sonorad::commands::predict::{predict, TrainedModels};
use sonorad::table::FeatureTable;

/// Sections every report with clinical data holds (their `id`s).
const SECTIONS: [&str; 12] = [
    "notes",
    "settings",
    "cohort",
    "maps",
    "selection",
    "radiomics-models",
    "roc",
    "clinical",
    "combined",
    "calibration",
    "dca",
    "nomogram",
];

/// Figures (ids `figure-…`, files `figures/*.png` with `-` as `_`).
const FIGURES: [&str; 10] = [
    "lasso-path",
    "lasso-cv",
    "feature-weights",
    "roc-training",
    "roc-validation",
    "calibration-training",
    "calibration-validation",
    "dca-training",
    "dca-validation",
    "nomogram",
];

/// One demo run shared by the tests.
fn demo_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("report-test-{}", std::process::id()));
        // the cohort of `sonorad demo`: 160 cases of 128² pixels
        demo::run(&DemoOptions::new(&dir)).expect("demo chain");
        dir
    })
}

#[test]
fn report_holds_every_section_figure_and_no_url() {
    let dir = demo_dir();
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    for id in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    for id in FIGURES {
        assert!(html.contains(&format!("id=\"figure-{id}\"")), "figure {id}");
        let png = dir
            .join("figures")
            .join(format!("{}.png", id.replace('-', "_")));
        let bytes = std::fs::read(&png).expect("PNG file");
        assert_eq!(&bytes[1..4], b"PNG", "{}", png.display());
    }
    // self-contained: no URL at all, so nothing can be fetched
    assert!(!html.contains("http://") && !html.contains("https://"));
    // the texture maps' PNGs are data: URIs, the only src attributes
    assert_eq!(html.matches("src=").count(), 2);
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 2);
    assert!(!html.contains("<link"));
    // the cohort table, Rad-score formula, version and checksums are there
    assert!(html.contains("Rad-score = "));
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    assert!(html.contains("SHA-256"));
    assert!(html.contains("Mann–Whitney U") || html.contains("chi-square"));
    // the comparison reports each cutoff as a probability (percent)
    assert!(html.contains("cutoff (probability)"));
    for file in [
        "clinical_model.json",
        "clinical_univariate.csv",
        "model_comparison.csv",
        "model_comparison_delong.csv",
        "clinical_scores.csv",
        "calibration.csv",
        "decision_curves.csv",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
}

/// The figures' numbers are written beside them: every nomogram axis, every calibration curve
/// and every ROC curve, and they are the numbers the report shows.
#[test]
fn figure_data_is_exported_as_csv() {
    let dir = demo_dir();
    let read = |name: &str| -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_path(dir.join(name)).expect(name);
        reader
            .records()
            .map(|r| r.expect("row").iter().map(String::from).collect())
            .collect()
    };
    let nomogram = read("nomogram.csv");
    let axes: Vec<&str> = nomogram.iter().map(|r| r[0].as_str()).collect();
    for axis in [
        "Points",
        "Rad-score",
        "Total points",
        "Linear predictor",
        "Predicted probability",
    ] {
        assert!(axes.contains(&axis), "nomogram axis {axis}");
    }
    // the widest predictor spans exactly 100 points, as in the figure
    let widest = nomogram
        .iter()
        .filter(|r| r[1] == "points" && r[0] != "Points")
        .map(|r| r[3].parse::<f64>().expect("position"))
        .fold(0.0, f64::max);
    assert!((widest - 100.0).abs() < 1e-9, "{widest}");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let model: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("clinical_model.json")).expect("model"),
    )
    .expect("JSON");
    assert!(model["combined"]["coefficients"].is_array());
    assert!(html.contains("points per unit of linear predictor"));

    let calibration = read("calibration_curves.csv");
    for (model, curve) in [
        ("clinical", "bias_corrected"),
        ("combined", "bias_corrected"),
        ("combined", "apparent"),
        ("radiomics", "lowess"),
        ("radiomics", "deciles"),
    ] {
        let rows = calibration
            .iter()
            .filter(|r| r[0] == model && r[1] == "training" && r[2] == curve)
            .count();
        assert!(rows > 0, "{model} {curve}");
    }
    // bias-corrected points carry how many resamples reached them (at most 1000)
    assert!(calibration
        .iter()
        .filter(|r| r[2] == "bias_corrected")
        .all(|r| r[5].parse::<usize>().is_ok_and(|n| n <= 1000)));

    let roc = read("roc_curves.csv");
    for cohort in ["training", "validation"] {
        let curve: Vec<&Vec<String>> = roc
            .iter()
            .filter(|r| r[0] == cohort && r[1] == "combined")
            .collect();
        assert_eq!(
            curve[0][2..],
            ["inf", "0", "0"],
            "{cohort}: starts at (0, 0)"
        );
        let last = curve.last().expect("points");
        assert_eq!(last[3..], ["1", "1"], "{cohort}: ends at (1, 1)");
    }
}

/// The first of `chromium`, `chromium-browser`, `google-chrome` on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Seconds one browser run may take before `timeout` kills its whole process group.
const BROWSER_SECONDS: u32 = 60;

/// Headless modes tried in turn: `new` (Chromium ≥ 109; the only one since 132), then `old`.
const HEADLESS_MODES: [&str; 2] = ["--headless=new", "--headless=old"];

/// One headless Chromium run on `page` under `timeout`, with a fresh profile, no sandbox (CI
/// runs as root), no background services, every host name unresolvable (nothing can leave the
/// machine) and 5 s of virtual time for the page to settle. Standard output (`--dump-dom`) goes
/// to `stdout`, a file, so that no helper process left holding a pipe can block the test.
/// Returns whether the run exited 0, and its standard error.
fn browse(
    browser: &Path,
    mode: &str,
    page: &Path,
    extra: &[String],
    stdout: &Path,
) -> (bool, String) {
    let work = stdout.with_extension("profile");
    // a stale profile from an earlier run must not change this one
    let _ = std::fs::remove_dir_all(&work);
    let stderr = stdout.with_extension("stderr");
    let status = Command::new("timeout")
        .args(["-k", "10", &BROWSER_SECONDS.to_string()])
        .arg(browser)
        .args([
            mode,
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-crash-reporter",
            "--disable-breakpad",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=5000",
            "--window-size=1200,4000",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", work.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(stdout).expect("browser stdout file"))
        .stderr(File::create(&stderr).expect("browser stderr file"))
        .status()
        .expect("run timeout(1) and chromium");
    let log = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert_ne!(
        status.code(),
        Some(124),
        "chromium {mode} ran past {BROWSER_SECONDS} s on {}:\n{log}",
        page.display()
    );
    (status.success(), log)
}

/// URLs the page itself requested, from a Chromium net log: `URL_REQUEST_START_JOB` events
/// whose initiator is the page (an opaque `file://` origin, written `null`) or whose network
/// isolation key is the `file://` site. The browser's own background requests have the
/// initiator `not an origin` and are not the page's.
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).expect("net log");
    let log: Value = serde_json::from_str(&text).expect("net log JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("URL_REQUEST_START_JOB in the net log constants");
    log["events"]
        .as_array()
        .expect("net log events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| {
            let initiator = e["params"]["initiator"].as_str().unwrap_or("");
            let site = e["params"]["network_isolation_key"].as_str().unwrap_or("");
            initiator == "null" || initiator.starts_with("file://") || site.starts_with("file://")
        })
        .filter_map(|e| e["params"]["url"].as_str().map(String::from))
        .collect()
}

/// Script appended to a copy of a page: once loaded, it writes each figure's rendered SVG size
/// (`id:WxH`) and every resource the page fetched (Resource Timing, failed fetches included)
/// into attributes of `<body>`, which `--dump-dom` then shows.
const PROBE: &str = "<script>addEventListener('load',()=>{\
document.body.dataset.figures=[...document.querySelectorAll('figure[id]')].map(f=>{\
const r=f.querySelector('svg').getBoundingClientRect();\
return f.id+':'+Math.round(r.width)+'x'+Math.round(r.height)}).join(' ');\
document.body.dataset.maps=[...document.querySelectorAll('figure.map img')].map(i=>\
i.naturalWidth+'x'+i.naturalHeight).join(' ');\
document.body.dataset.resources=performance.getEntriesByType('resource').map(e=>e.name).join(' ')});\
</script>";

/// `page` with [`PROBE`] before `</body>`, written to `out`.
fn with_probe(page: &str, out: &Path) {
    assert!(page.contains("</body>"), "no </body>");
    std::fs::write(out, page.replacen("</body>", &format!("{PROBE}</body>"), 1))
        .expect("probe copy");
}

/// Value of attribute `name` of `<body>` in a dumped DOM.
fn body_attribute(dom: &str, name: &str) -> Option<String> {
    let body = dom.split("<body").nth(1)?.split('>').next()?;
    let value = body
        .split(&format!("{name}=\""))
        .nth(1)?
        .split('"')
        .next()?;
    Some(value.to_string())
}

/// Runs `browse` with each headless mode until one exits 0; panics with every mode's log.
fn browse_any(browser: &Path, page: &Path, extra: &[String], stdout: &Path) -> &'static str {
    let mut logs = String::new();
    for mode in HEADLESS_MODES {
        let (ok, log) = browse(browser, mode, page, extra, stdout);
        if ok {
            return mode;
        }
        logs.push_str(&format!("--- {mode}:\n{log}\n"));
    }
    panic!("chromium failed on {}:\n{logs}", page.display());
}

#[test]
fn report_opens_offline_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("SONORAD_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "SONORAD_REQUIRE_BROWSER=1 but no chromium on the PATH (apt-get install chromium)"
            );
        }
        skip::announce(
            "report_opens_offline_in_headless_chromium: no chromium on the PATH \
             (apt-get install chromium; SONORAD_REQUIRE_BROWSER=1 makes this a failure)",
        );
        return;
    };
    let dir = demo_dir();
    let browser_dir = dir.join("browser");
    std::fs::create_dir_all(&browser_dir).expect("browser folder");

    // The control page requests one URL: both detectors below must see it, or they prove
    // nothing about the report.
    let control = browser_dir.join("control.html");
    let missing = "http://sonorad-control.invalid/pixel.png";
    with_probe(
        &format!("<!DOCTYPE html><html><body><img src=\"{missing}\"></body></html>"),
        &control,
    );
    let control_log = browser_dir.join("control-netlog.json");
    let control_dom = browser_dir.join("control-dom.html");
    let mode = browse_any(
        &browser,
        &control,
        &[
            format!("--log-net-log={}", control_log.display()),
            "--dump-dom".into(),
        ],
        &control_dom,
    );
    assert_eq!(
        page_requests(&control_log),
        [missing],
        "net log of the control page"
    );
    let dom = std::fs::read_to_string(&control_dom).expect("control DOM");
    assert_eq!(
        body_attribute(&dom, "data-resources").as_deref(),
        Some(missing),
        "{dom}"
    );

    // The report itself: screenshot, rendered DOM, net log.
    let report = dir.join("report.html");
    let screenshot = browser_dir.join("report.png");
    let netlog = browser_dir.join("netlog.json");
    let dom_file = browser_dir.join("dom.html");
    let (ok, log) = browse(
        &browser,
        mode,
        &report,
        &[
            format!("--screenshot={}", screenshot.display()),
            format!("--log-net-log={}", netlog.display()),
            "--dump-dom".into(),
        ],
        &dom_file,
    );
    assert!(ok, "chromium {mode} on the report:\n{log}");
    let requests = page_requests(&netlog);
    assert!(requests.is_empty(), "the report requested {requests:?}");

    // the screenshot is the 1200 × 4000 viewport with the report drawn in it: mostly white
    // page, dark text, and the figures' coloured lines
    let shot = image::open(&screenshot)
        .unwrap_or_else(|e| panic!("screenshot {}: {e}\n{log}", screenshot.display()))
        .to_rgb8();
    assert_eq!(shot.dimensions(), (1200, 4000));
    let pixels = shot.pixels().count() as f64;
    let white = shot
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c >= 250))
        .count() as f64;
    let dark = shot
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c < 100))
        .count() as f64;
    let coloured = shot
        .pixels()
        .filter(|p| p.0.iter().max().unwrap_or(&0) - p.0.iter().min().unwrap_or(&0) > 80)
        .count() as f64;
    assert!(white / pixels > 0.5, "white share {}", white / pixels);
    assert!(dark / pixels > 0.005, "text share {}", dark / pixels);
    assert!(
        coloured / pixels > 0.001,
        "coloured share {}",
        coloured / pixels
    );

    let dom = std::fs::read_to_string(&dom_file).expect("rendered DOM");
    for id in SECTIONS {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "rendered section {id}"
        );
    }
    for id in FIGURES {
        assert!(
            dom.contains(&format!("id=\"figure-{id}\"")),
            "rendered figure {id}"
        );
    }
    // the figures and the two texture maps
    assert_eq!(dom.matches("<figure ").count(), FIGURES.len() + 2);
    assert_eq!(dom.matches("<svg").count(), FIGURES.len());

    // Every figure is laid out with a real size, and the page fetched nothing.
    let probe = browser_dir.join("probe.html");
    with_probe(
        &std::fs::read_to_string(&report).expect("report.html"),
        &probe,
    );
    let probe_dom = browser_dir.join("probe-dom.html");
    let (ok, log) = browse(&browser, mode, &probe, &["--dump-dom".into()], &probe_dom);
    assert!(ok, "chromium {mode} on the probe copy:\n{log}");
    let dom = std::fs::read_to_string(&probe_dom).expect("probe DOM");
    assert_eq!(body_attribute(&dom, "data-resources").as_deref(), Some(""));
    let sizes = body_attribute(&dom, "data-figures").expect("figure sizes");
    let sizes: Vec<(&str, u32, u32)> = sizes
        .split(' ')
        .map(|entry| {
            let (id, size) = entry.rsplit_once(':').expect("id:size");
            let (w, h) = size.split_once('x').expect("WxH");
            (id, w.parse().expect("width"), h.parse().expect("height"))
        })
        .collect();
    assert_eq!(sizes.len(), FIGURES.len(), "{sizes:?}");
    // both texture maps decoded from their data: URIs (the heatmap PNG's size)
    assert_eq!(
        body_attribute(&dom, "data-maps").as_deref(),
        Some("590x520 590x520")
    );
    for (id, (figure, w, h)) in FIGURES.iter().zip(&sizes) {
        assert_eq!(*figure, format!("figure-{id}"));
        assert!(*w >= 400 && *h >= 150, "{figure} rendered {w} × {h}");
    }
}

#[test]
fn predict_scores_flags_and_names_missing_columns() {
    let dir = demo_dir();
    let models = TrainedModels::read(&dir.join("model.json")).expect("models");
    let clinical = models.clinical.as_ref().expect("combined model");
    let features = FeatureTable::read(&dir.join("features.csv")).expect("features");
    let predictions = predict(&models, &features, None).expect("predict");
    assert_eq!(predictions.len(), features.len());
    // predict reproduces the study bit for bit: each case's Rad-score (scores.csv, from `train`)
    // and combined probability (clinical_scores.csv, from the clinical stage)
    let study_scores = FeatureTable::read(&dir.join("scores.csv")).expect("scores.csv");
    let radscore = study_scores.column("radscore").expect("radscore column");
    let clinical_scores =
        FeatureTable::read(&dir.join("clinical_scores.csv")).expect("clinical_scores.csv");
    let combined = clinical_scores.column("combined").expect("combined column");
    let value = |table: &FeatureTable, row: usize, column: usize| {
        table.value(row, column).expect("number").expect("value")
    };
    let mut compared = 0;
    for p in &predictions {
        let case = |table: &FeatureTable| table.ids.iter().position(|id| *id == p.case_id);
        if let Some(row) = case(&study_scores) {
            let expected = value(&study_scores, row, radscore);
            assert_eq!(p.radscore, expected, "{}: Rad-score", p.case_id);
        }
        if let Some(row) = case(&clinical_scores) {
            let expected = value(&clinical_scores, row, combined);
            assert_eq!(p.probability, expected, "{}: probability", p.case_id);
            compared += 1;
        }
    }
    assert_eq!(compared, clinical_scores.len());
    assert!(
        compared * 10 >= predictions.len() * 9,
        "{compared} cases compared"
    );
    // the risk group is the probability against the training Youden cutoff
    for p in &predictions {
        assert!((0.0..=1.0).contains(&p.probability));
        assert_eq!(p.high_risk, p.probability >= clinical.combined_cutoff);
    }
    assert!(predictions.iter().any(|p| p.high_risk));
    assert!(predictions.iter().any(|p| !p.high_risk));

    // a value far outside the training range is flagged by name
    let feature = models
        .scoring
        .lasso_inputs
        .iter()
        .zip(&models.scoring.radscore.coefficients)
        .find(|(_, b)| **b != 0.0)
        .map(|(n, _)| n.clone())
        .expect("a Rad-score feature");
    let column = features.column(&feature).expect("column");
    let mut shifted = features.clone();
    set_feature(&mut shifted, 0, column, 1e12);
    let flagged = predict(&models, &shifted, None).expect("predict");
    assert!(
        flagged[0].out_of_range.contains(&feature),
        "{:?}",
        flagged[0].out_of_range
    );
    assert!(
        flagged[1].out_of_range.is_empty() || flagged[1].out_of_range != flagged[0].out_of_range
    );

    // a table without a needed column is an error naming it
    let mut missing = features.clone();
    missing.header[column] = "renamed".into();
    match predict(&models, &missing, None) {
        Err(ClinicalError::MissingColumn { column: c, .. }) => assert_eq!(c, feature),
        other => panic!("expected a missing-column error, got {other:?}"),
    }
    let age = features.column("age").expect("age");
    let mut no_age = features.clone();
    no_age.header[age] = "years".into();
    if clinical.variables.iter().any(|v| v.name == "age") {
        match predict(&models, &no_age, None) {
            Err(e) => assert!(e.to_string().contains("'age'"), "{e}"),
            Ok(_) => panic!("predict without the age column"),
        }
    }
}

#[test]
fn a_model_file_whose_parts_disagree_is_an_error_naming_it() {
    let demo = demo_dir();
    let dir = tempfile::tempdir().expect("temporary folder");
    let model_path = dir.path().join("model.json");
    let clinical_path = dir.path().join("clinical_model.json");
    let read_json = |path: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).expect("model file")).expect("JSON")
    };
    let write_json = |path: &Path, value: &Value| {
        std::fs::write(path, serde_json::to_string(value).expect("JSON")).expect("write")
    };
    let model = read_json(&demo.join("model.json"));
    let clinical = read_json(&demo.join("clinical_model.json"));
    // a copy of `value` whose `part` lost its last coefficient
    let without_last = |value: &Value, part: &str| -> Value {
        let mut copy = value.clone();
        copy[part]["coefficients"]
            .as_array_mut()
            .expect("coefficients")
            .pop();
        copy
    };
    let read_error = || {
        TrainedModels::read(&model_path)
            .expect_err("model files that disagree")
            .to_string()
    };

    // a Rad-score coefficient removed: model.json is named, not a panic in predict
    write_json(&model_path, &without_last(&model, "radscore"));
    let message = read_error();
    assert!(
        message.starts_with(&format!(
            "{}: not a valid sonorad model: ",
            model_path.display()
        )) && message.contains("radscore.coefficients"),
        "{message}"
    );

    // a selected feature without a logistic coefficient
    write_json(&model_path, &without_last(&model, "logistic_regression"));
    let message = read_error();
    assert!(
        message.contains("logistic_regression.coefficients"),
        "{message}"
    );

    // a combined model missing a coefficient: clinical_model.json is named
    write_json(&model_path, &model);
    write_json(&clinical_path, &without_last(&clinical, "combined"));
    let message = read_error();
    assert!(
        message.starts_with(&format!(
            "{}: not a valid sonorad model: combined: ",
            clinical_path.display()
        )),
        "{message}"
    );

    // the untouched files read
    write_json(&clinical_path, &clinical);
    TrainedModels::read(&model_path).expect("the demo's models");
}

/// Sets a feature value of a read table (NaN: missing).
fn set_feature(table: &mut FeatureTable, row: usize, column: usize, value: f64) {
    match &mut table.columns[column - 1] {
        sonorad::table::Column::Feature(values) => values[row] = value,
        sonorad::table::Column::Text(_) => panic!("column {column} is not a feature"),
    }
}

#[test]
fn predict_names_the_case_and_feature_without_a_value() {
    let dir = demo_dir();
    let models = TrainedModels::read(&dir.join("model.json")).expect("models");
    let mut features = FeatureTable::read(&dir.join("features.csv")).expect("features");
    // the demo study drops incomplete cases, so its model holds no imputation median
    assert!(models.scoring.imputation_medians.is_empty());
    let feature = models.scoring.selected_features[0].clone();
    let column = features.column(&feature).expect("column");
    set_feature(&mut features, 2, column, f64::NAN);
    let case = features.ids[2].clone();
    let message = predict(&models, &features, None)
        .expect_err("a missing value")
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: case '{case}', column '{feature}': no value, and the model holds no imputation \
             median for it",
            features.path.display()
        )
    );
}

/// A hand-edited `model.json` whose Rad-score coefficients are 1e308 (finite, but the score
/// overflows) is an error naming the case, not an exit 0 with -inf Rad-scores.
#[test]
fn predict_refuses_a_rad_score_that_overflows() {
    let dir = demo_dir();
    let mut models = TrainedModels::read(&dir.join("model.json")).expect("models");
    for b in models.scoring.radscore.coefficients.iter_mut() {
        if *b != 0.0 {
            *b = 1e308 * b.signum();
        }
    }
    for b in models.scoring.radscore.raw_coefficients.iter_mut() {
        if *b != 0.0 {
            *b = 1e308 * b.signum();
        }
    }
    let features = FeatureTable::read(&dir.join("features.csv")).expect("features");
    let message = predict(&models, &features, None)
        .expect_err("an overflowing Rad-score")
        .to_string();
    assert!(
        message.contains("column 'Rad-score': the model gives a Rad-score of")
            && message.ends_with("its coefficients are out of range for these values"),
        "{message}"
    );
}
