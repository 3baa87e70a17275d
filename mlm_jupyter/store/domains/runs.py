"""The runs domain: experiments, runs, params, tags, step metrics and artifacts."""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any, Mapping

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError, ParamConflictError
from mlm_jupyter.core.query import compile_filter, compile_order_by
from mlm_jupyter.core.validation import check_key, check_run_name
from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.store.lazy_schemas import LazySchemas
from mlm_jupyter.store.session import Session
from mlm_jupyter.store.stamping import identity_provider

if TYPE_CHECKING:  # pyarrow is imported by the reads and large writes that use it, never by a short script's
    import pyarrow as pa

__all__ = ["APPLIERS", "JOURNALABLE", "METRIC_COLUMNS", "METRIC_SCHEMA", "READERS", "count_matches", "metric_columns",
           "search_where"]

RUN_STATUSES = ("running", "finished", "failed", "killed")
METRIC_COLUMNS = ("run_id", "key", "step", "value", "time")
_METRIC_TYPES = ("VARCHAR", "VARCHAR", "BIGINT", "DOUBLE", "DOUBLE")


def _metric_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([
        ("run_id", pa.string()), ("key", pa.string()), ("step", pa.int64()),
        ("value", pa.float64()), ("time", pa.float64()),
    ])


_SCHEMAS = LazySchemas(__name__, lambda: {"METRIC_SCHEMA": _metric_schema()}, ("METRIC_SCHEMA",))
__getattr__ = _SCHEMAS.module_getattr


def metric_columns(points: Any) -> dict[str, list[Any]] | None:
    """``points`` as plain columns when a caller sent them so (a mapping of the five ``METRIC_COLUMNS``
    lists, what a small flush sends instead of an Arrow table), else ``None`` (an Arrow table)."""
    if not isinstance(points, Mapping):
        return None
    columns = {name: list(points[name]) for name in METRIC_COLUMNS}
    if len({len(values) for values in columns.values()}) != 1:
        raise InvalidInputError("metric points need as many values in each of run_id, key, step, value, time")
    return columns


def _schema() -> pa.Schema:
    return _SCHEMAS["METRIC_SCHEMA"]


def _unnest_points() -> str:
    """A SELECT of metric points given as five list parameters (one statement, whatever the count)."""
    return "SELECT " + ", ".join(f"unnest(?::{kind}[]) AS {name}"
                                 for name, kind in zip(METRIC_COLUMNS, _METRIC_TYPES))


# ---------------------------------------------------------------- writes

def _ensure_experiment(s: Session, name: str) -> str:
    row = s.one("SELECT id FROM experiments WHERE name = ?", [name])
    if row:
        return str(row[0])
    experiment_id = uuid.uuid4().hex
    s.con.execute("INSERT INTO experiments VALUES (?, ?, ?)", [experiment_id, name, s.now()])
    return experiment_id


def create_experiment(s: Session, args: dict[str, Any]) -> str:
    return _ensure_experiment(s, str(args["name"]))


def create_run(s: Session, args: dict[str, Any]) -> None:
    if s.one("SELECT 1 FROM runs WHERE id = ?", [args["run_id"]]):
        return  # a retried create is a no-op
    # checked here too: a REST client or a journal line brings its own ops
    experiment = "Default" if args.get("experiment") is None else check_key(args["experiment"], "experiment")
    check_run_name(args["name"])
    experiment_id = _ensure_experiment(s, experiment)
    s.con.execute(
        "INSERT INTO runs (id, experiment_id, name, status, start_time, user_name, parent_run_id,"
        " source, host, pid, pid_start, owner, identity_provider) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?)",
        [args["run_id"], experiment_id, args["name"], args["start_time"], args.get("user"),
         args.get("parent_run_id"), args.get("source"), args.get("host"), args.get("pid"),
         args.get("pid_start"), args.get("owner", "process"), identity_provider(args)])
    # Metrics may precede their run (a create_run journaled while later points went straight through),
    # so their latest values are looked up: a scan of latest_metrics (~40 ms at 1M runs). A run whose
    # writes are queued in order with its points ("queued", see MetricBuffer.queue) has none of its own
    # before it; another writer's early points (a forked child's) are listed in early_metric_runs.
    look = not args.get("queued") or s.one("SELECT 1 FROM early_metric_runs WHERE run_id = ?",
                                           [args["run_id"]]) is not None
    latest = ("coalesce((SELECT map(list(key ORDER BY key), list(value ORDER BY key)) FROM latest_metrics"
              " WHERE run_id = ?), MAP {})") if look else "MAP {}"  # key order, as log_metrics writes them
    s.con.execute(
        "INSERT INTO run_summaries (run_id, experiment_id, experiment, name, status, start_time, user_name,"
        f" parent_run_id, source, owner, metrics) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, {latest})",
        [args["run_id"], experiment_id, experiment, args["name"],
         args["start_time"], args.get("user"), args.get("parent_run_id"), args.get("source"),
         args.get("owner", "process"), *([args["run_id"]] if look else [])])
    if look:  # (a create that looks anyway pays one more statement next to its scan)
        s.con.execute("DELETE FROM early_metric_runs WHERE run_id = ?", [args["run_id"]])
        _fill_metric_columns(s, args["run_id"])


