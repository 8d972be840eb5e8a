#!/usr/bin/env bash
# The Python package against the command line on the 100 BUSI tumours of the guide's main
# table (every 6th case with a non-empty mask), bin width 25, all 102 features: whole process,
# the two taking turns for ROUNDS rounds, median wall time, and the two tables compared.
#   - `sonorad extract --manifest M --out F.csv`;
#   - `python -c "sonorad.Extractor().extract_manifest(M).to_csv(F)"` (the package built by
#     python/run_tests.sh into target/python-venv): the call itself, timed inside Python (what
#     a notebook user waits for), and the whole process.
# Usage: bash benches/python_vs_cli.sh [WORKDIR]; environment BUSI, SONORAD, PYTHON_VENV, ROUNDS.
set -euo pipefail
busi=$(cd "${BUSI:-../shared/data/busi}" && pwd)
work=${1:-/tmp/sonorad-python-bench}
rounds=${ROUNDS:-3}
venv=${PYTHON_VENV:-target/python-venv}
sonorad=$(realpath "${SONORAD:-target/release/sonorad}")
python="$(cd "$venv" && pwd)/bin/python"
mkdir -p "$work"
"$python" - "$busi" "$work/manifest.csv" <<'PY'
import csv, sys
busi, out = sys.argv[1], sys.argv[2]
rows = [r for r in csv.DictReader(open(f"{busi}/manifest.csv")) if r["mask_pixels"] != "0"][::6][:100]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case_id", "image", "mask"])
    for r in rows:
        w.writerow([r["case_id"], f"{busi}/{r['image']}", f"{busi}/{r['mask']}"])
PY
: > "$work/times.txt"
for ((r = 1; r <= rounds; r++)); do
    start=$EPOCHREALTIME
    "$sonorad" extract --backend cpu --quiet --force --manifest "$work/manifest.csv" --out "$work/cli.csv" 2> /dev/null
    end=$EPOCHREALTIME
    echo "cli $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" >> "$work/times.txt"
    start=$EPOCHREALTIME
    "$python" -c "
import sys, time
import pandas  # imported before the call, as in a notebook
import sonorad
start = time.perf_counter()
table = sonorad.Extractor(backend='cpu').extract_manifest(sys.argv[1], progress=False)
print('call', time.perf_counter() - start)
table.to_csv(sys.argv[2], index=False)" "$work/manifest.csv" "$work/python.csv" >> "$work/times.txt"
    end=$EPOCHREALTIME
    echo "python $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" >> "$work/times.txt"
done
"$python" - "$work" <<'PY'
import statistics, sys
import pandas
work = sys.argv[1]
times = {}
for line in open(f"{work}/times.txt"):
    k, t = line.split()
    times.setdefault(k, []).append(float(t))
cli, py = statistics.median(times["cli"]), statistics.median(times["python"])
call = statistics.median(times["call"])
print("| command | median wall time | against the CLI |")
print("|---|---:|---:|")
print(f"| sonorad extract --manifest (CLI), whole process | {cli:.3f} s | 1.00x |")
print(f"| sonorad.Extractor().extract_manifest (Python), the call | {call:.3f} s | {call / cli:.2f}x |")
print(f"| the same, whole process (starting Python, importing pandas, writing the CSV) | {py:.3f} s | {py / cli:.2f}x |")
a = pandas.read_csv(f"{work}/cli.csv", dtype={"case_id": str})
b = pandas.read_csv(f"{work}/python.csv", dtype={"case_id": str})
pandas.testing.assert_frame_equal(a, b)
print(f"\nthe two tables are equal ({len(a)} cases x {len(a.columns)} columns)")
PY
