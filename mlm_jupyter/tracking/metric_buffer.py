"""The write queue: ``log_metric`` (and a run's own writes) append in memory; a background thread stores.

A training loop must never wait on disk. Points are appended to plain lists
under a lock (about a microsecond); a daemon thread writes them as one Arrow
batch every ``interval`` seconds or as soon as ``batch_size`` points wait.
``flush()`` (called by reads, by any other write, and at interpreter exit)
stores everything. Only when ``max_pending`` points pile up (the store is far
slower than the producer) does ``append`` wait for a flush, so memory stays
bounded.

On an embedded store the queue also takes the writes of runs this client
started (create, params, tags, end, provenance: ``queue``), so a loop of short
runs costs one transaction per flush instead of four per run, and everything
queued is also appended to this process's spool file (``store.spool``): a
SIGKILL loses nothing that ``log_metric`` returned from, because the next
open of the store replays the spool exactly once.
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.tracking.background_flush import BackgroundFlusher

if TYPE_CHECKING:
    import pyarrow as pa

    from mlm_jupyter.store.spool import SpoolFile

__all__ = ["MetricBuffer", "close_open_buffers"]

log = logging.getLogger("mlm_jupyter")

_buffers: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()

# Up to this many points a flush sends plain lists (the store inserts them through list parameters):
# a script logging a few metrics never imports pyarrow. Larger flushes send one Arrow table.
SMALL_FLUSH = 1_000
Points = Any  # a pyarrow.Table, or {column: list} for a small flush


def _count(points: Points) -> int:
    return len(points["run_id"]) if isinstance(points, dict) else int(points.num_rows)


def _slice(points: Points, start: int, length: int | None = None) -> Points:
    if isinstance(points, dict):
        stop = None if length is None else start + length
        return {name: values[start:stop] for name, values in points.items()}
    return points.slice(start) if length is None else points.slice(start, length)


def _values(points: Points, name: str) -> list[Any]:
    return list(points[name]) if isinstance(points, dict) else list(points.column(name).to_pylist())


def _forget_spools_in_child() -> None:
    """A forked child shares its parent's spool mapping: it must start its own file, never write there."""
    for buffer in list(_buffers):
        buffer._after_fork()


def close_open_buffers() -> None:
    """Store and close every buffer of this process, also those whose client was dropped unclosed
    (``set_tracking_uri`` replaced it): their spool files are removed once stored (at exit)."""
    for buffer in list(_buffers):
        try:
            buffer.close()
        except Exception:  # noqa: BLE001 -- what was not stored stays in the spool for the next open
            log.debug("mlm-jupyter could not store a buffer's queue at exit", exc_info=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_spools_in_child)


