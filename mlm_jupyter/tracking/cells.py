"""Cell records in the client: a queue flushed in batches, run <-> cell links, provenance, history reads.

Recording a cell must cost the kernel well under a millisecond, so
``record_cell`` only appends to in-memory lists; a daemon thread writes them
as one Arrow batch every ``interval`` seconds (or once ``batch_size`` wait),
and ``flush_cells`` (called before a tracked run ends, by ``cell_history``
and at interpreter exit) makes them durable. A source already sent by this
process is not sent again: sources are content-addressed in the store.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.cell_producers import add_cell_producer, drain_cell_producers, remove_cell_producer
from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.store.exit_steps import at_exit
from mlm_jupyter.tracking.background_flush import BackgroundFlusher

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["CellRecordBuffer", "CellsClient", "add_cell_producer", "remove_cell_producer", "source_digest"]

log = logging.getLogger("mlm_jupyter")
_RECORD_FIELDS = ("id", "session_id", "seq", "execution_count", "cell_id", "cell_id_source", "notebook",
                  "notebook_index", "source_sha256", "start_time", "duration", "success", "error_type",
                  "error_message", "names_read", "names_written", "run_id")
_DATA_FIELDS = ("record_id", "name", "role", "kind", "digest", "changed", "rehashed")
_buffers: weakref.WeakSet[CellRecordBuffer] = weakref.WeakSet()


def source_digest(source: str) -> str:
    """The content address of a cell source (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


class CellRecordBuffer(BackgroundFlusher):
    """Queues cell records and writes them in batches from a background thread."""

    thread_name = "mlm-cell-flush"
    what = "cell records"

    def __init__(self, store: Store, *, interval: float = 1.0, batch_size: int = 500) -> None:
        super().__init__(interval=interval, batch_size=batch_size)
        self.store = store
        self._records: list[dict[str, Any]] = []
        self._sources: dict[str, str] = {}
        self._data: list[dict[str, Any]] = []
        self._sessions: list[dict[str, Any]] = []
        self._sent_sources: set[str] = set()
        _buffers.add(self)

    @property
    def pending(self) -> int:
        return len(self._records)

    def add_session(self, session: Mapping[str, Any]) -> None:
        with self._lock:
            self._sessions.append(dict(session))

    def add(self, record: Mapping[str, Any], source: str | None = None,
            data: Sequence[Mapping[str, Any]] = ()) -> None:
        """Queue one record (a dict with ``RECORD_SCHEMA`` keys); ``source`` is sent once per digest."""
        with self._lock:
            self._records.append(dict(record))
            digest = record["source_sha256"]
            if source is not None and digest not in self._sent_sources:
                self._sources[digest] = source
            if data:
                self._data.extend(dict(d) for d in data)
            pending = len(self._records)
        self._queued(pending)

    def flush(self, extra: Sequence[Op] = ()) -> None:
        """Write every queued record durably (or to the store's journal), with ``extra`` ops in the same batch."""
        with self._flush_lock:
            with self._lock:
                if not self._records and not self._sessions and not extra:
                    return
                records, sources, data, sessions = self._records, self._sources, self._data, self._sessions
                self._records, self._sources, self._data, self._sessions = [], {}, [], []
            ops = []
            if records or sessions:
                ops.append(Op("record_cells", {
                    "sessions": sessions,
                    "sources": _table([{"sha256": sha, "source": text, "size": len(text)}
                                       for sha, text in sources.items()], _SOURCE_FIELDS),
                    "records": _table(records, _RECORD_FIELDS),
                    "data": _table(data, _DATA_FIELDS)}))
            try:
                self.store.write(WriteBatch((*ops, *extra)))
            except Exception:
                self.failures += 1
                with self._lock:
                    self._records[:0] = records
                    self._sources = {**sources, **self._sources}
                    self._data[:0] = data
                    self._sessions[:0] = sessions
                raise
            self._sent_sources.update(sources)



_SOURCE_FIELDS = ("sha256", "source", "size")


def _table(rows: list[dict[str, Any]], fields: Sequence[str]) -> pa.Table:
    # pyarrow is imported here, when cell records are flushed, not with the client (a script has none)
    from mlm_jupyter.core.arrow_columns import table as arrow_table
    from mlm_jupyter.store.domains.cells import CELL_DATA_SCHEMA, RECORD_SCHEMA, SOURCE_SCHEMA

    schema = {_RECORD_FIELDS: RECORD_SCHEMA, _SOURCE_FIELDS: SOURCE_SCHEMA}.get(tuple(fields), CELL_DATA_SCHEMA)
    # not pyarrow.array: it imports pandas, and in a kernel this runs outside any cell (see core.arrow_columns)
    return arrow_table({f: [r.get(f) for r in rows] for f in fields}, schema)


class CellsClient:
    """The cells part of ``MlmClient`` (see ``tracking.client``)."""

    store: Store

    @property
    def cell_buffer(self) -> CellRecordBuffer:
        """The queue of cell records of this client (created on first use)."""
        buffer: CellRecordBuffer | None = self.__dict__.get("_cell_buffer")
        if buffer is None:
            buffer = self.__dict__.setdefault("_cell_buffer", CellRecordBuffer(self.store))
        return buffer

    def record_session(self, session: Mapping[str, Any]) -> None:
        """Queue a kernel session (``id``, ``kernel_id``, ``notebook``, ``host``, ``pid``, ``started_at``)."""
        self.cell_buffer.add_session(session)

    def record_cell(self, record: Mapping[str, Any], source: str | None = None,
                    data: Sequence[Mapping[str, Any]] = ()) -> None:
        """Queue one cell record; returns at once (see ``CellRecordBuffer``)."""
        self.cell_buffer.add(record, source, data)

    def flush_cells(self) -> None:
        """Make every queued cell record durable (after the cells that finished are queued)."""
        drain_cell_producers()
        buffer = self.__dict__.get("_cell_buffer")
        if buffer is not None:
            buffer.flush()

    def cell_history(self, notebook: str | None = None, session: str | None = None,
                     limit: int = 100_000) -> pd.DataFrame:
        """Cell records in execution order, with their sources, as a DataFrame.

        Args:
            notebook: only cells of this notebook path.
            session: only cells of this kernel session id.
            limit: at most this many rows.
        """
        import pandas as pd

        self.flush_cells()
        frame = self.store.read("cell_history", notebook=notebook, session=session, limit=int(limit)).to_pandas()
        frame["start_time"] = pd.to_datetime(frame["start_time"], unit="s", utc=True)
        return frame

    def cell_data(self, record_id: str) -> list[dict[str, Any]]:
        """Fingerprints of the data a cell read and wrote."""
        self.flush_cells()
        return list(self.store.read("cell_data", record_id=record_id))

    def previous_cell_run(self, cell_key: str, notebook: str | None = None) -> str | None:
        """The latest run made by the same cell, or ``None``."""
        result = self.store.read("previous_cell_run", cell_key=cell_key, notebook=notebook)
        return str(result) if result else None

    def link_run_cell(self, run_id: str, record_id: str, session_id: str, cell_key: str, *,
                      notebook: str | None = None, notebook_bytes: bytes | None = None,
                      previous_run_id: str | None = None, history: Sequence[str] = (),
                      staleness: Sequence[str] = (), traceback: str | None = None,
                      data: Sequence[Mapping[str, Any]] = (), provenance: bool = True,
                      directory: str | None = None) -> str | None:
        """Tie ``run_id`` to the cell record that made it, in one write with the queued cell records.

        Stores the notebook snapshot (content-addressed blob) if given, the
        data rows (``name, role, digest, kind, fingerprint``) in ``run_cell_data``,
        and with ``provenance`` the git state of ``directory`` (default: cwd)
        and the environment. Returns the snapshot's sha256, if any.
        """
        snapshot = self.store.put_blob(notebook_bytes) if notebook_bytes is not None else None
        ops = [Op("link_run_cell", {
            "run_id": run_id, "record_id": record_id, "session_id": session_id, "cell_key": cell_key,
            "notebook": notebook, "notebook_sha256": snapshot,
            "notebook_size": len(notebook_bytes) if notebook_bytes is not None else 0,
            "previous_run_id": previous_run_id, "history": list(history), "staleness": list(staleness),
            "traceback": traceback})]
        if data:
            ops.append(Op("log_run_cell_data", {"run_id": run_id, "rows": [dict(r) for r in data]}))
        known: set[str] = self.__dict__.setdefault("_known_environments", set())
        digest = None
        if provenance:
            try:
                op = self._provenance_op(run_id, directory)
            except Exception:  # provenance is a bonus: the link must still be written
                log.warning("mlm-jupyter could not collect provenance for run %s", run_id, exc_info=True)
            else:
                digest = op.args["environment"]["digest"]
                ops.append(op)
        self.cell_buffer.flush(ops)
        if digest:
            known.add(digest)
        return snapshot

    def log_run_cell_data(self, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Store data fingerprints of a tracked cell (rows: ``name, role, digest, kind, fingerprint``)."""
        if rows:
            self.store.write(WriteBatch.of(Op("log_run_cell_data", {"run_id": run_id, "rows": [dict(r) for r in rows]})))

    def _provenance_op(self, run_id: str, directory: str | None) -> Op:
        from mlm_jupyter.tracking.provenance import environment, git_state

        state = git_state(directory)
        git: dict[str, Any] = {}
        if state is not None:
            diff_sha = self.store.put_blob(state.diff) if state.diff else None
            git = state.to_dict(diff_sha)
        env = dict(environment())
        if env["digest"] in self.__dict__.get("_known_environments", ()):
            env = {k: v for k, v in env.items() if k != "packages"}
        return Op("log_provenance", {"run_id": run_id, "git": git, "environment": env})

    def log_provenance(self, run_id: str, directory: str | None = None) -> dict[str, Any]:
        """Record git state (dirty diff as a blob) and the environment of ``run_id``; returns what was stored."""
        op = self._provenance_op(run_id, directory)
        queued_runs = self.__dict__.get("_queued_runs", {})
        buffer = self.__dict__.get("buffer")
        if run_id in queued_runs and buffer is not None and buffer.queues_writes:
            buffer.queue((op,))  # stored with the run's other queued writes
        else:
            self.store.write(WriteBatch.of(op))
        self.__dict__.setdefault("_known_environments", set()).add(op.args["environment"]["digest"])
        return {"git": op.args["git"], "environment_digest": op.args["environment"]["digest"]}

    def environment(self, digest: str) -> dict[str, Any]:
        """A stored environment: python, platform and ``packages`` ({name: version})."""
        return dict(self.store.read("environment", digest=digest))

    def cell_counts(self) -> dict[str, int]:
        self.flush_cells()
        return dict(self.store.read("cell_counts"))


def _flush_cells_at_exit() -> None:
    # After the fluent API's and the clients' exit steps (orders 10 and 20): flush the cell records,
    # then close the stores, so no daemon thread is inside DuckDB while the interpreter dies.
    stores = []
    for buffer in list(_buffers):
        try:
            buffer.close()
        except Exception:  # noqa: BLE001, S110 -- the journal keeps what the store refused; exit must not fail
            pass
        stores.append(buffer.store)
    for store in stores:
        try:
            store.close()
        except Exception:  # noqa: BLE001, S110 -- exit must not fail
            pass


at_exit(_flush_cells_at_exit, order=30)
