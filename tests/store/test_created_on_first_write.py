"""A store is created on its first write (DESIGN.md §3): looking at a store that does not exist creates nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.tracking.client import MlmClient


def test_reads_of_a_missing_store_answer_empty_and_create_nothing(tmp_path: Path) -> None:
    directory = tmp_path / ".mlm"
    client = MlmClient(DuckDbStore(directory))

    assert client.search_runs().empty
    assert client.store.sql("SELECT count(*) AS n FROM runs").to_pylist() == [{"n": 0}]

    assert not directory.exists()


def test_the_first_write_creates_the_store_and_reads_then_see_it(tmp_path: Path) -> None:
    directory = tmp_path / ".mlm"
    client = MlmClient(DuckDbStore(directory))
    assert client.search_runs().empty

    run = client.create_run(experiment="e", name="first")
    client.log_metric(run.id, "loss", 0.5)
    client.set_terminated(run.id)

    assert list(client.search_runs()["name"]) == ["first"]  # the client's queued writes are stored first
    assert (directory / "mlm.duckdb").is_file()


def test_cli_listing_in_a_fresh_folder_leaves_it_clean(tmp_path: Path) -> None:
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "from mlm_jupyter.cli.main import main; main()", "runs", "ls"], cwd=tmp_path, env=env_free,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no rows" in result.stdout
    assert not (tmp_path / ".mlm").exists()
