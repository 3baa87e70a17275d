"""A full disk: a clear StoreError with advice, no half blobs left behind, and the store works once space is freed."""

from __future__ import annotations

import errno
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar, Self

import duckdb
import pytest

from mlm_jupyter.core.errors import StoreError
from mlm_jupyter.store import duckdb_store
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore


class _CommitFailsOnce:
    """A connection whose next COMMIT fails as DuckDB's does when the WAL cannot be written."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.failed = False

    def execute(self, sql: str, *args: Any) -> Any:
        if self.failed:  # as DuckDB: a ROLLBACK finds no transaction, anything else finds it aborted
            if sql == "ROLLBACK":
                raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction "
                                                  "is active")
            raise duckdb.TransactionException("TransactionContext Error: Current transaction is aborted "
                                              "(please ROLLBACK)")
        if sql == "COMMIT":
            self.failed = True
            self._con.execute("ROLLBACK")
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "mlm.duckdb.wal": '
                "No space left on device")
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _create_run(store: DuckDbStore) -> None:
    store.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                "start_time": time.time(), "owner": "test"})))


def test_a_commit_that_hits_a_full_disk_says_so_and_the_next_write_works(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s", hold_seconds=30)
    _create_run(store)
    store._con = _CommitFailsOnce(store._con)
    with pytest.raises(StoreError, match="No space left on device.*Free some disk space"):
        store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"a": "1"}})))
    # was: the ROLLBACK's 'no transaction is active' hid the cause, and the kept connection answered every
    # later write with 'Current transaction is aborted' even after space was freed
    store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"a": "1"}})))
    assert store.sql("SELECT key, value FROM params").to_pydict() == {"key": ["a"], "value": ["1"]}
    store.close()


_REAL_TEMPORARY_FILE = tempfile.NamedTemporaryFile


class _FullFile:
    """A temporary file on a disk that is full: every write fails with ENOSPC."""

    def __init__(self, **kwargs: Any) -> None:
        self._file = _REAL_TEMPORARY_FILE(**kwargs)
        self.name = self._file.name
        _FullFile.names.append(self.name)

    names: ClassVar[list[str]] = []

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def test_blobs_on_a_full_disk_leave_no_half_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDbStore(tmp_path / "s")
    source = tmp_path / "model.bin"
    source.write_bytes(b"x" * 5000)
    monkeypatch.setattr(duckdb_store.tempfile, "NamedTemporaryFile", _FullFile)
    with pytest.raises(StoreError, match="no space left.*nothing was stored"):
        store.put_file(source)
    with pytest.raises(StoreError, match="no space left.*nothing was stored"):
        store.put_blob(b"y" * 100)
    assert _FullFile.names and not any(Path(name).exists() for name in _FullFile.names)
    assert [p for p in (tmp_path / "s").rglob("*") if p.is_file()] == []
    store.close()
