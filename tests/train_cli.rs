//! `sonorad train` as a user runs it: outputs, the printed summary, a Parquet feature table, a
//! non-binary outcome, errors naming the file, and missing values. Input: every third case of the BUSI features
//! (tests/fixtures/train/busi_features.csv), outcome `malignant`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sonorad::archive::{write_table, OutputFormat};
use sonorad::table::FeatureTable;
use sonorad::train::ScoringModel;

/// Writes every third BUSI case to `dir/features.csv`, after `edit(case number, header, row)`.
fn features(dir: &Path, edit: impl Fn(usize, &[String], &mut Vec<String>)) -> PathBuf {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train/busi_features.csv");
    let mut reader = csv::Reader::from_path(&source).expect("BUSI features");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let path = dir.join("features.csv");
    let mut writer = csv::Writer::from_path(&path).expect("features.csv");
    writer.write_record(&header).expect("write header");
    for (k, record) in reader.records().enumerate().filter(|(k, _)| k % 3 == 0) {
        let mut row: Vec<String> = record.expect("row").iter().map(String::from).collect();
        edit(k / 3, &header, &mut row);
        writer.write_record(&row).expect("write row");
    }
    writer.flush().expect("flush");
    path
}

fn train(features: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .arg("train")
        .arg("--features")
        .arg(features)
        .args(["--outcome", "malignant", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("sonorad runs")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("JSON output");
    serde_json::from_str(&text).expect("valid JSON")
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).expect("column")
}

#[test]
fn train_writes_outputs_and_prints_a_markdown_summary() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let table = features(dir.path(), |_, _, _| {});
    let out = dir.path().join("study");
    let output = train(&table, &out, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // the Markdown summary: title, cohorts, and a metrics table row per model and cohort
    assert!(stdout.starts_with("## sonorad train"), "{stdout}");
    assert!(stdout.contains("Cohorts: training 151 (49 positive), validation 65 (21 positive)."));
    let models = [
        "radscore",
        "logistic_regression",
        "svm_rbf",
        "knn",
        "random_forest",
        "gradient_boosting",
        "mlp",
    ];
    for model in models {
        for cohort in ["training", "validation"] {
            let prefix = format!("| {model} | {cohort} | ");
            assert!(stdout.contains(&prefix), "no summary row {prefix}");
        }
    }

    // metrics.csv: one row per model and cohort, AUC inside its confidence interval
    let mut reader = csv::Reader::from_path(out.join("metrics.csv")).expect("metrics.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2 * models.len());
    let (auc, low, high) = (
        column(&header, "auc"),
        column(&header, "auc_ci_low"),
        column(&header, "auc_ci_high"),
    );
    for row in &rows {
        let value = |c: usize| row[c].parse::<f64>().expect("number");
        assert!(
            value(low) <= value(auc) && value(auc) <= value(high),
            "{row:?}"
        );
    }

    // selection.json: mRMR order, LASSO λ and kept features
    let selection = json(&out.join("selection.json"));
    let order = selection["mrmr"]["order"].as_array().expect("mRMR order");
    assert_eq!(order.len(), 20);
    let lambda = selection["lasso"]["lambda"].as_f64().expect("λ");
    assert_eq!(
        lambda,
        selection["lasso"]["lambda_1se"].as_f64().expect("λ 1se")
    );
    assert!(!selection["lasso"]["kept"]
        .as_array()
        .expect("kept")
        .is_empty());

    // model.json scores a case as the study did (scores.csv)
    let model: ScoringModel =
        serde_json::from_value(json(&out.join("model.json"))).expect("model.json");
    let mut cases = csv::Reader::from_path(&table).expect("features");
    let case_header: Vec<String> = cases
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let first: Vec<String> = cases
        .records()
        .next()
        .expect("a case")
        .expect("row")
        .iter()
        .map(String::from)
        .collect();
    let value = |name: &str| -> Option<f64> { first[column(&case_header, name)].parse().ok() };
    let (radscore, probability) = model.score(&value).expect("score");
    let mut scores = csv::Reader::from_path(out.join("scores.csv")).expect("scores.csv");
    let score_header: Vec<String> = scores
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let row: Vec<String> = scores
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect::<Vec<_>>())
        .find(|r| r[0] == first[0])
        .expect("the case in scores.csv");
    let stored = |name: &str| {
        row[column(&score_header, name)]
            .parse::<f64>()
            .expect("score")
    };
    assert!((radscore - stored("radscore")).abs() <= 1e-12 * radscore.abs().max(1.0));
    assert!((probability - stored("logistic_regression")).abs() <= 1e-12);
}

#[test]
fn a_parquet_feature_table_trains_the_same_study_as_its_csv() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let csv_table = features(dir.path(), |_, _, _| {});
    // the same table as `extract --format parquet` writes it: the id as text, the rest float64
    let (header, rows) = sonorad::table::read_table(&csv_table).expect("features.csv");
    let parquet_table = dir.path().join("features.parquet");
    write_table(&parquet_table, OutputFormat::Parquet, &header, 1, &rows).expect("Parquet");

    let from_csv = dir.path().join("csv");
    let from_parquet = dir.path().join("parquet");
    for (table, out) in [(&csv_table, &from_csv), (&parquet_table, &from_parquet)] {
        let output = train(table, out, &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for file in [
        "model.json",
        "scores.csv",
        "metrics.csv",
        "split.csv",
        "delong.csv",
    ] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).expect("output");
        assert!(
            read(&from_csv) == read(&from_parquet),
            "{file} differs between the CSV and the Parquet table"
        );
    }
}

