//! PyRadiomics 3.0.1's own data that sonorad's PyRadiomics shells reproduce — the
//! `sonorad pyradiomics` command line and Python's `sonorad.featureextractor`: the settings its
//! extractor starts from, its feature classes in order, and the order of a result's features.
//! Both shells read them here, so that their settings dicts and feature columns cannot drift
//! apart (the Python shell through `_sonorad.pyradiomics_default_settings`,
//! `pyradiomics_feature_classes` and `pyradiomics_order`).

/// A default setting's value, typed as Python holds it: the shells show the settings dict
/// (`diagnostics_Configuration_Settings`) as PyRadiomics' `repr` writes it, `1` and `1.0`
/// apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// `None`.
    None,
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `str`.
    Str(&'static str),
    /// A `list` of `int`.
    IntList(&'static [i64]),
}

/// PyRadiomics' `RadiomicsFeatureExtractor._getDefaultSettings`, in its order: the dict every
/// parameter file's and keyword's settings are written over.
pub const DEFAULT_SETTINGS: [(&str, DefaultValue); 15] = [
    ("minimumROIDimensions", DefaultValue::Int(2)),
    ("minimumROISize", DefaultValue::None),
    ("normalize", DefaultValue::Bool(false)),
    ("normalizeScale", DefaultValue::Int(1)),
    ("removeOutliers", DefaultValue::None),
    ("resampledPixelSpacing", DefaultValue::None),
    ("interpolator", DefaultValue::Str("sitkBSpline")),
    ("preCrop", DefaultValue::Bool(false)),
    ("padDistance", DefaultValue::Int(5)),
    ("distances", DefaultValue::IntList(&[1])),
    ("force2D", DefaultValue::Bool(false)),
    ("force2Ddimension", DefaultValue::Int(0)),
    ("resegmentRange", DefaultValue::None),
    ("label", DefaultValue::Int(1)),
    ("additionalInfo", DefaultValue::Bool(true)),
];

/// The shape2D features PyRadiomics 3.0.1 returns as numpy `float64` scalars (or the float
/// `numpy.nan`); its other features come out of arrays as 0-d arrays. The type shows: the
/// command line's `--skip-nans` drops NaN floats only, and the Python API returns the same
/// types.
pub const SHAPE2D_SCALARS: [&str; 5] = [
    "Elongation",
    "MajorAxisLength",
    "MinorAxisLength",
    "PixelSurface",
    "Sphericity",
];

/// PyRadiomics' feature classes in its order (`getFeatureClasses`, by module name): the
/// order of `enabledFeatures` when nothing names the classes.
pub const FEATURE_CLASSES: [&str; 8] = [
    "firstorder",
    "glcm",
    "gldm",
    "glrlm",
    "glszm",
    "ngtdm",
    "shape",
    "shape2D",
];

/// PyRadiomics' order of a result's features: shape2D first, then image by image (in the order
/// the features come, which is the order sonorad derives the images in), classes in
/// `enabledFeatures`' order, and within a class the listed features' order, or for a whole
/// class its feature methods sorted by name (`get<Name>FeatureValue`, as Python's `dir` lists
/// them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureOrder {
    /// `enabledFeatures`: each class and its listed features (empty: all of them).
    classes: Vec<(String, Vec<String>)>,
}

impl Default for FeatureOrder {
    /// Every class of [`FEATURE_CLASSES`] with all its features.
    fn default() -> FeatureOrder {
        FeatureOrder::new(
            FEATURE_CLASSES
                .iter()
                .map(|c| (c.to_string(), Vec::new()))
                .collect(),
        )
    }
}

/// A feature's place in PyRadiomics' order: not shape2D, image, class, place among the listed
/// features, method name.
type SortKey = (bool, usize, usize, usize, String);

impl FeatureOrder {
    /// The order of `enabledFeatures`: each class with its listed features, in order (an
    /// empty list: all the class's features).
    pub fn new(classes: Vec<(String, Vec<String>)>) -> FeatureOrder {
        FeatureOrder { classes }
    }

    /// The positions of `names` (`<image>_<class>_<feature>`, as PyRadiomics keys a result)
    /// in PyRadiomics' order: `names[order[0]]` comes first. A name that is not of that form
    /// is an image of its own, after the classes of its image.
    pub fn positions(&self, names: &[&str]) -> Vec<usize> {
        let mut images: Vec<&str> = Vec::new();
        let mut keyed: Vec<(SortKey, usize)> = Vec::with_capacity(names.len());
        for (at, name) in names.iter().enumerate() {
            let mut parts = name.rsplitn(3, '_');
            let (feature, class, image) = match (parts.next(), parts.next(), parts.next()) {
                (Some(f), Some(c), Some(i)) => (f, c, i),
                _ => ("", "", *name),
            };
            let image_rank = images.iter().position(|i| *i == image).unwrap_or_else(|| {
                images.push(image);
                images.len() - 1
            });
            let class_rank = self.classes.iter().position(|(c, _)| c == class);
            let within = class_rank
                .and_then(|r| self.classes[r].1.iter().position(|f| f == feature))
                .unwrap_or(0);
            let key = (
                class != "shape2D",
                image_rank,
                class_rank.unwrap_or(self.classes.len()),
                within,
                format!("{feature}FeatureValue"),
            );
            keyed.push((key, at));
        }
        // ties (none among distinct names) keep the names' order
        keyed.sort();
        keyed.into_iter().map(|(_, at)| at).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(order: &FeatureOrder, names: &[&'static str]) -> Vec<&'static str> {
        order
            .positions(names)
            .into_iter()
            .map(|k| names[k])
            .collect()
    }

    #[test]
    fn shape2d_first_then_images_classes_and_method_names() {
        let names = [
            "original_glcm_Idmn",
            "original_firstorder_Mean",
            "original_glcm_Contrast",
            "original_shape2D_Sphericity",
            "log-sigma-1-0-mm-3D_firstorder_Entropy",
            "original_shape2D_Elongation",
        ];
        assert_eq!(
            ordered(&FeatureOrder::default(), &names),
            [
                "original_shape2D_Elongation",
                "original_shape2D_Sphericity",
                "original_firstorder_Mean",
                "original_glcm_Contrast",
                "original_glcm_Idmn",
                "log-sigma-1-0-mm-3D_firstorder_Entropy",
            ]
        );
        // the enabled classes' order and a class's listed features' order
        let listed = FeatureOrder::new(vec![
            ("glcm".into(), vec!["Idmn".into(), "Contrast".into()]),
            ("firstorder".into(), Vec::new()),
        ]);
        assert_eq!(
            ordered(&listed, &names),
            [
                "original_shape2D_Elongation",
                "original_shape2D_Sphericity",
                "original_glcm_Idmn",
                "original_glcm_Contrast",
                "original_firstorder_Mean",
                "log-sigma-1-0-mm-3D_firstorder_Entropy",
            ]
        );
    }

    #[test]
    fn every_name_keeps_a_place() {
        let names = ["odd", "original_glcm_Contrast", "also_odd"];
        let mut positions = FeatureOrder::default().positions(&names);
        positions.sort_unstable();
        assert_eq!(positions, [0, 1, 2]);
    }
}
