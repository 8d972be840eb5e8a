"""sonorad.dask at archive scale, on LocalClusters of two worker processes: a worker killed
mid-run, a client killed mid-run and its run resumed by another, partitions left half written,
and folders of another run refused.

The manifest is the bundled BUSI sample repeated into a few hundred cases, two of which fail (a
missing mask), extracted with the default settings to keep the runs short on two cores.
"""
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import dask.dataframe
import pandas
import pytest
from dask import distributed

import sonorad
import sonorad.dask

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUSI = os.path.join(ROOT, "tests", "fixtures", "busi")
REPEATS = 60  # 360 cases
PARTITION_SIZE = 20  # 18 partitions
FAILING = [37, 250]  # rows whose mask is missing
SECONDS = 120  # the longest wait for a run's progress


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """The BUSI sample repeated REPEATS times under new ids, with absolute paths, as a CSV."""
    busi = pandas.read_csv(os.path.join(BUSI, "manifest.csv"), dtype=str)
    for column in ("image", "mask"):
        busi[column] = [os.path.join(BUSI, path) for path in busi[column]]
    table = pandas.concat([busi.assign(case_id=busi["case_id"] + "_%02d" % k) for k in range(REPEATS)],
                          ignore_index=True)
    folder = tmp_path_factory.mktemp("manifest")
    table.loc[FAILING, "mask"] = str(folder / "missing_mask.png")
    path = folder / "manifest.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def failing_ids(manifest):
    return list(pandas.read_csv(manifest, dtype=str)["case_id"].iloc[FAILING])


@pytest.fixture(scope="module")
def one_process(manifest):
    """The manifest's table from one process (Extractor.extract_manifest)."""
    return sonorad.Extractor(backend="cpu").extract_manifest(manifest, progress=False)


@pytest.fixture(scope="module")
def one_process_parquet(manifest, tmp_path_factory):
    """The manifest's Parquet table from one process (`sonorad extract --out x.parquet`)."""
    out = tmp_path_factory.mktemp("one_process") / "features.parquet"
    command = [os.environ["SONORAD_BIN"], "extract", "--backend", "cpu", "--manifest", str(manifest),
               "--out", str(out), "--quiet"]
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr  # 2: some cases failed, the others are written
    return pandas.read_parquet(out)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster


def done_partitions(out):
    """The partitions of a dataset folder whose errors file (written last) is in place."""
    errors = os.path.join(out, "errors")
    return sorted(os.listdir(errors)) if os.path.isdir(errors) else []


def wait_until(condition, what):
    deadline = time.monotonic() + SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("waited %d s for %s" % (SECONDS, what))
        time.sleep(0.02)


def kill_a_busy_worker(client):
    """Kills (SIGKILL) a worker process while it extracts a partition; its partition is lost."""
    busy = []

    def found():
        busy[:] = [worker for worker, keys in client.processing().items() if keys]
        return busy

    wait_until(found, "a busy worker")
    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    os.kill(pid, signal.SIGKILL)


def finished_tasks(client):
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        task.state == "memory" for task in dask_scheduler.tasks.values()))


def test_a_worker_killed_mid_run_costs_one_partition_and_no_case(manifest, one_process, cluster):
    """Dask runs the killed worker's partition again: every case comes back once, the table
    equals one process's."""
    with distributed.Client(cluster) as client, ThreadPoolExecutor(1) as pool:
        run = pool.submit(sonorad.dask.extract_manifest, manifest, client, partition_size=PARTITION_SIZE,
                          backend="cpu")
        wait_until(lambda: finished_tasks(client) >= 2, "two partitions")
        kill_a_busy_worker(client)
        spread = run.result(timeout=SECONDS)
    pandas.testing.assert_frame_equal(spread, one_process)
    pandas.testing.assert_frame_equal(spread.attrs["errors"], one_process.attrs["errors"])
    assert len(spread) == REPEATS * 6 - len(FAILING)


CLIENT = """
import sys
from dask import distributed
import sonorad.dask
manifest, out, partition_size = sys.argv[1:]
cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = distributed.Client(cluster)
print(cluster.scheduler_address, flush=True)
sonorad.dask.extract_manifest(manifest, client, out=out, partition_size=int(partition_size), backend="cpu")
"""


