"""A server whose extension cannot open the store (a script holds the file) says why (503) and poses as no owner."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import mlm_server_config

pytestmark = pytest.mark.slow


@pytest.fixture
def locked_store(store_dir: Path) -> Iterator[Path]:
    """Another process holds the store's DuckDB file (what a long script without a server does)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(store_dir / 'mlm.duckdb')!r})\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield store_dir
    holder.kill()
    holder.wait(10)


@pytest.fixture
def jp_server_config(locked_store: Path) -> Any:
    config = mlm_server_config(locked_store)
    config.ServerApp.reraise_server_extension_failures = False
    config.MlmServer.lock_timeout = 0.5
    return config


async def test_no_record_no_context_and_a_503_that_says_why(jp_serverapp: Any, locked_store: Path, api: Any,
                                                              jp_fetch: Any) -> None:
    app = jp_serverapp.extension_manager.extension_points["mlm_jupyter"].app
    await app._start_jupyter_server_extension(jp_serverapp)  # what the server calls after binding the port
    assert app.context is None
    assert not (locked_store / "server.json").exists()  # a script looking for the writer is not misled
    for route in (("version",), ("runs",), ("models", "m", "aliases")):
        status, body = await api(*route)
        assert status == 503 and body["code"] == "STORE_UNREACHABLE", route
        assert "could not open its store" in body["message"] and "locked" in body["message"]
    # unauthenticated requests still get 403, not the store's path
    from tornado.httpclient import HTTPClientError

    try:
        await jp_fetch("mlm", "api", "version", headers={"Authorization": ""})
    except HTTPClientError as error:
        assert error.code == 403
    else:
        raise AssertionError("an unauthenticated request was answered")
