"""DuckDbStore: migrations, exactly-once batches, journal replay, corrupt and newer stores, raw SQL."""

from __future__ import annotations

import math
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from mlm_jupyter.core.errors import (
    CorruptStoreError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    ParamConflictError,
    PermissionDeniedError,
    SchemaTooNewError,
    StoreBusyError,
)
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.migrate import known_migrations, migrate
from mlm_jupyter.tracking.client import MlmClient


def new_run(store: DuckDbStore, run_id: str = "r1", experiment: str = "exp") -> None:
    store.write(WriteBatch.of(Op("create_run", {"run_id": run_id, "experiment": experiment, "name": run_id,
                                                "start_time": time.time(), "owner": "test"})))


def points(run_id: str, key: str, values: list[float]) -> pa.Table:
    n = len(values)
    return pa.table({"run_id": [run_id] * n, "key": [key] * n, "step": list(range(n)), "value": values,
                     "time": [time.time()] * n})


def test_a_new_store_is_created_at_the_current_schema(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    MlmClient(store).create_run(experiment="first")  # the first write creates the file
    store.close()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    con.close()
    assert versions == [m.version for m in known_migrations()]


def test_a_v1_store_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))
    assert migrate(con, upto=1) == 1
    con.execute("INSERT INTO experiments VALUES ('e1', 'old', 0)")
    con.execute("INSERT INTO runs (id, experiment_id, name, status, start_time) "
                "VALUES ('old-run', 'e1', 'from v1', 'finished', 1)")
    con.close()
    store = DuckDbStore(tmp_path / "s")
    assert store.read("run", run_id="old-run")["name"] == "from v1"
    store.close()


def test_a_store_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    path = tmp_path / "s" / "mlm.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    con.execute("INSERT INTO schema_version VALUES (9999, 'future', 0)")
    con.close()
    with pytest.raises(SchemaTooNewError, match="Upgrade mlm-jupyter"):
        DuckDbStore(tmp_path / "s").read("counts")
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] == 9999
    con.close()


def test_a_corrupt_store_file_is_refused_and_left_as_is(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    path = tmp_path / "s" / "mlm.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        DuckDbStore(tmp_path / "s").read("counts")
    assert path.read_bytes() == b"this is not a database" * 100


def test_a_batch_is_applied_exactly_once(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    batch = WriteBatch.of(Op("log_metrics", {"points": points("r1", "loss", [3.0, 2.0, 1.0])}))
    store.write(batch)
    store.write(batch)  # a retry after a timeout, or a journal replay
    history = store.read("metric_history", run_id="r1", key="loss")
    assert history.column("value").to_pylist() == [3.0, 2.0, 1.0]
    store.close()


def test_a_failing_op_rolls_back_the_whole_batch(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"lr": "0.1"}})))
    with pytest.raises(ParamConflictError, match="immutable"):
        store.write(WriteBatch.of(Op("set_tags", {"run_id": "r1", "tags": {"t": "x"}}),
                                  Op("log_params", {"run_id": "r1", "params": {"lr": "0.2"}})))
    assert store.read("run", run_id="r1")["tags"] == {}
    store.close()


def test_nan_and_infinity_round_trip(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    store.write(WriteBatch.of(Op("log_metrics", {"points": points("r1", "m", [math.nan, math.inf, -math.inf])})))
    values = store.read("metric_history", run_id="r1", key="m").column("value").to_pylist()
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf]
    store.close()


