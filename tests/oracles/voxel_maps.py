#!/usr/bin/env python3
"""Writes tests/fixtures/maps: PyRadiomics 3.0.1 voxel-based feature maps (texture maps) of two
small 2D cases and of three cases of degenerate kernels, for tests/maps.rs and tests/gpu_maps.rs.

Run with the reference venv (../shared/reference/setup.sh):
  /tmp/pyradiomics-venv/bin/python tests/oracles/voxel_maps.py

Inputs, written by this script into tests/fixtures/maps/ (deterministic):
  - synthetic.png / synthetic_mask.png: a 60x60 8-bit image (smooth gradient, stripes and
    seeded noise) with a 40x40 lobed region;
  - busi_crop.png / busi_crop_mask.png: a 56x48 crop of BUSI benign (2) (Al-Dhabyani et al.
    2020) across the tumour's upper-left border, with the tumour mask cropped alike.

Settings: RadiomicsFeatureExtractor with voxelBased=True, all features of firstorder, glcm,
glrlm, glszm, gldm and ngtdm, 1 mm pixels, PyRadiomics' defaults otherwise (initValue 0), and
per configuration kernelRadius, maskedKernel and binWidth or binCount.

voxelBatch 1: one kernel per batch. PyRadiomics computes a batch of kernels as one array: an
angle that is empty in one kernel of the batch but not in all of them is kept for the whole
batch, and makes JointAverage (a plain mean over angles) NaN for that kernel; a kernel without
any pair makes MCC's eigensolver fail ("Array must not contain infs or NaNs") for the whole
batch, whose MCC is then left at initValue. Only one kernel per batch gives each kernel its own
value, whatever the other kernels are, and sonorad's maps are that. (On the synthetic and BUSI
cases, where no kernel has an angle without pairs, PyRadiomics' default voxelBatch -1 gives the
same maps to 1.1e-15 relative: numpy sums a batch in another order.)

The output is deterministic on one machine; on another, values may differ in their last bits
(LAPACK's eigensolver for MCC, and numpy's sums, follow the CPU's vector instructions).

2D images go in as one-slice 3D images with force2D (in-plane angles, kernels and
neighbourhoods): PyRadiomics 3.0.1's voxel-based first-order class fails on a true 2D image
(firstorder.py appends a 3D centre offset [0, 0, 0] to 2D kernel offsets: "all the input array
dimensions except for the concatenation axis must match"). On one slice the texture classes
give what the 2D segment-based extraction gives: the out-of-slice angles and neighbours hold
no voxel.

Output per configuration: <case>_<config>.csv.gz, one row per pixel of the map PyRadiomics
returns (the tumour's bounding box padded by the kernel radius, cropped to the image), columns
x,y (pixel indices in the input image) then one column per feature
(original_<class>_<Feature>), values as Python repr. versions.txt records the versions.
"""
import csv
import gzip
import io
import os
import sys

import numpy as np
import SimpleITK as sitk
import radiomics
import pywt
from radiomics import featureextractor, setVerbosity

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
OUT = os.path.join(ROOT, "maps")
CLASSES = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]

CONFIGS = {
    "r1_masked_bw25": dict(kernelRadius=1, maskedKernel=True, binWidth=25),
    "r2_masked_bw25": dict(kernelRadius=2, maskedKernel=True, binWidth=25),
    "r1_unmasked_bw25": dict(kernelRadius=1, maskedKernel=False, binWidth=25),
    "r2_unmasked_bw25": dict(kernelRadius=2, maskedKernel=False, binWidth=25),
    "r1_masked_bc16": dict(kernelRadius=1, maskedKernel=True, binCount=16),
    "r2_masked_bc16": dict(kernelRadius=2, maskedKernel=True, binCount=16),
    "r1_unmasked_bc16": dict(kernelRadius=1, maskedKernel=False, binCount=16),
    "r2_unmasked_bc16": dict(kernelRadius=2, maskedKernel=False, binCount=16),
}
BUSI_CONFIGS = ["r1_masked_bw25", "r2_unmasked_bc16"]

# the degenerate cases: masked kernels (a kernel may hold its centre only), and at the image's
# edge unmasked ones too (tests/common/voxel_maps.rs lists the same)
MASKED_CONFIGS = ["r1_masked_bw25", "r2_masked_bw25", "r2_masked_bc16"]
UNMASKED_EDGE_CONFIGS = ["r1_unmasked_bw25", "r2_unmasked_bw25", "r2_unmasked_bc16"]


