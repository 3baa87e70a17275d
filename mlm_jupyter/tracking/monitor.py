"""Monitor: log a deployed model's inputs and predictions, then ask for drift, skew and live performance.

``mon = mlm.monitor("models:/churn@production")`` resolves the alias once
(``mon.version`` is the concrete version) and ``mon.log(X, y_pred)`` appends
the batch to an in-memory buffer: the caller never waits on disk. A daemon
thread flushes the buffer every ``flush_interval`` seconds (and when it holds
``flush_rows``), at ``close()`` and at interpreter exit, into Parquet
partitions under the store directory (``monitor_files``) or, when a Jupyter
server owns the store, through its REST API. The buffer is bounded: past
``max_buffer_rows`` a batch is dropped, counted in ``dropped_rows`` and
reported once per streak in the ``mlm_jupyter`` log. Safe from many threads;
a forked worker starts with an empty buffer and its own files.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlm_jupyter.core.durations import parse_duration
from mlm_jupyter.core.errors import InvalidInputError, MlmError
from mlm_jupyter.core.inference_batch import check_batch, inference_table, label_table, snapshot
from mlm_jupyter.core.inference_stack import stack_batches
from mlm_jupyter.core.model_entities import ModelVersion, parse_model_uri
from mlm_jupyter.tracking.background_flush import BackgroundFlusher
from mlm_jupyter.tracking.monitor_sink import InferenceSink, sink_for

if TYPE_CHECKING:
    from mlm_jupyter.core.drift_report import DriftReport
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["Monitor", "monitor", "set_monitor_thresholds"]

log = logging.getLogger("mlm_jupyter")

_monitors: weakref.WeakSet[Monitor] = weakref.WeakSet()
_FILE_ROWS = 250_000  # rows per Parquet file written by one flush (more rows: more files)


class _Flusher(BackgroundFlusher):
    thread_name = "mlm-monitor-flush"
    what = "inference logs"

    def __init__(self, owner: Monitor, interval: float, batch_size: int) -> None:
        super().__init__(interval=interval, batch_size=batch_size)
        self._owner = weakref.ref(owner)

    def flush(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner._flush_now()


def _moment(at: Any) -> dt.datetime:
    """``at`` (a datetime, naive meaning UTC, or epoch seconds) as an aware UTC datetime."""
    if isinstance(at, dt.datetime):
        return at.replace(tzinfo=dt.timezone.utc) if at.tzinfo is None else at.astimezone(dt.timezone.utc)
    if isinstance(at, (int, float)) and not isinstance(at, bool) and 0 <= at < 1e11:
        return dt.datetime.fromtimestamp(float(at), dt.timezone.utc)
    raise InvalidInputError(f"at must be a datetime or epoch seconds, got {at!r}")


def _resolve(client: MlmClient, uri: Any) -> tuple[ModelVersion, str | None]:
    if isinstance(uri, ModelVersion):
        return uri, None
    if not isinstance(uri, str):
        raise InvalidInputError(f"monitor takes a model URI such as 'models:/churn@production' or "
                                f"'models:/churn/3', got a {type(uri).__name__}")
    text = uri if uri.startswith("models:/") or ":/" in uri else f"models:/{uri}"  # "churn@production" reads too
    parsed = parse_model_uri(text)
    if parsed.kind != "models":
        raise InvalidInputError(f"monitor watches a registered model: use models:/NAME@ALIAS or models:/NAME/VERSION, "
                                f"not {uri!r}")
    version = client.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
    return version, parsed.alias


class Monitor:
    """Observation of one registered model version (see the module docstring).

    Args:
        uri: ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` (or ``NAME@ALIAS``), or a ``ModelVersion``.
        client: the ``MlmClient`` to use (default: the process's default client).
        window: the length of a summary window (default one hour).
        flush_interval: seconds between background flushes (a killed process loses at most this much).
        flush_rows: a buffer this large is flushed at once.
        max_buffer_rows: rows the buffer may hold before batches are dropped (and counted).
    """

    def __init__(self, uri: Any, *, client: MlmClient | None = None, window: Any = "1h",
                 flush_interval: float = 1.0, flush_rows: int = 200_000, max_buffer_rows: int = 2_000_000) -> None:
        if client is None:
            from mlm_jupyter.tracking import fluent

            client = fluent.get_client()
        self.client = client
        model_version, self.alias = _resolve(client, uri)
        self.model_version = model_version
        self.model_name: str = model_version.name
        self.version: int = int(model_version.version)
        signature = model_version.signature
        self.feature_names: list[str] = list(signature.input_names) if signature is not None else []
        self.window_seconds = parse_duration(window)
        self.flush_interval = float(flush_interval)
        self.flush_rows = int(flush_rows)
        self.max_buffer_rows = int(max_buffer_rows)
        self.dropped_rows = 0
        self.logged_rows = 0
        self._closed = False
        self._sink: InferenceSink | None = None
        self.reference_bins: tuple[dict[str, tuple[float, float]], str] = ({}, "")
        if not hasattr(client.store, "api_request"):  # the histogram bins of local summaries, read once, here
            from mlm_jupyter.tracking.monitor_summaries import bins_for

            self.reference_bins = bins_for(client, model_version)
        self._reset_buffers()
        _monitors.add(self)

    def _reset_buffers(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._tables: list[Any] = []  # (X, y_pred, ids, proba, time) as logged, converted at flush
        self._labels: list[pa.Table] = []
        self._rows = 0
        self._dropping = False
        self._flusher = _Flusher(self, self.flush_interval, self.flush_rows)

    def __repr__(self) -> str:
        alias = f"@{self.alias} = " if self.alias else "/"
        return f"Monitor(models:/{self.model_name}{alias}{self.version}, logged_rows={self.logged_rows})"

    # ------------------------------------------------------------ logging

    def log(self, X: Any, y_pred: Any = None, ids: Any = None, proba: Any = None, *, at: Any = None) -> int:
        """Queue one batch of inputs and predictions; returns the rows queued (0 if dropped).

        Args:
            X: the inputs (pandas/polars frame, numpy array, Arrow table or list of dicts).
            y_pred: the predictions, one per row.
            ids: row ids, so ``log_labels`` can join ground truth later.
            proba: class probabilities (rows x classes), optional.
            at: when the predictions were made (a datetime or epoch seconds; default now), for a batch job
                that scores past data or replays a log.

        Raises:
            InvalidInputError: the batch cannot be read (lengths disagree, unknown type, a bad ``at``).
        """
        if self._closed:
            raise MlmError("this monitor is closed; open another with mlm.monitor(...)")
        rows = check_batch(X, y_pred, ids, proba)
        moment = dt.datetime.now(dt.timezone.utc) if at is None else _moment(at)
        # converted to Arrow by the flush thread: the caller pays for a (lazy) copy and a few checks only
        pending = (snapshot(X), snapshot(y_pred), snapshot(ids), snapshot(proba), moment)
        with self._lock:
            if self._rows + rows > self.max_buffer_rows:
                self.dropped_rows += rows
                if not self._dropping:
                    log.warning("mlm-jupyter: the inference log buffer of %s v%s is full (%d rows); dropping "
                                "batches until the store catches up (see Monitor.dropped_rows)",
                                self.model_name, self.version, self.max_buffer_rows)
                    self._dropping = True
                return 0
            self._tables.append(pending)
            self._rows += rows
            self.logged_rows += rows
            queued = self._rows
        self._flusher._queued(queued)
        return rows

    def log_labels(self, ids: Any, y_true: Any) -> int:
        """Record ground truth that arrived later, by the ``ids`` given to ``log``; returns the count."""
        if self._closed:
            raise MlmError("this monitor is closed; open another with mlm.monitor(...)")
        table = label_table(ids, y_true)
        with self._lock:
            self._labels.append(table)
        self._flusher._queued(0)
        return int(table.num_rows)

    # ------------------------------------------------------------ flushing

    def _sink_now(self) -> InferenceSink:
        if self._sink is None:
            from mlm_jupyter.tracking.monitor_summaries import summary_writer_for

            writer = summary_writer_for(self)
            self._sink = sink_for(self.client.store, self.model_name, self.version, writer)
        return self._sink

    def _flush_now(self) -> None:
        with self._flush_lock:
            with self._lock:
                tables, labels, rows = self._tables, self._labels, self._rows
                self._tables, self._labels, self._rows = [], [], 0
            if not tables and not labels:
                return
            group: list[Any] = []
            try:
                sink = self._sink_now()
                while tables:  # queued batches go out in files of at most _FILE_ROWS rows (a big batch alone)
                    size = 0
                    while tables and (not group or size + check_batch(tables[0][0]) <= _FILE_ROWS):
                        size += check_batch(tables[0][0])
                        group.append(tables.pop(0))
                    converted = self._convert(group)
                    if converted:
                        sink.write(pa.concat_tables(converted, promote_options="permissive")
                                   if len(converted) > 1 else converted[0])
                    group, rows = [], rows - size
                if labels:
                    sink.write_labels(pa.concat_tables(labels, promote_options="permissive"))
                    labels = []
            except BaseException:
                tables = group + tables
                with self._lock:  # keep what was not written for the next round, within the bound
                    if tables and self._rows + rows <= self.max_buffer_rows:
                        self._tables[:0] = tables
                        self._rows += rows
                    elif tables:
                        self.dropped_rows += rows
                    self._labels[:0] = labels
                raise
            with self._lock:
                self._dropping = False

    def _convert_one(self, item: Any) -> pa.Table | None:
        X, y_pred, ids, proba, moment = item
        try:
            return inference_table(X, y_pred, ids=ids, proba=proba, feature_names=self.feature_names, now=moment)
        except (MlmError, pa.ArrowException, ValueError, TypeError) as error:
            rows = check_batch(X)
            with self._lock:
                self.dropped_rows += rows
            log.warning("mlm-jupyter: dropped a batch of %d rows of %s v%s that cannot be stored: %s", rows,
                        self.model_name, self.version, error)
            return None

    def _convert(self, pending: list[Any]) -> list[pa.Table]:
        # batches of one shape are stacked column by column (core.inference_stack): a few copies per flush
        # instead of a conversion per batch; an odd batch is converted (or dropped, and counted) on its own
        return stack_batches(pending, self.feature_names, self._convert_one)

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything queued now; returns ``False`` if ``timeout`` seconds passed first.

        Raises:
            MlmError: the store could not take the rows (they stay queued).
        """
        if timeout is None:
            self._flush_now()
            if self._sink is not None:
                self._sink.sync()
            return True
        done = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._flush_now()
                if self._sink is not None:
                    self._sink.sync()
            except BaseException as error:  # noqa: BLE001 -- handed to the caller below
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=run, name="mlm-monitor-flush-once", daemon=True).start()
        if not done.wait(timeout):
            return False
        if failure:
            raise failure[0]
        return True

    def close(self) -> None:
        """Flush what is queued and stop the background thread; the monitor may not log after."""
        if self._closed:
            return
        try:
            self._flusher.close()
        finally:
            self._closed = True
            if self._sink is not None:
                self._sink.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


    # ------------------------------------------------------------ reading back

    def report(self, window: Any = "1d", *, reference: Any = None, end: Any = None,
               thresholds: Any = None) -> DriftReport:
        """Drift and serving-skew report of the last ``window`` (``"1h"``, ``"1d"``, ...) before ``end``.

        Args:
            window: how far back to look (whole summary windows that overlap it count).
            reference: another reference than the training data: a dataset name, ``data:/name/3``, or a table.
            end: the end of the range (default now).
            thresholds: overrides of the model's stored thresholds, e.g. ``{"drift_share": 0.3}``.
        """
        self.flush()
        from mlm_jupyter.tracking.monitor_service import report

        return report(self.client, self.model_version, window=window, reference=reference, end=end,
                      thresholds=thresholds, alias=self.alias)

    def drift_history(self, window: Any = "1d", every: Any = None, *, reference: Any = None, end: Any = None,
                      thresholds: Any = None) -> Any:
        """Drift over time: the last ``window`` before ``end`` cut into periods of ``every`` (default: the
        monitor's window), one report each, oldest first.

        Returns a DataFrame, one row per period: ``start``, ``end`` (UTC timestamps), ``rows``, ``verdict``
        (``no data`` for a period without logs), ``alarm``, ``drift_share``, ``dataset_drift``,
        ``prediction_drift``, ``skew_detected``, ``drifted_features``. The reference and the model's
        predictions on it are read once for all periods.
        """
        import pandas as pd

        self.flush()
        from mlm_jupyter.tracking.monitor_service import drift_history

        records = drift_history(self.client, self.model_version, window=window, every=every or self.window_seconds,
                                reference=reference, end=end, thresholds=thresholds, alias=self.alias)
        frame = pd.DataFrame(records, columns=["start", "end", "rows", "verdict", "alarm", "drift_share",
                                               "dataset_drift", "prediction_drift", "skew_detected",
                                               "drifted_features"])
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
        return frame

    def performance(self, window: Any = "1d", *, every: Any = None) -> Any:
        """Live metrics over time from the labels joined so far, next to the metrics recorded at training.

        Returns a DataFrame with one row per period of ``every`` (default: the monitor's window):
        ``start``, ``rows``, ``labelled``, the task's metrics, and ``training_<metric>`` columns.
        """
        self.flush()
        from mlm_jupyter.tracking.monitor_service import performance

        return performance(self.client, self.model_version, window=window, every=every or self.window_seconds)


def monitor(uri: Any, **options: Any) -> Monitor:
    """``mlm.monitor("models:/churn@production")`` -> ``Monitor`` (see ``Monitor`` for the options)."""
    return Monitor(uri, **options)


def _after_fork_in_child() -> None:
    for mon in list(_monitors):
        mon._reset_buffers()  # the parent's rows are the parent's to write
        mon._sink = None


@atexit.register
def _flush_all_at_exit() -> None:
    deadline = time.monotonic() + 10.0
    for mon in list(_monitors):
        if time.monotonic() > deadline:
            break
        try:
            mon.close()
        except Exception:  # noqa: BLE001 -- exit must not fail; the rows are lost and that is logged
            log.warning("mlm-jupyter: could not write the last inference logs of %s v%s at exit",
                        mon.model_name, mon.version, exc_info=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def set_monitor_thresholds(name: str, thresholds: dict[str, Any] | None = None, *, reason: str | None = None,
                           **values: Any) -> dict[str, Any]:
    """Store the drift thresholds of model ``name`` in the registry (recorded in its history).

    ``mlm.set_monitor_thresholds("churn", drift_share=0.3, wasserstein=0.15)``; names are the fields of
    ``core.drift.DriftThresholds``. Call with nothing to restore the defaults.
    """
    from mlm_jupyter.tracking import fluent
    from mlm_jupyter.tracking.monitor_service import set_monitor_thresholds as store_thresholds

    return store_thresholds(fluent.get_client(), name, {**(thresholds or {}), **values}, reason=reason)
