"""The data-versioning notebook runs headless, top to bottom, against a fresh store."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "data_versioning.ipynb"


@pytest.mark.slow
def test_data_versioning_notebook_executes(store_dir: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    assert os.environ["MLM_STORE"] == str(store_dir)
    client.execute()
    outputs = {i: "".join(o.get("text", "") for o in cell.get("outputs", []))
               for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"}
    text = "\n".join(outputs.values())
    assert "customers [(1," in text and "train [(1," in text
    assert "lineage of run fit" in text and "--train--> run fit" in text and "--logged--> model churn-lr v1" in text
    assert "changed columns" in text and "rows: 1600 -> 1900 (+300)" in text
    leak = re.search(r"leakage: ~(\d+)% of the test rows", text)
    assert leak and 60 <= int(leak.group(1)) <= 90  # 75% exactly; the sketch estimates it
    assert (store_dir / "mlm.duckdb").exists()
