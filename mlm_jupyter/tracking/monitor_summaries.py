"""Per-window summaries written beside the inference logs (filled in by the summary writer)."""

from __future__ import annotations

from typing import Any

__all__ = ["summary_writer_for"]


def summary_writer_for(monitor: Any) -> Any:
    """The summary writer of a monitor's local sink (``None``: raw logs only)."""
    return None