def _fill_metric_columns(s: Session, run_id: str) -> None:
    """The typed metric columns of a run created after some of its points (rare: see ``create_run``)."""
    row = s.one("SELECT map_keys(metrics) FROM run_summaries WHERE run_id = ?", [run_id])
    keys = list(row[0]) if row and row[0] else []
    if not keys:
        return
    columns = search_columns.ensure(s, "metrics", keys)
    typed = [(columns[("metrics", key)], key) for key in keys if ("metrics", key) in columns]
    if typed:
        sets = ", ".join(f'"{name}" = {search_columns.expression("metrics")}' for name, _ in typed)
        s.con.execute(f"UPDATE run_summaries SET {sets} WHERE run_id = ?", [key for _, key in typed] + [run_id])


def _require_run(s: Session, run_id: str) -> None:
    if not s.one("SELECT 1 FROM runs WHERE id = ?", [run_id]):
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)


def _update_run(s: Session, sql: str, params: list[Any], run_id: str) -> None:
    """Run an UPDATE of one run's row; no row means no such run (and the batch rolls back).

    Counting the updated rows stands in for a separate existence check, so keeping
    ``run_summaries`` in step costs no extra statement where the check was.
    """
    row = s.one(sql, params)
    if not row or not row[0]:
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)


def end_run(s: Session, args: dict[str, Any]) -> None:
    status = args["status"]
    if status not in RUN_STATUSES[1:]:
        raise InvalidInputError(f"a run ends as finished, failed or killed, not {status!r}")
    values = [status, args.get("end_time", s.now()), args.get("reason"), args["run_id"]]
    _update_run(s, "UPDATE runs SET status = ?, end_time = ?, status_reason = ? WHERE id = ?", values,
                args["run_id"])
    s.con.execute("UPDATE run_summaries SET status = ?, end_time = ?, status_reason = ? WHERE run_id = ?",
                  values)


def reopen_run(s: Session, args: dict[str, Any]) -> None:
    """Make an ended run ``running`` again (MLflow's ``start_run(run_id=...)`` resumes a run)."""
    values = [args["run_id"]]
    _update_run(s, "UPDATE runs SET status = 'running', end_time = NULL, status_reason = NULL WHERE id = ?",
                values, args["run_id"])
    s.con.execute("UPDATE run_summaries SET status = 'running', end_time = NULL, status_reason = NULL "
                  "WHERE run_id = ?", values)


def rename_run(s: Session, args: dict[str, Any]) -> None:
    name = str(args["name"])
    if not name.strip():
        raise InvalidInputError("a run name cannot be empty")
    values = [name, args["run_id"]]
    _update_run(s, "UPDATE runs SET name = ? WHERE id = ?", values, args["run_id"])
    s.con.execute("UPDATE run_summaries SET name = ? WHERE run_id = ?", values)


def kill_runs(s: Session, args: dict[str, Any]) -> list[str]:
    """Mark running runs ``killed``: by ids, or every running run of an ``owner``."""
    if args.get("run_ids"):
        ids = list(args["run_ids"])
    else:
        ids = [r[0] for r in s.con.execute(
            "SELECT id FROM runs WHERE status = 'running' AND owner = ?", [args["owner"]]).fetchall()]
    if ids:
        values = [s.now(), args.get("reason", "the process that ran it died"), ids]
        s.con.execute(
            "UPDATE runs SET status = 'killed', end_time = ?, status_reason = ? "
            "WHERE status = 'running' AND list_contains(?, id)", values)
        s.con.execute(
            "UPDATE run_summaries SET status = 'killed', end_time = ?, status_reason = ? "
            "WHERE status = 'running' AND list_contains(?, run_id)", values)
    return ids


