"""What every mlm-jupyter widget shares: the tracking client, the static fallback, error reporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from mlm_jupyter.core.errors import MlmError

__all__ = ["STATIC", "MlmWidget", "default_client", "with_fallback"]

STATIC = Path(__file__).parent / "static"


def default_client() -> Any:
    """The process's tracking client (widgets never open the store themselves)."""
    from mlm_jupyter.tracking.fluent import get_client

    return get_client()


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
    """An anywidget with a tracking client, a ``message`` trait and a static fallback.

    ``message`` is ``{"kind": "error"|"ok", "text": ...}`` (or empty); the
    front end shows it above the widget.
    """

    message = traitlets.Dict().tag(sync=True)

    def __init__(self, client: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client if client is not None else default_client()
        self.on_msg(self._dispatch)

    # ------------------------------------------------------------ actions from the front end

    def _actions(self) -> dict[str, Callable[..., Any]]:
        """Front-end action name -> method; subclasses extend it."""
        return {}

    def _dispatch(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "action" not in content:
            return
        handler = self._actions().get(str(content["action"]))
        if handler is None:
            return
        arguments = {k: v for k, v in content.items() if k != "action"}
        self.run_action(handler, **arguments)

    def run_action(self, handler: Callable[..., Any], **arguments: Any) -> Any:
        """Call ``handler``; an ``MlmError`` becomes the widget's error message instead of a traceback."""
        try:
            return handler(**arguments)
        except MlmError as error:
            self.message = {"kind": "error", "text": error.message, "code": error.code}
            return None

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
