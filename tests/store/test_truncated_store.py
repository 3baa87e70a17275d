"""A store file cut to half its size: damage is found on open, nothing is written, advice is given (issue 11, item 8)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tracking.trained_models import pipeline

from mlm_jupyter.core.errors import CorruptStoreError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of a few MB (runs with params and metrics, a registered model), closed."""
    directory = tmp_path_factory.mktemp("truncated") / "s"
    client = MlmClient(directory)
    run = client.create_run("e", "with-model")
    model, _, _ = pipeline()
    client.log_model(run.id, model, "m")
    client.end_run(run.id)
    for i in range(150):
        run = client.create_run("e", f"r{i}")
        client.log_params(run.id, {f"p{j}": j for j in range(20)})
        client.log_metric_batch(run.id, "loss", [0.1] * 200)
        client.end_run(run.id)
    client.close()
    return directory


def _cut(full_store: Path, tmp_path: Path, fraction: float) -> Path:
    directory = tmp_path / "s"
    directory.mkdir()
    data = (full_store / "mlm.duckdb").read_bytes()
    (directory / "mlm.duckdb").write_bytes(data[:int(len(data) * fraction)])
    for blob in (full_store / "artifacts").rglob("*"):
        if blob.is_file():
            target = directory / "artifacts" / blob.relative_to(full_store / "artifacts")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.read_bytes())
    return directory


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_store_cut_to_half_is_refused_on_open_and_never_written(full_store: Path, tmp_path: Path) -> None:
    directory = _cut(full_store, tmp_path, 0.5)
    before = _digest(directory / "mlm.duckdb")
    client = MlmClient(directory)
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        client.search_runs()
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        client.load_model("models:/m/1")
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        client.store.write(WriteBatch.of(Op("create_experiment", {"name": "x"})))
    client.close()
    assert _digest(directory / "mlm.duckdb") == before  # was: the audit write rewrote 25 pages of it
    assert not (directory / "mlm.duckdb.wal").exists()


def test_a_shorter_cut_is_found_by_the_first_read_that_fails(full_store: Path, tmp_path: Path) -> None:
    directory = _cut(full_store, tmp_path, 0.75)
    before = _digest(directory / "mlm.duckdb")
    store = DuckDbStore(directory)
    with pytest.raises(CorruptStoreError, match="move the file aside"):  # was a STORE_ERROR without advice
        # found on open when the cut removes blocks in use outright, else by the first read that fails
        tables = store.sql("SELECT table_name FROM information_schema.tables").column("table_name").to_pylist()
        for table in tables:
            store.sql(f"SELECT * FROM {table}", max_rows=10_000_000)
    with pytest.raises(CorruptStoreError, match="move the file aside"):  # every later write is refused
        store.write(WriteBatch.of(Op("create_experiment", {"name": "x"})))
    store.close()
    assert _digest(directory / "mlm.duckdb") == before


def test_the_cli_says_the_store_is_damaged_and_what_to_do(full_store: Path, tmp_path: Path) -> None:
    directory = _cut(full_store, tmp_path, 0.5)
    result = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "runs", "ls"], capture_output=True,
                            text=True, env={"MLM_STORE": str(directory), "PATH": "/usr/bin:/bin",
                                            "MLM_NO_SERVER": "1"}, timeout=120)
    assert result.returncode != 0
    assert "CORRUPT_STORE" in result.stderr and "move the file aside" in result.stderr, result.stderr


def test_damage_found_by_a_read_refuses_every_later_write(full_store: Path, tmp_path: Path) -> None:
    """Even when a damaged page escapes the check on open, the first failing read marks the store damaged."""
    directory = _cut(full_store, tmp_path, 1.0)
    store = DuckDbStore(directory)
    store.read("counts")
    store._mark_damaged("a read failed: IO Error: Could not read enough bytes")  # as _read would on such an error
    before = _digest(directory / "mlm.duckdb")
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        store.write(WriteBatch.of(Op("create_experiment", {"name": "x"})))
    store.close()
    assert _digest(directory / "mlm.duckdb") == before
