"""The metric buffer: ``log_metric`` appends in memory; a background thread flushes.

A training loop must never wait on disk. Points are appended to plain lists
under a lock (about a microsecond); a daemon thread writes them as one Arrow
batch every ``interval`` seconds or as soon as ``batch_size`` points wait.
``flush()`` (called by ``end_run`` and at interpreter exit) makes everything
durable. Only when ``max_pending`` points pile up (the store is far slower
than the producer) does ``append`` wait for a flush, so memory stays bounded.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from mlm_jupyter.core.arrow_columns import table as arrow_table
from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.tracking.background_flush import BackgroundFlusher

__all__ = ["MetricBuffer"]

_POINTS = pa.schema([("run_id", pa.string()), ("key", pa.string()), ("step", pa.int64()),
                     ("value", pa.float64()), ("time", pa.float64())])

log = logging.getLogger("mlm_jupyter")


class MetricBuffer(BackgroundFlusher):
    thread_name = "mlm-metric-flush"
    what = "metrics"

    def __init__(self, store: Store, *, interval: float = 1.0, batch_size: int = 100_000,
                 max_pending: int = 2_000_000) -> None:
        super().__init__(interval=interval, batch_size=batch_size)
        self.store = store
        self.max_pending = max_pending
        self._reset()

    def _reset(self) -> None:
        self._run_ids: list[str] = []
        self._keys: list[str] = []
        self._steps: list[int] = []
        self._values: list[float] = []
        self._times: list[float] = []

    def append(self, run_id: str, key: str, step: int, value: float, timestamp: float) -> None:
        with self._lock:
            self._run_ids.append(run_id)
            self._keys.append(key)
            self._steps.append(step)
            self._values.append(value)
            self._times.append(timestamp)
            pending = len(self._values)
        if pending >= self.max_pending:
            self.flush()
        self._queued(pending)

    def extend(self, run_id: str, keys: list[str], steps: list[int], values: list[float],
               timestamp: float) -> None:
        with self._lock:
            self._run_ids.extend([run_id] * len(keys))
            self._keys.extend(keys)
            self._steps.extend(steps)
            self._values.extend(values)
            self._times.extend([timestamp] * len(keys))
            pending = len(self._values)
        self._queued(pending)

    @property
    def pending(self) -> int:
        return len(self._values)

    def flush(self) -> None:
        """Write every pending point durably (or to the store's journal)."""
        with self._flush_lock:
            with self._lock:
                if not self._values:
                    return
                try:
                    table = self._table()
                except (OverflowError, TypeError, ValueError, pa.ArrowException):
                    # one point Arrow cannot hold must not keep every other point from the store forever
                    self._drop_unstorable()
                    table = self._table()
                self._reset()
            try:
                self.store.write(WriteBatch.of(Op("log_metrics", {"points": table})))
            except Exception:
                self.failures += 1
                with self._lock:  # put the points back in front so nothing is lost
                    self._run_ids[:0] = table.column("run_id").to_pylist()
                    self._keys[:0] = table.column("key").to_pylist()
                    self._steps[:0] = table.column("step").to_pylist()
                    self._values[:0] = table.column("value").to_pylist()
                    self._times[:0] = table.column("time").to_pylist()
                raise

    def _table(self) -> pa.Table:
        # not pyarrow.array, which imports pandas: at interpreter exit that import fails, and in a kernel
        # this runs outside any cell (see core.arrow_columns)
        return arrow_table({"run_id": self._run_ids, "key": self._keys, "step": self._steps,
                            "value": self._values, "time": self._times}, _POINTS)

    def _drop_unstorable(self) -> None:
        """Remove the points Arrow cannot convert (logged), keeping the others in order."""
        keep = []
        for i, point in enumerate(zip(self._run_ids, self._keys, self._steps, self._values, self._times)):
            try:
                pa.array([point[2]], pa.int64())
                pa.array([point[3]], pa.float64())
                pa.array([point[4]], pa.float64())
                keep.append(i)
            except (OverflowError, TypeError, ValueError, pa.ArrowException):
                log.warning("mlm-jupyter dropped metric %r (step %r, value %r): it cannot be stored",
                            point[1], point[2], point[3])
        for name in ("_run_ids", "_keys", "_steps", "_values", "_times"):
            column = getattr(self, name)
            column[:] = [column[i] for i in keep]

    def stats(self) -> dict[str, Any]:
        return {"pending": self.pending, "failures": self.failures}
