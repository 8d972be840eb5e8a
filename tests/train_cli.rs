//! `sonorad train` as a user runs it: outputs, the printed summary, a Parquet feature table, a
//! non-binary outcome, errors naming the file, and missing values. Input: every third case of the BUSI features
//! (tests/fixtures/train/busi_features.csv), outcome `malignant`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sonorad::batch::{write_table, OutputFormat};
use sonorad::train::data::RawTable;
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
    let RawTable { header, rows, .. } = RawTable::read(&csv_table).expect("features.csv");
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
