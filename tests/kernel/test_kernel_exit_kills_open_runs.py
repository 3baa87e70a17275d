"""A kernel shut down or restarted with a run open leaves it ``killed`` with a reason, even without %load_ext."""

from __future__ import annotations

import pytest
from jupyter_client.manager import KernelManager

from mlm_jupyter.tracking.client import MlmClient


def execute(client, code: str) -> str:
    output = []
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda m: output.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(output)


@pytest.mark.parametrize("restart", [False, True])
def test_open_run_of_a_kernel_that_exits_is_killed(store_dir, restart):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        run_id = execute(client, "import mlm_jupyter as mlm\n"
                                 "run = mlm.start_run(experiment='exit', name='left-open')\n"
                                 "mlm.log_metric('loss', 0.5)\nprint(run.id)").strip()
        if restart:
            manager.restart_kernel(now=False)
        else:
            manager.shutdown_kernel(now=False)
    finally:
        client.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    store = MlmClient(store_dir)
    try:
        run = store.get_run(run_id)
        assert run.status == "killed"
        assert "shut down or restarted" in (run.status_reason or "")
        assert run.metrics == {"loss": 0.5}
    finally:
        store.close()
