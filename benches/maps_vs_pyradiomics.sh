#!/usr/bin/env bash
# Texture maps: whole-process speed of `sonorad map` against PyRadiomics 3.0.1's voxel-based
# extraction on a 128x128 crop of BUSI benign (2) centred on its tumour, kernel radius 2, bin
# width 25, first-order + GLCM + GLRLM (58 maps). The commands take turns for ROUNDS rounds;
# the table gives each one's median wall time and its ratio to PyRadiomics:
#   - PyRadiomics (benches/maps_vs_pyradiomics.py: one-slice 3D with force2D, maps written as
#     NIfTI);
#   - sonorad `map --formats nifti` (the same output), all cores and one thread;
#   - sonorad `map` with every output (NIfTI, TIFF, PNG heatmaps, page).
# Afterwards every map value is compared (sonorad's float32 NIfTI against PyRadiomics' maps).
#
# Usage (from the repository root; PyRadiomics venv from ../shared/reference/setup.sh):
#   bash benches/maps_vs_pyradiomics.sh [WORKDIR]
# Environment: BUSI (default ../shared/data/busi), PYRADIOMICS_PYTHON (default
# /tmp/pyradiomics-venv/bin/python), SONORAD (a built binary), ROUNDS (3).
set -euo pipefail

busi=$(cd "${BUSI:-../shared/data/busi}" && pwd)
python=${PYRADIOMICS_PYTHON:-/tmp/pyradiomics-venv/bin/python}
work=${1:-/tmp/sonorad-maps-bench}
rounds=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
if [[ -z "${SONORAD:-}" ]]; then
    cargo build --release --quiet
    SONORAD=target/release/sonorad
fi
sonorad=$(realpath "$SONORAD")

"$python" - "$busi" "$work" <<'PY'
import sys
import numpy as np
import SimpleITK as sitk
busi, work = sys.argv[1], sys.argv[2]
image = sitk.GetArrayFromImage(sitk.ReadImage(f"{busi}/benign/benign (2).png"))
mask = sitk.GetArrayFromImage(sitk.ReadImage(f"{busi}/benign/benign (2)_mask.png"))
if image.ndim == 3:
    image = image[..., 0]
ys, xs = np.where(mask > 0)
cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
window = (slice(cy - 64, cy + 64), slice(cx - 64, cx + 64))
sitk.WriteImage(sitk.GetImageFromArray(image[window].astype(np.uint8)), f"{work}/crop.png")
sitk.WriteImage(sitk.GetImageFromArray((mask[window] > 0).astype(np.uint8) * 255), f"{work}/crop_mask.png")
print(f"crop 128x128, {(mask[window] > 0).sum()} region pixels")
PY

classes=firstorder,glcm,glrlm
run() {
    local name=$1
    shift
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>> "$work/stderr.log"
    end=$(date +%s.%N)
    echo "$name $(echo "$end - $start" | bc)" >> "$work/times.txt"
}
rm -f "$work/times.txt"
for ((r = 1; r <= rounds; r++)); do
    run pyradiomics "$python" "$here/maps_vs_pyradiomics.py" "$work/crop.png" "$work/crop_mask.png" 2 "$classes"
    run nifti "$sonorad" map --image "$work/crop.png" --mask "$work/crop_mask.png" --kernel-radius 2 \
        --features "$classes" --formats nifti --backend cpu --out "$work/nifti"
    run one-thread env RAYON_NUM_THREADS=1 "$sonorad" map --image "$work/crop.png" \
        --mask "$work/crop_mask.png" --kernel-radius 2 --features "$classes" --formats nifti \
        --backend cpu --out "$work/nifti1"
    run all "$sonorad" map --image "$work/crop.png" --mask "$work/crop_mask.png" --kernel-radius 2 \
        --features "$classes" --backend cpu --out "$work/all"
done

"$python" - "$work" <<'PY'
import glob, os, statistics, sys
import numpy as np
import SimpleITK as sitk
work = sys.argv[1]
times = {}
for line in open(f"{work}/times.txt"):
    name, t = line.split()
    times.setdefault(name, []).append(float(t))
median = {k: statistics.median(v) for k, v in times.items()}
base = median["pyradiomics"]
labels = {
    "pyradiomics": "PyRadiomics 3.0.1 voxel-based (NIfTI maps)",
    "nifti": "sonorad `map --formats nifti`, all cores",
    "one-thread": "sonorad `map --formats nifti`, one thread",
    "all": "sonorad `map` (NIfTI, TIFF, PNG heatmaps, page), all cores",
}
print(f"| command | median wall time ({len(times['pyradiomics'])} rounds) | ratio |")
print("|---|---:|---:|")
for k in ["pyradiomics", "nifti", "one-thread", "all"]:
    print(f"| {labels[k]} | {median[k]:.3f} s | {base / median[k]:.1f}x |")
worst, count = 0.0, 0
for path in glob.glob("/tmp/pyradiomics-map-*.nii.gz"):
    feature = os.path.basename(path)[len("pyradiomics-map-"):-len(".nii.gz")]
    ref = sitk.GetArrayFromImage(sitk.ReadImage(path))[0].astype(np.float64)
    ours = sitk.GetArrayFromImage(sitk.ReadImage(f"{work}/nifti/tumor_{feature}.nii.gz")).astype(np.float64)
    # PyRadiomics' map covers the padded box; sonorad's the image: place it
    ref_img = sitk.ReadImage(path)
    ox, oy, _ = [int(round(v)) for v in ref_img.GetOrigin()]
    sub = ours[oy:oy + ref.shape[0], ox:ox + ref.shape[1]]
    rel = np.abs(sub - ref) / np.maximum(np.abs(ref), 1e-3)
    worst = max(worst, float(np.nanmax(rel)))
    count += ref.size
print(f"\n{count} map values compared; largest relative difference {worst:.2e} (sonorad stores float32)")
PY
