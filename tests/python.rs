//! The Python package (`python/`): `python/run_tests.sh` builds its wheel with maturin,
//! installs it into a venv and runs its pytest suite (`python/tests`), which checks the
//! installed package against this checkout's `sonorad` binary: the same features from files,
//! numpy arrays and manifests, the study and its predictions, a Dask cluster, progress, the
//! settings errors and the bad inputs. When the machine cannot set up the venv (no
//! `python3 -m venv`, no package index) the test prints a loud SKIPPED line; with
//! `SONORAD_REQUIRE_PYTHON=1` (set by `.ci/run`) it fails instead.

#[path = "common/skip.rs"]
mod skip;

#[path = "common/script.rs"]
mod script;
use script::run_script;

#[test]
fn python_package_equals_the_command_line() {
    let (code, log) = run_script("python/run_tests.sh");
    if code == Some(77) {
        if std::env::var("SONORAD_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
            panic!("SONORAD_REQUIRE_PYTHON=1 but the Python venv cannot be set up:\n{log}");
        }
        skip::announce(&format!(
            "the Python package tests need python3 with venv and a package index:\n{log}"
        ));
        return;
    }
    assert!(code == Some(0), "python/run_tests.sh failed:\n{log}");
    assert!(log.contains(" passed"), "{log}");
    // a pytest test skipped (the device maps without an adapter) is shown, not passed silently
    for line in log.lines().filter(|l| l.starts_with("SKIPPED")) {
        skip::announce(&format!("python/tests: {line}"));
    }
}
