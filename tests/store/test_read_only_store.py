"""A store on a read-only disk is a StoreError about access, never 'corrupt: move the file aside'."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mlm_jupyter.core.errors import CorruptStoreError, StoreError
from mlm_jupyter.store import duckdb_store
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore


def test_a_read_only_file_system_is_not_reported_as_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDbStore(tmp_path / "s")
    store.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                "start_time": time.time(), "owner": "test"})))
    store.close()

    def read_only_disk(path: str, *args: Any, **kwargs: Any) -> Any:  # what DuckDB says on a ro mount (EROFS)
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')

    monkeypatch.setattr(duckdb_store.duckdb, "connect", read_only_disk)
    reopened = DuckDbStore(tmp_path / "s")
    with pytest.raises(StoreError, match="Read-only file system.*readable and writable by you") as caught:
        reopened.read("run", run_id="r1")
    assert not isinstance(caught.value, CorruptStoreError)  # was: 'move the file aside ... fresh store'
    reopened.close()
