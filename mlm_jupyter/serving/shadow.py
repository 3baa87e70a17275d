"""Shadow deployment: a challenger scores every request off the response path; both are logged.

The request handler only puts the checked input on a bounded queue; one
thread per worker scores it with the challenger and logs the result under
the challenger's version, with the same row ids as the primary's log, so
``mlm monitor compare`` can pair them. A full queue skips shadowing (counted
in ``skipped``), never slows the response. Shutdown drains the queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from mlm_jupyter.serving.observation import PredictionLog
from mlm_jupyter.serving.served_model import ModelSlot

__all__ = ["ShadowScorer"]

log = logging.getLogger("mlm.serve")

_STOP = object()


class ShadowScorer:
    """Scores queued inputs with ``slot.current`` and logs them to ``predictions``."""

    def __init__(self, slot: ModelSlot, predictions: PredictionLog, max_queue: int = 10_000) -> None:
        self.slot = slot
        self.predictions = predictions
        self.scored = 0
        self.skipped = 0
        self.failed = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._loop, name="mlm-serve-shadow", daemon=True)
        self._thread.start()

    def submit(self, X: Any, ids: list[str]) -> None:
        try:
            self._queue.put_nowait((X, ids))
        except queue.Full:
            self.skipped += 1

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            X, ids = item
            served = self.slot.current
            try:
                y_pred = served.model.predict(X)
            except Exception as error:  # noqa: BLE001 -- a failing challenger never touches the primary
                self.failed += 1
                if self.failed == 1:
                    log.error("shadow %s v%s failed to score (%s: %s)", served.name, served.label,
                              type(error).__name__, error)
                continue
            self.predictions.log(served, X, y_pred, ids)
            self.scored += 1

    def close(self, timeout: float = 30.0) -> None:
        """Score what is queued, then stop."""
        self._queue.put(_STOP)
        self._thread.join(timeout)
