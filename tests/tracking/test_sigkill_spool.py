"""A SIGKILLed process loses nothing that log_metric returned from (the spool, replayed exactly once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from mlm_jupyter.tracking.client import MlmClient


def test_every_point_logged_before_a_sigkill_is_stored_exactly_once(store_dir: Path, tmp_path: Path) -> None:
    progress = tmp_path / "progress"
    script = textwrap.dedent(f"""
        import os
        import mlm_jupyter as mlm
        run = mlm.start_run(experiment="crash", name="sigkilled")
        mlm.log_params({{"lr": 0.1, "layers": 3}})
        out = os.open({str(progress)!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.write(out, (run.id + "\\n").encode())
        step = 0
        while True:  # logs until killed; reports each point only after log_metric returned
            mlm.log_metric("loss", 1.0 / (step + 1), step=step)
            os.write(out, b"%d\\n" % step)
            step += 1
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "MLM_STORE": str(store_dir)},
                             stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill mid-loop: after the first background flush, between two flushes
        lines = progress.read_text().split() if progress.exists() else []
        if len(lines) > 30_000:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    lines = progress.read_text().split()
    run_id, reported = lines[0], [int(x) for x in lines[1:]]
    assert len(reported) > 30_000
    assert list((store_dir / "spool").glob("*.spool")), "the killed process left its spool"

    client = MlmClient(store_dir)  # the next open replays the spool
    history = client.get_metric_history(run_id, "loss")
    steps = history["step"].tolist()
    assert len(steps) == len(set(steps)), "a point was stored twice"
    assert set(reported) <= set(steps), f"{len(set(reported) - set(steps))} reported points were lost"
    assert len(steps) <= len(reported) + 1  # at most the one point logged between log_metric and the report
    run = client.get_run(run_id)
    assert run.status == "killed" and run.params == {"lr": "0.1", "layers": "3"}
    assert not list((store_dir / "spool").glob("*.spool")), "a replayed spool is removed"
    client.close()

    again = MlmClient(store_dir)  # a second open replays nothing twice
    assert len(again.get_metric_history(run_id, "loss")) == len(steps)
    again.close()


def test_a_spool_killed_before_any_flush_is_replayed(store_dir: Path) -> None:
    script = textwrap.dedent("""
        import os, signal
        import mlm_jupyter as mlm
        with mlm.start_run(experiment="crash", name="early") as run:
            for step in range(1000):
                mlm.log_metric("x", step, step=step)
            print(run.id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "MLM_STORE": str(store_dir)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    run_id = done.stdout.strip()
    client = MlmClient(store_dir)
    assert client.get_metric_history(run_id, "x")["step"].tolist() == list(range(1000))
    assert client.get_run(run_id).status == "killed"
    client.close()
