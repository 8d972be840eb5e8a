//! PyRadiomics 3.0.1's voxel-based maps (`tests/fixtures/maps/*.csv.gz`, written by
//! `tests/oracles/voxel_maps.py`) and how sonorad's maps are held to them, on the CPU
//! (`tests/maps.rs`) and on the device (`tests/gpu_maps.rs`).
//!
//! Every value of every map must be within 1e-9 relative of PyRadiomics' (1e-12 absolute near
//! zero), NaN where PyRadiomics gives NaN, with one exception: GLCM MCC within 1e-7 where
//! PyRadiomics' differs from sonorad's. In a few small kernels the second largest eigenvalue of
//! MCC's `Q` is repeated; numpy's general eigensolver (LAPACK `dgeev`) is then accurate to about
//! the square root of the machine epsilon (PyRadiomics gives 0.5833333351959782 where the exact
//! value is 7/12; sonorad gives 0.583333333333333).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sonorad::discretize::Binning;
use sonorad::io::{read_image, read_mask, Image};
use sonorad::maps::TextureMaps;
use sonorad::roi::Region;

/// The map fixtures' folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maps")
}

/// A fixture case (`<name>.png`) and its region (every non-zero pixel of `<name>_mask.png`).
pub fn fixture_case(name: &str) -> (Image<'static>, Region) {
    let image = read_image(&fixtures().join(format!("{name}.png"))).unwrap();
    let mask = read_mask(&fixtures().join(format!("{name}_mask.png")), 0).unwrap();
    let inside: Vec<bool> = mask.labels.iter().map(|&l| l != 0).collect();
    let region = Region::from_full_mask("tumor", &inside, mask.width, mask.height).unwrap();
    (image, region)
}

/// PyRadiomics' maps of one configuration: feature name (`glcm_Contrast`) to (x, y) to value.
pub type Reference = BTreeMap<String, BTreeMap<(usize, usize), f64>>;

/// PyRadiomics' maps in fixture `file`.
pub fn reference(file: &str) -> Reference {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixtures().join(file)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = Reference::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let at = (cells[0].parse().unwrap(), cells[1].parse().unwrap());
        for (name, cell) in header.iter().zip(&cells).skip(2) {
            let name = name.strip_prefix("original_").unwrap().to_string();
            out.entry(name)
                .or_default()
                .insert(at, cell.parse().unwrap());
        }
    }
    out
}

/// One configuration of a fixture case: its name (`r2_masked_bw25`), kernel radius, whether
/// kernels are masked, and the binning.
pub type Config = (&'static str, usize, bool, Binning);

/// The configurations of the degenerate-kernel cases (`centre_alone`, `lines`, `edge`), as
/// `voxel_maps.py` writes them (PyRadiomics with `voxelBatch: 1`).
pub fn degenerate_configs(case: &str) -> Vec<Config> {
    let mut configs = vec![
        ("r1_masked_bw25", 1, true, Binning::Width(25.0)),
        ("r2_masked_bw25", 2, true, Binning::Width(25.0)),
        ("r2_masked_bc16", 2, true, Binning::Count(16)),
    ];
    if case == "edge" {
        configs.extend([
            ("r1_unmasked_bw25", 1, false, Binning::Width(25.0)),
            ("r2_unmasked_bw25", 2, false, Binning::Width(25.0)),
            ("r2_unmasked_bc16", 2, false, Binning::Count(16)),
        ]);
    }
    configs
}

/// What a map holds at one pixel.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// NaN: PyRadiomics has nothing to average (no pair, no run along any angle).
    Nan,
    /// A number.
    Finite,
    /// This number.
    Value(f64),
}

