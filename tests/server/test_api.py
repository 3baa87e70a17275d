"""The public REST API against a real in-process Jupyter server with the extension."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from mlm_jupyter.tracking.client import MlmClient


def server_client(mlm_app: Any) -> MlmClient:
    """A client on the server's own store (what a kernel would reach over REST)."""
    return mlm_app.context.client


def seed(mlm_app: Any) -> dict[str, str]:
    client = server_client(mlm_app)
    ids = {}
    for index, (experiment, depth) in enumerate([("churn", 4), ("churn", 8), ("churn", 12), ("fraud", 8)]):
        run = client.create_run(experiment, name=f"run-{index}", tags={"stage": "baseline" if depth < 10 else "deep"})
        client.log_params(run.id, {"max_depth": depth, "criterion": "gini"})
        client.log_metric(run.id, "val_auc", 0.8 + depth / 100, step=0)
        client.log_metric(run.id, "loss", float("nan") if index == 3 else 1.0 / depth, step=0)
        client.flush()
        client.end_run(run.id)
        ids[f"run{index}"] = run.id
    return ids


async def test_version_and_status(api: Any, mlm_app: Any) -> None:
    import mlm_jupyter

    status, body = await api("version")
    assert (status, body) == (200, {"version": mlm_jupyter.__version__, "api": 1})
    status, body = await api("status")
    assert status == 200 and body["store"]["backend"] == "duckdb" and body["store"]["mode"] == "owner"
    assert body["counts"]["runs"] == 0


async def test_experiments_lists_runs_per_experiment(api: Any, mlm_app: Any) -> None:
    seed(mlm_app)
    status, body = await api("experiments")
    assert status == 200
    assert {e["name"]: e["runs"] for e in body["experiments"]} == {"churn": 3, "fraud": 1}


async def test_runs_search_filter_order_and_paging(api: Any, mlm_app: Any) -> None:
    ids = seed(mlm_app)
    status, body = await api("runs", params={"experiment": "churn", "filter": "params.max_depth >= 8",
                                             "order_by": "metrics.val_auc desc"})
    assert status == 200, body
    assert body["total"] == 2
    assert [r["id"] for r in body["runs"]] == [ids["run2"], ids["run1"]]
    first = body["runs"][0]
    assert {"id", "name", "status", "experiment", "start_time", "end_time", "metrics", "params", "tags"} <= set(first)
    assert first["status"] == "finished" and first["params"]["max_depth"] == "12"
    assert math.isclose(first["metrics"]["val_auc"], 0.92)
    status, page = await api("runs", params={"order_by": "attributes.name asc", "offset": "1", "limit": "2"})
    assert status == 200 and page["total"] == 4 and [r["name"] for r in page["runs"]] == ["run-1", "run-2"]


async def test_nan_metric_is_null_in_json(api: Any, mlm_app: Any) -> None:
    ids = seed(mlm_app)
    status, body = await api("runs", ids["run3"])
    assert status == 200 and body["metrics"]["loss"] is None and body["metric_keys"] == ["loss", "val_auc"]


async def test_bad_filter_is_400_with_code(api: Any, mlm_app: Any) -> None:
    status, body = await api("runs", params={"filter": "metrics.auc >>> 3"})
    assert status == 400 and body["code"] == "INVALID_QUERY" and "column" in body["message"]
    status, body = await api("runs", params={"limit": "lots"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"
    status, body = await api("runs", params={"limit": "-1"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"


async def test_one_run_has_everything(api: Any, mlm_app: Any) -> None:
    client = server_client(mlm_app)
    run = client.create_run("churn", name="full", tags={"stage": "x"})
    client.log_params(run.id, {"lr": 0.1})
    client.log_text(run.id, "hello", "notes.txt")
    client.log_metric(run.id, "acc", 0.5, step=1)
    client.flush()
    status, body = await api("runs", run.id)
    assert status == 200
    assert body["id"] == run.id and body["status"] == "running" and body["params"] == {"lr": "0.1"}
    assert body["tags"] == {"stage": "x"} and body["metrics"] == {"acc": 0.5}
    assert body["artifacts"][0]["path"] == "notes.txt" and len(body["artifacts"][0]["sha256"]) == 64
    assert "staleness" in body and "inputs" in body and "cell" in body


async def test_unknown_run_is_404_with_code(api: Any, mlm_app: Any) -> None:
    for parts in (("runs", "nope"), ("runs", "nope", "metrics", "loss")):
        status, body = await api(*parts)
        assert status == 404 and body["code"] == "NOT_FOUND" and "nope" in body["message"]


async def test_metric_history_full_and_downsampled(api: Any, mlm_app: Any) -> None:
    client = server_client(mlm_app)
    run = client.create_run("curves")
    values = np.sin(np.arange(10_000) / 100.0)
    values[5_000] = 50.0  # a spike must survive downsampling
    client.log_metric_batch(run.id, "train/loss", values)
    status, body = await api("runs", run.id, "metrics", "train/loss", params={"max_points": "200"})
    assert status == 200, body
    assert body["count"] == 10_000 and 2 <= len(body["points"]) <= 200
    steps = [p[0] for p in body["points"]]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 9_999
    assert max(p[1] for p in body["points"]) == 50.0
    status, full = await api("runs", run.id, "metrics", "train/loss")
    assert status == 200 and full["count"] == 10_000 and len(full["points"]) == 10_000
    assert [len(p) for p in full["points"][:2]] == [3, 3]
    status, body = await api("runs", run.id, "metrics", "train/loss", params={"max_points": "0"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"
    status, body = await api("runs", run.id, "metrics", "missing")
    assert status == 200 and body == {**body, "count": 0, "points": []}


async def test_artifact_by_sha256(api: Any, mlm_app: Any, jp_fetch: Any) -> None:
    client = server_client(mlm_app)
    run = client.create_run("art")
    sha = client.log_text(run.id, "payload", "a.txt")
    response = await jp_fetch("mlm", "api", "artifacts", sha)
    assert response.code == 200 and response.body == b"payload"
    assert response.headers["Content-Type"] == "application/octet-stream"
    status, body = await api("artifacts", "0" * 64)
    assert status == 404 and body["code"] == "NOT_FOUND"


async def test_compare_runs(api: Any, mlm_app: Any) -> None:
    ids = seed(mlm_app)
    status, body = await api("compare", params={"runs": f"{ids['run0']},{ids['run1']}"})
    assert status == 200, body
    assert body["params"]["differ"] == ["max_depth"]
    assert body["params"]["values"]["max_depth"] == {ids["run0"]: "4", ids["run1"]: "8"}
    assert "val_auc" in body["metrics"]["differ"] and body["code"][0]["same"] is True
    status, body = await api("compare", params={"runs": f"{ids['run0']},nope"})
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, body = await api("compare")
    assert status == 400


async def test_unknown_route_is_404_with_code(api: Any) -> None:
    status, body = await api("no", "such", "thing")
    assert status == 404 and body["code"] == "NOT_FOUND"


async def test_reads_are_not_blocked_behind_a_write(api: Any, mlm_app: Any, jp_fetch: Any) -> None:
    """While a write holds the store's write lock, searches still answer."""
    import threading

    seed(mlm_app)
    store = mlm_app.context.store
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store._lock:
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    holding.wait(5)
    try:
        started = time.monotonic()
        status, body = await api("runs", params={"limit": "10"})
        assert status == 200 and body["total"] == 4
        status, _ = await api("runs", body["runs"][0]["id"])
        assert status == 200
        assert time.monotonic() - started < 10
        assert writer.is_alive()  # the write was still in progress the whole time
    finally:
        release.set()
        writer.join()
