"""``%load_ext mlm_jupyter``: register the cell hooks and the ``%%track`` / ``%mlm`` magics, and remove them."""

from __future__ import annotations

import logging
import os
import weakref
from typing import Any

from mlm_jupyter.kernel.capture import CellCapture, default_fingerprinter
from mlm_jupyter.kernel.failsafe import FailSafe
from mlm_jupyter.kernel.mlm_magic import MlmMagic
from mlm_jupyter.kernel.track import TrackMagic
from mlm_jupyter.tracking import fluent

__all__ = ["Extension", "extension_for", "load", "unload"]

_loaded: weakref.WeakKeyDictionary[Any, Extension] = weakref.WeakKeyDictionary()
_captures: weakref.WeakKeyDictionary[Any, CellCapture] = weakref.WeakKeyDictionary()


def kernel_log() -> logging.Logger:
    """The kernel application's log (the server's terminal) inside ipykernel, else ``mlm_jupyter.kernel``.

    Inside a kernel, ``sys.stderr`` is the user's cell output, so warnings go to the kernel's own log.
    """
    try:
        from ipykernel.kernelapp import IPKernelApp

        if IPKernelApp.initialized():
            app_log = IPKernelApp.instance().log
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


class Extension:
    """Everything the extension adds to one shell, so ``unload`` can take exactly that away."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.failsafe = FailSafe(kernel_log())
        # one capture (and session) per shell for the life of the process, across unload/load
        capture = _captures.get(shell)
        if capture is None:
            capture = CellCapture(shell, fluent.get_client, default_fingerprinter(), self.failsafe)
            _captures[shell] = capture
        capture.failsafe = self.failsafe
        self.capture = capture
        self.track = TrackMagic(shell, capture, self.failsafe)
        self.mlm = MlmMagic(capture, self.failsafe)
        self._pre = self.failsafe.guard("pre_run_cell hook")(capture.pre_run_cell)
        self._post = self.failsafe.guard("post_run_cell hook")(capture.post_run_cell)

    def register(self) -> None:
        if self.capture.session.kernel_id:
            os.environ["MLM_RUN_OWNER"] = f"kernel:{self.capture.session.kernel_id}"
        self._log_route = _route_package_log(self.failsafe.logger)
        self.shell.events.register("pre_run_cell", self._pre)
        self.shell.events.register("post_run_cell", self._post)
        self.shell.register_magic_function(self.track, "cell", "track")
        self.shell.register_magic_function(self.mlm, "line", "mlm")
        fluent.set_notebook_mode(True)  # from now on a broken store never fails a cell's mlm.* calls

    def unregister(self) -> None:
        fluent.set_notebook_mode(False)
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
        self.failsafe.call("flush at unload", fluent.get_client().flush_cells)
        _unroute_package_log(getattr(self, "_log_route", None))


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
