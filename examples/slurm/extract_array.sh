#!/bin/bash
#SBATCH --job-name=sonorad
#SBATCH --time=04:00:00
# One array task: shard SLURM_ARRAY_TASK_ID of SHARDS of the manifest MANIFEST.
# Exit status 2 means some cases failed: they are in the shard's errors file, which the merge
# reads, so the task succeeds (a resubmission would only fail them again).
set -euo pipefail
sonorad extract --manifest "$MANIFEST" --ring 3mm --spacing 0.1 \
    --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" \
    --out "shards/part_${SLURM_ARRAY_TASK_ID}.csv" --resume --quiet || [ $? -eq 2 ]
