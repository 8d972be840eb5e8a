#!/usr/bin/env bash
# Regenerates tests/fixtures/r/*.json from R (see tests/oracles/r_oracles.R for what each holds).
# Needs R with rms, glmnet and jsonlite (Debian: apt-get install r-base-core r-cran-rms
# r-cran-glmnet) and python3. The tests read the committed fixtures and need neither.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
sonorad=target/release/sonorad
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$sonorad" demo --out "$work/demo" > /dev/null
python3 docs/src/busi/lesion_area.py tests/fixtures/train/busi_features.csv "$work/busi_clinical.csv"
"$sonorad" train --features tests/fixtures/train/busi_features.csv --outcome malignant \
  --clinical "$work/busi_clinical.csv" --bootstrap 10 --out "$work/busi" > /dev/null 2>&1
Rscript tests/oracles/r_oracles.R "$work" tests/fixtures/r
