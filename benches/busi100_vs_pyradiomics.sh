#!/usr/bin/env bash
# Whole-process speed of sonorad against PyRadiomics 3.0.1 on 100 BUSI tumours, the guide's
# main performance table (docs/src/performance.md): every 6th case with a non-empty mask (the first 100 of them), tumour
# only, bin width 25, all 102 features (or 753 with FILTERS=original,log,wavelet).
#
# The commands take turns for ROUNDS rounds, so that each sees the machine in the same state,
# and the table gives the median wall time of each and its ratio to serial PyRadiomics:
#   - PyRadiomics, one process (as `pyradiomics_extract.py --manifest` runs it);
#   - PyRadiomics in PROCS processes, the manifest split PROCS ways (the best a user gets from
#     PyRadiomics on this machine without changing it);
#   - sonorad `extract --backend cpu`, all cores, and with one thread (RAYON_NUM_THREADS=1);
#   - sonorad `extract --backend gpu`, when GPU=1.
# Afterwards every sonorad value is compared with PyRadiomics' (1e-9 relative or 1e-12
# absolute), and the GPU output with the CPU output byte for byte.
#
# Usage (from the repository root; PyRadiomics venv from ../shared/reference/setup.sh):
#   bash benches/busi100_vs_pyradiomics.sh [WORKDIR]
# Environment: BUSI (default ../shared/data/busi), PYRADIOMICS_PYTHON (default
# /tmp/pyradiomics-venv/bin/python), SONORAD (a built binary; default: build
# target/release/sonorad), ROUNDS (3), PROCS (nproc), GPU (0), FILTERS (original).
set -euo pipefail

busi=$(cd "${BUSI:-../shared/data/busi}" && pwd)
python=${PYRADIOMICS_PYTHON:-/tmp/pyradiomics-venv/bin/python}
work=${1:-/tmp/sonorad-busi100}
rounds=${ROUNDS:-3}
procs=${PROCS:-$(nproc)}
filters=${FILTERS:-original}
gpu=${GPU:-0}
mkdir -p "$work"
if [[ -z "${SONORAD:-}" ]]; then
    cargo build --release --quiet
    SONORAD=target/release/sonorad
fi
sonorad=$(realpath "$SONORAD")

# The 100-case manifest (absolute paths) and its PROCS parts.
"$python" - "$busi" "$work" "$procs" <<'EOF'
import csv, sys
busi, work, procs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [r for r in csv.DictReader(open(f"{busi}/manifest.csv")) if r["mask_pixels"] != "0"]
rows = rows[::6][:100]
def write(path, part):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "image", "mask"])
        for r in part:
            w.writerow([r["case_id"], f"{busi}/{r['image']}", f"{busi}/{r['mask']}"])
write(f"{work}/cases.csv", rows)
for p in range(procs):
    write(f"{work}/part{p}.csv", rows[p::procs])
print(f"{len(rows)} cases, PyRadiomics in {procs} processes")
EOF

reference=../shared/reference/pyradiomics_extract.py
py_args=(--bin-width 25 --filters "$filters" --sigma 1,2,3)
so_args=(--bin-width 25 --filters "$filters" --log-sigma 1,2,3 --force --quiet)

pyradiomics_serial() {
    "$python" "$reference" --manifest "$work/cases.csv" "${py_args[@]}" --out "$work/pyradiomics.csv"
}
pyradiomics_parallel() {
    local p
    for ((p = 0; p < procs; p++)); do
        "$python" "$reference" --manifest "$work/part$p.csv" "${py_args[@]}" \
            --out "$work/pyradiomics_part$p.csv" &
    done
    wait
}
sonorad_cpu() {
    "$sonorad" extract --backend cpu --manifest "$work/cases.csv" "${so_args[@]}" --out "$work/cpu.csv"
}
sonorad_one_thread() {
    RAYON_NUM_THREADS=1 "$sonorad" extract --backend cpu --manifest "$work/cases.csv" \
        "${so_args[@]}" --out "$work/cpu1.csv"
}
sonorad_gpu() {
    "$sonorad" extract --backend gpu --manifest "$work/cases.csv" "${so_args[@]}" --out "$work/gpu.csv"
}
commands=(pyradiomics_serial pyradiomics_parallel sonorad_cpu sonorad_one_thread)
[[ "$gpu" == 1 ]] && commands+=(sonorad_gpu)

: > "$work/times.txt"
for ((r = 1; r <= rounds; r++)); do
    for c in "${commands[@]}"; do
        start=$EPOCHREALTIME
        "$c" > /dev/null
        end=$EPOCHREALTIME
        echo "$c $r $start $end" >> "$work/times.txt"
        awk -v r="$r" -v c="$c" -v s="$start" -v e="$end" 'BEGIN { printf "round %d: %s %.3f s\n", r, c, e - s }' >&2
    done
done

"$python" - "$work" <<'EOF'
import statistics, sys
work = sys.argv[1]
times = {}
for line in open(f"{work}/times.txt"):
    name, _, start, end = line.split()
    times.setdefault(name, []).append(float(end) - float(start))
base = statistics.median(times["pyradiomics_serial"])
print("| command | rounds (s) | median (s) | ratio |")
print("|---|---|---:|---:|")
for name, ts in times.items():
    m = statistics.median(ts)
    print(f"| {name} | {', '.join(f'{t:.3f}' for t in ts)} | {m:.3f} | {base / m:.1f}x |")
EOF
"$python" "$(dirname "$0")/compare_pyradiomics.py" "$work/cpu.csv" "tumor=$work/pyradiomics.csv"
if [[ "$gpu" == 1 ]]; then
    cmp "$work/cpu.csv" "$work/gpu.csv" && echo "GPU output = CPU output, byte for byte"
fi
cmp "$work/cpu.csv" "$work/cpu1.csv" && echo "one-thread output = all-core output, byte for byte"
