//! `sonorad map` over a manifest, killed at several moments and run again each time: every
//! finished case is kept (skipped, not mapped again), none is mapped twice, and when the run
//! completes every case's maps equal an uninterrupted run's byte for byte: no file is left
//! half-written (a case counts as done only once its page, written last and renamed into
//! place, exists; a case cut short is mapped again whole).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn sonorad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
}

fn map_args(manifest: &Path, out: &Path) -> Vec<String> {
    [
        "map",
        "--backend",
        "cpu",
        "--manifest",
        &manifest.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--formats",
        "nifti",
        "--kernel-radius",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_map_run_killed_and_resumed_equals_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort");
    let made = sonorad()
        .args(["generate", "--cases", "12", "--size", "128", "--out"])
        .arg(&cohort)
        .output()
        .unwrap();
    assert!(made.status.success());
    let manifest = cohort.join("manifest.csv");
    let whole = dir.path().join("whole");
    let run = sonorad()
        .args(map_args(&manifest, &whole))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let resumed = dir.path().join("resumed");
    // kills at spread-out moments (the whole run takes a few seconds), each then resumed
    for millis in [300u64, 900, 1500] {
        let mut child = sonorad()
            .args(map_args(&manifest, &resumed))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(millis));
        let _ = child.kill();
        child.wait().unwrap();
    }
    let last = sonorad()
        .args(map_args(&manifest, &resumed))
        .output()
        .unwrap();
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    let summary = String::from_utf8_lossy(&last.stderr);
    let mapped: usize = summary
        .split(" cases mapped, ")
        .next()
        .and_then(|s| s.rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary: {summary}"));
    assert!(mapped < 12, "the killed runs kept no case: {summary}");
    let leftovers: Vec<PathBuf> = files(&resumed)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (ours, theirs) = (files(&resumed), files(&whole));
    let names = |f: &[(PathBuf, Vec<u8>)]| f.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs));
    for ((path, a), (_, b)) in ours.iter().zip(&theirs) {
        assert!(
            a == b,
            "{} differs from the uninterrupted run's",
            path.display()
        );
    }
}
