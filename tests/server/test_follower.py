"""A second Jupyter server on a store a live server owns goes through that server (no lock error)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import mlm_server_config

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from server_process import JupyterServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def owner(tmp_path: Path, store_dir: Path) -> Iterator[JupyterServerProcess]:
    process = JupyterServerProcess(tmp_path / "owner", store_dir).start()
    yield process
    process.stop()


@pytest.fixture
def jp_server_config(store_dir: Path, owner: JupyterServerProcess) -> Any:
    config = mlm_server_config(store_dir)
    config.MlmServer.lock_timeout = 2.0  # were it to fight for the file, fail fast
    return config


async def test_second_server_serves_the_store_through_its_owner(api: Any, mlm_app: Any, owner: Any,
                                                               store_dir: Path) -> None:
    assert mlm_app.following
    status, body = await api("status")
    assert status == 200 and body["store"]["mode"] == "follower" and body["store"]["backend"] == "rest"
    created = owner.post("mlm/api/store/write", {"id": "b1", "ops": [
        {"kind": "create_run", "args": {"run_id": "r-owner", "experiment": "shared", "name": "from-owner",
                                        "start_time": 1.0}}]})
    assert created.status_code == 200, created.text
    status, body = await api("runs", params={"experiment": "shared"})
    assert status == 200 and [r["name"] for r in body["runs"]] == ["from-owner"]
    # a kernel of this server writes through it: the owner has the run
    status, body = await api("store", "write", method="POST", body=json.dumps({"id": "b2", "ops": [
        {"kind": "create_run", "args": {"run_id": "r-follower", "experiment": "shared", "name": "from-follower",
                                        "start_time": 2.0, "owner": "kernel:k1"}}]}))
    assert status == 200, body
    seen = owner.get("mlm/api/runs", params={"experiment": "shared"}).json()
    assert {r["name"] for r in seen["runs"]} == {"from-owner", "from-follower"}
    # the follower marks the runs of its kernels killed at the owner
    assert mlm_app.context.store.kill_owned_runs("kernel:k1", "kernel k1 was shut down") == ["r-follower"]
    assert owner.get("mlm/api/runs/r-follower").json()["status"] == "killed"
    # the owner's record stays, so scripts keep finding the writer
    assert json.loads((store_dir / "server.json").read_text())["url"] == owner.url
