"""Cell-level diff of two sessions: which cells were added, removed or changed, in execution order.

Two runs of "the same notebook" rarely differ in one place: a cell was edited,
another run twice, a third deleted. Cells are matched by the front end's cell
id where both sides have one (an edited cell keeps its id), else by source;
the sequence alignment keeps execution order, so a re-run cell shows where it
ran. Pure: the caller passes the two histories.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["SessionCell", "diff_sessions", "latest_executions"]


@dataclass(frozen=True)
class SessionCell:
    """One executed cell of a session."""

    source: str
    cell_id: str | None = None
    execution_count: int | None = None

    def key(self) -> str:
        return f"id:{self.cell_id}" if self.cell_id else f"src:{self.source.strip()}"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "cell_id": self.cell_id, "execution_count": self.execution_count}


def _changed(a: SessionCell, b: SessionCell) -> dict[str, Any]:
    lines = list(difflib.unified_diff(a.source.splitlines(), b.source.splitlines(), "a", "b", lineterm="", n=2))
    return {"change": "changed" if a.source.strip() != b.source.strip() else "same",
            "cell_id": a.cell_id or b.cell_id, "a": a.to_dict(), "b": b.to_dict(),
            "diff": "\n".join(lines[2:]) if lines else ""}


def latest_executions(cells: Sequence[SessionCell]) -> list[SessionCell]:
    """Each cell once, as it last ran, in the order of those last executions (a re-run cell moves down)."""
    last: dict[str, int] = {}
    for index, cell in enumerate(cells):
        last[cell.key()] = index
    return [cell for index, cell in enumerate(cells) if last[cell.key()] == index]


def diff_sessions(a: Sequence[SessionCell], b: Sequence[SessionCell], *, include_same: bool = False
                  ) -> list[dict[str, Any]]:
    """The cells of ``a`` and ``b`` aligned in execution order, each marked added/removed/changed (or same).

    Returns dicts ``{"change", "cell_id", "a", "b", "diff"}``; ``a``/``b`` is None on the side a cell is
    missing from; ``diff`` is a unified diff of the sources for changed cells.
    """
    matcher = difflib.SequenceMatcher(a=[c.key() for c in a], b=[c.key() for c in b], autojunk=False)
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [_changed(a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        left, right = list(a[i1:i2]), list(b[j1:j2])
        while left or right:
            if left and right and _similar(left[0], right[0]):
                rows.append(_changed(left.pop(0), right.pop(0)))
            elif left and (not right or len(left) >= len(right)):
                cell = left.pop(0)
                rows.append({"change": "removed", "cell_id": cell.cell_id, "a": cell.to_dict(), "b": None,
                             "diff": ""})
            else:
                cell = right.pop(0)
                rows.append({"change": "added", "cell_id": cell.cell_id, "a": None, "b": cell.to_dict(),
                             "diff": ""})
    rows = _merge_moved(rows)
    if not include_same:
        rows = [row for row in rows if row["change"] != "same"]
    return rows


def _merge_moved(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell removed in one place and added in another (same cell id, or same source) is one moved cell."""
    def key(side: dict[str, Any]) -> str:
        return f"id:{side['cell_id']}" if side.get("cell_id") else f"src:{side['source'].strip()}"

    removed = {key(row["a"]): index for index, row in enumerate(rows) if row["change"] == "removed"}
    merged: list[dict[str, Any]] = []
    dropped: set[int] = set()
    for row in rows:
        if row["change"] == "added" and key(row["b"]) in removed and removed[key(row["b"])] not in dropped:
            index = removed[key(row["b"])]
            dropped.add(index)
            pair = _changed(SessionCell(**rows[index]["a"]), SessionCell(**row["b"]))
            merged.append(pair)
        else:
            merged.append(row)
    return [row for index, row in enumerate(merged) if not (index in dropped and row["change"] == "removed")]


def _similar(a: SessionCell, b: SessionCell) -> bool:
    if a.cell_id and b.cell_id:
        return a.cell_id == b.cell_id
    return difflib.SequenceMatcher(a=a.source, b=b.source, autojunk=False).ratio() >= 0.6
