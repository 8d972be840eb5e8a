//! Running a test script of this repository with the `sonorad` binary of the build.

use std::process::Command;

/// Runs `bash ROOT/relative` with `SONORAD_BIN` set to the built binary; its exit status and
/// its standard output and error together.
pub fn run_script(relative: &str) -> (Option<i32>, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("bash")
        .arg(format!("{root}/{relative}"))
        .env("SONORAD_BIN", env!("CARGO_BIN_EXE_sonorad"))
        .output()
        .expect("bash");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), log)
}
