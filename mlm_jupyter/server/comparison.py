"""Comparing runs for the REST API: params diff, metrics, code diff per cell, data fingerprint diff."""

from __future__ import annotations

import difflib
from typing import Any, Mapping, Sequence

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.server.views import jsonable
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["compare_view", "diff_mapping"]

MAX_COMPARED = 20


def diff_mapping(values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``{run_id: {key: value}}`` -> every key with its value per run, and the keys that differ."""
    keys = sorted({k for per_run in values.values() for k in per_run})
    table = {k: {run_id: per_run.get(k) for run_id, per_run in values.items()} for k in keys}
    differing = [k for k, per_run in table.items() if len({repr(v) for v in per_run.values()}) > 1]
    return {"values": table, "differ": differing}


def _cell_source(run: Mapping[str, Any]) -> str | None:
    cell = run.get("cell")
    return cell.get("source") if isinstance(cell, Mapping) else None


def _fingerprints(run: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in run.get("inputs") or []:
        if isinstance(item, Mapping):
            fingerprint = item.get("fingerprint")
            digest = fingerprint.get("digest") if isinstance(fingerprint, Mapping) else fingerprint
            found[f"{item.get('role', 'input')}:{item.get('name')}"] = digest
    return found


def compare_view(client: MlmClient, run_ids: Sequence[str]) -> dict[str, Any]:
    """Everything the compare view needs for ``run_ids`` (2 to 20 runs; the first is the baseline)."""
    if not 1 <= len(run_ids) <= MAX_COMPARED:
        raise InvalidInputError(f"compare 1 to {MAX_COMPARED} runs (runs=<id>,<id>,...), got {len(run_ids)}")
    runs = [jsonable(client.get_run(run_id)) for run_id in run_ids]
    base = runs[0]
    code = []
    for run in runs[1:]:
        before, after = _cell_source(base) or "", _cell_source(run) or ""
        code.append({"from": base["id"], "to": run["id"], "same": before == after,
                     "diff": "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                          fromfile=base["id"], tofile=run["id"]))})
    return {
        "runs": [{k: run.get(k) for k in ("id", "name", "experiment", "status", "start_time", "end_time")}
                 for run in runs],
        "params": diff_mapping({r["id"]: r.get("params") or {} for r in runs}),
        "metrics": diff_mapping({r["id"]: r.get("metrics") or {} for r in runs}),
        "tags": diff_mapping({r["id"]: r.get("tags") or {} for r in runs}),
        "data": diff_mapping({r["id"]: _fingerprints(r) for r in runs}),
        "code": code,
    }
