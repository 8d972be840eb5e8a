//! The guide's Slurm example (docs/src/archives-slurm.md), run for real: `tests/slurm/run.sh`
//! starts a single-node Slurm cluster (munge, slurmctld, one slurmd, no cgroup plugins), submits
//! `examples/slurm/submit.sh` (a 4-task job array over the BUSI sample and its `afterok`
//! merge), and compares the merged table with a single run byte for byte; the same merge with
//! one shard's output removed fails, naming the shard. Then, over a generated cohort of 128
//! cases, it cancels an array task that has written part of its shard, sees the merge left
//! pending on a dependency never satisfied (and cancels it), submits the same command again,
//! and checks that the finished shards are skipped, the killed one resumes after its kept rows,
//! and the merge holds every case exactly once, equal to a single run. The guide shows
//! those two scripts verbatim (checked here). Without Slurm installed the test prints a loud
//! SKIPPED line (a failure under `SONORAD_REQUIRE_SLURM=1`, set by `.ci/run`, which installs
//! it); when the sandbox cannot start the daemons, it says so loudly with the daemons' logs.

#[path = "common/skip.rs"]
mod skip;

#[path = "common/script.rs"]
mod script;
use script::run_script;

#[test]
fn the_guide_shows_the_slurm_scripts_that_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = std::fs::read_to_string(format!("{root}/docs/src/archives-slurm.md")).unwrap();
    for script in ["extract_array.sh", "submit.sh"] {
        let text = std::fs::read_to_string(format!("{root}/examples/slurm/{script}")).unwrap();
        assert!(
            page.contains(&text),
            "docs/src/archives-slurm.md lacks examples/slurm/{script} verbatim"
        );
    }
}

#[test]
fn slurm_job_array_and_merge_equal_a_single_run() {
    let (code, log) = run_script("tests/slurm/run.sh");
    match code {
        Some(77) if std::env::var("SONORAD_REQUIRE_SLURM").is_ok_and(|v| v == "1") => {
            panic!("SONORAD_REQUIRE_SLURM=1 but Slurm is not installed:\n{log}")
        }
        Some(77) => skip::announce(&format!("the Slurm test needs slurm-wlm and munge:\n{log}")),
        Some(78) => skip::announce(&format!(
            "the Slurm test could not start a cluster in this sandbox:\n{log}"
        )),
        _ => {
            assert!(code == Some(0), "tests/slurm/run.sh failed:\n{log}");
            for line in [
                "the merged table of 4 shards equals a single run byte for byte",
                "a shard missing: merge exits 1 naming it (shard 3/4 is missing",
                "the merge did not run (DependencyNeverSatisfied) and was cancelled",
                "after a killed task and the job resubmitted, the merge holds each of the 128 cases exactly once and equals a single uninterrupted run byte for byte",
            ] {
                assert!(log.contains(line), "{line:?} not in the log:\n{log}");
            }
        }
    }
}
