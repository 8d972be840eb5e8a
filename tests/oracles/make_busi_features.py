#!/usr/bin/env python3
"""Build tests/fixtures/train/busi_features.csv: sonorad tumour features of the BUSI cases.

BUSI: W. Al-Dhabyani, M. Gomaa, H. Khaled, A. Fahmy, "Dataset of breast ultrasound images",
Data in Brief 28 (2020) 104863, doi:10.1016/j.dib.2019.104863.

Benign and malignant cases of shared/data/busi/manifest.csv (normal cases and empty masks are
skipped) go through `sonorad extract` with its defaults (tumour region, bin width 25); the
`malignant` outcome is then joined from the manifest by case id.

Run from the repository root: python3 tests/oracles/make_busi_features.py
"""
import csv
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUSI = os.path.join(ROOT, "..", "shared", "data", "busi")
if not os.path.isdir(BUSI):
    BUSI = "/work/shared/data/busi"
OUT = os.path.join(ROOT, "tests", "fixtures", "train", "busi_features.csv")


def main():
    with open(os.path.join(BUSI, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    keep = [
        r for r in rows
        if not r["case_id"].startswith("normal") and r["mask"] and int(r["mask_pixels"] or 0) > 0
    ]
    outcome = {r["case_id"]: r["malignant"] for r in keep}
    with tempfile.TemporaryDirectory() as tmp:
        manifest = os.path.join(tmp, "manifest.csv")
        with open(manifest, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["case_id", "image", "mask"])
            for r in keep:
                w.writerow([r["case_id"], os.path.join(BUSI, r["image"]), os.path.join(BUSI, r["mask"])])
        features = os.path.join(tmp, "features.csv")
        subprocess.run(
            ["cargo", "run", "--release", "--", "extract", "--manifest", manifest,
             "--out", features, "--backend", "cpu", "--quiet"],
            cwd=ROOT, check=True)
        with open(features, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            table = list(reader)
    id_index = header.index("case_id")
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + ["malignant"])
        for row in table:
            w.writerow(row + [outcome[row[id_index]]])
    print(f"{len(table)} cases, {len(header) - 1} columns -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
