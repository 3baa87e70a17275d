"""BackgroundFlusher: the thread that writes a queue to the store every so often.

Metric points and cell records are both queued in memory and written in
batches, so the user's loop or cell never waits on disk. This base class owns
the daemon thread (started on first use), the wake-up on a full batch, and
the failure policy: a failed flush keeps the queue for the next round and is
logged once per streak of failures, because in a kernel our log lands in the
user's cell output and must not repeat every second.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["BackgroundFlusher"]

log = logging.getLogger("mlm_jupyter")


class BackgroundFlusher:
    """Subclasses implement ``flush()`` and call ``_queued(pending)`` after queuing."""

    thread_name = "mlm-flush"
    what = "tracking data"

    def __init__(self, *, interval: float, batch_size: int) -> None:
        self.interval = interval
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing = False
        self.failures = 0

    def flush(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _queued(self, pending: int) -> None:
        """Wake the thread when a batch is full; start it on first use."""
        if pending >= self.batch_size:
            self._wake.set()
        if self._thread is None and not self._closed:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._closed:  # close() flushed; a flush from here could race the close of the store
                return
            try:
                self.flush()
            except Exception:  # keep the queue; the next round retries
                level = logging.DEBUG if self._failing else logging.WARNING
                log.log(level, "mlm-jupyter could not store %s yet; will retry", self.what, exc_info=True)
                self._failing = True
            else:
                self._failing = False

    def close(self) -> None:
        """Flush what is queued, then stop the thread."""
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
