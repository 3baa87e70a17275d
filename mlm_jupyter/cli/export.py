"""``mlm export``: every table of the store as Parquet (for Spark, Trino, DuckDB, pandas), or the runs and
registry into an MLflow tracking store (``--format mlflow --to URI``)."""

from __future__ import annotations

from pathlib import Path

import click

from mlm_jupyter.cli.output import client_from, echo_json, fail
from mlm_jupyter.core.errors import InvalidInputError, MlmError

__all__ = ["export"]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["parquet", "mlflow"]), default="parquet", show_default=True,
              help="parquet: every table to DIRECTORY/<table>.parquet; mlflow: runs and registry to --to URI.")
@click.option("--to", "uri", help="MLflow tracking URI for --format mlflow: a directory, sqlite:///FILE or a "
                                  "server's http(s) URL.")
@click.option("--experiment", "experiments", multiple=True, help="Only these experiments (--format mlflow).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def export(ctx: click.Context, directory: str | None, fmt: str, uri: str | None, experiments: tuple[str, ...],
           as_json: bool) -> None:
    """Write the store out: Parquet tables (default) or an MLflow tracking store."""
    if fmt == "mlflow":
        _export_mlflow(ctx, uri or directory, list(experiments), as_json)
        return
    if directory is None:
        fail(InvalidInputError("mlm export DIRECTORY writes Parquet there; for MLflow use --format mlflow --to URI"))
    _export_parquet(ctx, str(directory), as_json)


def _export_mlflow(ctx: click.Context, uri: str | None, experiments: list[str], as_json: bool) -> None:
    from mlm_jupyter.tracking.mlflow_export import export_to_mlflow

    if not uri:
        fail(InvalidInputError("--format mlflow needs --to URI (a directory, sqlite:///mlflow.db or http://host:5000)"))
    client = client_from(ctx)
    try:
        report = export_to_mlflow(client, str(uri), experiments=experiments or None)
    except MlmError as error:
        fail(error)
    echo_report(report, as_json, f"exported to {uri}")


def echo_report(report: object, as_json: bool, headline: str) -> None:
    """Print a transfer report: counts, then what was not carried over."""
    data = report.to_dict()  # type: ignore[attr-defined]
    if as_json:
        echo_json(data)
        return
    counts = ", ".join(f"{data[k]:,} {k.replace('_', ' ')}" for k in
                       ("experiments", "runs", "params", "metric_points", "tags", "artifacts", "models", "versions",
                        "aliases") if data[k])
    click.echo(f"{headline}: {counts or 'nothing'}")
    if data.get("skipped_runs"):
        click.echo(f"{data['skipped_runs']:,} run(s) were there already and were skipped")
    for line in data["not_carried"]:
        click.echo(f"  not carried: {line}")


def _export_parquet(ctx: click.Context, directory: str, as_json: bool) -> None:
    import pyarrow.parquet as pq

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    client = client_from(ctx)
    written = []
    try:
        client.flush()
        names = client.store.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
            max_rows=10_000).column("table_name").to_pylist()
        from mlm_jupyter.core.progress import progress

        with progress(len(names), f"exporting tables to {target}", unit="table") as bar:
            for name in names:
                table = client.store.sql(f'SELECT * FROM "{name}"', max_rows=2**62)
                pq.write_table(table, target / f"{name}.parquet")
                written.append({"table": name, "rows": table.num_rows, "file": str(target / f"{name}.parquet")})
                bar.update(1)
    except MlmError as error:
        fail(error)
    if as_json:
        echo_json(written)
    else:
        for item in written:
            click.echo(f"{item['rows']:>10,}  {item['file']}")
