"""``store.quiet_connect``: our DuckDB connections open with the progress bar off and, inside a notebook
kernel, without importing ipywidgets; other threads' imports are untouched (real kernels:
tests/integration/test_invisible_extension.py checks ``sys.modules``)."""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

import pytest

from mlm_jupyter.store import quiet_connect


def test_connection_has_the_progress_bar_off(tmp_path: Path) -> None:
    con = quiet_connect.connect(str(tmp_path / "x.duckdb"))
    try:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        con.close()


def test_only_the_connecting_thread_is_refused_the_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", sys.modules.get("IPython") or object())
    monkeypatch.delitem(sys.modules, "ipywidgets", raising=False)
    seen: dict[str, object] = {}
    entered, release = threading.Event(), threading.Event()
    real_connect = quiet_connect.duckdb.connect

    def slow_connect(database: str, **kwargs: object) -> object:
        try:
            importlib.import_module("ipywidgets")
            seen["connecting thread"] = "imported"
        except ModuleNotFoundError:
            seen["connecting thread"] = "refused"
        entered.set()
        release.wait(10)
        return real_connect(database, **kwargs)

    monkeypatch.setattr(quiet_connect.duckdb, "connect", slow_connect)
    opener = threading.Thread(target=lambda: seen.setdefault("con", quiet_connect.connect(":memory:")))
    opener.start()
    assert entered.wait(10)
    assert quiet_connect._finder in sys.meta_path
    assert quiet_connect._finder.find_spec("ipywidgets") is None  # this thread: not refused
    release.set()
    opener.join(10)
    assert seen["connecting thread"] == "refused"
    assert quiet_connect._finder not in sys.meta_path
    seen["con"].close()  # type: ignore[attr-defined]
