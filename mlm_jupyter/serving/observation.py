"""The one adapter between the server and ``mlm.monitor``: every prediction logged with the version that made it.

One ``Monitor`` per served version (``models:/NAME/VERSION``), opened on first
use, so rows logged after an alias switch land under the new version. A
monitor that fails is logged and switched off; the request path never fails
because of observation.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable, Protocol

from mlm_jupyter.serving.served_model import ServedModel

__all__ = ["BatchingLog", "MonitorLog", "NullLog", "PredictionLog", "open_prediction_log"]

log = logging.getLogger("mlm.serve")


class PredictionLog(Protocol):
    """Where served predictions go."""

    def log(self, served: ServedModel, X: Any, y_pred: Any, ids: list[str]) -> None: ...

    def flush(self, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...


class NullLog:
    """``--no-monitor``: predictions are not logged."""

    def log(self, served: ServedModel, X: Any, y_pred: Any, ids: list[str]) -> None:
        return None

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None


class MonitorLog:
    """Logs through one monitor per served version, made by ``open_monitor(uri)``."""

    def __init__(self, open_monitor: Callable[[str], Any]) -> None:
        self._open_monitor = open_monitor
        self._monitors: dict[str, Any] = {}
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def _monitor_for(self, served: ServedModel) -> Any:
        uri = served.monitor_uri
        if uri is None or uri in self._failed:
            return None
        monitor = self._monitors.get(uri)
        if monitor is None:
            with self._lock:
                monitor = self._monitors.get(uri)
                if monitor is None and uri not in self._failed:
                    try:
                        monitor = self._monitors[uri] = self._open_monitor(uri)
                    except Exception as error:  # noqa: BLE001 -- observation never fails a request
                        self._failed.add(uri)
                        log.error("cannot observe %s (%s: %s); serving it unobserved", uri, type(error).__name__,
                                  error)
        return monitor

    def log(self, served: ServedModel, X: Any, y_pred: Any, ids: list[str]) -> None:
        monitor = self._monitor_for(served)
        if monitor is None:
            return
        try:
            monitor.log(X, y_pred, ids=ids)
        except Exception as error:  # noqa: BLE001
            log.error("logging predictions of %s failed (%s: %s)", served.monitor_uri, type(error).__name__, error)

    def flush(self, timeout: float | None = None) -> None:
        for uri, monitor in list(self._monitors.items()):
            try:
                monitor.flush(timeout=timeout)
            except Exception as error:  # noqa: BLE001
                log.error("flushing the prediction log of %s failed (%s: %s)", uri, type(error).__name__, error)

    def close(self) -> None:
        self.flush()
        for monitor in list(self._monitors.values()):
            try:
                monitor.close()
            except Exception as error:  # noqa: BLE001
                log.error("closing a prediction log failed (%s: %s)", type(error).__name__, error)
        self._monitors.clear()


class BatchingLog:
    """Takes logging off the request path: requests queue their rows; one thread hands them to ``target``
    in batches (one ``Monitor.log`` call for many small requests, per served version).

    ``close()`` logs everything queued before it returns, so a graceful stop loses nothing. Past
    ``max_queue`` waiting requests, new ones are not logged (counted in ``dropped``, warned once).
    """

    def __init__(self, target: PredictionLog, *, max_queue: int = 100_000, max_batch: int = 512) -> None:
        self.target = target
        self.max_batch = max_batch
        self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._loop, name="mlm-serve-log", daemon=True)
        self._thread.start()

    def log(self, served: ServedModel, X: Any, y_pred: Any, ids: list[str]) -> None:
        try:
            self._queue.put_nowait((served, X, y_pred, ids))
        except queue.Full:
            if not self.dropped:
                log.warning("the prediction log is %d requests behind; requests are not logged until it catches "
                            "up", self._queue.maxsize)
            self.dropped += 1

    def _loop(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in items)
            self._write([item for item in items if item is not _STOP])
            if stop:
                return

    def _write(self, items: list[Any]) -> None:
        start = 0
        while start < len(items):  # runs of the same served version, in arrival order
            served = items[start][0]
            end = start
            while end < len(items) and items[end][0] is served:
                end += 1
            run = items[start:end]
            try:
                X, y_pred = _concat([i[1] for i in run]), _concat([i[2] for i in run])
                ids = [row_id for item in run for row_id in item[3]]
            except Exception:  # noqa: BLE001 -- rows of mixed shapes: log them one request at a time
                for item in run:
                    self.target.log(*item)
            else:
                self.target.log(served, X, y_pred, ids)
            start = end

    def flush(self, timeout: float | None = None) -> None:
        self.target.flush(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        self.target.close()


_STOP = object()


def _concat(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    if type(first).__module__.split(".")[0] == "pandas":
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    import numpy as np

    return np.concatenate([np.asarray(part) for part in parts])


def open_prediction_log(client: Any, enabled: bool) -> PredictionLog:
    """``mlm.monitor`` on ``client``'s store (batched off the request path), or a ``NullLog`` when off."""
    if not enabled:
        return NullLog()
    from mlm_jupyter.tracking.monitor import Monitor

    return BatchingLog(MonitorLog(lambda uri: Monitor(uri, client=client)))