/// Pixels of the degenerate cases' radius-2 masked maps (bin width 25) that say what each case
/// is about, with what PyRadiomics and sonorad give there: `(feature, (x, y), expected)`.
fn landmarks(case: &str) -> Vec<(&'static str, (usize, usize), Expect)> {
    match case {
        // two isolated pixels: no pair, no run; one zone of one pixel
        "centre_alone" => [(3, 2), (13, 3)]
            .into_iter()
            .flat_map(|at| {
                [
                    ("glcm_Contrast", at, Expect::Nan),
                    ("glcm_JointAverage", at, Expect::Nan),
                    ("glcm_MCC", at, Expect::Nan),
                    ("glrlm_RunPercentage", at, Expect::Nan),
                    ("glszm_ZonePercentage", at, Expect::Value(1.0)),
                    ("firstorder_Variance", at, Expect::Value(0.0)),
                ]
            })
            .collect(),
        "lines" => vec![
            // two pixels a knight's move apart: no pair along any angle
            ("glcm_JointAverage", (12, 6), Expect::Nan),
            ("glcm_MCC", (12, 6), Expect::Nan),
            ("glrlm_RunPercentage", (12, 6), Expect::Nan),
            ("glszm_ZonePercentage", (12, 6), Expect::Finite),
            // a line along one angle: that angle's values
            ("glcm_JointAverage", (4, 2), Expect::Finite),
            ("glcm_MCC", (4, 2), Expect::Finite),
            ("glrlm_RunPercentage", (20, 5), Expect::Finite),
        ],
        "edge" => vec![
            // alone on the left edge
            ("glcm_Contrast", (0, 6), Expect::Nan),
            ("glrlm_RunPercentage", (0, 6), Expect::Nan),
            // the image's corner
            ("glcm_Contrast", (0, 0), Expect::Finite),
            ("glcm_MCC", (0, 0), Expect::Finite),
        ],
        _ => panic!("no landmarks for {case}"),
    }
}

/// Whether `value` is what `expected` says.
fn holds(value: f64, expected: Expect) -> bool {
    match expected {
        Expect::Nan => value.is_nan(),
        Expect::Finite => value.is_finite(),
        Expect::Value(want) => value == want,
    }
}

/// Asserts that PyRadiomics' maps `expected` and sonorad's `maps` of case `case` (radius 2,
/// masked kernels, bin width 25) hold what [`landmarks`] says.
pub fn assert_landmarks(case: &str, maps: &TextureMaps, expected: &Reference) {
    for (name, (x, y), want) in landmarks(case) {
        let pyradiomics = expected[name][&(x, y)];
        assert!(
            holds(pyradiomics, want),
            "{case} {name} ({x}, {y}): PyRadiomics {pyradiomics}, expected {want:?}"
        );
        let k = maps.names.iter().position(|n| n == name).unwrap();
        let got = maps.values[k][(y - maps.y0) * maps.width + x - maps.x0];
        assert!(
            holds(got, want),
            "{case} {name} ({x}, {y}): sonorad {got}, expected {want:?}"
        );
    }
}

/// Asserts that `maps` are PyRadiomics' maps `expected` (see the module's documentation for
/// the tolerances), printing how many values were compared; `what` names the case and
/// configuration.
pub fn assert_matches(maps: &TextureMaps, expected: &Reference, what: &str) {
    assert_eq!(maps.names.len(), expected.len(), "{what}: feature count");
    let mut bad = Vec::new();
    let mut compared = 0;
    let mut repeated_eigenvalues = 0;
    for (name, map) in maps.names.iter().zip(&maps.values) {
        let reference = &expected[name];
        assert_eq!(
            reference.len(),
            maps.width * maps.height,
            "{what}: {name}: window size"
        );
        for (&(x, y), &want) in reference {
            assert!(
                x >= maps.x0 && y >= maps.y0,
                "{what}: {name} ({x}, {y}) outside the window"
            );
            let got = map[(y - maps.y0) * maps.width + x - maps.x0];
            compared += 1;
            let tolerance = if name == "glcm_MCC" { 1e-7 } else { 1e-9 };
            let same = (got.is_nan() && want.is_nan())
                || (got - want).abs() <= tolerance * want.abs().max(1e-3);
            if name == "glcm_MCC" && same && (got - want).abs() > 1e-9 * want.abs() {
                repeated_eigenvalues += 1;
            }
            if !same {
                bad.push(format!(
                    "{name} ({x}, {y}): sonorad {got}, PyRadiomics {want}"
                ));
            }
        }
    }
    let mut by_feature: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &bad {
        *by_feature.entry(b.split(' ').next().unwrap()).or_default() += 1;
    }
    println!(
        "{what}: {compared} map values, {} differ: {by_feature:?}; {repeated_eigenvalues} MCC values within 1e-7 only",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{what}:\n{}",
        bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
