#!/usr/bin/env bash
# Every GPU measurement of the guide (docs/src/gpu-measurements.md) in one run, for a GPU host
# lent for a few minutes (the device tool's H200 host: 16 cores, no network, no Rust
# toolchain, maybe no Vulkan loader).
#
# Two steps:
#
#   bash benches/gpu_host.sh prepare
#       here, on the development machine: downloads the Vulkan loader's Debian packages into
#       .gl/, builds the release binary and copies it into .gpu/, and copies BUSI cases from
#       ../shared/data/busi into .gpu/busi/ (up to BUSI_MIB MiB, default 30, so that binary,
#       loader and cases travel within the device tool's 64 MiB) with their manifest. Both
#       folders are listed in .git/info/exclude.
#
#   bash benches/gpu_host.sh run OUT
#       on the GPU host, with `.gl` and `.gpu` carried: unpacks the loader, runs `sonorad info`,
#       then
#         1. `sonorad bench` (matrix stage and end to end; cpu, gpu and mixed taking turns in
#            each round) on generated 256² to 4096² batches and on the BUSI tumours, plain and
#            filtered (original + LoG 1,2,3 mm + wavelet, with each stage's thread time);
#         2. `sonorad extract` end to end on the BUSI cases with a 3 mm ring (0.1 mm spacing),
#            on 16 of them (a run shorter than the device's start, where `auto` must still
#            keep up with `cpu`) and on a generated 2048² cohort, with --backend cpu, gpu and
#            auto taking turns for
#            ROUNDS rounds (default 3), median wall times, and the outputs compared byte for
#            byte; then the same filtered (original + LoG + wavelet) on the BUSI cases and 16
#            cohort images, 2 rounds;
#         3. `sonorad map` (texture maps, #20) of a generated 1024² image, kernel radius 2, every
#            feature, --backend cpu and gpu taking turns, 2 rounds, and once without MCC
#            (the cost of its eigenproblem pass);
#       and writes OUT/gpu_host.md (the tables), OUT/raw.log (every command's output) and
#       OUT/info.txt (adapter, driver, commit). It uses cargo's build instead of the carried
#       binary when the host has cargo. SMALL=1 shrinks every workload, to try the script on
#       lavapipe.
#
# Device call (about 5 minutes on the H200 host):
#   run(command="bash benches/gpu_host.sh run $OUT", carry=[".gl", ".gpu"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
    grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >> .git/info/exclude
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
    rm -rf .gl .gpu
    mkdir -p .gl .gpu/busi /tmp/amd64/partial
    local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    # shellcheck disable=SC2086
    apt-get $o update -qq
    # shellcheck disable=SC2086
    (cd .gl && apt-get $o download -qq libvulkan1)
    cargo build --release --quiet
    cp target/release/sonorad .gpu/sonorad
    strip .gpu/sonorad
    git rev-parse --short HEAD > .gpu/commit
    python3 - "${BUSI:-../shared/data/busi}" .gpu/busi "${BUSI_MIB:-30}" <<'EOF'
import csv, os, shutil, sys
source, target, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
rows = [r for r in csv.DictReader(open(f"{source}/manifest.csv")) if r["mask_pixels"] != "0"]
# every 6th case first (the guide's 100-case benchmark set), then the rest, while they fit
order = rows[::6] + [r for k, r in enumerate(rows) if k % 6]
kept, used = [], 0
for r in order:
    size = sum(os.path.getsize(f"{source}/{r[c]}") for c in ("image", "mask"))
    if used + size > budget:
        continue
    used += size
    kept.append(r)
    for c in ("image", "mask"):
        os.makedirs(os.path.dirname(f"{target}/{r[c]}"), exist_ok=True)
        shutil.copyfile(f"{source}/{r[c]}", f"{target}/{r[c]}")
with open(f"{target}/manifest.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case_id", "image", "mask"])
    for r in kept:
        w.writerow([r["case_id"], r["image"], r["mask"]])
with open(f"{target}/tumours100.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case_id", "image", "mask"])
    for r in rows[::6][:100]:
        w.writerow([r["case_id"], r["image"], r["mask"]])
print(f"{len(kept)} of {len(rows)} BUSI cases copied ({used / 2**20:.1f} MiB)")
EOF
    du -sh .gl .gpu
}

