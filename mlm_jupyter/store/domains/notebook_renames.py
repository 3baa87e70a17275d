"""Notebook renames: a notebook renamed or moved after its cells ran keeps its runs, cells and staleness.

``rename_notebook {old, new}`` rewrites every stored path equal to ``old``, or below it when a folder
moved, to the same place under ``new``: kernel sessions, cell records, run-cell links and run sources.
``notebook_rename(path)`` follows the recorded renames from ``path`` to where the notebook is now.
"""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.store.session import Session

__all__ = ["APPLIERS", "JOURNALABLE", "READERS"]

_COLUMNS = (("kernel_sessions", "notebook"), ("cell_records", "notebook"), ("run_cells", "notebook"),
            ("runs", "source"), ("run_summaries", "source"))
_MAX_HOPS = 50


def rename_notebook(s: Session, args: dict[str, Any]) -> int:
    """Rewrite stored paths from ``old`` to ``new``; returns how many rows changed."""
    old, new = str(args.get("old") or "").rstrip("/"), str(args.get("new") or "").rstrip("/")
    if not old or not new or "\x00" in old + new:
        raise InvalidInputError("rename_notebook needs the old and the new path")
    if old == new:
        return 0
    changed = 0
    for table, column in _COLUMNS:
        result = s.con.execute(
            f"UPDATE {table} SET {column} = ? || substr({column}, length(?) + 1) "  # noqa: S608 -- fixed names
            f"WHERE {column} = ? OR starts_with({column}, ? || '/')", [new, old, old, old]).fetchone()
        changed += int(result[0]) if result and result[0] is not None else 0
    s.con.execute("INSERT INTO notebook_renames VALUES (?, ?, ?)", [old, new, s.now()])
    return changed


def notebook_rename(s: Session, path: str) -> str | None:
    """Where the notebook once at ``path`` is now (following renames of it or of its folders), or None."""
    current, seen = str(path), {str(path)}
    for _ in range(_MAX_HOPS):
        row = s.one(
            "SELECT new_path || substr(?, length(old_path) + 1) FROM notebook_renames "
            "WHERE old_path = ? OR starts_with(?, old_path || '/') ORDER BY renamed_at DESC LIMIT 1",
            [current, current, current])
        if row is None or row[0] in seen:
            break
        current = str(row[0])
        seen.add(current)
    return None if current == str(path) else current


APPLIERS = {"rename_notebook": rename_notebook}
READERS = {"notebook_rename": notebook_rename}
JOURNALABLE = frozenset(APPLIERS)
