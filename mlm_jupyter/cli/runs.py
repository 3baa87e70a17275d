"""``mlm experiments``, ``mlm runs`` and ``mlm sql``."""

from __future__ import annotations

from typing import Any

import click

from mlm_jupyter.cli.output import client_from, echo_frame, echo_json, echo_rows, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["experiments", "runs", "sql"]


@click.group()
def experiments() -> None:
    """List experiments."""


@experiments.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def experiments_ls(ctx: click.Context, as_json: bool) -> None:
    """Every experiment with its run count."""
    import pandas as pd

    try:
        found = client_from(ctx).experiments()
    except MlmError as error:
        fail(error)
    frame = pd.DataFrame([{"name": e.name, "runs": e.runs, "created": e.created_at, "last_run": e.last_run,
                           "id": e.id} for e in found], columns=["name", "runs", "created", "last_run", "id"])
    echo_frame(frame, as_json)


@click.group()
def runs() -> None:
    """List and inspect runs."""


@runs.command("ls")
@click.option("--filter", "-f", "filter_", default=None, help="Run search language, e.g. \"metrics.acc > 0.9\".")
@click.option("--experiment", "-e", default=None, help="Only runs of this experiment.")
@click.option("--order-by", "-o", multiple=True, help="e.g. \"metrics.acc desc\" (repeatable).")
@click.option("--limit", "-n", default=50, show_default=True, help="At most this many runs.")
@click.option("--all-columns", is_flag=True, help="Show every param, metric and tag column.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_ls(ctx: click.Context, filter_: str | None, experiment: str | None, order_by: tuple[str, ...],
            limit: int, all_columns: bool, as_json: bool) -> None:
    """Runs matching a filter, newest first."""
    experiments = [experiment] if experiment else None
    try:
        found = _quick_runs(ctx, filter_, experiments, list(order_by), int(limit))
        if found is None:  # straight from the store's Arrow page: no pandas either
            from mlm_jupyter.cli.run_rows import run_rows

            client = client_from(ctx)
            client.flush()
            page = client.store.read("search_runs", filter=filter_, experiments=experiments,
                                     order_by=list(order_by), max_results=int(limit), offset=0, detail=False)
            found = run_rows(page)
    except MlmError as error:
        fail(error)
        return
    columns, rows = found
    if not as_json and not all_columns:
        fixed = ["run_id", "experiment", "name", "status", "start_time"]
        params = [c for c in columns if c.startswith("params.")][:3]
        metrics = [c for c in columns if c.startswith("metrics.")][:4]
        keep = fixed + params + metrics
        rows = [{c: row.get(c) for c in keep} for row in rows]
        columns = keep
    echo_rows(columns, rows, as_json)


def _quick_runs(ctx: click.Context, filter_: str | None, experiments: list[str] | None, order_by: list[str],
                limit: int) -> tuple[list[str], list[dict[str, Any]]] | None:
    """The page from a read-only look at a local store, or ``None`` when the ordinary open is needed."""
    import os

    explicit = (ctx.obj or {}).get("store")
    if explicit is None and not os.environ.get("MLM_STORE") and os.environ.get("MLM_SERVER_URL"):
        return None  # a team's server: the ordinary client talks to it
    from mlm_jupyter.store.location import resolve_store_dir
    from mlm_jupyter.store.quick_read import quick_runs

    return quick_runs(resolve_store_dir(explicit), filter_, experiments, order_by, limit)


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_show(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Everything stored about one run."""
    try:
        run = client_from(ctx).get_run(run_id)
    except MlmError as error:
        fail(error)
    record = {
        "id": run.id, "name": run.name, "experiment": run.experiment, "status": run.status,
        "status_reason": run.status_reason, "start_time": run.start_time, "end_time": run.end_time,
        "user": run.user, "source": run.source, "parent_run_id": run.parent_run_id,
        "params": dict(run.params), "metrics": {k: (v if v == v and abs(v) != float("inf") else str(v))
                                                for k, v in run.metrics.items()},
        "tags": dict(run.tags), "artifacts": [{"path": a.path, "sha256": a.sha256, "size": a.size}
                                              for a in run.artifacts],
        "inputs": [{"name": i.name, "role": i.role, "digest": getattr(i.fingerprint, "digest", None)}
                   for i in run.inputs],
        "outputs": [{"name": o.name, "role": o.role, "digest": getattr(o.fingerprint, "digest", None)}
                    for o in getattr(run, "outputs", ())],
        "provenance": dict(run.provenance), "staleness": list(run.staleness),
    }
    if as_json:
        echo_json(record)
        return
    for key in ("id", "name", "experiment", "status", "status_reason", "start_time", "end_time", "user",
                "source", "parent_run_id"):
        if record[key] is not None:
            click.echo(f"{key:>14}: {record[key]}")
    for section in ("params", "metrics", "tags"):
        if record[section]:
            click.echo(f"\n{section}:")
            for key, value in record[section].items():
                click.echo(f"  {key} = {value}")
    for section in ("artifacts", "inputs", "outputs"):
        if record[section]:
            click.echo(f"\n{section}:")
            for item in record[section]:
                click.echo("  " + "  ".join(f"{k}={v}" for k, v in item.items()))
    if record["staleness"]:
        click.echo("\nnot reproducible top to bottom:")
        for reason in record["staleness"]:
            click.echo(f"  - {reason}")


@click.command()
@click.argument("statement")
@click.option("--limit", "-n", default=1000, show_default=True, help="At most this many rows.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sql(ctx: click.Context, statement: str, limit: int, as_json: bool) -> None:
    """Run one read-only SQL statement on the store."""
    try:
        frame = client_from(ctx).sql(statement, max_rows=limit)
    except MlmError as error:
        fail(error)
    echo_frame(frame, as_json)


@runs.command("gather")
@click.argument("run_id")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Notebook to write (default: gathered-<run id prefix>.ipynb).")
@click.pass_context
def runs_gather(ctx: click.Context, run_id: str, output: str | None) -> None:
    """Write the minimal notebook that reproduces a tracked run."""
    from mlm_jupyter.tracking.gather import gather

    target = output or f"gathered-{run_id[:8]}.ipynb"
    try:
        notebook = gather(run_id, target, client=client_from(ctx))
    except MlmError as error:
        fail(error)
    code_cells = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    click.echo(f"wrote {target} ({code_cells} code cells)")
    missing = notebook.metadata.get("mlm", {}).get("unresolved_names") or []
    if missing:
        click.echo(f"note: no recorded cell defines {', '.join(missing)} (set before %load_ext mlm_jupyter "
                   "or in another session); add the cells that define them", err=True)
