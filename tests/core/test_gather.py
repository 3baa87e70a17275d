"""``core.gather.unresolved_names``: what a gathered notebook still lacks."""

from __future__ import annotations

from mlm_jupyter.core.gather import HistoryCell, slice_history, unresolved_names


def test_names_no_kept_cell_defines_are_reported_without_builtins() -> None:
    history = [HistoryCell("scale = 2"), HistoryCell("data = [x * scale for x in raw]")]
    target = "%%track -e t\ntotal = sum(data) + offset\nprint(len(data))\ndisplay(total)"
    kept = slice_history(history, target)
    assert kept == [0, 1]
    assert unresolved_names(history, kept, target) == ["offset", "raw"]


def test_nothing_is_reported_when_the_history_defines_everything() -> None:
    history = [HistoryCell("import math"), HistoryCell("x = 3")]
    target = "y = math.sqrt(x)"
    assert unresolved_names(history, slice_history(history, target), target) == []
