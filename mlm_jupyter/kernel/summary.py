"""The one-line run summary a ``%%track`` cell shows: run id, name, status, duration, key metrics, staleness."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunSummary"]

_ICONS = {"finished": "✓", "failed": "✗", "killed": "■", "running": "…"}
_COLORS = {"finished": "#1a7f37", "failed": "#cf222e", "killed": "#9a6700", "running": "#57606a"}


def _number(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class RunSummary:
    """What a tracked cell prints under its output (plain text and HTML)."""

    run_id: str
    name: str
    experiment: str
    status: str
    duration: float
    metrics: dict[str, float] = field(default_factory=dict)
    staleness: Sequence[str] = ()
    previous_run_id: str | None = None

    @classmethod
    def for_run(cls, client: Any, run_id: str, duration: float, staleness: Sequence[str],
                previous_run_id: str | None) -> RunSummary:
        run = client.get_run(run_id)
        return cls(run_id=run.id, name=run.name, experiment=run.experiment, status=run.status,
                   duration=duration, metrics=dict(run.metrics), staleness=tuple(staleness),
                   previous_run_id=previous_run_id)

    def _metric_text(self, limit: int = 4) -> str:
        items = list(self.metrics.items())[:limit]
        more = len(self.metrics) - len(items)
        text = ", ".join(f"{k}={_number(v)}" for k, v in items)
        return text + (f" (+{more} more)" if more > 0 else "")

    def __repr__(self) -> str:
        parts = [(f"{_ICONS.get(self.status, '?')} run {self.name} ({self.run_id[:8]}) in {self.experiment}: "
                  f"{self.status} in {self.duration:.2f} s")]
        if self.metrics:
            parts.append(self._metric_text())
        if self.staleness:
            parts.append(f"⚠ not reproducible top to bottom: {self.staleness[0]}"
                         + (f" (+{len(self.staleness) - 1} more)" if len(self.staleness) > 1 else ""))
        return " · ".join(parts)

    def _repr_html_(self) -> str:
        color = _COLORS.get(self.status, "#57606a")
        pieces = [f'<span style="color:{color}">{_ICONS.get(self.status, "?")} {html.escape(self.status)}</span>',
                  (f"run <b>{html.escape(self.name)}</b> <code title=\"{html.escape(self.run_id)}\">"
                   f"{html.escape(self.run_id[:8])}</code> in {html.escape(self.experiment)}"),
                  f"{self.duration:.2f} s"]
        if self.metrics:
            pieces.append(html.escape(self._metric_text()))
        line = " · ".join(pieces)
        if self.staleness:
            reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.staleness)
            line += (f'<details style="color:#9a6700"><summary>⚠ not reproducible top to bottom '
                     f"({len(self.staleness)})</summary><ul>{reasons}</ul></details>")
        return f'<div class="mlm-run-summary" style="font-family:var(--jp-code-font-family,monospace)">{line}</div>'
