#!/usr/bin/env bash
# Whole-process comparison of sonorad and PyRadiomics 3.0.1 on the whole BUSI set: every case
# with a non-empty tumour mask, tumour + 3 mm peritumoral ring, spacing 0.1 mm, bin width 25.
#
# sonorad draws the rings itself. PyRadiomics gets the same rings as masks (written by
# `sonorad extract --write-masks` before the timing starts) and runs once for the tumours and
# once for the rings; its time is the sum of both runs.
#
# Usage (from the repository root, PyRadiomics venv from ../shared/reference/setup.sh):
#   bash benches/busi_vs_pyradiomics.sh [WORKDIR]
set -euo pipefail

busi=${BUSI:-../shared/data/busi}
python=${PYRADIOMICS_PYTHON:-/tmp/pyradiomics-venv/bin/python}
work=${1:-/tmp/sonorad-busi-bench}
busi=$(cd "$busi" && pwd)
mkdir -p "$work"
cargo build --release --quiet
sonorad=target/release/sonorad

# Manifests with absolute paths: tumours, and (after --write-masks) rings.
"$python" - "$busi" "$work" <<'EOF'
import csv, sys
busi, work = sys.argv[1], sys.argv[2]
rows = [r for r in csv.DictReader(open(f"{busi}/manifest.csv")) if r["mask_pixels"] != "0"]
with open(f"{work}/tumour.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case_id", "image", "mask"])
    for r in rows:
        w.writerow([r["case_id"], f"{busi}/{r['image']}", f"{busi}/{r['mask']}"])
with open(f"{work}/ring.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case_id", "image", "mask"])
    for r in rows:
        w.writerow([r["case_id"], f"{busi}/{r['image']}", f"{work}/rings/{r['case_id']}/ring3mm.png"])
print(f"{len(rows)} cases")
EOF
"$sonorad" extract --backend cpu --manifest "$work/tumour.csv" --ring 3mm --spacing 0.1 \
    --write-masks "$work/rings" --out "$work/prep.csv" --force --quiet > /dev/null

timed() {
    local label=$1
    shift
    /usr/bin/time -f "$label wall %e s user %U s peak RSS %M KB" "$@"
}
timed sonorad "$sonorad" extract --backend cpu --manifest "$work/tumour.csv" --ring 3mm \
    --spacing 0.1 --out "$work/sonorad.csv" --force
timed pyradiomics-tumour "$python" ../shared/reference/pyradiomics_extract.py \
    --manifest "$work/tumour.csv" --spacing 0.1 --out "$work/py_tumour.csv"
timed pyradiomics-ring "$python" ../shared/reference/pyradiomics_extract.py \
    --manifest "$work/ring.csv" --spacing 0.1 --out "$work/py_ring.csv"

# Agreement of every value (tumour and ring) to 1e-9 relative.
"$python" "$(dirname "$0")/compare_pyradiomics.py" "$work/sonorad.csv" \
    "tumor=$work/py_tumour.csv" "ring3mm=$work/py_ring.csv"
