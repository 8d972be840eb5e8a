#!/usr/bin/env python3
"""Writes the stand-in clinical table of the BUSI run in the README.

BUSI has no clinical variables. The area of the tumour mask stands in for a clinical
tumour-size variable: lesion_area_cm2 = tumor_original_shape2D_PixelSurface / 100, the mask's
area in mm² at the nominal 0.1 mm pixel spacing given to `sonorad extract`, in cm². It is
computed from the same mask as the shape features and is not a clinical measurement.

usage: python3 docs/src/busi/lesion_area.py FEATURES_CSV CLINICAL_CSV
"""
import csv
import sys


def main(features_path, clinical_path):
    with open(features_path, newline="") as features, open(clinical_path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["case_id", "lesion_area_cm2"])
        for row in csv.DictReader(features):
            area_mm2 = float(row["tumor_original_shape2D_PixelSurface"])
            writer.writerow([row["case_id"], round(area_mm2 / 100, 6)])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
