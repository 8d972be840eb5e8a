//! The bundled fixtures and the long CSV the command line prints.

use std::path::{Path, PathBuf};

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Reads a long `feature,value` CSV into pairs.
pub fn read_long(text: &str) -> Vec<(String, f64)> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse::<f64>().unwrap())
        })
        .collect()
}