def as_number(text: str) -> float | None:
    """A param's value as a finite number (``params_num``), else ``None``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def log_params(s: Session, args: dict[str, Any]) -> None:
    run_id = args["run_id"]
    params: dict[str, str] = args["params"]
    if not params:
        _require_run(s, run_id)
        return
    existing = dict(s.con.execute(
        "SELECT key, value FROM params WHERE run_id = ? AND list_contains(?, key)",
        [run_id, list(params)]).fetchall())
    for key, value in params.items():
        if key in existing and existing[key] != value:
            raise ParamConflictError(
                f"param {key!r} of run {run_id} is already {existing[key][:80]!r}; params are immutable. "
                "Log the new value under another key or start a new run.", key=key)
    fresh = {k: v for k, v in params.items() if k not in existing}
    if not fresh:
        return  # every key is stored already, so the run exists
    numbers = [as_number(v) for v in fresh.values()]
    numeric = {k: n for k, n in zip(fresh, numbers) if n is not None}
    columns = search_columns.ensure(s, "params", fresh)
    typed = [(columns[(kind, key)], value) for key, text, number in zip(fresh, fresh.values(), numbers)
             for kind, value in (("params", text), ("params_num", number)) if (kind, key) in columns]
    _update_run(s, "UPDATE run_summaries SET params = map_concat(params, map(?::VARCHAR[], ?::VARCHAR[])), "
                "params_num = map_concat(params_num, map(?::VARCHAR[], ?::DOUBLE[]))"
                + "".join(f', "{name}" = ?' for name, _ in typed) + " WHERE run_id = ?",
                [list(fresh), list(fresh.values()), list(numeric), list(numeric.values()),
                 *(value for _, value in typed), run_id], run_id)
    # a few rows: list parameters and one statement (no Arrow, no executemany)
    s.con.execute("INSERT INTO params (run_id, key, value, value_num) SELECT ?, unnest(?::VARCHAR[]), "
                  "unnest(?::VARCHAR[]), unnest(?::DOUBLE[])", [run_id, list(fresh), list(fresh.values()), numbers])


def set_tags(s: Session, args: dict[str, Any]) -> None:
    run_id = args["run_id"]
    tags: dict[str, str] = args["tags"]
    if not tags:
        _require_run(s, run_id)
        return
    # map_concat keeps the last value of a key: an overwritten tag takes the new one
    _update_run(s, "UPDATE run_summaries SET tags = map_concat(tags, map(?::VARCHAR[], ?::VARCHAR[])) "
                "WHERE run_id = ?", [list(tags), list(tags.values()), run_id], run_id)
    s.con.execute("INSERT INTO tags (run_id, key, value) SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]) "
                  "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                  [run_id, list(tags), list(tags.values())])


def delete_tag(s: Session, args: dict[str, Any]) -> None:
    deleted = s.one("DELETE FROM tags WHERE run_id = ? AND key = ?", [args["run_id"], args["key"]])
    if deleted and deleted[0]:
        s.con.execute(
            "UPDATE run_summaries SET tags = coalesce("
            "(SELECT map(list(key), list(value)) FROM tags WHERE run_id = ?), MAP {}) WHERE run_id = ?",
            [args["run_id"], args["run_id"]])


def log_metrics(s: Session, args: dict[str, Any]) -> None:
    """Append metric points and refresh the latest value per (run, key).

    ``points`` is an Arrow table (``METRIC_SCHEMA``) or, for a few points, a mapping of five
    equal-length lists (``METRIC_COLUMNS``), inserted through list parameters in one statement
    (no pyarrow: a script logging one metric never imports it). The latest value is the point
    with the highest step (then the latest time). The (run, key) pairs whose latest value
    changed come back from the upsert and go into the run summaries in one statement per
    batch, never one per point.
    """
    columns = metric_columns(args["points"])
    params: list[Any] = []
    if columns is not None:
        if not columns["run_id"]:
            return
        params = [columns[name] for name in METRIC_COLUMNS]
        source = f"({_unnest_points()})"
        s.con.execute(f"INSERT INTO metrics (run_id, key, step, value, time) {_unnest_points()}", params)
    else:
        points: pa.Table = args["points"]
        if not points.schema.equals(_schema()):  # (Table.cast imports pyarrow.compute)
            points = points.cast(_schema())
        if points.num_rows == 0:
            return
        s.insert_table("metrics", points)
        source = "_mlm_points"
        s.con.register(source, points)
    try:
        changed = s.con.execute(f"""
            INSERT INTO latest_metrics
            SELECT run_id, key, step, value, time
            FROM (SELECT *, row_number() OVER (PARTITION BY run_id, key ORDER BY step DESC, time DESC) AS rank
                  FROM {source})
            WHERE rank = 1
            ON CONFLICT (run_id, key) DO UPDATE SET
                step = excluded.step, value = excluded.value, time = excluded.time
            WHERE excluded.step > latest_metrics.step
               OR (excluded.step = latest_metrics.step AND excluded.time >= latest_metrics.time)
            RETURNING run_id, key, value""", params).fetchall()
    finally:
        if columns is None:
            s.con.unregister(source)
    if changed:  # a few rows (one per changed run and key): plain lists beat an Arrow round trip
        by_run: dict[str, tuple[list[str], list[float]]] = {}
        # keys in name order, not RETURNING's hash order: runs that log the same metrics the same way
        # then hold them in one order, and a search frame pivots such runs by position (_shared_keys_grid)
        for run_id, key, value in sorted(changed, key=lambda row: (row[0], row[1])):
            keys, values = by_run.setdefault(run_id, ([], []))
            keys.append(key)
            values.append(value)
        # each changed key's typed column takes its new value (NaN as NULL); a run without it keeps its own
        typed_columns = search_columns.ensure(s, "metrics", sorted({key for _, key, _ in changed}))
        typed = sorted({(typed_columns[("metrics", key)], key) for _, key, _ in changed
                        if ("metrics", key) in typed_columns})
        updated = s.con.execute(
            "UPDATE run_summaries SET metrics = map_concat(run_summaries.metrics, map(u.keys, u.vals))"
            + "".join(f', "{name}" = CASE WHEN list_contains(u.keys, ?) THEN nullif(u.vals[list_position(u.keys, ?)],'
                      f" 'NaN'::DOUBLE) ELSE run_summaries.\"{name}\" END" for name, _ in typed)
            + " FROM (SELECT unnest(?::VARCHAR[]) AS run_id, unnest(?::VARCHAR[][]) AS keys, "
            "unnest(?::DOUBLE[][]) AS vals) u WHERE run_summaries.run_id = u.run_id RETURNING run_summaries.run_id",
            [*(key for _, key in typed for _ in range(2)),
             list(by_run), [k for k, _ in by_run.values()], [v for _, v in by_run.values()]]).fetchall()
        if len(updated) < len(by_run):  # points of runs not created yet: their create must look for them
            early = sorted(set(by_run) - {row[0] for row in updated})
            s.con.execute("INSERT INTO early_metric_runs SELECT unnest(?::VARCHAR[]) ON CONFLICT DO NOTHING", [early])


def log_artifact(s: Session, args: dict[str, Any]) -> None:
    _require_run(s, args["run_id"])
    s.con.execute(
        "INSERT INTO artifacts VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, path) DO UPDATE SET "
        "sha256 = excluded.sha256, size = excluded.size, created_at = excluded.created_at",
        [args["run_id"], args["path"], args["sha256"], args["size"], s.now()])


APPLIERS = {
    "create_experiment": create_experiment,
    "create_run": create_run,
    "end_run": end_run,
    "kill_runs": kill_runs,
    "reopen_run": reopen_run,
    "rename_run": rename_run,
    "log_params": log_params,
    "set_tags": set_tags,
    "delete_tag": delete_tag,
    "log_metrics": log_metrics,
    "log_artifact": log_artifact,
}
JOURNALABLE = frozenset({"create_run", "end_run", "kill_runs", "reopen_run", "rename_run", "log_params", "set_tags",
                         "delete_tag", "log_metrics", "log_artifact", "create_experiment"})


# ---------------------------------------------------------------- reads

_RUN_COLUMNS = (
    "r.id AS run_id, e.name AS experiment, r.name, r.status, r.status_reason, r.start_time, "
    "r.end_time, r.user_name, r.parent_run_id, r.source, r.owner")


def experiments(s: Session) -> list[dict[str, Any]]:
    return s.rows(
        "SELECT e.id, e.name, e.created_at, count(r.id) AS runs, max(r.start_time) AS last_run "
        "FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id "
        "GROUP BY e.id, e.name, e.created_at ORDER BY e.created_at")


def experiment_names(s: Session) -> list[dict[str, Any]]:
    """Each experiment's id and name, oldest first: ``experiments`` without the run counts, which
    read every run (a lookup by name or id needs no count, and at a million runs they cost)."""
    return s.rows("SELECT id, name FROM experiments ORDER BY created_at")


def run(s: Session, run_id: str) -> dict[str, Any]:
    rows = s.rows(f"SELECT {_RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id "
                  "WHERE r.id = ?", [run_id])
    if not rows:
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)
    record = rows[0]
    record["params"] = dict(s.con.execute(
        "SELECT key, value FROM params WHERE run_id = ? ORDER BY key", [run_id]).fetchall())
    record["metrics"] = dict(s.con.execute(
        "SELECT key, value FROM latest_metrics WHERE run_id = ? ORDER BY key", [run_id]).fetchall())
    record["tags"] = dict(s.con.execute(
        "SELECT key, value FROM tags WHERE run_id = ? ORDER BY key", [run_id]).fetchall())
    record["artifacts"] = s.rows(
        "SELECT path, sha256, size, created_at FROM artifacts WHERE run_id = ? ORDER BY path", [run_id])
    from mlm_jupyter.store.domains import run_details  # other domains add inputs, cell, provenance, ...

    for details in run_details():
        record.update(details(s, run_id))
    return record


def _page_schema() -> list[tuple[str, pa.DataType]]:
    import pyarrow as pa

    return [
        ("run_id", pa.string()), ("experiment", pa.string()), ("name", pa.string()), ("status", pa.string()),
        ("status_reason", pa.string()), ("start_time", pa.float64()), ("end_time", pa.float64()),
        ("user_name", pa.string()), ("parent_run_id", pa.string()), ("source", pa.string()), ("owner", pa.string()),
        ("params", pa.map_(pa.string(), pa.string())), ("metrics", pa.map_(pa.string(), pa.float64())),
        ("tags", pa.map_(pa.string(), pa.string())),
    ]
_DETAIL_COLUMNS = frozenset({"status_reason", "parent_run_id", "source", "owner"})


def search_where(filter: str | None, experiments: list[str] | None = None,
                 run_ids: list[str] | None = None,
                 columns: Mapping[tuple[str, str], str] | None = None) -> tuple[str, list[Any]]:
    """The WHERE condition over ``run_summaries s`` (and its parameters) of a run search; ``columns``: the
    store's typed search columns (``search_columns.for_search``), read instead of the maps where they exist."""
    where, params = compile_filter(filter or "", columns)
    conditions = [where]
    if experiments:
        conditions.append("list_contains(?, s.experiment)")
        params.append(list(experiments))
    if run_ids is not None:
        conditions.append("list_contains(?, s.run_id)")
        params.append(list(run_ids))
    return " AND ".join(f"({c})" for c in conditions), params


