//! Reading the oracle JSON files of tests/fixtures (numbers and 0/1 labels).

use serde_json::Value;

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// A JSON array of 0/1 labels; any other value fails the test.
pub fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| match x.as_i64() {
            Some(1) => true,
            Some(0) => false,
            _ => panic!("label {x} is not 0/1"),
        })
        .collect()
}
