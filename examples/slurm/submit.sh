#!/bin/bash
# Submits the job array (SHARDS tasks over MANIFEST, CPUS cores each) and the merge that runs
# once every task has succeeded; prints the merge job's id.
set -euo pipefail
: "${MANIFEST:?set MANIFEST}" "${SHARDS:=50}" "${CPUS:=16}"
mkdir -p shards
array=$(sbatch --parsable --array="1-$SHARDS" --cpus-per-task="$CPUS" \
    --export=ALL,MANIFEST="$MANIFEST",SHARDS="$SHARDS" "$(dirname "$0")/extract_array.sh")
sbatch --parsable --dependency="afterok:$array" --wrap \
    "sonorad merge --manifest $MANIFEST --out features.csv shards/part_*.csv"
