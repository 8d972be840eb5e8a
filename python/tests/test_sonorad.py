"""The Python package against the command line, on the bundled BUSI sample.

Run by python/run_tests.sh (which builds the extension into a venv), with SONORAD_BIN set to
the `sonorad` binary of the same commit.
"""
import csv
import io
import os
import subprocess
import sys

import numpy as np
import pandas
import pytest
from PIL import Image

import sonorad

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUSI = os.path.join(ROOT, "tests", "fixtures", "busi")
IMAGE = os.path.join(BUSI, "benign", "benign (2).png")
MASK = os.path.join(BUSI, "benign", "benign (2)_mask.png")
SETTINGS = dict(rings=["3mm"], spacing=0.1, filters=["original", "log"], log_sigma=[1.0, 2.0])
CLI_FLAGS = ["--ring", "3mm", "--spacing", "0.1", "--filters", "original,log", "--log-sigma", "1,2"]


def cli(*args):
    out = subprocess.run([os.environ["SONORAD_BIN"], *args], capture_output=True, text=True, check=True)
    return out.stdout


def cli_case(image, mask):
    text = cli("extract", "--backend", "cpu", "--image", image, "--mask", mask, *CLI_FLAGS)
    rows = csv.reader(io.StringIO(text))
    next(rows)
    return {name: float(value) for name, value in rows}


def test_execute_equals_the_command_line():
    ours = sonorad.Extractor(backend="cpu", **SETTINGS).execute(IMAGE, MASK)
    theirs = cli_case(IMAGE, MASK)
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        assert ours[name] == value or (np.isnan(value) and np.isnan(ours[name])), name
    # tumour, 3 mm ring; original + LoG 1, 2: 9 shape + 3 x 93 per region
    assert len(ours) == 2 * (9 + 3 * 93)


def test_numpy_arrays_equal_the_files_in_either_order():
    pixels = np.asarray(Image.open(IMAGE).convert("L"))
    labels = np.asarray(Image.open(MASK).convert("L"))
    extractor = sonorad.Extractor(backend="cpu", **SETTINGS)
    from_files = extractor.execute(IMAGE, MASK)
    as_f64 = pixels.astype(np.float64)
    for image in (pixels, np.asfortranarray(pixels), pixels.astype(np.float32), pixels.astype(np.uint16),
                  as_f64, np.asfortranarray(as_f64)):
        from_arrays = extractor.execute(image, labels, spacing=0.1)
        assert from_arrays == from_files
    for mask in (labels > 0, labels.astype(np.uint32), np.asfortranarray(labels.astype(np.uint32))):
        assert extractor.execute(as_f64, mask, spacing=0.1) == from_files


MEMORY_PROBE = """
import os, resource, sys
import numpy as np
import sonorad

def peak_kib():
    # this process's own peak: VmHWM, as ru_maxrss starts from the parent's resident size at
    # fork on Linux (a large pytest process would hide the growth)
    if os.path.exists("/proc/self/status"):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

side = 4000
image = np.full((side, side), 7.0, dtype=sys.argv[1])
image[1000:1100, 1000:1100] = np.arange(10000).reshape(100, 100) % 50
mask = np.zeros((side, side), dtype=np.uint32)
mask[1000:1100, 1000:1100] = 1
before = peak_kib()
features = sonorad.Extractor(backend="cpu").execute(image, mask)
after = peak_kib()
assert features["tumor_original_firstorder_Maximum"] == 49.0
print((after - before) // 1024)
"""


def peak_growth_mib(dtype):
    """How far the peak resident memory of a fresh interpreter rises during one execute call on a
    4000 x 4000 image (a 100 x 100 region) of `dtype` with a uint32 mask, in MiB."""
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, dtype], capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_float64_images_and_uint32_masks_are_read_in_place():
    # a 122 MiB float64 image and a 61 MiB uint32 mask: no copy of either is made
    assert peak_growth_mib("float64") < 20
    # the probe sees copies: a float32 image is converted to a 122 MiB float64 one
    assert peak_growth_mib("float32") > 100


