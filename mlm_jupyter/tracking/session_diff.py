"""``session_diff(run_a, run_b)``: the cells two tracked runs' sessions executed, diffed cell by cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.gather import HistoryCell, slice_history
from mlm_jupyter.core.session_diff import SessionCell, diff_sessions, latest_executions

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["SCOPES", "session_cells", "session_diff"]


SCOPES = ("dependencies", "session")


def session_cells(client: MlmClient, run_id: str, scope: str = "dependencies") -> list[SessionCell]:
    """The cells behind ``run_id``'s tracked cell, each as it last ran, then the tracked cell itself.

    ``scope="dependencies"`` keeps the cells the run depends on (what ``mlm.gather`` keeps);
    ``scope="session"`` every cell its kernel session ran before it. A run not made by a ``%%track``
    cell has no session: an empty list.
    """
    if scope not in SCOPES:
        raise InvalidInputError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    run = client.get_run(run_id)
    cell = dict(run.cell or {})
    if not cell.get("source"):
        return []
    from mlm_jupyter.tracking.gather import session_history

    history = session_history(client, cell)
    if scope == "dependencies":
        kept = slice_history([HistoryCell(r["source"] or "", bool(r["success"]), r["execution_count"])
                              for r in history], str(cell["source"]))
        history = [history[i] for i in kept]
    cells = [SessionCell(r["source"] or "", r.get("cell_id"), r.get("execution_count")) for r in history]
    cells.append(SessionCell(str(cell["source"]), cell.get("cell_id"), cell.get("execution_count")))
    return latest_executions(cells)


def session_diff(run_a: str, run_b: str, *, include_same: bool = False, scope: str = "dependencies",
                 client: MlmClient | None = None) -> dict[str, Any]:
    """Added, removed and changed cells between the code behind two tracked runs, in execution order.

    Args:
        run_a, run_b: two runs made by ``%%track`` cells (``run_a`` is the baseline).
        include_same: also list the cells that did not change.
        scope: ``"dependencies"`` (the cells each run depends on, as ``mlm.gather`` keeps them) or
            ``"session"`` (every cell each kernel session ran before the run).
        client: the client to read through (default: the fluent API's).

    Returns ``{"a": run_a, "b": run_b, "scope", "cells": [...], "counts": {"added", "removed", "changed"}}``;
    each cell row is ``{"change", "cell_id", "a", "b", "diff"}`` (see ``core.session_diff.diff_sessions``).
    """
    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    rows = diff_sessions(session_cells(client, run_a, scope), session_cells(client, run_b, scope),
                         include_same=include_same)
    counts = {kind: sum(1 for row in rows if row["change"] == kind) for kind in ("added", "removed", "changed")}
    return {"a": run_a, "b": run_b, "scope": scope, "cells": rows, "counts": counts}
