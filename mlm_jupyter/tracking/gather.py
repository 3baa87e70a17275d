"""``gather(run_id | models:/ uri)``: a notebook that reproduces a tracked run, top to bottom, in a fresh kernel.

The kernel capture stores, for every ``%%track`` run, the ordered session
history of the cells executed before it, with the source each one ran. The
gathered notebook is:

1. a markdown header: where it comes from, what was kept, and everything it
   cannot reproduce (names defined before ``%load_ext``, network reads, files
   that changed since the run, unseeded randomness);
2. ``%load_ext mlm_jupyter``, so the ``%%track`` cell below records a new run
   when the notebook is executed (the choice is stated in the header);
3. every cell the run depends on (``core.gather``: names, in-place mutations,
   files read, global RNG seeds and draws), in the order they ran, each with
   a one-line markdown note saying which execution it was and whether the
   notebook still holds that source (unchanged, edited, deleted, never saved);
4. the tracked cell itself, as it ran.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.cell_effects import effects
from mlm_jupyter.core.errors import MlmError, NotFoundError
from mlm_jupyter.core.gather import HistoryCell, slice_history, unresolved_files, unresolved_names

if TYPE_CHECKING:
    from mlm_jupyter.core.entities import Run
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["FILE_INPUT_PREFIX", "GatherPlan", "KeptCell", "gather", "plan_gather", "session_history", "tracked_run"]

FILE_INPUT_PREFIX = "file:"
"""Run inputs named ``file:<path>`` are fingerprints of files the run's cells read (recorded by ``%%track``)."""

LOAD_EXTENSION = "%load_ext mlm_jupyter"


@dataclass(frozen=True)
class KeptCell:
    """One cell the run depends on, with how its recorded source relates to the notebook now."""

    source: str
    execution_count: int | None
    cell_id: str | None
    state: str  # unchanged | edited | deleted | unsaved | unknown

    def note(self) -> str:
        """The markdown note written above the cell in the gathered notebook."""
        where = f"execution [{self.execution_count}]" if self.execution_count is not None else "an execution"
        what = {
            "unchanged": "the notebook holds the same source",
            "edited": "**edited since**: the notebook now holds another version of this cell; this is the "
                      "source that ran",
            "deleted": "**deleted since**: the notebook no longer holds this cell; this is the recorded source",
            "unsaved": "the cell was not in the saved notebook when the run was made; this is the recorded source",
            "unknown": "the notebook could not be read to compare; this is the recorded source",
        }[self.state]
        return f"*From {where}: {what}.*"


@dataclass(frozen=True)
class GatherPlan:
    """Everything ``gather`` decided, for ``reproduce`` to reuse and explain differences with."""

    run: Run
    cells: tuple[KeptCell, ...]
    target: str
    executed: int
    unresolved_names: tuple[str, ...] = ()
    missing_files: tuple[str, ...] = ()
    changed_files: tuple[str, ...] = ()
    network: tuple[str, ...] = ()
    clock: tuple[str, ...] = ()
    unseeded_estimators: tuple[str, ...] = ()
    unseeded_rng: bool = False
    notebook: str | None = None
    workdir: str | None = None
    cannot_reproduce: tuple[str, ...] = field(default=())

    @property
    def sources(self) -> list[str]:
        return [cell.source for cell in self.cells] + [self.target]


def tracked_run(client: MlmClient, run_or_uri: str) -> Run:
    """The run made by a ``%%track`` cell behind ``run_or_uri`` (a run id, or a ``models:/``/``runs:/`` URI).

    A model logged by a child run (``start_run`` inside ``%%track``) leads to the parent's tracked cell.
    """
    text = str(run_or_uri)
    if text.startswith(("models:/", "runs:/")):
        from mlm_jupyter.core.model_entities import parse_model_uri

        parsed = parse_model_uri(text)
        if parsed.kind == "runs":
            run_id = str(parsed.run_id)
        else:
            version = client.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
            if not version.run_id:
                raise NotFoundError(f"{text} was registered from a file, not a run, so there is no notebook to "
                                    "gather it from", uri=text)
            run_id = str(version.run_id)
    else:
        run_id = text
    run = client.get_run(run_id)
    seen = {run.id}
    while not (run.cell or {}).get("source") and run.parent_run_id and run.parent_run_id not in seen:
        run = client.get_run(run.parent_run_id)
        seen.add(run.id)
    if not (run.cell or {}).get("source"):
        raise NotFoundError(
            f"run {run_id} was not made by a %%track cell, so there is no cell history to gather from. "
            "Load the extension (%load_ext mlm_jupyter) and track the cell with %%track.", run_id=run_id)
    return run


