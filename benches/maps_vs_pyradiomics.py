#!/usr/bin/env python3
"""PyRadiomics 3.0.1 voxel-based maps of one case, for benches/maps_vs_pyradiomics.sh.

  python maps_vs_pyradiomics.py IMAGE MASK RADIUS CLASSES

The image goes in as a one-slice 3D image with force2D (PyRadiomics' voxel-based first-order
class fails on true 2D images; see tests/oracles/voxel_maps.py); CLASSES is comma-separated
(firstorder,glcm,glrlm). Prints the number of maps.
"""
import sys

import SimpleITK as sitk
from radiomics import featureextractor, setVerbosity

image_path, mask_path, radius, classes = sys.argv[1:5]
setVerbosity(40)
extractor = featureextractor.RadiomicsFeatureExtractor(
    label=255, voxelBased=True, force2D=True, force2Ddimension=0,
    kernelRadius=int(radius), binWidth=25)
extractor.disableAllFeatures()
for c in classes.split(","):
    extractor.enableFeatureClassByName(c)
image = sitk.JoinSeries(sitk.ReadImage(image_path))
mask = sitk.JoinSeries(sitk.ReadImage(mask_path))
result = extractor.execute(image, mask, voxelBased=True)
maps = [k for k, v in result.items() if isinstance(v, sitk.Image)]
for name in maps:
    sitk.WriteImage(result[name], "/tmp/pyradiomics-map-%s.nii.gz" % name)
print(len(maps))