def search_runs(s: Session, filter: str | None = None, experiments: list[str] | None = None,
                order_by: list[str] | None = None, max_results: int = 1000, offset: int = 0,
                run_ids: list[str] | None = None, detail: bool = True, total: int | None = None) -> dict[str, Any]:
    """Matching runs (ordered, paged) plus their params, latest metrics and tags in long form.

    Everything comes from ``run_summaries`` (one row per run, values as maps), usually in a
    single query; see ``_matches_in_default_order`` and ``_top_matches`` for which query runs.
    ``detail=False`` leaves out status_reason, parent_run_id, source and owner (a DataFrame
    has no column for them, and every column read costs time over thousands of runs).
    ``total``: the number of matches when the caller already knows it for this filter, experiments
    and run ids (the server's count cache): no count runs. At a million runs the count is the
    costly part of a page (it evaluates the filter over every run).
    """
    where_sql, params = search_where(filter, experiments, run_ids, search_columns.for_search(s) if filter else None)
    limit, offset = max(int(max_results), 0), max(int(offset), 0)
    total = None if total is None else max(int(total), 0)
    import pyarrow as pa

    schema = [(name, type) for name, type in _page_schema() if detail or name not in _DETAIL_COLUMNS]
    select = f"SELECT {', '.join(f's.{name}' for name, _ in schema)} FROM run_summaries s"
    found = None
    if limit and not order_by:
        found = _matches_in_default_order(s, select, where_sql, params, offset + limit)
    if found is not None:  # every match, unordered, and the page's rows in order
        table, newest_first = found
        picked: Any = newest_first[offset:offset + limit]
        runs, total = table.select(table.column_names[:-3]).take(pa.array(picked)), table.num_rows
    else:
        page, total = _top_matches(s, select, where_sql, params, order_by or [], limit, offset, total)
        # no page (a count only): an empty one with the columns a page would have
        table = page if page is not None else pa.table({name: pa.array([], type) for name, type in schema})
        picked, runs = None, table.select(table.column_names[:-3])
    ids = runs.column("run_id").combine_chunks()
    return {"runs": runs, "params": _long(table, "params", ids, picked),
            "metrics": _long(table, "metrics", ids, picked), "tags": _long(table, "tags", ids, picked),
            "total": total}


