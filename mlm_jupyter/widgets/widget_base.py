"""What every mlm-jupyter widget shares: the views' ES module, the tracking client, calls from the
front end over the widget's comm, the static fallback.

The front end (``labextension/src/widget/``, built by ``npm run build`` into ``static/views.js``) hosts
the same views as the JupyterLab sidebar; the ``view`` trait says which one. It reads traits and calls
the methods a widget lists in ``_calls``: ``{"rpc", "method", "args"}`` in, ``{"rpc", "result"}`` or
``{"rpc", "error": {"message", "code", "status", "column"}}`` back (later, from a worker thread, when the
method returns a ``Future``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError

__all__ = ["STATIC", "MlmWidget", "default_client", "jsonable", "with_fallback", "worker_pool"]

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("mlm_jupyter")


def default_client() -> Any:
    """The process's tracking client (widgets never open the store themselves)."""
    from mlm_jupyter.tracking.fluent import get_client

    return get_client()


_pool: ThreadPoolExecutor | None = None


def worker_pool() -> ThreadPoolExecutor:
    """The widgets' few worker threads (reads that should not hold the kernel)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mlm-widget")
    return _pool


def jsonable(value: Any) -> Any:
    """``value`` as strict JSON (NaN and infinities become None: the browser's JSON.parse refuses them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return None if type(value).__name__ == "NaTType" else value.timestamp()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)) or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return jsonable(value.tolist())
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    return str(value)


def _raise(error: BaseException) -> Any:
    raise error


def with_fallback(bundle: Any, html: str, text: str) -> Any:
    """Add ``text/html`` and a readable ``text/plain`` to a widget's mime bundle.

    JupyterLab renders the widget view; nbviewer, GitHub and static exports,
    which cannot run widgets, show the HTML (or the text).
    """
    metadata = None
    if isinstance(bundle, tuple):  # anywidget returns (data, metadata)
        bundle, metadata = bundle
    data = dict(bundle or {})
    data["text/html"] = html
    data["text/plain"] = text
    return (data, metadata) if metadata is not None else data


class MlmWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """An anywidget showing one of the shared views, with a tracking client and a static fallback.

    ``message`` is ``{"kind": "error"|"ok", "text": ...}`` (or empty); the
    front end shows it above the view. ``call_seconds`` keeps how long each
    call from the front end held the kernel (the last 100). A call that reads a
    lot returns a ``Future`` (work on ``worker_pool()``): it is answered when
    done, and the kernel is free meanwhile.
    """

    _esm = STATIC / "views.js"
    _css = STATIC / "views.css"
    view = traitlets.Unicode("").tag(sync=True)
    message = traitlets.Dict().tag(sync=True)

    def __init__(self, client: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client if client is not None else default_client()
        self.call_seconds: list[float] = []
        self.on_msg(self._dispatch)

    def _calls(self) -> dict[str, Callable[..., Any]]:
        """Method name the front end may call -> method; subclasses extend it."""
        return {}

    def _dispatch(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "rpc" not in content:
            return
        started = time.perf_counter()
        method = str(content.get("method"))
        args = content.get("args") if isinstance(content.get("args"), dict) else {}
        self._answer(content["rpc"], method, args)
        self.call_seconds = [*self.call_seconds[-99:], time.perf_counter() - started]  # time the kernel was held

    def _answer(self, rpc: Any, method: str, args: dict[str, Any]) -> None:
        handler = self._calls().get(method)
        if handler is None:
            self._reply(rpc, lambda: _raise(NotFoundError(f"this widget has no method {method!r}")))
            return
        try:
            result = handler(**args)
        except Exception as error:  # noqa: BLE001 -- answered below like any other failure
            self._reply(rpc, lambda: _raise(error))
            return
        if isinstance(result, Future):  # already being read (prefetched): answer when it is in
            result.add_done_callback(lambda done: self._reply(rpc, done.result))
        else:
            self._reply(rpc, lambda: result)

    def _reply(self, rpc: Any, outcome: Callable[[], Any]) -> None:
        try:
            reply: dict[str, Any] = {"result": jsonable(outcome())}
        except MlmError as error:
            column = getattr(error, "column", 0)  # a filter's syntax error: the view draws the caret
            reply = {"error": {"message": error.message.split(" (column")[0] if column else error.message,
                               "code": error.code, "column": column,
                               "status": 400 if isinstance(error, InvalidInputError) else 409}}
        except Exception as error:  # noqa: BLE001 -- the view shows it; the kernel and the cell go on
            log.warning("mlm widget call failed: %s: %s", type(error).__name__, error)
            reply = {"error": {"message": f"{type(error).__name__}: {error}", "code": "INTERNAL", "status": 500}}
        self.send({"rpc": rpc, **reply})

    # ------------------------------------------------------------ static fallback

    def fallback_html(self) -> str:
        raise NotImplementedError

    def fallback_text(self) -> str:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.fallback_html()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        return with_fallback(bundle, self.fallback_html(), self.fallback_text())
