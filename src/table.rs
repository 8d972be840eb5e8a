//! Feature tables: long CSV (`feature,value`) for one case, wide CSV (one row per case).
//!
//! Values are written with Rust's shortest round-trip formatting, so reading them back gives the
//! same `f64` bit for bit. NaN is written `nan`, infinities `inf` / `-inf`.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::extract::FeatureRow;

/// Formats a value so that it parses back to the same `f64`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:?}")
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes one case as a long CSV `feature,value`.
pub fn write_long(out: impl Write, row: &FeatureRow, path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["feature", "value"])
        .map_err(|e| write_error(path, e))?;
    for (name, value) in row {
        w.write_record([name.as_str(), &format_value(*value)])
            .map_err(|e| write_error(path, e))?;
    }
    w.flush().map_err(|e| write_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for v in [0.1 + 0.2, 1e-300, -2.5e17, 1.0 / 3.0, 0.0] {
            assert_eq!(
                format_value(v).parse::<f64>().unwrap().to_bits(),
                v.to_bits()
            );
        }
        assert_eq!(format_value(f64::NAN), "nan");
        assert_eq!(format_value(1.0), "1.0");
    }
}
