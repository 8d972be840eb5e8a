#!/usr/bin/env python3
"""Writes tests/fixtures/maps: PyRadiomics 3.0.1 voxel-based feature maps (texture maps) of two
small 2D cases, for tests/maps.rs.

Run with the reference venv (../shared/reference/setup.sh):
  /tmp/pyradiomics-venv/bin/python tests/oracles/voxel_maps.py

Inputs, written by this script into tests/fixtures/maps/ (deterministic):
  - synthetic.png / synthetic_mask.png: a 60x60 8-bit image (smooth gradient, stripes and
    seeded noise) with a 40x40 lobed region;
  - busi_crop.png / busi_crop_mask.png: a 56x48 crop of BUSI benign (2) (Al-Dhabyani et al.
    2020) across the tumour's upper-left border, with the tumour mask cropped alike.

Settings: RadiomicsFeatureExtractor with voxelBased=True, all features of firstorder, glcm,
glrlm, glszm, gldm and ngtdm, 1 mm pixels, PyRadiomics' defaults otherwise (initValue 0,
voxelBatch -1), and per configuration kernelRadius, maskedKernel and binWidth or binCount.

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


def write_png(array, path):
    sitk.WriteImage(sitk.GetImageFromArray(array), path)


def maps(image_path, mask_path, config):
    settings = dict(config)
    settings.update(label=255, voxelBased=True, force2D=True, force2Ddimension=0)
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
    with gzip.open(path, "wt", newline="") as f:
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
    cases = {"synthetic": synthetic(), "busi_crop": busi_crop()}
    for case, (image, mask) in cases.items():
        image_path = os.path.join(OUT, f"{case}.png")
        mask_path = os.path.join(OUT, f"{case}_mask.png")
        write_png(image, image_path)
        write_png(mask, mask_path)
        names = CONFIGS if case == "synthetic" else BUSI_CONFIGS
        for name in names:
            loaded, found = maps(image_path, mask_path, CONFIGS[name])
            write_maps(case, loaded, found, os.path.join(OUT, f"{case}_{name}.csv.gz"))
    with open(os.path.join(OUT, "versions.txt"), "w") as f:
        f.write(f"PyRadiomics {radiomics.__version__}\nSimpleITK {sitk.Version.VersionString()}\n")
        f.write(f"numpy {np.__version__}\nPyWavelets {pywt.__version__}\nPython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
