"""A quick look at a store from a short-lived process (``mlm runs ls``): read-only, no Arrow, no pandas.

Opening the store the ordinary way costs a command-line user far more than
the question: importing pyarrow (and, through ``pyarrow.array``, pandas),
checking the migrations, replaying journals and spools, and holding the
file read-write, which blocks every other process meanwhile. When none of
that work is due, a read answers from a read-only DuckDB connection with
plain ``fetchall`` rows. ``quick_connection`` returns ``None`` whenever the
ordinary open has something to do (no file yet, a schema that is not the
newest known, a journal or a dead process's spool waiting to be replayed, a
file held by a writer), and the caller then takes the ordinary path, so the
answer is always the same one the ordinary path would give.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

__all__ = ["quick_connection", "quick_runs", "quick_runs_page"]

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _newest_migration() -> int:
    folder = Path(__file__).with_name("migrations")
    versions = [int(m.group(1)) for m in map(_MIGRATION.match, os.listdir(folder)) if m]
    return max(versions, default=0)


def _pending_replays(directory: Path) -> bool:
    """A journal batch or a spool file whose process is gone (the ordinary open replays them first)."""
    journal = directory / "journal"
    if journal.is_dir() and any(journal.iterdir()):
        return True
    spools = directory / "spool"
    if not spools.is_dir():
        return False
    import fcntl

    for path in spools.glob("*.spool"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # a live process holds its spool locked
            return True
        except OSError:
            continue
        finally:
            os.close(fd)
    return False


@contextmanager
def quick_connection(directory: Path) -> Iterator[Any]:
    """A read-only DuckDB connection to the store in ``directory``, or ``None`` (take the ordinary path)."""
    path = directory / "mlm.duckdb"
    if not path.is_file() or _pending_replays(directory):
        yield None
        return
    duckdb = _engine()
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:  # held read-write by a writer (or unreadable): the ordinary path waits or explains
        yield None
        return
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET enable_external_access = false")
        try:
            version = con.execute("SELECT max(version) FROM schema_version").fetchone()
        except duckdb.Error:
            version = None
        if not version or version[0] != _newest_migration() or _cut_short(con, path) or _dead_runs(con):
            yield None
            return
        yield con
    finally:
        con.close()


def quick_runs(directory: Path, filter: str | None, experiments: list[str] | None, order_by: list[str],
               limit: int) -> tuple[list[str], list[dict[str, Any]]] | None:
    """``quick_runs_page`` on a quick connection; ``None`` when the ordinary path must answer (including
    any engine error: a damaged file is then reported by the ordinary open, with what to do)."""
    engine = _engine()
    try:
        with quick_connection(directory) as con:
            return None if con is None else quick_runs_page(con, filter, experiments, order_by, limit)
    except engine.Error:
        return None


def _cut_short(con: Any, path: Path) -> bool:
    """The ordinary open's length check: a file shorter than its blocks in use was cut (a copy, a full disk)."""
    row = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
    return bool(row and row[1] and path.stat().st_size < 3 * 4096 + int(row[0]) * int(row[1]))


def _engine() -> Any:
    """DuckDB's compiled engine alone: ``import duckdb`` adds ~0.1-0.3 s of Python helpers (relations,
    expressions, a version lookup through ``importlib.metadata``) that a few ``fetchall`` calls never use."""
    try:
        import _duckdb

        return _duckdb
    except ImportError:  # a DuckDB build that ships the engine inside the package
        import duckdb

        return duckdb


def _dead_runs(con: Any) -> bool:
    """Runs still ``running`` here whose process died: the ordinary open marks them ``killed`` first."""
    rows = con.execute("SELECT pid, pid_start, owner FROM runs WHERE status = 'running' AND host = ?",
                       [_host()]).fetchall()
    if not rows:
        return False
    from mlm_jupyter.store.liveness import is_alive

    return any((owner in (None, "process") or str(owner).startswith("kernel:")) and pid is not None
               and not is_alive(int(pid), start) for pid, start, owner in rows)


def _host() -> str:
    import socket

    return socket.gethostname()


def _utc(epoch: Any) -> datetime | None:
    if epoch is None or epoch != epoch:
        return None
    return datetime.fromtimestamp(float(epoch), tz=timezone.utc)


def quick_runs_page(con: Any, filter: str | None, experiments: list[str] | None, order_by: list[str],
                    limit: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The first ``limit`` matching runs as ``cli.run_rows`` gives them (same columns, same order)."""
    from mlm_jupyter.core.query import compile_filter, compile_order_by

    where, params = compile_filter(filter or "")
    conditions = [where]
    if experiments:
        conditions.append("list_contains(?, s.experiment)")
        params.append(list(experiments))
    order_sql, order_params = compile_order_by(order_by)
    where_sql = " AND ".join(f"({c})" for c in conditions)
    found = con.execute(
        "SELECT s.run_id, s.experiment, s.name, s.status, s.start_time, s.end_time, s.user_name, s.params, "
        f"s.metrics, s.tags FROM run_summaries s WHERE {where_sql} ORDER BY {order_sql} LIMIT ?",
        [*params, *order_params, max(int(limit), 0)]).fetchall()
    rows: list[dict[str, Any]] = []
    names: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for run_id, experiment, name, status, start, end, user, params_map, metrics_map, tags_map in found:
        row: dict[str, Any] = {"run_id": run_id, "experiment": experiment, "name": name, "status": status,
                               "start_time": _utc(start), "end_time": _utc(end), "user": user}
        for prefix, values in (("params", params_map), ("metrics", metrics_map), ("tags", tags_map)):
            for key, value in (values or {}).items():
                row[f"{prefix}.{key}"] = value
                names[prefix].add(key)
        rows.append(row)
    columns = ["run_id", "experiment", "name", "status", "start_time", "end_time", "user"]
    for prefix in ("params", "metrics", "tags"):
        columns += [f"{prefix}.{key}" for key in sorted(names[prefix])]
    return columns, rows
