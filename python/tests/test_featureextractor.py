"""`from sonorad import featureextractor` against PyRadiomics 3.0.1: the notebook cells of
tests/fixtures/pyradiomics_api (written by its make_fixtures.py with PyRadiomics) run again with
only their import line changed, and give the same keys in the same order, the same value types,
features within 1e-9 and the same diagnostics (the versions aside; see the module docstring).
Plus the settings cases of tests/fixtures/settings (resampling, resegmentation, correctMask and
geometryTolerance on SimpleITK images: PyRadiomics' features and image and mask diagnostics of
every step), the errors and the logged warning.
"""
import glob
import json
import logging
import math
import os

import numpy as np
import pytest
import SimpleITK as sitk

import sonorad
from sonorad import featureextractor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CELLS = sorted(glob.glob(os.path.join(FIXTURES, "pyradiomics_api", "*.json")))
IMAGE = os.path.join(FIXTURES, "busi", "benign", "benign (2).png")
MASK = os.path.join(FIXTURES, "busi", "benign", "benign (2)_mask.png")
SETTINGS = os.path.join(FIXTURES, "settings")
SHAPE_WARNING = "Shape features are only available 3D input (for 2D input, use shape2D). Found 2D input"


def type_name(value):
    """As make_fixtures.py names types."""
    if isinstance(value, np.ndarray):
        return "ndarray%s" % (value.shape,)
    if isinstance(value, tuple):
        return "tuple[%s]" % ",".join(type(v).__name__ for v in value)
    return type(value).__name__


def plain(value):
    """numpy scalars as Python's, so that repr is numpy-version independent (the fixtures were
    written under numpy 1, whose repr of a float64 is a float's)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    return value


def close(expected, actual):
    """Within 1e-9 relative (NaN equals NaN)."""
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)


def run_cell(code, monkeypatch):
    """A fixture's cell with its import line changed to sonorad's; its `result`."""
    assert "from radiomics import featureextractor" in code
    monkeypatch.chdir(FIXTURES)
    scope = {}
    exec(code.replace("from radiomics import featureextractor", "from sonorad import featureextractor"), scope)
    return scope["result"]


def check_map(name, expected, image):
    """A voxel-based map: PyRadiomics' geometry and values."""
    assert isinstance(image, sitk.Image), name
    assert list(image.GetSize()) == expected["size"], name
    assert list(image.GetSpacing()) == expected["spacing"], name
    assert list(image.GetOrigin()) == expected["origin"], name
    assert image.GetPixelIDTypeAsString() == expected["pixel_type"], name
    values = sitk.GetArrayFromImage(image).ravel()
    bad = [i for i, e in enumerate(expected["values"]) if not close(float(e), float(values[i]))]
    assert not bad, f"{name}: {len(bad)} pixels differ, first at {bad[0]}"


@pytest.mark.parametrize("path", CELLS, ids=[os.path.basename(p)[:-5] for p in CELLS])
def test_notebook_cell_equals_pyradiomics(path, monkeypatch, caplog):
    with open(path) as f:
        fixture = json.load(f)
    with caplog.at_level(logging.WARNING, logger="radiomics"):
        result = run_cell(fixture["code"], monkeypatch)
    assert list(result.keys()) == fixture["keys"]
    for key, value in result.items():
        expected = fixture["values"][key]
        if isinstance(expected, dict):
            check_map(key, expected, value)
            continue
        assert type_name(value) == fixture["types"][key], key
        if not key.startswith("diagnostics_"):
            assert close(float(expected), float(value)), (key, expected, float(value))
        elif not key.startswith("diagnostics_Versions_"):
            assert repr(plain(value)) == expected, key
    if SHAPE_WARNING in fixture["warnings"]:
        assert any(SHAPE_WARNING in m for m in caplog.messages)


def test_fixtures_are_present():
    assert len(CELLS) >= 12


def test_versions_name_sonorad():
    result = featureextractor.RadiomicsFeatureExtractor(label=255).execute(IMAGE, MASK)
    assert result["diagnostics_Versions_PyRadiomics"] == "sonorad " + sonorad.__version__
    assert result["diagnostics_Versions_SimpleITK"] == sitk.Version().VersionString()


def test_numpy_arrays_equal_paths():
    extractor = featureextractor.RadiomicsFeatureExtractor(label=255)
    from_paths = extractor.execute(IMAGE, MASK)
    image = sitk.GetArrayFromImage(sitk.ReadImage(IMAGE))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(MASK))
    from_arrays = extractor.execute(image, mask)
    assert list(from_arrays) == list(from_paths)
    for key, value in from_paths.items():
        if not key.startswith("diagnostics_Configuration"):
            assert repr(from_arrays[key]) == repr(value), key


