"""Shared fixtures for the MLflow tests: a migrated, empty MLflow database to copy (migrating costs ~10 s)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


def memory_folder(prefix: str) -> Path:
    """A fresh folder in /dev/shm when there is one: MLflow's SQLite store fsyncs every write."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@pytest.fixture(scope="session")
def empty_mlflow_db() -> Path:
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    folder = memory_folder("mlm-mlflow-template-")
    template = folder / "empty.db"
    here = os.getcwd()
    os.chdir(folder)  # the Default experiment's artifact root is ./mlruns where the database is created
    try:
        MlflowClient(f"sqlite:///{template}").search_experiments()
    finally:
        os.chdir(here)
    yield template
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mlflow_uri(empty_mlflow_db: Path) -> str:
    """A fresh MLflow tracking URI (SQLite), artifacts beside it."""
    folder = memory_folder("mlm-mlflow-")
    shutil.copy(empty_mlflow_db, folder / "mlflow.db")
    yield f"sqlite:///{folder}/mlflow.db"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The fluent API (native and MLflow layer) on a fresh store of this test, no server."""
    from mlm_jupyter.tracking import fluent
    from mlm_jupyter.tracking.client import MlmClient

    monkeypatch.setenv("MLM_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("MLM_NO_SERVER", "1")
    monkeypatch.delenv("MLM_SERVER_URL", raising=False)
    client = MlmClient(tmp_path / "store")
    fluent.set_client(client)
    fluent.set_experiment(None)  # type: ignore[arg-type]
    yield client
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_experiment(None)  # type: ignore[arg-type]
    fluent.set_client(None)
    client.close()
