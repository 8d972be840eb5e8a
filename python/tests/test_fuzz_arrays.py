"""Random arrays through Extractor.execute and execute_maps for SONORAD_FUZZ_SECONDS seconds
(default 5; .ci/run sets 60, python/run_tests.sh passes it on): random dtypes (supported or
not), shapes (0-d to 3-D, empty axes, one-slice volumes), views (negative, zero and large
strides), values (constant, huge, NaN, inf) and masks (labels, bools, fractions, wrong
shapes). Every call returns features or raises a ValueError (sonorad.InputError or
SettingsError) with a message: never a crash, a panic (pyo3's PanicException) or another
exception type."""
import os
import time

import numpy as np

import sonorad

DTYPES = [np.uint8, np.uint16, np.int8, np.int16, np.uint32, np.int32, np.float32,
          np.float64, np.bool_, np.complex64, np.int64, np.float16, object]


def _array(rng, shape, dtype):
    values = rng.choice([0.0, 1.0, 7.0, 255.0, 1e30, -3.5, np.nan, np.inf], size=shape)
    if rng.random() < 0.5:
        values = rng.integers(0, 256, size=shape).astype(float)
    with np.errstate(all="ignore"):
        try:
            return values.astype(dtype)
        except (ValueError, OverflowError, TypeError):
            return values


def _view(rng, array):
    if array.ndim == 2 and min(array.shape) > 1:
        choice = rng.integers(0, 4)
        if choice == 0:
            return array[::-1]
        if choice == 1:
            return array[:, ::2]
        if choice == 2:
            return np.broadcast_to(array[:1], array.shape)
    return array


def _case(rng):
    ndim = rng.choice([0, 1, 2, 2, 2, 2, 3])
    shape = tuple(int(rng.integers(0, 3) if rng.random() < 0.1 else rng.integers(1, 24))
                  for _ in range(ndim))
    if ndim == 3 and rng.random() < 0.5:
        shape = (1,) + shape[1:]
    image = _view(rng, _array(rng, shape, DTYPES[rng.integers(len(DTYPES))]))
    mask_shape = shape if rng.random() < 0.8 else tuple(s + 1 for s in shape)
    mask = rng.random(mask_shape) < rng.random()
    kind = rng.integers(0, 4)
    if kind == 1:
        mask = mask.astype(np.uint8) * int(rng.integers(1, 256))
    elif kind == 2:
        mask = mask.astype(float) * 0.5
    elif kind == 3:
        mask = mask.astype(np.int32)
    return image, _view(rng, np.asarray(mask))


def test_random_arrays_give_features_or_value_errors():
    seconds = float(os.environ.get("SONORAD_FUZZ_SECONDS", "5"))
    rng = np.random.default_rng(2026)
    extractor = sonorad.Extractor(backend="cpu")
    start, calls, refused, slowest = time.time(), 0, 0, 0.0
    while time.time() - start < seconds:
        image, mask = _case(rng)
        maps = rng.random() < 0.2
        began = time.time()
        try:
            if maps:
                extractor.execute_maps(image, mask, kernel_radius=1, features=["glcm_Contrast"])
            else:
                extractor.execute(image, mask)
        except ValueError as error:
            assert str(error), "an error without a message"
            refused += 1
        except BaseException as error:
            raise AssertionError("%s on image %s %s strides %s, mask %s %s strides %s: %s" % (
                type(error).__name__, image.dtype, image.shape, image.strides, mask.dtype,
                mask.shape, mask.strides, "maps" if maps else "features") + " (call %d)" % calls) from error
        slowest = max(slowest, time.time() - began)
        calls += 1
    print("fuzz arrays: %d calls in %.0f s, %d refused, slowest %.2f s"
          % (calls, seconds, refused, slowest))
    assert slowest < 10.0