def test_pyradiomics_names_for_the_tumour():
    features = sonorad.Extractor(backend="cpu").execute(IMAGE, MASK, pyradiomics_names=True)
    assert "original_glcm_Contrast" in features
    assert "original_shape2D_PixelSurface" in features
    assert not any(name.startswith("tumor_") for name in features)


def test_extract_manifest_equals_the_command_line(tmp_path):
    manifest = os.path.join(BUSI, "manifest.csv")
    result = sonorad.Extractor(backend="cpu", **SETTINGS).extract_manifest(manifest, progress=False)
    out = tmp_path / "cli.csv"
    cli("extract", "--backend", "cpu", "--manifest", manifest, *CLI_FLAGS, "--quiet", "--out", str(out))
    expected = pandas.read_csv(out, dtype={"case_id": str})
    assert list(result.columns) == list(expected.columns)
    pandas.testing.assert_frame_equal(result, expected)
    features = [c for c in result.columns if c.startswith("tumor_")]
    assert all(result[c].dtype == np.float64 for c in features)
    assert len(result.attrs["errors"]) == 0


def test_a_failed_case_is_collected_not_raised(tmp_path):
    table = pandas.DataFrame(
        {
            "case_id": ["good", "bad"],
            "image": [IMAGE, IMAGE],
            "mask": [MASK, str(tmp_path / "missing_mask.png")],
        }
    )
    result = sonorad.Extractor(backend="cpu").extract_manifest(table, progress=False)
    assert list(result["case_id"]) == ["good"]
    errors = result.attrs["errors"]
    assert list(errors["case_id"]) == ["bad"]
    assert "missing_mask.png" in errors.to_csv()


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(bin_width=-1.0), "bin width"),
        (dict(bin_width=10.0, bin_count=8), "not both"),
        (dict(filters=["nope"]), "unknown image type 'nope'"),
        (dict(rings=["3 furlongs"]), "3 furlongs"),
        (dict(backend="tpu"), "backend must be"),
        (dict(wavelet="db99"), "unknown wavelet 'db99'"),
    ],
)
def test_settings_errors_are_value_errors_with_the_cli_message(settings, message):
    with pytest.raises(sonorad.SettingsError, match=message) as caught:
        sonorad.Extractor(**settings)
    assert isinstance(caught.value, ValueError)


