"""run_summaries (one row per run, for search) stays equal to the runs, params, tags and latest metrics it mirrors."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.migrate import migrate
from mlm_jupyter.tracking.client import MlmClient

MIRRORED = ("experiment_id", "experiment", "name", "status", "status_reason", "start_time", "end_time",
            "user_name", "parent_run_id", "source", "owner")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = DuckDbStore(tmp_path / "s")
    yield opened
    opened.close()


def write(store: DuckDbStore, *ops: Op) -> None:
    store.write(WriteBatch(tuple(ops)))


def create(run_id: str, experiment: str = "exp") -> Op:
    return Op("create_run", {"run_id": run_id, "experiment": experiment, "name": f"name-{run_id}",
                             "start_time": time.time(), "user": "ann", "source": "train.py", "owner": "test"})


def points(run_id: str, key: str, steps: list[int], values: list[float], times: list[float] | None = None) -> Op:
    n = len(steps)
    return Op("log_metrics", {"points": pa.table({
        "run_id": [run_id] * n, "key": [key] * n, "step": steps, "value": values,
        "time": times if times is not None else [1.0] * n})})


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"  # NaN != NaN, but a NaN must round-trip as a NaN
    return value


def _mapping(pairs: Any) -> dict[str, Any]:
    return {key: _comparable(value) for key, value in (pairs or [])}


def summaries(store: DuckDbStore) -> dict[str, dict[str, Any]]:
    rows = store.sql("SELECT * FROM run_summaries", max_rows=1_000_000).to_pylist()
    return {row["run_id"]: {**{c: _comparable(row[c]) for c in MIRRORED},
                            **{m: _mapping(row[m]) for m in ("params", "params_num", "metrics", "tags")}}
            for row in rows}


def recomputed(store: DuckDbStore) -> dict[str, dict[str, Any]]:
    """What every summary must hold, read from the tables it mirrors."""
    def pairs(sql: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for row in store.sql(sql, max_rows=1_000_000).to_pylist():
            found.setdefault(row["run_id"], {})[row["key"]] = _comparable(row["value"])
        return found

    params = pairs("SELECT run_id, key, value FROM params")
    numbers = pairs("SELECT run_id, key, value_num AS value FROM params WHERE value_num IS NOT NULL")
    metrics = pairs("SELECT run_id, key, value FROM latest_metrics")
    tags = pairs("SELECT run_id, key, value FROM tags")
    runs = store.sql("SELECT r.*, e.name AS experiment FROM runs r JOIN experiments e ON e.id = r.experiment_id",
                     max_rows=1_000_000).to_pylist()
    return {run["id"]: {**{c: _comparable(run[c]) for c in MIRRORED},
                        "params": params.get(run["id"], {}), "params_num": numbers.get(run["id"], {}),
                        "metrics": metrics.get(run["id"], {}), "tags": tags.get(run["id"], {})}
            for run in runs}


def assert_consistent(store: DuckDbStore) -> dict[str, dict[str, Any]]:
    actual = summaries(store)
    assert actual == recomputed(store)
    assert_typed_columns_mirror_the_maps(store)
    return actual


def assert_typed_columns_mirror_the_maps(store: DuckDbStore) -> None:
    """Every typed search column (store.domains.search_columns) holds its key's map value in every run
    (a metric's NaN as NULL)."""
    listed = store.sql("SELECT kind, key, name FROM search_columns", max_rows=1_000_000).to_pylist()
    for row in store.sql("SELECT * FROM run_summaries", max_rows=1_000_000).to_pylist():
        for column in (c for c in listed if c["name"] in row):  # (a listed column that is gone is unlisted)
            value = dict(row[column["kind"]] or []).get(column["key"])
            if isinstance(value, float) and math.isnan(value):
                value = None
            assert row[column["name"]] == value, (row["run_id"], column)


def test_a_new_run_has_an_empty_summary(store: DuckDbStore) -> None:
    write(store, create("r1"))
    summary = assert_consistent(store)["r1"]
    assert summary["status"] == "running" and summary["experiment"] == "exp"
    assert summary["params"] == summary["metrics"] == summary["tags"] == {}


def test_params_logged_later_join_the_summary(store: DuckDbStore) -> None:
    write(store, create("r1"), Op("log_params", {"run_id": "r1", "params": {"lr": "0.1", "opt": "adam"}}))
    write(store, Op("log_params", {"run_id": "r1", "params": {"depth": "8", "lr": "0.1"}}))  # lr again: same value
    write(store, Op("log_params", {"run_id": "r1", "params": {"note": "inf"}}))
    summary = assert_consistent(store)["r1"]
    assert summary["params"] == {"lr": "0.1", "opt": "adam", "depth": "8", "note": "inf"}
    assert summary["params_num"] == {"lr": 0.1, "depth": 8.0}  # "inf" is text, as in params.value_num


def test_latest_metric_is_the_value_at_the_highest_step(store: DuckDbStore) -> None:
    write(store, create("r1"), points("r1", "loss", [0, 5], [1.0, 0.5]))
    write(store, points("r1", "loss", [2, 3], [9.0, 8.0]))  # lower steps after a higher one: no change
    assert assert_consistent(store)["r1"]["metrics"] == {"loss": 0.5}
    write(store, points("r1", "loss", [5], [0.25], times=[2.0]))  # same step, later time: replaces
    assert assert_consistent(store)["r1"]["metrics"] == {"loss": 0.25}
    write(store, points("r1", "loss", [7], [math.nan]), points("r1", "acc", [0], [math.inf]))
    assert assert_consistent(store)["r1"]["metrics"] == {"loss": "NaN", "acc": math.inf}


def test_one_batch_of_points_for_many_runs_and_keys(store: DuckDbStore) -> None:
    write(store, create("a"), create("b"))
    table = pa.table({"run_id": ["a", "a", "b", "a", "b"], "key": ["x", "x", "x", "y", "y"],
                      "step": [3, 1, 0, 0, 4], "value": [3.0, 1.0, 0.0, -1.0, 4.0], "time": [1.0] * 5})
    write(store, Op("log_metrics", {"points": table}))
    actual = assert_consistent(store)
    assert actual["a"]["metrics"] == {"x": 3.0, "y": -1.0} and actual["b"]["metrics"] == {"x": 0.0, "y": 4.0}


def test_metrics_logged_together_are_kept_in_name_order(store: DuckDbStore) -> None:
    """Runs that log the same metrics the same way hold them in one order (the search frame pivots by it)."""
    runs = [f"r{i}" for i in range(30)]
    write(store, *[create(run_id) for run_id in runs])
    keys = ["zeta", "alpha", "mid", "beta", "omega"]
    n = len(runs) * len(keys)
    write(store, Op("log_metrics", {"points": pa.table({
        "run_id": [r for r in runs for _ in keys], "key": keys * len(runs), "step": [0] * n,
        "value": [float(i) for i in range(n)], "time": [1.0] * n})}))
    orders = store.sql("SELECT map_keys(metrics) AS keys FROM run_summaries").column("keys").to_pylist()
    assert len(orders) == len(runs)
    assert {tuple(order) for order in orders} == {("alpha", "beta", "mid", "omega", "zeta")}


def test_tags_overwritten_and_deleted(store: DuckDbStore) -> None:
    write(store, create("r1"), Op("set_tags", {"run_id": "r1", "tags": {"stage": "dev", "team": "a"}}))
    write(store, Op("set_tags", {"run_id": "r1", "tags": {"stage": "prod"}}))
    assert assert_consistent(store)["r1"]["tags"] == {"stage": "prod", "team": "a"}
    write(store, Op("delete_tag", {"run_id": "r1", "key": "team"}))
    write(store, Op("delete_tag", {"run_id": "r1", "key": "never-set"}))
    assert assert_consistent(store)["r1"]["tags"] == {"stage": "prod"}
    write(store, Op("delete_tag", {"run_id": "r1", "key": "stage"}))
    assert assert_consistent(store)["r1"]["tags"] == {}


def test_status_follows_end_and_kill(store: DuckDbStore) -> None:
    write(store, create("r1"), create("r2"), create("r3"))
    write(store, Op("end_run", {"run_id": "r1", "status": "failed", "end_time": 5.0, "reason": "boom"}))
    write(store, Op("kill_runs", {"run_ids": ["r1", "r2"], "reason": "gone"}))  # r1 has ended: stays failed
    actual = assert_consistent(store)
    assert (actual["r1"]["status"], actual["r1"]["status_reason"]) == ("failed", "boom")
    assert (actual["r2"]["status"], actual["r3"]["status"]) == ("killed", "running")


def test_metrics_that_arrive_before_their_run(store: DuckDbStore) -> None:
    write(store, points("early", "loss", [0, 1], [0.9, 0.4]))
    write(store, create("early"))
    assert assert_consistent(store)["early"]["metrics"] == {"loss": 0.4}


def test_metrics_that_arrive_before_their_run_are_kept_in_name_order(store: DuckDbStore) -> None:
    for key in ("zeta", "alpha", "mid", "beta"):  # four batches: latest_metrics holds them in arrival order
        write(store, points("early", key, [0], [1.0]))
    write(store, create("early"))
    keys = store.sql("SELECT map_keys(metrics) AS keys FROM run_summaries WHERE run_id = 'early'").column("keys")
    assert keys.to_pylist() == [["alpha", "beta", "mid", "zeta"]]


def test_metrics_that_arrive_before_a_queued_create_of_their_run(store: DuckDbStore) -> None:
    # "queued": the client made the id and queued the create ahead of its own points, so the store skips the
    # look for earlier points. Another writer that knew the id (a forked child logging before the parent's
    # first flush) may still have stored some: they must reach the summary all the same.
    write(store, points("forked", "loss", [0, 3], [0.9, 0.2]), points("forked", "acc", [0], [0.5]))
    write(store, Op("create_run", {**create("forked").args, "queued": True}))
    write(store, points("forked", "acc", [1], [0.7]))
    assert assert_consistent(store)["forked"]["metrics"] == {"loss": 0.2, "acc": 0.7}
    write(store, Op("create_run", {**create("fresh").args, "queued": True}), points("fresh", "loss", [0], [1.0]))
    assert assert_consistent(store)["fresh"]["metrics"] == {"loss": 1.0}


def test_a_failed_batch_leaves_the_summary_untouched(store: DuckDbStore) -> None:
    write(store, create("r1"), Op("log_params", {"run_id": "r1", "params": {"lr": "0.1"}}))
    with pytest.raises(Exception):
        write(store, Op("set_tags", {"run_id": "r1", "tags": {"t": "1"}}),
              Op("log_params", {"run_id": "r1", "params": {"lr": "0.2"}}))  # conflicts: the batch rolls back
    assert assert_consistent(store)["r1"]["tags"] == {}


def test_a_replayed_batch_is_applied_once(store: DuckDbStore) -> None:
    write(store, create("r1"))
    batch = WriteBatch((Op("set_tags", {"run_id": "r1", "tags": {"k": "v"}}), points("r1", "m", [0], [1.0])))
    store.write(batch)
    store.write(batch)
    assert assert_consistent(store)["r1"]["tags"] == {"k": "v"}


def _data_at_schema_4(directory: Path) -> None:
    """A store as the release before run_summaries wrote it, with runs, params, tags and metrics."""
    directory.mkdir(parents=True)
    con = duckdb.connect(str(directory / "mlm.duckdb"))
    migrate(con, upto=4)
    con.execute("INSERT INTO experiments VALUES ('e1', 'old', 0), ('e2', 'other', 0)")
    con.execute("INSERT INTO runs (id, experiment_id, name, status, start_time, end_time, user_name, owner) VALUES "
                "('a', 'e1', 'first', 'finished', 1, 2, 'ann', 'process'), "
                "('b', 'e1', 'second', 'running', 3, NULL, NULL, 'process'), "
                "('c', 'e2', 'bare', 'failed', 4, 5, 'bob', 'process')")
    con.execute("INSERT INTO params VALUES ('a', 'lr', '0.1', 0.1), ('a', 'opt', 'adam', NULL), "
                "('b', 'lr', '0.01', 0.01)")
    con.execute("INSERT INTO latest_metrics VALUES ('a', 'auc', 3, 0.9, 1), ('b', 'auc', 1, 'NaN'::DOUBLE, 1)")
    con.execute("INSERT INTO metrics VALUES ('a', 'auc', 3, 0.9, 1), ('b', 'auc', 1, 'NaN'::DOUBLE, 1)")
    con.execute("INSERT INTO tags VALUES ('b', 'stage', 'dev')")
    con.close()


def test_migration_backfills_a_store_made_at_the_previous_schema(tmp_path: Path) -> None:
    _data_at_schema_4(tmp_path / "s")
    client = MlmClient(tmp_path / "s")
    try:
        actual = assert_consistent(client.store)
        assert actual["a"]["params"] == {"lr": "0.1", "opt": "adam"} and actual["a"]["params_num"] == {"lr": 0.1}
        assert actual["b"]["metrics"] == {"auc": "NaN"} and actual["b"]["tags"] == {"stage": "dev"}
        assert actual["c"]["params"] == actual["c"]["metrics"] == actual["c"]["tags"] == {}
        found = client.search_runs("params.lr < 0.05 or metrics.auc > 0.5", order_by=["attributes.name"])
        assert list(found["run_id"]) == ["a", "b"]  # NaN compares above every number, as before
        assert list(client.search_runs("not params.opt = 'adam'", experiment="old")["run_id"]) == ["b"]
        frame = client.search_runs(order_by=["params.lr"])
        assert list(frame["run_id"]) == ["b", "a", "c"] and math.isnan(frame["metrics.auc"][0])
        client.log_param("c", "lr", "0.5")  # the backfilled row takes writes like any other
        assert assert_consistent(client.store)["c"]["params_num"] == {"lr": 0.5}
    finally:
        client.close()


def test_a_store_written_before_the_migration_keeps_every_search_result(tmp_path: Path) -> None:
    """The same writes, once kept in step by the appliers and once rebuilt by the migration, search alike."""
    client = MlmClient(tmp_path / "s")
    filters = ["", "metrics.loss < 0.5", "params.depth >= 4 and tags.kind = 'tree'", "not params.depth = 4",
               "metrics.acc is null", "tags.kind like 't%'"]
    try:
        for index in range(12):
            run = client.create_run("sweep" if index % 3 else "other", tags={"kind": "tree" if index % 2 else "net"})
            client.log_params(run.id, {"depth": index % 5, "opt": "adam" if index % 4 else "sgd"})
            for step in range(3):
                client.log_metric(run.id, "loss", 1.0 / (index + step + 1), step=step)
            if index % 4 == 0:
                client.log_metric(run.id, "acc", math.nan)
            client.end_run(run.id, "finished" if index % 5 else "failed")
        before = [client.search_runs(f, order_by=order) for f in filters for order in ([], ["metrics.loss desc"])]
    finally:
        client.close()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))  # back to schema 4, data kept
    con.execute("DROP TABLE run_summaries")
    con.execute("DELETE FROM schema_version WHERE version = 5")
    con.close()
    client = MlmClient(tmp_path / "s")
    try:
        assert_consistent(client.store)
        after = [client.search_runs(f, order_by=order) for f in filters for order in ([], ["metrics.loss desc"])]
    finally:
        client.close()
    for old, new in zip(before, after):
        assert old.equals(new) and list(old.columns) == list(new.columns)
