"""``mlm reproduce RUN``: re-run a tracked run's gathered notebook in a fresh kernel and print the verdict."""

from __future__ import annotations

import click

from mlm_jupyter.cli.output import client_from, echo_json, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["reproduce"]


@click.command("reproduce")
@click.argument("run_id")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
              help="Seconds each cell may take.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Relative tolerance for metrics (0: exact).")
@click.option("--keep", type=click.Path(file_okay=False), default=None,
              help="Keep the gathered and executed notebooks in this folder.")
@click.option("--no-record", is_flag=True, help="Do not record a reproduction run in the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.pass_context
def reproduce(ctx: click.Context, run_id: str, timeout: float, tolerance: float, keep: str | None,
              no_record: bool, as_json: bool) -> None:
    """Re-run RUN_ID's gathered notebook in a fresh kernel; exit 1 unless it reproduced.

    RUN_ID is a run made by a %%track cell, or a models:/NAME/VERSION or models:/NAME@ALIAS URI.
    """
    from mlm_jupyter.tracking.reproduce import reproduce as run_reproduction

    client = client_from(ctx)
    try:
        result = run_reproduction(run_id, timeout=timeout, tolerance=tolerance, client=client,
                                  record=not no_record, keep=keep)
    except MlmError as error:
        fail(error)
    finally:
        client.close()
    if as_json:
        echo_json(result.to_dict())
    else:
        colour = {"reproduced": "green", "differs": "yellow", "failed": "red"}[result.verdict]
        lines = result.summary().splitlines()
        click.secho(lines[0], fg=colour, bold=True)
        for line in lines[1:]:
            click.echo(f"  {line}")
    raise SystemExit(0 if result.reproduced else 1)
