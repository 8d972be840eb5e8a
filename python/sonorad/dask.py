"""Extraction of a manifest spread over a dask.distributed cluster, in bounded partitions.

    from dask.distributed import Client
    import pandas
    import sonorad.dask
    client = Client("scheduler:8786")
    table = sonorad.dask.extract_manifest("cases.csv", client, rings=["3mm"])  # a DataFrame
    path = sonorad.dask.extract_manifest("cases.csv", client, out="run", rings=["3mm"])
    features = pandas.read_parquet(path + "/features")   # or dask.dataframe.read_parquet
    errors = pandas.read_parquet(path + "/errors")       # the cases that failed

The manifest is cut into partitions of `partition_size` consecutive cases, in manifest order.
Each partition is one Dask task: `sonorad.Extractor(**settings)` runs the archive pipeline on
its cases with all the worker's cores. A worker lost mid-run costs its partition only, which
Dask runs again on another worker.

Without `out`, the partitions' tables are gathered and joined in manifest order, with their
failed cases in `attrs["errors"]`: the table one process gives (`Extractor.extract_manifest`).
The whole table must then fit in the client's memory.

With `out`, nothing is gathered and the folder's absolute path is returned. The workers write
into `out`, a folder that the client and every worker must reach (a shared filesystem):

    sonorad.json                          the run: settings, id column, partition size,
                                          manifest rows and digest
    features/part-000000-<digest>.parquet partition 0's features, as `sonorad extract --out
                                          x.parquet` writes them: id and pass-through columns
                                          as text, features as float64 (no file when every
                                          case of the partition failed)
    errors/part-000000-<digest>.parquet   partition 0's failed cases (case_id, file, message;
                                          no rows when none failed). Written last, so the
                                          partition is done when this file exists
    tmp/                                  partitions being written

`features/` and `errors/` are each a Parquet dataset whose files sort in manifest order. Every
file is written under `tmp/` and renamed into place, so it is there whole or not at all.
`<digest>` hashes the partition's rows and the settings, so a partition keeps its name from one
run to the next. A rerun into the same folder (after a lost client or cluster) skips the done
partitions. A folder written with other settings, another manifest, id column or partition size
is refused, naming what differs. Writing the errors files needs pyarrow on the workers.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

__all__ = ["extract_manifest"]

RUN_FILE = "sonorad.json"
FEATURES_FOLDER = "features"
ERRORS_FOLDER = "errors"
SCRATCH_FOLDER = "tmp"
ERROR_COLUMNS = ["case_id", "file", "message"]


def extract_manifest(
    manifest: Any,
    client: Any,
    partition_size: int = 1000,
    out: Optional[Any] = None,
    progress: bool = False,
    id_column: str = "case_id",
    **settings: Any,
):
    """Extracts every case of `manifest` (a CSV path or a DataFrame) on the workers of
    `client`. `settings` are the Extractor's keyword arguments (`params=` a PyRadiomics
    parameter file). `partition_size` is the number of cases per task. Without `out`, returns
    the table as a pandas DataFrame. With `out`, writes the table to the dataset folder `out`
    (resuming a run already there) and returns the folder's absolute path. `progress=True`
    shows Dask's progress bar (`dask.distributed.progress`) over the partitions."""
    from sonorad import Extractor

    _check_partition_size(partition_size)
    settings = _with_absolute_params(settings)
    # the settings are checked here, before any task runs; the CPU backend so that the client
    # needs no GPU
    Extractor(**{**settings, "backend": "cpu"})
    table = _read_manifest(manifest, id_column)
    parts = _partitions(table, partition_size)
    if out is None:
        results = _run(client, _extract_partition, [parts], progress, settings=settings, id_column=id_column)
        return _join(results)
    folder = os.path.abspath(os.fspath(out))
    _extract_into(folder, client, table, parts, progress, settings, id_column, partition_size)
    return folder


def _check_partition_size(size: Any) -> None:
    """A partition holds at least one case."""
    from sonorad import SettingsError

    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SettingsError("partition_size %r: expected a whole number of cases, 1 or more" % (size,))


def _with_absolute_params(settings: Dict[str, Any]) -> Dict[str, Any]:
    """The settings with a parameter file's path made absolute: the workers read it from their
    own working folder."""
    if settings.get("params") is None:
        return settings
    return {**settings, "params": os.path.abspath(os.fspath(settings["params"]))}


def _read_manifest(manifest: Any, id_column: str) -> Any:
    """The manifest with absolute image and mask paths (relative ones are to the CSV's folder,
    or to the working folder for a DataFrame). A CSV is read as text cells, as the archive
    pipeline reads it: a `label` of 2 next to an empty cell stays "2", not 2.0. The ids are
    checked over the whole table, since a repeat split between two partitions would give two
    rows."""
    import pandas
    from sonorad import _check_manifest_ids

    if isinstance(manifest, pandas.DataFrame):
        table, folder = manifest, os.getcwd()
    else:
        path = os.fspath(manifest)
        table = pandas.read_csv(path, dtype=str, keep_default_na=False)
        folder = os.path.dirname(os.path.abspath(path))
    _check_manifest_ids(table, id_column)
    return _absolute(table, folder)


