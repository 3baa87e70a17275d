"""``%load_ext mlm_jupyter`` imports only the modules the cell hooks need (issue 19).

Every object made at load time counts towards the notebook's next garbage collection: a short
notebook that, bare, ends a few hundred allocations before a due full collection (50-70 ms once
pandas is imported) pays it with the extension loaded. So the parts the background thread uses
(the tracking client, the notebook parser, the error classes, the fingerprint engine) are imported
in the first pause between cells, never by ``%load_ext``; adding a module to the load path should
be a decision, which this test makes visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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

LOAD_PATH = {
    "mlm_jupyter", "mlm_jupyter._version", "mlm_jupyter.core", "mlm_jupyter.core.cell_producers",
    "mlm_jupyter.kernel", "mlm_jupyter.kernel.capture", "mlm_jupyter.kernel.cell_end_values",
    "mlm_jupyter.kernel.cell_worker", "mlm_jupyter.kernel.extension", "mlm_jupyter.kernel.failsafe",
    "mlm_jupyter.kernel.notebook_file", "mlm_jupyter.kernel.session", "mlm_jupyter.kernel.shutdown",
    "mlm_jupyter.tracking", "mlm_jupyter.tracking.run_owner",
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
    # container objects made by the load: ~1,400 here (uuid imported too), ~860 in a kernel (1,230 before
    # the load path was trimmed); a budget, so that a heavy import slipping into the load path shows
    assert found["made"] < 1_800, found["made"]
    assert found["drained"] and found["recorded"] >= 3  # the thread imported the rest and recorded every cell
