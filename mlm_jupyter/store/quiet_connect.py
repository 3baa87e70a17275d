"""Open a DuckDB connection without the notebook widgets DuckDB imports for its progress bar.

Inside a Jupyter kernel, ``duckdb.connect`` imports ``ipywidgets`` (about
0.15 s, and a module the user's notebook never imported) to draw progress
bars, which the store turns off at once anyway. While our own connection
opens, this thread (and only this thread) sees ``ipywidgets`` as missing;
DuckDB then opens the connection without it. A cell importing ``ipywidgets``
at the same moment on another thread is not affected, and a connection the
user opens later gets DuckDB's usual behaviour.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any

import duckdb

__all__ = ["connect"]

_WIDGETS = "ipywidgets"
_local = threading.local()
_lock = threading.Lock()
_users = 0


class _NoWidgetsHere:
    """A ``sys.meta_path`` finder that refuses ``ipywidgets`` on threads opening our connection only."""

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: Any = None) -> None:
        if getattr(_local, "opening", False) and (name == _WIDGETS or name.startswith(_WIDGETS + ".")):
            raise ModuleNotFoundError(f"{name} is not imported while mlm-jupyter opens its store", name=name)
        return None


_finder = _NoWidgetsHere()


def _progress_bar_off(con: Any) -> Any:
    """In a notebook DuckDB would show a progress-bar widget for slow queries, in whatever cell runs then:
    our queries are background work and must never draw into a user's cell."""
    try:
        (enabled,) = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
        if enabled:  # (DuckDB refuses any progress-bar setting while ipywidgets is missing: only set if on)
            con.execute("SET enable_progress_bar = false")
    except BaseException:
        con.close()
        raise
    return con


def connect(database: str, **kwargs: Any) -> Any:
    """``duckdb.connect(database, **kwargs)`` with the progress bar off, without importing ``ipywidgets``."""
    global _users
    if _WIDGETS in sys.modules or "IPython" not in sys.modules:
        return _progress_bar_off(duckdb.connect(database, **kwargs))
    with _lock:
        if _users == 0:
            sys.meta_path.insert(0, _finder)
        _users += 1
    _local.opening = True
    try:
        con = duckdb.connect(database, **kwargs)  # without ipywidgets DuckDB leaves its progress bar off
    finally:
        _local.opening = False
        with _lock:
            _users -= 1
            if _users == 0:
                try:
                    sys.meta_path.remove(_finder)
                except ValueError:
                    pass
    return _progress_bar_off(con)
