"""The cell hooks of a kernel's first moments: note each cell until the capture exists, then hand over.

In a Jupyter kernel, ``%load_ext mlm_jupyter`` does not build the capture
(``capture.CellCapture``: its background thread, the kernel session, the
notebook file and the modules behind them). Building it keeps a few hundred
objects alive, and every object kept counts towards the interpreter's next
full garbage collection: a short notebook that, bare, ends a few hundred
allocations before one pays it inside its cells with the extension loaded
(docs/kernel-capture.md, "Invisible"). So the load registers these hooks,
which note each cell exactly as the capture's hooks do (its source, id,
timing, outcome, the runs it started, its values at its end), and the
extension builds the capture in the first pause between cells, or sooner
when something needs it (``extension.Extension.capture``). The capture then
queues these cells first, in order (``CellCapture._take_over``).

Everything here runs on the kernel's main thread, except a shutdown, which
may hand over from the control thread; ``lock`` keeps the two apart.

The cell records the hooks make (``PendingCell``, ``CellEvent``) and what the
hooks note about each cell (``CellNotes``) live here too, shared with the
capture: one module on ``%load_ext``'s path instead of two (each module kept
costs objects, see above).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from mlm_jupyter.kernel.cell_end_values import at_cell_end

__all__ = ["MAX_ANALYZED_SOURCE", "CellEvent", "CellNotes", "EarlyCells", "PendingCell", "error_fields",
           "fluent_module", "rehash_limit", "runs_started", "runs_started_since", "values_at_cell_end"]

MAX_ANALYZED_SOURCE = 256 * 1024  # bigger cells are recorded but not parsed (ast.parse is linear but slow)
_FLUENT = "mlm_jupyter.tracking.fluent"
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_MISSING = object()
_DEFAULT_REHASH_LIMIT = 256 * 1024 * 1024


class PendingCell:
    """A cell between its pre and post hooks."""

    __slots__ = ("cell_id", "record_id", "run_id", "runs_mark", "source", "start_time", "started")

    def __init__(self, record_id: str, source: str, cell_id: str | None, start_time: float, started: float,
                 run_id: str | None = None, runs_mark: int = 0) -> None:
        self.record_id = record_id
        self.source = source
        self.cell_id = cell_id
        self.start_time = start_time
        self.started = started
        self.run_id = run_id
        self.runs_mark = runs_mark  # how many runs start_run had made when the cell began


class CellEvent:
    """What the post hook hands to the background thread."""

    __slots__ = ("duration", "error", "execution_count", "pending", "started_runs", "values")

    def __init__(self, pending: PendingCell, duration: float, error: tuple[str, str] | None,
                 execution_count: int | None, started_runs: list[str], values: dict[str, Any] | None) -> None:
        self.pending = pending
        self.duration = duration
        self.error = error
        self.execution_count = execution_count
        self.started_runs = started_runs
        self.values = values  # the cell's names -> values at its end; None: no data capture


def error_fields(error: BaseException | tuple[str, str] | None) -> tuple[str, str] | None:
    """``(type name, message)`` of a cell's error, the message cut to 4,000 characters."""
    if error is None or isinstance(error, tuple):
        return error
    try:
        message = str(error)[:4000]
    except Exception:  # noqa: BLE001 -- an exception whose __str__ fails
        message = "(message unavailable)"
    return type(error).__name__, message


def fluent_module() -> Any:
    """The fluent module if someone imported it (the hooks never import it themselves)."""
    module = sys.modules.get(_FLUENT)
    return module if module is not None and hasattr(module, "started_run_ids") else None


def runs_started() -> int:
    """How many runs ``mlm.start_run`` has made in this process (0 if the tracking layer is not imported)."""
    fluent = fluent_module()
    return len(fluent.started_run_ids()) if fluent is not None else 0


def runs_started_since(mark: int) -> list[str]:
    """The runs ``mlm.start_run`` made since ``runs_started()`` returned ``mark``."""
    fluent = fluent_module()
    return list(fluent.started_run_ids()[mark:]) if fluent is not None else []


def rehash_limit() -> float:
    """``MLM_CELL_REHASH_LIMIT`` in bytes (default 256 MiB; 0 or less: no limit)."""
    text = os.environ.get("MLM_CELL_REHASH_LIMIT", "")
    try:
        limit = int(text) if text else _DEFAULT_REHASH_LIMIT
    except ValueError:
        limit = _DEFAULT_REHASH_LIMIT
    return float("inf") if limit <= 0 else float(limit)


def values_at_cell_end(namespace: Any, source: str, recent: dict[int, Any]) -> dict[str, Any] | None:
    """The values bound to every identifier the source mentions (a superset of what it reads and writes),
    kept as the cell left them (``cell_end_values``); ``None`` for a source too big to analyse."""
    if len(source) > MAX_ANALYZED_SOURCE:
        return None
    found = {}
    for name in set(_IDENTIFIER.findall(source)):
        value = namespace.get(name, _MISSING)
        if value is not _MISSING:
            found[name] = value
    # hashed later, in a pause: keep what lets that hash see the values as this cell left them
    return at_cell_end(found, frame_limit=rehash_limit(), recent=recent)