def test_single_slice_3d_image_is_its_2d_slice():
    extractor = featureextractor.RadiomicsFeatureExtractor(label=255)
    plane = extractor.execute(sitk.ReadImage(IMAGE), sitk.ReadImage(MASK))
    volume = extractor.execute(sitk.JoinSeries(sitk.ReadImage(IMAGE)), sitk.JoinSeries(sitk.ReadImage(MASK)))
    features = [k for k in plane if not k.startswith("diagnostics_")]
    assert [k for k in volume if not k.startswith("diagnostics_")] == features
    assert all(float(volume[k]) == float(plane[k]) for k in features)


def test_unknown_setting_is_named():
    with pytest.raises(featureextractor.SettingsError, match="binwidth"):
        featureextractor.RadiomicsFeatureExtractor(binwidth=10)


def test_refused_image_type_is_named_at_execute():
    extractor = featureextractor.RadiomicsFeatureExtractor(label=255)
    extractor.enableImageTypeByName("LBP2D")
    with pytest.raises(featureextractor.SettingsError, match="LBP2D"):
        extractor.execute(IMAGE, MASK)


def test_refused_feature_in_a_dict_is_named():
    # deprecated in PyRadiomics 3.0.1, which computes it with a warning; sonorad refuses it
    with pytest.raises(featureextractor.SettingsError, match="SumVariance"):
        featureextractor.RadiomicsFeatureExtractor({"featureClass": {"glcm": ["SumVariance"]}})


def test_missing_parameter_file_raises_ioerror():
    with pytest.raises(IOError, match="does not exist"):
        featureextractor.RadiomicsFeatureExtractor(os.path.join(FIXTURES, "no_such_params.yaml"))


def test_shape_warning_is_logged_on_the_radiomics_logger(caplog):
    with caplog.at_level(logging.WARNING, logger="radiomics"):
        featureextractor.RadiomicsFeatureExtractor(label=255).execute(IMAGE, MASK)
    records = [r for r in caplog.records if SHAPE_WARNING in r.getMessage()]
    assert records and records[0].name == featureextractor.logger.name == "radiomics.featureextractor"
    assert records[0].levelno == logging.WARNING


def test_enable_all_image_types_leaves_out_lbp(caplog):
    extractor = featureextractor.RadiomicsFeatureExtractor()
    with caplog.at_level(logging.WARNING, logger="radiomics"):
        extractor.enableAllImageTypes()
    assert "LBP2D" not in extractor.enabledImagetypes and "Wavelet" in extractor.enabledImagetypes
    assert any("LBP2D" in m for m in caplog.messages)


def test_native_extractor_still_works():
    features = sonorad.Extractor(backend="cpu", label=255).execute(IMAGE, MASK, pyradiomics_names=True)
    result = featureextractor.RadiomicsFeatureExtractor(label=255).execute(IMAGE, MASK)
    assert float(result["original_glcm_Contrast"]) == features["original_glcm_Contrast"]


def test_without_simpleitk_paths_use_sonorads_readers(monkeypatch):
    extractor = featureextractor.RadiomicsFeatureExtractor(label=255)
    with_sitk = extractor.execute(IMAGE, MASK)
    monkeypatch.setattr(featureextractor, "sitk", None)
    without = extractor.execute(IMAGE, MASK)
    assert [k for k in with_sitk if k not in without] == ["diagnostics_Versions_SimpleITK"]
    assert all(repr(without[k]) == repr(v) for k, v in with_sitk.items() if k in without)
    extractor.disableAllFeatures()
    extractor.enableFeaturesByName(glcm=["Contrast"])
    maps = extractor.execute(IMAGE, MASK, voxelBased=True)
    x, y, width, height = with_sitk["diagnostics_Mask-original_BoundingBox"]
    assert maps["original_glcm_Contrast"].shape == (height + 2, width + 2)


def settings_cases():
    """The rows of tests/fixtures/settings/cases.csv."""
    import csv
    with open(os.path.join(SETTINGS, "cases.csv"), newline="") as f:
        return list(csv.DictReader(f))


def same_str(ours, theirs):
    """str() of a diagnostic equal to PyRadiomics', or its floats within 1e-9 relative."""
    if str(ours) == theirs:
        return True
    floats = [float(v) for v in (ours if isinstance(ours, tuple) else (ours,))]
    expected = [float(v) for v in theirs.strip("()").split(",") if v.strip()]
    return len(floats) == len(expected) and all(close(e, a) for e, a in zip(expected, floats))


