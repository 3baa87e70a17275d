"""The cells domain: cell sources and records, per-cell data, notebook snapshots, run <-> cell links, provenance."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.store.lazy_schemas import LazySchemas
from mlm_jupyter.store.session import Session

if TYPE_CHECKING:  # imported by the appliers and reads that make tables (importing the domain imports none)
    import pyarrow as pa

__all__ = ["APPLIERS", "CELL_DATA_SCHEMA", "JOURNALABLE", "READERS", "RECORD_SCHEMA", "RUN_DETAILS",
           "SOURCE_SCHEMA"]



def _schemas() -> dict[str, pa.Schema]:
    import pyarrow as pa

    return {
        "SOURCE_SCHEMA": pa.schema([("sha256", pa.string()), ("source", pa.string()), ("size", pa.int64())]),
        "RECORD_SCHEMA": pa.schema([
            ("id", pa.string()), ("session_id", pa.string()), ("seq", pa.int64()), ("execution_count", pa.int64()),
            ("cell_id", pa.string()), ("cell_id_source", pa.string()), ("notebook", pa.string()),
            ("notebook_index", pa.int32()), ("source_sha256", pa.string()), ("start_time", pa.float64()),
            ("duration", pa.float64()), ("success", pa.bool_()), ("error_type", pa.string()),
            ("error_message", pa.string()), ("names_read", pa.list_(pa.string())),
            ("names_written", pa.list_(pa.string())), ("run_id", pa.string()),
        ]),
        "CELL_DATA_SCHEMA": pa.schema([
            ("record_id", pa.string()), ("name", pa.string()), ("role", pa.string()), ("kind", pa.string()),
            ("digest", pa.string()), ("changed", pa.bool_()), ("rehashed", pa.bool_()),
        ]),
    }


_SCHEMAS = LazySchemas(__name__, _schemas, ("SOURCE_SCHEMA", "RECORD_SCHEMA", "CELL_DATA_SCHEMA"))
__getattr__ = _SCHEMAS.module_getattr
_schema = _SCHEMAS.__getitem__

_RECORD_UPDATE = ", ".join(
    f"{c} = coalesce(excluded.{c}, cell_records.{c})"
    for c in ("execution_count", "cell_id", "cell_id_source", "notebook", "notebook_index", "duration",
              "success", "error_type", "error_message", "names_read", "names_written", "run_id"))


# ---------------------------------------------------------------- writes

def record_cells(s: Session, args: dict[str, Any]) -> int:
    """Store queued cell records (Arrow tables), their sources and data fingerprints; returns records stored."""
    for session in args.get("sessions") or ():
        s.con.execute("INSERT INTO kernel_sessions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                      "notebook = coalesce(excluded.notebook, kernel_sessions.notebook)",
                      [session["id"], session.get("kernel_id"), session.get("notebook"), session.get("host"),
                       session.get("pid"), session["started_at"]])
    sources: pa.Table | None = args.get("sources")
    if sources is not None and sources.num_rows:
        s.insert_table("cell_sources", sources.cast(_schema("SOURCE_SCHEMA")), conflict="ON CONFLICT (sha256) DO NOTHING")
    records: pa.Table | None = args.get("records")
    if records is None or records.num_rows == 0:
        return 0
    s.insert_table("cell_records", records.cast(_schema("RECORD_SCHEMA")),
                   conflict=f"ON CONFLICT (id) DO UPDATE SET {_RECORD_UPDATE}")
    data: pa.Table | None = args.get("data")
    if data is not None and data.num_rows:
        s.insert_table("cell_data", data.cast(_schema("CELL_DATA_SCHEMA")))
    return int(records.num_rows)


def link_run_cell(s: Session, args: dict[str, Any]) -> None:
    """Tie a run to the cell record that made it, with its history, notebook snapshot and staleness."""
    s.con.execute(
        "INSERT INTO run_cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
        "staleness = excluded.staleness, traceback = excluded.traceback, "
        "notebook_sha256 = excluded.notebook_sha256, history = excluded.history",
        [args["run_id"], args["record_id"], args["session_id"], args["cell_key"], args.get("notebook"),
         args.get("notebook_sha256"), args.get("previous_run_id"), list(args.get("history") or []),
         list(args.get("staleness") or []), args.get("traceback")])
    if args.get("notebook_sha256"):
        s.con.execute("INSERT INTO notebook_snapshots VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                      [args["notebook_sha256"], args.get("notebook"), int(args.get("notebook_size") or 0), s.now()])


def log_run_cell_data(s: Session, args: dict[str, Any]) -> None:
    """Data a tracked cell read (role ``input``) or wrote (role ``output``), as fingerprints."""
    rows = args.get("rows") or []
    if not rows:
        return
    import pyarrow as pa

    s.insert_table("run_cell_data", pa.table({
        "run_id": [args["run_id"]] * len(rows), "dataset": [r["name"] for r in rows],
        "role": [r["role"] for r in rows], "digest": [r["digest"] for r in rows],
        "kind": [r.get("kind") for r in rows],
        "fingerprint": [json.dumps(r.get("fingerprint")) if r.get("fingerprint") else None for r in rows]}))


def log_provenance(s: Session, args: dict[str, Any]) -> None:
    """A run's git state and environment (the environment row is written once per digest)."""
    # Looked up first, then a plain INSERT or UPDATE: DuckDB's ON CONFLICT costs ~5 ms a statement,
    # a primary-key lookup well under one (a script's whole exit write is a handful of statements).
    environment = args.get("environment")
    if environment and environment.get("packages") is not None \
            and not s.one("SELECT 1 FROM environments WHERE digest = ?", [environment["digest"]]):
        s.con.execute("INSERT INTO environments VALUES (?, ?, ?, ?, ?, ?)",
                      [environment["digest"], environment["python"], environment.get("implementation"),
                       environment["platform"], json.dumps(environment["packages"], sort_keys=True), s.now()])
    git = args.get("git") or {}
    values = [git.get("commit"), git.get("branch"), git.get("remote"), git.get("dirty"), git.get("diff_sha256"),
              git.get("diff_size"), git.get("diff_truncated"), git.get("root"),
              environment.get("digest") if environment else None]
    if s.one("SELECT 1 FROM run_provenance WHERE run_id = ?", [args["run_id"]]):
        s.con.execute(
            "UPDATE run_provenance SET git_commit = ?, git_branch = ?, git_remote = ?, git_dirty = ?, "
            "git_diff_sha256 = ?, git_diff_size = ?, git_diff_truncated = ?, git_root = ?, environment_digest = ? "
            "WHERE run_id = ?", [*values, args["run_id"]])
    else:
        s.con.execute("INSERT INTO run_provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [args["run_id"], *values])


APPLIERS = {
    "record_cells": record_cells,
    "link_run_cell": link_run_cell,
    "log_run_cell_data": log_run_cell_data,
    "log_provenance": log_provenance,
}
JOURNALABLE = frozenset(APPLIERS)


# ---------------------------------------------------------------- reads

_HISTORY_COLUMNS = (
    "c.id AS record_id, c.session_id, c.seq, c.execution_count, c.cell_id, c.cell_id_source, c.notebook, "
    "c.notebook_index, c.source_sha256, src.source, c.start_time, c.duration, c.success, c.error_type, "
    "c.error_message, c.names_read, c.names_written, c.run_id")


def cell_history(s: Session, notebook: str | None = None, session: str | None = None,
                 limit: int = 100_000) -> pa.Table:
    """Cell records (newest sessions last, in execution order) with their sources."""
    conditions, params = [], []
    if notebook is not None:
        conditions.append("c.notebook = ?")
        params.append(notebook)
    if session is not None:
        conditions.append("c.session_id = ?")
        params.append(session)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return s.table(
        f"SELECT {_HISTORY_COLUMNS} FROM cell_records c JOIN cell_sources src ON src.sha256 = c.source_sha256 "
        f"{where} ORDER BY c.start_time, c.session_id, c.seq LIMIT ?", [*params, int(limit)])


def cell_data(s: Session, record_id: str) -> list[dict[str, Any]]:
    return s.rows("SELECT name, role, kind, digest, changed, rehashed FROM cell_data WHERE record_id = ? "
                  "ORDER BY role, name", [record_id])


def cell_source(s: Session, sha256: str) -> str:
    row = s.one("SELECT source FROM cell_sources WHERE sha256 = ?", [sha256])
    if row is None:
        raise NotFoundError(f"no cell source {sha256} in this store", sha256=sha256)
    return str(row[0])


def previous_cell_run(s: Session, cell_key: str, notebook: str | None = None) -> str | None:
    """The latest run made by the same cell (same notebook when known)."""
    row = s.one(
        "SELECT rc.run_id FROM run_cells rc JOIN runs r ON r.id = rc.run_id "
        "WHERE rc.cell_key = ? AND rc.notebook IS NOT DISTINCT FROM ? ORDER BY r.start_time DESC LIMIT 1",
        [cell_key, notebook])
    return str(row[0]) if row else None


def environment(s: Session, digest: str) -> dict[str, Any]:
    rows = s.rows("SELECT * FROM environments WHERE digest = ?", [digest])
    if not rows:
        raise NotFoundError(f"no environment {digest} in this store", digest=digest)
    record = rows[0]
    record["packages"] = json.loads(record["packages"])
    return record


def has_environment(s: Session, digest: str) -> bool:
    return s.one("SELECT 1 FROM environments WHERE digest = ?", [digest]) is not None


def cell_counts(s: Session) -> dict[str, int]:
    row = s.one("SELECT (SELECT count(*) FROM cell_records), (SELECT count(*) FROM cell_sources), "
                "(SELECT count(*) FROM kernel_sessions), (SELECT count(*) FROM run_cells), "
                "(SELECT count(*) FROM notebook_snapshots), (SELECT count(*) FROM environments)")
    names = ("cell_records", "cell_sources", "kernel_sessions", "tracked_cells", "notebook_snapshots",
             "environments")
    return dict(zip(names, row or ()))


READERS = {
    "cell_history": cell_history,
    "cell_data": cell_data,
    "cell_source": cell_source,
    "previous_cell_run": previous_cell_run,
    "environment": environment,
    "has_environment": has_environment,
    "cell_counts": cell_counts,
}


def run_details(s: Session, run_id: str) -> dict[str, Any]:
    """``cell``, ``provenance``, ``staleness``, ``previous_run_id`` (and ``inputs`` kept here) of a run."""
    details: dict[str, Any] = {}
    links = s.rows("SELECT * FROM run_cells WHERE run_id = ?", [run_id])
    if links:
        link = links[0]
        records = s.rows(f"SELECT {_HISTORY_COLUMNS} FROM cell_records c "
                         "JOIN cell_sources src ON src.sha256 = c.source_sha256 WHERE c.id = ?",
                         [link["record_id"]])
        cell = records[0] if records else {"record_id": link["record_id"], "session_id": link["session_id"]}
        cell.update({"cell_key": link["cell_key"], "notebook": link["notebook"] or cell.get("notebook"),
                     "notebook_sha256": link["notebook_sha256"], "history": list(link["history"] or []),
                     "traceback": link["traceback"]})
        cell["data"] = cell_data(s, link["record_id"])
        details.update(cell=cell, staleness=list(link["staleness"] or []),
                       previous_run_id=link["previous_run_id"])
    provenance = s.rows("SELECT * FROM run_provenance WHERE run_id = ?", [run_id])
    if provenance:
        record = {k: v for k, v in provenance[0].items() if k != "run_id"}
        digest = record.get("environment_digest")
        if digest:
            env = s.rows("SELECT python, implementation, platform FROM environments WHERE digest = ?", [digest])
            if env:
                record.update(env[0])
        record["git"] = {"commit": record["git_commit"], "branch": record["git_branch"],
                         "remote": record["git_remote"], "dirty": record["git_dirty"],
                         "diff_sha256": record["git_diff_sha256"], "diff_size": record["git_diff_size"],
                         "diff_truncated": record["git_diff_truncated"], "root": record["git_root"]}
        record.update(commit=record["git_commit"], branch=record["git_branch"], remote=record["git_remote"],
                      dirty=record["git_dirty"], diff_sha256=record["git_diff_sha256"],
                      diff_digest=record["git_diff_sha256"])
        record["environment"] = {"digest": digest, "python": record.get("python"),
                                 "platform": record.get("platform")}
        details["provenance"] = record
    data = s.rows("SELECT dataset, role, digest, kind, fingerprint FROM run_cell_data WHERE run_id = ? "
                  "ORDER BY role, dataset", [run_id])
    if data:
        details["inputs"] = [
            {"name": d["dataset"], "role": d["role"], "direction": "input" if d["role"] == "input" else "output",
             "fingerprint": json.loads(d["fingerprint"]) if d["fingerprint"] else {"digest": d["digest"],
                                                                                  "kind": d["kind"]}}
            for d in data]
    return details


RUN_DETAILS = run_details
