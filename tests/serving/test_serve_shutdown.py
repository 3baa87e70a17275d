"""SIGTERM mid-load: every request that was answered is in the prediction log exactly once."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
import signal
import time
from pathlib import Path
from typing import Callable

import httpx
import pytest
from click.testing import CliRunner

from tests.serving.logged_rows import logged_ids
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.slow

BODY = {"dataframe_split": {"columns": ["age", "income"], "data": [[30, 61.5], [70, 40.0], [50, 50.0]]}}


async def _load_then_sigterm(server: ServeProcess, concurrency: int = 50, sigterm_after: float = 2.0,
                             timeout: float = 40.0) -> tuple[set[str], set[str]]:
    """Clients post until the server stops answering; SIGTERM after ``sigterm_after`` s. Returns (sent, answered)."""
    sent: set[str] = set()
    answered: set[str] = set()
    counter = itertools.count()
    stop = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        async def worker() -> None:
            while time.monotonic() < stop:
                request_id = f"r{next(counter)}"
                sent.add(request_id)
                try:
                    response = await client.post("/invocations", json=BODY, headers={"X-Request-Id": request_id})
                except httpx.HTTPError:
                    return  # the server has stopped listening
                if response.status_code == 200:
                    assert response.headers["X-Request-Id"] == request_id
                    answered.add(request_id)

        async def terminate() -> None:
            await asyncio.sleep(sigterm_after)
            server.process.send_signal(signal.SIGTERM)

        await asyncio.gather(terminate(), *(worker() for _ in range(concurrency)))
    return sent, answered


@pytest.mark.parametrize(("workers", "shadow"), [(1, True), (2, False)], ids=["1-worker-with-shadow", "2-workers"])
def test_sigterm_mid_load_logs_every_answered_request_exactly_once(store_copy: Callable[[], Path],
                                                                   workers: int, shadow: bool) -> None:
    store = store_copy()
    extra = ("--shadow", "models:/churn@challenger") if shadow else ()
    server = ServeProcess(store, "models:/churn@production", "--workers", str(workers), *extra).wait_ready(120)
    sent, answered = asyncio.run(_load_then_sigterm(server))
    # uvicorn re-raises SIGTERM once its graceful shutdown is complete
    assert server.wait_exit(60) in (0, -signal.SIGTERM), server.log()
    assert "Application shutdown complete" in server.log()
    assert len(answered) >= 20, f"only {len(answered)} requests were answered before SIGTERM"
    logged = logged_ids(store, "churn")
    rows = len(BODY["dataframe_split"]["data"])
    duplicates = {key: n for key, n in logged.items() if n != 1}
    assert not duplicates, f"{len(duplicates)} rows logged more than once"
    logged_requests = {row_id.rpartition(":")[0] for row_id, _ in logged}
    assert answered <= logged_requests, f"{len(answered - logged_requests)} answered requests were not logged"
    assert logged_requests <= sent
    versions = {1, 2} if shadow else {1}
    assert {version for _, version in logged} == versions
    for request_id in answered:  # the challenger (v2) scored the same rows, off the response path
        assert all((f"{request_id}:{row}", v) in logged for row in range(rows) for v in versions)
    if shadow:
        _compare_after_labels(store, logged)


def _compare_after_labels(store: Path, logged: Counter[tuple[str, int]]) -> None:
    """Labels arrive for the shadowed rows; ``mlm monitor compare`` pairs both versions on them."""
    import numpy as np
    import pandas as pd

    from mlm_jupyter.cli.main import cli
    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.tracking.monitor import Monitor

    frame = pd.DataFrame(BODY["dataframe_split"]["data"], columns=BODY["dataframe_split"]["columns"])
    client = MlmClient(store)
    try:
        pred = {v: client.load_model(f"models:/churn/{v}").predict(frame) for v in (1, 2)}
        truth = np.array([0, 1, 1])  # whatever the models say, these are the labels of the three rows
        paired = sorted({row_id for row_id, v in logged if v == 1} & {row_id for row_id, v in logged if v == 2})
        with Monitor("models:/churn/1", client=client) as observed:
            observed.log_labels(paired, [int(truth[int(row_id.rpartition(":")[2])]) for row_id in paired])
    finally:
        client.close()
    result = CliRunner().invoke(cli, ["--store", str(store), "monitor", "compare", "churn@production",
                                      "churn@challenger", "--json"], obj={})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    rows = [int(row_id.rpartition(":")[2]) for row_id in paired]
    expected_agreement = float(np.mean([pred[1][r] == pred[2][r] for r in rows]))
    accuracy = {v: float(np.mean([pred[v][r] == truth[r] for r in rows])) for v in (1, 2)}
    assert report["paired_rows"] == report["labelled_rows"] == len(paired)
    assert report["agreement"] == pytest.approx(expected_agreement)
    assert report["metric"] == "accuracy"
    assert (report["metric_a"], report["metric_b"]) == (pytest.approx(accuracy[1]), pytest.approx(accuracy[2]))
    assert report["difference"] == pytest.approx(accuracy[1] - accuracy[2])
    assert report["difference_low"] <= report["difference"] <= report["difference_high"]
