//! Running the `sonorad` binary.

use std::process::{Command, Output};

/// Runs the `sonorad` binary.
pub fn sonorad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .output()
        .unwrap()
}
