"""Interpreter exit: the steps that store what is queued, run once, before DuckDB's own exit hook.

DuckDB registers an ``atexit`` callback when it is imported. Once that callback has run,
a query that reads a Python object (an Arrow table the store registered) fails on every
thread but the main one: "this query cannot run Python code: the Python interpreter is
shutting down". A background flush that fired then lost its batch for this process (the
spool kept it for the next open) and logged a traceback. So the tracking layer's exit steps
(end the open runs, store and close the clients, the cell records, the stores) are kept here
in order and run from an ``atexit`` callback registered right after ``import duckdb``
(``register_before_duckdb``): callbacks run last-registered first, so ours runs before
DuckDB's, and after threading's shutdown has joined every non-daemon thread (a worker that
still logs is done). The callback registered when this module is imported runs them in a
process that never imports DuckDB (a REST client); whichever runs second finds nothing left.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Callable

__all__ = ["at_exit", "register_before_duckdb", "run_exit_steps"]

log = logging.getLogger("mlm_jupyter")

_steps: list[tuple[int, int, Callable[[], None]]] = []
_lock = threading.Lock()
_registered_after_duckdb = False


def at_exit(step: Callable[[], None], order: int) -> Callable[[], None]:
    """Run ``step`` once at interpreter exit, steps of lower ``order`` first; returns ``step``."""
    with _lock:
        _steps.append((order, len(_steps), step))
    return step


def run_exit_steps() -> None:
    """Run every exit step not run yet (each once; a failing step is logged at debug level, never raised)."""
    while True:
        with _lock:
            if not _steps:
                return
            _steps.sort(key=lambda item: item[:2])
            _, _, step = _steps.pop(0)
        try:
            step()
        except Exception:  # noqa: BLE001 -- exit must not fail; the spool and journal keep what was not stored
            log.debug("mlm-jupyter: an exit step failed", exc_info=True)


def register_before_duckdb() -> None:
    """Call right after ``import duckdb``: the exit steps then run before DuckDB's exit hook."""
    global _registered_after_duckdb
    with _lock:
        if _registered_after_duckdb:
            return
        _registered_after_duckdb = True
    atexit.register(run_exit_steps)


atexit.register(run_exit_steps)
