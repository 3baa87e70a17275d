"""``mlm monitor report|ls|thresholds``: drift and skew verdicts for cron jobs and CI (exit 1 on drift or skew)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlm_jupyter.cli.output import client_from, echo_frame, echo_json, fail
from mlm_jupyter.core.errors import MlmError

__all__ = ["monitor_ls", "monitor_report", "monitor_thresholds"]


@click.command("report")
@click.argument("ref")
@click.option("--window", default="1d", show_default=True, help="How far back to look: 30m, 1h, 1d, 7d, ...")
@click.option("--reference", default=None, help="Compare with this dataset (name or data:/name/version) "
                                                "instead of the training data.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (DriftReport.to_dict()).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as a self-contained HTML page here.")
@click.pass_context
def monitor_report(ctx: click.Context, ref: str, window: str, reference: str | None, as_json: bool,
                   html_path: str | None) -> None:
    """Drift and skew verdict of REF (NAME@ALIAS or NAME/VERSION).

    Exit status: 0 fine, 1 drift or skew crossed the thresholds, 2 the report could not be made.
    """
    from mlm_jupyter.tracking.monitor import Monitor

    try:
        watcher = Monitor(ref, client=client_from(ctx))
        report = watcher.report(window, reference=reference)
        watcher.close()
    except MlmError as error:  # 2, not 1: a broken check must not read as "drift" (nor as "fine") in CI
        click.secho(f"error [{error.code}]: {error.message}", fg="red", err=True)
        sys.exit(2)
    if html_path:
        Path(html_path).write_text(report.to_html(), encoding="utf-8")
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(str(report))
    sys.exit(1 if report.alarm else 0)


@click.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def monitor_ls(ctx: click.Context, as_json: bool) -> None:
    """Monitored model versions with their logged rows and last logged time."""
    import pandas as pd

    from mlm_jupyter.tracking.monitor_service import monitored_versions

    try:
        found = monitored_versions(client_from(ctx))
    except MlmError as error:
        fail(error)
    frame = pd.DataFrame([{**v, "aliases": ", ".join(v["aliases"])} for v in found],
                         columns=["model", "version", "aliases", "rows", "last_logged"])
    echo_frame(frame, as_json)


@click.command("thresholds")
@click.argument("name")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Change a threshold, e.g. --set drift_share=0.3 --set wasserstein=0.15 (repeatable).")
@click.option("--reset", is_flag=True, help="Restore the defaults.")
@click.option("--reason", default=None, help="Why (recorded in the model history).")
@click.pass_context
def monitor_thresholds(ctx: click.Context, name: str, settings: tuple[str, ...], reset: bool,
                       reason: str | None) -> None:
    """Show (or change) the drift thresholds of model NAME."""
    from mlm_jupyter.tracking.monitor_report import thresholds_for
    from mlm_jupyter.tracking.monitor_service import set_monitor_thresholds

    try:
        client = client_from(ctx)
        client.get_model(name)
        if settings or reset:
            current = {} if reset else \
                {k: v for k, v in thresholds_for(client, name).to_dict().items() if k not in ("methods", "features")}
            for item in settings:
                key, sep, value = item.partition("=")
                if not sep:
                    raise click.UsageError(f"--set takes KEY=VALUE, got {item!r}")
                current[key.strip()] = value.strip()
            set_monitor_thresholds(client, name, current, reason=reason)
        echo_json(thresholds_for(client, name).to_dict())
    except MlmError as error:
        fail(error)
