"""A kernel killed while no server owned the store leaves no run ``running``: the next open marks it killed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore


def _dead_process() -> tuple[int, float]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    started = psutil.Process(child.pid).create_time()
    child.kill()
    child.wait()
    return child.pid, started


def _run(store: DuckDbStore, run_id: str, owner: str, pid: int, started: float) -> None:
    store.write(WriteBatch.of(Op("create_run", {
        "run_id": run_id, "experiment": "e", "name": run_id, "start_time": 1.0, "user": "u",
        "parent_run_id": None, "source": "nb.ipynb", "host": __import__("socket").gethostname(),
        "pid": pid, "pid_start": started, "owner": owner})))


def test_runs_of_a_dead_kernel_and_a_dead_script_are_killed_on_next_open(tmp_path: Path) -> None:
    pid, started = _dead_process()
    me = psutil.Process()
    store = DuckDbStore(tmp_path / "s")
    _run(store, "kernel-run", "kernel:1234abcd", pid, started)
    _run(store, "script-run", "process", pid, started)
    _run(store, "alive-kernel-run", "kernel:5678", me.pid, me.create_time())
    store.close()
    reopened = DuckDbStore(tmp_path / "s")
    status = {r["run_id"]: r["status"] for r in (reopened.read("run", run_id=i)
                                                 for i in ("kernel-run", "script-run", "alive-kernel-run"))}
    assert status == {"kernel-run": "killed", "script-run": "killed", "alive-kernel-run": "running"}
    reopened.close()
