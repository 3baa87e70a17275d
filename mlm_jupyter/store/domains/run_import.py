"""Runs in bulk: ``import_runs`` stores whole runs (attributes, params, tags, metric points) set-wise.

Updating a run's summary row once per op is fine for one run, but thousands
of such updates in one transaction slow DuckDB down to seconds per run. Runs
that arrive whole (an import, the benchmark's seeding, or a queue of short
runs that started and ended between two flushes) are instead inserted with a
handful of statements for the whole batch, whatever its size. ``fold``
rewrites a queue of ops so that every run created in it goes this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlm_jupyter.store.contract import Op
from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.store.domains.runs import RUN_STATUSES, as_number, metric_columns
from mlm_jupyter.store.lazy_schemas import LazySchemas
from mlm_jupyter.store.session import Session

if TYPE_CHECKING:  # imported where runs are stored in bulk; importing the domain imports no pyarrow
    import pyarrow as pa

__all__ = ["APPLIERS", "FOLD_FROM_RUNS", "JOURNALABLE", "PARAM_SCHEMA", "RUN_SCHEMA", "TAG_SCHEMA", "fold",
           "import_runs"]

# A queue that creates fewer runs is applied op by op: a script's one run needs no Arrow tables
# (and no pyarrow import); the bulk path pays off from a couple of runs on.
FOLD_FROM_RUNS = 2


def _schemas() -> dict[str, pa.Schema]:
    import pyarrow as pa

    params = pa.schema([("run_id", pa.string()), ("key", pa.string()), ("value", pa.string())])
    return {
        "RUN_SCHEMA": pa.schema([
            ("run_id", pa.string()), ("experiment", pa.string()), ("name", pa.string()), ("status", pa.string()),
            ("status_reason", pa.string()), ("start_time", pa.float64()), ("end_time", pa.float64()),
            ("user_name", pa.string()), ("parent_run_id", pa.string()), ("source", pa.string()),
            ("host", pa.string()), ("pid", pa.int32()), ("pid_start", pa.float64()), ("owner", pa.string()),
        ]),
        "PARAM_SCHEMA": params,
        "TAG_SCHEMA": params,
    }


_SCHEMAS = LazySchemas(__name__, _schemas, ("RUN_SCHEMA", "PARAM_SCHEMA", "TAG_SCHEMA"))
__getattr__ = _SCHEMAS.module_getattr


def _schema(name: str) -> pa.Schema:
    if name == "METRIC_SCHEMA":
        from mlm_jupyter.store.domains.runs import METRIC_SCHEMA

        return METRIC_SCHEMA
    return _SCHEMAS[name]


def _as(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``; a table already in it is not cast (``Table.cast`` imports ``pyarrow.compute``,
    ~50-100 ms that a script logging one metric would pay at exit)."""
    return table if table.schema.equals(schema) else table.cast(schema)


