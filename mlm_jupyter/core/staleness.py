"""The staleness verdict: is a tracked cell's session history reproducible from the notebook, top to bottom?

Pure: it takes the session history (cells in the order they ran, with the
names each read and wrote and where each sits in the notebook now) and the
notebook's cells (their names, in notebook order), and returns the reasons
the run may not be reproducible. An empty list means that running the
notebook top to bottom gives every name the run used (directly or through
the cells it depends on) its value from the same cell as in the session.

Rules, for each name a cell used, following dependencies back from the
tracked cell:

* the value came from a cell that is no longer in the notebook (deleted, or
  edited so that its source is not found);
* it came from a cell edited after it ran;
* it came from a cell below the consumer, from an earlier run of the same
  cell, or from a cell other than the one that defines it last above the
  consumer in the notebook (out-of-order execution, or a skipped cell).

Names no cell of the session wrote (builtins, injected names) are ignored,
and so are values from cells not saved to the notebook yet (they ran after
its last save: a new notebook, a new cell), which cannot be placed.
Without a known notebook nothing can be judged and the verdict is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ExecutedCell", "NotebookCell", "verdict"]


@dataclass(frozen=True)
class ExecutedCell:
    """One execution in the session.

    Attributes:
        label: how to name the execution to a user, e.g. ``"[7]"``.
        notebook_index: the position of its cell in the notebook now, ``None``
            when its source is not in the notebook.
        edited: its notebook cell was changed after it ran.
        reads, writes: names (see ``core.cell_names``).
        unsaved: it is not in the notebook because the notebook was last saved
            before it ran (a new cell, not a deleted one): nothing is judged
            about the values it wrote.
    """

    label: str
    notebook_index: int | None
    reads: frozenset[str]
    writes: frozenset[str]
    edited: bool = False
    unsaved: bool = False


@dataclass(frozen=True)
class NotebookCell:
    """A code cell of the notebook as it is now, with the names it writes."""

    writes: frozenset[str]


def _last_writer_above(notebook: Sequence[NotebookCell], name: str, index: int) -> int | None:
    for position in range(index - 1, -1, -1):
        if name in notebook[position].writes:
            return position
    return None


def verdict(history: Sequence[ExecutedCell], target: ExecutedCell,
            notebook: Sequence[NotebookCell] | None) -> list[str]:
    """Reasons the run made by ``target`` is not reproducible top to bottom (empty if it is).

    Args:
        history: executions before ``target`` in this session, oldest first.
        target: the tracked cell's execution.
        notebook: the notebook's code cells in order, or ``None`` when unknown.
    """
    if notebook is None:
        return []
    reasons: list[str] = []
    seen: set[tuple[int, str]] = set()
    pending: list[tuple[int, ExecutedCell, str]] = [(len(history), target, n) for n in sorted(target.reads)]
    while pending:
        position, consumer, name = pending.pop(0)
        if (position, name) in seen:
            continue
        seen.add((position, name))
        writer_position = next((p for p in range(position - 1, -1, -1) if name in history[p].writes), None)
        if writer_position is None:
            continue
        writer = history[writer_position]
        reason = _reason(notebook, consumer, writer, name)
        if reason and reason not in reasons:
            reasons.append(reason)
        pending.extend((writer_position, writer, n) for n in sorted(writer.reads))
    return reasons


def _reason(notebook: Sequence[NotebookCell], consumer: ExecutedCell, writer: ExecutedCell,
            name: str) -> str | None:
    if writer.notebook_index is None:
        if writer.unsaved:
            return None
        return (f"`{name}` comes from execution {writer.label}, a cell that is no longer in the notebook "
                "(deleted or edited since)")
    w = writer.notebook_index
    if writer.edited:
        return f"`{name}` comes from code cell {w + 1}, which was edited after it ran"
    if consumer.notebook_index is None:
        return None
    c = consumer.notebook_index
    expected = _last_writer_above(notebook, name, c)
    if expected == w:
        return None
    if w == c:
        return f"`{name}` in code cell {c + 1} comes from an earlier run of the same cell (re-run)"
    if w > c:
        return (f"`{name}` comes from code cell {w + 1}, which is below code cell {c + 1} in the notebook "
                "(ran out of order)")
    if expected is None:
        return None
    return (f"`{name}` in code cell {c + 1} comes from code cell {w + 1}, but top to bottom "
            f"code cell {expected + 1} redefines it first (a cell was skipped or ran out of order)")
