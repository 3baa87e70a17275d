"""SIGTERM mid-load: every request that was answered is in the prediction log exactly once."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from pathlib import Path
from typing import Callable

import httpx
import pytest

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
