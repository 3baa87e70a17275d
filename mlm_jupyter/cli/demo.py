"""``mlm demo``: run the quick-start notebook headless and print the runs it tracked."""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

import click

from mlm_jupyter.cli.output import echo_frame, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["DEMOS", "demo", "demo_notebook", "quickstart_notebook"]

DEMOS = ("quickstart", "monitoring")
"""Notebooks ``mlm demo NAME`` runs (``notebooks/NAME.ipynb``)."""


def demo_notebook(name: str = "quickstart") -> Path:
    """A demo notebook: from the source checkout, else the copy shipped in the package."""
    checkout = Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.ipynb"
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("mlm_jupyter.cli").joinpath(f"{name}.ipynb")))


def quickstart_notebook() -> Path:
    """The quick-start notebook: from the source checkout, else the copy shipped in the package."""
    return demo_notebook("quickstart")


@click.command()
@click.argument("name", required=False, default="quickstart", type=click.Choice(DEMOS))
@click.option("--notebook", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Run this notebook instead of the quick start.")
@click.option("--timeout", default=600, show_default=True, help="Seconds allowed per cell.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
def demo(ctx: click.Context, name: str, notebook: str | None, timeout: int, as_json: bool) -> None:
    """Execute notebooks/NAME.ipynb headless (quickstart, or monitoring: train, promote, watch a stream drift),
    then list the runs it tracked."""
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    from mlm_jupyter.store.location import resolve_store_dir
    from mlm_jupyter.tracking.client import MlmClient

    path = Path(notebook) if notebook else demo_notebook(name)
    store = resolve_store_dir((ctx.obj or {}).get("store"))
    os.environ["MLM_STORE"] = str(store)
    before = _run_ids(store)
    nb = nbformat.read(path, as_version=4)
    click.echo(f"running {path} (store: {store}) ...", err=True)
    with tempfile.TemporaryDirectory(prefix="mlm-demo-") as sockets:
        # Local IPC sockets: a TCP kernel without CurveZMQ keys prints an "unencrypted" WARNING to stderr.
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", config=config,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute(env={**os.environ, "JPY_SESSION_NAME": str(path.resolve())})  # the notebook, for %%track
        except Exception as error:  # nbclient raises CellExecutionError with the cell's traceback
            click.secho(f"the notebook failed: {error}", fg="red", err=True)
            raise SystemExit(1) from error
    try:
        frame = MlmClient(store).search_runs(max_results=1000)
    except MlmError as error:
        fail(error)
    frame = frame[~frame["run_id"].isin(before)]
    click.echo(f"{len(frame)} run(s) tracked by {path.name}:", err=True)
    if not as_json:
        keep = ["run_id", "experiment", "name", "status"]
        keep += [c for c in frame.columns if c.startswith(("params.", "metrics."))][:8]
        frame = frame[keep]
    echo_frame(frame, as_json)


def _run_ids(store: Path) -> set[str]:
    if not (store / "mlm.duckdb").exists():
        return set()
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    try:
        return set(client.search_runs(max_results=1_000_000)["run_id"])
    finally:
        client.close()
