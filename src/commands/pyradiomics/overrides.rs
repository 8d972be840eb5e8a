//! PyRadiomics' settings as its command line gathers them: the defaults
//! ([`crate::compat::DEFAULT_SETTINGS`]), then the parameter
//! file's `setting` and `voxelSetting` sections, then `--setting NAME:VALUE` overrides typed by
//! the schema (and the deprecated `--label`). The result is both the parameter tree sonorad's
//! checked parser reads ([`crate::params::Params`]) and the settings dict the
//! `diagnostics_Configuration_Settings` column shows.

use serde_norway::{Mapping, Value};

use super::value::PyValue;
use crate::compat::DEFAULT_SETTINGS;

/// The type PyRadiomics 3.0.1's schema gives a setting, which `--setting` parses its value as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchemaType {
    Int,
    Float,
    Bool,
    Str,
    /// `any`: the command line cannot parse it, and skips the override with a warning.
    Any,
}

/// Every setting of the schema's `setting` section with its type; `true` marks a list of that
/// type (a `seq`).
const SCHEMA: &[(&str, SchemaType, bool)] = {
    use SchemaType::*;
    &[
        ("minimumROIDimensions", Int, false),
        ("minimumROISize", Int, false),
        ("geometryTolerance", Float, false),
        ("correctMask", Bool, false),
        ("additionalInfo", Bool, false),
        ("label", Int, false),
        ("label_channel", Int, false),
        ("binWidth", Float, false),
        ("binCount", Int, false),
        ("normalize", Bool, false),
        ("normalizeScale", Float, false),
        ("removeOutliers", Float, false),
        ("resampledPixelSpacing", Float, true),
        ("interpolator", Any, false),
        ("padDistance", Int, false),
        ("distances", Int, true),
        ("force2D", Bool, false),
        ("force2Ddimension", Int, false),
        ("resegmentRange", Float, true),
        ("resegmentMode", Str, false),
        ("resegmentShape", Bool, false),
        ("preCrop", Bool, false),
        ("sigma", Float, true),
        ("start_level", Int, false),
        ("level", Int, false),
        ("wavelet", Str, false),
        ("gradientUseSpacing", Bool, false),
        ("lbp2DRadius", Float, false),
        ("lbp2DSamples", Int, false),
        ("lbp2DMethod", Str, false),
        ("lbp3DLevels", Int, false),
        ("lbp3DIcosphereRadius", Float, false),
        ("lbp3DIcosphereSubdivision", Int, false),
        ("voxelArrayShift", Int, false),
        ("symmetricalGLCM", Bool, false),
        ("weightingNorm", Any, false),
        ("gldm_a", Int, false),
    ]
};

/// The names `--setting` accepts (the schema's `setting` section).
pub fn schema_setting_names() -> impl Iterator<Item = &'static str> {
    SCHEMA.iter().map(|(name, _, _)| *name)
}

/// What reading the overrides gave: the typed overrides in order, and PyRadiomics' warnings
/// about those it skipped.
#[derive(Debug, Default, PartialEq)]
pub struct Overrides {
    /// Setting name and typed value, each name once (a repeated name keeps its first place and
    /// its last value, as a Python dict).
    pub values: Vec<(String, PyValue)>,
    /// Warnings, in PyRadiomics' words.
    pub warnings: Vec<String>,
}

/// Reads `--setting` arguments (`NAME:VALUE`, lists comma-separated) and the deprecated
/// `--label`. An argument with a second colon is PyRadiomics' unpacking error,
/// which stops the whole run.
///
/// As in PyRadiomics 3.0.1, `--label` is read only when some `--setting` is given: its
/// parser returns early without overrides, and a lone `--label` changes nothing.
pub fn parse_overrides(settings: &[String], label: Option<i64>) -> Result<Overrides, String> {
    let mut out = Overrides::default();
    if settings.is_empty() {
        return Ok(out);
    }
    for setting in settings {
        let Some((key, value)) = setting.split_once(':') else {
            out.warnings.push(format!(
                "Incorrect format for override setting \"{setting}\", missing \":\""
            ));
            continue;
        };
        if value.contains(':') {
            return Err(format!(
                "override setting \"{setting}\": too many values to unpack (expected 2)"
            ));
        }
        let Some(&(_, kind, list)) = SCHEMA.iter().find(|(name, _, _)| *name == key) else {
            out.warnings
                .push(format!("Did not recognize override \"{key}\", skipping..."));
            continue;
        };
        let parsed = if list {
            value
                .split(',')
                .map(|v| parse_value(v, kind))
                .collect::<Option<Vec<_>>>()
                .map(PyValue::List)
        } else {
            parse_value(value, kind)
        };
        match parsed {
            Some(v) => insert(&mut out.values, key, v),
            None => out.warnings.push(format!(
                "Could not parse value \"{value}\" for setting \"{key}\", skipping..."
            )),
        }
    }
    if let Some(label) = label {
        out.warnings.push(
            "Argument \"label\" is deprecated. To specify a custom label, use argument \"setting\" as follows:\"--setting=label:N\", where N is the a label value.".into(),
        );
        insert(&mut out.values, "label", PyValue::Int(label));
    }
    Ok(out)
}

/// One value as PyRadiomics' `parse_value` reads it: `int()`, `float()`, a bool that is true
/// for `1` and `true` (any case) only, a string as is; `None` where Python raises.
fn parse_value(text: &str, kind: SchemaType) -> Option<PyValue> {
    match kind {
        SchemaType::Str => Some(PyValue::Str(text.to_string())),
        SchemaType::Bool => Some(PyValue::Bool(
            text == "1" || text.eq_ignore_ascii_case("true"),
        )),
        SchemaType::Int => python_number(text)?.parse::<i64>().ok().map(PyValue::Int),
        SchemaType::Float => python_number(text)?.parse::<f64>().ok().map(PyValue::Float),
        SchemaType::Any => None,
    }
}

