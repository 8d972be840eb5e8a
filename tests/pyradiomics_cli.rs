//! `sonorad pyradiomics` against PyRadiomics 3.0.1's own command line, cell for cell.
//!
//! Expected outputs: `tests/fixtures/pyradiomics_cli/expected/`, written by
//! `tests/fixtures/pyradiomics_cli/make_fixtures.py` (see its docstring), which ran the
//! `pyradiomics` command with each scenario's arguments on batch CSVs of the committed BUSI and
//! synthetic images: csv, json and txt output; absolute, relative and base-name paths;
//! `--setting` overrides (typed, unknown, unparsable), the deprecated `--label`; a failing
//! case first and in the middle (wrong label, missing file); flat, checkerboard and 2×2
//! regions, with and without `--skip-nans` (which drops NaN float scalars only: PyRadiomics'
//! feature values are 0-d arrays); `--out`, `--out-dir` with `--jobs 2` and its per-case
//! files; the input errors (no Mask column, no mask argument), an invalid parameter file and
//! `--validate`; the `Label_channel` column and `--setting label_channel:N` on an RGB mask whose
//! channels hold other regions (a channel it lacks fails the case) and on a one-channel mask.
//!
//! Each scenario runs in a copy of the folder (the images linked beside it, as in the
//! repository) and must give PyRadiomics' exit status; its output and per-case files equal
//! text for text, except that numbers may differ by 1e-9 relative (features) and the
//! `diagnostics_Versions_…` values name sonorad (documented); and its warning and error log
//! lines equal PyRadiomics' (level, logger, first line of the message), sonorad's own line
//! naming the errors file aside.

use std::path::PathBuf;
use std::process::Command;

#[path = "common/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

/// One scenario's record.
struct Expected {
    name: String,
    args: Vec<String>,
    status: i64,
    output: String,
    files: Vec<(String, String)>,
    log: Vec<String>,
}

fn scenarios() -> Vec<Expected> {
    let dir = fixtures::fixtures().join("pyradiomics_cli/expected");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            let strings = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            };
            Expected {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                args: strings(&v["args"]),
                status: v["status"].as_i64().unwrap(),
                output: v["output"].as_str().unwrap().to_string(),
                files: v["out_dir_files"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect(),
                log: strings(&v["log"]),
            }
        })
        .collect()
}

/// A copy of the scenario folder with `busi`, `synthetic` and `settings` (its RGB mask) linked
/// beside it; returns the root (what `{FIXTURES}` stands for) and the folder to run in.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let fixtures = fixtures::fixtures();
    for linked in ["busi", "synthetic", "settings"] {
        std::os::unix::fs::symlink(fixtures.join(linked), root.path().join(linked)).unwrap();
    }
    let work = root.path().join("pyradiomics_cli");
    std::fs::create_dir(&work).unwrap();
    for entry in std::fs::read_dir(fixtures.join("pyradiomics_cli")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, work.join(path.file_name().unwrap())).unwrap();
        }
    }
    (root, work)
}

/// Warning and error log lines (`L: logger: message`) of a stderr.
fn log_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('[')?;
            let (_, rest) = rest.split_once("] ")?;
            (rest.starts_with("W: ") || rest.starts_with("E: ")).then(|| rest.to_string())
        })
        .filter(|l| !l.contains(" case(s) failed; listed in "))
        .collect()
}

/// Text with every number cut out: the text between numbers, and the numbers.
fn split_numbers(text: &str) -> (Vec<String>, Vec<f64>) {
    let bytes = text.as_bytes();
    let (mut texts, mut numbers, mut current) = (Vec::new(), Vec::new(), String::new());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            || (bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number {
            current.push(bytes[i] as char);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
            j += 1;
        }
        if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
            let mut k = j + 1;
            if k < bytes.len() && (bytes[k] == b'-' || bytes[k] == b'+') {
                k += 1;
            }
            if k < bytes.len() && bytes[k].is_ascii_digit() {
                j = k;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            }
        }
        match text[i..j].parse::<f64>() {
            Ok(x) => {
                texts.push(std::mem::take(&mut current));
                numbers.push(x);
            }
            Err(_) => current.push_str(&text[i..j]),
        }
        i = j;
    }
    texts.push(current);
    (texts, numbers)
}

/// Whether two texts are equal but for numbers within 1e-9 relative (1e-12 near zero).
fn same_text(ours: &str, theirs: &str) -> Result<(), String> {
    let (t1, n1) = split_numbers(ours);
    let (t2, n2) = split_numbers(theirs);
    if t1 != t2 || n1.len() != n2.len() {
        let first = t1
            .iter()
            .zip(&t2)
            .position(|(a, b)| a != b)
            .unwrap_or(t1.len().min(t2.len()));
        return Err(format!(
            "text differs near {:?} (sonorad) vs {:?} (PyRadiomics)",
            t1.get(first),
            t2.get(first)
        ));
    }
    for (a, b) in n1.iter().zip(&n2) {
        if (a - b).abs() > 1e-12_f64.max(1e-9 * a.abs().max(b.abs())) {
            return Err(format!("number {a} (sonorad) vs {b} (PyRadiomics)"));
        }
    }
    Ok(())
}

