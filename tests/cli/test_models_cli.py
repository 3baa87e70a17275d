"""``mlm models``: list, show, promote through gates, history and export, as a user would in CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def registry(client: MlmClient) -> MlmClient:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    for auc in (0.8, 0.95):
        with mlm.start_run(experiment="churn"):
            mlm.log_metric("val_auc", auc)
            mlm.log_model(model, name="churn", input_example=x[:2])
    mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    client.store.close()  # release the file the way a finished notebook would
    return client


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_ls_lists_models_with_aliases(registry: MlmClient) -> None:
    assert run("models", "promote", "churn", "2", "production").exit_code == 0
    result = run("models", "ls", "--json")
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.output)
    assert {k: listed[k] for k in ("name", "versions", "latest", "aliases")} == {
        "name": "churn", "versions": 2, "latest": 2, "aliases": "production=v2"}
    assert "production=v2" in run("models", "ls").output


def test_show_a_model_a_version_and_a_card(registry: MlmClient) -> None:
    table = run("models", "show", "churn")
    assert table.exit_code == 0 and "sklearn" in table.output
    one = json.loads(run("models", "show", "churn/1", "--json").output)
    assert one["version"] == 1 and one["flavor"] == "sklearn" and one["metrics"] == {"val_auc": 0.8}
    assert one["signature"]["inputs"][0]["shape"] == [-1, 1]
    run("models", "promote", "churn", "2", "production")
    by_alias = run("models", "show", "models:/churn@production")
    assert "version: 2" in by_alias.output and "production" in by_alias.output
    card = run("models", "show", "churn/2", "--card")
    assert card.output.startswith("# Model card: churn v2")
    missing = run("models", "show", "nope")
    assert missing.exit_code == 1 and "no registered model named 'nope'" in missing.output


def test_promote_exits_1_with_the_gate_message_when_blocked(registry: MlmClient) -> None:
    blocked = run("models", "promote", "churn", "1", "production", "--reason", "try")
    assert blocked.exit_code == 1
    assert "PROMOTION_BLOCKED" in blocked.output and "val_auc = 0.8, 0.1 short" in blocked.output
    forced = run("models", "promote", "churn", "1", "production", "--force", "--reason", "incident 7")
    assert forced.exit_code == 0 and "churn@production -> v1 (forced)" in forced.output
    history = json.loads(run("models", "history", "churn", "--json").output)
    assert [h["action"] for h in history] == ["version_created", "version_created", "rule_set",
                                              "promotion_blocked", "alias_set"]
    assert history[-1]["forced"] is True and history[-1]["reason"] == "incident 7"
    assert "alias_set" in run("models", "history", "churn").output


def test_promote_exit_code_in_a_real_process(registry: MlmClient) -> None:
    done = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "models", "promote", "churn", "1",
                           "production"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "val_auc >= 0.9" in done.stderr
    done = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "models", "promote", "churn", "2",
                           "production", "--reason", "passes the gate"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_export_writes_a_loadable_directory(registry: MlmClient, tmp_path: Path) -> None:
    target = tmp_path / "shipped"
    result = run("models", "export", "churn/2", str(target))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target)
    model = mlm.load_model(target)
    assert model.predict(np.array([[3.0]])).tolist() == [1]
    again = run("models", "export", "models:/churn/2", str(target))
    assert again.exit_code == 1 and "ALREADY_EXISTS" in again.output


def test_a_blocked_promote_says_how_to_override_on_the_command_line(registry: MlmClient) -> None:
    blocked = run("models", "promote", "churn", "1", "production")
    assert blocked.exit_code == 1
    assert "mlm models promote churn 1 production --force --reason" in blocked.output
