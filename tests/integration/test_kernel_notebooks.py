"""Real notebooks executed by nbclient with the kernel extension: cell records, %%track runs, staleness."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from mlm_jupyter.tracking.client import MlmClient

pytestmark = pytest.mark.slow

TRACKED = ("%%track -e nbtest -n train\n"
           "lr = 0.1\n"
           "epochs = 3\n"
           "import mlm_jupyter as mlm\n"
           "score = float(df['x'].mean()) * lr\n"
           "mlm.log_metric('score', score)\n"
           "preds = df * lr")
CELLS = [
    "%load_ext mlm_jupyter",
    "import numpy as np\nimport pandas as pd\ndf = pd.DataFrame({'x': np.arange(100.0)})",
    TRACKED,
    "df = df * 2",
    "%%track -e nbtest -n broken\nrate = 0.5\nraise ValueError('bad batch')",
]


def write_notebook(folder: Path) -> tuple[Path, Any]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# capture test"), *[nbformat.v4.new_code_cell(c) for c in CELLS]]
    path = folder / "capture.ipynb"
    nbformat.write(nb, path)
    return path, nb


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def executed(tmp_path: Path, store_dir: Path) -> dict[str, Any]:
    """Run the notebook's cells in the order 1 2 3 4 3 5 (the tracked cell re-run after cell 4 changed df)."""
    folder = tmp_path / "project"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "t@example.com")
    git(folder, "config", "user.name", "T")
    path, nb = write_notebook(folder)
    git(folder, "add", "capture.ipynb")
    git(folder, "commit", "-q", "-m", "notebook")
    (folder / "notes.txt").write_text("untracked file: not part of the dirty diff\n")
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    env = {**os.environ, "MLM_STORE": str(store_dir), "JPY_SESSION_NAME": str(path)}
    env.pop("MLM_RUN_OWNER", None)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    order = [code[0], code[1], code[2], code[3], code[2], code[4]]
    outputs = []
    with client.setup_kernel(env=env):
        for index in order:
            client.execute_cell(nb.cells[index], index)
            outputs.append(list(nb.cells[index].outputs))
    return {"path": path, "nb": nb, "store": store_dir, "outputs": outputs}


def test_notebook_capture_end_to_end(executed: dict[str, Any]) -> None:
    path, nb = executed["path"], executed["nb"]
    client = MlmClient(executed["store"])
    try:
        cells = client.cell_history(notebook=str(path))
        assert len(cells) == 6
        assert list(cells["execution_count"]) == [1, 2, 3, 4, 5, 6]
        code_ids = [c.id for c in nb.cells if c.cell_type == "code"]
        assert list(cells["cell_id"]) == [code_ids[i] for i in (0, 1, 2, 3, 2, 4)]
        assert list(cells["cell_id_source"].unique()) == ["matched"]
        assert list(cells["success"]) == [True, True, True, True, True, False]
        assert cells.iloc[5]["error_type"] == "ValueError"
        assert cells["session_id"].nunique() == 1
        assert int(client.sql("SELECT count(*) AS n FROM cell_sources")["n"][0]) == 5  # the re-run is stored once

        runs = client.search_runs(experiment="nbtest", order_by=["attributes.start_time"])
        assert list(runs["name"]) == ["train", "train", "broken"]
        first, second, broken = (client.get_run(r) for r in runs["run_id"])

        assert first.status == "finished" and first.params == {"lr": "0.1", "epochs": "3"}
        assert first.metrics == {"score": pytest.approx(4.95)}
        assert second.metrics == {"score": pytest.approx(9.9)}
        assert [(i.name, i.role) for i in first.inputs] == [("df", "input")]
        assert [(o.name, o.role) for o in first.outputs] == [("preds", "output")]
        assert first.inputs[0].fingerprint.digest != second.inputs[0].fingerprint.digest  # df changed in between
        assert first.inputs[0].fingerprint.kind == "pandas.DataFrame"

        assert first.cell["source"] == TRACKED and first.cell["cell_id"] == code_ids[2]
        assert first.cell["notebook"] == str(path)
        assert len(first.cell["history"]) == 2 and len(second.cell["history"]) == 4
        snapshot = client.store.read_blob(first.cell["notebook_sha256"])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == first.cell["notebook_sha256"]
        assert nbformat.reads(snapshot.decode(), as_version=4).cells[3].source == TRACKED
        assert int(client.sql("SELECT count(*) AS n FROM notebook_snapshots")["n"][0]) == 1

        assert first.previous_run_id is None and second.previous_run_id == first.id

        assert first.staleness == ()
        summaries = [o for o in executed["outputs"][4] if o.get("output_type") == "display_data"]
        assert "mlm-run-summary" in summaries[0]["data"]["text/html"]
        assert "not reproducible top to bottom" in summaries[0]["data"]["text/plain"]
        first_summary = [o for o in executed["outputs"][2] if o.get("output_type") == "display_data"]
        assert "run train" in first_summary[0]["data"]["text/plain"]
        assert "not reproducible" not in first_summary[0]["data"]["text/plain"]
        assert any("`df` comes from code cell 4, which is below code cell 3" in r for r in second.staleness), second.staleness

        assert broken.status == "failed" and broken.params == {"rate": "0.5"}
        assert "ValueError: bad batch" in broken.cell["traceback"]

        prov = first.provenance
        assert prov["git_branch"] == "main" and len(prov["git_commit"]) == 40 and prov["git_dirty"] is False
        assert prov["environment_digest"] and prov["python"] == ".".join(map(str, sys.version_info[:3]))
        assert int(client.sql("SELECT count(*) AS n FROM environments")["n"][0]) == 1

        # nbclient names its connection file tmpXXXX.json (no kernel id): runs belong to the kernel process
        assert set(client.sql("SELECT DISTINCT owner FROM runs")["owner"]) == {"process"}
    finally:
        client.close()


