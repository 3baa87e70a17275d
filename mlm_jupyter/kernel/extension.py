"""``%load_ext mlm_jupyter``: register the cell hooks and the ``%%track`` / ``%mlm`` magics, and remove them.

Loading costs the cell a few milliseconds: the hooks and magics are
registered at once. In a Jupyter kernel the hooks note the first cells
(``early_cells``) and the capture itself (its thread, session and notebook
file) starts in the first pause between cells, or sooner when something
needs it: a ``%%track`` or ``%mlm`` cell, a read of the cell history, a cell
that started a run, a shutdown. The heavy parts (the tracking client,
pyarrow, DuckDB, the fingerprint engine) are imported by the capture's
background thread; the magics import theirs on first use. Nothing a user can
see changes: no environment variable, no working directory, no display
option, no warnings filter, no random stream, no module the user did not
import.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from mlm_jupyter.kernel.early_cells import EarlyCells

if TYPE_CHECKING:  # imported when the capture starts (or something fails), not by %load_ext
    from mlm_jupyter.kernel.capture import CellCapture
    from mlm_jupyter.kernel.failsafe import FailSafe

__all__ = ["Extension", "extension_for", "load", "unload"]

_loaded: weakref.WeakKeyDictionary[Any, Extension] = weakref.WeakKeyDictionary()
_captures: weakref.WeakKeyDictionary[Any, CellCapture] = weakref.WeakKeyDictionary()
_watched: weakref.WeakSet[Any] = weakref.WeakSet()  # shells whose exit, shutdown and history reads we serve
_FLUENT = "mlm_jupyter.tracking.fluent"


def kernel_log() -> logging.Logger:
    """The kernel application's log (the server's terminal) inside ipykernel, else ``mlm_jupyter.kernel``.

    Inside a kernel, ``sys.stderr`` is the user's cell output, so warnings go to the kernel's own log.
    """
    kernelapp = sys.modules.get("ipykernel.kernelapp")  # looked up: a plain IPython never imports ipykernel
    try:
        app = getattr(kernelapp, "IPKernelApp", None)
        if app is not None and app.initialized():
            app_log = app.instance().log
            if isinstance(app_log, logging.Logger):
                return app_log.getChild("mlm_jupyter")
    except Exception:  # noqa: BLE001, S110 -- not in a kernel
        pass
    return logging.getLogger("mlm_jupyter.kernel")


class _ToKernelLog(logging.Handler):
    """Forwards the tracking layer's ``mlm_jupyter`` records (background flushes, provenance) to the kernel
    log: with no handler, Python writes them to ``sys.stderr``, which in a kernel is the running cell's output."""

    def __init__(self, target: logging.Logger) -> None:
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        if self.target.isEnabledFor(record.levelno):
            self.target.log(record.levelno, record.getMessage(), exc_info=record.exc_info)


def _route_package_log(target: logging.Logger) -> _ToKernelLog | None:
    package = logging.getLogger("mlm_jupyter")
    if target is package or target.name.startswith("mlm_jupyter"):
        return None  # not inside a kernel: the caller's logging setup applies
    handler = _ToKernelLog(target)
    package.addHandler(handler)
    package.propagate = False
    return handler


def _unroute_package_log(handler: _ToKernelLog | None) -> None:
    if handler is not None:
        package = logging.getLogger("mlm_jupyter")
        package.removeHandler(handler)
        package.propagate = not any(isinstance(h, _ToKernelLog) for h in package.handlers)


class _LazyMagic:
    """A magic registered at once whose implementation is imported on its first call.

    ``build()`` returns ``None`` when the capture cannot start (reported): that call goes to ``fallback`` and the
    next one tries again."""

    def __init__(self, build: Any, fallback: Any) -> None:
        self._build = build
        self._fallback = fallback
        self._magic: Any = None

    def __call__(self, *args: Any) -> Any:
        __tracebackhide__ = True
        if self._magic is None:
            magic = self._build()
            if magic is None:
                return self._fallback(*args)
            self._magic = magic
        return self._magic(*args)


