"""``mlm import --from URI``: an MLflow tracking store's runs and registry into this store."""

from __future__ import annotations

import click

from mlm_jupyter.cli.export import echo_report
from mlm_jupyter.cli.output import client_from, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["import_"]


@click.command("import")
@click.option("--from", "uri", required=True,
              help="MLflow tracking URI: a directory (mlruns), sqlite:///FILE or a server's http(s) URL.")
@click.option("--trust-pickle", is_flag=True,
              help="Convert registered models in MLflow's own (pickle) format; loading them runs code from the files.")
@click.option("--json", "as_json", is_flag=True, help="Print what was read as JSON.")
@click.pass_context
def import_(ctx: click.Context, uri: str, trust_pickle: bool, as_json: bool) -> None:
    """Read an MLflow store's experiments, runs, metrics, artifacts and registry into this store."""
    from mlm_jupyter.tracking.mlflow_import import import_from_mlflow

    client = client_from(ctx)
    try:
        report = import_from_mlflow(client, uri, trust_pickle=trust_pickle)
    except MlmError as error:
        fail(error)
    finally:
        client.flush()
    echo_report(report, as_json, f"imported from {uri}")
