"""``%load_ext mlm_jupyter``: register the cell hooks and the ``%%track`` / ``%mlm`` magics, and remove them.

Loading costs the cell a few milliseconds: the hooks and magics are
registered at once, and the heavy parts (the tracking client, pyarrow,
DuckDB, the fingerprint engine) are imported by the capture's background
thread; the magics import theirs on first use. Nothing a user can see
changes: no environment variable, no working directory, no display option,
no warnings filter, no random stream, no module the user did not import.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from typing import Any

from mlm_jupyter.kernel.capture import CellCapture, default_fingerprinter
from mlm_jupyter.kernel.failsafe import FailSafe

__all__ = ["Extension", "extension_for", "load", "unload"]

_loaded: weakref.WeakKeyDictionary[Any, Extension] = weakref.WeakKeyDictionary()
_captures: weakref.WeakKeyDictionary[Any, CellCapture] = weakref.WeakKeyDictionary()
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
    """A magic registered at once whose implementation is imported on its first call."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._magic: Any = None

    def __call__(self, *args: Any) -> Any:
        __tracebackhide__ = True
        if self._magic is None:
            self._magic = self._build()
        return self._magic(*args)


class Extension:
    """Everything the extension adds to one shell, so ``unload`` can take exactly that away."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.failsafe = FailSafe(kernel_log())
        self._notebook_mode = False
        self._mode_lock = threading.Lock()
        self._registered = False
        # one capture (and session) per shell for the life of the process, across unload/load
        capture = _captures.get(shell)
        if capture is None:
            capture = CellCapture(shell, _client, default_fingerprinter, self.failsafe)
            _captures[shell] = capture
        capture.failsafe = self.failsafe
        capture._on_ready = self._ready
        self.capture = capture
        self.track = _LazyMagic(self._track_magic)
        self.mlm = _LazyMagic(self._mlm_magic)
        self._pre = self.failsafe.guard("pre_run_cell hook")(capture.pre_run_cell)
        self._post = self.failsafe.guard("post_run_cell hook")(capture.post_run_cell)

    def _track_magic(self) -> Any:
        from mlm_jupyter.kernel.track import TrackMagic

        return TrackMagic(self.shell, self.capture, self.failsafe)

    def _mlm_magic(self) -> Any:
        from mlm_jupyter.kernel.mlm_magic import MlmMagic

        return MlmMagic(self.capture, self.failsafe)

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

        if self.capture.session.kernel_id:
            set_run_owner(f"kernel:{self.capture.session.kernel_id}")
        self._log_route = _route_package_log(self.failsafe.logger)
        self.shell.events.register("pre_run_cell", self._pre)
        self.shell.events.register("post_run_cell", self._post)
        self.shell.register_magic_function(self.track, "cell", "track")
        self.shell.register_magic_function(self.mlm, "line", "mlm")
        self._registered = True
        if _FLUENT in sys.modules or self.capture.worker.ready:
            self._enter_notebook_mode()
        _register_exit(self.capture)
        from mlm_jupyter.kernel import shutdown

        shutdown.watch(self.capture)

    def unregister(self) -> None:
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
        self.failsafe.call("flush at unload", flush_capture, self.capture)
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


_exit_registered: set[int] = set()


def _register_exit(capture: CellCapture) -> None:
    """Flush this capture's records when the interpreter starts to shut down.

    ``threading``'s exit hooks run before ``atexit`` callbacks, so the records are written before
    DuckDB's own exit hook refuses Python-backed queries ("the interpreter is shutting down"), and
    before daemon threads are frozen. Failures there are logged at debug level: the journal keeps
    whatever the store refused, and nobody is left to read a warning.
    """
    if id(capture) in _exit_registered:
        return
    _exit_registered.add(id(capture))
    ref = weakref.ref(capture)

    def at_exit() -> None:
        target = ref()
        if target is None:
            return
        try:
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
