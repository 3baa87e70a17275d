"""SummaryWriter: keeps this process's window summaries of a model version and writes them beside the logs.

Each flushed batch is split by window (``Monitor.window_seconds``), folded
into that window's ``WindowSummary`` and, at most every ``persist_every``
seconds and at close, written as ``<writer>.json`` plus a reservoir sample
``<writer>.parquet`` under ``monitoring/summaries/.../window=<start>-<seconds>/``
(replaced atomically, so a reader sees the previous or the new version).
Histograms use the reference's bins when the reference is known at log time.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.core.inference_batch import TIME
from mlm_jupyter.core.summaries import WindowSummary, numeric_values
from mlm_jupyter.tracking.monitor_files import LogLayout, write_parquet_atomic

if TYPE_CHECKING:
    from mlm_jupyter.tracking.monitor import Monitor

__all__ = ["SummaryWriter", "reference_bins", "summary_writer_for", "window_dir_name"]

log = logging.getLogger("mlm_jupyter")


def window_dir_name(start: float, seconds: float) -> str:
    return f"window={int(start)}-{int(seconds)}"


def reference_bins(table: pa.Table) -> dict[str, tuple[float, float]]:
    """(min, max) of every numeric column of a reference sample: the histogram bins."""
    bins = {}
    for name in table.column_names:
        t = table.column(name).type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            values = numeric_values(table.column(name))
            values = values[np.isfinite(values)]
            if len(values):
                bins[name] = (float(values.min()), float(values.max()))
    return bins


class SummaryWriter:
    """Window summaries of one model version in this process."""

    def __init__(self, layout: LogLayout, model: str, version: int, window_seconds: float,
                 bins: Mapping[str, tuple[float, float]] | None = None, bins_key: str = "",
                 persist_every: float = 5.0) -> None:
        self.layout = layout
        self.directory = layout.summaries_dir(model, version)
        self.window_seconds = float(window_seconds)
        self.bins = dict(bins or {})
        self.bins_key = bins_key if self.bins else ""
        self.persist_every = persist_every
        self._windows: dict[float, WindowSummary] = {}
        self._dirty: set[float] = set()
        self._last_persist = 0.0
        self._lock = threading.Lock()

    def add(self, table: pa.Table) -> None:
        """Fold a flushed batch into its windows; persist if it is time."""
        seconds = pc.divide(pc.cast(pc.cast(table.column(TIME), pa.int64()), pa.float64()), 1e6).to_numpy()
        starts = np.floor(seconds / self.window_seconds) * self.window_seconds
        with self._lock:
            for start in np.unique(starts):
                mask = starts == start
                part = table if mask.all() else table.filter(pa.array(mask))
                part_times = seconds[mask]
                summary = self._windows.get(float(start))
                if summary is None:
                    summary = WindowSummary(float(start), self.window_seconds, bins_key=self.bins_key)
                    self._windows[float(start)] = summary
                summary.add(part, self.bins, (float(part_times.min()), float(part_times.max())))
                self._dirty.add(float(start))
            if time.monotonic() - self._last_persist >= self.persist_every:
                self._persist()

    def _persist(self) -> None:
        writer = self.layout.writer_id
        for start in sorted(self._dirty):
            summary = self._windows[start]
            folder = self.directory / window_dir_name(start, self.window_seconds)
            folder.mkdir(parents=True, exist_ok=True)
            if summary.sample.table is not None:
                write_parquet_atomic(summary.sample.table, folder / f"{writer}.parquet")
            _write_json_atomic(folder / f"{writer}.json", summary.to_dict())
        self._dirty.clear()
        self._last_persist = time.monotonic()
        if len(self._windows) > 2:  # older windows are on disk and will get no more rows from this process
            for start in sorted(self._windows)[:-2]:
                del self._windows[start]

    def persist(self) -> None:
        """Write every window changed since the last write now."""
        with self._lock:
            self._persist()

    def close(self) -> None:
        self.persist()


def _write_json_atomic(path: Path, value: Any) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        temp.write_text(json.dumps(value, separators=(",", ":"), allow_nan=False), encoding="utf-8")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def summary_writer_for(monitor: Monitor) -> SummaryWriter | None:
    """The summary writer of a monitor that writes locally; bins from its reference when it has one."""
    directory = getattr(monitor.client.store, "directory", None)
    if directory is None or hasattr(monitor.client.store, "api_request"):
        return None  # the server that owns the store summarises what it receives
    bins, key = monitor.reference_bins  # read when the monitor was made: a forked worker never opens the store
    return SummaryWriter(LogLayout(Path(directory)), monitor.model_name, monitor.version, monitor.window_seconds,
                         bins, key)


def bins_for(client: Any, model_version: Any) -> tuple[dict[str, tuple[float, float]], str]:
    """The histogram bins of the version's reference and the reference's key (empty without a reference)."""
    from mlm_jupyter.tracking.reference import reference_for

    try:
        reference = reference_for(client, model_version)
        return reference_bins(reference.table), reference.key
    except (MlmError, OSError, ValueError) as error:  # no reference yet: exact counts and the sample still work
        log.debug("monitor of %s: no reference bins (%s)", model_version.uri, error)
        return {}, ""


def writer_for(directory: Path, client: Any, model_version: Any, window_seconds: float) -> SummaryWriter:
    bins, key = bins_for(client, model_version)
    return SummaryWriter(LogLayout(directory), model_version.name, int(model_version.version), window_seconds,
                         bins, key)