def session_history(client: MlmClient, cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The cell records its session ran before a tracked cell (``run.cell``), in execution order."""
    order = list(cell.get("history") or [])
    records: dict[str, dict[str, Any]] = {}
    if order and cell.get("session_id"):
        table = client.store.read("cell_history", session=cell["session_id"])
        records = {row["record_id"]: row for row in table.to_pylist()}
    return [records[rid] for rid in order if rid in records]


def plan_gather(client: MlmClient, run_or_uri: str) -> GatherPlan:
    """Decide which cells reproduce the run and what cannot be reproduced, without writing anything."""
    run = tracked_run(client, run_or_uri)
    cell = dict(run.cell or {})
    history = session_history(client, cell)
    cells = [HistoryCell(r["source"] or "", bool(r["success"]), r["execution_count"]) for r in history]
    target = str(cell["source"])
    kept = slice_history(cells, target)
    notebook_cells = _notebook_cells(client, cell)
    kept_cells = tuple(
        KeptCell(cells[i].source, cells[i].execution_count, history[i].get("cell_id"),
                 _state(cells[i].source, history[i].get("cell_id"), notebook_cells)) for i in kept)
    sources = [c.source for c in kept_cells] + [target]
    found = [effects(source) for source in sources]
    workdir = _workdir(run, cell)
    missing, changed = _file_problems(run, unresolved_files(cells, kept, target), workdir)
    rng_draws = any(f.draws_rng for f in found)
    rng_seeded = any(f.seeds_rng for f in found)
    plan = GatherPlan(
        run=run, cells=kept_cells, target=target, executed=len(cells),
        unresolved_names=tuple(unresolved_names(cells, kept, target)), missing_files=tuple(missing),
        changed_files=tuple(changed), network=tuple(dict.fromkeys(n for f in found for n in f.network)),
        clock=tuple(dict.fromkeys(c for f in found for c in f.clock)),
        unseeded_estimators=tuple(dict.fromkeys(e for f in found for e in f.unseeded_estimators)),
        unseeded_rng=rng_draws and not rng_seeded, notebook=cell.get("notebook"), workdir=workdir)
    return _with_reasons(plan)


def _with_reasons(plan: GatherPlan) -> GatherPlan:
    reasons = []
    if plan.unresolved_names:
        reasons.append("no recorded cell defines " + ", ".join(f"`{n}`" for n in plan.unresolved_names)
                       + " (set before `%load_ext mlm_jupyter`, in another session, or by a failed cell): add the "
                       "cells that define them above the first cell")
    for path in plan.missing_files:
        reasons.append(f"file `{path}` is read but no longer exists")
    for path in plan.changed_files:
        reasons.append(f"file `{path}` changed since the run (its fingerprint differs from the recorded one)")
    if plan.network:
        reasons.append("reads from the network (" + ", ".join(f"`{n}`" for n in plan.network)
                       + "): the data served may have changed")
    if plan.unseeded_estimators:
        reasons.append("random without a seed: " + ", ".join(f"`{e}`" for e in plan.unseeded_estimators)
                       + " given no `random_state` (pass `random_state=0` to make it repeatable)")
    if plan.unseeded_rng and not plan.unseeded_estimators:
        reasons.append("draws from the global random stream (`random` / `numpy.random`) that no kept cell seeds")
    if plan.clock:
        reasons.append("reads the clock or timings (" + ", ".join(f"`{c}`" for c in plan.clock)
                       + "): results that depend on them vary between runs")
    from dataclasses import replace

    return replace(plan, cannot_reproduce=tuple(reasons))


def gather(run_id: str, path: str | os.PathLike[str] | None = None, *, client: MlmClient | None = None) -> Any:
    """Build (and optionally write to ``path``) the notebook that reproduces ``run_id`` in a fresh kernel.

    Args:
        run_id: a run id, or a ``models:/NAME/VERSION`` / ``models:/NAME@ALIAS`` / ``runs:/`` URI whose run
            was made by a ``%%track`` cell.
        path: where to write the notebook (``.ipynb``); nothing is written when None.
        client: the client to read the store through (default: the fluent API's).

    Returns:
        The ``nbformat`` notebook. Raises ``NotFoundError`` when no ``%%track`` cell made the run.
    """
    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    plan = plan_gather(client, run_id)
    notebook = notebook_from_plan(plan)
    if path is not None:
        import nbformat

        nbformat.write(notebook, Path(path))
    return notebook


def notebook_from_plan(plan: GatherPlan) -> Any:
    """The gathered notebook for ``plan`` (see the module docstring for its layout)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    run = plan.run
    when = run.start_time.isoformat(timespec="seconds") if run.start_time else "?"
    header = (f"# Gathered from run `{run.name}` ({run.id})\n\n"
              f"Experiment `{run.experiment}`, status `{run.status}`, started {when}. "
              f"{len(plan.cells)} of the {plan.executed} cells executed before it were needed (names they define, "
              "objects they change, files they write, random seeds and draws); they are listed in the order they "
              "ran, followed by the tracked cell.\n\n"
              f"The first code cell loads the extension (`{LOAD_EXTENSION}`), so the `%%track` cell records a new "
              "run when this notebook is executed: compare it with the original, or run "
              f"`mlm reproduce {run.id}`.")
    if plan.cannot_reproduce:
        header += "\n\n**What this notebook cannot reproduce:**\n" + "\n".join(
            f"- {reason}" for reason in plan.cannot_reproduce)
    if run.staleness:
        header += "\n\nThe run was flagged as not reproducible top to bottom:\n" + "\n".join(
            f"- {reason}" for reason in run.staleness)
    notebook = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "mlm": {"gathered_from": run.id, "notebook": plan.notebook,
                "unresolved_names": list(plan.unresolved_names), "cannot_reproduce": list(plan.cannot_reproduce),
                "kept": [{"execution_count": c.execution_count, "cell_id": c.cell_id, "state": c.state}
                         for c in plan.cells]}})
    notebook.cells.append(new_markdown_cell(header))
    notebook.cells.append(new_code_cell(LOAD_EXTENSION))
    for kept in plan.cells:
        notebook.cells.append(new_markdown_cell(kept.note()))
        notebook.cells.append(new_code_cell(kept.source))
    notebook.cells.append(new_markdown_cell("*The tracked cell, as it ran.*"))
    notebook.cells.append(new_code_cell(plan.target))
    return notebook


