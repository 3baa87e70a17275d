"""Program slicing over a session's cells: the fewest earlier cells a tracked cell needs.

Walk the session history backwards from the tracked cell, keeping a cell
when it writes a name that a kept cell still needs, and adding that cell's
own reads to the needs. A method call on a needed name (``values.sort()``,
``df.dropna(inplace=True)``) may mutate it in place, so such a cell counts
as writing that name. Failed cells are skipped (they did not run to the
end). A cell that cannot be parsed is kept when anything is still needed,
because we cannot prove it irrelevant.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Sequence

from mlm_jupyter.core.cell_names import analyze, strip_ipython_syntax

__all__ = ["HistoryCell", "slice_history"]


@dataclass(frozen=True)
class HistoryCell:
    source: str
    success: bool = True
    execution_count: int | None = None


def _method_call_targets(source: str) -> set[str]:
    """Names whose methods the cell calls (``x.sort()`` -> ``x``): possible in-place mutation."""
    try:
        tree = ast.parse(strip_ipython_syntax(source))
    except SyntaxError:
        return set()
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                targets.add(base.id)
    return targets


def slice_history(history: Sequence[HistoryCell], target: str) -> list[int]:
    """Indexes into ``history`` of the cells needed to re-create what ``target`` reads, in order."""
    needed = set(analyze(target).reads)
    kept: list[int] = []
    for index in range(len(history) - 1, -1, -1):
        if not needed:
            break
        cell = history[index]
        if not cell.success:
            continue
        names = analyze(cell.source)
        mutated = _method_call_targets(cell.source) & needed
        if not names.parsed or names.writes & needed or mutated:
            kept.append(index)
            needed -= names.writes
            needed |= names.reads
    return sorted(kept)
