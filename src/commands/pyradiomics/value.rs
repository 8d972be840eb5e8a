//! The Python values a PyRadiomics result holds, and the three ways its command line writes
//! them: `str()` (the CSV and text outputs), `repr()` (inside a `str()` of a dict, list or
//! tuple: the settings dict, spacings, sizes) and `json.dump(..., indent=2)` with PyRadiomics'
//! encoder (arrays as lists). Writing them the way Python does, digit for digit, is what lets a
//! lab's scripts read sonorad's output where they read PyRadiomics'.

use crate::compat::DefaultValue;
use crate::diagnostics;
use crate::filters::log::python_float_repr;

/// A value of a PyRadiomics result, typed as Python holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `bool`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// A `float` or numpy `float64` scalar (`--skip-nans` drops these when NaN).
    Float(f64),
    /// A numpy 0-d `float64` array: most feature values (`numpy.squeeze` of a class's
    /// result). Written as a float, but not a `float` to `--skip-nans`.
    Array0(f64),
    /// `str`.
    Str(String),
    /// `tuple`.
    Tuple(Vec<PyValue>),
    /// `list`.
    List(Vec<PyValue>),
    /// `dict` with string keys, in insertion order.
    Dict(Vec<(String, PyValue)>),
}

impl From<DefaultValue> for PyValue {
    /// A PyRadiomics default setting as the value its settings dict holds.
    fn from(value: DefaultValue) -> PyValue {
        match value {
            DefaultValue::None => PyValue::None,
            DefaultValue::Bool(b) => PyValue::Bool(b),
            DefaultValue::Int(i) => PyValue::Int(i),
            DefaultValue::Str(s) => PyValue::Str(s.to_string()),
            DefaultValue::IntList(items) => {
                PyValue::List(items.iter().map(|&i| PyValue::Int(i)).collect())
            }
        }
    }
}

impl PyValue {
    /// Python's `str()` of the value.
    pub fn str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            other => other.repr(),
        }
    }

    /// Python's `repr()` of the value (a 0-d array as its `str()`, which is how it shows
    /// inside containers PyRadiomics writes).
    pub fn repr(&self) -> String {
        match self {
            PyValue::None => "None".into(),
            PyValue::Bool(b) => if *b { "True" } else { "False" }.into(),
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(x) | PyValue::Array0(x) => python_float_repr(*x),
            PyValue::Str(s) => string_repr(s),
            PyValue::Tuple(items) if items.len() == 1 => format!("({},)", items[0].repr()),
            PyValue::Tuple(items) => format!("({})", joined(items)),
            PyValue::List(items) => format!("[{}]", joined(items)),
            PyValue::Dict(pairs) => {
                let pairs: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}: {}", string_repr(k), v.repr()))
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }
        }
    }

    /// Whether `--skip-nans` drops the value: PyRadiomics' test is
    /// `isinstance(v, float) and numpy.isnan(v)`, true for float scalars only.
    pub fn is_float_nan(&self) -> bool {
        matches!(self, PyValue::Float(x) if x.is_nan())
    }

    /// The value as `json.dump(..., indent=2)` writes it at nesting depth `depth`.
    pub fn write_json(&self, out: &mut String, depth: usize) {
        match self {
            PyValue::None => out.push_str("null"),
            PyValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PyValue::Int(i) => out.push_str(&i.to_string()),
            PyValue::Float(x) | PyValue::Array0(x) => out.push_str(&json_float(*x)),
            PyValue::Str(s) => out.push_str(&json_string(s)),
            PyValue::Tuple(items) | PyValue::List(items) => {
                json_container(out, depth, ('[', ']'), items, |out, item, depth| {
                    item.write_json(out, depth)
                })
            }
            PyValue::Dict(pairs) => {
                json_container(out, depth, ('{', '}'), pairs, |out, (k, v), depth| {
                    out.push_str(&json_string(k));
                    out.push_str(": ");
                    v.write_json(out, depth);
                })
            }
        }
    }

    /// A value of a parameter file, as PyRadiomics' YAML loader gives it.
    pub fn from_yaml(value: &serde_norway::Value) -> PyValue {
        use serde_norway::Value as Y;
        match value {
            Y::Null => PyValue::None,
            Y::Bool(b) => PyValue::Bool(*b),
            Y::Number(n) => match n.as_i64() {
                Some(i) => PyValue::Int(i),
                None => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Y::String(s) => PyValue::Str(s.clone()),
            Y::Sequence(items) => PyValue::List(items.iter().map(PyValue::from_yaml).collect()),
            Y::Mapping(map) => PyValue::Dict(
                map.iter()
                    .map(|(k, v)| (PyValue::from_yaml(k).str(), PyValue::from_yaml(v)))
                    .collect(),
            ),
            Y::Tagged(tagged) => PyValue::from_yaml(&tagged.value),
        }
    }

    /// A diagnostic of the library, typed as PyRadiomics types it (numpy floats, tuples).
    pub fn from_diagnostic(value: &diagnostics::Value) -> PyValue {
        use diagnostics::Value as D;
        match value {
            D::Text(s) => PyValue::Str(s.clone()),
            D::Int(i) => PyValue::Int(i64::try_from(*i).unwrap_or(i64::MAX)),
            D::Float(x) => PyValue::Float(*x),
            D::Floats(v) => PyValue::Tuple(v.iter().map(|&x| PyValue::Float(x)).collect()),
            D::Ints(v) => PyValue::Tuple(
                v.iter()
                    .map(|&i| PyValue::Int(i64::try_from(i).unwrap_or(i64::MAX)))
                    .collect(),
            ),
        }
    }
}

