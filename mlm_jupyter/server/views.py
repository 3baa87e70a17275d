"""JSON shapes of the public REST API, built from what the client returns.

Times are epoch seconds (UTC); non-finite floats become ``null`` (browsers'
``JSON.parse`` rejects NaN). The generic store endpoints use ``store.codec``
instead, which keeps NaN and Arrow tables exactly.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from pathlib import PurePath
from typing import Any, Mapping

import numpy as np
import pyarrow as pa

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["experiment_name", "experiment_view", "experiments_view", "jsonable", "metric_points_view",
           "require_run", "run_metrics_view", "run_view", "runs_page_view"]


def jsonable(value: Any) -> Any:
    """Turn entities, datetimes, numpy and Arrow values into plain JSON data."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        try:
            return value.timestamp()
        except ValueError:  # pandas NaT
            return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pa.Table):
        return [jsonable(row) for row in value.to_pylist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return str(value)


def require_run(client: MlmClient, run_id: str) -> None:
    """Raise ``NotFoundError`` unless ``run_id`` exists."""
    if not client.store.sql("SELECT 1 FROM runs WHERE id = ?", [run_id], max_rows=1).num_rows:
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)


def experiments_view(client: MlmClient) -> dict[str, Any]:
    return {"experiments": jsonable(client.store.read("experiments"))}


def experiment_name(client: MlmClient, experiment: str) -> str:
    """The name of experiment ``experiment`` given by name or by id (unknown values pass through)."""
    known = client.store.read("experiments")
    if any(item.get("name") == experiment for item in known):
        return experiment
    return next((str(item["name"]) for item in known if item.get("id") == experiment), experiment)


def experiment_view(client: MlmClient, experiment: str) -> dict[str, Any]:
    """One experiment, given by name or id, with its run count."""
    for item in client.store.read("experiments"):
        if experiment in (item.get("name"), item.get("id")):
            return jsonable(item)  # type: ignore[no-any-return]
    raise NotFoundError(f"no experiment named (or with id) {experiment!r}; GET /mlm/api/experiments lists them",
                        experiment=experiment)


def run_metrics_view(client: MlmClient, run_id: str) -> dict[str, Any]:
    """A run's latest metric values (``GET .../metrics/{key}`` has each one's history)."""
    run = client.get_run(run_id)
    return {"run_id": run.id, "metrics": jsonable(run.metrics),
            "keys": client.store.read("metric_keys", run_id=run_id)}


def run_view(client: MlmClient, run_id: str) -> dict[str, Any]:
    """One run: params, latest metrics, tags, inputs, artifacts, cell record, provenance, staleness."""
    view: dict[str, Any] = jsonable(client.get_run(run_id))
    view["metric_keys"] = client.store.read("metric_keys", run_id=run_id)
    return view


def runs_page_view(client: MlmClient, *, experiment: str | None, filter: str | None,
                   order_by: list[str], offset: int, limit: int) -> dict[str, Any]:
    """A page of runs (one object per run, with params, latest metrics and tags) and the total.

    ``experiment`` is a name or an id (``GET /mlm/api/experiments`` lists both).
    """
    if experiment:
        experiment = experiment_name(client, experiment)
    # the store's page of plain rows (``runs_page``), the one the runs table widget reads too
    page = client.store.read("runs_page", filter=filter or None, experiments=[experiment] if experiment else None,
                             order_by=order_by, max_results=limit, offset=offset, detail=True)
    return {"runs": jsonable(page["runs"]), "total": int(page["total"]), "offset": offset, "limit": limit}


def metric_points_view(client: MlmClient, run_id: str, key: str, max_points: int | None) -> dict[str, Any]:
    """``{"points": [[step, value, time], ...], "count": stored total}``, downsampled to ``max_points``."""
    require_run(client, run_id)
    if max_points is None:
        table = client.store.read("metric_history", run_id=run_id, key=key)
        count = table.num_rows
    else:  # downsampled inside DuckDB: only the kept rows leave the database
        sampled = client.store.read("metric_history_sampled", run_id=run_id, key=key,
                                    max_points=int(max_points))
        table, count = sampled["points"], int(sampled["count"])
    steps = table.column("step").to_numpy()
    values = table.column("value").to_numpy()
    times = table.column("time").to_numpy()
    finite = np.isfinite(values)
    value_list: list[Any] = values.tolist()
    if not finite.all():
        for index in np.flatnonzero(~finite).tolist():
            value_list[index] = None
    points = [list(p) for p in zip(steps.tolist(), value_list, times.tolist())]
    return {"run_id": run_id, "key": key, "points": points, "count": count,
            "downsampled": max_points is not None and count > max_points}
