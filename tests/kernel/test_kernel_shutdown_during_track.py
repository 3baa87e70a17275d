"""A real kernel shut down or restarted while a ``%%track`` cell runs: the run records why, and the kernel
ends cleanly (no KeyboardInterrupt as the reason, no ipykernel ZMQError, nothing of ours in its log)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from mlm_jupyter.tracking.client import MlmClient

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("restart", "reason"), [(False, "kernel shut down"), (True, "kernel restarted")])
def test_shutdown_or_restart_during_a_tracked_cell(store_dir: Path, tmp_path: Path, restart: bool,
                                                   reason: str) -> None:
    log_path = tmp_path / "kernel.log"
    manager = KernelManager(kernel_name="python3")
    with open(log_path, "wb") as log:
        manager.start_kernel(stdout=log, stderr=log)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            reply = client.execute_interactive("%load_ext mlm_jupyter\nimport numpy as np\nx = np.arange(5.0)",
                                               timeout=120)
            assert reply["content"]["status"] == "ok"
            client.execute("%%track -e stop -n long\nimport time\nlr = 0.1\nprint('STARTED', flush=True)\n"
                           "for step in range(600):\n    time.sleep(0.1)")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the run has started and its body is sleeping
                message = client.get_iopub_msg(timeout=120)
                if message["msg_type"] == "stream" and "STARTED" in message["content"]["text"]:
                    break
            time.sleep(0.5)
            if restart:
                manager.restart_kernel(now=False)
                client.wait_for_ready(timeout=120)
            else:
                manager.shutdown_kernel(now=False)
        finally:
            client.stop_channels()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
    store = MlmClient(store_dir)
    try:
        runs = store.search_runs(experiment="stop")
        assert len(runs) == 1
        run = store.get_run(runs["run_id"][0])
        assert run.status == "killed"
        assert run.status_reason == reason  # not "KeyboardInterrupt"
    finally:
        store.close()
    text = log_path.read_text(errors="replace")
    assert "ZMQError" not in text and "Socket operation on non-socket" not in text, text
    assert "mlm" not in text.lower() and "Traceback" not in text, text
