"""A real Jupyter server with the extension, two kernels started through its API and a script,
all logging to one store at once; one kernel is killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client import BlockingKernelClient

sys.path.insert(0, str(Path(__file__).parent))
from server_process import JupyterServerProcess  # noqa: E402

pytestmark = pytest.mark.slow
STEPS = 1500

TRACKED_CELL = """
import os, time
os.environ["MLM_RUN_OWNER"] = "kernel:{kernel_id}"   # what the kernel extension sets
import mlm_jupyter as mlm
run = mlm.start_run(experiment="integration", name="{name}")
print("RUN", run.id, os.getpid(), mlm.get_client().store.describe()["backend"], flush=True)
for step in range({steps}):
    mlm.log_metrics({{"loss": 1.0 / (step + 1), "acc": step / {steps}}}, step=step)
    if step % 50 == 0:
        mlm.get_client().flush()
        time.sleep({pause})
mlm.end_run()
print("DONE", flush=True)
"""

SCRIPT = f"""
import mlm_jupyter as mlm
with mlm.start_run(experiment="integration", name="script") as run:
    print("RUN", run.id, mlm.get_client().store.describe()["backend"], flush=True)
    for step in range({STEPS}):
        mlm.log_metric("loss", 1.0 / (step + 1), step=step)
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[JupyterServerProcess]:
    process = JupyterServerProcess(tmp_path, tmp_path / "store").start()
    yield process
    process.stop()


def start_kernel(server: JupyterServerProcess) -> tuple[str, BlockingKernelClient]:
    response = server.post("api/kernels", {"name": "python3"})
    assert response.status_code == 201, response.text
    kernel_id = response.json()["id"]
    client = BlockingKernelClient(connection_file=str(server.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels(hb=False)  # no manager here: a heartbeat-less client waits on kernel_info
    client.wait_for_ready(timeout=60)
    return kernel_id, client


def read_output(client: BlockingKernelClient, marker: str, timeout: float = 60) -> list[str]:
    """Wait on iopub until a stream line starting with ``marker``; returns that line's words."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=deadline - time.monotonic())
        if message["msg_type"] == "stream":
            for line in message["content"]["text"].splitlines():
                if line.startswith(marker):
                    return line.split()
        if message["msg_type"] == "error":
            raise AssertionError("\n".join(message["content"]["traceback"]))
    raise TimeoutError(marker)


def metric(server: JupyterServerProcess, run_id: str, key: str) -> dict[str, Any]:
    response = server.get(f"mlm/api/runs/{run_id}/metrics/{key}")
    assert response.status_code == 200, response.text
    return response.json()


def test_two_kernels_and_a_script_lose_nothing_and_a_killed_kernel_run_is_killed(
        server: JupyterServerProcess) -> None:
    survivor_id, survivor = start_kernel(server)
    victim_id, victim = start_kernel(server)
    try:
        survivor.execute(TRACKED_CELL.format(kernel_id=survivor_id, name="survivor", steps=STEPS, pause=0.01))
        victim.execute(TRACKED_CELL.format(kernel_id=victim_id, name="victim", steps=100_000, pause=0.02))
        script = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SCRIPT)],
                                  env={**os.environ, "MLM_STORE": str(server.store)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, survivor_run, _, survivor_backend = read_output(survivor, "RUN")
        _, victim_run, victim_pid, victim_backend = read_output(victim, "RUN")
        assert survivor_backend == victim_backend == "rest"

        deadline = time.monotonic() + 60  # let the victim log a while, then kill it
        while metric(server, victim_run, "loss")["count"] < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(int(victim_pid), signal.SIGKILL)

        read_output(survivor, "DONE", timeout=180)
        out, err = script.communicate(timeout=180)
        assert script.returncode == 0, err.decode()
        assert "lock" not in err.decode().lower()
        _, script_run, script_backend = out.decode().split()
        assert script_backend == "rest"

        deadline = time.monotonic() + 30
        while server.get(f"mlm/api/runs/{victim_run}").json()["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        victim_view = server.get(f"mlm/api/runs/{victim_run}").json()
        assert victim_view["status"] == "killed", victim_view
        assert victim_id in (victim_view["status_reason"] or "") or "died" in (victim_view["status_reason"] or "")

        for run_id, keys in ((survivor_run, ("loss", "acc")), (script_run, ("loss",))):
            assert server.get(f"mlm/api/runs/{run_id}").json()["status"] == "finished"
            for key in keys:
                history = metric(server, run_id, key)
                steps = [p[0] for p in history["points"]]
                assert history["count"] == STEPS and steps == list(range(STEPS)), (run_id, key)
        victim_steps = [p[0] for p in metric(server, victim_run, "loss")["points"]]
        assert victim_steps == list(range(len(victim_steps))) and len(victim_steps) >= 200  # once each, no gaps
        runs = server.get("mlm/api/runs", params={"experiment": "integration"}).json()
        assert runs["total"] == 3
    finally:
        for client in (survivor, victim):
            client.stop_channels()


OPEN_RUN = """
import os
os.environ["MLM_RUN_OWNER"] = "kernel:{kernel_id}"
import mlm_jupyter as mlm
run = mlm.start_run(experiment="lifecycle", name="{name}")
mlm.log_metric("x", 1.0)
mlm.get_client().flush()
print("RUN", run.id, flush=True)
"""


def open_run(server: JupyterServerProcess, name: str) -> tuple[str, BlockingKernelClient, str]:
    kernel_id, client = start_kernel(server)
    client.execute(OPEN_RUN.format(kernel_id=kernel_id, name=name))
    return kernel_id, client, read_output(client, "RUN")[1]


def wait_status(server: JupyterServerProcess, run_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view = server.get(f"mlm/api/runs/{run_id}").json()
        if view["status"] != "running" or time.monotonic() > deadline:
            return view


def test_restart_and_shutdown_through_the_api_kill_the_kernels_runs(server: JupyterServerProcess) -> None:
    restarted_id, restarted, restarted_run = open_run(server, "restarted")
    stopped_id, stopped, stopped_run = open_run(server, "stopped")
    try:
        assert server.post(f"api/kernels/{restarted_id}/restart", {}).status_code == 200
        view = wait_status(server, restarted_run)
        assert view["status"] == "killed" and "restarted" in view["status_reason"]
        assert requests_delete(server, f"api/kernels/{stopped_id}") == 204
        view = wait_status(server, stopped_run)
        assert view["status"] == "killed" and "shut down" in view["status_reason"]
    finally:
        restarted.stop_channels()
        stopped.stop_channels()


def requests_delete(server: JupyterServerProcess, path: str) -> int:
    import requests

    return requests.delete(server.url + path, headers=server.headers, timeout=60).status_code


def test_server_shutdown_kills_open_runs_and_frees_the_store(tmp_path: Path) -> None:
    server = JupyterServerProcess(tmp_path, tmp_path / "store").start()
    try:
        _, client, run_id = open_run(server, "left-open")
        client.execute_interactive("for i in range(1000):\n    mlm.log_metric('y', float(i), step=i)", timeout=60)
        client.stop_channels()  # the points may still sit in the kernel's buffer when the server stops
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode == 0
    assert not (server.store / "server.json").exists() and not (server.store / "server.token").exists()
    from mlm_jupyter.store.duckdb_store import DuckDbStore

    with DuckDbStore(server.store) as store:  # the file is free and the run is not left running
        run = store.read("run", run_id=run_id)
        points = store.read("metric_history", run_id=run_id, key="y")
    assert run["status"] == "killed" and "shut down" in run["status_reason"]
    assert points.column("step").to_pylist() == list(range(1000))  # flushed at kernel exit, none lost