#[test]
fn a_non_binary_outcome_is_an_error_listing_the_values() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let table = features(dir.path(), |k, header, row| {
        let outcome = column(header, "malignant");
        match k {
            3 => row[outcome] = "2".into(),
            10 => row[outcome] = "yes".into(),
            11 => row[outcome] = "2".into(),
            _ => {}
        }
    });
    let out = dir.path().join("study");
    let output = train(&table, &out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "{}: outcome column 'malignant' must be binary (0/1); other values found: [\"2\", \
             \"yes\"]",
            table.display()
        )),
        "{stderr}"
    );
    assert!(!out.join("model.json").exists());
}

#[test]
fn errors_about_the_table_or_the_settings_name_the_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let table = features(dir.path(), |_, _, _| {});
    let stderr = |output: Output| {
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    // a split column without train/validation labels
    let message = stderr(train(
        &table,
        &dir.path().join("split"),
        &["--split-column", "malignant"],
    ));
    assert!(
        message.contains(&format!(
            "{}: split column 'malignant' must hold train/validation labels; other values \
             found: [\"0\", \"1\"]",
            table.display()
        )),
        "{message}"
    );

    // too few positive cases for the LASSO folds
    let few = dir.path().join("few");
    std::fs::create_dir(&few).expect("folder");
    let few_positives = features(&few, |k, header, row| {
        if k >= 12 {
            row[column(header, "malignant")] = "0".into();
        }
    });
    let message = stderr(train(&few_positives, &dir.path().join("few-out"), &[]));
    assert!(
        message.contains(&format!(
            "{}: split: the training cohort has ",
            few_positives.display()
        )) && message.contains("each class needs at least lasso_folds = 10"),
        "{message}"
    );

    // a file named .parquet that is not Parquet
    let bogus = dir.path().join("bogus.parquet");
    std::fs::write(&bogus, "case_id,malignant\n").expect("bogus.parquet");
    let message = stderr(train(&bogus, &dir.path().join("bogus"), &[]));
    assert!(
        message.contains(&format!("{}: ", bogus.display())) && message.contains("Parquet"),
        "{message}"
    );

    // an out-of-range setting in study.toml
    let config = dir.path().join("study.toml");
    std::fs::write(&config, "validation_fraction = 1.5\n").expect("study.toml");
    let message = stderr(train(
        &table,
        &dir.path().join("config"),
        &["--config", config.to_str().expect("UTF-8 path")],
    ));
    assert!(
        message.contains(&format!(
            "{}: invalid setting: validation_fraction must lie strictly between 0 and 1, not 1.5",
            config.display()
        )),
        "{message}"
    );
}

