#!/usr/bin/env bash
# Runs the README's Slurm example (examples/slurm/submit.sh and extract_array.sh) for real on a
# single-node Slurm cluster started here: munge, slurmctld and one slurmd, no cgroup plugins
# (proctrack/linuxproc, task/none), no accounting, with the `sonorad` binary SONORAD_BIN.
# 1. 4 shards over the BUSI sample: the merged table equals a single run's byte for byte; the
#    same merge with one shard's output removed fails as a Slurm job, naming the shard.
# 2. A killed array task, then the job resubmitted as the README says: 4 shards over a
#    generated cohort of 128 1024² cases; task 2 is cancelled (scancel) once it has written part
#    of its shard; the afterok merge then never runs (its dependency can never be satisfied)
#    and is cancelled; the same submit command is run again from the same folder: the finished
#    shards skip all their cases (their files unchanged), task 2 resumes after its kept rows,
#    and the new merge holds every case exactly once and equals a single uninterrupted run.
# Exit status: 0 passed; 77 Slurm or munge is not installed; 78 the daemons cannot start in
# this sandbox (the reason is printed); anything else, a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SONORAD_BIN:?set SONORAD_BIN}
for tool in munged slurmctld slurmd sbatch sinfo scontrol scancel; do
    command -v "$tool" > /dev/null || { echo "$tool is not installed"; exit 77; }
