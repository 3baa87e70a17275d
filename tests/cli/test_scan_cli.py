"""``mlm scan``: a CI step that exits 1 on a failing finding, 0 on a clean model, 2 when it cannot scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from scan_planted import clean, constant

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.scan import scan_reports


@pytest.fixture
def versions(client: MlmClient, tmp_path: Path) -> Path:
    good, bad = clean(0), constant(0)
    with mlm.start_run():
        mlm.log_model(good.model, "churn")
    with mlm.start_run():
        mlm.log_model(bad.model, "churn")
    good.X_test.assign(y=good.y_test).to_csv(tmp_path / "test.csv", index=False)
    good.X_train.assign(y=good.y_train).to_parquet(tmp_path / "train.parquet")
    client.store.close()
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_a_failing_version_exits_1_and_says_why(versions: Path) -> None:
    result = run("scan", "models:/churn/2", "--data", str(versions / "test.csv"), "--target", "y",
                 "--train", str(versions / "train.parquet"), "--html", str(versions / "report.html"))
    assert result.exit_code == 1, result.output
    assert "scan failed" in result.output and "underfitting" in result.output and "fix:" in result.output
    assert "<svg" in (versions / "report.html").read_text()


def test_a_clean_version_exits_0_and_prints_json(versions: Path) -> None:
    result = run("scan", "models:/churn/1", "--data", str(versions / "test.csv"), "--target", "y",
                 "--sensitive", "group", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "passed" and report["model"]["version"] == 1
    assert {c["check"] for c in report["checks"]} >= {"bias", "calibration", "slices"}
    reader = MlmClient(os.environ["MLM_STORE"])
    try:
        assert scan_reports(reader, name="churn", version=1)["id"].tolist() == [report["id"]]
    finally:
        reader.close()


def test_fail_on_lowers_the_bar(versions: Path) -> None:
    result = run("scan", "models:/churn/1", "--data", str(versions / "test.csv"), "--target", "y",
                 "--fail-on", "info", "--check", "slices", "--json")
    report = json.loads(result.output)
    assert result.exit_code == (0 if not report["counts"]["info"] + report["counts"]["low"]
                                + report["counts"]["medium"] + report["counts"]["high"] else 1)


def test_bad_arguments_exit_2_with_a_message(versions: Path) -> None:
    result = run("scan", "models:/churn/1", "--data", str(versions / "test.csv"), "--target", "label")
    assert result.exit_code == 2 and "has no column 'label'" in result.output
    result = run("scan", "models:/churn/9", "--data", str(versions / "test.csv"), "--target", "y")
    assert result.exit_code == 2 and "NOT_FOUND" in result.output
    result = run("scan", "models:/churn/1", "--data", "no-such-dataset", "--target", "y")
    assert result.exit_code == 2 and "neither a file nor a logged dataset" in result.output


@pytest.mark.slow
def test_the_installed_command_runs_in_a_fresh_process(versions: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "scan", "models:/churn/2", "--data",
                           str(versions / "test.csv"), "--target", "y", "--check", "underfitting"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "no_better" not in done.stdout and "underfitting" in done.stdout