def import_runs(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Insert whole runs; runs whose id is already stored are skipped (a retried import changes nothing).

    Args (Arrow tables): ``runs`` (``RUN_SCHEMA``), ``params`` and ``tags``
    (run_id, key, value), ``points`` (run_id, key, step, value, time). Returns
    ``{"imported": n, "skipped": [ids of runs already stored]}``.
    """
    from mlm_jupyter.core.arrow_columns import column

    RUN_SCHEMA, PARAM_SCHEMA, TAG_SCHEMA, METRIC_SCHEMA = (  # noqa: N806 -- the module's schema names
        _schema(n) for n in ("RUN_SCHEMA", "PARAM_SCHEMA", "TAG_SCHEMA", "METRIC_SCHEMA"))
    import pyarrow as pa

    runs = _as(args["runs"], RUN_SCHEMA)
    if runs.num_rows == 0:
        return {"imported": 0, "skipped": []}
    bad = set(runs.column("status").to_pylist()) - set(RUN_STATUSES)
    if bad:
        from mlm_jupyter.core.errors import InvalidInputError

        raise InvalidInputError(f"a run's status is one of {', '.join(RUN_STATUSES)}, not {sorted(bad)[0]!r}")
    params = args.get("params")
    params = _as(params, PARAM_SCHEMA) if params is not None else PARAM_SCHEMA.empty_table()
    numbers: dict[str, float | None] = {}  # sweeps repeat values: parse each distinct text once
    texts = params.column("value").to_pylist()
    for text in texts:
        if text not in numbers:
            numbers[text] = as_number(text)
    params = params.append_column("value_num", column([numbers[t] for t in texts], pa.float64()))
    tags = args.get("tags")
    tags = _as(tags, TAG_SCHEMA) if tags is not None else TAG_SCHEMA.empty_table()
    points = args.get("points")
    points = _as(points, METRIC_SCHEMA) if points is not None else METRIC_SCHEMA.empty_table()
    con = s.con
    names = {"_imp_runs": runs, "_imp_params": params, "_imp_tags": tags, "_imp_points": points}
    for name, table in names.items():
        con.register(name, table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _imp_new AS SELECT r.* FROM _imp_runs r "
                    "WHERE r.run_id NOT IN (SELECT id FROM runs)")
        new = int(con.execute("SELECT count(*) FROM _imp_new").fetchall()[0][0])
        skipped = [] if new == runs.num_rows else [row[0] for row in con.execute(
            "SELECT run_id FROM _imp_runs WHERE run_id NOT IN (SELECT run_id FROM _imp_new)").fetchall()]
        if new:
            con.execute("INSERT INTO experiments SELECT replace(gen_random_uuid()::VARCHAR, '-', ''), x, ? "
                        "FROM (SELECT DISTINCT coalesce(experiment, 'Default') AS x FROM _imp_new) "
                        "WHERE x NOT IN (SELECT name FROM experiments)", [s.now()])
            con.execute(
                "INSERT INTO runs (id, experiment_id, name, status, status_reason, start_time, end_time, user_name,"
                " parent_run_id, source, host, pid, pid_start, owner) "
                "SELECT n.run_id, e.id, n.name, n.status, n.status_reason, n.start_time, n.end_time, n.user_name,"
                " n.parent_run_id, n.source, n.host, n.pid, n.pid_start, coalesce(n.owner, 'process') "
                "FROM _imp_new n JOIN experiments e ON e.name = coalesce(n.experiment, 'Default')")
            con.execute("INSERT INTO params SELECT p.run_id, p.key, any_value(p.value), any_value(p.value_num) "
                        "FROM _imp_params p SEMI JOIN _imp_new n ON n.run_id = p.run_id GROUP BY p.run_id, p.key")
            con.execute("INSERT INTO tags SELECT t.run_id, t.key, last(t.value) "
                        "FROM _imp_tags t SEMI JOIN _imp_new n ON n.run_id = t.run_id GROUP BY t.run_id, t.key")
            con.execute("INSERT INTO metrics SELECT p.run_id, p.key, p.step, p.value, p.time "
                        "FROM _imp_points p SEMI JOIN _imp_new n ON n.run_id = p.run_id")
            con.execute(
                "INSERT INTO latest_metrics SELECT run_id, key, step, value, time FROM ("
                " SELECT p.*, row_number() OVER (PARTITION BY p.run_id, p.key ORDER BY p.step DESC, p.time DESC) AS k"
                " FROM _imp_points p SEMI JOIN _imp_new n ON n.run_id = p.run_id) WHERE k = 1")
            # the summaries are built from the imported rows (never a scan of the stored params), each map
            # in key order: runs with the same keys then hold them alike, and a search frame pivots by position;
            # the typed search columns (search_columns) are read off the same maps
            typed = _typed_columns(s, _distinct(params.column("key")), _distinct(points.column("key")))
            typed_names = "".join(f', "{name}"' for name, _, _ in typed)
            typed_values = "".join(f", {expression}" for _, expression, _ in typed)
            con.execute(f"""
                INSERT INTO run_summaries (run_id, experiment_id, experiment, name, status, status_reason,
                    start_time, end_time, user_name, parent_run_id, source, owner, params, params_num, metrics,
                    tags{typed_names})
                WITH pk AS (
                    SELECT i.run_id, i.key, any_value(i.value) AS value, any_value(i.value_num) AS value_num
                    FROM _imp_params i SEMI JOIN _imp_new n ON n.run_id = i.run_id GROUP BY i.run_id, i.key),
                p AS (
                    SELECT run_id, map(list(key ORDER BY key), list(value ORDER BY key)) AS params,
                           map(list(key ORDER BY key) FILTER (WHERE value_num IS NOT NULL),
                               list(value_num ORDER BY key) FILTER (WHERE value_num IS NOT NULL)) AS params_num
                    FROM pk GROUP BY run_id),
                lm AS (
                    SELECT run_id, key, value FROM (
                        SELECT i.*, row_number() OVER (PARTITION BY i.run_id, i.key
                                                       ORDER BY i.step DESC, i.time DESC) AS k
                        FROM _imp_points i SEMI JOIN _imp_new n ON n.run_id = i.run_id) WHERE k = 1),
                m AS (SELECT run_id, map(list(key ORDER BY key), list(value ORDER BY key)) AS metrics
                      FROM lm GROUP BY run_id),
                tk AS (SELECT i.run_id, i.key, last(i.value) AS value
                       FROM _imp_tags i SEMI JOIN _imp_new n ON n.run_id = i.run_id GROUP BY i.run_id, i.key),
                t AS (SELECT run_id, map(list(key ORDER BY key), list(value ORDER BY key)) AS tags
                      FROM tk GROUP BY run_id)
                SELECT n.run_id, e.id, e.name, n.name, n.status, n.status_reason, n.start_time, n.end_time,
                       n.user_name, n.parent_run_id, n.source, coalesce(n.owner, 'process'),
                       coalesce(p.params, MAP {{}}), coalesce(p.params_num, MAP {{}}),
                       coalesce(m.metrics, MAP {{}}), coalesce(t.tags, MAP {{}}){typed_values}
                FROM _imp_new n
                JOIN experiments e ON e.name = coalesce(n.experiment, 'Default')
                LEFT JOIN p ON p.run_id = n.run_id
                LEFT JOIN m ON m.run_id = n.run_id
                LEFT JOIN t ON t.run_id = n.run_id""", [key for _, _, key in typed])
        con.execute("DROP TABLE IF EXISTS _imp_new")
    finally:
        for name in names:
            con.unregister(name)
    return {"imported": new, "skipped": skipped}


def _distinct(keys: Any) -> list[str]:
    """The distinct keys of an Arrow column, sorted (computed here: a query would cost more per import)."""
    return sorted(set(keys.unique().to_pylist()))


def _typed_columns(s: Session, param_keys: list[str], metric_keys: list[str]) -> list[tuple[str, str, str]]:
    """The typed search columns the imported runs fill: ``(column, SQL reading it off the summary's maps, key)``,
    after adding columns for the imported keys that have none (``search_columns.ensure``). The keys may
    include those of runs already stored (skipped): a column for a key the store holds is no harm."""
    search_columns.ensure(s, "params", param_keys)
    columns = search_columns.ensure(s, "metrics", metric_keys)
    wanted = {("params", key) for key in param_keys} | {("params_num", key) for key in param_keys} | {
        ("metrics", key) for key in metric_keys}
    tables = {"params": "p", "params_num": "p", "metrics": "m"}  # the import's CTEs that hold each map
    return [(name, search_columns.expression(kind, tables[kind]), key)
            for (kind, key), name in sorted(columns.items(), key=lambda item: item[1]) if (kind, key) in wanted]


def fold(ops: list[Op]) -> list[Op]:
    """Rewrite a queue of ops so that runs created in it are stored by one ``import_runs``.

    The writes of those runs (params, tags, their metric points, end) join
    the import; ops on other runs keep their order after it. A param logged
    twice with different values stays a separate op, so the store still
    refuses it as a conflict.
    """
    import pyarrow as pa

    from mlm_jupyter.core.arrow_columns import column, table

    RUN_SCHEMA, PARAM_SCHEMA, METRIC_SCHEMA = (  # noqa: N806 -- the module's schema names
        _schema(n) for n in ("RUN_SCHEMA", "PARAM_SCHEMA", "METRIC_SCHEMA"))
    fresh: dict[str, dict[str, Any]] = {}
    rest: list[Op] = []
    fresh_points: list[pa.Table] = []
    provenance: list[dict[str, Any]] = []  # the fresh runs' git/environment records, stored set-wise
    for op in ops:
        args = op.args
        run = fresh.get(str(args.get("run_id"))) if "run_id" in args else None
        if op.kind == "create_run" and args["run_id"] not in fresh:
            fresh[args["run_id"]] = {"args": args, "params": {}, "tags": {}, "status": "running",
                                     "end_time": None, "reason": None}
        elif op.kind == "log_params" and run is not None:
            clash = {k: v for k, v in args["params"].items() if k in run["params"] and run["params"][k] != v}
            run["params"].update({k: v for k, v in args["params"].items() if k not in run["params"]})
            if clash:
                rest.append(Op("log_params", {"run_id": args["run_id"], "params": clash}))
        elif op.kind == "set_tags" and run is not None:
            run["tags"].update(args["tags"])
        elif op.kind == "delete_tag" and run is not None:
            run["tags"].pop(args["key"], None)
        elif op.kind == "log_provenance" and run is not None:
            provenance.append(dict(args))
        elif op.kind == "end_run" and run is not None:
            run.update(status=args["status"], end_time=args.get("end_time"), reason=args.get("reason"))
        elif op.kind == "log_metrics" and fresh:
            points: pa.Table = args["points"]
            columns = metric_columns(points)
            if columns is not None:  # a small flush's plain columns
                points = table(columns, METRIC_SCHEMA)
            mine = [i for i, run_id in enumerate(points.column("run_id").to_pylist()) if run_id in fresh]
            if len(mine) == points.num_rows:
                fresh_points.append(points)
                continue
            if mine:
                fresh_points.append(points.take(column(mine, pa.int64())))
                taken = set(mine)
                points = points.take(column([i for i in range(points.num_rows) if i not in taken], pa.int64()))
            rest.append(Op("log_metrics", {"points": points}))
        else:
            rest.append(op)
    if not fresh:
        return rest
    records = [r["args"] for r in fresh.values()]
    runs = table({
        "run_id": [a["run_id"] for a in records],
        "experiment": [str(a.get("experiment") or "Default") for a in records],
        "name": [a["name"] for a in records],
        "status": [r["status"] for r in fresh.values()],
        "status_reason": [r["reason"] for r in fresh.values()],
        "start_time": [a["start_time"] for a in records],
        "end_time": [r["end_time"] for r in fresh.values()],
        "user_name": [a.get("user") for a in records],
        "parent_run_id": [a.get("parent_run_id") for a in records],
        "source": [a.get("source") for a in records],
        "host": [a.get("host") for a in records],
        "pid": [a.get("pid") for a in records],
        "pid_start": [a.get("pid_start") for a in records],
        "owner": [a.get("owner", "process") for a in records],
    }, RUN_SCHEMA)

    def long(field: str) -> pa.Table:
        rows = [(run_id, k, v) for run_id, r in fresh.items() for k, v in r[field].items()]
        return table({"run_id": [x[0] for x in rows], "key": [x[1] for x in rows],
                      "value": [x[2] for x in rows]}, PARAM_SCHEMA)

    points = pa.concat_tables([_as(t, METRIC_SCHEMA) for t in fresh_points]) if fresh_points \
        else METRIC_SCHEMA.empty_table()
    folded = [Op("import_runs", {"runs": runs, "params": long("params"), "tags": long("tags"), "points": points})]
    if provenance:
        folded.append(Op("log_provenances", {"items": provenance}))
    return [*folded, *rest]


_PROVENANCE_COLUMNS = 10


def log_provenances(s: Session, args: dict[str, Any]) -> None:
    """Many runs' ``log_provenance`` at once: each distinct environment once, the runs' rows in a few
    statements (one upsert per run cost ~4-8 ms, more than the rest of a short run)."""
    import json

    items = list(args["items"])
    environments: dict[str, dict[str, Any]] = {}
    for item in items:
        environment = item.get("environment")
        if environment and environment.get("packages") is not None:
            environments.setdefault(environment["digest"], environment)
    for digest, environment in environments.items():
        s.con.execute("INSERT INTO environments VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                      [digest, environment["python"], environment.get("implementation"), environment["platform"],
                       json.dumps(environment["packages"], sort_keys=True), s.now()])
    latest: dict[str, list[Any]] = {}  # a run recorded twice in the batch keeps its last record
    for item in items:
        git, environment = item.get("git") or {}, item.get("environment")
        latest[str(item["run_id"])] = [
            str(item["run_id"]), git.get("commit"), git.get("branch"), git.get("remote"), git.get("dirty"),
            git.get("diff_sha256"), git.get("diff_size"), git.get("diff_truncated"), git.get("root"),
            environment.get("digest") if environment else None]
    rows = list(latest.values())
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        values = ", ".join(["(?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::BOOLEAN, ?::VARCHAR, ?::BIGINT, "
                            "?::BOOLEAN, ?::VARCHAR, ?::VARCHAR)"] * len(chunk))
        s.con.execute(
            f"INSERT INTO run_provenance SELECT * FROM (VALUES {values}) ON CONFLICT (run_id) DO UPDATE SET "
            "git_commit = excluded.git_commit, git_branch = excluded.git_branch, git_remote = excluded.git_remote, "
            "git_dirty = excluded.git_dirty, git_diff_sha256 = excluded.git_diff_sha256, "
            "git_diff_size = excluded.git_diff_size, git_diff_truncated = excluded.git_diff_truncated, "
            "git_root = excluded.git_root, environment_digest = excluded.environment_digest",
            [value for row in chunk for value in row])


APPLIERS = {"import_runs": import_runs, "log_provenances": log_provenances}
JOURNALABLE = frozenset(APPLIERS)