def _matches_in_default_order(s: Session, select: str, where_sql: str, params: list[Any],
                              wanted: int) -> tuple[pa.Table, Any] | None:
    """Every match (unordered) and their row numbers newest first, when there are at most
    ``wanted``; else ``None``.

    Asks for one row more than wanted, unordered: DuckDB stops early when there are more,
    and when there are not, sorting the few matches in Arrow skips DuckDB's sort, which
    costs more than the rest of the query once the rows carry maps.
    """
    import pyarrow.compute as pc

    found = s.table(f"{select} WHERE {where_sql} LIMIT ?", [*params, wanted + 1])
    if found.num_rows > wanted or pc.any(pc.is_nan(found.column("start_time"))).as_py():
        return None  # NaN sorts first in DuckDB, last in Arrow: let DuckDB order it
    order = pc.sort_indices(found, [("start_time", "descending"), ("run_id", "ascending")])
    return found, order.to_numpy()


def _top_matches(s: Session, select: str, where_sql: str, params: list[Any], order_by: list[str],
                 limit: int, offset: int, known_total: int | None = None) -> tuple[pa.Table | None, int]:
    """One ordered page (DuckDB's top-N reads maps for the page's rows only) and the total.

    The count runs only when the page is full, since a short page already tells the total,
    and when the caller does not know it (``known_total``). No limit asks for the total
    alone (the page is ``None``).
    """
    page = None
    if limit and order_by and where_sql != "(TRUE)" and known_total is None:
        return _sorted_matches(s, select, where_sql, params, order_by, limit, offset)
    if limit:
        order_sql, order_params = compile_order_by(order_by, search_columns.for_search(s))
        page = s.table(f"{select} WHERE {where_sql} ORDER BY {order_sql} LIMIT ? OFFSET ?",
                       [*params, *order_params, limit, offset])
        if page.num_rows < limit and (page.num_rows or not offset):
            return page, offset + page.num_rows
    return page, known_total if known_total is not None else _count(s, where_sql, params)