# Median of the numbers on standard input.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One end-to-end row: `extract` on MANIFEST with cpu, gpu and auto taking turns for ROUNDS
# rounds; the median wall time of each, their ratios, and whether the three CSVs are equal.
# Uses $sonorad, $raw and $table of `run`.
e2e() {
    local workload=$1 manifest=$2 label=$3 rounds=$4
    shift 4
    local times=/tmp/sonorad-times-$workload
    : > "$times"
    local r b start end
    for ((r = 1; r <= rounds; r++)); do
        for b in cpu gpu auto; do
            start=$EPOCHREALTIME
            "$sonorad" extract --backend "$b" --quiet --force --manifest "$manifest" \
                "$@" --out "/tmp/sonorad-$workload-$b.csv" >> "$raw" 2>&1
            end=$EPOCHREALTIME
            echo "$b $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" >> "$times"
        done
    done
    cat "$times" >> "$raw"
    local cpu gpu auto cases same="differ"
    cpu=$(awk '$1 == "cpu" { print $2 }' "$times" | median)
    gpu=$(awk '$1 == "gpu" { print $2 }' "$times" | median)
    auto=$(awk '$1 == "auto" { print $2 }' "$times" | median)
    cases=$(($(wc -l < "$manifest") - 1))
    cmp -s "/tmp/sonorad-$workload-cpu.csv" "/tmp/sonorad-$workload-gpu.csv" &&
        cmp -s "/tmp/sonorad-$workload-cpu.csv" "/tmp/sonorad-$workload-auto.csv" &&
        same="byte-equal"
    awk -v w="$workload ($cases cases, $label)" -v c="$cpu" -v g="$gpu" -v a="$auto" -v s="$same" \
        'BEGIN { printf "| %s | %.3f s | %.3f s | %.3f s | %.2fx | %.2fx | %s |\n", w, c, g, a, c / g, c / a, s }' >> "$table"
}

