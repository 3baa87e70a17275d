"""``mlm cells ls|show``: the cell records kernels captured (every cell execution)."""

from __future__ import annotations

import click

from mlm_jupyter.cli.output import client_from, echo_frame, echo_json, fail
from mlm_jupyter.core.errors import MlmError, NotFoundError

__all__ = ["cells"]


@click.group()
def cells() -> None:
    """Cell executions recorded by the kernel extension (%load_ext mlm_jupyter)."""


@cells.command("ls")
@click.option("--notebook", default=None, help="Only cells of this notebook path.")
@click.option("--session", default=None, help="Only cells of this kernel session id.")
@click.option("--limit", default=50, show_default=True, help="Show the last N cells.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def cells_ls(ctx: click.Context, notebook: str | None, session: str | None, limit: int, as_json: bool) -> None:
    """Cell records in execution order: count, time, outcome, first source line, run made."""
    try:
        frame = client_from(ctx).cell_history(notebook=notebook, session=session)
    except MlmError as error:
        fail(error)
    frame = frame.tail(limit).copy()
    frame["first_line"] = frame["source"].map(lambda s: (s.strip().splitlines() or [""])[0])
    keep = ["record_id", "execution_count", "start_time", "duration", "success", "error_type", "first_line",
            "run_id"] + (["notebook"] if notebook is None else [])
    echo_frame(frame[keep], as_json)


@cells.command("show")
@click.argument("record_id")
@click.pass_context
def cells_show(ctx: click.Context, record_id: str) -> None:
    """One cell record with its full source and the data fingerprints it read and wrote."""
    try:
        client = client_from(ctx)
        frame = client.cell_history()
        rows = frame[frame["record_id"] == record_id]
        if rows.empty:
            raise NotFoundError(f"no cell record {record_id!r}; list them with `mlm cells ls`")
        record = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in rows.iloc[0].items()}
        record["start_time"] = str(record["start_time"])
        record["data"] = client.cell_data(record_id)
    except MlmError as error:
        fail(error)
    echo_json(record)
