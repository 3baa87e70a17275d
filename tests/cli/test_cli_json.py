"""``mlm runs ls --json`` for machines: a run without a param, metric or tag has null there, not "nan"."""

from __future__ import annotations

import json

from click.testing import CliRunner

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.client import MlmClient


def test_missing_values_are_null_and_infinities_are_text(client: MlmClient) -> None:
    with mlm.start_run(experiment="e", name="with", provenance=False):
        mlm.log_param("depth", 8)
        mlm.log_metric("auc", 0.9)
        mlm.log_metric("blowup", float("inf"))
        mlm.set_tag("stage", "a")
    with mlm.start_run(experiment="e", name="without", provenance=False):
        pass
    client.store.close()
    result = CliRunner().invoke(cli, ["runs", "ls", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["without"]["params.depth"] is None
    assert rows["without"]["metrics.auc"] is None
    assert rows["without"]["tags.stage"] is None
    assert rows["with"]["params.depth"] == "8" and rows["with"]["metrics.auc"] == 0.9
    assert rows["with"]["metrics.blowup"] == "inf"
    assert rows["with"]["end_time"].startswith("20")


def test_runs_show_json_lists_a_runs_outputs_next_to_its_inputs(client: MlmClient) -> None:
    import numpy as np

    with mlm.start_run(experiment="e", name="split", provenance=False) as run:
        client.log_input(run.id, np.arange(10.0), name="X", direction="input")
        client.log_input(run.id, np.arange(5.0), name="X_train", role="output", direction="output")
        client.log_input(run.id, np.arange(3.0), name="X_test", role="output", direction="output")
    client.store.close()
    result = CliRunner().invoke(cli, ["runs", "show", run.id, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [i["name"] for i in shown["inputs"]] == ["X"]
    assert sorted(o["name"] for o in shown["outputs"]) == ["X_test", "X_train"]
    assert all(len(o["digest"]) >= 16 for o in shown["outputs"])
    text = CliRunner().invoke(cli, ["runs", "show", run.id])
    assert "outputs:" in text.output and "X_train" in text.output