def test_a_run_whose_client_was_killed_resumes_into_its_folder(manifest, failing_ids, one_process_parquet,
                                                                cluster, tmp_path):
    """A client (with its LocalCluster) loses a worker mid-run, then is killed itself; a new
    client and cluster resume into the same folder, skipping the partitions done: every case is
    there once, as one process writes it, and every failure once."""
    out = tmp_path / "features"
    first = subprocess.Popen([sys.executable, "-c", CLIENT, str(manifest), str(out), str(PARTITION_SIZE)],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        address = first.stdout.readline().strip()
        with distributed.Client(address) as observer:
            wait_until(lambda: len(done_partitions(out)) >= 2, "two partitions written")
            kill_a_busy_worker(observer)
            after_the_kill = len(done_partitions(out))
            wait_until(lambda: len(done_partitions(out)) >= after_the_kill + 2, "two more partitions written")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    written = {name: os.stat(out / "errors" / name).st_mtime_ns for name in done_partitions(out)}
    assert 0 < len(written) < REPEATS * 6 // PARTITION_SIZE, "the client was to be killed mid-run"

    with distributed.Client(cluster) as client:
        path = sonorad.dask.extract_manifest(manifest, client, out=out, partition_size=PARTITION_SIZE,
                                             backend="cpu")
    assert path == str(out)
    features = os.path.join(path, "features")
    pandas.testing.assert_frame_equal(pandas.read_parquet(features), one_process_parquet)
    lazy = dask.dataframe.read_parquet(features)
    # dask reads text as pyarrow strings (missing: NA), pandas as strings with NaN: the values match
    pandas.testing.assert_frame_equal(lazy.compute().reset_index(drop=True), one_process_parquet,
                                      check_dtype=False)
    errors = pandas.read_parquet(os.path.join(path, "errors"))
    assert list(errors["case_id"]) == failing_ids
    assert all(os.stat(out / "errors" / name).st_mtime_ns == mtime for name, mtime in written.items())
    assert os.listdir(out / "tmp") == []


def test_a_partition_left_half_written_is_written_again(manifest, cluster, tmp_path, capsys):
    """A partition is done only when its errors file is in place: one whose features file was
    renamed but not its errors file (a worker killed between the two), and one whose files were
    still in `tmp/`, are both written again, and the folder reads as before."""
    cases = pandas.read_csv(manifest, dtype=str).iloc[:60]
    out = tmp_path / "features"
    with distributed.Client(cluster) as client:
        sonorad.dask.extract_manifest(cases, client, out=out, partition_size=PARTITION_SIZE, backend="cpu",
                                      progress=True)
        assert "100% Completed" in capsys.readouterr().out
        before = pandas.read_parquet(out / "features")
        first, renamed, scratch = done_partitions(out)
        untouched = os.stat(out / "errors" / first).st_mtime_ns
        os.remove(out / "errors" / renamed)
        features = (out / "features" / scratch).read_bytes()
        os.remove(out / "features" / scratch)
        os.remove(out / "errors" / scratch)
        os.makedirs(out / "tmp" / (scratch + ".left"))
        (out / "tmp" / (scratch + ".left") / "features.parquet").write_bytes(features[:len(features) // 2])
        sonorad.dask.extract_manifest(cases, client, out=out, partition_size=PARTITION_SIZE, backend="cpu")
    assert done_partitions(out) == [first, renamed, scratch]
    pandas.testing.assert_frame_equal(pandas.read_parquet(out / "features"), before)
    assert os.stat(out / "errors" / first).st_mtime_ns == untouched
    assert os.listdir(out / "tmp") == []


def test_a_folder_of_another_run_is_refused_naming_the_difference(manifest, cluster, tmp_path):
    cases = pandas.read_csv(manifest, dtype=str).iloc[:12]
    out = tmp_path / "features"
    with distributed.Client(cluster) as client:
        sonorad.dask.extract_manifest(cases, client, out=out, partition_size=6, backend="cpu")
        for change, message in [
            (dict(bin_width=10), "setting bin_width: unset there, 10 here"),
            (dict(partition_size=4), "partition_size: 6 there, 4 here"),
            (dict(manifest=cases.iloc[:11]), "another manifest: 12 rows"),
        ]:
            arguments = {**dict(manifest=cases, partition_size=6, backend="cpu"), **change}
            with pytest.raises(sonorad.InputError, match=message):
                sonorad.dask.extract_manifest(client=client, out=out, **arguments)
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "notes.txt").write_text("not a sonorad run")
        with pytest.raises(sonorad.InputError, match="holds no sonorad run"):
            sonorad.dask.extract_manifest(cases, client, out=tmp_path / "other", backend="cpu")
        with pytest.raises(sonorad.InputError, match="repeats case_id"):
            sonorad.dask.extract_manifest(pandas.concat([cases, cases.iloc[:1]]), client, partition_size=6)
        with pytest.raises(sonorad.SettingsError, match="partition_size 0"):
            sonorad.dask.extract_manifest(cases, client, partition_size=0)


def test_a_partition_whose_cases_all_failed_adds_errors_only(manifest, cluster, tmp_path):
    """Six cases without a mask fill the first partition: the table and the folder hold the
    other six cases, and the six failures once each."""
    cases = pandas.read_csv(manifest, dtype=str).iloc[:12]
    cases.loc[:5, "mask"] = str(tmp_path / "missing_mask.png")
    one_process = sonorad.Extractor(backend="cpu").extract_manifest(cases, progress=False)
    with distributed.Client(cluster) as client:
        spread = sonorad.dask.extract_manifest(cases, client, partition_size=6, backend="cpu")
        out = sonorad.dask.extract_manifest(cases, client, partition_size=6, out=tmp_path / "features",
                                            backend="cpu")
    pandas.testing.assert_frame_equal(spread, one_process)
    pandas.testing.assert_frame_equal(spread.attrs["errors"], one_process.attrs["errors"])
    features = os.path.join(out, "features")
    assert [name[:len("part-000001-")] for name in os.listdir(features)] == ["part-000001-"]
    assert list(pandas.read_parquet(features)["case_id"]) == list(cases["case_id"].iloc[6:])
    errors = pandas.read_parquet(os.path.join(out, "errors"))
    assert list(errors["case_id"]) == list(cases["case_id"].iloc[:6])


PARAMS = """imageType:
  Original: {}
featureClass:
  firstorder:
  glcm:
setting:
  binWidth: %d
"""


def test_a_parameter_file_is_known_by_its_contents(manifest, cluster, tmp_path, monkeypatch):
    """A run with `params=` resumes with the same file elsewhere, and is refused once the file
    changed; a relative path is the client's, not the workers'."""
    cases = pandas.read_csv(manifest, dtype=str).iloc[:6]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(PARAMS % 25)
    with distributed.Client(cluster) as client:
        out = sonorad.dask.extract_manifest(cases, client, out="features", params="params.yaml",
                                            backend="cpu")
        columns = list(pandas.read_parquet(os.path.join(out, "features")).columns)
        assert columns[:2] == ["case_id", "malignant"] and len(columns) == 2 + 18 + 24
        os.rename("params.yaml", "moved.yaml")
        sonorad.dask.extract_manifest(cases, client, out="features", params="moved.yaml", backend="cpu")
        (tmp_path / "moved.yaml").write_text(PARAMS % 10)
        with pytest.raises(sonorad.InputError, match='setting params: {"sha256": "[0-9a-f]+"} there'):
            sonorad.dask.extract_manifest(cases, client, out="features", params="moved.yaml", backend="cpu")


def test_a_csv_manifest_reaches_the_workers_as_its_text(manifest, cluster, tmp_path):
    """A `label` column with an empty cell stays "255" (pandas would read 255.0, which the
    pipeline refuses as a label), relative paths are to the CSV's folder: the table is one
    process's."""
    cases = pandas.read_csv(manifest, dtype=str).iloc[:6]
    cases["label"] = ["255", ""] * 3
    for column in ("image", "mask"):
        cases[column] = [os.path.relpath(path, tmp_path) for path in cases[column]]
    path = tmp_path / "labels.csv"
    cases.to_csv(path, index=False)
    one_process = sonorad.Extractor(backend="cpu").extract_manifest(path, progress=False)
    with distributed.Client(cluster) as client:
        spread = sonorad.dask.extract_manifest(path, client, partition_size=3, backend="cpu")
    pandas.testing.assert_frame_equal(spread, one_process)
    assert len(spread) == 6 and len(spread.attrs["errors"]) == 0