class Extension:
    """Everything the extension adds to one shell, so ``unload`` can take exactly that away."""

    START_GAP = 0.25  # seconds without a running cell before the capture starts (as CellCapture.IDLE_GAP)
    START_MAX_DELAY = 10.0  # ... or this long after the load, pause or not (as CellCapture.SHIP_MAX_AGE): a
    # kernel killed during a long cell loses no more than the old capture did

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._failsafe: FailSafe | None = None
        self._notebook_mode = False
        self._mode_lock = threading.Lock()
        self._registered = False
        self._start_lock = threading.RLock()
        self._start_scheduled: Any = None  # the event loop the start timer is armed on
        self._watchdog: threading.Timer | None = None  # starts the capture after START_MAX_DELAY, pause or not
        self._early: EarlyCells | None = None
        # one capture (and session) per shell for the life of the process, across unload/load
        capture = _captures.get(shell)
        if capture is not None:  # loaded again (after %unload_ext, or by %reload_ext)
            capture.failsafe = self.failsafe
            capture._on_ready = self._ready
            capture.loaded_now()
        elif getattr(shell, "kernel", None) is None:
            capture = self._new_capture(None)  # plain IPython: no event loop to find a pause with
        else:
            self._early = EarlyCells(shell, on_cell_end=self._start_in_a_pause, on_run_started=self._start_now)
        self._capture = capture
        self.track = _LazyMagic(self._track_magic, self._track_untracked)
        self.mlm = _LazyMagic(self._mlm_magic, self._mlm_unavailable)

    @property
    def failsafe(self) -> FailSafe:
        """Where failures go (made on first use: a load that fails nothing imports nothing for it)."""
        if self._failsafe is None:
            from mlm_jupyter.kernel.failsafe import FailSafe

            self._failsafe = FailSafe(kernel_log())
        return self._failsafe

    # ------------------------------------------------------------ the capture, started late

    @property
    def capture(self) -> CellCapture:
        """The shell's capture; in a kernel that has not paused yet, started now (its early cells first)."""
        capture = self._capture
        return capture if capture is not None else self._start()

    @property
    def started(self) -> bool:
        """Whether the capture exists (in a kernel: after the first pause, or once something needed it)."""
        return self._capture is not None

    def _new_capture(self, early: EarlyCells | None) -> CellCapture:
        from mlm_jupyter.kernel.capture import CellCapture, default_fingerprinter

        capture = CellCapture(self.shell, _client, default_fingerprinter, self.failsafe, on_ready=self._ready,
                              early=early)
        _captures[self.shell] = capture
        return capture

    def _start(self) -> CellCapture:
        with self._start_lock:
            if self._capture is not None:
                return self._capture
            early = self._early
            assert early is not None  # noqa: S101 -- either a capture or early hooks exist
            with early.lock:  # no hook notes a cell while the capture takes the early ones over
                capture = self._new_capture(early)
                early.target = capture
                self._capture = capture
            return capture

    def _start_now(self) -> None:
        self.failsafe.call("capture start", self._start)

    def _start_in_a_pause(self) -> None:
        """After a cell ends in a kernel: start the capture once no cell has run for ``START_GAP`` seconds.

        An event-loop timer, not a thread: it fires on the kernel's main thread, between cells, and a
        cell that keeps the loop busy simply delays it (each ending cell re-arms it)."""
        if self._capture is not None:
            return
        import asyncio  # imported already in a kernel (it runs on asyncio); not by %load_ext in plain IPython

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a kernel running cells synchronously): start now
            self._start_now()
            return
        if self._start_scheduled is loop:  # armed on this loop already (a timer on a loop since closed is not)
            return
        self._start_scheduled = loop
        loop.call_later(self.START_GAP, self._start_if_paused, loop)

    def _start_if_paused(self, loop: Any) -> None:
        self._start_scheduled = None
        early = self._early
        if self._capture is not None or early is None or not self._registered:
            return
        idle = early.idle_for()
        if idle is None:  # a cell is running (an async cell awaits): its end re-arms the timer
            return
        if idle >= self.START_GAP or early.waited() >= self.START_MAX_DELAY:
            self._start_now()
            return
        self._start_scheduled = loop
        try:
            loop.call_later(self.START_GAP - idle, self._start_if_paused, loop)
        except RuntimeError:  # the loop is closing
            self._start_scheduled = None

    def _arm_watchdog(self) -> None:
        """Start the capture ``START_MAX_DELAY`` seconds after the load even if no pause comes: the event-loop
        timer cannot fire while a long cell runs, and the early cells' records must not wait for its end (a
        kernel killed in it would lose them). Armed by the first cell after the load; a thread, made once."""
        early = self._early
        if early is None:
            return
        timer = threading.Timer(max(0.0, self.START_MAX_DELAY - early.waited()), self._start_if_still_early)
        timer.daemon = True
        timer.name = "mlm-capture-start"
        self._watchdog = timer
        timer.start()

    def _start_if_still_early(self) -> None:
        if self._registered and self._capture is None:
            self._start_now()

    # the registered hooks: never let a failure reach the cell (FailSafe's guard, written out to keep the load light)

    def _pre(self, info: Any) -> None:
        try:
            capture = self._capture
            if capture is not None:
                capture.pre_run_cell(info)
                return
            self._early.pre_run_cell(info)  # type: ignore[union-attr]
            if self._watchdog is None:
                self._arm_watchdog()
        except Exception as error:  # noqa: BLE001 -- logged once per kind, never raised into the cell
            self.failsafe.report("pre_run_cell hook", error)

    def _post(self, result: Any) -> None:
        try:
            capture = self._capture
            (capture if capture is not None else self._early).post_run_cell(result)  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001 -- logged once per kind, never raised into the cell
            self.failsafe.report("post_run_cell hook", error)

    def _capture_or_none(self) -> CellCapture | None:
        """The capture, started now if need be; ``None`` (reported) if it cannot start."""
        return self._capture if self._capture is not None else self.failsafe.call("capture start", self._start)

    def _track_magic(self) -> Any:
        capture = self._capture_or_none()
        if capture is None:
            return None
        from mlm_jupyter.kernel.track import TrackMagic

        return TrackMagic(self.shell, capture, self.failsafe)

    def _mlm_magic(self) -> Any:
        capture = self._capture_or_none()
        if capture is None:
            return None
        from mlm_jupyter.kernel.mlm_magic import MlmMagic

        return MlmMagic(capture, self.failsafe)

    def _track_untracked(self, line: str, cell: str) -> Any:
        """``%%track`` when the capture cannot start: the user's code still runs, as with an unusable store."""
        __tracebackhide__ = True
        from mlm_jupyter.kernel.track import _compile, _execute
        from mlm_jupyter.tracking import fluent

        print("mlm: cell recording could not start (the kernel log says why); the cell runs untracked")
        code, last = _compile(self.shell, cell)
        with fluent.untracked_cell():
            return _execute(self.shell, code, last)

    @staticmethod
    def _mlm_unavailable(line: str) -> None:
        print("mlm: cell recording could not start (the kernel log says why)")

    def _ready(self) -> None:
        """The capture's heavy parts are in. Inside ipykernel the tracking layer already knows it is in a
        notebook (``fluent._in_kernel``), so it is not imported just for that; elsewhere it is."""
        if getattr(self.shell, "kernel", None) is None or _FLUENT in sys.modules:
            self._enter_notebook_mode()

    def _enter_notebook_mode(self) -> None:
        """From now on a broken store never fails a cell's ``mlm.*`` calls (once the tracking layer is in)."""
        with self._mode_lock:
            if self._registered and not self._notebook_mode:
                from mlm_jupyter.tracking import fluent

                fluent.set_notebook_mode(True)
                self._notebook_mode = True

    def register(self) -> None:
        from mlm_jupyter.tracking.run_owner import set_run_owner

        set_run_owner(_kernel_owner)  # looked up when a run starts
        self._log_route = _route_package_log(self.failsafe.logger if self._failsafe is not None else kernel_log())
        self.shell.events.register("pre_run_cell", self._pre)
        self.shell.events.register("post_run_cell", self._post)
        self.shell.register_magic_function(self.track, "cell", "track")
        self.shell.register_magic_function(self.mlm, "line", "mlm")
        self._registered = True
        if _FLUENT in sys.modules or (self._capture is not None and self._capture.worker.ready):
            self._enter_notebook_mode()
        _serve(self.shell)

    def unregister(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        with self._mode_lock:
            self._registered = False
            if self._notebook_mode:
                sys.modules[_FLUENT].set_notebook_mode(False)
                self._notebook_mode = False
        for event, callback in (("pre_run_cell", self._pre), ("post_run_cell", self._post)):
            try:
                self.shell.events.unregister(event, callback)
            except ValueError:
                pass
        magics = self.shell.magics_manager.magics
        if magics["cell"].get("track") is self.track:
            del magics["cell"]["track"]
        if magics["line"].get("mlm") is self.mlm:
            del magics["line"]["mlm"]
        capture = self._capture_or_none()
        if capture is not None:
            self.failsafe.call("flush at unload", flush_capture, capture)
            # the unloading cell gets no post hook (IPython calls the hooks registered when it ends): without
            # this, the next load's first cell would be recorded as this one
            capture.current, capture._depth = None, 0
        _unroute_package_log(getattr(self, "_log_route", None))


def _client() -> Any:
    from mlm_jupyter.tracking import fluent

    return fluent.get_client()


def flush_capture(capture: CellCapture, timeout: float = 60.0) -> None:
    """Record every finished cell and make the queued records durable."""
    capture.drain(timeout)  # also hands the queued records to the client
    fluent = sys.modules.get(_FLUENT)
    client = getattr(fluent, "_client", None) if fluent is not None else None
    if client is not None:
        client.flush_cells()
        client.flush()


def _write_default_client_cells() -> None:
    """Write the cell records queued in the default client (its buffer's own flush: ``flush_cells`` would drain the
    cell producers, which is how we got here)."""
    fluent = sys.modules.get(_FLUENT)
    client = getattr(fluent, "_client", None) if fluent is not None else None
    buffer = getattr(client, "__dict__", {}).get("_cell_buffer") if client is not None else None
    if buffer is not None:
        buffer.flush()


def _kernel_owner() -> str | None:
    """``kernel:<id>`` inside a Jupyter kernel (the server marks a dead kernel's open runs by it), else ``None``.

    Asked when a run starts (microseconds), so that ``%load_ext`` need not import the session module."""
    from mlm_jupyter.kernel.session import kernel_id

    this_kernel = kernel_id()
    return f"kernel:{this_kernel}" if this_kernel else None


def capture_of(shell: Any) -> CellCapture | None:
    """The capture of ``shell``: started now if the loaded extension has not started it yet."""
    extension = _loaded.get(shell)
    if extension is not None:
        return extension.capture
    return _captures.get(shell)


def _serve(shell: Any) -> None:
    """Once per shell: its cells are recorded before the interpreter exits or the kernel shuts down, and a
    read of the cell history waits for the cells that finished (starting the capture if it has not)."""
    if shell in _watched:
        return
    _watched.add(shell)
    ref = weakref.ref(shell)
    pid = os.getpid()

    def capture() -> CellCapture | None:
        # a forked child (multiprocessing's "fork" workers run the exit hooks as they end) records nothing: its
        # copies of the cells are the parent's, which records them itself
        target = ref() if os.getpid() == pid else None
        return capture_of(target) if target is not None else None

    def drain() -> None:  # runs inside a user's history read or client.close(): it must not fail them
        try:
            target = capture()
            if target is not None:
                target.drain()  # hands the records to the default client...
                _write_default_client_cells()  # ...and writes them: the reader may be a client of its own
        except Exception as error:  # noqa: BLE001 -- the read goes on with what the store has
            extension = _loaded.get(ref())
            if extension is not None:
                extension.failsafe.report("recording the finished cells before a read", error)

    from mlm_jupyter.core.cell_producers import add_cell_producer

    add_cell_producer(drain)
    _register_exit(capture)
    _watch_shutdown(shell, capture)


def _watch_shutdown(shell: Any, capture: Any) -> None:
    """Wrap the running kernel's ``do_shutdown`` (once per kernel; no-op outside ipykernel): a running
    ``%%track`` cell learns why it stops and the cells are recorded first (``shutdown``, imported then)."""
    kernel = getattr(shell, "kernel", None)
    original = getattr(kernel, "do_shutdown", None)
    if kernel is None or original is None or getattr(original, "_mlm_watch", False):
        return

    async def do_shutdown(restart: bool) -> Any:
        from mlm_jupyter.kernel.shutdown import shut_down

        return await shut_down(original, restart, capture)

    do_shutdown._mlm_watch = True  # type: ignore[attr-defined]
    kernel.do_shutdown = do_shutdown


def _register_exit(capture: Any) -> None:
    """Flush the records of ``capture()`` when the interpreter starts to shut down.

    ``threading``'s exit hooks run before ``atexit`` callbacks, so the records are written before
    DuckDB's own exit hook refuses Python-backed queries ("the interpreter is shutting down"), and
    before daemon threads are frozen. Failures there are logged at debug level: the journal keeps
    whatever the store refused, and nobody is left to read a warning.
    """

    def at_exit() -> None:
        try:
            target = capture()
            if target is not None:
                flush_capture(target, timeout=10.0)
        except Exception:  # noqa: BLE001 -- exit must stay quiet
            logging.getLogger("mlm_jupyter.kernel").debug("flush at exit failed", exc_info=True)

    register = getattr(threading, "_register_atexit", None)
    try:
        if register is None:
            raise RuntimeError("no threading exit hooks")
        register(at_exit)
    except RuntimeError:
        import atexit

        atexit.register(at_exit)


def extension_for(shell: Any) -> Extension | None:
    """The loaded extension of ``shell``, if any."""
    return _loaded.get(shell)


def load(ipython: Any) -> None:
    """Register hooks and magics on ``ipython``; loading twice changes nothing."""
    if ipython in _loaded:
        return
    extension = Extension(ipython)
    extension.register()
    _loaded[ipython] = extension


def unload(ipython: Any) -> None:
    """Remove exactly what ``load`` added (queued cell records are flushed)."""
    extension = _loaded.pop(ipython, None)
    if extension is not None:
        extension.unregister()