done
work=$(mktemp -d /tmp/sonorad-slurm.XXXXXX)
node=$(hostname -s)
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=sonorad
SlurmctldHost=$node(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ReturnToService=2
MinJobAge=600
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$work/state" "$work/spool"
# On exit: the daemons stopped; the work folder removed after a pass, kept (less the generated
# images) after a failure.
stop() {
    local status=$?
    if [[ -f $work/slurmd.pid ]]; then kill "$(cat "$work/slurmd.pid")" 2> /dev/null || true; fi
    if [[ -f $work/slurmctld.pid ]]; then kill "$(cat "$work/slurmctld.pid")" 2> /dev/null || true; fi
    sleep 1
    if [[ $status == 0 ]]; then
        rm -rf "$work"
    else
        rm -rf "$work/kill/cohort"
        echo "the run's files are kept in $work"
    fi
}
trap stop EXIT
cannot_start() {
    echo "cannot start the Slurm cluster: $1"
    for log in "$work"/*.log; do echo "--- $log"; tail -n 20 "$log"; done
    exit 78
}
fail() {
    echo "FAILED: $1"
    scontrol show job 2> /dev/null | grep -E 'JobId|JobState' | paste - - || true
    for out in slurm-*.out; do [[ -f $out ]] && { echo "--- $out"; cat "$out"; }; done
    exit 1
}
# A job's (or an array task's, `<job>_<task>`) state and pending reason; empty when unknown.
state_of() { { scontrol show job "$1" 2> /dev/null || true; } | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2 || true; }
reason_of() { { scontrol show job "$1" 2> /dev/null || true; } | grep -o 'Reason=[A-Za-z_]*' | head -n 1 | cut -d= -f2 || true; }
# Waits up to $3 seconds for job $1 to reach a state matching the pattern $2.
wait_for() {
    local _
    for _ in $(seq $(($3 * 5))); do
        [[ $(state_of "$1") =~ ^($2)$ ]] && return 0
        sleep 0.2
    done
    return 1
}
# munge: a key, and the daemon as its own user (it refuses to run as root)
if ! { munge -n 2> /dev/null | unmunge > /dev/null 2>&1; }; then
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    [[ -f /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 400 /etc/munge/munge.key
    su -s /bin/sh munge -c munged || cannot_start "munged did not start"
    sleep 1
    { munge -n | unmunge > /dev/null; } || cannot_start "munge does not answer"
fi
slurmctld -f "$SLURM_CONF" || cannot_start "slurmctld did not start"
slurmd -f "$SLURM_CONF" || cannot_start "slurmd did not start"
idle() { sinfo -h -o %T 2> /dev/null | grep -qx idle; }
for _ in $(seq 60); do
    idle && break
    sleep 1
done
idle || cannot_start "the node never became idle ($(sinfo -h -o %T 2>&1 || true))"
export PATH=$(dirname "$bin"):$PATH
ended='COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL'

# 1. The README's example, scaled: 4 shards over the BUSI sample, one core each
cd "$work"
# The sample's manifest with a case whose image does not exist (the 7th: shard 3/4): its task
# exits 2, which the array script takes as success, so the merge runs; it writes the table,
# lists the failed case and exits 2, as extract does (the job shows FAILED, ExitCode 2).
manifest=$work/busi_manifest.csv
sed "1! s|,\([a-z]*/\)|,$root/tests/fixtures/busi/\1|g" "$root/tests/fixtures/busi/manifest.csv" > "$manifest"
echo "broken,$work/no_such_image.png,$root/tests/fixtures/busi/benign/benign (1)_mask.png,0" >> "$manifest"
merge=$(MANIFEST=$manifest SHARDS=4 CPUS=1 bash "$root/examples/slurm/submit.sh")
echo "merge job $merge"
wait_for "$merge" "$ended" 300 || fail "the merge job did not end ($(state_of "$merge"), $(reason_of "$merge"))"
[[ $(state_of "$merge") == FAILED ]] || fail "merge job state: $(state_of "$merge")"
scontrol show job "$merge" | grep -q 'ExitCode=2:0' || fail "the merge exited otherwise than 2"
grep -q "1 case(s) failed in their shard (see the shards' errors files): broken" "slurm-$merge.out" \
    || fail "the merge does not list the failed case: $(cat "slurm-$merge.out")"
"$bin" extract --manifest "$manifest" --ring 3mm --spacing 0.1 --out single.csv --quiet || [[ $? == 2 ]]
cmp features.csv single.csv || fail "the merged table differs from a single run"
echo "the merged table of 4 shards equals a single run byte for byte ($(($(wc -l < single.csv) - 1)) cases, the failed one listed)"

# A shard missing: the merge job's own command, over the shards less part_3.csv, fails and
# names shard 3/4.
mkdir missing
cp -r shards missing/
rm missing/shards/part_3.csv
cd missing
refused=$(sbatch --parsable --wrap \
    "sonorad merge --manifest $manifest --out features.csv shards/part_*.csv")
wait_for "$refused" "$ended" 60 || fail "the merge without shard 3 did not end"
[[ $(state_of "$refused") == FAILED ]] || fail "the merge without shard 3 ended $(state_of "$refused")"
scontrol show job "$refused" | grep -q 'ExitCode=1:0' || fail "the merge without shard 3 exited otherwise than 1"
grep -q 'shard 3/4 is missing: no output given for it' "slurm-$refused.out" \
    || fail "the merge without shard 3 does not name it: $(cat "slurm-$refused.out")"
[[ ! -e features.csv ]] || fail "the merge without shard 3 wrote a table"
echo "a shard missing: merge exits 1 naming it ($(grep -o 'shard 3/4 is missing[^;]*' "slurm-$refused.out"))"

# 2. An array task killed mid-run, then the job resubmitted. One thread per task (chunks of 8
# cases, about 8 cases a second) makes a shard of 32 1024² cases last several seconds on any
# machine, so that the kill lands after the first chunk and before the last.
mkdir "$work/kill"
cd "$work/kill"
"$bin" generate --cases 128 --size 1024 --out cohort 2> /dev/null
cohort=$work/kill/cohort/manifest.csv
per_shard=32
export RAYON_NUM_THREADS=1
merge=$(MANIFEST=$cohort SHARDS=4 CPUS=1 bash "$root/examples/slurm/submit.sh")
array=$(scontrol show job "$merge" | grep -o 'afterok:[0-9]*' | cut -d: -f2)
[[ -n $array ]] || fail "no array job in the merge's dependency"
echo "array job $array, merge job $merge"
killed=
for _ in $(seq 1200); do
    if [[ $(state_of "${array}_2") == RUNNING && -f shards/part_2.csv ]] \
        && (($(wc -l < shards/part_2.csv) > 8)); then
        scancel "${array}_2"
        killed=1
        break
    fi
    sleep 0.1
done
[[ -n $killed ]] || fail "task ${array}_2 never ran or never wrote a chunk"
wait_for "${array}_2" "$ended" 60 || fail "task ${array}_2 did not end after scancel"
[[ $(state_of "${array}_2") == CANCELLED ]] || fail "task ${array}_2 ended $(state_of "${array}_2"), not CANCELLED"
kept=$(($(wc -l < shards/part_2.csv) - 1))
((kept >= 8 && kept < per_shard)) || fail "the kill did not land mid-run: $kept of $per_shard rows written"
head -n $((kept + 1)) shards/part_2.csv > kept_2.csv
echo "task ${array}_2 cancelled with $kept of its $per_shard cases written"
for task in 1 3 4; do
    wait_for "${array}_$task" "$ended" 120 || fail "task ${array}_$task did not end"
    [[ $(state_of "${array}_$task") == COMPLETED ]] || fail "task ${array}_$task ended $(state_of "${array}_$task")"
    cp "shards/part_$task.csv" "finished_$task.csv"
done
for _ in $(seq 50); do
    [[ $(reason_of "$merge") == DependencyNeverSatisfied ]] && break
    sleep 0.2
done
[[ $(state_of "$merge") == PENDING && $(reason_of "$merge") == DependencyNeverSatisfied ]] \
    || fail "the merge after a killed task is $(state_of "$merge") ($(reason_of "$merge")), not pending on a dependency never satisfied"
scancel "$merge"
wait_for "$merge" CANCELLED 30 || fail "the merge job was not cancelled"
[[ ! -e features.csv ]] || fail "a merge ran although a task was killed"
echo "the merge did not run (DependencyNeverSatisfied) and was cancelled; the job is resubmitted"

merge=$(MANIFEST=$cohort SHARDS=4 CPUS=1 bash "$root/examples/slurm/submit.sh")
array=$(scontrol show job "$merge" | grep -o 'afterok:[0-9]*' | cut -d: -f2)
echo "array job $array, merge job $merge"
wait_for "$merge" "$ended" 300 || fail "the resubmitted merge did not end ($(state_of "$merge"), $(reason_of "$merge"))"
[[ $(state_of "$merge") == COMPLETED ]] || fail "resubmitted merge job state: $(state_of "$merge")"
for task in 1 3 4; do
    grep -q "0 of $per_shard cases extracted, 0 failed, $per_shard skipped" "slurm-${array}_$task.out" \
        || fail "resubmitted task $task recomputed cases: $(cat "slurm-${array}_$task.out")"
    cmp "shards/part_$task.csv" "finished_$task.csv" || fail "resubmitted task $task changed its finished shard"
done
grep -q "$((per_shard - kept)) of $per_shard cases extracted, 0 failed, $kept skipped" "slurm-${array}_2.out" \
    || fail "resubmitted task 2 did not resume after its $kept kept cases: $(cat "slurm-${array}_2.out")"
head -n $((kept + 1)) shards/part_2.csv | cmp - kept_2.csv || fail "resubmitted task 2 changed its kept rows"
ids() { tail -n +2 "$1" | cut -d, -f1 | sort; }
[[ -z $(ids features.csv | uniq -d) ]] || fail "cases twice in the merge: $(ids features.csv | uniq -d | head)"
[[ $(ids features.csv) == "$(ids "$cohort")" ]] || fail "the merge does not hold every manifest case"
unset RAYON_NUM_THREADS
"$bin" extract --manifest "$cohort" --ring 3mm --spacing 0.1 --out single.csv --quiet 2> /dev/null
cmp features.csv single.csv || fail "the merge after the resubmission differs from a single run"
echo "after a killed task and the job resubmitted, the merge holds each of the $(($(wc -l < single.csv) - 1)) cases exactly once and equals a single uninterrupted run byte for byte (task 2 resumed after $kept kept cases; tasks 1, 3 and 4 skipped all theirs)"
echo "the Slurm run took ${SECONDS} s"
