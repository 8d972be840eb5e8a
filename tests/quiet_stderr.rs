//! A successful run prints nothing on stderr but sonorad's own notes: the Vulkan driver's
//! window-system layer, probed while adapters are listed, must not print "error: XDG_RUNTIME_DIR
//! is invalid or not set in the environment." on a machine without a desktop session (issue 30).
//! Run without `XDG_RUNTIME_DIR`, as on a server or in CI; on lavapipe (CI installs it) the
//! Vulkan instance, its implicit layers and the adapter are really created.

use std::process::Command;

#[path = "common/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

/// sonorad's own stderr notes of a successful run with the default backend.
const OWN_NOTES: &[&str] = &["backend auto: "];

fn run_without_session(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_only_own_notes(stderr: &str) {
    for line in stderr.lines() {
        assert!(
            OWN_NOTES.iter().any(|n| line.starts_with(n)),
            "stderr holds a line that is not sonorad's: {line:?}\n{stderr}"
        );
    }
}

#[test]
fn info_prints_no_driver_chatter() {
    let (ok, stderr) = run_without_session(&["info"]);
    assert!(ok, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// With the default backend, and with `mixed`, which creates the GPU instance on any adapter
/// (the default does not on a machine without a GPU device, `device::hardware_gpu_possible`).
#[test]
fn a_successful_extract_prints_only_sonorads_notes() {
    let busi = fixtures::fixtures().join("busi/benign");
    let image = busi.join("benign (1).png");
    let mask = busi.join("benign (1)_mask.png");
    let out = tempfile::tempdir().unwrap();
    let mut backends = vec!["auto"];
    if !sonorad::device::adapters().is_empty() {
        backends.push("mixed");
    }
    for backend in backends {
        let csv = out.path().join(format!("{backend}.csv"));
        let (ok, stderr) = run_without_session(&[
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--backend",
            backend,
            "--out",
            csv.to_str().unwrap(),
        ]);
        assert!(ok, "{backend}: {stderr}");
        assert_only_own_notes(&stderr);
    }
}

#[test]
fn a_successful_pyradiomics_run_prints_nothing() {
    let busi = fixtures::fixtures().join("busi/benign");
    let image = busi.join("benign (1).png");
    let mask = busi.join("benign (1)_mask.png");
    // a parameter file without the classes PyRadiomics warns about (3D shape, SumAverage)
    let params = fixtures::fixtures().join("pyradiomics_cli/params.yaml");
    let (ok, stderr) = run_without_session(&[
        "pyradiomics",
        image.to_str().unwrap(),
        mask.to_str().unwrap(),
        "-p",
        params.to_str().unwrap(),
        "-s",
        "label:255",
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
