"""The metric buffer flushes by size, by time, at end_run and at interpreter exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_points_become_durable_within_the_flush_interval_without_end_run(client: MlmClient) -> None:
    run = mlm.start_run()
    mlm.log_metric("loss", 0.5)
    deadline = time.time() + 10
    while time.time() < deadline:
        if client.store.read("metric_history", run_id=run.id, key="loss").num_rows == 1:
            break
        time.sleep(0.1)
    assert client.store.read("metric_history", run_id=run.id, key="loss").num_rows == 1
    assert client.buffer.pending == 0


def test_a_full_batch_is_flushed_in_the_background(client: MlmClient) -> None:
    client.buffer.batch_size = 1_000
    client.buffer.interval = 60  # only the size trigger can flush within this test
    run = mlm.start_run()
    for step in range(1_500):
        mlm.log_metric("x", step)
    deadline = time.time() + 10
    while client.buffer.pending > 600 and time.time() < deadline:
        time.sleep(0.05)
    assert client.store.read("metric_history", run_id=run.id, key="x").num_rows >= 1_000


def test_pending_points_are_flushed_at_interpreter_exit(store_dir: Path) -> None:
    code = textwrap.dedent("""
        import mlm_jupyter as mlm
        run = mlm.start_run(name="no-end")
        for step in range(5_000):
            mlm.log_metric("loss", step)
        print(run.id)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    client = MlmClient(store_dir)
    run = client.get_run(out.stdout.strip())
    assert run.status == "finished"
    assert len(client.get_metric_history(run.id, "loss")) == 5_000
    client.close()


def test_a_failed_flush_keeps_the_points_for_the_next_try(client: MlmClient) -> None:
    run = mlm.start_run()
    real_write = client.store.write
    calls = {"n": 0}

    def flaky_write(batch):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk hiccup")
        return real_write(batch)

    client.store.write = flaky_write  # type: ignore[method-assign]
    mlm.log_metric("loss", 1.0)
    mlm.log_metric("loss", 2.0)
    try:
        client.flush()
    except OSError:
        pass
    client.flush()
    client.store.write = real_write  # type: ignore[method-assign]
    assert client.get_metric_history(run.id, "loss")["value"].tolist() == [1.0, 2.0]


def test_a_store_that_stays_down_is_reported_once_not_every_second(
        client: MlmClient, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    client.buffer.interval = 0.05
    run = mlm.start_run()
    store = client.buffer.store  # where the queue is stored (client.store stores the queue first)
    real_write = store.write
    store.write = lambda batch: (_ for _ in ()).throw(OSError("store down"))  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="mlm_jupyter"):
        mlm.log_metric("loss", 1.0)
        time.sleep(0.6)  # about ten failed rounds
    store.write = real_write  # type: ignore[method-assign]
    warnings = [r for r in caplog.records if "could not store metrics" in r.getMessage()]
    assert len(warnings) == 1
    assert client.buffer.failures >= 3
    client.flush()
    assert client.get_metric_history(run.id, "loss")["value"].tolist() == [1.0]
