"""The scan notebook runs headless: the leaky version is blocked (widget and CLI), the fixed one promoted."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlm_jupyter.tracking.client import MlmClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "scan.ipynb"


@pytest.mark.slow
def test_scan_notebook_blocks_then_promotes(store_dir: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(
        o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
        for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "[high] leakage: feature 'retention_offer_sent' alone predicts the target" in text
    assert "cannot point churn-scan@production at v1" in text and "leakage (high)" in text
    assert "exit status: 1" in text and "exit status: 0" in text
    assert "churn-scan@production now points at v2" in text
    assert (tmp_path / "churn_scan_v1.html").read_text().startswith("<!DOCTYPE html>")

    client = MlmClient(store_dir)
    try:
        assert client.get_model_version("churn-scan", alias="production").version == 2
        actions = client.model_history("churn-scan")["action"].tolist()
        assert "promotion_blocked" in actions and actions[-1] == "alias_set"
    finally:
        client.close()