class CellNotes:
    """What the pre and post hooks note about a cell: shared by the early hooks and the capture.

    The subclass sets ``shell``, ``current`` (``None``), ``_depth`` (0), ``_pandas_seen``,
    ``_created_at`` / ``_created`` (wall and perf-counter time of the load), ``_runs_at_load``
    (``runs_started()`` at the load) and ``_last_cell_end`` (``time.monotonic()``).
    """

    shell: Any
    current: PendingCell | None
    _depth: int
    _pandas_seen: bool
    _created_at: float
    _created: float
    _runs_at_load: int
    _last_cell_end: float

    def loaded_now(self) -> None:
        """The extension was loaded (again) over these hooks: the loading cell began before any hook of this load
        existed, so it is recorded as starting now, not at an earlier load (after ``%unload_ext``, or in a
        ``%reload_ext`` cell, it was recorded with the first load's start and a duration spanning both)."""
        self._created_at, self._created = time.time(), time.perf_counter()
        self._runs_at_load = runs_started()

    def _cell_begins(self, info: Any) -> None:
        if self.current is not None:  # a magic called run_cell: the outer cell is the one we record
            self._depth += 1
            return
        if not self._pandas_seen and "pandas" in sys.modules:  # imported between cells by some thread
            self._pandas_seen = True
            from mlm_jupyter.kernel.pandas_display import restore_notebook_display

            restore_notebook_display(self.shell)
        self.current = PendingCell(record_id=uuid.uuid4().hex, source=info.raw_cell or "",
                                   cell_id=getattr(info, "cell_id", None), start_time=time.time(),
                                   started=time.perf_counter(), runs_mark=runs_started())

    def _cell_ended(self, result: Any) -> tuple[PendingCell, float, tuple[str, str] | None, list[str]] | None:
        """The cell that ended, its duration, its error and the runs it started with ``mlm.start_run()``;
        ``None`` for a nested ``run_cell`` or an empty cell."""
        raw_cell = getattr(getattr(result, "info", None), "raw_cell", None)
        if isinstance(raw_cell, str) and (not raw_cell or raw_cell.isspace()):
            return None  # IPython runs no empty cell (no pre hook), but ipykernel and run_cell still fire this one
        if self._depth:
            self._depth -= 1
            return None
        pending, self.current = self.current, None
        if pending is None:  # the cell that loaded the extension: it started before our pre hook existed
            info = getattr(result, "info", None)
            if info is None:
                return None
            pending = PendingCell(record_id=uuid.uuid4().hex, source=info.raw_cell or "",
                                  cell_id=getattr(info, "cell_id", None), start_time=self._created_at,
                                  started=self._created, runs_mark=self._runs_at_load)
        duration = time.perf_counter() - pending.started
        self._last_cell_end = time.monotonic()
        self._pandas_seen = self._pandas_seen or "pandas" in sys.modules
        error = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
        started = runs_started_since(pending.runs_mark) if pending.run_id is None else []
        return pending, duration, error_fields(error), started


class EarlyCells(CellNotes):
    """Notes every cell of ``shell`` until ``target`` (the capture) takes over; then forwards to it.

    Args:
        shell: the IPython shell (``user_ns`` is read for the cells' values).
        on_cell_end: called after each noted cell (the extension schedules the capture's start).
        on_run_started: called after a cell that started runs with ``mlm.start_run()`` (the run is
            linked to its cell at once, so the capture starts now).
    """

    MAX_DATA_EVENTS = 64  # as the capture's queue: past this many waiting cells, new ones keep no values

    def __init__(self, shell: Any, on_cell_end: Callable[[], None], on_run_started: Callable[[], None]) -> None:
        self.shell = shell
        self._on_cell_end = on_cell_end
        self._on_run_started = on_run_started
        self.lock = threading.RLock()
        self.target: Any = None  # the capture, once it took over
        self._created_at, self._created = time.time(), time.perf_counter()
        self._runs_at_load = runs_started()  # runs made before the extension are no cell's
        self._pandas_seen = "pandas" in sys.modules
        self.current = None
        self._depth = 0
        self._last_cell_end = time.monotonic()
        try:  # where a relative notebook path is looked up from, should the first cells change directory
            self.cwd: str | None = os.getcwd()
        except OSError:  # the folder was deleted
            self.cwd = None
        self.events: list[CellEvent] = []
        self.dropped_data = 0
        self.recent_frames: dict[int, tuple[Any, Any]] = {}
        self.hook_times: list[tuple[str, float]] = []

    def idle_for(self) -> float | None:
        """Seconds since the last cell ended; ``None`` while a cell runs."""
        return None if self.current is not None else time.monotonic() - self._last_cell_end

    def waited(self) -> float:
        """Seconds since the extension was loaded (its first noted cell, the load cell, began then)."""
        return time.perf_counter() - self._created

    def pre_run_cell(self, info: Any) -> None:
        began = time.perf_counter()
        with self.lock:
            target = self.target
            if target is None:
                self._cell_begins(info)
                self.hook_times.append(("pre", time.perf_counter() - began))
                return
        target.pre_run_cell(info)

    def post_run_cell(self, result: Any) -> None:
        began = time.perf_counter()
        started = False
        with self.lock:
            target = self.target
            if target is None:
                started = self._note_end(result)
                self.hook_times.append(("post", time.perf_counter() - began))
        if target is not None:
            target.post_run_cell(result)
        elif started:
            self._on_run_started()
        else:
            self._on_cell_end()

    def _note_end(self, result: Any) -> bool:
        """Queue the cell that ended (with its values at its end, while few cells wait); whether it started runs."""
        noted = self._cell_ended(result)
        if noted is None:
            return False
        pending, duration, error, started = noted
        values = None
        if len(self.events) < self.MAX_DATA_EVENTS:
            values = values_at_cell_end(self.shell.user_ns, pending.source, self.recent_frames)
        else:
            self.dropped_data += 1
        self.events.append(CellEvent(pending, duration, error, result.execution_count, started, values))
        return bool(started)
