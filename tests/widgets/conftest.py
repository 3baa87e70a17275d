"""Fixtures for the widgets' Python-side tests."""

from __future__ import annotations

from typing import Any, Iterator

import pytest


@pytest.fixture
def ipython_shell() -> Iterator[Any]:
    """IPython's global test shell, made the current shell (``IPython.get_ipython()``) for this test only.

    Other test modules tear the singleton down after use; this puts it back for
    the test and leaves things as it found them.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing import globalipapp

    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    classes = [c for c in type(shell).__mro__ if isinstance(c, type) and issubclass(c, InteractiveShell)]
    was_current = InteractiveShell.initialized() and InteractiveShell.instance() is shell
    if not was_current:
        for cls in classes:
            cls._instance = shell
    try:
        yield shell
    finally:
        if not was_current:
            for cls in classes:
                cls._instance = None


def call(widget: Any, method: str, **args: Any) -> Any:
    """What the front end does: call ``method`` over the widget's comm; returns the result or raises the error."""
    import time

    replies: list[dict[str, Any]] = []
    send = widget.send
    widget.send = lambda content, buffers=None: replies.append(content)
    try:
        widget._dispatch(widget, {"rpc": "t-1", "method": method, "args": args}, [])
        deadline = time.monotonic() + 30
        while not replies and time.monotonic() < deadline:  # a background call answers from a worker thread
            time.sleep(0.01)
    finally:
        widget.send = send
    (reply,) = replies
    assert reply["rpc"] == "t-1"
    if "error" in reply:
        raise CallError(reply["error"])
    return reply["result"]


class CallError(Exception):
    """The error a call sent back to the front end (``error`` holds message, code, status, column)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error
