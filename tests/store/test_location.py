"""Where the store lives, and what a mistaken ``MLM_STORE`` (a file instead of a folder) does."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import StoreError
from mlm_jupyter.store.location import resolve_store_dir


def test_the_nearest_mlm_folder_upward_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLM_STORE", raising=False)
    (tmp_path / ".mlm").mkdir()
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    assert resolve_store_dir(start=deeper) == (tmp_path / ".mlm").resolve()


def test_mlm_store_naming_the_database_file_means_its_folder(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client = mlm.MlmClient(tmp_path / "s")
    client.create_experiment("e")
    client.close()
    monkeypatch.setenv("MLM_STORE", str(tmp_path / "s" / "mlm.duckdb"))
    assert resolve_store_dir() == (tmp_path / "s").resolve()


def test_mlm_store_naming_another_file_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setenv("MLM_STORE", str(tmp_path / "notes.txt"))
    with pytest.raises(StoreError, match="must be a directory"):
        resolve_store_dir()
    assert (tmp_path / "notes.txt").read_text() == "x"
