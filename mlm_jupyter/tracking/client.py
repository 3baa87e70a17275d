"""MlmClient: the explicit client for code that passes ids (the fluent API wraps it).

The client is composed of one mixin per domain (runs, datasets, registry,
cells ...), all talking to one ``Store``.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

from mlm_jupyter.store.contract import Store
from mlm_jupyter.store.exit_steps import at_exit
from mlm_jupyter.tracking.metric_buffer import MetricBuffer, close_open_buffers
from mlm_jupyter.tracking.queued_store import QueuedStore
from mlm_jupyter.tracking.registry import RegistryClient
from mlm_jupyter.tracking.cells import CellsClient
from mlm_jupyter.tracking.datasets import DataClient
from mlm_jupyter.tracking.runs import RunsClient
from mlm_jupyter.tracking.search_args import MlflowSearchNames

__all__ = ["MlmClient"]

_open_clients: weakref.WeakSet[MlmClient] = weakref.WeakSet()


class MlmClient(MlflowSearchNames, RunsClient, RegistryClient, CellsClient, DataClient):
    """Talks to one store. ``MlmClient()`` opens the store resolved as DESIGN.md §3 says.

    Args:
        store: a ``Store``, a store directory path, or ``None`` to resolve it.
    """

    def __init__(self, store: Store | str | os.PathLike[str] | None = None) -> None:
        if store is None or isinstance(store, (str, os.PathLike)):
            from mlm_jupyter.store.open import open_store

            store = open_store(store)
        spool = getattr(store, "spool_directory", None)
        embedded = spool is not None and getattr(store, "hold_seconds", None) is not None
        self.buffer = MetricBuffer(store, spool_directory=spool if embedded else None)
        # an embedded store queues the writes of this client's runs: reads and other writes store the queue first
        self.store: Store = QueuedStore(store, self.buffer) if embedded else store
        self._last_steps: dict[tuple[str, str], int] = {}
        self._queued_runs: dict[str, dict[str, str]] = {}  # runs this client started (queued writes): params
        _open_clients.add(self)

    def flush(self) -> None:
        """Make every queued metric durable."""
        self.buffer.flush()

    def sql(self, statement: str, *params: Any, max_rows: int = 10_000) -> Any:
        """Run read-only SQL on the store; returns a pandas DataFrame."""
        self.flush()
        return self.store.sql(statement, params, max_rows=max_rows).to_pandas()

    def close(self) -> None:
        try:
            self.flush_cells()
            self.buffer.close()
        finally:
            self.store.close()

    def __repr__(self) -> str:
        return f"MlmClient({self.store.describe()})"


def _close_all_at_exit() -> None:
    # Flush every client's metrics and cell records, then close its store, so that no daemon
    # thread is inside DuckDB while the interpreter tears down (that aborts the process).
    # After the runs are ended (fluent, order 10), before the cell buffers (order 30).
    for client in list(_open_clients):
        try:
            client.close()
        except Exception:  # the journal keeps what the store refused; exit must not fail
            pass
    close_open_buffers()  # buffers of clients dropped without close() (a replaced tracking URI)
    if "mlm_jupyter.store.duckdb_store" in sys.modules:  # stores opened without a client, too
        sys.modules["mlm_jupyter.store.duckdb_store"].close_open_stores()


at_exit(_close_all_at_exit, order=20)
