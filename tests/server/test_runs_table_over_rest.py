"""A server's kernel paints its first runs table without importing pandas or DuckDB (issue 16).

The same check as ``tests/widgets/test_runs_table_imports.py``, for a kernel that reads over the server's
REST API. It lives with the server tests: their pytest-jupyter event loop must run before the browser
tests' session-wide Playwright (whose loop stays running in this thread) is started.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.widgets.test_runs_table_imports import CELL, check, seed


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
