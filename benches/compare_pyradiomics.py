"""Compares a sonorad wide CSV with PyRadiomics wide CSVs (pyradiomics_extract.py --manifest).

Usage: python compare_pyradiomics.py SONORAD_CSV REGION=PYRADIOMICS_CSV [REGION=CSV ...]

Each PyRadiomics column NAME of a case is compared with sonorad's REGION_NAME of the same
case_id: relative difference where |PyRadiomics| > 1e-3 (tolerance 1e-9), absolute below it
(tolerance 1e-12). Prints the number of values, how many exceed the tolerance and the largest
difference; exits 1 when a value exceeds it or a feature is missing.
"""
import csv
import sys


def main(ours_path, pairs):
    ours = {r["case_id"]: r for r in csv.DictReader(open(ours_path))}
    worst, count, over = (0.0, ""), 0, 0
    for pair in pairs:
        region, path = pair.split("=", 1)
        for ref in csv.DictReader(open(path)):
            row = ours[ref["case_id"]]
            for name, value in ref.items():
                if name == "case_id":
                    continue
                mine = row.get(f"{region}_{name}")
                if mine is None:
                    sys.exit(f"sonorad has no {region}_{name} for {ref['case_id']}")
                a, b = float(mine), float(value)
                relative = abs(b) > 1e-3
                diff = abs(a - b) / abs(b) if relative else abs(a - b)
                count += 1
                over += diff > (1e-9 if relative else 1e-12)
                worst = max(worst, (diff, f"{ref['case_id']} {region}_{name}"))
    print(f"{count} values compared with PyRadiomics, {over} over tolerance; "
          f"largest difference {worst[0]:.2g} ({worst[1]})")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