def _sorted_matches(s: Session, select: str, where_sql: str, params: list[Any], order_by: list[str],
                    limit: int, offset: int) -> tuple[pa.Table | None, int]:
    """A filtered page in a chosen order and the total from one scan of the filter.

    The filter (map lookups over every run) is what costs at a million runs, and a separate
    count would evaluate it a second time. Here the scan keeps only ids and sort keys, counts
    the matches over them, and the page's full rows are then read by id (primary key).
    """
    import pyarrow as pa

    order_sql, order_params = compile_order_by(order_by, search_columns.for_search(s))
    found = s.con.execute(
        f"SELECT s.run_id, count(*) OVER () FROM run_summaries s WHERE {where_sql} "
        f"ORDER BY {order_sql} LIMIT ? OFFSET ?", [*params, *order_params, limit, offset]).fetchall()
    if not found:
        return None, _count(s, where_sql, params)
    ids = [run_id for run_id, _ in found]
    rows = s.table(f"{select} WHERE list_contains(?, s.run_id)", [ids])
    position = {run_id: i for i, run_id in enumerate(rows.column("run_id").to_pylist())}
    return rows.take(pa.array([position[run_id] for run_id in ids if run_id in position])), int(found[0][1])


def count_matches(s: Session, where_sql: str, params: list[Any]) -> int:
    """The number of runs matching ``search_where``'s condition (for other domains: ``runs_page``)."""
    return _count(s, where_sql, params)


def _count(s: Session, where_sql: str, params: list[Any]) -> int:
    """Every count of a run search goes through here (looked up at call time, so a test can watch them all)."""
    row = s.one(f"SELECT count(*) FROM run_summaries s WHERE {where_sql}", params)
    return int(row[0]) if row else 0


