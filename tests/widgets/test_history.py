"""The cell history widget: records of a real IPython session, stale cells marked."""

from __future__ import annotations

import pytest

from mlm_jupyter.widgets.history import HistoryTimeline, mark_stale


def test_mark_stale_flags_readers_of_names_rewritten_later():
    records = [
        {"cell_id": "a", "names_read": [], "names_written": ["x"], "execution_count": 1},
        {"cell_id": "b", "names_read": ["x"], "names_written": ["y"], "execution_count": 2},
        {"cell_id": "a", "names_read": [], "names_written": ["x"], "execution_count": 3},
        {"cell_id": "c", "names_read": ["y"], "names_written": [], "execution_count": 4},
    ]
    marked = mark_stale(records)
    assert [r["superseded"] for r in marked] == [True, False, False, False]
    assert [r["stale"] for r in marked] == [False, True, False, False]
    assert "reads x, rewritten later by [3]" in marked[1]["stale_reason"]


@pytest.fixture
def shell(client, ipython_shell):
    ip = ipython_shell
    ip.run_line_magic("load_ext", "mlm_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "mlm_jupyter")


def test_history_of_this_session_in_ipython(shell, client):
    for source in ("a = 1", "b = a + 1", "a = 5", "1 / 0"):
        shell.run_cell(source, store_history=True)
    timeline = shell.run_cell("import mlm_jupyter as mlm\nmlm.history()", store_history=True).result
    assert isinstance(timeline, HistoryTimeline)
    sources = [c["first_line"] for c in timeline.cells]
    assert sources[-4:] == ["a = 1", "b = a + 1", "a = 5", "1 / 0"]
    by_source = {c["first_line"]: c for c in timeline.cells}
    assert by_source["b = a + 1"]["stale"] and not by_source["a = 5"]["stale"]
    assert not by_source["1 / 0"]["success"] and by_source["1 / 0"]["error"] == "ZeroDivisionError"
    assert timeline.scope.startswith("session ")
    assert "b = a + 1" in timeline.fallback_text()
