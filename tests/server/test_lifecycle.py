"""Kernel lifecycle, dead processes, journal replay, the server record and shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.discovery import RECORD_FILE, TOKEN_FILE, read_server_record
from mlm_jupyter.store.journal import Journal
from mlm_jupyter.server.lifecycle import KERNEL_ACTIONS_SCHEMA


def create_run(store: Any, run_id: str, owner: str, pid: int | None = None, pid_start: float | None = None) -> None:
    store.write(WriteBatch.of(Op("create_run", {
        "run_id": run_id, "experiment": "e", "name": run_id, "start_time": time.time(), "owner": owner,
        "host": store._me.host, "pid": pid if pid is not None else os.getpid(),
        "pid_start": pid_start if pid_start is not None else store._me.started})))


def status_of(store: Any, run_id: str) -> tuple[str, str | None]:
    run = store.read("run", run_id=run_id)
    return run["status"], run["status_reason"]


async def test_kernel_events_kill_that_kernels_runs(jp_serverapp: Any, mlm_app: Any) -> None:
    await mlm_app._start_jupyter_server_extension(jp_serverapp)
    store = mlm_app.context.store
    create_run(store, "k1-run", "kernel:k1")
    create_run(store, "k2-run", "kernel:k2")
    jp_serverapp.event_logger.emit(schema_id=KERNEL_ACTIONS_SCHEMA, data={
        "kernel_id": "k1", "kernel_name": "python3", "action": "shutdown", "status": "success", "msg": ""})
    deadline = time.monotonic() + 10
    import asyncio

    while status_of(store, "k1-run")[0] == "running" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert status_of(store, "k1-run") == ("killed", "kernel k1 was shut down")
    assert status_of(store, "k2-run")[0] == "running"
    await mlm_app.watcher.on_kernel_action(None, KERNEL_ACTIONS_SCHEMA,
                                           {"action": "restart", "kernel_id": "k2", "status": "success"})
    assert status_of(store, "k2-run") == ("killed", "kernel k2 was restarted")


async def test_sweep_kills_runs_of_dead_processes_and_replays_the_journal(mlm_app: Any) -> None:
    store = mlm_app.context.store
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(child.pid).create_time()
    child.wait()
    create_run(store, "dead", "process", pid=child.pid, pid_start=started)
    create_run(store, "alive", "process")
    batch = WriteBatch.of(Op("set_tags", {"run_id": "alive", "tags": {"from": "journal"}}))
    journal = Journal(store.directory / "journal")
    journal.append(batch)
    journal.append(batch)  # the same batch twice (a retry): applied once
    result = await mlm_app.watcher.sweep()
    assert result == {"killed": 1, "replayed": 2}
    assert status_of(store, "dead")[0] == "killed" and status_of(store, "alive")[0] == "running"
    assert store.read("run", run_id="alive")["tags"] == {"from": "journal"}
    assert journal.count() == 0
    assert store.sql("SELECT count(*) AS n FROM applied_batches WHERE id = ?", [batch.id]).column("n")[0].as_py() == 1


async def test_a_refused_journal_batch_does_not_block_later_ones(mlm_app: Any) -> None:
    store = mlm_app.context.store
    create_run(store, "r", "process")
    journal = Journal(store.directory / "journal")
    journal.append(WriteBatch.of(Op("end_run", {"run_id": "missing", "status": "finished"})))
    journal.append(WriteBatch.of(Op("set_tags", {"run_id": "r", "tags": {"ok": "1"}})))
    assert (await mlm_app.watcher.sweep())["replayed"] == 1
    assert store.read("run", run_id="r")["tags"] == {"ok": "1"}
    assert len(list((store.directory / "journal").glob("*.rejected"))) == 1


async def test_record_written_when_listening_and_removed_at_shutdown(jp_serverapp: Any, mlm_app: Any,
                                                                       store_dir: Path) -> None:
    await mlm_app._start_jupyter_server_extension(jp_serverapp)
    record = read_server_record(store_dir)
    assert record is not None and record["pid"] == os.getpid()
    assert record["url"] == jp_serverapp.connection_url and record["token"] == jp_serverapp.identity_provider.token
    assert oct((store_dir / TOKEN_FILE).stat().st_mode & 0o777) == "0o600"
    assert "token" not in json.loads((store_dir / RECORD_FILE).read_text())
    assert os.environ["MLM_STORE"] == str(store_dir) and os.environ["MLM_SERVER_PID"] == str(os.getpid())
    store = mlm_app.context.store
    await mlm_app.stop_extension()
    assert not (store_dir / RECORD_FILE).exists() and not (store_dir / TOKEN_FILE).exists()
    assert store._closed
    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"  # another process can take the file
    subprocess.run([sys.executable, "-c", probe, str(store_dir / "mlm.duckdb")], check=True, timeout=60)


async def test_after_shutdown_requests_get_503_so_clients_journal(mlm_app: Any, api: Any) -> None:
    await mlm_app.stop_extension()
    status, body = await api("store", "write", method="POST",
                             body=json.dumps({"id": "late", "ops": [{"kind": "create_experiment", "args": {"name": "x"}}]}))
    assert status == 503 and body["code"] == "STORE_UNREACHABLE"
    from mlm_jupyter.core.errors import StoreUnreachableError, error_from_code

    assert isinstance(error_from_code(body["code"], body["message"]), StoreUnreachableError)  # RestStore journals it
