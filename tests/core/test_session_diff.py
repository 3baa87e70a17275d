"""``core.session_diff``: cells added, removed and changed between two sessions, in execution order."""

from __future__ import annotations

from mlm_jupyter.core.session_diff import SessionCell, diff_sessions


def test_cells_matched_by_id_show_edits_and_the_rest_as_added_or_removed() -> None:
    a = [SessionCell("import numpy as np", "c1", 1), SessionCell("x = 1", "c2", 2), SessionCell("y = x", "c3", 3)]
    b = [SessionCell("import numpy as np", "c1", 1), SessionCell("x = 2", "c2", 2), SessionCell("z = 0", "c4", 3)]

    rows = diff_sessions(a, b)

    assert [(r["change"], r["cell_id"]) for r in rows] == [("changed", "c2"), ("removed", "c3"), ("added", "c4")]
    assert "-x = 1" in rows[0]["diff"] and "+x = 2" in rows[0]["diff"]


def test_without_ids_similar_sources_pair_up_as_changed_and_order_is_kept() -> None:
    a = [SessionCell("data = load('a.csv')"), SessionCell("model.fit(data)")]
    b = [SessionCell("data = load('b.csv')"), SessionCell("print('hi')"), SessionCell("model.fit(data)")]

    rows = diff_sessions(a, b, include_same=True)

    assert [r["change"] for r in rows] == ["changed", "added", "same"]


def test_identical_sessions_have_no_differences() -> None:
    cells = [SessionCell("a = 1", "x"), SessionCell("b = a", "y")]
    assert diff_sessions(cells, list(cells)) == []
