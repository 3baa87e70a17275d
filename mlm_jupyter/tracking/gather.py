"""``gather(run_id)``: a minimal notebook that reproduces a tracked run.

The kernel capture stores, for every ``%%track`` run, the ordered session
history of the cells executed before it. ``gather`` keeps only the cells the
run's cell depends on (see ``core.gather``) and writes them, in execution
order, followed by the tracked cell itself, into a new notebook.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.core.gather import HistoryCell, slice_history, unresolved_names

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["gather"]


def gather(run_id: str, path: str | os.PathLike[str] | None = None, *, client: MlmClient | None = None) -> Any:
    """Build (and optionally write to ``path``) the minimal notebook that reproduces ``run_id``.

    Returns an ``nbformat`` notebook. Raises ``NotFoundError`` when the run was
    not made by a tracked cell (there is no history to gather from).
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    run = client.get_run(run_id)
    cell = dict(run.cell or {})
    if not cell.get("source"):
        raise NotFoundError(
            f"run {run_id} was not made by a %%track cell, so there is no cell history to gather from. "
            "Load the extension (%load_ext mlm_jupyter) and track the cell with %%track.", run_id=run_id)
    order = list(cell.get("history") or [])
    records = {}
    if order and cell.get("session_id"):
        table = client.store.read("cell_history", session=cell["session_id"])
        records = {row["record_id"]: row for row in table.to_pylist()}
    history = [records[rid] for rid in order if rid in records]
    cells = [HistoryCell(r["source"] or "", bool(r["success"]), r["execution_count"]) for r in history]
    kept = slice_history(cells, cell["source"])
    when = run.start_time.isoformat(timespec="seconds") if run.start_time else "?"
    header = (f"# Gathered from run `{run.name}` ({run.id})\n\n"
              f"Experiment `{run.experiment}`, status `{run.status}`, started {when}. "
              f"{len(kept)} of the {len(cells)} cells executed before it were needed; they are listed in the "
              "order they ran, followed by the tracked cell.")
    missing = unresolved_names(cells, kept, cell["source"])
    if missing:
        header += ("\n\nNo recorded cell defines " + ", ".join(f"`{name}`" for name in missing)
                   + " (they were set before `%load_ext mlm_jupyter` or in another session): add the cells "
                   "that define them above the first cell.")
    if run.staleness:
        header += "\n\nThe run was flagged as not reproducible top to bottom:\n" + "\n".join(
            f"- {reason}" for reason in run.staleness)
    notebook = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "mlm": {"gathered_from": run.id, "notebook": cell.get("notebook"), "unresolved_names": missing}})
    notebook.cells.append(new_markdown_cell(header))
    for index in kept:
        notebook.cells.append(new_code_cell(cells[index].source))
    notebook.cells.append(new_code_cell(cell["source"]))
    if path is not None:
        nbformat.write(notebook, Path(path))
    return notebook