# ------------------------------------------------------------------ notebook and files as they are now

def _notebook_cells(client: MlmClient, cell: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The notebook's code cells (id, source): the file as it is now, else the run's snapshot."""
    path = cell.get("notebook")
    candidates = [Path(path)] if path else []
    for candidate in candidates:
        try:
            if candidate.is_file() and not candidate.is_symlink():
                return _code_cells(json.loads(candidate.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    if cell.get("notebook_sha256"):
        try:
            return _code_cells(json.loads(client.store.read_blob(cell["notebook_sha256"])))
        except (MlmError, OSError, ValueError):
            return None
    return None


def _code_cells(document: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for item in document.get("cells") or []:
        if item.get("cell_type") != "code":
            continue
        source = item.get("source") or ""
        cells.append({"id": item.get("id"), "source": "".join(source) if isinstance(source, list) else source})
    return cells


def _state(source: str, cell_id: str | None, notebook: list[dict[str, Any]] | None) -> str:
    if notebook is None:
        return "unknown"
    if cell_id:
        for item in notebook:
            if item["id"] == cell_id:
                return "unchanged" if item["source"].strip() == source.strip() else "edited"
        return "deleted" if notebook else "unsaved"
    if any(item["source"].strip() == source.strip() for item in notebook):
        return "unchanged"
    return "deleted" if notebook else "unsaved"


def _workdir(run: Run, cell: dict[str, Any]) -> str | None:
    """The folder the notebook's kernel ran in (relative file paths are read from there)."""
    workdir = (run.tags or {}).get("mlm.workdir")
    if workdir and Path(workdir).is_dir():
        return str(workdir)
    notebook = cell.get("notebook")
    if notebook and Path(notebook).is_absolute() and Path(notebook).parent.is_dir():
        return str(Path(notebook).parent)
    return None


def _file_problems(run: Run, paths: list[str], workdir: str | None) -> tuple[list[str], list[str]]:
    """(missing, changed) among the files the kept cells read, against the fingerprints ``%%track`` recorded."""
    from mlm_jupyter.core.fingerprint import fingerprint

    recorded = {}
    for item in run.inputs:
        name = str(getattr(item, "name", ""))
        if name.startswith(FILE_INPUT_PREFIX):
            recorded[name[len(FILE_INPUT_PREFIX):]] = str(getattr(item.fingerprint, "digest", ""))
    missing, changed = [], []
    for path in paths:
        where = Path(path) if Path(path).is_absolute() or workdir is None else Path(workdir) / path
        if not where.exists():
            missing.append(path)
            continue
        if path in recorded:
            try:
                now = fingerprint(where, profile=False).digest
            except (MlmError, OSError, ValueError):
                continue
            if now != recorded[path]:
                changed.append(path)
    return missing, changed