/// The text of a number as Python's `int()`/`float()` accept it: surrounding white space
/// dropped, underscores allowed between digits; `None` for an underscore anywhere else.
fn python_number(text: &str) -> Option<String> {
    let t = text.trim();
    let bytes = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let digit = |j: Option<&u8>| j.is_some_and(u8::is_ascii_digit);
            if !(i > 0 && digit(bytes.get(i - 1)) && digit(bytes.get(i + 1))) {
                return None;
            }
        } else {
            out.push(b as char);
        }
    }
    Some(out)
}

/// Sets `key` in an ordered dict: replaced in place, or appended.
pub fn insert(dict: &mut Vec<(String, PyValue)>, key: &str, value: PyValue) {
    match dict.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => dict.push((key.to_string(), value)),
    }
}

/// The settings dict PyRadiomics builds from a parameter tree and the overrides: defaults
/// ([`DEFAULT_SETTINGS`]), `setting`, `voxelSetting`, overrides.
pub fn settings_dict(root: &Mapping, overrides: &[(String, PyValue)]) -> Vec<(String, PyValue)> {
    let mut dict: Vec<(String, PyValue)> = DEFAULT_SETTINGS
        .iter()
        .map(|(name, value)| (name.to_string(), PyValue::from(*value)))
        .collect();
    for section in ["setting", "voxelSetting"] {
        if let Some(Value::Mapping(map)) = root.get(section) {
            for (k, v) in map {
                insert(
                    &mut dict,
                    &PyValue::from_yaml(k).str(),
                    PyValue::from_yaml(v),
                );
            }
        }
    }
    for (k, v) in overrides {
        insert(&mut dict, k, v.clone());
    }
    dict
}

/// The parameter tree with the overrides written into its `setting` section, for the checked
/// parser: what PyRadiomics passes as keyword arguments is checked here like a file's setting.
pub fn with_overrides(mut root: Mapping, overrides: &[(String, PyValue)]) -> Mapping {
    if overrides.is_empty() {
        return root;
    }
    let key = Value::String("setting".into());
    let mut section = match root.remove(&key) {
        Some(Value::Mapping(m)) => m,
        _ => Mapping::new(),
    };
    for (k, v) in overrides {
        section.insert(Value::String(k.clone()), to_yaml(v));
    }
    root.insert(key, Value::Mapping(section));
    root
}

/// A parsed override as a YAML value.
fn to_yaml(value: &PyValue) -> Value {
    match value {
        PyValue::None => Value::Null,
        PyValue::Bool(b) => Value::Bool(*b),
        PyValue::Int(i) => Value::Number((*i).into()),
        PyValue::Float(x) | PyValue::Array0(x) => Value::Number((*x).into()),
        PyValue::Str(s) => Value::String(s.clone()),
        PyValue::Tuple(items) | PyValue::List(items) => {
            Value::Sequence(items.iter().map(to_yaml).collect())
        }
        PyValue::Dict(pairs) => Value::Mapping(
            pairs
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), to_yaml(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn overrides_are_typed_by_the_schema() {
        let o = parse_overrides(
            &strings(&[
                "binWidth:5",
                "distances:1,2",
                "force2D:TRUE",
                "label:2",
                "label:3",
                "normalize:yes",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            o.values,
            vec![
                ("binWidth".into(), PyValue::Float(5.0)),
                (
                    "distances".into(),
                    PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])
                ),
                ("force2D".into(), PyValue::Bool(true)),
                ("label".into(), PyValue::Int(3)),
                ("normalize".into(), PyValue::Bool(false)),
            ]
        );
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn bad_overrides_are_skipped_with_pyradiomics_warnings() {
        let o = parse_overrides(
            &strings(&[
                "binWidth",
                "bogus:1",
                "binCount:x",
                "interpolator:sitkLinear",
            ]),
            Some(4),
        )
        .unwrap();
        assert_eq!(parse_overrides(&[], Some(4)).unwrap(), Overrides::default());
        assert_eq!(o.values, vec![("label".into(), PyValue::Int(4))]);
        assert_eq!(
            o.warnings,
            vec![
                "Incorrect format for override setting \"binWidth\", missing \":\"",
                "Did not recognize override \"bogus\", skipping...",
                "Could not parse value \"x\" for setting \"binCount\", skipping...",
                "Could not parse value \"sitkLinear\" for setting \"interpolator\", skipping...",
                "Argument \"label\" is deprecated. To specify a custom label, use argument \"setting\" as follows:\"--setting=label:N\", where N is the a label value.",
            ]
        );
        let err = parse_overrides(&strings(&["wavelet:a:b:c"]), None).unwrap_err();
        assert!(err.contains("too many values to unpack"), "{err}");
        assert_eq!(
            parse_overrides(&strings(&["binWidth:1_0"]), None)
                .unwrap()
                .values,
            vec![("binWidth".into(), PyValue::Float(10.0))]
        );
    }

    #[test]
    fn the_schema_is_the_parsers() {
        let mut ours: Vec<&str> = schema_setting_names().collect();
        let mut parser: Vec<&str> = crate::params::setting_names().collect();
        ours.sort_unstable();
        parser.sort_unstable();
        assert_eq!(ours, parser);
    }
}
