"""The monitoring notebook runs headless in a real kernel: the stream drifts halfway and everything says so."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from mlm_jupyter.cli.demo import demo_notebook
from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.client import MlmClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "monitoring.ipynb"


def test_mlm_demo_offers_the_monitoring_notebook() -> None:
    assert demo_notebook("monitoring") == NOTEBOOK
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0 and "monitoring" in result.output
    wrong = CliRunner().invoke(cli, ["demo", "nonesuch"])
    assert wrong.exit_code == 2


@pytest.mark.slow
def test_monitoring_notebook_detects_the_drift_after_the_halfway_point(store_dir: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    runner = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    assert os.environ["MLM_STORE"] == str(store_dir)
    bin_dir = str(Path(sys.executable).parent)  # the notebook runs `!mlm ...`: this environment's console script
    runner.execute(env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                        "JPY_SESSION_NAME": str(tmp_path / "monitoring.ipynb")})

    text = "\n".join(
        o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
        for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    history_line = next(line for line in text.splitlines() if line.startswith("HISTORY "))
    alarms = json.loads(history_line.removeprefix("HISTORY "))
    assert alarms == [False] * 6 + [True] * 6  # not before the halfway point, every hour after it
    assert "production -> v1" in text
    assert "drifted features: 2/4" in text and "income: wasserstein" in text and "'enterprise'" in text
    assert "exit status: 1" in text  # the CLI verdict fails a cron job or a CI step
    assert "CLI verdict: drift + prediction drift + skew | drifted: ['income', 'plan']" in text

    client = MlmClient(store_dir)
    try:  # the reference came from the %%track cell's lineage: its input table, sampled
        from mlm_jupyter.tracking.reference import reference_for

        version = client.get_model_version("churn", alias="production")
        reference = reference_for(client, version)
        assert reference.dataset == "X_train" and reference.table.num_rows == 5000
    finally:
        client.close()
