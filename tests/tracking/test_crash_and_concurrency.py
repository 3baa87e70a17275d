"""Crash safety and two writer processes on one store file (no server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def run_python(code: str, store_dir: Path) -> subprocess.Popen[str]:
    env = {**__import__("os").environ, "MLM_STORE": str(store_dir)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_process_killed_mid_run_leaves_a_killed_run(store_dir: Path) -> None:
    child = run_python("""
        import os, signal
        import mlm_jupyter as mlm
        run = mlm.start_run(experiment="crash", name="doomed")
        for step in range(100):
            mlm.log_metric("loss", 1 / (step + 1), step=step)
        mlm.get_client().flush()
        print(run.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """, store_dir)
    out, err = child.communicate(timeout=120)
    assert child.returncode == -9, err
    run_id = out.strip()
    client = MlmClient(store_dir)
    run = client.get_run(run_id)
    assert run.status == "killed"
    assert "died" in (run.status_reason or "")
    assert len(client.get_metric_history(run_id, "loss")) == 100
    client.close()


def test_two_processes_writing_concurrently_lose_and_duplicate_nothing(store_dir: Path) -> None:
    writer = """
        import time
        import mlm_jupyter as mlm
        with mlm.start_run(experiment="concurrent", name="{name}") as run:
            mlm.log_params({{"writer": "{name}"}})
            for step in range(30_000):
                mlm.log_metric("x", step, step=step)
                if step % 3_000 == 0:
                    mlm.set_tag("progress", step)   # synchronous writes contend for the file too
                    time.sleep(0.05)
        print(run.id, flush=True)
    """
    children = [run_python(writer.format(name=name), store_dir) for name in ("a", "b")]
    results = [child.communicate(timeout=300) for child in children]
    for child, (out, err) in zip(children, results):
        assert child.returncode == 0, err
    client = MlmClient(store_dir)
    for out, _ in results:
        run_id = out.strip()
        run = client.get_run(run_id)
        assert run.status == "finished"
        history = client.get_metric_history(run_id, "x")
        assert len(history) == 30_000
        assert history["step"].is_unique
        assert history["value"].sum() == sum(range(30_000))
    assert set(mlm.MlmClient(store_dir).search_runs(experiment="concurrent")["params.writer"]) == {"a", "b"}
    client.close()