def test_latest_metric_is_the_highest_step_even_when_logged_out_of_order(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    late = pa.table({"run_id": ["r1"], "key": ["acc"], "step": [10], "value": [0.9], "time": [1.0]})
    early = pa.table({"run_id": ["r1"], "key": ["acc"], "step": [3], "value": [0.5], "time": [2.0]})
    store.write(WriteBatch.of(Op("log_metrics", {"points": late})))
    store.write(WriteBatch.of(Op("log_metrics", {"points": early})))
    assert store.read("run", run_id="r1")["metrics"] == {"acc": 0.9}
    store.close()


def test_journal_is_replayed_exactly_once_on_next_open(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    store.close()
    batch = WriteBatch.of(Op("log_metrics", {"points": points("r1", "loss", [1.0, 2.0])}))
    journal = DuckDbStore(tmp_path / "s").journal
    journal.append(batch)
    journal.append(batch)  # the same batch journaled twice is still applied once
    reopened = DuckDbStore(tmp_path / "s")
    assert reopened.read("metric_history", run_id="r1", key="loss").num_rows == 2
    assert reopened.journal.count() == 0
    reopened.close()


def test_unknown_ids_and_queries_give_clear_errors(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    with pytest.raises(NotFoundError, match="no run with id"):
        store.read("run", run_id="nope")
    with pytest.raises(InvalidInputError, match="unknown store read"):
        store.read("no_such_query")
    with pytest.raises(InvalidInputError, match="unknown store operation"):
        store.write(WriteBatch.of(Op("no_such_op", {})))
    store.close()


def test_raw_sql_is_read_only_and_cannot_touch_files(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    assert store.sql("SELECT count(*) AS n FROM runs").column("n").to_pylist() == [1]
    with pytest.raises(PermissionDeniedError, match="read-only"):
        store.sql("DELETE FROM runs")
    with pytest.raises(PermissionDeniedError):
        store.sql("COPY runs TO '/tmp/leak.csv'")
    with pytest.raises(PermissionDeniedError, match="read_csv"):  # refused before DuckDB names any path
        store.sql("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(InvalidInputError, match="exactly one"):
        store.sql("SELECT 1; SELECT 2")
    assert store.sql("SELECT * FROM range(100)", max_rows=7).num_rows == 7
    store.close()


def test_blobs_are_content_addressed_and_verified(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    sha = store.put_blob(b"hello")
    assert sha == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.read_blob(sha) == b"hello"
    (tmp_path / "s" / "artifacts" / sha[:2] / sha).write_bytes(b"tampered")
    with pytest.raises(IntegrityError, match="corrupt"):
        store.read_blob(sha)
    with pytest.raises(InvalidInputError):
        store.open_blob("../../etc/passwd")
    store.close()


def test_a_locked_file_makes_reads_wait_then_fail_clearly_and_writes_journal(tmp_path: Path) -> None:
    holder = DuckDbStore(tmp_path / "s", hold_seconds=None)
    new_run(holder)
    # another process holds the file: simulate with a second, short-timeout store in a child process
    import subprocess
    import sys

    code = f"""
import time, pyarrow as pa
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.core.errors import StoreBusyError
store = DuckDbStore({str(tmp_path / 's')!r}, lock_timeout=0.3)
try:
    store.read("counts")
except StoreBusyError as error:
    print("busy:", "stays locked" in str(error))
table = pa.table({{"run_id": ["r1"], "key": ["k"], "step": [0], "value": [1.0], "time": [1.0]}})
print("journaled:", store.write(WriteBatch.of(Op("log_metrics", {{"points": table}}))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "busy: True" in out.stdout, out.stderr
    assert "journaled: [None]" in out.stdout
    assert holder.journal.count() == 1
    holder.close()
    reopened = DuckDbStore(tmp_path / "s")
    assert reopened.read("metric_history", run_id="r1", key="k").num_rows == 1
    reopened.close()


def test_busy_error_is_an_mlm_error() -> None:
    assert issubclass(StoreBusyError, Exception) and StoreBusyError.code == "STORE_BUSY"


def test_a_migration_missing_below_the_newest_is_still_applied(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))
    migrate(con)
    newest = known_migrations()[-1]
    skipped = known_migrations()[1] if len(known_migrations()) > 2 else None
    if skipped is None:
        pytest.skip("needs at least three migrations")
    tables_before = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    # simulate a store made by a build that lacked the second migration
    con.close()
    (tmp_path / "s" / "mlm.duckdb").unlink()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))
    migrate(con, upto=1)
    for migration in known_migrations()[2:]:
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, 0)", [migration.version, migration.name])
    con.close()
    store = DuckDbStore(tmp_path / "s")
    store.read("counts")
    store.close()
    con = duckdb.connect(str(tmp_path / "s" / "mlm.duckdb"))
    tables_after = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    versions = {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()}
    con.close()
    assert skipped.version in versions and newest.version in versions
    assert tables_after == tables_before


def test_metric_history_comes_back_in_step_order_even_when_logged_out_of_order(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s")
    new_run(store)
    for step in (5, 1, 3):
        store.write(WriteBatch.of(Op("log_metrics", {"points": pa.table(
            {"run_id": ["r1"], "key": ["k"], "step": [step], "value": [float(step)], "time": [1.0]})})))
    assert store.read("metric_history", run_id="r1", key="k").column("step").to_pylist() == [1, 3, 5]
    sampled = store.read("metric_history_sampled", run_id="r1", key="k", max_points=2)
    assert sampled["count"] == 3 and sampled["points"].column("step").to_pylist() == [1, 5]
    store.close()
