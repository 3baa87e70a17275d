"""A fresh kernel's first runs table paints without importing pandas (issue 16).

Importing pandas is about half a second of a fresh kernel's first ``mlm.runs()``; the page
and its static repr come from plain rows. Checked in new processes: on the store file (no
pyarrow or numpy either); the way a kernel of a Jupyter server reads it (the server's REST API: no
DuckDB) is checked in ``tests/server/test_runs_table_over_rest.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlm_jupyter.tracking.client import MlmClient

HEAVY = ("pandas", "pyarrow", "numpy")

# the kernel has IPython and ipykernel imported already; the cell is the table, then its display
CELL = """
import json, sys
import IPython, ipykernel.ipkernel  # noqa: F401
import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient
client = MlmClient(sys.argv[1]) if sys.argv[1] else None
table = mlm.runs(client=client, filter="metrics.acc >= 0.2", page_size=3, live=False)
table.sort = ["metrics.acc", "desc"]
page = table.fetch_page(3, 3, "metrics.acc desc", table.filter)
bundle = table._repr_mimebundle_()
data = bundle[0] if isinstance(bundle, tuple) else bundle
heavy = sorted(m for m in %r + ("duckdb",) if m in sys.modules)
print(json.dumps({"heavy": heavy, "store": type(getattr(table.client.store, "inner", table.client.store)).__name__, "total": table.total,
                  "first": [r["name"] for r in table.page["runs"]], "second": [r["name"] for r in page["runs"]],
                  "text": data["text/plain"], "html": data["text/html"], "columns": table.columns}))
""" % (HEAVY,)


def seed(client: MlmClient) -> None:
    for i in range(8):
        run = client.create_run("imports", f"run-{i}")
        client.log_params(run.id, {"lr": i / 10})
        client.log_metric(run.id, "acc", i / 10)
        client.log_metric(run.id, "loss", float("inf") if i == 7 else 1 - i / 10)
        client.end_run(run.id)


def check(result: dict[str, Any], *, imported: list[str]) -> None:
    assert result["heavy"] == imported, f"the first table imported {result['heavy']}"
    assert result["total"] == 6 and result["first"] == ["run-7", "run-6", "run-5"]
    assert result["second"] == ["run-4", "run-3", "run-2"]
    assert result["columns"] == ["name", "status", "start_time", "duration", "params.lr", "metrics.acc", "metrics.loss"]
    assert result["text"].startswith("RunsTable: 3 of 6 runs") and "run-4" in result["text"]
    assert "<table" in result["html"] and "run-2" in result["html"] and "... and 3 more runs" in result["html"]


def test_the_first_table_on_the_store_file_imports_no_pandas(tmp_path: Path) -> None:
    client = MlmClient(tmp_path / "store")
    seed(client)
    client.close()
    env = {**os.environ, "MLM_NO_SERVER": "1"}
    done = subprocess.run([sys.executable, "-c", CELL, str(tmp_path / "store")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["store"] == "DuckDbStore"
    check(result, imported=["duckdb"])