def synthetic():
    rng = np.random.default_rng(20)
    y, x = np.mgrid[0:60, 0:60]
    image = 60 + 1.5 * x + 40 * np.sin(y / 3.0) + rng.normal(0, 25, (60, 60))
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    cy, cx = 29.5, 29.5
    angle = np.arctan2(y - cy, x - cx)
    radius = np.hypot(y - cy, x - cx)
    mask = (radius <= 19 + 2 * np.cos(3 * angle)) & (abs(y - cy) < 20) & (abs(x - cx) < 20)
    return image, mask.astype(np.uint8) * 255


def busi_crop():
    busi = os.path.join(ROOT, "busi", "benign")
    image = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(busi, "benign (2).png")))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(busi, "benign (2)_mask.png")))
    window = (slice(205, 253), slice(90, 146))
    return image[window].astype(np.uint8), mask[window].astype(np.uint8)


def low_contrast_noise(seed, shape):
    """Seeded 8-bit noise over 100..179: about four levels of width 25, so that neighbours often
    share a level (runs and zones longer than one pixel)."""
    rng = np.random.default_rng(seed)
    return rng.integers(100, 180, shape).astype(np.uint8)


def centre_alone():
    mask = np.zeros((16, 16), np.uint8)
    mask[8:13, 8:13] = 255
    mask[2, 3] = 255
    mask[3, 13] = 255
    return low_contrast_noise(301, mask.shape), mask


def lines():
    mask = np.zeros((24, 24), np.uint8)
    mask[2, 2:8] = 255  # along (0, 1)
    mask[2:10, 20] = 255  # along (1, 0)
    for k in range(6):
        mask[12 + k, 2 + k] = 255  # along (1, 1)
        mask[12 + k, 20 - k] = 255  # along (1, -1)
    mask[21, 10:12] = 255  # two adjacent pixels
    mask[6, 12] = mask[8, 13] = 255  # a knight's move apart: no pair along any angle
    return low_contrast_noise(302, mask.shape), mask


def edge():
    mask = np.zeros((10, 14), np.uint8)
    mask[0:4, 0:3] = 255  # the image's top-left corner
    mask[9, 2:9] = 255  # along the bottom edge
    mask[6, 0] = 255  # alone on the left edge
    return low_contrast_noise(303, mask.shape), mask


def write_png(array, path):
    sitk.WriteImage(sitk.GetImageFromArray(array), path)


def maps(image_path, mask_path, config):
    settings = dict(config)
    # voxelBatch 1: each kernel's own value (see the docstring)
    settings.update(label=255, voxelBased=True, voxelBatch=1, force2D=True, force2Ddimension=0)
    extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
    extractor.disableAllFeatures()
    for c in CLASSES:
        extractor.enableFeatureClassByName(c)
    image = sitk.JoinSeries(sitk.ReadImage(image_path))
    mask = sitk.JoinSeries(sitk.ReadImage(mask_path))
    result = extractor.execute(image, mask, voxelBased=True)
    return image, {k: v for k, v in result.items() if isinstance(v, sitk.Image)}


def write_maps(case, image, maps_, path):
    names = sorted(maps_)
    first = maps_[names[0]]
    arrays = {n: sitk.GetArrayFromImage(maps_[n])[0] for n in names}
    height, width = arrays[names[0]].shape
    # mtime 0: the same maps give the same file
    with gzip.GzipFile(path, "wb", mtime=0) as raw, io.TextIOWrapper(raw, newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "y"] + names)
        for r in range(height):
            for c in range(width):
                point = first.TransformIndexToPhysicalPoint((c, r, 0))
                x, y, _ = image.TransformPhysicalPointToIndex(point)
                w.writerow([x, y] + [repr(float(arrays[n][r, c])) for n in names])
    print(f"{case}: {len(names)} maps of {width}x{height} -> {os.path.basename(path)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    setVerbosity(40)
    cases = {
        "synthetic": (synthetic(), list(CONFIGS)),
        "busi_crop": (busi_crop(), BUSI_CONFIGS),
        "centre_alone": (centre_alone(), MASKED_CONFIGS),
        "lines": (lines(), MASKED_CONFIGS),
        "edge": (edge(), MASKED_CONFIGS + UNMASKED_EDGE_CONFIGS),
    }
    for case, ((image, mask), names) in cases.items():
        image_path = os.path.join(OUT, f"{case}.png")
        mask_path = os.path.join(OUT, f"{case}_mask.png")
        write_png(image, image_path)
        write_png(mask, mask_path)
        for name in names:
            loaded, found = maps(image_path, mask_path, CONFIGS[name])
            write_maps(case, loaded, found, os.path.join(OUT, f"{case}_{name}.csv.gz"))
    with open(os.path.join(OUT, "versions.txt"), "w") as f:
        f.write(f"PyRadiomics {radiomics.__version__}\nSimpleITK {sitk.Version.VersionString()}\n")
        f.write(f"numpy {np.__version__}\nPyWavelets {pywt.__version__}\nPython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
