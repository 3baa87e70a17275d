"""The ``mlm`` command line: one click group; each area adds its sub-commands here."""

from __future__ import annotations

import click

from mlm_jupyter.cli.lazy_group import LazyGroup

__all__ = ["cli", "main"]


# name -> ("module:command", the command's one-line help): imported only when that command runs
_COMMANDS: dict[str, tuple[str, str]] = {
    "experiments": ("mlm_jupyter.cli.runs:experiments", "List experiments."),
    "runs": ("mlm_jupyter.cli.runs:runs", "List and inspect runs."),
    "sql": ("mlm_jupyter.cli.runs:sql", "Run one read-only SQL statement on the store."),
    "demo": ("mlm_jupyter.cli.demo:demo",
             "Execute notebooks/NAME.ipynb headless (quickstart, or monitoring: train, promote, watch a stream "
             "drift), then list the runs it tracked."),
    "cells": ("mlm_jupyter.cli.cells:cells",
              "Cell executions recorded by the kernel extension (%load_ext mlm_jupyter)."),
    "models": ("mlm_jupyter.cli.models:models", "Registered models: versions, aliases, promotion and history."),
    "export": ("mlm_jupyter.cli.export:export",
               "Write the store out: Parquet tables (default) or an MLflow tracking store."),
    "import": ("mlm_jupyter.cli.mlflow_import:import_",
               "Read an MLflow store's experiments, runs, metrics, artifacts and registry into this store."),
    "monitor": ("mlm_jupyter.cli.monitor:monitor", "Observed models: drift and skew verdicts, monitored versions, "
                "thresholds, how two versions compare."),
    "reproduce": ("mlm_jupyter.cli.reproduce:reproduce",
                  "Re-run RUN_ID's gathered notebook in a fresh kernel; exit 1 unless it reproduced."),
    "serve": ("mlm_jupyter.cli.serve:serve", "Serve URI (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/model "
              "or an exported folder)."),
    "scan": ("mlm_jupyter.cli.scan:scan", "Scan MODEL (models:/NAME/VERSION, models:/NAME@ALIAS or runs:/ID/model) "
             "on --data; exit 1 on a failing finding."),
}


@click.group(cls=LazyGroup, lazy_commands=_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="MLM_STORE", type=click.Path(file_okay=False),
              help="Store directory (default: MLM_STORE, else the nearest .mlm/ upward, else ./.mlm/).")
@click.version_option(package_name="mlm-jupyter")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """mlm-jupyter: runs, data, models and checks from the command line."""
    ctx.ensure_object(dict)
    ctx.obj["store"] = store




def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