#[test]
fn missing_values_are_imputed_with_training_medians() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let blank = "tumor_original_firstorder_Mean";
    let table = features(dir.path(), |k, header, row| {
        if k % 20 == 1 {
            row[column(header, blank)] = String::new();
        }
    });
    let out = dir.path().join("study");
    let output = train(&table, &out, &["--missing", "impute"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // 11 cases (1, 21, ..., 201) lack one value each; all are kept
    assert!(
        stdout.contains("11 case(s) with missing feature values (count in brackets), imputed with training medians"),
        "{stdout}"
    );
    assert!(stdout.contains("Cohorts: training 151"), "{stdout}");
    let model = json(&out.join("model.json"));
    let median = model["imputation_medians"][blank]
        .as_f64()
        .expect("median of the feature");
    assert!(median.is_finite());

    // the default drops the same cases
    let dropped = train(&table, &dir.path().join("dropped"), &[]);
    let stdout = String::from_utf8_lossy(&dropped.stdout);
    assert!(dropped.status.success());
    assert!(stdout.contains("11 case(s) with missing feature values (count in brackets), excluded"));
    let model = json(&dir.path().join("dropped/model.json"));
    assert_eq!(model["imputation_medians"], serde_json::json!({}));
}

/// A feature column without any value is left out with a note (it used to make every case
/// incomplete, and the study stopped with "0 positive and 0 negative" cases); a split column
/// that puts every case in training is an error, not a study without validation.
#[test]
fn an_empty_feature_column_and_an_empty_validation_cohort() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let empty = "tumor_original_glcm_Contrast";
    let table = features(dir.path(), |_, header, row| {
        row[column(header, empty)] = "nan".into();
    });
    let output = train(&table, &dir.path().join("study"), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "1 feature column(s) without a value in any case, left out: {empty}"
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains("case(s) with missing feature values"),
        "{stdout}"
    );

    // the same table with a split column after the id that puts every case in training
    let all_training = dir.path().join("all_training.csv");
    let text: String = std::fs::read_to_string(features(dir.path(), |_, _, _| {}))
        .expect("table")
        .lines()
        .enumerate()
        .map(|(k, line)| {
            let (id, rest) = line.split_once(',').expect("id column");
            let cell = if k == 0 { "split" } else { "train" };
            format!("{id},{cell},{rest}\n")
        })
        .collect();
    std::fs::write(&all_training, text).expect("write");
    let output = train(
        &all_training,
        &dir.path().join("no_validation"),
        &["--split-column", "split"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the validation cohort is empty (every case is in training)"),
        "{stderr}"
    );
}

/// Runs `sonorad` with `args`; a run still going after `limit` is killed and fails the test
/// (a hang guard, not a speed measurement).
fn run_bounded(args: &[&std::ffi::OsStr], limit: std::time::Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sonorad runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            child.kill().expect("kill");
            panic!("sonorad {args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn train_finishes_on_the_separable_generated_cohort() {
    // issue 21: `generate --cases 200 --size 128`, `extract`, `train` with defaults spun for
    // minutes inside linfa-logistic's line search (the generated textures separate the classes)
    let dir = tempfile::tempdir().expect("temporary folder");
    let cohort = dir.path().join("cohort");
    let features = dir.path().join("features.csv");
    let out = dir.path().join("study");
    let minute = std::time::Duration::from_secs(60);
    let os = |s: &str| std::ffi::OsString::from(s);
    let steps: [Vec<std::ffi::OsString>; 3] = [
        vec![
            os("generate"),
            os("--cases"),
            os("200"),
            os("--size"),
            os("128"),
            os("--out"),
            cohort.clone().into(),
        ],
        vec![
            os("extract"),
            os("--manifest"),
            cohort.join("manifest.csv").into(),
            os("--backend"),
            os("cpu"),
            os("--quiet"),
            os("--out"),
            features.clone().into(),
        ],
        vec![
            os("train"),
            os("--features"),
            features.clone().into(),
            os("--outcome"),
            os("outcome"),
            os("--out"),
            out.clone().into(),
        ],
    ];
    for step in &steps {
        let args: Vec<&std::ffi::OsStr> = step.iter().map(|a| a.as_os_str()).collect();
        let output = run_bounded(&args, 2 * minute);
        assert!(
            output.status.success(),
            "{step:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // issue 22: the feature table as the clinical table (as `demo` uses it) failed with
    // "singular information matrix" and wrote no report; the Rad-score separates the outcome
    let with_clinical = dir.path().join("with_clinical");
    let args: Vec<std::ffi::OsString> = vec![
        os("train"),
        os("--features"),
        features.clone().into(),
        os("--outcome"),
        os("outcome"),
        os("--clinical"),
        features.clone().into(),
        os("--out"),
        with_clinical.clone().into(),
    ];
    let output = run_bounded(
        &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
        minute,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "warning: The clinical and combined models were not fitted: logistic regression \
             'combined': complete or quasi-complete separation"
        ),
        "{stderr}"
    );
    assert!(with_clinical.join("report.html").exists());

    let mut reader = csv::Reader::from_path(out.join("metrics.csv")).expect("metrics.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let auc = column(&header, "auc");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    for name in [
        "logistic_regression",
        "svm_rbf",
        "knn",
        "random_forest",
        "gradient_boosting",
        "mlp",
    ] {
        let aucs: Vec<f64> = rows
            .iter()
            .filter(|r| &r[0] == name)
            .map(|r| r[auc].parse().expect("an AUC"))
            .collect();
        assert_eq!(aucs.len(), 2, "{name}: a training and a validation row");
        // the classes are separable: every model ranks the cases well
        assert!(aucs.iter().all(|&a| a > 0.9), "{name}: AUC {aucs:?}");
    }
}

/// Every third BUSI case with a clinical table: `age`, `age_months` = 12 × age (aliased with
/// age) and `sep`, which is the outcome itself (separates it).
fn clinical_table(dir: &Path) -> (PathBuf, PathBuf) {
    let table = features(dir, |_, _, _| {});
    let raw = FeatureTable::read(&table).expect("features");
    let malignant = raw.column("malignant").expect("outcome");
    let clinical = dir.join("clinical.csv");
    let mut text = String::from("case_id,age,age_months,sep\n");
    for (k, id) in raw.ids.iter().enumerate() {
        let age = 30 + (k * 37) % 41;
        let sep = if raw.text(k, malignant) == "1" {
            "yes"
        } else {
            "no"
        };
        text += &format!("{id},{age},{},{sep}\n", 12 * age);
    }
    std::fs::write(&clinical, text).expect("clinical.csv");
    (table, clinical)
}

/// `train --clinical CLINICAL --clinical-vars VARIABLES`, which must succeed; its stderr.
fn train_with(table: &Path, out: &Path, clinical: &Path, variables: &str) -> String {
    let output = train(
        table,
        out,
        &[
            "--clinical",
            clinical.to_str().expect("path"),
            "--clinical-vars",
            variables,
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn an_aliased_clinical_term_is_na_and_a_separating_variable_is_reported() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (table, clinical) = clinical_table(dir.path());
    let out = dir.path().join("aliased");
    train_with(&table, &out, &clinical, "age,age_months");
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        report.contains("clinical model: 1 aliased (a linear combination of the terms before; not estimated, NA as in R&#39;s glm): age_months")
            || report.contains("clinical model: 1 aliased (a linear combination of the terms before; not estimated, NA as in R's glm): age_months"),
        "aliasing note"
    );
    assert!(
        report.contains("combined model: 1 aliased"),
        "combined aliasing note"
    );
    assert!(
        report.contains("sep: complete or quasi-complete separation of the outcome in training"),
        "separation note"
    );
    assert!(report.contains("NA (aliased)"));
    // in the CSV the aliased term is missing, spelt `nan` as in every table sonorad writes
    let table_csv = std::fs::read_to_string(out.join("clinical_multivariable.csv")).expect("csv");
    let aliased = table_csv
        .lines()
        .find(|l| l.starts_with("age_months,"))
        .expect("the aliased term's row");
    assert_eq!(aliased, "age_months,nan,nan,nan,nan,nan,nan");
    // the clinical model equals the model on age alone
    let model: Value = json(&out.join("clinical_model.json"));
    let alone = dir.path().join("alone");
    train_with(&table, &alone, &clinical, "age");
    let reference: Value = json(&alone.join("clinical_model.json"));
    let coefficients = |v: &Value| -> Vec<f64> {
        v["clinical"]["coefficients"]
            .as_array()
            .expect("coefficients")
            .iter()
            .map(|c| c.as_f64().expect("number"))
            .collect()
    };
    assert_eq!(model["clinical"]["aliased"], serde_json::json!([1]));
    let (ours, expected) = (coefficients(&model), coefficients(&reference));
    assert_eq!(ours.len(), 3);
    assert_eq!(ours[2], 0.0);
    for j in 0..2 {
        assert!(
            (ours[j] - expected[j]).abs() < 1e-9,
            "{ours:?} vs {expected:?}"
        );
    }

    // the separating variable as the clinical model: reported, and the rest still written
    let out = dir.path().join("separated");
    let stderr = train_with(&table, &out, &clinical, "sep");
    assert!(
        stderr.contains("warning: The clinical and combined models were not fitted: logistic regression 'clinical': complete or quasi-complete separation"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(report.contains("The radiomics results below are complete."));
    assert!(out.join("metrics.csv").exists() && out.join("model.json").exists());
    assert!(!out.join("clinical_model.json").exists());
}
