"""The ``mlm`` command line: one click group; each area adds its sub-commands here."""

from __future__ import annotations

import click

from mlm_jupyter.cli.cells import cells
from mlm_jupyter.cli.demo import demo
from mlm_jupyter.cli.models import models
from mlm_jupyter.cli.monitor import monitor
from mlm_jupyter.cli.reproduce import reproduce
from mlm_jupyter.cli.export import export
from mlm_jupyter.cli.mlflow_import import import_
from mlm_jupyter.cli.runs import experiments, runs, sql
from mlm_jupyter.cli.scan import scan
from mlm_jupyter.cli.serve import serve

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="MLM_STORE", type=click.Path(file_okay=False),
              help="Store directory (default: MLM_STORE, else the nearest .mlm/ upward, else ./.mlm/).")
@click.version_option(package_name="mlm-jupyter")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """mlm-jupyter: runs, data, models and checks from the command line."""
    ctx.ensure_object(dict)
    ctx.obj["store"] = store


cli.add_command(experiments)
cli.add_command(runs)
cli.add_command(sql)
cli.add_command(demo)
cli.add_command(cells)
cli.add_command(models)
cli.add_command(export)
cli.add_command(import_)
cli.add_command(monitor)
cli.add_command(reproduce)
cli.add_command(serve)
cli.add_command(scan)


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
