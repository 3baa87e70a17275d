"""``mlm export DIR``: every table of the store as Parquet, for Spark, Trino, DuckDB or pandas."""

from __future__ import annotations

from pathlib import Path

import click

from mlm_jupyter.cli.output import client_from, echo_json, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["export"]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def export(ctx: click.Context, directory: str, as_json: bool) -> None:
    """Write every table of the store to DIRECTORY/<table>.parquet."""
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
        for name in names:
            table = client.store.sql(f'SELECT * FROM "{name}"', max_rows=2**62)
            pq.write_table(table, target / f"{name}.parquet")
            written.append({"table": name, "rows": table.num_rows, "file": str(target / f"{name}.parquet")})
    except MlmError as error:
        fail(error)
    if as_json:
        echo_json(written)
    else:
        for item in written:
            click.echo(f"{item['rows']:>10,}  {item['file']}")
