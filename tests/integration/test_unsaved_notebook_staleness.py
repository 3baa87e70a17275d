"""A new, unsaved notebook (the file on disk still empty): a setup cell then a ``%%track`` cell is no
"cell that is no longer in the notebook" (a real kernel, nbclient)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlm_jupyter.tracking.client import MlmClient

pytestmark = pytest.mark.slow


def test_cells_not_saved_yet_are_not_deleted_cells(tmp_path: Path) -> None:
    path = tmp_path / "Untitled.ipynb"
    on_disk = nbformat.v4.new_notebook()  # what JupyterLab saved when the notebook was created
    on_disk.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(on_disk, path)
    live = nbformat.v4.new_notebook(metadata=on_disk.metadata)
    live.cells = [nbformat.v4.new_code_cell(s) for s in (
        "%load_ext mlm_jupyter",
        "import numpy as np\nX_train = np.arange(20.0).reshape(10, 2)\ny_train = X_train.sum(axis=1)",
        "%%track -e unsaved -n fit\nalpha = 0.5\nweights = np.linalg.lstsq(X_train, y_train, rcond=None)[0] * alpha")]
    env = {**os.environ, "MLM_STORE": str(tmp_path / "store"), "JPY_SESSION_NAME": str(path)}
    env.pop("MLM_RUN_OWNER", None)
    client = NotebookClient(live, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    store = MlmClient(tmp_path / "store")
    try:
        run = store.get_run(store.search_runs(experiment="unsaved")["run_id"][0])
        assert run.status == "finished"
        assert not any("no longer in the notebook" in reason for reason in run.staleness), run.staleness
        assert run.staleness == ()
    finally:
        store.close()
