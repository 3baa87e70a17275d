"""The capture's background thread: turns queued cell events into records after the cell has ended.

The post-run hook only appends an event (a few microseconds); this thread
imports the heavy parts of the package (the tracking client, the fingerprint
engine) once ``setup_when()`` allows it (the kernel waits for the notebook to
import numpy itself: importing it earlier would add its warnings filters and
module before the user's own import), when someone needs the records
(``drain``), or after ``max_setup_delay`` seconds; then it parses each cell, fingerprints its data and queues its
record, in execution order. Events wait in a bounded queue: past
``max_data_events`` waiting events the newest ones drop their data values
(the record itself is always kept), so a burst of cells never holds many
values alive or makes memory grow. ``drain()`` waits until everything queued
so far is processed: ``%%track`` runs (their inputs and staleness need the
history) and reads of the cell history call it; nothing else waits.

The thread also keeps off the cell's path in time: with ``may_work`` (the
kernel passes "no cell has run for a moment"), set-up and events wait for a
pause between cells, since a Python thread working while a cell runs takes
the GIL from it (on any number of cores). A notebook run top to bottom thus
records its cells once it ends; an event waits at most ``max_defer`` seconds
(then it is processed, pause or not, so a kernel killed outright loses little),
and a full queue or a ``drain`` is served at once. ``wait_turn()`` lets a long
set-up yield between its steps.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["CellWorker"]


class CellWorker:
    """One daemon thread that runs ``setup()`` once, then ``process(event)`` for each submitted event, in order.

    Args:
        setup: called first on the thread (heavy imports); if it raises, events are still
            passed to ``process`` (which must cope) and the error goes to ``on_error``.
        process: handles one event; its exceptions go to ``on_error``.
        on_error: ``fn(kind, error)``.
        max_data_events: how many queued events may keep their data values.
        started_at: the ``time.monotonic()`` its delays (``max_setup_delay``, ``max_defer`` of the set-up)
            count from; default: now. A capture that takes over cells noted before it existed passes the
            load time, so those cells wait no longer than if it had existed then.
    """

    def __init__(self, setup: Callable[[], None], process: Callable[[Any], None],
                 on_error: Callable[[str, BaseException], None], *, max_data_events: int = 64,
                 setup_when: Callable[[], bool] | None = None, max_setup_delay: float = 30.0,
                 on_idle: Callable[[], float | None] | None = None, idle_interval: float = 0.25,
                 may_work: Callable[[], float | None] | None = None, max_defer: float = 10.0,
                 started_at: float | None = None) -> None:
        self._setup = setup
        self._may_work = may_work
        self.max_defer = max_defer
        self._needed = 0  # a drain() waits for the events up to this count: they are served at once
        self._wanted_ready = False  # a wait_ready() waits: set up at once
        self._started_at = time.monotonic() if started_at is None else started_at
        self._on_idle = on_idle
        self.idle_interval = idle_interval
        self._setup_when = setup_when
        self.max_setup_delay = max_setup_delay
        self._urgent = False
        self._process = process
        self._on_error = on_error
        self.max_data_events = max_data_events
        self._queue: deque[tuple[float, Any]] = deque()  # (submitted at, event)
        self._cond = threading.Condition()
        self._submitted = 0
        self._done = 0
        self._ready = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._working_here = False
        self.dropped_data = 0

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def pending(self) -> int:
        return self._submitted - self._done

    @property
    def ready(self) -> bool:
        """Whether ``setup`` has finished (the heavy parts are imported)."""
        return self._ready

    def start(self) -> None:
        if self._thread is None:
            thread = threading.Thread(target=self._run, name="mlm-cell-capture", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # the interpreter is exiting (a capture started by the exit flush): drain() works
                return
            self._thread = thread

    def busy(self) -> bool:
        """Whether more events wait than may keep their data (the caller then drops the data)."""
        return len(self._queue) >= self.max_data_events

    def submit(self, event: Any, *, now: bool = False, at: float | None = None) -> None:
        """Queue ``event``; ``now``: process it (and those before it) without waiting for a pause; ``at``: the
        ``time.monotonic()`` it waits from (``max_defer``), if earlier than now."""
        with self._cond:
            self._queue.append((time.monotonic() if at is None else at, event))
            self._submitted += 1
            if now:
                self._needed = max(self._needed, self._submitted)
            self._cond.notify_all()

    def on_worker_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def drain(self, timeout: float | None = 60.0) -> bool:
        """Wait until every event submitted so far is processed; ``False`` on timeout.

        Called on the worker thread itself (a record that reads history), it returns at once.
        """
        if self._thread is None or not self._thread.is_alive():
            self._work_here()
            return self._submitted == self._done
        if self.on_worker_thread():
            return self._submitted == self._done
        target = self._submitted
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._urgent = True  # someone needs the records now: set up at once
            self._needed = max(self._needed, target)
            self._cond.notify_all()
            while self._done < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _work_here(self) -> None:
        """No thread does the work (it could not start, or it ended): do it on the caller's thread, now."""
        with self._cond:
            if self._working_here:
                return
            self._working_here = True
            self._urgent = True
            self._needed = max(self._needed, self._submitted)
        try:
            if not self._ready:
                try:
                    self._setup()
                except BaseException as error:  # noqa: BLE001 -- reported; the records still go through process()
                    self._on_error("capture set-up", error)
                self._ready = True
            while True:
                with self._cond:
                    if not self._queue:
                        return
                    event = self._queue.popleft()[1]
                self._process_one(event)
        finally:
            with self._cond:
                self._working_here = False

    def wait_ready(self, timeout: float | None = 60.0) -> bool:
        if self._thread is None or self.on_worker_thread():
            return self._ready
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._wanted_ready = True
            self._cond.notify_all()
            while not self._ready and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return self._ready

    def stop(self) -> None:
        """Let the thread end once the queue is empty."""
        with self._cond:
            self._stopping = True
            self._urgent = True
            self._cond.notify_all()

    def _wait_for_setup(self) -> None:
        """Hold the heavy imports until ``setup_when()`` (or a drain, or ``max_setup_delay`` seconds)."""
        if self._setup_when is None:
            return
        deadline = self._started_at + self.max_setup_delay
        with self._cond:
            # a drain, a wait_ready or a submit(now=True) (a cell that started a run: linked at once) ends it
            while not self._urgent and not self._stopping and not self._wanted_ready \
                    and self._done >= self._needed and time.monotonic() < deadline:
                try:
                    if self._setup_when():
                        return
                except Exception:  # noqa: BLE001 -- a broken predicate must not stop recording
                    return
                self._cond.wait(max(0.0, deadline - time.monotonic()))  # each submitted cell wakes it

    def _served_now(self) -> bool:
        """Whether someone waits for the thread (call with ``_cond`` held)."""
        return (self._stopping or self._done < self._needed or (not self._ready and self._wanted_ready)
                or len(self._queue) >= self.max_data_events)

    def wait_turn(self, since: float | None = None) -> None:
        """On the thread: return when work may run now (a pause between cells, someone waiting, or the
        oldest work, from ``since``, waited ``max_defer`` seconds).

        ``may_work()`` returns 0 (now), the seconds until it may, or ``None`` while a cell runs; the
        thread sleeps that long (a submitted cell or a drain wakes it): no polling while cells run.
        """
        if self._may_work is None:
            return
        with self._cond:
            while not self._served_now():
                oldest = self._queue[0][0] if self._queue else since
                left = None if oldest is None else self.max_defer - (time.monotonic() - oldest)
                if left is not None and left <= 0:
                    return
                try:
                    wait = self._may_work()
                except Exception:  # noqa: BLE001 -- a broken predicate must not stop recording
                    return
                if wait is not None and wait <= 0:
                    return
                waits = [w for w in (wait, left) if w is not None]
                self._cond.wait(min(waits) if waits else None)

    def _run(self) -> None:
        self._wait_for_setup()
        self.wait_turn(self._started_at)
        try:
            self._setup()
        except BaseException as error:  # noqa: BLE001 -- reported; the records still go through process()
            self._on_error("capture set-up", error)
        with self._cond:
            self._ready = True
            self._cond.notify_all()
        idle_wait: float | None = None  # when on_idle wants to be called again (None: after the next event)
        while True:
            idle = False
            with self._cond:
                if not self._queue and not self._stopping:
                    self._cond.wait(idle_wait if self._on_idle is not None else None)
                    idle = not self._queue
                if not self._queue and self._stopping:
                    return
            if self._queue:
                self.wait_turn()
            with self._cond:
                event = self._queue.popleft()[1] if self._queue else None
            if event is None:
                if idle and self._on_idle is not None:
                    try:
                        idle_wait = self._on_idle()
                    except BaseException as error:  # noqa: BLE001 -- e.g. the store is down: retried later
                        idle_wait = self.idle_interval * 4
                        self._on_error("cell record shipping", error)
                continue
            idle_wait = self.idle_interval
            self._process_one(event)

    def _process_one(self, event: Any) -> None:
        try:
            self._process(event)
        except BaseException as error:  # noqa: BLE001 -- one bad event never stops the recording
            self._on_error("cell record", error)
        finally:
            with self._cond:
                self._done += 1
                self._cond.notify_all()
