"""A fresh kernel's first runs table paints without importing pandas (issue 16).

Importing pandas is about half a second of a fresh kernel's first ``mlm.runs()``; the page
and its static repr come from plain rows. Checked in new processes: on the store file (no
pyarrow or numpy either), and the way a kernel of a Jupyter server reads it (the server's REST
API: no DuckDB).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_serverapp and friends for the REST case)
from traitlets.config import Config

from mlm_jupyter.tracking.client import MlmClient
from tests.in_process_server import mlm_server_config

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


@pytest.fixture
def jp_server_config(store_dir: Path) -> Config:
    return mlm_server_config(store_dir)


def test_the_first_table_of_a_kernel_reading_over_rest_imports_no_pandas(
        store_dir: Path, jp_serverapp: Any, jp_asyncio_loop: asyncio.AbstractEventLoop, http_server_client: Any) -> None:
    app = jp_serverapp.extension_manager.extension_points["mlm_jupyter"].app
    seed(app.context.client)  # through the server's own client: the server owns the file
    env = {key: value for key, value in os.environ.items() if key != "MLM_NO_SERVER"}
    # what the server exports to the kernels it starts: its store, URL, token and pid
    env.update({"MLM_STORE": str(store_dir), "MLM_SERVER_URL": f"http://127.0.0.1:{jp_serverapp.port}{jp_serverapp.base_url}",
                "MLM_SERVER_TOKEN": jp_serverapp.identity_provider.token, "MLM_SERVER_PID": str(os.getpid()),
                "JPY_PARENT_PID": str(os.getpid())})

    async def cell() -> tuple[int, bytes, bytes]:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", CELL, "", env=env,
                                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode or 0, out, err

    code, out, err = jp_asyncio_loop.run_until_complete(cell())
    assert code == 0, err.decode()
    result = json.loads(out.decode().splitlines()[-1])
    assert result["store"] == "RestStore"
    # nor DuckDB (the server reads the file); the REST store imports pyarrow (and numpy) for the tables other
    # reads carry, and the kernel's cell capture waits for numpy before it records (kernel/capture.py)
    check(result, imported=["numpy", "pyarrow"])
