"""QueuedStore: the client's view of its store, which stores the write queue before anything else.

Runs this process started queue their writes (``MetricBuffer.queue``). Any
other read or write through the client (a search, ``log_model``, a cell
record) must see them and come after them, so this wrapper flushes the queue
first; everything else goes straight to the wrapped store.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Sequence

from mlm_jupyter.store.contract import Store, WriteBatch

if TYPE_CHECKING:
    import pyarrow as pa

    from mlm_jupyter.tracking.metric_buffer import MetricBuffer

__all__ = ["QueuedStore"]


def _provenance_done() -> None:
    """Wait for runs' provenance capture still under way (its write is queued when it is done)."""
    fluent = sys.modules.get("mlm_jupyter.tracking.fluent")
    if fluent is not None and fluent._provenance_workers:
        fluent._wait_for_provenance()


class QueuedStore(Store):
    """``store`` with ``buffer`` flushed before every read, write and SQL query."""

    def __init__(self, store: Store, buffer: MetricBuffer) -> None:
        self.inner = store
        self.buffer = buffer
        before_close = getattr(store, "before_close", None)
        if before_close is not None:  # closing the store itself stores the queue first
            before_close(buffer.flush)

    def write(self, batch: WriteBatch) -> list[Any]:
        self.buffer.flush()
        return self.inner.write(batch)

    def read(self, query: str, **args: Any) -> Any:
        _provenance_done()
        self.buffer.flush()
        return self.inner.read(query, **args)

    def sql(self, statement: str, params: Sequence[Any] = (), *, max_rows: int = 10_000,
            timeout_s: float = 30.0) -> pa.Table:
        _provenance_done()
        self.buffer.flush()
        return self.inner.sql(statement, params, max_rows=max_rows, timeout_s=timeout_s)

    def put_blob(self, data: bytes) -> str:
        return self.inner.put_blob(data)

    def put_file(self, path: Any) -> str:
        return self.inner.put_file(path)

    def open_blob(self, sha256: str) -> Any:
        return self.inner.open_blob(sha256)

    def has_blob(self, sha256: str) -> bool:
        return self.inner.has_blob(sha256)

    def read_blob(self, sha256: str) -> bytes:
        return self.inner.read_blob(sha256)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        _provenance_done()
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # blob_path, directory, journal, ... of the wrapped store
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"QueuedStore({self.inner!r})"
