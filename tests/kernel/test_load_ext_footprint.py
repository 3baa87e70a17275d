"""``%load_ext mlm_jupyter`` imports only the modules the cell hooks need (issue 19).

Every object made at load time counts towards the notebook's next garbage collection: a short
notebook that, bare, ends a few hundred allocations before a due full collection (50-70 ms once
pandas is imported) pays it with the extension loaded. So in a Jupyter kernel the load registers
the early hooks only, and the capture (its thread, session, notebook file) starts in the first
pause between cells; the parts the background thread uses (the tracking client, the notebook
parser, the error classes, the fingerprint engine) come after that. Adding a module to the load
path should be a decision, which these tests make visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from mlm_jupyter.tracking.client import MlmClient

LOAD = """
import gc, json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("pass")
import IPython.core.magics.extension  # IPython's own %load_ext machinery: bare IPython would import it too
before = set(sys.modules)
gc.disable()
count = gc.get_count()[0]
shell.run_cell("%load_ext mlm_jupyter")
made = gc.get_count()[0] - count
gc.enable()
at_load = sorted(set(sys.modules) - before)
shell.run_cell("x = 1")
shell.run_cell("y = x + 1")
from mlm_jupyter.kernel.extension import extension_for
capture = extension_for(shell).capture
print(json.dumps({"at_load": at_load, "made": made, "drained": capture.drain(60), "recorded": capture.recorded}))
"""

KERNEL_LOAD_PATH = {  # in a Jupyter kernel: the early hooks only
    "mlm_jupyter", "mlm_jupyter._version", "mlm_jupyter.core", "mlm_jupyter.core.cell_producers",
    "mlm_jupyter.kernel", "mlm_jupyter.kernel.cell_end_values", "mlm_jupyter.kernel.early_cells",
    "mlm_jupyter.kernel.extension", "mlm_jupyter.tracking", "mlm_jupyter.tracking.run_owner",
}
# plain IPython has no event loop to find a pause with: the capture starts at load
LOAD_PATH = KERNEL_LOAD_PATH | {
    "mlm_jupyter.kernel.capture", "mlm_jupyter.kernel.cell_worker", "mlm_jupyter.kernel.failsafe",
    "mlm_jupyter.kernel.notebook_file", "mlm_jupyter.kernel.session",
}


def test_load_ext_imports_only_the_hook_path_and_the_cells_are_recorded_later(tmp_path: Path) -> None:
    env = {**os.environ, "MLM_STORE": str(tmp_path / "store")}
    done = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name for name in found["at_load"] if name.startswith("mlm_jupyter")} == LOAD_PATH
    # nothing heavy, and nothing of Jupyter's in a plain IPython (kernel_id() imported ipykernel, zmq, tornado)
    assert not {"pandas", "numpy", "pyarrow", "duckdb", "ipykernel", "zmq", "tornado"} & set(found["at_load"])
    # container objects made by the load in plain IPython, where the capture starts at once (uuid imported too;
    # in a kernel, where it starts in the first pause, ~720); a budget, so that a heavy import slipping into the
    # load path shows
    assert found["made"] < 1_800, found["made"]
    assert found["drained"] and found["recorded"] >= 3  # the thread imported the rest and recorded every cell


KERNEL_PROBE = """
import json, sys
from mlm_jupyter.kernel.extension import extension_for
from mlm_jupyter.tracking.run_owner import run_owner
print("PROBE", json.dumps({"modules": sorted(m for m in sys.modules if m.startswith("mlm_jupyter")),
                           "started": extension_for(get_ipython()).started, "owner": run_owner()}))
"""


def _run_back_to_back(client: Any, sources: list[str]) -> dict[str, str]:
    """Send every cell at once (the kernel runs them with no pause between), wait for the last; stdout by cell."""
    ids = [client.execute(source) for source in sources]
    out = {msg_id: "" for msg_id in ids}
    idle: set[str] = set()
    deadline = time.monotonic() + 120
    while idle != set(ids) and time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=120)
        parent = message.get("parent_header", {}).get("msg_id")
        if parent not in out:
            continue
        if message["msg_type"] == "stream":
            out[parent] += message["content"]["text"]
        elif message["msg_type"] == "error":
            out[parent] += "\n".join(message["content"]["traceback"])
        elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            idle.add(parent)
    return out


def _probe(text: str) -> dict[str, Any]:
    line = next(line for line in text.splitlines() if line.startswith("PROBE "))
    return dict(json.loads(line[len("PROBE "):]))


@pytest.mark.slow
def test_in_a_kernel_the_capture_starts_in_the_first_pause_and_records_every_cell(store_dir: Path) -> None:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "MLM_STORE": str(store_dir)})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        first = _run_back_to_back(client, ["%load_ext mlm_jupyter", "x = 41\ny = x + 1", KERNEL_PROBE])
        loaded = _probe(list(first.values())[-1])
        assert not loaded["started"], "the capture started before any pause"
        assert set(loaded["modules"]) == KERNEL_LOAD_PATH
        time.sleep(1.0)  # a pause between cells: the capture starts in it
        second = _run_back_to_back(client, [
            KERNEL_PROBE,
            "_capture = extension_for(get_ipython()).capture\n_capture.drain(60)\n"
            "print('HISTORY', json.dumps([h.source for h in _capture.history]))",
        ])
        assert _probe(list(second.values())[0])["started"]
        history_line = next(line for line in list(second.values())[1].splitlines() if line.startswith("HISTORY "))
        history = json.loads(history_line[len("HISTORY "):])
        # every cell, in order, the load cell first (the cell reading the history is still running)
        assert history[:3] == ["%load_ext mlm_jupyter", "x = 41\ny = x + 1", KERNEL_PROBE]
        assert history[3:] == [KERNEL_PROBE]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    store = MlmClient(store_dir)
    try:
        recorded = list(store.cell_history()["source"])
    finally:
        store.close()
    assert recorded[:4] == ["%load_ext mlm_jupyter", "x = 41\ny = x + 1", KERNEL_PROBE, KERNEL_PROBE]
    assert len(recorded) == 5  # and the history cell itself, recorded at shutdown


@pytest.mark.slow
def test_a_run_started_before_any_pause_is_the_kernels_and_linked_to_its_cell(store_dir: Path,
                                                                              tmp_path: Path) -> None:
    kernel_id = "0f1e2d3c-early"
    manager = KernelManager(kernel_name="python3", connection_file=str(tmp_path / f"kernel-{kernel_id}.json"))
    manager.start_kernel(env={**os.environ, "MLM_STORE": str(store_dir)})
    client = manager.client()
    client.start_channels()
    start_cell = "import mlm_jupyter as mlm\nrun = mlm.start_run(experiment='early')\nmlm.end_run()"
    try:
        client.wait_for_ready(timeout=120)
        out = _run_back_to_back(client, ["%load_ext mlm_jupyter", start_cell, KERNEL_PROBE])
        probe = _probe(list(out.values())[-1])
        assert probe["started"]  # the cell that started a run started the capture
        assert probe["owner"] == f"kernel:{kernel_id}"  # the server kills this kernel's open runs by it
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    store = MlmClient(store_dir)
    try:
        runs = store.search_runs(experiment="early")
        assert len(runs) == 1
        history = store.cell_history()
        assert list(history[history["run_id"] == runs["run_id"][0]]["source"]) == [start_cell]
    finally:
        store.close()
