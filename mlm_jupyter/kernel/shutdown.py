"""Kernel shutdown and restart: a ``%%track`` cell learns why it was stopped and ends before the kernel does.

A Jupyter server shuts a kernel down (or restarts it) by interrupting it
(``SIGINT``: a ``KeyboardInterrupt`` in the running cell) and then sending a
``shutdown_request`` on the control channel. Without help, a tracked cell
would record the interrupt as the reason and would still be writing its run
(and its output) while ipykernel closes its sockets. So the kernel's
``do_shutdown`` is wrapped: it notes the reason ("kernel shut down" or
"kernel restarted"), waits a bounded time for a running ``%%track`` cell to
end its run quietly, flushes the cell records, then lets ipykernel go on.
An interrupted tracked cell waits a moment (``INTERRUPT_GRACE``) for such a
request before it calls the interrupt a plain ``KeyboardInterrupt``.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["INTERRUPT_GRACE", "reason", "shut_down", "tracked_cell"]

INTERRUPT_GRACE = 0.3  # seconds an interrupted %%track cell waits to learn that a shutdown follows
REPLY_GRACE = 0.6  # seconds a shutdown waits for the interrupted cell's post-run hook
CELL_GRACE = 1.2  # seconds a shutdown waits for a running %%track cell (SIGTERM follows 2.5 s after the request)
SHUTDOWN_BUDGET = 2.2  # seconds all of the above may take; the cell-record flush gets what is left (>= 0.4 s):
# a notebook run top to bottom records its cells in the pause after its last cell (see cell_worker), which a
# shutdown may cut short; what is still queued then is written by the exit hook (extension._register_exit)

_requested = threading.Event()
_reason: str | None = None
_running = 0
_idle = threading.Condition()
log = logging.getLogger("mlm_jupyter.kernel")


def reason(wait: float = 0.0) -> str | None:
    """"kernel shut down" / "kernel restarted" once a shutdown was requested, else ``None``.

    ``wait``: seconds to wait for a request that may be on its way (after an interrupt).
    """
    if wait > 0 and not _requested.is_set():
        _requested.wait(wait)
    return _reason


def _note(restart: bool) -> None:
    global _reason
    _reason = "kernel restarted" if restart else "kernel shut down"
    _requested.set()


@contextmanager
def tracked_cell() -> Iterator[None]:
    """Marks a ``%%track`` cell running, so a shutdown waits (a bounded time) for it to end its run."""
    global _running
    with _idle:
        _running += 1
    try:
        yield
    finally:
        with _idle:
            _running -= 1
            _idle.notify_all()


def _wait_for_tracked_cells(timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with _idle:
        while _running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _idle.wait(min(remaining, 0.05))
    return True


async def shut_down(original: Callable[[bool], Any], restart: bool, capture_of: Callable[[], Any]) -> Any:
    """The kernel's ``do_shutdown``, wrapped by the extension (``extension._watch_shutdown``): note the
    reason, let a running ``%%track`` cell end its run, record the cells, then shut down.

    ``capture_of()``: the shell's capture (the extension starts it now if it has not yet).
    """
    _note(bool(restart))
    began = time.monotonic()
    try:  # on the control thread: blocking it briefly delays nothing but the shutdown itself
        capture = capture_of()
        if not _wait_for_tracked_cells(CELL_GRACE):
            log.debug("mlm-jupyter: a %%track cell was still running at %s", _reason)
        # the interrupted cell's reply must leave before ipykernel closes its sockets (else ZMQError):
        # wait for its post-run hook, then a moment for the reply itself
        deadline = time.monotonic() + REPLY_GRACE
        while capture is not None and capture.current is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        from mlm_jupyter.kernel.extension import flush_capture

        if capture is not None:
            flush_capture(capture, max(0.4, SHUTDOWN_BUDGET - (time.monotonic() - began)))
    except Exception:  # noqa: BLE001 -- the shutdown must go on, quietly
        log.debug("mlm-jupyter: flush at kernel shutdown failed", exc_info=True)
    result = original(restart)
    if inspect.isawaitable(result):
        result = await result
    return result
