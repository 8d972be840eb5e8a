"""Extraction of a manifest spread over a dask.distributed cluster.

    from dask.distributed import Client
    import sonorad.dask
    table = sonorad.dask.extract_manifest("cases.csv", Client("scheduler:8786"), rings=["3mm"])

The manifest is split into one partition per worker (or `partitions`); each worker runs
`sonorad.Extractor(**settings).extract_manifest` on its partition (all its cores), and the
partitions' tables are joined in manifest order, with their errors in `attrs["errors"]`: the
same table as one process would give.
"""
from __future__ import annotations

import os
from typing import Any, Optional, Tuple

__all__ = ["extract_manifest"]


def _absolute(table: Any, folder: str) -> Any:
    """The manifest with its image and mask paths absolute (relative ones are to `folder`)."""
    table = table.copy()
    for column in ("image", "mask"):
        table[column] = [p if os.path.isabs(p) else os.path.normpath(os.path.join(folder, p)) for p in table[column]]
    return table


def _extract_part(part: Any, settings: dict, id_column: str) -> Tuple[Any, Any]:
    """One partition on a worker: its features and its errors."""
    from sonorad import Extractor

    result = Extractor(**settings).extract_manifest(part, progress=False, id_column=id_column)
    errors = result.attrs.pop("errors")
    return result, errors


def extract_manifest(
    manifest: Any,
    client: Any,
    partitions: Optional[int] = None,
    id_column: str = "case_id",
    **settings: Any,
):
    """Extracts every case of `manifest` (a CSV path or a DataFrame) on the workers of
    `client`; `settings` are the Extractor's keyword arguments."""
    import numpy
    import pandas

    if isinstance(manifest, pandas.DataFrame):
        table = _absolute(manifest, os.getcwd())
    else:
        path = os.fspath(manifest)
        table = _absolute(pandas.read_csv(path, dtype={id_column: str}), os.path.dirname(os.path.abspath(path)))
    workers = len(client.scheduler_info().get("workers", {})) or 1
    count = max(1, min(partitions or workers, len(table)))
    bounds = numpy.linspace(0, len(table), count + 1).round().astype(int)
    parts = [table.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    futures = client.map(_extract_part, parts, settings=settings, id_column=id_column, pure=False)
    results = client.gather(futures)
    result = pandas.concat([r for r, _ in results], ignore_index=True)
    errors = pandas.concat([e for _, e in results], ignore_index=True)
    result.attrs["errors"] = errors
    return result