fn joined(items: &[PyValue]) -> String {
    items
        .iter()
        .map(PyValue::repr)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An indented JSON array or object: `[]` / `{}` when empty, else one item per line.
fn json_container<T>(
    out: &mut String,
    depth: usize,
    (open, close): (char, char),
    items: &[T],
    write_item: impl Fn(&mut String, &T, usize),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    for (i, item) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&"  ".repeat(depth + 1));
        write_item(out, item, depth + 1);
    }
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push(close);
}

/// Python's `json` float: `repr`, with `NaN`, `Infinity` and `-Infinity` for the rest.
fn json_float(x: f64) -> String {
    match x {
        x if x.is_nan() => "NaN".into(),
        f64::INFINITY => "Infinity".into(),
        f64::NEG_INFINITY => "-Infinity".into(),
        x => python_float_repr(x),
    }
}

/// Python's `json` string with `ensure_ascii`: quotes, backslashes and control characters
/// escaped, everything outside ASCII as `\uXXXX` (surrogate pairs above U+FFFF).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Python's `repr` of a `str`: single quotes unless the text holds one and no double quote;
/// backslashes, the chosen quote and control characters escaped; other printable characters
/// as they are.
fn string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_and_repr_as_python() {
        let dict = PyValue::Dict(vec![
            ("label".into(), PyValue::Int(255)),
            ("minimumROISize".into(), PyValue::None),
            ("normalize".into(), PyValue::Bool(false)),
            ("interpolator".into(), PyValue::Str("sitkBSpline".into())),
            (
                "resegmentRange".into(),
                PyValue::List(vec![PyValue::Float(-1000.0), PyValue::Float(1e-5)]),
            ),
        ]);
        assert_eq!(
            dict.str(),
            "{'label': 255, 'minimumROISize': None, 'normalize': False, 'interpolator': 'sitkBSpline', 'resegmentRange': [-1000.0, 1e-05]}"
        );
        let tuple = PyValue::Tuple(vec![PyValue::Float(1.0), PyValue::Float(0.7)]);
        assert_eq!(tuple.str(), "(1.0, 0.7)");
        assert_eq!(PyValue::Tuple(vec![PyValue::Int(3)]).str(), "(3,)");
        assert_eq!(PyValue::Str("it's".into()).repr(), "\"it's\"");
        assert_eq!(PyValue::Str("a'b\"c".into()).repr(), "'a\\'b\"c'");
        assert_eq!(PyValue::Array0(f64::NAN).str(), "nan");
    }

    #[test]
    fn json_as_python_with_indent_2() {
        let value = PyValue::List(vec![PyValue::Dict(vec![
            (
                "a".into(),
                PyValue::Tuple(vec![PyValue::Int(1), PyValue::Int(2)]),
            ),
            ("b".into(), PyValue::Dict(vec![])),
            ("c".into(), PyValue::Array0(f64::NAN)),
            ("d".into(), PyValue::Str("é\"".into())),
        ])]);
        let mut out = String::new();
        value.write_json(&mut out, 0);
        assert_eq!(
            out,
            "[\n  {\n    \"a\": [\n      1,\n      2\n    ],\n    \"b\": {},\n    \"c\": NaN,\n    \"d\": \"\\u00e9\\\"\"\n  }\n]"
        );
    }

    #[test]
    fn only_float_scalars_are_skippable_nans() {
        assert!(PyValue::Float(f64::NAN).is_float_nan());
        assert!(!PyValue::Array0(f64::NAN).is_float_nan());
        assert!(!PyValue::Float(1.0).is_float_nan());
    }
}
