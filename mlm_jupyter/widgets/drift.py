"""The drift widget: ``mlm.drift("churn@production")`` -- a model version's drift and skew report in the notebook.

For now an ipywidgets box: window picker and refresh button, the report's
HTML (feature table with a verdict per row and reference-vs-serving
distributions, skew findings) and a plotly chart of each feature's statistic
against its threshold, plus live performance over time when labels were
logged. The shared TypeScript view will later take over the rendering; the
Python entry point ``drift(ref, window=..., reference=...)`` stays as it is.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from mlm_jupyter.core.drift_report import DriftReport
from mlm_jupyter.core.errors import MlmError

__all__ = ["DriftPanel", "drift", "drift_figure"]

WINDOWS = ("1h", "6h", "1d", "7d", "30d")


def drift_figure(report: DriftReport) -> Any:
    """A plotly figure: each feature's statistic relative to its threshold (>= 1 means drift; tests: threshold/p)."""
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


class DriftPanel(widgets.VBox):  # type: ignore[misc]
    """The widget ``drift()`` returns; ``.report`` is the last ``DriftReport``, ``.refresh()`` recomputes it."""

    def __init__(self, ref: str, *, window: str = "1d", reference: Any = None, client: Any = None) -> None:
        from mlm_jupyter.tracking.monitor import Monitor

        self.monitor = Monitor(ref, client=client)
        self.reference = reference
        self.report: DriftReport | None = None
        self.window = widgets.Dropdown(options=sorted({*WINDOWS, window}, key=_seconds), value=window,
                                       description="window")
        self.button = widgets.Button(description="Refresh", icon="refresh")
        import plotly.graph_objects as go

        self.html = widgets.HTML()
        self.chart = go.FigureWidget()
        self.performance = go.FigureWidget()
        self.button.on_click(lambda _: self.refresh())
        self.window.observe(lambda _: self.refresh(), names="value")
        super().__init__([widgets.HBox([self.window, self.button]), self.html, self.chart, self.performance])
        self.refresh()

    def refresh(self) -> DriftReport | None:
        """Recompute the report for the chosen window and redraw."""
        _draw(self.chart, None)
        _draw(self.performance, None)
        try:
            self.report = self.monitor.report(self.window.value, reference=self.reference)
        except MlmError as error:
            self.report = None
            self.html.value = f"<div style='color:#b00020'>{_escape(error.message)}</div>"
            return None
        self.html.value = self.report._repr_html_()
        if self.report.features:
            _draw(self.chart, drift_figure(self.report))
        try:
            live = self.monitor.performance(self.window.value)
        except MlmError:
            live = None
        if live is not None and len(live) and live["labelled"].sum() > 0:
            _draw(self.performance, _performance_figure(live))
        return self.report

    def _repr_html_(self) -> str:  # nbviewer and static exports
        return self.report._repr_html_() if self.report is not None else self.html.value


def _draw(target: Any, figure: Any) -> None:
    """Replace what a live FigureWidget shows (one sync, not one per trace)."""
    with target.batch_update():
        target.data = []
        if figure is not None:
            target.add_traces(list(figure.data))
            target.layout = figure.layout


def _performance_figure(live: Any) -> Any:
    import plotly.graph_objects as go

    metric = next((m for m in ("accuracy", "f1", "mae", "rmse") if m in live.columns), None)
    figure = go.Figure()
    if metric is not None:
        figure.add_trace(go.Scatter(x=live["start"], y=live[metric], mode="lines+markers", name=f"live {metric}"))
        trained = f"training_{metric}"
        if trained in live.columns and live[trained].notna().any():
            figure.add_hline(y=float(live[trained].dropna().iloc[0]), line_dash="dash",
                             annotation_text=f"training {metric}")
    figure.update_layout(height=240, margin={"l": 40, "r": 10, "t": 30, "b": 40},
                         title=f"live performance ({int(live['labelled'].sum())} labelled rows)")
    return figure


def _seconds(window: str) -> float:
    from mlm_jupyter.core.durations import parse_duration

    return parse_duration(window)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def drift(ref: str, *, window: str = "1d", reference: Any = None, client: Any = None) -> DriftPanel:
    """Show the drift and skew report of ``ref`` (``"churn@production"``, ``"models:/churn/3"``).

    Args:
        ref: the model version to observe.
        window: how far back to look (``"1h"``, ``"1d"``, ``"7d"``, ...).
        reference: another reference than the training data (dataset name, ``data:/name/3``, or a table).
    """
    return DriftPanel(ref, window=window, reference=reference, client=client)