class MetricBuffer(BackgroundFlusher):
    thread_name = "mlm-metric-flush"
    what = "metrics"

    def __init__(self, store: Store, *, interval: float = 1.0, batch_size: int = 100_000,
                 max_pending: int = 2_000_000, spool_directory: Path | None = None) -> None:
        super().__init__(interval=interval, batch_size=batch_size)
        self.store = store
        self.max_pending = max_pending
        self.spool_directory = spool_directory
        self._spool: SpoolFile | None = None
        self._spool_failed = False
        self._reset()
        _buffers.add(self)

    @property
    def queues_writes(self) -> bool:
        """Whether run writes may be queued here (an embedded store with a spool folder)."""
        return self.spool_directory is not None and not self._spool_failed

    def _reset(self) -> None:
        self._run_ids: list[str] = []
        self._keys: list[str] = []
        self._steps: list[int] = []
        self._values: list[float] = []
        self._times: list[float] = []
        self._ops: list[tuple[int, tuple[Op, ...]]] = []  # (points queued before them, ops)

    def _spool_file(self) -> SpoolFile | None:
        """This process's spool, opened on first use (``None``: no spool; points live in memory only)."""
        if self._spool is None and self.spool_directory is not None and not self._spool_failed:
            from mlm_jupyter.store.spool import SpoolFile

            try:
                self._spool = SpoolFile(self.spool_directory)
            except OSError as error:  # a read-only or full store folder: still log, in memory
                self._spool_failed = True
                log.warning("mlm-jupyter cannot open a spool file in %s (%s); queued writes are kept in "
                            "memory until stored", self.spool_directory, error)
        return self._spool

    def _spooled(self, write: Any) -> bool:
        """Apply ``write`` to the spool under the lock; ``False`` when the spool is full."""
        from mlm_jupyter.store.spool import SpoolFull

        spool = self._spool if self._spool is not None else self._spool_file()
        if spool is None:
            return True
        try:
            write(spool)
        except SpoolFull:
            return False
        except Exception as error:  # noqa: BLE001 -- not packable as is (struct.error): kept in memory only
            log.debug("mlm-jupyter kept a queued write in memory only: %s", error)
        return True

    def append(self, run_id: str, key: str, step: int, value: float, timestamp: float) -> None:
        with self._lock:
            spool = self._spool
            if spool is not None:
                try:
                    spool.metric(run_id, key, step, value, timestamp)
                    full = False
                except Exception:  # noqa: BLE001 -- full, or a value struct cannot pack: the slow path decides
                    full = not self._spooled(lambda s: s.metric(run_id, key, step, value, timestamp))
            else:
                full = not self._spooled(lambda s: s.metric(run_id, key, step, value, timestamp))
            if not full:
                self._run_ids.append(run_id)
                self._keys.append(key)
                self._steps.append(step)
                self._values.append(value)
                self._times.append(timestamp)
            pending = len(self._values)
        if full:
            self._rotate()
            self.append(run_id, key, step, value, timestamp)
            return
        if pending >= self.max_pending:
            self.flush()
        self._queued(pending)

    def extend(self, run_id: str, keys: list[str], steps: list[int], values: list[float],
               timestamp: float) -> None:
        def write(spool: SpoolFile) -> None:
            for key, step, value in zip(keys, steps, values):
                spool.metric(run_id, key, step, value, timestamp)

        with self._lock:
            full = not self._spooled(write)
            if not full:
                self._run_ids.extend([run_id] * len(keys))
                self._keys.extend(keys)
                self._steps.extend(steps)
                self._values.extend(values)
                self._times.extend([timestamp] * len(keys))
            pending = len(self._values)
        if full:
            self._rotate()
            self.extend(run_id, keys, steps, values, timestamp)
            return
        self._queued(pending)

    def queue(self, ops: tuple[Op, ...]) -> None:
        """Queue write operations (a run's lifecycle, params, tags) in order with the points."""
        with self._lock:
            full = not self._spooled(lambda s: s.ops(ops))
            if not full:
                self._ops.append((len(self._values), ops))
            pending = len(self._values) + len(self._ops)
        if full:
            self._rotate()
            self.queue(ops)
            return
        self._queued(pending)

    def _rotate(self) -> None:
        """The spool file is full: store everything, then start a new file."""
        self.flush()
        with self._lock:
            old, self._spool = self._spool, None
        if old is not None:
            old.delete()

    def _after_fork(self) -> None:
        if self._spool is not None:
            self._spool.abandon()
            self._spool = None
        self._reset()  # the parent stores its own queue
        self._thread = None

    @property
    def pending(self) -> int:
        return len(self._values) + len(self._ops)

    def flush(self) -> None:
        """Store every queued point and write (or put them in the store's journal)."""
        with self._flush_lock:
            with self._lock:
                if not self._values and not self._ops:
                    return
                try:
                    table = self._points()
                except Exception:  # noqa: BLE001 -- one point Arrow cannot hold must not block every other
                    self._drop_unstorable()
                    table = self._points()
                ops = self._ops
                offset = self._spool.offset if self._spool is not None else None
                stem = self._spool.stem if self._spool is not None else None
                self._reset()
            batch = self._batch(table, ops, stem, offset)
            try:
                self.store.write(batch)
            except Exception:
                self.failures += 1
                with self._lock:  # put everything back in front so nothing is lost
                    restored = _count(table)
                    self._run_ids[:0] = _values(table, "run_id")
                    self._keys[:0] = _values(table, "key")
                    self._steps[:0] = _values(table, "step")
                    self._values[:0] = _values(table, "value")
                    self._times[:0] = _values(table, "time")
                    self._ops = ops + [(position + restored, queued) for position, queued in self._ops]
                raise

    @staticmethod
    def _batch(table: Points, ops: list[tuple[int, tuple[Op, ...]]], stem: str | None,
               offset: int | None) -> WriteBatch:
        """The queue in order: points cut where ops were queued between them."""
        sequence: list[Op] = []
        done = 0
        for position, queued in ops:
            if position > done:
                sequence.append(Op("log_metrics", {"points": _slice(table, done, position - done)}))
                done = position
            sequence.extend(queued)
        if _count(table) > done:
            sequence.append(Op("log_metrics", {"points": _slice(table, done)}))
        if stem is not None and offset is not None:
            from mlm_jupyter.store.spool import batch_id

            return WriteBatch(tuple(sequence), id=batch_id(stem, offset))
        return WriteBatch(tuple(sequence))

    def _points(self) -> Points:
        """The queued points: plain columns for a small flush, else one Arrow table."""
        if len(self._values) <= SMALL_FLUSH:
            from array import array

            # what Arrow would refuse, refused here (an int64 step, doubles): the caller drops those points
            array("q", self._steps), array("d", self._values), array("d", self._times)
            return {"run_id": list(self._run_ids), "key": list(self._keys), "step": list(self._steps),
                    "value": list(self._values), "time": list(self._times)}
        return self._table()

    def _table(self) -> pa.Table:
        from mlm_jupyter.core.arrow_columns import table
        from mlm_jupyter.store.domains.runs import METRIC_SCHEMA

        return table({"run_id": self._run_ids, "key": self._keys, "step": self._steps, "value": self._values,
                      "time": self._times}, METRIC_SCHEMA)

    def _drop_unstorable(self) -> None:
        """Remove the points Arrow cannot convert (logged), keeping the others in order."""
        from array import array

        keep = []
        for i, point in enumerate(zip(self._run_ids, self._keys, self._steps, self._values, self._times)):
            try:
                array("q", [point[2]])
                array("d", [point[3], point[4]])
                keep.append(i)
            except (OverflowError, TypeError, ValueError):
                log.warning("mlm-jupyter dropped metric %r (step %r, value %r): it cannot be stored",
                            point[1], point[2], point[3])
        kept = set(keep)
        shift = [0] * (len(self._values) + 1)  # points dropped before each position
        for i in range(len(self._values)):
            shift[i + 1] = shift[i] + (0 if i in kept else 1)
        self._ops = [(position - shift[position], ops) for position, ops in self._ops]
        for name in ("_run_ids", "_keys", "_steps", "_values", "_times"):
            column = getattr(self, name)
            column[:] = [column[i] for i in keep]

    def close(self) -> None:
        """Store what is queued, stop the thread, and remove the spool (its content is stored)."""
        try:
            super().close()
        finally:
            with self._lock:  # appends from other threads go to the next spool from here on
                spool, self._spool = self._spool, None
                left = spool is not None and self.pending > 0
                if left:
                    # Not stored: the next open replays the file, exactly once. The queue is the same
                    # writes; stored later under another spool's id, they would be stored twice.
                    self._reset()
            if spool is not None:
                if left:
                    spool.abandon()
                else:
                    spool.delete()

    def stats(self) -> dict[str, Any]:
        return {"pending": self.pending, "failures": self.failures}
