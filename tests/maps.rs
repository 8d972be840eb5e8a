//! Texture maps against PyRadiomics 3.0.1's voxel-based extraction, pixel by pixel.
//!
//! Expected maps: `tests/fixtures/maps/*.csv.gz`, written by `tests/oracles/voxel_maps.py`
//! (see its docstring: a 60x60 synthetic case with a 40-pixel region and a BUSI crop, radius 1
//! and 2, masked and unmasked kernels, bin width 25 and bin count 16, every first-order and
//! texture feature). Every value of every map must be within 1e-9 relative of PyRadiomics'
//! (1e-12 absolute near zero), NaN where PyRadiomics gives NaN, with one exception: GLCM MCC
//! within 1e-7 where PyRadiomics' differs from sonorad's. In a few 3x3 kernels the second
//! largest eigenvalue of MCC's `Q` is repeated; numpy's general eigensolver (LAPACK `dgeev`) is
//! then accurate to about the square root of the machine epsilon (PyRadiomics gives
//! 0.5833333351959782 where the exact value is 7/12; sonorad gives 0.583333333333333).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sonorad::discretize::Binning;
use sonorad::io::{read_image, read_mask};
use sonorad::maps::{texture_maps, KernelSettings};
use sonorad::roi::Region;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maps")
}

/// PyRadiomics' maps of one configuration: feature name (`glcm_Contrast`) to (x, y) to value.
fn reference(file: &str) -> BTreeMap<String, BTreeMap<(usize, usize), f64>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixtures().join(file)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out: BTreeMap<String, BTreeMap<(usize, usize), f64>> = BTreeMap::new();
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

/// Compares sonorad's maps of a case with PyRadiomics' for one configuration.
fn compare(case: &str, config: &str, radius: usize, masked: bool, binning: Binning) {
    let image = read_image(&fixtures().join(format!("{case}.png"))).unwrap();
    let mask = read_mask(&fixtures().join(format!("{case}_mask.png"))).unwrap();
    let inside: Vec<bool> = mask.labels.iter().map(|&l| l != 0).collect();
    let region = Region::from_full_mask("tumor", &inside, mask.width, mask.height).unwrap();
    let kernel = KernelSettings {
        radius,
        masked,
        init_value: 0.0,
    };
    let maps = texture_maps(&image, &region, binning, kernel).unwrap();
    let expected = reference(&format!("{case}_{config}.csv.gz"));
    assert_eq!(
        maps.names.len(),
        expected.len(),
        "{case} {config}: feature count"
    );
    let mut bad = Vec::new();
    let mut compared = 0;
    let mut repeated_eigenvalues = 0;
    for (name, map) in maps.names.iter().zip(&maps.values) {
        let reference = &expected[name];
        for (&(x, y), &want) in reference {
            assert!(
                x >= maps.x0 && y >= maps.y0,
                "{name} ({x}, {y}) outside the window"
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
        assert_eq!(
            reference.len(),
            maps.width * maps.height,
            "{name}: window size"
        );
    }
    let mut by_feature: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &bad {
        *by_feature.entry(b.split(' ').next().unwrap()).or_default() += 1;
    }
    println!(
        "{case} {config}: {compared} map values, {} differ: {by_feature:?}; {repeated_eigenvalues} MCC values within 1e-7 only",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{case} {config}:\n{}",
        bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn synthetic_maps_match_pyradiomics() {
    for (config, radius, masked, binning) in [
        ("r1_masked_bw25", 1, true, Binning::Width(25.0)),
        ("r2_masked_bw25", 2, true, Binning::Width(25.0)),
        ("r1_unmasked_bw25", 1, false, Binning::Width(25.0)),
        ("r2_unmasked_bw25", 2, false, Binning::Width(25.0)),
        ("r1_masked_bc16", 1, true, Binning::Count(16)),
        ("r2_masked_bc16", 2, true, Binning::Count(16)),
        ("r1_unmasked_bc16", 1, false, Binning::Count(16)),
        ("r2_unmasked_bc16", 2, false, Binning::Count(16)),
    ] {
        compare("synthetic", config, radius, masked, binning);
    }
}

#[test]
fn busi_crop_maps_match_pyradiomics() {
    compare("busi_crop", "r1_masked_bw25", 1, true, Binning::Width(25.0));
    compare(
        "busi_crop",
        "r2_unmasked_bc16",
        2,
        false,
        Binning::Count(16),
    );
}
