"""A store whose header opens but whose body is cut short: CorruptStoreError with advice on reads and writes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlm_jupyter.core.errors import CorruptStoreError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore


@pytest.mark.parametrize("fraction", [0.3, 0.9])
def test_a_store_cut_short_past_its_header_is_corrupt_with_advice(tmp_path: Path, fraction: float) -> None:
    store = DuckDbStore(tmp_path / "s")
    store.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                "start_time": time.time(), "owner": "test"})))
    store.close()
    path = tmp_path / "s" / "mlm.duckdb"
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(int(size * fraction))
    damaged = path.read_bytes()
    reopened = DuckDbStore(tmp_path / "s")
    with pytest.raises(CorruptStoreError, match="move the file aside"):  # was a bare duckdb.IOException
        reopened.read("run", run_id="r1")
    with pytest.raises(CorruptStoreError, match="move the file aside"):  # was StoreError without advice
        reopened.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"a": "1"}})))
    reopened.close()
    assert path.read_bytes() == damaged  # left as it was for the user to move aside or restore
