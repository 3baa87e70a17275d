"""``mlm monitor ...``: observation of served models (each sub-command lives in its own module)."""

from __future__ import annotations

import click

from mlm_jupyter.cli.monitor_compare import monitor_compare

__all__ = ["monitor"]


@click.group()
def monitor() -> None:
    """Observed models: what they were asked, what they answered, how two versions compare."""


monitor.add_command(monitor_compare)
