"""Polling an alias reads the store only when its files changed, and sees every move."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from mlm_jupyter.serving.state import AliasReader, open_serving_client
from mlm_jupyter.tracking.client import MlmClient


def test_alias_reader_reads_the_store_only_after_a_change(store_copy: Callable[[], Path]) -> None:
    store = store_copy()
    server_side = open_serving_client(store)  # holds the file only briefly, like a serving worker
    reader = AliasReader(server_side, "churn", "production")
    try:
        assert reader() == 1 and reader.reads == 1
        assert [reader() for _ in range(5)] == [1] * 5 and reader.reads == 1  # nothing changed: no reads
        other = MlmClient(store)
        other.set_alias("churn", "production", 2)
        other.close()
        assert reader() == 2 and reader.reads == 2
        assert reader() == 2 and reader.reads == 2
    finally:
        server_side.close()