# Texture maps (#20) of one generated image of SIZE² pixels, kernel radius 2, every first-order
# and texture feature, NIfTI output: --backend cpu (all cores) and --backend gpu (every map on
# the device, GLCM's MCC in a pass of its own) taking turns, ROUNDS rounds, median wall times;
# then one round with MCC left out (--features of the other 92 maps), which shows what MCC's
# eigenproblem costs each backend. Uses $sonorad, $raw and $table of `run`.
maps() {
    local size=$1 rounds=$2 dir=/tmp/sonorad-map-cohort
    "$sonorad" generate --cases 1 --size "$size" --seed 5 --out "$dir" >> "$raw" 2>&1
    local image mask
    image=$(ls "$dir"/images/* | head -n 1)
    mask=$(ls "$dir"/masks/* | head -n 1)
    local r b start end times=/tmp/sonorad-map-times
    : > "$times"
    for ((r = 1; r <= rounds; r++)); do
        for b in cpu gpu; do
            rm -rf "$dir/maps-$b"
            start=$EPOCHREALTIME
            "$sonorad" map --image "$image" --mask "$mask" --kernel-radius 2 --formats nifti \
                --backend "$b" --out "$dir/maps-$b" >> "$raw" 2>&1
            end=$EPOCHREALTIME
            echo "$b $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" >> "$times"
        done
    done
    # the other 92 features, named as the files of the last run name them
    local no_mcc
    no_mcc=$(ls "$dir/maps-gpu" | sed -n 's/^tumor_original_\(.*\)\.nii\.gz$/\1/p' |
        grep -v '^glcm_MCC$' | paste -sd, || true)
    if [[ -n "$no_mcc" ]]; then
        for b in cpu gpu; do
            rm -rf "$dir/maps-$b"
            start=$EPOCHREALTIME
            "$sonorad" map --image "$image" --mask "$mask" --kernel-radius 2 --formats nifti \
                --backend "$b" --features "$no_mcc" --out "$dir/maps-$b" >> "$raw" 2>&1
            end=$EPOCHREALTIME
            echo "$b-no-mcc $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" >> "$times"
        done
    fi
    cat "$times" >> "$raw"
    local cpu gpu cpu_rest gpu_rest
    cpu=$(awk '$1 == "cpu" { print $2 }' "$times" | median)
    gpu=$(awk '$1 == "gpu" { print $2 }' "$times" | median)
    cpu_rest=$(awk '$1 == "cpu-no-mcc" { print $2 }' "$times")
    gpu_rest=$(awk '$1 == "gpu-no-mcc" { print $2 }' "$times")
    {
        echo
        echo "## texture maps, ${size}² generated image, kernel radius 2 (whole process, $(nproc) cores; $("$sonorad" info | grep '^texture maps' || echo 'no device maps'))"
        echo
        echo "| features | cpu | gpu | gpu vs cpu |"
        echo "|---|---:|---:|---:|"
        awk -v c="$cpu" -v g="$gpu" -v n="$rounds" \
            'BEGIN { printf "| all 93 (median of %d rounds) | %.2f s | %.2f s | %.2fx |\n", n, c, g, c / g }'
        [[ -n "$cpu_rest" && -n "$gpu_rest" ]] && awk -v c="$cpu_rest" -v g="$gpu_rest" \
            'BEGIN { printf "| 92, without MCC (one round) | %.2f s | %.2f s | %.2fx |\n", c, g, c / g }'
        echo
        echo "maps written: $(ls "$dir"/maps-gpu/*.nii.gz 2>/dev/null | wc -l)"
    } >> "$table"
}

run() {
    local out=$1
    mkdir -p "$out"
    local raw="$out/raw.log" table="$out/gpu_host.md" info="$out/info.txt"
    : > "$raw"
    if compgen -G ".gl/*.deb" > /dev/null && ! ldconfig -p | grep -q libvulkan.so.1; then
        for f in .gl/*.deb; do dpkg -x "$f" /; done
        ldconfig
    fi
    if [[ -z "${VK_DRIVER_FILES:-}" && -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]] &&
        ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* > /dev/null 2>&1; then
        export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    fi
    local sonorad=.gpu/sonorad commit
    commit=$(cat .gpu/commit 2>/dev/null || git rev-parse --short HEAD)
    if command -v cargo > /dev/null; then
        cargo build --release --quiet && sonorad=target/release/sonorad
        commit=$(git rev-parse --short HEAD 2>/dev/null || echo "$commit")
    fi
    local busi=.gpu/busi
    [[ -f "$busi/manifest.csv" ]] || busi=${BUSI:-../shared/data/busi}
    local small=${SMALL:-0} rounds=${ROUNDS:-3}
    {
        echo "commit: $commit"
        echo "date: $(date -u +%FT%TZ)"
        echo "cores: $(nproc)"
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
        "$sonorad" info
    } > "$info" 2>&1
    cat "$info"

    {
        echo "# GPU host measurements"
        echo
        echo '```'
        cat "$info"
        echo '```'
        echo
        echo "## sonorad bench (matrix stage and end to end; cpu, gpu and mixed take turns each round)"
        echo
    } > "$table"
    local sizes=("256 1024" "512 512" "1024 128" "2048 64" "4096 16")
    [[ "$small" == 1 ]] && sizes=("256 16" "512 4")
    local s
    for s in "${sizes[@]}"; do
        read -r size n <<< "$s"
        echo "== bench --synthetic $n --size $size" >> "$raw"
        "$sonorad" bench --synthetic "$n" --size "$size" --repeats 3 > "$out/bench.md" 2>> "$raw" || true
        cat "$out/bench.md" >> "$raw"
        { echo "### $size² × $n"; echo; cat "$out/bench.md"; echo; } >> "$table"
    done
    local tumours="$busi/tumours100.csv"
    [[ -f "$tumours" ]] || tumours="$busi/manifest.csv"
    echo "== bench --manifest BUSI tumours" >> "$raw"
    "$sonorad" bench --manifest "$tumours" --repeats 3 > "$out/bench.md" 2>> "$raw" || true
    cat "$out/bench.md" >> "$raw"
    { echo "### BUSI tumours, bin width 25"; echo; cat "$out/bench.md"; echo; } >> "$table"
    echo "== bench --manifest BUSI tumours, filtered" >> "$raw"
    "$sonorad" bench --manifest "$tumours" --repeats 2 --spacing 0.1 \
        --filters original,log,wavelet --log-sigma 1,2,3 > "$out/bench.md" 2>> "$raw" || true
    cat "$out/bench.md" >> "$raw"
    {
        echo "### BUSI tumours, original + LoG 1,2,3 mm + wavelet (filters on the device for gpu and mixed)"
        echo
        cat "$out/bench.md"
        echo
    } >> "$table"
    rm -f "$out/bench.md"

    local cohort=/tmp/sonorad-cohort2048 cohort_cases=32 cohort_size=2048 map_size=1024
    [[ "$small" == 1 ]] && cohort_cases=4 cohort_size=256 map_size=128
    "$sonorad" generate --cases "$cohort_cases" --size "$cohort_size" --out "$cohort" >> "$raw" 2>&1
    head -n 17 "$cohort/manifest.csv" > "$cohort/manifest16.csv"
    {
        echo "## extract end to end (whole process, backends taking turns, $rounds rounds, median wall time)"
        echo
        echo "| workload | cpu | gpu | auto | gpu vs cpu | auto vs cpu | outputs |"
        echo "|---|---:|---:|---:|---:|---:|---|"
    } >> "$table"
    local filters=(--filters original,log,wavelet --log-sigma 1,2,3)
    e2e busi "$busi/manifest.csv" "tumour + 3 mm ring" "$rounds" --ring 3mm --spacing 0.1
    # a run shorter than the device's start, where auto must not lose to cpu either
    head -n 17 "$busi/manifest.csv" > "$busi/manifest16.csv"
    e2e busi-short "$busi/manifest16.csv" "tumour + 3 mm ring" "$rounds" --ring 3mm --spacing 0.1
    e2e cohort "$cohort/manifest.csv" "tumour + 3 mm ring" "$rounds" --ring 3mm --spacing 0.1
    e2e busi-filtered "$busi/manifest.csv" "tumour, original + LoG 1,2,3 mm + wavelet" 2 \
        --spacing 0.1 "${filters[@]}"
    e2e cohort-filtered "$cohort/manifest16.csv" "tumour, original + LoG 1,2,3 mm + wavelet" 2 \
        --spacing 0.1 "${filters[@]}"
    maps "$map_size" 2
    echo "== trace of one gpu run on the BUSI cases" >> "$raw"
    "$sonorad" extract --backend gpu --trace --quiet --force --manifest "$busi/manifest.csv" \
        --ring 3mm --spacing 0.1 --out /tmp/sonorad-trace.csv >> "$raw" 2>&1 || true
    cat "$table"
}

case "${1:-}" in
    prepare) prepare ;;
    run) run "${2:?usage: gpu_host.sh run OUT}" ;;
    *)
        echo "usage: bash benches/gpu_host.sh prepare | run OUT" >&2
        exit 2
        ;;
esac
