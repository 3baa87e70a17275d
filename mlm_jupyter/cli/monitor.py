"""``mlm monitor ...``: observation of served models (each sub-command lives in its own module)."""

from __future__ import annotations

import click

from mlm_jupyter.cli.monitor_compare import monitor_compare
from mlm_jupyter.cli.monitor_report import monitor_ls, monitor_report, monitor_thresholds

__all__ = ["monitor"]


@click.group()
def monitor() -> None:
    """Observed models: drift and skew verdicts, monitored versions, thresholds, how two versions compare."""


monitor.add_command(monitor_compare)
monitor.add_command(monitor_report)
monitor.add_command(monitor_ls)
monitor.add_command(monitor_thresholds)
