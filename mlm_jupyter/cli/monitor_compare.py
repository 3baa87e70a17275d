"""``mlm monitor compare A B``: two observed versions (a served model and its shadow) on the same rows."""

from __future__ import annotations

import click

from mlm_jupyter.cli.output import client_from, echo_json, fail
from mlm_jupyter.core.errors import MlmError

METRICS = ("accuracy", "mae", "mse")  # core.paired_comparison.METRICS, which imports numpy: `mlm --help` must not

__all__ = ["monitor_compare"]


@click.command("compare")
@click.argument("first")
@click.argument("second")
@click.option("--metric", type=click.Choice(METRICS), help="Metric for labelled rows (default: accuracy for class "
                                                          "labels, mae for continuous ones).")
@click.option("--confidence", default=0.95, show_default=True, type=float, help="Level of the intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def monitor_compare(ctx: click.Context, first: str, second: str, metric: str | None, confidence: float,
                    as_json: bool) -> None:
    """Compare FIRST and SECOND (e.g. churn@production churn@challenger) on the rows both scored.

    Prints their agreement and, once labels arrived (Monitor.log_labels), the paired difference
    of the metric (FIRST - SECOND) with its confidence interval.
    """
    from mlm_jupyter.store.location import resolve_store_dir
    from mlm_jupyter.tracking.monitor_comparison import compare_monitored

    try:
        client = client_from(ctx)
        try:
            result = compare_monitored(client, first, second, store_dir=resolve_store_dir((ctx.obj or {}).get("store")),
                                       metric=metric, confidence=confidence)
        finally:
            client.close()
    except MlmError as error:
        fail(error)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(result.describe())
