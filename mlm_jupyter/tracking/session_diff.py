"""``session_diff(run_a, run_b)``: the cells two tracked runs' sessions executed, diffed cell by cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.session_diff import SessionCell, diff_sessions

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["session_cells", "session_diff"]


def session_cells(client: MlmClient, run_id: str) -> list[SessionCell]:
    """The cells executed before ``run_id``'s tracked cell in its session, then the tracked cell itself.

    A run not made by a ``%%track`` cell has no session: an empty list.
    """
    run = client.get_run(run_id)
    cell = dict(run.cell or {})
    if not cell.get("source"):
        return []
    order = list(cell.get("history") or [])
    records: dict[str, dict[str, Any]] = {}
    if order and cell.get("session_id"):
        table = client.store.read("cell_history", session=cell["session_id"])
        records = {row["record_id"]: row for row in table.to_pylist()}
    cells = [SessionCell(records[rid]["source"] or "", records[rid].get("cell_id"),
                         records[rid].get("execution_count")) for rid in order if rid in records]
    cells.append(SessionCell(str(cell["source"]), cell.get("cell_id"), cell.get("execution_count")))
    return cells


def session_diff(run_a: str, run_b: str, *, include_same: bool = False,
                 client: MlmClient | None = None) -> dict[str, Any]:
    """Added, removed and changed cells between the sessions behind two tracked runs, in execution order.

    Returns ``{"a": run_a, "b": run_b, "cells": [...], "counts": {"added", "removed", "changed"}}``; each
    cell row is ``{"change", "cell_id", "a", "b", "diff"}`` (see ``core.session_diff.diff_sessions``).
    """
    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    rows = diff_sessions(session_cells(client, run_a), session_cells(client, run_b), include_same=include_same)
    counts = {kind: sum(1 for row in rows if row["change"] == kind) for kind in ("added", "removed", "changed")}
    return {"a": run_a, "b": run_b, "cells": rows, "counts": counts}