def test_bad_inputs_raise_naming_the_file(tmp_path):
    extractor = sonorad.Extractor(backend="cpu")
    with pytest.raises(sonorad.InputError, match="no_such_image.png"):
        extractor.execute(str(tmp_path / "no_such_image.png"), MASK)
    with pytest.raises(sonorad.InputError, match="2D numpy array"):
        extractor.execute(np.zeros((4, 4, 3), dtype=np.uint8), np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(sonorad.InputError, match="mask array"):
        extractor.execute(np.zeros((8, 8), dtype=np.uint8), -np.ones((8, 8), dtype=np.int64))
    with pytest.raises(sonorad.InputError, match="mask is 8x9 but image <image array> is 8x8"):
        extractor.execute(np.zeros((8, 8), dtype=np.uint8), np.ones((9, 8), dtype=np.uint8))


def test_from_params_reads_a_pyradiomics_file(tmp_path):
    params = tmp_path / "study.yaml"
    params.write_text("setting:\n  binWidth: 10\nimageType:\n  Original: {}\nfeatureClass:\n  glcm: [Contrast]\n")
    features = sonorad.Extractor.from_params(params, backend="cpu").execute(IMAGE, MASK)
    assert list(features) == ["tumor_original_glcm_Contrast"]
    # as RadiomicsFeatureExtractor takes it: the parameter file first
    swapped = sonorad.Extractor(str(params), backend="cpu").execute(IMAGE, MASK, pyradiomics_names=True)
    assert swapped == {"original_glcm_Contrast": features["tumor_original_glcm_Contrast"]}
    theirs = cli("extract", "--backend", "cpu", "--params", str(params), "--image", IMAGE, "--mask", MASK)
    assert features["tumor_original_glcm_Contrast"] == float(theirs.splitlines()[1].split(",")[1])
    with pytest.raises(sonorad.SettingsError, match="setting.label_channel"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("setting:\n  label_channel: -1\n")
        sonorad.Extractor.from_params(bad)


RGB_MASK = os.path.join(ROOT, "tests", "fixtures", "settings", "channels", "benign2_rgb_mask.png")


def test_label_channel_reads_a_channel_of_a_mask_of_several():
    """An RGB mask (each channel its own regions): label_channel picks the channel for a path
    and for a rows x columns x channels array alike, as `extract --label-channel` does; a
    channel the mask lacks, or a negative one, is refused naming it; a one-channel mask
    ignores it."""
    channels = np.asarray(Image.open(RGB_MASK))
    gray = np.asarray(Image.open(IMAGE).convert("L"))
    for channel in range(3):
        extractor = sonorad.Extractor(backend="cpu", label_channel=channel)
        from_path = extractor.execute(IMAGE, RGB_MASK)
        text = cli("extract", "--backend", "cpu", "--image", IMAGE, "--mask", RGB_MASK,
                   "--label-channel", str(channel))
        theirs = {name: float(value) for name, value in list(csv.reader(io.StringIO(text)))[1:]}
        assert list(from_path) == list(theirs)
        assert all(from_path[n] == v or (np.isnan(v) and np.isnan(from_path[n])) for n, v in theirs.items())
        assert extractor.execute(gray, channels) == from_path
        assert from_path == sonorad.Extractor(backend="cpu").execute(gray, channels[:, :, channel])
    with pytest.raises(sonorad.InputError, match="label_channel 3 requested, but the mask has only 3 channels"):
        sonorad.Extractor(backend="cpu", label_channel=3).execute(IMAGE, RGB_MASK)
    with pytest.raises(sonorad.SettingsError, match="label_channel"):
        sonorad.Extractor(label_channel=-1)
    assert sonorad.Extractor(backend="cpu", label_channel=2).execute(IMAGE, MASK) == \
        sonorad.Extractor(backend="cpu").execute(IMAGE, MASK)


MAPS = os.path.join(ROOT, "tests", "fixtures", "maps")


def test_texture_maps_equal_pyradiomics_voxel_maps():
    """execute_maps on the BUSI crop of the map fixtures (radius 1, masked kernels, bin width 25)
    against PyRadiomics 3.0.1's own voxel-based maps, as tests/maps.rs holds the library: within
    1e-9 relative (1e-12 absolute near 0), MCC within 1e-7 (PyRadiomics' repeated eigenvalues)."""
    image = os.path.join(MAPS, "busi_crop.png")
    mask = os.path.join(MAPS, "busi_crop_mask.png")
    maps = sonorad.Extractor(bin_width=25, backend="cpu").execute_maps(image, mask, kernel_radius=1)
    assert len(maps) == 93
    reference = pandas.read_csv(os.path.join(MAPS, "busi_crop_r1_masked_bw25.csv.gz"))
    x, y = reference["x"].to_numpy(), reference["y"].to_numpy()
    height, width = np.asarray(Image.open(image)).shape[:2]
    for column in reference.columns[2:]:
        feature = column[len("original_"):]
        got = maps[f"tumor_original_{feature}"]
        assert got.shape == (height, width) and got.dtype == np.float64
        want = reference[column].to_numpy()
        tolerance = 1e-7 if feature == "glcm_MCC" else 1e-9
        bound = tolerance * np.maximum(np.abs(want), 1e-3)
        same = (np.abs(got[y, x] - want) <= bound) | (np.isnan(got[y, x]) & np.isnan(want))
        assert same.all(), feature


def test_texture_maps_from_arrays_selected_features_and_settings(tmp_path):
    """Arrays give the files' maps; a selection, kernel settings and a parameter file's
    voxelSetting apply; a bad radius is a SettingsError; a missing file an InputError."""
    image = os.path.join(MAPS, "busi_crop.png")
    mask = os.path.join(MAPS, "busi_crop_mask.png")
    extractor = sonorad.Extractor(bin_width=25, backend="cpu")
    chosen = dict(kernel_radius=2, init_value=float("nan"), features=["glcm_Contrast", "firstorder"])
    from_files = extractor.execute_maps(image, mask, **chosen)
    pixels = np.asarray(Image.open(image).convert("L"))
    inside = np.asarray(Image.open(mask).convert("L")) > 0
    from_arrays = extractor.execute_maps(pixels, inside, **chosen)
    assert list(from_files) == ["tumor_original_firstorder_" + n for n in FIRSTORDER] + [
        "tumor_original_glcm_Contrast"
    ]
    for name, values in from_files.items():
        np.testing.assert_array_equal(values, from_arrays[name])
        assert np.isnan(values[~inside]).all() and not np.isnan(values[inside]).any()
    contrast = from_files["tumor_original_glcm_Contrast"]
    assert contrast[inside].max() > 0
    # a parameter file's voxelSetting is the extractor's default kernel
    params = tmp_path / "voxel.yaml"
    params.write_text("setting:\n  binWidth: 25\nvoxelSetting:\n  kernelRadius: 2\n  initValue: .nan\n")
    by_params = sonorad.Extractor(params, backend="cpu").execute_maps(image, mask, features=["glcm_Contrast"])
    np.testing.assert_array_equal(by_params["tumor_original_glcm_Contrast"], contrast)
    for radius in (17, -1):
        with pytest.raises(sonorad.SettingsError, match=f"kernel radius must be from 1 to 16, got {radius}"):
            extractor.execute_maps(image, mask, kernel_radius=radius)
    with pytest.raises(sonorad.SettingsError, match="no feature listed"):
        extractor.execute_maps(image, mask, features=[])
    with pytest.raises(sonorad.SettingsError, match="shape2D has no maps"):
        extractor.execute_maps(image, mask, features=["shape2D"])
    shape_only = tmp_path / "shape.yaml"
    shape_only.write_text("featureClass:\n  shape2D: []\n")
    with pytest.raises(sonorad.SettingsError, match="no first-order or texture feature"):
        sonorad.Extractor(shape_only, backend="cpu").execute_maps(image, mask)
    with pytest.raises(sonorad.InputError, match="no_such.png"):
        extractor.execute_maps(os.path.join(MAPS, "no_such.png"), mask)
    with pytest.raises(sonorad.InputError, match="mask array"):
        extractor.execute_maps(pixels, np.zeros_like(inside))
    # maps too large to hold are refused from the arrays' shape, before they are converted
    # (broadcast views: no memory behind them)
    huge = np.broadcast_to(np.uint8(1), (20000, 20000))
    with pytest.raises(sonorad.SettingsError, match="<image array>: 93 maps of 400000000 pixels"):
        extractor.execute_maps(huge, huge)


def test_texture_maps_on_the_device_equal_the_cpu_maps():
    """backend="gpu" maps on the device (every class, MCC included): within 1e-4 of each CPU
    map's magnitude, which f32 kernels keep too (tests/gpu_maps.rs holds f64 to 1e-9). Without
    an adapter the test is skipped, and tests/python.rs prints the reason; with
    SONORAD_REQUIRE_GPU=1 it fails instead."""
    try:
        gpu = sonorad.Extractor(bin_width=25, backend="gpu")
    except sonorad.SettingsError as e:
        if os.environ.get("SONORAD_REQUIRE_GPU") == "1":
            raise
        pytest.skip(f"texture maps on the device need a GPU adapter: {e}")
    image = os.path.join(MAPS, "busi_crop.png")
    mask = os.path.join(MAPS, "busi_crop_mask.png")
    on_device = gpu.execute_maps(image, mask, kernel_radius=2)
    on_cpu = sonorad.Extractor(bin_width=25, backend="cpu").execute_maps(image, mask, kernel_radius=2)
    assert list(on_device) == list(on_cpu) and len(on_cpu) == 93
    # the device computed them: its rounding differs from the CPU's somewhere
    assert any(not np.array_equal(on_device[n], on_cpu[n], equal_nan=True) for n in on_cpu)
    for name, want in on_cpu.items():
        scale = max(np.nanmax(np.abs(want)), 1e-9)
        np.testing.assert_allclose(on_device[name], want, rtol=0, atol=1e-4 * scale, err_msg=name)


# the first-order features in the order of sonorad's columns (PyRadiomics' class order)
FIRSTORDER = [
    "Energy", "TotalEnergy", "Entropy", "Minimum", "10Percentile", "90Percentile", "Maximum", "Mean",
    "Median", "InterquartileRange", "Range", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation",
    "RootMeanSquared", "Skewness", "Kurtosis", "Variance", "Uniformity",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's folder: a generated cohort's features (with age and lvi) and its study."""
    folder = tmp_path_factory.mktemp("demo")
    cli("demo", "--out", str(folder))
    return folder


def test_train_equals_the_command_line_study(demo, tmp_path):
    features = pandas.read_csv(demo / "features.csv", dtype={"case_id": str})
    study = sonorad.train(features, outcome="outcome", clinical=demo / "features.csv", out=str(tmp_path / "study"), seed=42)
    assert study.clinical_skipped is None
    assert os.path.exists(study.report_path)
    pandas.testing.assert_frame_equal(study.metrics, pandas.read_csv(demo / "metrics.csv"))
    pandas.testing.assert_frame_equal(study.scores, pandas.read_csv(demo / "scores.csv", dtype={"case_id": str}))
    assert len(study.selection) > 0 and (study.selection["coefficient"] != 0).all()


def test_study_predict_equals_the_command_line(demo, tmp_path):
    study = sonorad.train(demo / "features.csv", clinical=demo / "features.csv", out=str(tmp_path / "study"), seed=42)
    ours = study.predict(demo / "features.csv", clinical=demo / "features.csv")
    out = tmp_path / "cli_predictions.csv"
    cli("predict", "--model", str(tmp_path / "study" / "model.json"), "--features", str(demo / "features.csv"),
        "--clinical", str(demo / "features.csv"), "--out", str(out))
    pandas.testing.assert_frame_equal(ours, pandas.read_csv(out, dtype={"case_id": str}))
    with pytest.raises(sonorad.InputError, match="nothing.csv"):
        study.predict(str(tmp_path / "nothing.csv"))


def test_dask_local_cluster_equals_one_process():
    from dask import distributed
    import sonorad.dask

    manifest = os.path.join(BUSI, "manifest.csv")
    single = sonorad.Extractor(backend="cpu", **SETTINGS).extract_manifest(manifest, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            spread = sonorad.dask.extract_manifest(manifest, client, backend="cpu", **SETTINGS)
    assert len(spread) == len(single) == 6
    pandas.testing.assert_frame_equal(spread, single)
    assert len(spread.attrs["errors"]) == 0


def test_progress_reaches_a_callable_and_a_tqdm_bar(capsys):
    calls = []
    manifest = os.path.join(BUSI, "manifest.csv")
    extractor = sonorad.Extractor(backend="cpu")
    extractor.extract_manifest(manifest, progress=lambda *done: calls.append(done))
    assert calls and calls[-1] == (6, 0, 6)
    extractor.extract_manifest(manifest, progress=True)
    assert "6/6" in capsys.readouterr().err


QUIET_PROBE = """
import sys, sonorad
from sonorad import featureextractor
sonorad.Extractor().execute(sys.argv[1], sys.argv[2])
extractor = featureextractor.RadiomicsFeatureExtractor(label=255)
extractor.disableAllFeatures()  # the default's 3D shape class is skipped with a warning
extractor.enableFeatureClassByName("firstorder")
extractor.execute(sys.argv[1], sys.argv[2])
"""


def test_a_successful_execute_leaves_stderr_quiet():
    """No driver chatter on stderr (issue 30): without a desktop session (no XDG_RUNTIME_DIR, as
    run_tests.sh runs the tests) the Vulkan layer's "error: XDG_RUNTIME_DIR is invalid ..." must
    not appear; only sonorad's own notes may ("backend auto: ...")."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "NODEVICE_SELECT")}
    out = subprocess.run([sys.executable, "-c", QUIET_PROBE, IMAGE, MASK], capture_output=True,
                         text=True, check=True, env=env)
    lines = [line for line in out.stderr.splitlines() if not line.startswith("backend auto: ")]
    assert lines == [], out.stderr


def _image_and_mask():
    image = np.asarray(Image.open(IMAGE).convert("L"))
    mask = (np.asarray(Image.open(MASK)) > 0).astype(np.uint8)
    return image, mask


def test_hostile_arrays_raise_input_errors_naming_the_problem():
    """Arrays a notebook may hand over by mistake: each is a clear InputError (a ValueError),
    never a crash or a silent answer; a one-slice 3-D array is its 2D slice."""
    image, mask = _image_and_mask()
    extractor = sonorad.Extractor(backend="cpu")
    ys, xs = np.nonzero(mask)
    for bad in (np.nan, np.inf):
        values = image.astype(np.float64)
        values[ys[0], xs[0]] = bad
        with pytest.raises(sonorad.InputError, match="only finite values can be binned"):
            extractor.execute(values, mask)
    wrong = [
        (np.array(5.0), np.array(1), "2D numpy array"),
        (image[0], mask[0], "2D numpy array"),
        (np.stack([image, image]), np.stack([mask, mask]), r"shape \(2, 473, 557\): expected a 2D"),
        (image.astype(object), mask, "2D numpy array"),
        (image.astype(complex), mask, "2D numpy array"),
        (image > 100, mask, "2D numpy array"),
        (image, mask[:-1], "mask is 557x472 but image"),
        (image, mask * 0.5, "bool or integer labels"),
    ]
    for bad_image, bad_mask, message in wrong:
        with pytest.raises(sonorad.InputError, match=message):
            extractor.execute(bad_image, bad_mask)
    plain = extractor.execute(image, mask)
    assert extractor.execute(image[None], mask[None]) == plain
    assert extractor.execute(image[:, :, None], mask[:, :, None]) == plain
    # views: reversed rows (negative strides) and a broadcast (zero strides) are read as numpy
    # sees them
    assert extractor.execute(np.ascontiguousarray(image[::-1]), mask[::-1]) == \
        extractor.execute(image[::-1], mask[::-1])
    flat = np.broadcast_to(image[ys[0]], image.shape)
    assert extractor.execute(flat, mask) == extractor.execute(np.ascontiguousarray(flat), mask)


def test_a_dataframe_manifest_with_bad_ids_is_refused_naming_its_rows():
    extractor = sonorad.Extractor(backend="cpu")
    base = pandas.DataFrame({"image": [IMAGE, IMAGE], "mask": [MASK, MASK]})
    for ids, message in [(["a", None], r"no case_id at index \[1\]"),
                         (["a", float("nan")], r"no case_id at index \[1\]"),
                         (["a", " "], r"no case_id at index \[1\]"),
                         (["a", "a"], r"repeats case_id 'a' at index \[0, 1\]")]:
        with pytest.raises(sonorad.InputError, match=message):
            extractor.extract_manifest(base.assign(case_id=ids), progress=False)
    with pytest.raises(sonorad.InputError, match="no 'case_id' column"):
        extractor.extract_manifest(base, progress=False)
    table = extractor.extract_manifest(base.assign(case_id=[1, 2]), progress=False)
    assert list(table["case_id"]) == ["1", "2"]


INTERRUPT_PROBE = """
import sys, time, pandas, sonorad
image, mask = sys.argv[1], sys.argv[2]
table = pandas.DataFrame({"case_id": [str(k) for k in range(4000)],
                          "image": [image] * 4000, "mask": [mask] * 4000})
print("started", flush=True)
try:
    sonorad.Extractor(backend="cpu").extract_manifest(table, progress=False)
    print("finished")
except KeyboardInterrupt:
    print("interrupted", time.time())
"""


def test_ctrl_c_during_extract_manifest_arrives_within_a_second():
    """Ctrl-C (SIGINT) during a long extract_manifest raises KeyboardInterrupt within about a
    chunk's time, not at the end of the manifest (the run stops after its chunk in hand, its
    rows written whole)."""
    import signal
    import time

    child = subprocess.Popen([sys.executable, "-c", INTERRUPT_PROBE, IMAGE, MASK],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(2.0)
    sent = time.time()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=60)
    assert out.startswith("interrupted"), out
    assert float(out.split()[1]) - sent < 1.0, out
