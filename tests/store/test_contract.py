"""One Store contract suite, run against DuckDbStore and against RestStore talking to a real server.

The REST case starts a pytest-jupyter server with the extension on the
test's store; the suite's blocking calls run in a thread while the test's
event loop serves them (``LoopDriven``).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_serverapp and friends for the REST case)
from traitlets.config import Config

from mlm_jupyter.core.errors import (
    InvalidInputError,
    NotFoundError,
    ParamConflictError,
    PermissionDeniedError,
    QuerySyntaxError,
    StoreError,
)
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.rest_store import RestStore
from tests.in_process_server import LoopDriven, mlm_server_config


@pytest.fixture
def jp_server_config(store_dir: Path) -> Config:
    return mlm_server_config(store_dir)


@pytest.fixture(params=["duckdb", "rest"])
def store(request: pytest.FixtureRequest, store_dir: Path) -> Iterator[Any]:
    if request.param == "duckdb":
        backend = DuckDbStore(store_dir)
        yield backend
        backend.close()
        return
    server = request.getfixturevalue("jp_serverapp")
    loop = request.getfixturevalue("jp_asyncio_loop")
    request.getfixturevalue("http_server_client")  # binds the port
    url = f"http://127.0.0.1:{server.port}{server.base_url}"
    backend = RestStore(url, token=server.identity_provider.token, directory=store_dir)
    yield LoopDriven(backend, loop)
    backend.close()


def new_run(store: Any, run_id: str = "r1", experiment: str = "exp") -> None:
    store.write(WriteBatch.of(Op("create_run", {"run_id": run_id, "experiment": experiment, "name": run_id,
                                                "start_time": time.time(), "owner": "test"})))


def points(run_id: str, key: str, values: list[float], start: int = 0) -> pa.Table:
    n = len(values)
    return pa.table({"run_id": [run_id] * n, "key": [key] * n, "step": np.arange(start, start + n),
                     "value": pa.array(values, pa.float64()), "time": np.full(n, time.time())})


def test_write_returns_one_result_per_op(store: Any) -> None:
    results = store.write(WriteBatch.of(Op("create_experiment", {"name": "a"}), Op("create_experiment", {"name": "b"})))
    assert len(results) == 2 and all(isinstance(r, str) for r in results) and results[0] != results[1]


def test_a_batch_is_applied_exactly_once(store: Any) -> None:
    new_run(store)
    batch = WriteBatch.of(Op("log_metrics", {"points": points("r1", "loss", [1.0, 2.0, 3.0])}))
    store.write(batch)
    store.write(batch)  # a retry after a timeout
    assert store.read("metric_history", run_id="r1", key="loss").num_rows == 3


def test_a_failing_batch_applies_nothing_and_keeps_its_error_class(store: Any) -> None:
    new_run(store)
    store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"lr": "0.1"}})))
    with pytest.raises(ParamConflictError):
        store.write(WriteBatch.of(Op("set_tags", {"run_id": "r1", "tags": {"t": "1"}}),
                                  Op("log_params", {"run_id": "r1", "params": {"lr": "0.2"}})))
    assert store.read("run", run_id="r1")["tags"] == {}
    with pytest.raises(NotFoundError):
        store.write(WriteBatch.of(Op("end_run", {"run_id": "nope", "status": "finished"})))
    with pytest.raises(InvalidInputError):
        store.write(WriteBatch.of(Op("no_such_op", {})))


def test_named_reads_and_their_errors(store: Any) -> None:
    new_run(store, "r1", "churn")
    run = store.read("run", run_id="r1")
    assert run["run_id"] == "r1" and run["experiment"] == "churn" and run["status"] == "running"
    with pytest.raises(NotFoundError):
        store.read("run", run_id="missing")
    with pytest.raises(InvalidInputError):
        store.read("no_such_read")
    result = store.read("search_runs", filter="attributes.status = 'running'", experiments=["churn"])
    assert result["total"] == 1 and isinstance(result["runs"], pa.Table)
    assert result["runs"].column("run_id").to_pylist() == ["r1"]


def test_non_finite_metrics_round_trip(store: Any) -> None:
    new_run(store)
    store.write(WriteBatch.of(Op("log_metrics", {"points": points("r1", "x", [math.nan, math.inf, -math.inf, 0.5])})))
    values = store.read("metric_history", run_id="r1", key="x").column("value").to_pylist()
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 0.5]


def test_a_page_of_runs_is_plain_data_with_non_finite_metrics_and_the_count(store: Any) -> None:
    for run_id in ("r1", "r2", "r3"):
        new_run(store, run_id, "paged")
    for run_id, value in (("r1", math.nan), ("r2", math.inf), ("r3", -math.inf)):
        store.write(WriteBatch.of(Op("log_metrics", {"points": points(run_id, "loss", [0.5, value])})))
    page = store.read("runs_page", experiments=["paged"], order_by=["attributes.name asc"], max_results=2)
    assert page["total"] == 3 and [run["id"] for run in page["runs"]] == ["r1", "r2"]
    assert math.isnan(page["runs"][0]["metrics"]["loss"]) and page["runs"][1]["metrics"] == {"loss": math.inf}
    assert type(page["runs"][0]) is dict and page["runs"][0]["status"] == "running"  # no Arrow on the way
    last = store.read("runs_page", experiments=["paged"], order_by=["attributes.name asc"], max_results=2, offset=2)
    assert last["total"] == 3 and last["runs"][0]["metrics"] == {"loss": -math.inf}
    with pytest.raises(QuerySyntaxError):
        store.read("runs_page", filter="metrics.loss >")


def test_a_large_metric_batch(store: Any) -> None:
    new_run(store)
    values = np.random.default_rng(0).random(200_000).tolist()
    store.write(WriteBatch.of(Op("log_metrics", {"points": points("r1", "big", values)})))
    history = store.read("metric_history", run_id="r1", key="big")
    assert history.num_rows == 200_000 and history.column("value").to_pylist()[-1] == values[-1]


def test_blobs_are_content_addressed(store: Any, tmp_path: Path) -> None:
    import hashlib

    data = b"model bytes \x00\xff" * 1000
    sha = store.put_blob(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.put_blob(data) == sha and store.has_blob(sha)
    assert store.read_blob(sha) == data
    with store.open_blob(sha) as handle:
        assert handle.read() == data
    file = tmp_path / "weights.bin"
    file.write_bytes(b"w" * 3_000_000)
    assert store.put_file(file) == hashlib.sha256(file.read_bytes()).hexdigest()
    assert not store.has_blob("0" * 64)
    with pytest.raises(NotFoundError):
        store.open_blob("0" * 64)
    with pytest.raises(InvalidInputError):
        store.open_blob("../mlm.duckdb")


def test_sql_is_read_only_and_limited(store: Any) -> None:
    new_run(store, "r1")
    new_run(store, "r2")
    table = store.sql("SELECT id FROM runs WHERE id = ?", ["r2"])
    assert table.column("id").to_pylist() == ["r2"]
    assert store.sql("SELECT * FROM range(50)", max_rows=7).num_rows == 7
    with pytest.raises(PermissionDeniedError):
        store.sql("DELETE FROM runs")
    with pytest.raises(InvalidInputError):
        store.sql("SELEC nothing")
    assert store.read("counts")["runs"] == 2


def test_describe_and_close(store: Any) -> None:
    described = store.describe()
    assert described["backend"] in ("duckdb", "rest") and "pending_journal" in described
    store.close()
    with pytest.raises(StoreError):
        store.read("counts")


def test_reads_with_large_arguments(store: Any) -> None:
    """Over REST, arguments too long for a URL go in a POST body; the answer is the same."""
    for index in range(3):
        new_run(store, f"run-{index}")
    wanted = ["run-1", *(f"missing-{i:04d}" for i in range(600)), "run-2"]
    result = store.read("search_runs", run_ids=wanted, order_by=["attributes.name asc"])
    assert result["total"] == 2 and result["runs"].column("run_id").to_pylist() == ["run-1", "run-2"]
