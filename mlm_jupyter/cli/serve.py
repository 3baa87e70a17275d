"""``mlm serve URI``: a registered model over HTTP (MLflow scoring-server routes), observed and alias-following."""

from __future__ import annotations

import click

from mlm_jupyter.cli.output import fail
from mlm_jupyter.core.errors import MlmError, UntrustedModelError

__all__ = ["serve"]


@click.command("serve")
@click.argument("uri")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=5001, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=1),
              help="Worker processes (each loads the model and follows the alias on its own).")
@click.option("--trust-pickle", is_flag=True, help="Allow a pickle-flavor model (reading a pickle can run code).")
@click.option("--trusted-type", "trusted_types", multiple=True, metavar="TYPE",
              help="A type a skops file may create beyond scikit-learn's own (repeatable).")
@click.option("--no-monitor", is_flag=True, help="Do not log predictions (they are logged through mlm.monitor "
                                                  "by default).")
@click.option("--shadow", metavar="URI", help="Also score every request with this model (e.g. "
                                             "models:/NAME@challenger), off the response path, and log it.")
@click.option("--poll-interval", default=1.0, show_default=True, type=float,
              help="Seconds between checks of where the alias points.")
@click.option("--max-body-mb", default=16.0, show_default=True, type=float, help="Largest request body.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--access-log", is_flag=True, help="Print one line per request.")
@click.option("--keep-alive", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds an idle client connection stays open.")
@click.pass_context
def serve(ctx: click.Context, uri: str, host: str, port: int, workers: int, trust_pickle: bool,
          trusted_types: tuple[str, ...], no_monitor: bool, shadow: str | None, poll_interval: float,
          max_body_mb: float, log_level: str, access_log: bool, keep_alive: int) -> None:
    """Serve URI (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/model or an exported folder).

    POST /invocations takes MLflow's formats (dataframe_split, dataframe_records, instances, inputs,
    text/csv) and returns {"predictions": [...]}; GET /ping, /health, /version, /metadata. Every
    response has an X-Model-Version header. When URI names an alias, each worker switches to the
    version the alias moves to, loaded in the background.
    """
    try:
        import uvicorn  # noqa: F401
        import starlette  # noqa: F401
    except ImportError:
        raise click.ClickException('mlm serve needs uvicorn and starlette: pip install "mlm-jupyter[serve]"') \
            from None
    from mlm_jupyter.serving.config import ServeConfig
    from mlm_jupyter.serving.runner import run_server

    try:
        config = ServeConfig(uri=uri, store=(ctx.obj or {}).get("store"), trust_pickle=trust_pickle,
                             trusted_types=tuple(trusted_types), monitor=not no_monitor, shadow=shadow,
                             poll_interval=poll_interval, max_body_bytes=int(max_body_mb * 1024 * 1024))
        run_server(config, host=host, port=port, workers=workers, log_level=log_level, access_log=access_log,
                   keep_alive=keep_alive)
    except UntrustedModelError as error:
        error.message += " For mlm serve: --trust-pickle allows a pickle, --trusted-type T a skops type."
        fail(error)
    except MlmError as error:
        fail(error)