def test_demo_prints_the_quickstart_runs(store_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "--store", str(store_dir), "demo"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "run(s) tracked by quickstart.ipynb" in done.stderr
    assert "WARNING" not in done.stderr, done.stderr  # e.g. the kernel's "running over TCP without encryption"
    assert "quickstart" in done.stdout and "finished" in done.stdout
    client = MlmClient(store_dir)
    try:
        runs = client.search_runs(experiment="quickstart")
        assert len(runs) >= 3
        tracked = [client.get_run(r) for r in runs["run_id"]]
        assert any(r.cell is not None for r in tracked)  # made by %%track cells
        assert len(client.cell_history()) >= len(tracked)
    finally:
        client.close()


SERVER_CELLS = [
    "%load_ext mlm_jupyter\nimport numpy as np\nfeatures = np.arange(10.0)",
    ("%%track -e served -n via-server\nwidth = 7\nimport mlm_jupyter as mlm\n"
     "mlm.log_metric('total', float(features.sum()))"),
    ("import mlm_jupyter as mlm\nfrom mlm_jupyter.tracking.run_owner import run_owner\n"
     "print('RUN', mlm.search_runs(experiment='served')['run_id'][0], mlm.get_client().store.describe()['backend'],"
     " run_owner(), flush=True)"),
]


def test_kernel_started_by_a_server_captures_through_its_rest_store(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from jupyter_client import BlockingKernelClient
    from server_process import JupyterServerProcess

    server = JupyterServerProcess(tmp_path, tmp_path / "store").start()
    try:
        response = server.post("api/kernels", {"name": "python3"})
        assert response.status_code == 201, response.text
        kernel_id = response.json()["id"]
        kernel = BlockingKernelClient(connection_file=str(server.runtime / f"kernel-{kernel_id}.json"))
        kernel.load_connection_file()
        kernel.start_channels(hb=False)
        kernel.wait_for_ready(timeout=60)
        for cell in SERVER_CELLS:
            reply = kernel.execute_interactive(cell, timeout=120, output_hook=lambda message: None)
            assert reply["content"]["status"] == "ok", reply["content"]
        words: list[str] = []

        def grab(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream" and message["content"]["text"].startswith("RUN"):
                words.extend(message["content"]["text"].split())

        kernel.execute_interactive(SERVER_CELLS[-1], timeout=60, output_hook=grab)
        _, run_id, backend, owner = words[:4]
        assert backend != "duckdb"  # the kernel reached the store through the server
        assert owner == f"kernel:{kernel_id}"
        run = server.get(f"mlm/api/runs/{run_id}").json()
        assert run["status"] == "finished" and run["params"] == {"width": "7"}
        assert run["metrics"] == {"total": 45.0}
        assert run["cell"]["source"].startswith("%%track -e served") and run["provenance"]["environment_digest"]
        assert [i["name"] for i in run["inputs"]] == ["features"]
        kernel.stop_channels()
    finally:
        server.stop()
