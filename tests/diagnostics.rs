//! PyRadiomics' diagnostics of the original image and mask (`additionalInfo`), computed by
//! `sonorad::diagnostics` for every case of `tests/fixtures/settings/cases.csv`, against the
//! `diagnostics_Image-original_*` and `diagnostics_Mask-original_*` entries PyRadiomics 3.0.1
//! wrote for the same files (`<case>.diagnostics.json`, by `make_settings_fixtures.py`): the
//! same keys in the same order, the same Python types and the same `str()` text (hashes, sizes,
//! spacings, bounding boxes, pixel and part counts, centres of mass, means to the last digit).

use std::path::{Path, PathBuf};

use sonorad::diagnostics::{image_elements, mask_elements, Placement};
use sonorad::io::{read_image_file, read_mask_file, PixelSpacing};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn settings() -> PathBuf {
    fixtures().join("settings")
}

#[test]
fn original_image_and_mask_diagnostics_equal_pyradiomics() {
    let mut r = csv::Reader::from_path(settings().join("cases.csv")).unwrap();
    let mut compared = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let (name, image, mask, spacing) = (&rec[0], &rec[1], &rec[2], &rec[4]);
        let json = settings()
            .join("expected")
            .join(format!("{name}.diagnostics.json"));
        let Ok(text) = std::fs::read_to_string(&json) else {
            continue; // PyRadiomics refused the case: no diagnostics
        };
        let expected: Vec<(String, String, String)> = serde_json::from_str(&text).unwrap();
        let file = read_image_file(&fixtures().join(image), 0).unwrap();
        let labels = read_mask_file(&fixtures().join(mask), 0).unwrap();
        let spacing = match spacing.parse::<f64>() {
            Ok(s) => PixelSpacing::square(s),
            Err(_) => file.spacing.unwrap_or(PixelSpacing::square(1.0)),
        };
        let placement = Placement {
            spacing,
            origin: [0.0, 0.0],
        };
        let mut ours = image_elements(&file.image, file.pixel_type, placement, "original");
        ours.extend(mask_elements(
            (&labels.labels, labels.width, labels.height),
            1,
            placement,
            None,
            "original",
        ));
        let theirs: Vec<&(String, String, String)> = expected
            .iter()
            .filter(|(k, _, _)| {
                k.starts_with("diagnostics_Image-original")
                    || k.starts_with("diagnostics_Mask-original")
            })
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{name}: {ours:?}");
        for ((key, value), (k, t, v)) in ours.iter().zip(theirs) {
            assert_eq!(key, k, "{name}");
            assert_eq!(value.python_type(), t, "{name}: {key}");
            assert_eq!(&value.python_str(), v, "{name}: {key}");
        }
        compared += 1;
    }
    println!("{compared} cases: original image and mask diagnostics equal PyRadiomics'");
    assert!(compared >= 30, "{compared}");
}
