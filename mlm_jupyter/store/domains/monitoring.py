"""The monitoring domain: drift thresholds per registered model and the reference samples of datasets.

Inference logs themselves are Parquet files beside the database (see
``tracking.monitor_files``); only these small records live in DuckDB.
"""

from __future__ import annotations

import json
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.store.session import Session
from mlm_jupyter.store.stamping import identity_provider

__all__ = ["APPLIERS", "JOURNALABLE", "READERS"]


def set_monitor_thresholds(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Store the thresholds of model ``name`` (a JSON object); an empty object restores the defaults."""
    name, thresholds = str(args["name"]), args.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        raise InvalidInputError("thresholds must be an object of threshold name -> value")
    if not s.one("SELECT 1 FROM registered_models WHERE name = ?", [name]):
        raise NotFoundError(f"no registered model named {name!r}; see mlm.models() for the names", name=name)
    s.con.execute("INSERT INTO monitor_thresholds VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                  "thresholds = excluded.thresholds, updated_at = excluded.updated_at, "
                  "updated_by = excluded.updated_by",
                  [name, json.dumps(thresholds, sort_keys=True), s.now(), args.get("user")])
    s.con.execute(
        "INSERT INTO registry_events (time, user_name, model, version, action, to_value, reason, identity_provider) "
        "VALUES (?, ?, ?, NULL, 'monitor_thresholds_set', ?, ?, ?)",
        [s.now(), args.get("user"), name, json.dumps(thresholds, sort_keys=True), args.get("reason"),
         identity_provider(args)])
    return {"name": name, "thresholds": thresholds}


def record_dataset_sample(s: Session, args: dict[str, Any]) -> None:
    """Remember the sample blob of dataset digest ``digest`` (the first sample recorded stays)."""
    s.con.execute("INSERT INTO dataset_samples VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                  [str(args["digest"]), str(args["sha256"]), int(args["rows"]), int(args["total_rows"]), s.now()])


def monitor_thresholds(s: Session, name: str) -> dict[str, Any]:
    row = s.one("SELECT thresholds FROM monitor_thresholds WHERE name = ?", [name])
    return dict(json.loads(row[0])) if row else {}


def dataset_sample(s: Session, digest: str) -> dict[str, Any] | None:
    rows = s.rows("SELECT digest, sha256, rows, total_rows FROM dataset_samples WHERE digest = ?", [digest])
    return rows[0] if rows else None


APPLIERS = {"set_monitor_thresholds": set_monitor_thresholds, "record_dataset_sample": record_dataset_sample}
JOURNALABLE = frozenset({"record_dataset_sample"})
READERS = {"monitor_thresholds": monitor_thresholds, "dataset_sample": dataset_sample}
