//! Skips that show in the normal `cargo test` output.

use std::io::Write;

/// Tells the terminal that a test is skipped and why. The test harness captures what
/// `eprintln!` prints and shows it only for failed tests, so a skipped test that passes would
/// be silent; a write to the standard error handle itself is not captured.
pub fn announce(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "\n*** SKIPPED: {message} ***\n");
}
