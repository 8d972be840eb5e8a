//! Running the `sonorad` binary.

use std::process::{Command, Output};

/// Runs the `sonorad` binary.
pub fn sonorad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `sonorad extract --backend cpu ARGS`, asserting that it succeeds.
pub fn extract_succeeds(args: &[&str]) -> Output {
    let mut all = vec!["extract", "--backend", "cpu"];
    all.extend_from_slice(args);
    let out = sonorad(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
