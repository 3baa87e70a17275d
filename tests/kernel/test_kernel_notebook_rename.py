"""Issue 11 item 12, kernel side: a kernel whose notebook was renamed picks up the new path from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from mlm_jupyter.kernel import extension
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.client import MlmClient


def test_after_a_rename_the_next_tracked_run_and_the_earlier_ones_use_the_new_path(
        ip: Any, client: MlmClient, tmp_path: Path) -> None:
    old, new = tmp_path / "Untitled.ipynb", tmp_path / "churn.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("%%track -e rn\ny = x + 1")]
    nbformat.write(notebook, old)
    capture = extension._captures[ip]
    capture.set_notebook(str(old))
    for source in ("x = 1", "%%track -e rn -n first\ny = x + 1"):
        assert ip.run_cell(source, store_history=True).success
    first = client.search_runs(experiment="rn")["run_id"][0]

    old.rename(new)  # JupyterLab's Rename; the server records it in the store (server/renames.py)
    client.store.write(WriteBatch.of(Op("rename_notebook", {"old": str(old), "new": str(new)})))
    assert ip.run_cell("%%track -e rn -n second\ny = x + 2", store_history=True).success

    frame = client.search_runs(experiment="rn", order_by=["attributes.start_time desc"])
    second = frame["run_id"][0]
    assert capture.notebook_path == str(new)
    assert client.get_run(second).cell["notebook"] == str(new)
    assert client.get_run(first).cell["notebook"] == str(new)
    assert not any("no longer in the notebook" in reason for reason in client.get_run(second).staleness)
