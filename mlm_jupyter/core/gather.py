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
import builtins
from dataclasses import dataclass
from typing import Sequence

from mlm_jupyter.core.cell_effects import RNG, effects, file_name
from mlm_jupyter.core.cell_names import analyze, strip_ipython_syntax

__all__ = ["HistoryCell", "slice_history", "unresolved_files", "unresolved_names"]


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


def _needs(source: str) -> tuple[frozenset[str], frozenset[str], bool]:
    """(reads, writes, parsed) of a cell, hidden-state pseudo-names (global RNG, files) included."""
    names = analyze(source)
    hidden = effects(source)
    return names.reads | hidden.reads, names.writes | hidden.writes, names.parsed


def slice_history(history: Sequence[HistoryCell], target: str) -> list[int]:
    """Indexes into ``history`` of the cells needed to re-create what ``target`` reads, in order.

    Besides names, a cell is needed when it seeds or draws from the global RNG stream the kept
    cells draw from, or writes a file they read (``core.cell_effects``). When no cell ever seeds
    the RNG, its draws are random anyway, so the RNG chain alone keeps no cell.
    """
    kept, needed = _slice(history, target, follow_rng=True)
    if RNG in needed:  # nothing seeded it: keeping every earlier draw would not make the draws repeatable
        kept, _ = _slice(history, target, follow_rng=False)
    return kept


def _slice(history: Sequence[HistoryCell], target: str, *, follow_rng: bool) -> tuple[list[int], set[str]]:
    reads, _, _ = _needs(target)
    needed = set(reads) if follow_rng else set(reads) - {RNG}
    kept: list[int] = []
    for index in range(len(history) - 1, -1, -1):
        if not needed:
            break
        cell = history[index]
        if not cell.success:
            continue
        reads, writes, parsed = _needs(cell.source)
        if not follow_rng:
            reads, writes = reads - {RNG}, writes - {RNG}
        mutated = _method_call_targets(cell.source) & needed
        if not parsed or writes & needed or mutated:
            kept.append(index)
            needed -= writes
            needed |= reads
    return sorted(kept), needed


def unresolved_files(history: Sequence[HistoryCell], kept: Sequence[int], target: str) -> list[str]:
    """Files the kept cells and ``target`` read that no kept cell writes (they must exist on disk)."""
    needed = {name for name in _needs(target)[0] if file_name(name)}
    for index in sorted(kept, reverse=True):
        reads, writes, _ = _needs(history[index].source)
        needed -= writes
        needed |= {name for name in reads if file_name(name)}
    return sorted(str(file_name(name)) for name in needed)


_SHELL_NAMES = frozenset({"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___"})


def unresolved_names(history: Sequence[HistoryCell], kept: Sequence[int], target: str) -> list[str]:
    """Names ``target`` (through the ``kept`` cells) needs that no kept cell defines, sorted.

    They were defined outside the recorded history (before ``%load_ext mlm_jupyter``, in another
    session, or by a failed cell), so a gathered notebook without them cannot run top to bottom.
    Builtins and the names IPython itself provides are not counted.
    """
    needed = set(analyze(target).reads)
    for index in sorted(kept, reverse=True):
        names = analyze(history[index].source)
        needed -= names.writes
        needed |= names.reads
    return sorted(name for name in needed if not hasattr(builtins, name) and name not in _SHELL_NAMES)
