"""The ``mlm`` command line, invoked as a user would in a terminal or CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def seeded(client: MlmClient) -> list[str]:
    ids = []
    for depth, auc in ((4, 0.8), (8, 0.9)):
        with mlm.start_run(experiment="churn", name=f"depth-{depth}") as run:
            mlm.log_param("max_depth", depth)
            mlm.log_metric("val_auc", auc)
            ids.append(run.id)
    client.store.close()  # release the file the way a finished notebook would
    return ids


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", *args], capture_output=True,
                          text=True, timeout=120)


def test_experiments_ls(seeded: list[str]) -> None:
    result = CliRunner().invoke(cli, ["experiments", "ls", "--json"])
    assert result.exit_code == 0, result.output
    assert [e["name"] for e in json.loads(result.output)] == ["churn"]


def test_runs_ls_with_filter_as_table_and_json(seeded: list[str]) -> None:
    table = invoke("runs", "ls", "--filter", "metrics.val_auc > 0.85")
    assert table.returncode == 0, table.stderr
    assert "depth-8" in table.stdout and "depth-4" not in table.stdout
    as_json = json.loads(invoke("runs", "ls", "--experiment", "churn", "--json").stdout)
    assert {r["name"] for r in as_json} == {"depth-4", "depth-8"}
    assert all("metrics.val_auc" in r for r in as_json)


def test_runs_show(seeded: list[str]) -> None:
    result = invoke("runs", "show", seeded[1], "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["params"] == {"max_depth": "8"} and shown["metrics"] == {"val_auc": 0.9}
    human = invoke("runs", "show", seeded[1])
    assert "max_depth = 8" in human.stdout


def test_sql_is_read_only(seeded: list[str]) -> None:
    ok = invoke("sql", "SELECT count(*) AS n FROM runs", "--json")
    assert json.loads(ok.stdout) == [{"n": 2}]
    refused = invoke("sql", "DELETE FROM runs")
    assert refused.returncode == 1 and "read-only" in refused.stderr


def test_errors_exit_1_with_a_message(seeded: list[str]) -> None:
    bad = invoke("runs", "ls", "--filter", "metrics.val_auc >")
    assert bad.returncode == 1 and "INVALID_QUERY" in bad.stderr and "column" in bad.stderr
    missing = invoke("runs", "show", "does-not-exist")
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr


def test_store_option_overrides_the_environment(seeded: list[str], tmp_path: Path) -> None:
    result = invoke("--store", str(tmp_path / "elsewhere"), "runs", "ls", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_export_writes_every_table_as_parquet(seeded: list[str], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    result = invoke("export", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    written = {item["table"]: item["rows"] for item in json.loads(result.stdout)}
    assert written["runs"] == 2
    assert set(pq.read_table(tmp_path / "out" / "runs.parquet").column("id").to_pylist()) == set(seeded)
