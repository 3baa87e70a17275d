"""The drift widget: ``mlm.drift("churn@production")`` -- a model version's drift and skew report in the notebook.

The live view is the shared drift view (``labextension/src/views/driftView.ts``,
``view = "drift"``): the dataset verdict and share of drifted features, schema
skew, prediction drift, a feature table with a verdict per row (a click shows
that feature's reference vs current distribution), and drift and live
performance over time. It reads the traits ``report`` (``DriftReport.to_dict()``),
``history`` (drift per period), ``performance`` (``mon.performance(...)`` rows)
and ``error``; choosing another window calls ``load``. Static exports show the
report's self-contained HTML (``DriftReport.to_html``).
"""

from __future__ import annotations

import html
import math
from typing import Any, Callable

import traitlets

from mlm_jupyter.core.drift_report import DriftReport
from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.widgets.widget_base import MlmWidget, jsonable

__all__ = ["DriftPanel", "drift", "drift_figure"]

WINDOWS = ("1h", "6h", "1d", "7d", "30d")


def drift_figure(report: DriftReport) -> Any:
    """A plotly figure to restyle or save: each feature's statistic relative to its threshold (>= 1 drifts)."""
    import plotly.graph_objects as go

    rows = [*report.features, *([report.prediction] if report.prediction else [])]
    ratios, colours, texts = [], [], []
    for f in rows:
        if f.p_value is not None:
            ratio = f.threshold / max(f.p_value, 1e-12)
        elif f.statistic is not None:
            ratio = f.statistic / f.threshold if f.threshold else 0.0
        else:
            ratio = 0.0
        ratios.append(min(ratio, 10.0))
        colours.append("#b00020" if f.drifted else "#1b7f3b")
        texts.append(f"{f.method}: " + (f"p={f.p_value:.3g}" if f.p_value is not None else
                                        f"{(f.statistic or 0):.3g} (threshold {f.threshold:g})"))
    figure = go.Figure(go.Bar(x=[f.feature for f in rows], y=ratios, marker_color=colours, hovertext=texts))
    figure.add_hline(y=1.0, line_dash="dash", line_color="#777")
    figure.update_layout(height=260, margin={"l": 40, "r": 10, "t": 30, "b": 40},
                         title=f"drift statistic / threshold ({report.verdict})", yaxis_title="x threshold")
    return figure


def history_every(window: str) -> float:
    """The period of the over-time chart for ``window``: whole hours, at most ~48 periods (shorter ranges: one)."""
    from mlm_jupyter.core.durations import parse_duration

    seconds = parse_duration(window)
    return seconds if seconds <= 3600 else math.ceil(seconds / 48 / 3600) * 3600.0


def _history(monitor: Any, window: str, reference: Any) -> list[dict[str, Any]]:
    """Drift per period of ``window`` (``Monitor.drift_history``), oldest first, as the view reads it."""
    from mlm_jupyter.tracking.monitor_service import drift_history

    records = drift_history(monitor.client, monitor.model_version, window=window, every=history_every(window),
                            reference=reference, alias=monitor.alias)
    return list(jsonable(records))


def _performance(monitor: Any, window: str) -> list[dict[str, Any]]:
    try:
        live = monitor.performance(window)
    except MlmError:
        return []
    if live is None or not len(live):
        return []
    records = live.to_dict(orient="records")
    return list(jsonable(records))


class DriftPanel(MlmWidget):
    """The widget ``drift()`` returns; ``.report`` is the last ``DriftReport`` (``None`` when it failed),
    ``.refresh()`` recomputes it, and setting ``.window`` (``"1h"``, ``"1d"``, ...) recomputes for that range."""

    view = traitlets.Unicode("drift").tag(sync=True)
    window = traitlets.Unicode("1d").tag(sync=True)
    report_data = traitlets.Dict().tag(sync=True)
    history = traitlets.List().tag(sync=True)
    performance = traitlets.List().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, ref: str, *, window: str = "1d", reference: Any = None, client: Any = None) -> None:
        super().__init__(client=client)
        from mlm_jupyter.tracking.monitor import Monitor

        self.monitor = Monitor(ref, client=self.client)
        self.reference = reference
        self.report: DriftReport | None = None
        self._loading = False
        self.window = window
        self.observe(lambda _change: self.refresh(), names="window")
        self.refresh()

    def _calls(self) -> dict[str, Callable[..., Any]]:
        return {"load": self.load}

    def load(self, window: str = "1d") -> dict[str, Any]:
        """The front end chose another window: recompute (the traits carry the answer)."""
        if window == self.window:
            self.refresh()
        else:
            self.window = str(window)  # the observer recomputes
        return {"verdict": self.report.verdict if self.report else None, "error": self.error}

    def refresh(self) -> DriftReport | None:
        """Recompute the report, the drift per period and live performance for the chosen window."""
        from mlm_jupyter.core.durations import parse_duration

        try:
            parse_duration(self.window)
            report = self.monitor.report(self.window, reference=self.reference)
        except MlmError as error:
            self.report = None
            self.error = error.message
            self.report_data = {}
            self.history = []
            self.performance = []
            return None
        self.report = report
        self.error = ""
        try:
            history = _history(self.monitor, self.window, self.reference)
        except MlmError:
            history = []
        self.history = history
        self.performance = _performance(self.monitor, self.window)
        self.report_data = jsonable(report.to_dict())
        return report

    def fallback_html(self) -> str:
        if self.report is not None:
            return self.report._repr_html_()
        return f"<div class='mlm-drift-error' style='color:var(--jp-error-color1, #b00020)'>{html.escape(self.error)}</div>"

    def fallback_text(self) -> str:
        return str(self.report) if self.report is not None else f"drift report unavailable: {self.error}"


def drift(ref: str, *, window: str = "1d", reference: Any = None, client: Any = None) -> DriftPanel:
    """Show the drift and skew report of ``ref`` (``"churn@production"``, ``"models:/churn/3"``).

    Args:
        ref: the model version to observe.
        window: how far back to look (``"1h"``, ``"1d"``, ``"7d"``, ...).
        reference: another reference than the training data (dataset name, ``data:/name/3``, or a table).
    """
    return DriftPanel(ref, window=window, reference=reference, client=client)
