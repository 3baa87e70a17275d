"""The registry notebook runs headless, top to bottom, against a fresh store."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlm_jupyter.tracking.client import MlmClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "registry.ipynb"


@pytest.mark.slow
def test_registry_notebook_executes(store_dir: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    runner = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    assert os.environ["MLM_STORE"] == str(store_dir)
    runner.execute()

    text = "\n".join(
        o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
        for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "v1  sklearn" in text and "v2  sklearn" in text
    assert "production -> v2" in text
    assert "blocked: cannot point moons@production at v1" in text and "beats the current 'production'" in text
    assert "promotion_blocked" in text and "alias_moved" in text
    assert "# Model card: moons v2" in text and "| val_auc |" in text
    assert "reloaded production val_auc:" in text

    client = MlmClient(store_dir)
    try:
        production = client.get_model_version("moons", alias="production")
        assert production.version == 2 and production.metrics["val_auc"] > 0.95
        actions = client.model_history("moons")["action"].tolist()
        assert actions == ["version_created", "version_created", "rule_set", "rule_set", "alias_set", "alias_moved",
                           "promotion_blocked"]
        assert client.model_loads("moons")["version"].tolist() == [2]
    finally:
        client.close()
