"""The capture thread works in the pauses between cells: set-up and events wait while a cell runs, and are
served at once when someone needs them (a drain, a run started in the cell, a full queue) or after max_defer."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from mlm_jupyter.kernel.cell_worker import CellWorker


class Kernel:
    def __init__(self) -> None:
        self.busy = True  # a cell runs

    def may_work(self) -> float | None:
        return None if self.busy else 0.0


def _worker(kernel: Kernel, **kwargs: Any) -> tuple[CellWorker, list[Any], list[str]]:
    done: list[Any] = []
    setups: list[str] = []
    worker = CellWorker(lambda: setups.append(threading.current_thread().name), done.append,
                        lambda kind, error: None, may_work=kernel.may_work, **kwargs)
    worker.start()
    return worker, done, setups


def _wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_nothing_runs_while_a_cell_runs_then_everything_in_the_pause() -> None:
    kernel = Kernel()
    worker, done, setups = _worker(kernel)
    worker.submit("a")
    worker.submit("b")
    time.sleep(0.3)
    assert (setups, done) == ([], [])  # not even the heavy imports
    kernel.busy = False
    worker.submit("c")  # the post hook of the cell that ended wakes the thread
    assert _wait_for(lambda: done == ["a", "b", "c"])
    assert setups == ["mlm-cell-capture"]
    worker.stop()


def test_a_drain_is_served_while_a_cell_runs() -> None:
    worker, done, setups = _worker(Kernel())
    worker.submit("a")
    assert worker.drain(5)
    assert done == ["a"] and setups
    worker.submit("b")
    time.sleep(0.2)
    assert done == ["a"]  # the drain served what it waited for, no more
    worker.submit("c", now=True)  # a cell that started a run: served at once, with what came before it
    assert _wait_for(lambda: done == ["a", "b", "c"])
    worker.stop()


def test_events_wait_at_most_max_defer() -> None:
    worker, done, _ = _worker(Kernel(), max_defer=0.4)
    began = time.monotonic()
    worker.submit("a")
    assert _wait_for(lambda: done == ["a"])
    assert time.monotonic() - began >= 0.35


def test_a_full_queue_is_served_while_a_cell_runs() -> None:
    """Past max_data_events waiting events the post hook drops data values: the thread keeps below that."""
    worker, done, _ = _worker(Kernel(), max_data_events=3)
    for item in range(3):
        worker.submit(item)
    assert _wait_for(lambda: done == [0])
    time.sleep(0.2)
    assert done == [0] and not worker.busy()
    worker.stop()
    assert _wait_for(lambda: done == [0, 1, 2])  # stopping (kernel exit) serves the rest


def test_a_cell_that_started_a_run_is_served_before_the_notebook_imports_numpy() -> None:
    """The set-up waits for the notebook's own numpy import (up to 30 s); a cell that started a run with
    mlm.start_run() is linked to it at once all the same (submit(now=True))."""
    kernel = Kernel()
    kernel.busy = False
    worker, done, setups = _worker(kernel, setup_when=lambda: False, max_setup_delay=30.0)
    worker.submit("plain cell")
    time.sleep(0.3)
    assert (setups, done) == ([], [])  # still waiting for numpy
    worker.submit("start_run cell", now=True)
    assert _wait_for(lambda: done == ["plain cell", "start_run cell"], timeout=5.0)
    assert setups == ["mlm-cell-capture"]
    worker.stop()


def test_with_no_thread_to_do_it_drain_sets_up_and_records_every_event_on_the_callers_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The exit flush may start the capture while the interpreter refuses new threads: nothing is lost."""
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    done: list[tuple[str, int]] = []
    worker = CellWorker(lambda: done.append(("setup", threading.get_ident())),
                        lambda event: done.append((event, threading.get_ident())), lambda kind, error: None)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    worker.start()
    assert worker.thread is None
    for event in ("a", "b", "c"):
        worker.submit(event)
    assert worker.drain(5)
    here = threading.get_ident()
    assert done == [("setup", here), ("a", here), ("b", here), ("c", here)]
    assert worker.ready and worker.pending == 0
