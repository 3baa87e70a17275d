"""A damaged store file (truncated, e.g. a disk filled up mid-copy) is refused with advice and left as is."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import CorruptStoreError
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.tracking.client import MlmClient


def test_a_truncated_store_file_is_a_corrupt_store_with_advice(tmp_path: Path) -> None:
    directory = tmp_path / "s"
    client = MlmClient(directory)
    run = client.create_run("e", "keep")
    client.end_run(run.id)
    client.close()
    path = directory / "mlm.duckdb"
    with open(path, "r+b") as handle:
        handle.truncate(5000)
    damaged = path.read_bytes()
    with pytest.raises(CorruptStoreError, match="move the file aside") as caught:
        DuckDbStore(directory).read("counts")
    assert isinstance(caught.value, mlm.MlmError)
    assert path.read_bytes() == damaged
