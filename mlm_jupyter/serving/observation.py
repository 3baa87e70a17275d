"""The one adapter between the server and ``mlm.monitor``: every prediction logged with the version that made it.

One ``Monitor`` per served version (``models:/NAME/VERSION``), opened on first
use, so rows logged after an alias switch land under the new version. A
monitor that fails is logged and switched off; the request path never fails
because of observation.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Protocol

from mlm_jupyter.serving.served_model import ServedModel

__all__ = ["MonitorLog", "NullLog", "PredictionLog", "open_prediction_log"]

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


def open_prediction_log(client: Any, enabled: bool) -> PredictionLog:
    """``mlm.monitor`` on ``client``'s store, or a ``NullLog`` when monitoring is off."""
    if not enabled:
        return NullLog()
    from mlm_jupyter.tracking.monitor import Monitor

    return MonitorLog(lambda uri: Monitor(uri, client=client))
