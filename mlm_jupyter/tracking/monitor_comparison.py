"""``compare_monitored``: two observed model versions on the rows both scored (a served model and its shadow).

Rows pair by the ids they were logged with (``mlm serve`` gives the primary
and its shadow the same ids); labels logged later with
``Monitor.log_labels`` join by the same ids.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.core.inference_batch import ID, LABEL, PREDICTION, TIME
from mlm_jupyter.core.model_entities import ModelVersion, parse_model_uri
from mlm_jupyter.core.paired_comparison import PairedComparison, compare_paired
from mlm_jupyter.tracking.monitor_files import LogLayout

__all__ = ["compare_monitored", "monitored_version"]


def monitored_version(client: Any, ref: str) -> ModelVersion:
    """The version ``ref`` names now: ``NAME@ALIAS``, ``NAME/VERSION`` or ``models:/...``."""
    text = ref if ref.startswith("models:/") else f"models:/{ref}"
    parsed = parse_model_uri(text)
    if parsed.kind != "models":
        raise InvalidInputError(f"compare takes registered models such as NAME@production or NAME/3, not {ref!r}")
    version: ModelVersion = client.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
    return version


def _read(files: list[Path], columns: list[str]) -> pa.Table | None:
    tables = []
    for path in files:
        table = pq.read_table(path)
        if all(column in table.column_names for column in columns):
            tables.append(table.select(columns))
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def _predictions(layout: LogLayout, version: ModelVersion) -> dict[str, Any]:
    files = sorted(Path(p) for p in glob.glob(layout.inference_glob(version.name, version.version)))
    table = _read(files, [ID, PREDICTION])
    if table is None:
        raise NotFoundError(f"no logged predictions for {version.name} v{version.version}: serve it with "
                            f"`mlm serve` (observed by default) or log with mlm.monitor(...)",
                            name=version.name, version=version.version)
    ids = table.column(ID).to_pylist()
    predictions = table.column(PREDICTION).to_pylist()
    return {row_id: value for row_id, value in zip(ids, predictions) if row_id is not None}


def _labels(layout: LogLayout, names: set[str]) -> dict[str, Any]:
    found: dict[str, tuple[Any, Any]] = {}
    for name in sorted(names):
        files = sorted(Path(p) for p in glob.glob(layout.labels_glob(name)))
        table = _read(files, [ID, LABEL, TIME])
        if table is None:
            continue
        for row_id, label, moment in zip(table.column(ID).to_pylist(), table.column(LABEL).to_pylist(),
                                         table.column(TIME).to_pylist()):
            if row_id is not None and (row_id not in found or moment >= found[row_id][1]):
                found[row_id] = (label, moment)  # the latest label of an id wins
    return {row_id: label for row_id, (label, _) in found.items()}


def compare_monitored(client: Any, first: str, second: str, *, store_dir: str | Path, metric: str | None = None,
                      confidence: float = 0.95) -> PairedComparison:
    """Compare what ``first`` and ``second`` (e.g. ``churn@production``, ``churn@challenger``) predicted on the
    same logged rows: their agreement and, where labels arrived, ``metric(first) - metric(second)`` with a CI."""
    layout = LogLayout(store_dir)
    version_a, version_b = monitored_version(client, first), monitored_version(client, second)
    if (version_a.name, version_a.version) == (version_b.name, version_b.version):
        raise InvalidInputError(f"{first} and {second} are the same version (v{version_a.version}); compare two "
                                "different versions")
    pred_a, pred_b = _predictions(layout, version_a), _predictions(layout, version_b)
    shared = sorted(set(pred_a) & set(pred_b))
    labels = _labels(layout, {version_a.name, version_b.name})
    truth = [labels.get(row_id) for row_id in shared]
    label_a, label_b = f"{first} (v{version_a.version})", f"{second} (v{version_b.version})"
    return compare_paired(np.array([pred_a[i] for i in shared], dtype=object if not shared else None),
                          np.array([pred_b[i] for i in shared], dtype=object if not shared else None),
                          np.array(truth, dtype=object) if any(t is not None for t in truth) else None,
                          a=label_a, b=label_b, metric=metric, confidence=confidence)
