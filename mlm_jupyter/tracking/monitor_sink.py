"""Where a Monitor's flushed batches go: Parquet files in the store directory, or the server that owns it.

``LocalSink`` writes the partitions itself (any process on the machine that
holds the store directory; no DuckDB lock is taken). ``RestSink`` posts the
rows as Arrow IPC to ``/mlm/api/models/{name}/monitor/log`` of the server that
owns the store, which writes the same partitions.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from mlm_jupyter.core.errors import StoreUnreachableError
from mlm_jupyter.store.contract import Store
from mlm_jupyter.tracking.monitor_files import LogLayout

__all__ = ["InferenceSink", "LocalSink", "RestSink", "sink_for", "table_from_ipc", "table_to_ipc"]


class InferenceSink(Protocol):
    def write(self, table: pa.Table) -> None: ...

    def write_labels(self, table: pa.Table) -> None: ...

    def sync(self) -> None: ...

    def close(self) -> None: ...


def table_to_ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def table_from_ipc(data: bytes) -> pa.Table:
    with pa.ipc.open_stream(io.BytesIO(data)) as reader:
        return reader.read_all()


class LocalSink:
    """Writes partitions under ``store_dir`` (see ``monitor_files``); ``writer`` adds window summaries."""

    def __init__(self, store_dir: Path, model: str, version: int, writer: Any = None) -> None:
        self.layout = LogLayout(store_dir)
        self.model = model
        self.version = version
        self.summaries = writer

    def write(self, table: pa.Table) -> None:
        if self.summaries is None:
            self.layout.write_inference(self.model, self.version, table)
            return
        # the Parquet write and the summaries each spend most of their time outside the GIL: run them side by
        # side (on a machine with a spare core a flush takes the longer of the two, not their sum)
        failure: list[BaseException] = []

        def write_files() -> None:
            try:
                self.layout.write_inference(self.model, self.version, table)
            except BaseException as error:  # noqa: BLE001 -- raised in the flushing thread below
                failure.append(error)

        writer = threading.Thread(target=write_files, name="mlm-monitor-parquet", daemon=True)
        writer.start()
        try:
            self.summaries.add(table)
        finally:
            writer.join()
        if failure:
            raise failure[0]

    def write_labels(self, table: pa.Table) -> None:
        self.layout.write_labels(self.model, table)

    def sync(self) -> None:
        """Write the window summaries now (the background flush writes them every few seconds)."""
        if self.summaries is not None:
            self.summaries.persist()

    def close(self) -> None:
        if self.summaries is not None:
            self.summaries.close()


class RestSink:
    """Posts batches to the server that owns the store (``store`` is its ``RestStore``)."""

    def __init__(self, store: Any, model: str, version: int) -> None:
        self.store = store
        self.model = model
        self.version = version

    def _post(self, route: str, table: pa.Table) -> None:
        from urllib.parse import quote

        path = f"models/{quote(self.model, safe='')}/monitor/{route}"
        self.store.api_request("POST", path, params={"version": str(self.version)}, data=table_to_ipc(table),
                               headers={"Content-Type": "application/vnd.apache.arrow.stream"})

    def write(self, table: pa.Table) -> None:
        self._post("log", table)

    def write_labels(self, table: pa.Table) -> None:
        self._post("labels", table)

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


def sink_for(store: Store, model: str, version: int, writer: Any = None) -> InferenceSink:
    """A ``RestSink`` when ``store`` is a server's REST API, else a ``LocalSink`` in its directory."""
    if hasattr(store, "api_request"):
        return RestSink(store, model, version)
    directory = getattr(store, "directory", None)
    if directory is None:
        raise StoreUnreachableError("this store has neither a directory on this machine nor a REST API; "
                                    "inference logs cannot be written")
    return LocalSink(Path(directory), model, version, writer)