def _long(table: pa.Table, column: str, page_ids: pa.Array, picked: Any) -> pa.Table:
    """A map column as (run_id, key, value) rows of the page's runs.

    ``picked`` holds the page's row numbers in ``table`` in page order (``None``: the
    table is the page). ``run_id`` is dictionary-encoded over ``page_ids``: it reads as
    plain ids, and its indices give each row's position in the page for free.
    """
    import numpy as np
    import pyarrow as pa

    maps = table.column(column).combine_chunks()
    offsets = maps.offsets.to_numpy()  # keys and items ignore a slice; offsets do not
    start, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    rows = np.repeat(np.arange(len(maps), dtype=np.int32), np.diff(offsets))
    keys, values = maps.keys.slice(start, size), maps.items.slice(start, size)
    if picked is not None:  # renumber rows by page position, dropping rows off the page
        position = np.full(len(maps), -1, dtype=np.int32)
        position[picked] = np.arange(len(picked), dtype=np.int32)
        rows = position[rows]
        kept = rows >= 0
        if not kept.all():
            mask = pa.array(kept)
            keys, values, rows = keys.filter(mask), values.filter(mask), rows[kept]
    run_ids = pa.DictionaryArray.from_arrays(pa.array(rows, pa.int32()), page_ids)
    return pa.table({"run_id": run_ids, "key": keys, "value": values})


def metric_history(s: Session, run_id: str, key: str) -> pa.Table:
    return _in_step_order(s.table("SELECT step, value, time FROM metrics WHERE run_id = ? AND key = ?",
                                  [run_id, key]))


def _in_step_order(table: pa.Table) -> pa.Table:
    """Sort by (step, time) only when needed: points almost always arrive in step order,
    and DuckDB keeps insertion order for a plain scan, so checking is cheaper than ORDER BY."""
    import numpy as np
    import pyarrow as pa

    if table.num_rows < 2:
        return table
    steps = table.column("step").to_numpy()
    times = table.column("time").to_numpy()
    gaps = np.diff(steps)
    if bool(((gaps > 0) | ((gaps == 0) & (np.diff(times) >= 0))).all()):
        return table
    return table.take(pa.array(np.lexsort((times, steps))))


def metric_history_sampled(s: Session, run_id: str, key: str, max_points: int) -> dict[str, Any]:
    """At most ``max_points`` points of a series plus the stored total.

    The points are read as Arrow (a 1M-point series is a few milliseconds)
    and cut into equal buckets by position; each bucket keeps its lowest and
    highest value and the ends are always kept (``core.downsample``), so
    spikes and NaN gaps survive. Only the kept rows leave this function.
    """
    import pyarrow as pa

    from mlm_jupyter.core.downsample import min_max_indices

    points = _in_step_order(s.table("SELECT step, value, time FROM metrics WHERE run_id = ? AND key = ?",
                                    [run_id, key]))
    total = points.num_rows
    if total > max_points:
        points = points.take(pa.array(min_max_indices(points.column("value").to_numpy(), int(max_points))))
    return {"points": points, "count": total}


def metric_keys(s: Session, run_id: str) -> list[str]:
    return [r[0] for r in s.con.execute(
        "SELECT DISTINCT key FROM latest_metrics WHERE run_id = ? ORDER BY key", [run_id]).fetchall()]


def running_runs(s: Session, host: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT id, host, pid, pid_start, owner FROM runs WHERE status = 'running'"
    return s.rows(sql + " AND host = ?", [host]) if host else s.rows(sql)


def counts(s: Session) -> dict[str, int]:
    row = s.one(
        "SELECT (SELECT count(*) FROM experiments), (SELECT count(*) FROM runs), "
        "(SELECT count(*) FROM metrics), (SELECT count(*) FROM artifacts)")
    if row is None:  # pragma: no cover - a scalar query always returns a row
        return {}
    return {"experiments": row[0], "runs": row[1], "metric_points": row[2], "artifacts": row[3]}


READERS = {
    "experiments": experiments,
    "experiment_names": experiment_names,
    "run": run,
    "search_runs": search_runs,
    "metric_history": metric_history,
    "metric_history_sampled": metric_history_sampled,
    "metric_keys": metric_keys,
    "running_runs": running_runs,
    "counts": counts,
}
