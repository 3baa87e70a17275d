"""Another process on the same store finds the live server and goes through its REST API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = """
import mlm_jupyter as mlm
client = mlm.get_client()
print(client.store.describe()["backend"])
with mlm.start_run(experiment="scripted", name="from-script") as run:
    mlm.log_param("source", "script")
    for step in range(500):
        mlm.log_metric("loss", 1.0 / (step + 1), step=step)
print(run.id)
"""


async def run_script(env: dict[str, str]) -> list[str]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, env=env,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode().split()


async def test_a_script_on_the_servers_store_uses_the_server(jp_serverapp: Any, mlm_app: Any, store_dir: Path,
                                                             http_server_client: Any) -> None:
    await mlm_app._start_jupyter_server_extension(jp_serverapp)
    env = {**os.environ, "MLM_STORE": str(store_dir)}
    env.pop("JPY_PARENT_PID", None)
    backend, run_id = await run_script(env)
    assert backend == "rest"
    store = mlm_app.context.store
    run = store.read("run", run_id=run_id)
    assert run["status"] == "finished" and run["params"] == {"source": "script"}
    assert store.read("metric_history", run_id=run_id, key="loss").num_rows == 500


async def test_a_kernel_of_this_server_trusts_its_parent(jp_serverapp: Any, mlm_app: Any, store_dir: Path,
                                                         http_server_client: Any) -> None:
    await mlm_app._start_jupyter_server_extension(jp_serverapp)
    env = {**os.environ, "JPY_PARENT_PID": str(os.getpid())}  # what a kernel started by this server sees
    assert env["MLM_STORE"] == str(store_dir)
    backend, run_id = await run_script(env)
    assert backend == "rest"
    assert mlm_app.context.store.read("run", run_id=run_id)["status"] == "finished"


async def test_without_a_record_a_script_would_open_the_file(store_dir: Path, mlm_app: Any) -> None:
    from mlm_jupyter.store.discovery import discover_server_store

    assert discover_server_store(store_dir) is None  # loaded but not yet listening: no record