def _absolute(table: Any, folder: str) -> Any:
    """The manifest with its image and mask paths absolute (relative ones are to `folder`)."""
    from sonorad import InputError

    table = table.copy()
    for column in ("image", "mask"):
        if column not in table.columns:
            raise InputError("the manifest has no %r column (columns: %s)" % (
                column, ", ".join(map(str, table.columns))))
        table[column] = [p if os.path.isabs(p) else os.path.normpath(os.path.join(folder, p))
                         for p in table[column]]
    return table


def _partitions(table: Any, size: int) -> List[Any]:
    """Consecutive slices of `size` cases in manifest order; an empty manifest is one empty
    partition, so that the workers report it as one process does."""
    count = max(1, -(-len(table) // size))
    return [table.iloc[k * size:(k + 1) * size] for k in range(count)]


def _run(client: Any, function: Callable, iterables: Sequence[Sequence[Any]], progress: bool,
         **kwargs: Any) -> List[Any]:
    """One task per partition, their results in partition order; Dask's progress bar when
    asked. Each call gets new task keys: Dask would otherwise hand back a result it still holds
    from an earlier call instead of running the partition again."""
    from dask import distributed

    keys = ["sonorad-partition-" + uuid.uuid4().hex for _ in iterables[0]]
    futures = client.map(function, *iterables, key=keys, **kwargs)
    if progress:
        distributed.progress(futures)
    return client.gather(futures)


def _extract_partition(part: Any, settings: Dict[str, Any], id_column: str) -> Tuple[Any, Any]:
    """One partition on a worker: its features and its errors."""
    from sonorad import Extractor

    result = Extractor(**settings).extract_manifest(part, progress=False, id_column=id_column)
    errors = result.attrs.pop("errors")
    return result, errors


def _join(results: List[Tuple[Any, Any]]) -> Any:
    """The partitions' tables joined in manifest order, their errors in `attrs["errors"]`. A
    partition whose cases all failed has no feature columns, so it is left out of the join."""
    import pandas

    tables = [table for table, _ in results if len(table)] or [results[0][0]]
    result = pandas.concat(tables, ignore_index=True)
    result.attrs["errors"] = pandas.concat([errors for _, errors in results], ignore_index=True)
    return result


def _extract_into(folder: str, client: Any, table: Any, parts: List[Any], progress: bool,
                  settings: Dict[str, Any], id_column: str, partition_size: int) -> None:
    """The partitions not yet done in `folder`, written there by the workers."""
    run = _run_record(table, settings, id_column, partition_size)
    _open_folder(folder, run)
    names = _partition_names(parts, run["settings"])
    done = _done_partitions(folder)
    todo = [(part, name) for part, name in zip(parts, names) if name not in done]
    if todo:
        _run(client, _write_partition, list(zip(*todo)), progress, folder=folder, settings=settings,
             id_column=id_column)


def _run_record(table: Any, settings: Dict[str, Any], id_column: str, partition_size: int) -> Dict[str, Any]:
    """What decides a dataset folder's contents, as `sonorad.json` records it."""
    return {
        "id_column": id_column,
        "partition_size": partition_size,
        "settings": _settings_identity(settings),
        "manifest": {"rows": len(table), "sha256": _manifest_digest(table)},
    }


def _manifest_digest(table: Any, rows: int = 10000) -> str:
    """The SHA-256 of the manifest as CSV text (absolute paths), hashed a slice at a time so
    that a million-case manifest is never one string in memory."""
    digest = hashlib.sha256()
    for start in range(0, max(1, len(table)), rows):
        text = table.iloc[start:start + rows].to_csv(index=False, header=start == 0)
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _settings_identity(settings: Dict[str, Any]) -> Dict[str, Any]:
    """The settings as JSON values, a parameter file by the SHA-256 of its contents: the file's
    contents decide the features, not its path."""
    identity = dict(settings)
    if identity.get("params") is not None:
        with open(identity["params"], "rb") as f:
            identity["params"] = {"sha256": hashlib.sha256(f.read()).hexdigest()}
    return json.loads(json.dumps(identity, sort_keys=True, default=str))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _partition_names(parts: List[Any], settings: Dict[str, Any]) -> List[str]:
    """Each partition's file name: its position (zero-padded, so that the names sort in
    manifest order) and a digest of its rows and the settings."""
    width = max(6, len(str(len(parts) - 1)))
    prefix = json.dumps(settings, sort_keys=True) + "\n"
    return ["part-%0*d-%s" % (width, k, _sha256(prefix + part.to_csv(index=False))[:16])
            for k, part in enumerate(parts)]


def _open_folder(folder: str, run: Dict[str, Any]) -> None:
    """Makes the dataset folder, or checks that the run it holds is this one. A folder holding
    other files (hidden ones aside: a record's temporary file left by a killed client) and no
    run record is refused, since the run would mix its files with someone else's. Clears
    `tmp/`, which holds only what killed workers left behind (one run at a time per folder)."""
    from sonorad import InputError

    os.makedirs(folder, exist_ok=True)
    record = os.path.join(folder, RUN_FILE)
    if os.path.exists(record):
        with open(record) as f:
            differences = _differences(json.load(f), run)
        if differences:
            raise InputError("%s holds another run's partitions (%s); resume with the same manifest and "
                             "settings, or give a new folder" % (folder, "; ".join(differences)))
    elif [name for name in os.listdir(folder) if not name.startswith(".")]:
        raise InputError("%s is not empty and holds no sonorad run (%s); give a new or empty folder" % (
            folder, RUN_FILE))
    else:
        _write_text(record, json.dumps(run, indent=1, sort_keys=True) + "\n", folder)
    shutil.rmtree(os.path.join(folder, SCRATCH_FOLDER), ignore_errors=True)
    os.makedirs(os.path.join(folder, SCRATCH_FOLDER))
    for subfolder in (FEATURES_FOLDER, ERRORS_FOLDER):
        os.makedirs(os.path.join(folder, subfolder), exist_ok=True)


def _differences(there: Dict[str, Any], here: Dict[str, Any]) -> List[str]:
    """What differs between the run recorded in a folder and this one, in words."""
    differences = []
    recorded = there.get("settings", {})
    for name in sorted(set(recorded) | set(here["settings"])):
        if recorded.get(name) != here["settings"].get(name):
            differences.append("setting %s: %s there, %s here" % (
                name, _shown(recorded.get(name)), _shown(here["settings"].get(name))))
    for key in ("id_column", "partition_size"):
        if there.get(key) != here[key]:
            differences.append("%s: %s there, %s here" % (key, _shown(there.get(key)), _shown(here[key])))
    manifest = there.get("manifest", {})
    if manifest != here["manifest"]:
        differences.append("another manifest: %s rows (sha256 %s) there, %d rows (sha256 %s) here" % (
            manifest.get("rows"), str(manifest.get("sha256"))[:12], here["manifest"]["rows"],
            here["manifest"]["sha256"][:12]))
    return differences


def _shown(value: Any) -> str:
    return "unset" if value is None else json.dumps(value)


def _write_text(path: str, text: str, folder: str) -> None:
    """A small file written whole or not at all."""
    handle, temporary = tempfile.mkstemp(prefix=".", dir=folder)
    with os.fdopen(handle, "w") as f:
        f.write(text)
    _publish(temporary, path)


def _done_partitions(folder: str) -> Set[str]:
    """The partitions whose errors file, the last one written, is in place."""
    suffix = ".parquet"
    names = os.listdir(os.path.join(folder, ERRORS_FOLDER))
    return {name[:-len(suffix)] for name in names if name.endswith(suffix)}


def _write_partition(part: Any, name: str, folder: str, settings: Dict[str, Any],
                     id_column: str) -> Tuple[int, int]:
    """One partition on a worker, into the dataset folder: its features file, then its errors
    file, which marks it done. Returns the numbers of extracted and failed cases."""
    scratch = tempfile.mkdtemp(prefix=name + ".", dir=os.path.join(folder, SCRATCH_FOLDER))
    try:
        features, errors, extracted, failed = _extract_to_files(part, scratch, settings, id_column)
        if extracted:
            _publish(features, os.path.join(folder, FEATURES_FOLDER, name + ".parquet"))
        _publish(errors, os.path.join(folder, ERRORS_FOLDER, name + ".parquet"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return extracted, failed


def _extract_to_files(part: Any, scratch: str, settings: Dict[str, Any],
                      id_column: str) -> Tuple[str, str, int, int]:
    """The archive pipeline on one partition's cases, its files written in `scratch`: the
    features by the extension's own Parquet writer (as `sonorad extract --out x.parquet`: the
    pass-through cells keep the manifest's text, where a DataFrame would turn "0.10" into 0.1),
    the failures as Parquet."""
    from sonorad import Extractor

    manifest = os.path.join(scratch, "manifest.csv")
    part.to_csv(manifest, index=False)
    features = os.path.join(scratch, "features.parquet")
    errors_csv = os.path.join(scratch, "errors.csv")
    extracted, failed = Extractor(**settings)._inner.extract_manifest_to(
        manifest, features, errors_csv, id_column, False, None)
    errors = os.path.join(scratch, "errors.parquet")
    _errors_to_parquet(errors_csv, errors)
    return features, errors, extracted, failed


def _errors_to_parquet(csv_path: str, parquet_path: str) -> None:
    """A partition's failures as Parquet text columns (case_id, file, message), no rows when none
    failed: every partition has one such file, of one schema, so `errors/` reads as one
    dataset."""
    import pandas
    import pyarrow
    import pyarrow.parquet

    errors = pandas.read_csv(csv_path, dtype=str, keep_default_na=False)[ERROR_COLUMNS]
    schema = pyarrow.schema([(column, pyarrow.string()) for column in ERROR_COLUMNS])
    table = pyarrow.Table.from_pandas(errors, schema=schema, preserve_index=False)
    pyarrow.parquet.write_table(table, parquet_path)


def _publish(path: str, target: str) -> None:
    """Moves a finished file into place in one rename, after its bytes are on the disk, so that
    a reader or a rerun finds it whole or not at all."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    os.replace(path, target)
