"""An alias move under 200 concurrent requests: none fails, and versions mix only at the switch."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx
import pytest

from tests.serving.logged_rows import logged_ids
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.slow

CONCURRENCY = 200
BODY = {"dataframe_split": {"columns": ["age", "income"], "data": [[30, 61.5], [70, 40.0]]}}


@dataclass(frozen=True)
class Call:
    sent: float
    received: float
    status: int
    version: str | None
    error: str = ""
    request_id: str = ""


async def _load(url: str, move: Callable[[], None], *, settle: float = 1.0, timeout: float = 45.0) -> list[Call]:
    """CONCURRENCY clients post in a loop; ``move`` runs after ``settle`` s; stop once every client saw v2."""
    calls: list[Call] = []
    counter = itertools.count()
    moved = asyncio.Event()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            seen_new = False
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not (seen_new and moved.is_set()):
                sent = time.monotonic()
                error = ""
                request_id = f"r{next(counter)}"
                try:
                    response = await client.post("/invocations", json=BODY, headers={"X-Request-Id": request_id})
                    status, version = response.status_code, response.headers.get("X-Model-Version")
                except httpx.HTTPError as exc:
                    status, version, error = -1, None, f"{type(exc).__name__}: {exc}"
                calls.append(Call(sent, time.monotonic(), status, version, error, request_id))
                seen_new = seen_new or version == "2"

        async def mover() -> None:
            await asyncio.sleep(settle)
            await asyncio.to_thread(move)
            moved.set()

        await asyncio.gather(mover(), *(worker() for _ in range(CONCURRENCY)))
    return calls


def test_alias_move_under_load_loses_no_request_and_switches_once(store_copy: Callable[[], Path]) -> None:
    from mlm_jupyter.tracking.client import MlmClient

    store = store_copy()

    def move() -> None:
        client = MlmClient(store)
        try:
            client.set_alias("churn", "production", 2, reason="switch under load")
        finally:
            client.close()

    with ServeProcess(store, "models:/churn@production", "--poll-interval", "0.2") as server:
        calls = asyncio.run(_load(server.url, move))
        meta = httpx.get(f"{server.url}/metadata").json()
    assert meta["version"] == 2 and meta["alias"] == "production"
    assert len(calls) >= CONCURRENCY * 2
    failed = [c for c in calls if c.status != 200]
    assert not failed, f"{len(failed)} of {len(calls)} requests failed"
    assert {c.version for c in calls} == {"1", "2"}
    first_new = min(c.received for c in calls if c.version == "2")
    old_after_switch = [c for c in calls if c.version == "1" and c.sent > first_new]
    assert not old_after_switch, f"{len(old_after_switch)} requests sent after the switch were served by v1"
    # both versions answer only while requests sent before the switch finish: one request's time at most
    last_old = max(c.received for c in calls if c.version == "1")
    assert last_old - first_new <= max(c.received - c.sent for c in calls)
    # every logged row carries the version that answered its request
    logged = logged_ids(store, "churn")
    rows = len(BODY["dataframe_split"]["data"])
    for call in calls:
        assert all(logged[(f"{call.request_id}:{row}", int(str(call.version)))] == 1 for row in range(rows)), call
    assert sum(logged.values()) == rows * len(calls)