/// The versions values blanked (sonorad names itself there; documented).
fn without_versions(text: &str, csv: bool) -> String {
    if csv {
        let mut out = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut version_columns: Vec<usize> = Vec::new();
        for record in reader.records() {
            let record = record.unwrap();
            if record
                .iter()
                .any(|c| c.starts_with("diagnostics_Versions_"))
            {
                version_columns = (0..record.len())
                    .filter(|&i| record[i].starts_with("diagnostics_Versions_"))
                    .collect();
                out.push(record.iter().collect::<Vec<_>>().join("|"));
                continue;
            }
            let cells: Vec<&str> = (0..record.len())
                .map(|i| {
                    if version_columns.contains(&i) {
                        ""
                    } else {
                        &record[i]
                    }
                })
                .collect();
            out.push(cells.join("|"));
        }
        return out.join("\n");
    }
    text.lines()
        .map(|line| match line.find("diagnostics_Versions_") {
            Some(at) => {
                let key_end = line[at..].find([':', '"']).map_or(line.len(), |e| at + e);
                line[..key_end].to_string()
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_csv(args: &[String]) -> bool {
    args.windows(2).any(|w| w[0] == "-f" && w[1] == "csv")
}

fn check(expected: &Expected) -> Result<(), String> {
    let (root, work) = workspace();
    let fixtures_root = root.path().display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .arg("pyradiomics")
        .args(&expected.args)
        .current_dir(&work)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let status = i64::from(out.status.code().unwrap_or(-1));
    if status != expected.status {
        return Err(format!(
            "exit status {status}, PyRadiomics {}; stderr:\n{stderr}",
            expected.status
        ));
    }
    let output = match expected.args.iter().position(|a| a == "-o") {
        Some(i) => std::fs::read_to_string(work.join(&expected.args[i + 1])).unwrap(),
        None => String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    let theirs = expected.output.replace("{FIXTURES}", &fixtures_root);
    let csv = is_csv(&expected.args);
    same_text(
        &without_versions(&output, csv),
        &without_versions(&theirs, csv),
    )
    .map_err(|e| format!("output: {e}\n--- sonorad:\n{output}\n--- stderr:\n{stderr}"))?;
    let mut ours: Vec<String> = match std::fs::read_dir(work.join("outdir")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("features_"))
            .collect(),
        Err(_) => Vec::new(),
    };
    ours.sort();
    // PyRadiomics caches a failed case too (its input columns alone); sonorad does not, so
    // that a repeated run tries it again (documented)
    let finished: Vec<&(String, String)> = expected
        .files
        .iter()
        .filter(|(_, text)| text.contains("diagnostics_"))
        .collect();
    let names: Vec<String> = finished.iter().map(|(k, _)| k.clone()).collect();
    if ours != names {
        return Err(format!("--out-dir files {ours:?}, PyRadiomics {names:?}"));
    }
    for (name, text) in finished {
        let written = std::fs::read_to_string(work.join("outdir").join(name)).unwrap();
        let text = text.replace("{FIXTURES}", &fixtures_root);
        same_text(
            &without_versions(&written, true),
            &without_versions(&text, true),
        )
        .map_err(|e| format!("--out-dir {name}: {e}"))?;
    }
    // with --jobs > 1 PyRadiomics' workers log elsewhere, so its record holds no lines
    let parallel = expected.args.iter().any(|a| a == "-j");
    let log = log_lines(&stderr);
    let theirs_log: Vec<&String> = expected
        .log
        .iter()
        .filter(|l| l.starts_with("W: ") || l.starts_with("E: "))
        .collect();
    if !parallel && log.iter().collect::<Vec<_>>() != theirs_log {
        return Err(format!("log lines\n{log:#?}\nPyRadiomics\n{theirs_log:#?}"));
    }
    Ok(())
}

#[test]
fn every_scenario_matches_pyradiomics_command_line() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 14, "{} scenarios", scenarios.len());
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|s| check(s).err().map(|e| format!("{}: {e}", s.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_resumed_out_dir_run_reads_finished_cases_back_and_retries_failures() {
    let (_root, work) = workspace();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_sonorad"))
            .args(["pyradiomics", "batch.csv", "-p", "params.yaml", "-f", "csv"])
            .args(["-od", "outdir", "--backend", "cpu"])
            .current_dir(&work)
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0));
    let outdir = work.join("outdir");
    let mut files: Vec<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // case 4 has a wrong label: not cached, listed in the errors file
    assert_eq!(
        files,
        vec![
            "errors.csv",
            "features_1.csv",
            "features_2.csv",
            "features_3.csv",
            "features_5.csv"
        ]
    );
    let errors = std::fs::read_to_string(outdir.join("errors.csv")).unwrap();
    assert!(errors.starts_with("Case,Image,Mask,Error\n4,"), "{errors}");
    assert!(errors.contains("no pixel has label 3"), "{errors}");
    // a finished case is read back, not extracted again: change its file and see the change
    let case1 = outdir.join("features_1.csv");
    let text = std::fs::read_to_string(&case1).unwrap();
    std::fs::write(&case1, text.replace("\nbenign2,", "\nbenign2-kept,")).unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("\nbenign2-kept,"), "{stdout}");
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(
        stderr.matches("Feature extraction failed!").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn bad_arguments_are_refused_as_pyradiomics_refuses_them() {
    let (_root, work) = workspace();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sonorad"))
            .arg("pyradiomics")
            .args(args)
            .current_dir(&work)
            .output()
            .unwrap()
    };
    let out = run(&["batch.csv", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid choice"));
    let out = run(&["batch.csv", "-f", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["batch.csv", "-m", "voxel"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sonorad map"));
    let out = run(&["batch.csv", "-s", "wavelet:a:b"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Error extracting features!"));
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sonorad pyradiomics "));
    let out = run(&["batch.csv", "-o", "/proc/no/such/dir/out.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can't open"));
}
