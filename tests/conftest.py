"""Shared fixtures: every test gets its own store directory and a fresh default client."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store directory, exported as MLM_STORE for code and subprocesses under test."""
    directory = tmp_path / "store"
    monkeypatch.setenv("MLM_STORE", str(directory))
    return directory


@pytest.fixture
def client(store_dir: Path) -> Iterator[MlmClient]:
    """An MlmClient on the test's store, also used by the fluent API."""
    mlm_client = MlmClient(store_dir)
    fluent.set_client(mlm_client)
    yield mlm_client
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_client(None)
    mlm_client.close()
