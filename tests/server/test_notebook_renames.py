"""Issue 11 item 12: a notebook renamed through the contents API keeps its runs, cells and jump-to-cell path.

A real in-process Jupyter server with the extension: runs recorded against ``Untitled.ipynb`` are renamed
with JupyterLab's own call (``PATCH /api/contents``), and the store follows.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import nbformat

from mlm_jupyter.tracking.client import MlmClient


def server_client(mlm_app: Any) -> MlmClient:
    return mlm_app.context.client


async def put_notebook(jp_fetch: Any, api_path: str) -> None:
    body = {"type": "notebook", "content": nbformat.v4.new_notebook()}
    await jp_fetch("api", "contents", *api_path.split("/"), method="PUT", body=json.dumps(body))


async def rename(jp_fetch: Any, old: str, new: str) -> None:
    await jp_fetch("api", "contents", *old.split("/"), method="PATCH", body=json.dumps({"path": new}))


def seed_run(client: MlmClient, notebook: Path) -> str:
    """A run made in a kernel whose notebook was ``notebook`` (as the kernel capture records it)."""
    run = client.create_run("renames", name="before-rename", source=str(notebook))
    client.record_session({"id": "s1", "kernel_id": "k1", "notebook": str(notebook), "host": "h", "pid": 1,
                           "started_at": time.time()})
    client.flush_cells()
    client.link_run_cell(run.id, "r1", "s1", "id:c1", notebook=str(notebook))
    client.end_run(run.id)
    client.flush()
    return run.id


async def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_a_renamed_notebook_keeps_its_runs_and_jump_to_cell_path(jp_fetch: Any, api: Any, mlm_app: Any,
                                                                       jp_root_dir: Path) -> None:
    root = Path(jp_root_dir).resolve()
    await put_notebook(jp_fetch, "Untitled.ipynb")
    client = server_client(mlm_app)
    run_id = seed_run(client, root / "Untitled.ipynb")

    await rename(jp_fetch, "Untitled.ipynb", "churn.ipynb")

    new_path = str(root / "churn.ipynb")
    assert await wait_for(lambda: client.get_run(run_id).source == new_path), client.get_run(run_id).source
    status, body = await api("runs", run_id)
    assert status == 200 and body["cell"]["notebook"] == new_path  # what jump-to-cell opens
    assert client.store.read("notebook_rename", path=str(root / "Untitled.ipynb")) == new_path
    sessions = client.sql("SELECT notebook FROM kernel_sessions WHERE id = 's1'")
    assert sessions["notebook"].tolist() == [new_path]


async def test_moving_a_folder_moves_the_notebooks_inside_it(jp_fetch: Any, mlm_app: Any, jp_root_dir: Path) -> None:
    root = Path(jp_root_dir).resolve()
    (root / "project").mkdir()
    await put_notebook(jp_fetch, "project/train.ipynb")
    client = server_client(mlm_app)
    run_id = seed_run(client, root / "project" / "train.ipynb")

    await rename(jp_fetch, "project", "churn-project")

    expected = str(root / "churn-project" / "train.ipynb")
    assert await wait_for(lambda: client.get_run(run_id).source == expected), client.get_run(run_id).source
    # a notebook whose name only starts like the folder is not touched
    assert client.store.read("notebook_rename", path=str(root / "project-other.ipynb")) is None
