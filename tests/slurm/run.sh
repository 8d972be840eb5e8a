#!/usr/bin/env bash
# Runs the README's Slurm example (examples/slurm/submit.sh and extract_array.sh) for real on a
# single-node Slurm cluster started here: munge, slurmctld and one slurmd, no cgroup plugins
# (proctrack/linuxproc, task/none), no accounting. 4 shards over the BUSI sample with the
# `sonorad` binary SONORAD_BIN; the merged table must equal a single run's byte for byte.
# Exit status: 0 passed; 77 Slurm or munge is not installed; 78 the daemons cannot start in
# this sandbox (the reason is printed); anything else, a failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SONORAD_BIN:?set SONORAD_BIN}
for tool in munged slurmctld slurmd sbatch sinfo scontrol; do
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
stop() {
    [[ -f $work/slurmd.pid ]] && kill "$(cat "$work/slurmd.pid")" 2> /dev/null
    [[ -f $work/slurmctld.pid ]] && kill "$(cat "$work/slurmctld.pid")" 2> /dev/null
    sleep 1
}
trap stop EXIT
cannot_start() {
    echo "cannot start the Slurm cluster: $1"
    for log in "$work"/*.log; do echo "--- $log"; tail -n 20 "$log"; done
    exit 78
}
# munge: a key, and the daemon as its own user (it refuses to run as root)
if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    [[ -f /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 400 /etc/munge/munge.key
    su -s /bin/sh munge -c munged || cannot_start "munged did not start"
    sleep 1
    munge -n | unmunge > /dev/null || cannot_start "munge does not answer"
fi
slurmctld -f "$SLURM_CONF" || cannot_start "slurmctld did not start"
slurmd -f "$SLURM_CONF" || cannot_start "slurmd did not start"
for _ in $(seq 60); do
    sinfo -h -o %T 2> /dev/null | grep -qx idle && break
    sleep 1
done
sinfo -h -o %T | grep -qx idle || cannot_start "the node never became idle ($(sinfo -h -o %T 2>&1))"

# the README's example, scaled: 4 shards over the BUSI sample, one core each
cd "$work"
manifest=$root/tests/fixtures/busi/manifest.csv
export PATH=$(dirname "$bin"):$PATH
merge=$(MANIFEST=$manifest SHARDS=4 CPUS=1 bash "$root/examples/slurm/submit.sh") || exit 1
echo "merge job $merge"
for _ in $(seq 300); do
    state=$(scontrol show job "$merge" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    [[ $state == COMPLETED || $state == FAILED || $state == CANCELLED || $state == TIMEOUT ]] && break
    [[ $state == PENDING ]] && scontrol show job "$merge" | grep -q 'Reason=DependencyNeverSatisfied' && break
    sleep 1
done
echo "merge job state: $state"
scontrol show job | grep -E 'JobId|JobState' | paste - - || true
[[ $state == COMPLETED ]] || { cat slurm-*.out 2> /dev/null; exit 1; }
"$bin" extract --manifest "$manifest" --ring 3mm --spacing 0.1 --out single.csv --quiet
cmp features.csv single.csv || exit 1
echo "the merged table of 4 shards equals a single run byte for byte ($(($(wc -l < single.csv) - 1)) cases)"
