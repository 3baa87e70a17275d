"""A page of runs from the store (Arrow) as plain rows for the command line, without pandas."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = ["run_rows"]


def _utc(epoch: Any) -> datetime | None:
    if epoch is None or epoch != epoch:
        return None
    return datetime.fromtimestamp(float(epoch), tz=timezone.utc)


def run_rows(page: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and one dict per run, as ``search_runs`` names them (``params.*``, ``metrics.*``, ``tags.*``)."""
    runs = page["runs"].to_pylist()
    rows: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for run in runs:
        row = {"run_id": run["run_id"], "experiment": run["experiment"], "name": run["name"],
               "status": run["status"], "start_time": _utc(run["start_time"]), "end_time": _utc(run["end_time"]),
               "user": run["user_name"]}
        rows.append(row)
        by_id[run["run_id"]] = row
    columns = ["run_id", "experiment", "name", "status", "start_time", "end_time", "user"]
    for prefix in ("params", "metrics", "tags"):
        long = page[prefix]
        names: set[str] = set()
        for run_id, key, value in zip(long.column("run_id").to_pylist(), long.column("key").to_pylist(),
                                      long.column("value").to_pylist()):
            by_id[run_id][f"{prefix}.{key}"] = value
            names.add(key)
        columns += [f"{prefix}.{key}" for key in sorted(names)]
    return columns, rows