@pytest.mark.parametrize("case", settings_cases(), ids=lambda c: c["case"])
def test_settings_case_equals_pyradiomics(case):
    """A settings case read with SimpleITK, as make_settings_fixtures.py gave it to PyRadiomics:
    the same refusal, or the same features and Image-/Mask- diagnostics of every step."""
    image = sitk.ReadImage(os.path.join(FIXTURES, case["image"]))
    mask = sitk.ReadImage(os.path.join(FIXTURES, case["mask"]))
    if case["spacing"]:
        image.SetSpacing((float(case["spacing"]),) * 2)
        mask.SetSpacing((float(case["spacing"]),) * 2)
    extractor = featureextractor.RadiomicsFeatureExtractor(os.path.join(SETTINGS, "params", case["params"]))
    expected = os.path.join(SETTINGS, "expected", case["case"])
    if os.path.exists(expected + ".error.txt"):
        with pytest.raises(ValueError):
            extractor.execute(image, mask)
        return
    result = extractor.execute(image, mask)
    with open(expected + ".diagnostics.json") as f:
        diagnostics = [d for d in json.load(f) if d[0].startswith(("diagnostics_Image-", "diagnostics_Mask-"))]
    ours = [(k, v) for k, v in result.items() if k.startswith(("diagnostics_Image-", "diagnostics_Mask-"))]
    assert [k for k, _ in ours] == [k for k, _, _ in diagnostics]
    for (key, value), (_, kind, text) in zip(ours, diagnostics):
        assert type(value).__name__ == kind, key
        assert same_str(value, text), (key, value, text)
    with open(expected + ".csv") as f:
        features = dict(line.strip().split(",") for line in f.readlines()[1:])
    ours = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
    assert set(ours) == set(features)
    bad = [k for k, v in features.items() if not close(float(v), ours[k])]
    assert not bad, bad


RGB_MASK = os.path.join(SETTINGS, "channels", "benign2_rgb_mask.png")
# label_channel (and label) of the RGB mask's cases of tests/fixtures/settings, PyRadiomics' values
CHANNEL_CASES = [(0, 1, "label_channel_0_rgb_benign2"), (1, 1, "label_channel_1_rgb_benign2"),
                 (2, 2, "label_channel_2_label_2_rgb_benign2")]


def expected_features(case):
    with open(os.path.join(SETTINGS, "expected", case + ".csv")) as f:
        return {k: float(v) for k, v in (line.strip().split(",") for line in f.readlines()[1:])}


@pytest.mark.parametrize("simpleitk", [True, False], ids=["simpleitk", "sonorad_readers"])
def test_label_channel_of_an_rgb_mask_equals_pyradiomics(simpleitk, monkeypatch):
    """label_channel as setting and as execute's argument, on an RGB mask's path read with
    SimpleITK (a vector image) or, without it, by sonorad's readers: the library picks the
    channel either way, and the features are PyRadiomics'; a channel the mask lacks raises
    InputError naming the channel count, a negative one SettingsError."""
    if not simpleitk:
        monkeypatch.setattr(featureextractor, "sitk", None)
    params = os.path.join(SETTINGS, "params", "label_channel_0.yaml")
    for channel, label, case in CHANNEL_CASES:
        for result in (featureextractor.RadiomicsFeatureExtractor(params, label_channel=channel, label=label)
                       .execute(IMAGE, RGB_MASK),
                       featureextractor.RadiomicsFeatureExtractor(params)
                       .execute(IMAGE, RGB_MASK, label=label, label_channel=channel)):
            assert result["diagnostics_Configuration_Settings"]["label_channel"] == channel
            ours = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
            theirs = expected_features(case)
            assert set(ours) == set(theirs), case
            bad = [k for k, v in theirs.items() if not close(v, ours[k])]
            assert not bad, (case, bad)
    with pytest.raises(featureextractor.InputError, match="label_channel 3 requested, but the mask has only 3"):
        featureextractor.RadiomicsFeatureExtractor(params).execute(IMAGE, RGB_MASK, label_channel=3)
    with pytest.raises(featureextractor.SettingsError, match="label_channel"):
        featureextractor.RadiomicsFeatureExtractor(params).execute(IMAGE, RGB_MASK, label_channel=-1)


def test_label_channel_maps_are_cut_to_the_channels_region(monkeypatch):
    """voxelBased on an RGB mask without SimpleITK: the maps' box is channel 1's region."""
    monkeypatch.setattr(featureextractor, "sitk", None)
    extractor = featureextractor.RadiomicsFeatureExtractor(label_channel=1)
    extractor.disableAllFeatures()
    extractor.enableFeaturesByName(glcm=["Contrast"])
    maps = extractor.execute(IMAGE, RGB_MASK, voxelBased=True)
    x, y, width, height = maps["diagnostics_Mask-original_BoundingBox"]
    assert (x, y) != (102, 225)  # not the tumour of channel 0
    assert maps["original_glcm_Contrast"].shape == (height + 2, width + 2)
