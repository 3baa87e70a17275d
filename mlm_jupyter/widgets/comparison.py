"""The run comparison widget: ``mlm.compare()`` -- metric curves, parallel coordinates, diff table, code diff."""

from __future__ import annotations

import difflib
import html
from typing import Any, Iterable, Mapping, Sequence

import ipywidgets
import numpy as np
import pandas as pd

from mlm_jupyter.core.entities import Run
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.widgets.curves_preview import CurvesPreview
from mlm_jupyter.widgets.fallback import html_table, text_table
from mlm_jupyter.widgets.widget_base import default_client, with_fallback

__all__ = ["Comparison", "compare", "diff_frame", "downsample", "smooth"]

MAX_POINTS = 2000
_GRID = "rgba(128,128,128,0.25)"
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf"]
_STYLE = """<style>
.mlm-compare-html { font-family: var(--jp-ui-font-family, sans-serif); color: var(--jp-ui-font-color1, #222); }
.mlm-compare-html h4 { margin: 10px 0 4px; font-size: var(--jp-ui-font-size2, 14px); }
.mlm-code-diff { font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px);
  background: var(--jp-layout-color1, #fafafa); border: 1px solid var(--jp-border-color2, #ddd); padding: 6px;
  white-space: pre; overflow: auto; max-height: 360px; margin: 0 0 8px; }
.mlm-code-diff .mlm-add { color: var(--jp-success-color0, #1b5e20); background: var(--jp-success-color3, #e8f5e9); }
.mlm-code-diff .mlm-del { color: var(--jp-error-color0, #b71c1c); background: var(--jp-error-color3, #fdecea); }
.mlm-code-diff .mlm-hunk { color: var(--jp-ui-font-color2, #666); }
</style>"""


def downsample(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of a series, keeping its min/max envelope (spikes stay visible)."""
    try:
        from mlm_jupyter.core.downsample import min_max_indices
    except ImportError:  # pragma: no cover - the core helper ships with the server work
        min_max_indices = _stride_indices
    keep = min_max_indices(values, max_points)
    return steps[keep], values[keep]


def _stride_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    count = len(values)
    if count <= max_points:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, max_points).round().astype(np.int64))


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average (TensorBoard-style ``weight`` in [0, 1); 0 leaves the series as is)."""
    if weight <= 0 or len(values) == 0:
        return values
    return pd.Series(values).ewm(alpha=1.0 - min(float(weight), 0.999), adjust=False, ignore_na=True).mean().to_numpy()


def _fingerprint_digest(fingerprint: Any) -> str:
    if fingerprint is None:
        return ""
    if isinstance(fingerprint, Mapping):
        return str(fingerprint.get("digest") or "")
    return str(getattr(fingerprint, "digest", fingerprint))


def run_fields(run: Run) -> dict[str, str]:
    """Every comparable field of a run: ``params.*``, ``tags.*``, ``data.*`` (fingerprints), ``metrics.*``."""
    fields: dict[str, str] = {}
    fields.update({f"params.{k}": str(v) for k, v in sorted(run.params.items())})
    fields.update({f"tags.{k}": str(v) for k, v in sorted(run.tags.items()) if not k.startswith("mlm.")})
    for item in (*run.inputs, *run.outputs):
        fields[f"data.{item.name} ({item.role})"] = _fingerprint_digest(item.fingerprint)[:16]
    for item in (run.cell or {}).get("data") or ():
        key = f"data.{item.get('name')} ({item.get('role', 'input')})"
        fields.setdefault(key, str(item.get("digest") or "")[:16])
    fields.update({f"metrics.{k}": f"{v:.6g}" for k, v in sorted(run.metrics.items())})
    return fields


def diff_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per field (params, tags, data fingerprints, metrics), one column per run, plus ``differs``."""
    fields = [run_fields(run) for run in runs]
    keys = list(dict.fromkeys(k for f in fields for k in f))
    order = {"params": 0, "tags": 1, "data": 2, "metrics": 3}
    keys.sort(key=lambda k: order.get(k.split(".", 1)[0], 9))
    labels = _labels(runs)
    frame = pd.DataFrame({label: [f.get(k, "") for k in keys] for label, f in zip(labels, fields)}, index=keys,
                         dtype=object)
    frame.index.name = "field"
    frame["differs"] = [len({f.get(k) for f in fields}) > 1 for k in keys]
    return frame


def _labels(runs: Sequence[Run]) -> list[str]:
    names = [run.name for run in runs]
    return [name if names.count(name) == 1 else f"{name} ({run.id[:6]})" for name, run in zip(names, runs)]


def code_diff(runs: Sequence[Run]) -> str:
    """Unified diffs of each run's cell source against the first run's (empty when no code was captured)."""
    sources = [(label, (run.cell or {}).get("source")) for label, run in zip(_labels(runs), runs)]
    missing = [label for label, source in sources if source is None]
    present = [(label, source) for label, source in sources if source is not None]
    parts = [f"# no code snapshot recorded for {', '.join(missing)}"] if missing else []
    if len(present) > 1:
        base_label, base = present[0]
        for label, source in present[1:]:
            lines = list(difflib.unified_diff(base.splitlines(), source.splitlines(), fromfile=base_label,
                                              tofile=label, lineterm=""))
            parts.append("\n".join(lines) if lines else f"# {label}: same cell source as {base_label}")
    return "\n\n".join(parts)


def _code_diff_html(text: str) -> str:
    out = []
    for line in text.splitlines():
        escaped = html.escape(line)
        if line.startswith("+") and not line.startswith("+++"):
            out.append(f'<span class="mlm-add">{escaped}</span>')
        elif line.startswith("-") and not line.startswith("---"):
            out.append(f'<span class="mlm-del">{escaped}</span>')
        elif line.startswith(("@@", "#")):
            out.append(f'<span class="mlm-hunk">{escaped}</span>')
        else:
            out.append(escaped)
    return '<pre class="mlm-code-diff">' + "\n".join(out) + "</pre>"


def _run_ids(runs_or_table: Any) -> list[str]:
    if runs_or_table is None:  # the selection of the runs table used last
        from mlm_jupyter.widgets.runs_table import last_selection

        ids = last_selection()
        if not ids:
            raise InvalidInputError("no runs to compare: select rows in a runs table (mlm.runs()) or pass run ids, "
                                    "e.g. mlm.compare([id1, id2])")
        return ids
    if hasattr(runs_or_table, "selected") and not isinstance(runs_or_table, (str, bytes)):
        ids = list(runs_or_table.selected)
        if not ids:
            raise InvalidInputError("no runs are selected in the table: tick two or more rows, then compare again")
        return ids
    if isinstance(runs_or_table, pd.DataFrame):
        return [str(r) for r in runs_or_table["run_id"]]
    if isinstance(runs_or_table, (str, Run)):
        runs_or_table = [runs_or_table]
    return [item.id if isinstance(item, Run) else str(item) for item in runs_or_table]


class Comparison(ipywidgets.VBox):  # type: ignore[misc]
    """Runs side by side (see ``compare``).

    ``metric`` and ``smoothing`` drive the curves; ``figure`` is the plotly
    ``FigureWidget``; ``diff`` the field-by-field table and ``code`` the
    unified diff of the runs' cell sources.
    """

    def __init__(self, run_ids: Iterable[str], *, client: Any = None, metric: str | None = None,
                 smoothing: float = 0.0, max_points: int = MAX_POINTS) -> None:
        self.client = client if client is not None else default_client()
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            raise InvalidInputError("compare needs at least one run id")
        self.runs = [self.client.get_run(run_id) for run_id in ids]
        self.max_points = int(max_points)
        self._histories: dict[tuple[str, str, int | None], tuple[np.ndarray, np.ndarray, int]] = {}
        self._curves_cache: tuple[Any, list[dict[str, Any]]] | None = None
        keys = sorted({k for run in self.runs for k in run.metrics})
        if metric is not None and metric not in keys:
            raise InvalidInputError(f"none of the runs logged metric {metric!r}; they have: {', '.join(keys) or '-'}")
        preferred = [k for k in ("loss", "val_loss", "train_loss") if k in keys]
        self.metric_picker = ipywidgets.Dropdown(options=keys, value=metric or (preferred + keys + [None])[0],
                                                 description="metric")
        self.smoothing_slider = ipywidgets.FloatSlider(value=float(smoothing), min=0.0, max=0.99, step=0.01,
                                                       description="smoothing", continuous_update=False)
        self._figure: Any = None
        self.diff = diff_frame(self.runs)
        self.code = code_diff(self.runs) if len(self.runs) > 1 else ""
        title = ipywidgets.HTML(f"<b>Comparing {len(self.runs)} runs</b>: "
                                + ", ".join(html.escape(label) for label in _labels(self.runs)))
        self.details = ipywidgets.HTML(self._details_html())
        self.preview = CurvesPreview()
        # the figure joins the box only after the box is on screen (see _attach_figure_after_display)
        super().__init__([title, ipywidgets.HBox([self.metric_picker, self.smoothing_slider]), self.preview,
                          self.details])
        self.add_class("mlm-comparison")
        self.draw()
        self.metric_picker.observe(lambda _change: self.draw(), names="value")
        self.smoothing_slider.observe(lambda _change: self.draw(), names="value")

    # ------------------------------------------------------------ state

    @property
    def metric(self) -> str | None:
        return self.metric_picker.value  # type: ignore[no-any-return]

    @metric.setter
    def metric(self, key: str) -> None:
        self.metric_picker.value = key

    @property
    def smoothing(self) -> float:
        return float(self.smoothing_slider.value)

    @smoothing.setter
    def smoothing(self, weight: float) -> None:
        self.smoothing_slider.value = float(weight)

    @property
    def run_ids(self) -> list[str]:
        return [run.id for run in self.runs]

    def history(self, run_id: str, key: str, max_points: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Points of ``key`` in ``run_id`` (steps, values), read once through the client.

        With ``max_points`` the store downsamples (min/max per bucket) so only
        the drawn points travel; smoothing needs every point, so it reads them all.
        """
        steps, values, _ = self._history(run_id, key, max_points)
        return steps, values

    def _history(self, run_id: str, key: str, max_points: int | None) -> tuple[np.ndarray, np.ndarray, int]:
        cached = self._histories.get((run_id, key, max_points))
        if cached is None:
            frame = self.client.get_metric_history(run_id, key, max_points=max_points)
            cached = (frame["step"].to_numpy(np.int64), frame["value"].to_numpy(np.float64),
                      int(frame.attrs.get("count", len(frame))))
            self._histories[(run_id, key, max_points)] = cached
        return cached

    # ------------------------------------------------------------ drawing

    def curves(self) -> list[dict[str, Any]]:
        """The drawn series: one per run that logged the metric (smoothed, then downsampled)."""
        key = self.metric
        out: list[dict[str, Any]] = []
        if key is None:
            return out
        cache_key = (key, self.smoothing, self.max_points)
        if self._curves_cache is not None and self._curves_cache[0] == cache_key:
            return self._curves_cache[1]
        for label, run in zip(_labels(self.runs), self.runs):
            if key not in run.metrics:
                continue
            if self.smoothing > 0:
                steps, values, total = self._history(run.id, key, None)
                x, y = downsample(steps, smooth(values, self.smoothing), self.max_points)
            else:
                x, y, total = self._history(run.id, key, self.max_points)
            out.append({"run_id": run.id, "name": label, "x": x, "y": y, "points": total})
        self._curves_cache = (cache_key, out)
        return out

    def _parcoords_dimensions_exist(self) -> bool:
        return bool(self._varying_params())

    def _varying_params(self) -> list[str]:
        keys = sorted({k for run in self.runs for k in run.params})
        return [k for k in keys if len({run.params.get(k) for run in self.runs}) > 1]

    def parallel_dimensions(self) -> list[dict[str, Any]]:
        """Parallel-coordinates axes: each param that differs between runs, then the chosen metric."""
        dimensions = []
        for key in self._varying_params():
            raw = [run.params.get(key) for run in self.runs]
            numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
            if numbers.notna().sum() == sum(v is not None for v in raw):
                dimensions.append({"label": key, "values": numbers.tolist()})
            else:
                categories = sorted({str(v) for v in raw})
                dimensions.append({"label": key, "values": [categories.index(str(v)) for v in raw],
                                   "tickvals": list(range(len(categories))), "ticktext": categories})
        if self.metric is not None and dimensions:
            dimensions.append({"label": self.metric,
                               "values": [run.metrics.get(self.metric, float("nan")) for run in self.runs]})
        # One line per run that has every axis: a NaN (a run without that param or metric, e.g. a
        # failed run) is not JSON, so the kernel warned "Out of range float values" on every draw.
        keep = [all(v is not None and bool(np.isfinite(float(v))) for v in row)
                for row in zip(*(d["values"] for d in dimensions))]
        if sum(keep) < 2:
            return []
        for dimension in dimensions:
            dimension["values"] = [v for v, kept in zip(dimension["values"], keep) if kept]
        return dimensions

    @property
    def figure(self) -> Any:
        """The plotly ``FigureWidget`` (curves and parallel coordinates), created on first use."""
        if self._figure is None:
            import plotly.graph_objects as go

            self._figure = go.FigureWidget(layout=_layout(len(self.runs) > 1 and self._parcoords_dimensions_exist()))
            self._figure.add_class("mlm-compare-figure")
            self._draw_figure(self.curves())
        return self._figure

    def draw(self) -> None:
        """Redraw the curves and the parallel coordinates for the current metric and smoothing."""
        curves = self.curves()
        self.preview.show(curves, _PALETTE, self._y_label())
        if self._figure is not None:
            self._draw_figure(curves)

    def _y_label(self) -> str:
        return f"{self.metric}" + (f" (smoothed {self.smoothing:.2f})" if self.smoothing else "")

    def _draw_figure(self, curves: list[dict[str, Any]]) -> None:
        import plotly.graph_objects as go

        traces: list[Any] = []
        for index, curve in enumerate(curves):
            mode = "lines" if len(curve["x"]) > 50 else "lines+markers"
            traces.append(go.Scattergl(x=curve["x"], y=curve["y"], mode=mode, name=curve["name"],
                                       line={"color": _PALETTE[index % len(_PALETTE)], "width": 1.5},
                                       hovertemplate=f"{html.escape(curve['name'])}<br>step %{{x}}<br>"
                                                     f"{html.escape(self.metric or '')} %{{y:.5g}}<extra></extra>"))
        dimensions = self.parallel_dimensions() if len(self.runs) > 1 else []
        if dimensions:
            color = dimensions[-1]["values"]
            traces.append(go.Parcoords(dimensions=dimensions, domain={"x": [0.04, 0.96], "y": [0.0, 0.30]},
                                       line={"color": color, "colorscale": "Viridis", "showscale": False},
                                       name="params -> metric"))
        figure = self._figure
        with figure.batch_update():
            figure.data = ()
            figure.add_traces(traces)
            figure.layout.yaxis.title = self._y_label()

    # ------------------------------------------------------------ tables

    def _details_html(self) -> str:
        rows = [[field, *values[:-1]] for field, values in zip(self.diff.index, self.diff.to_numpy().tolist())]
        table = ("<h4>Params, tags, data fingerprints and metrics (differences highlighted)</h4>"
                 + html_table(["field", *_labels(self.runs)], rows, highlight=list(self.diff["differs"]),
                              css_class="mlm-diff-table"))
        code = ""
        if len(self.runs) > 1:
            code = "<h4>Cell code diff</h4>" + _code_diff_html(self.code or "# no code snapshots recorded")
        return f'{_STYLE}<div class="mlm-compare-html">{table}{code}</div>'

    def fallback_text(self) -> str:
        rows = [[field, *values[:-1]] for field, values in zip(self.diff.index, self.diff.to_numpy().tolist())]
        return (f"Comparison of {len(self.runs)} runs\n" + text_table(["field", *_labels(self.runs)], rows)
                + (f"\n\n{self.code}" if self.code else ""))

    def fallback_html(self) -> str:
        curves = self.curves()
        summary = ", ".join(f"{html.escape(c['name'])}: {c['points']} points" for c in curves)
        return (f"<p><b>Comparison of {len(self.runs)} runs</b> (metric {html.escape(str(self.metric))}: "
                f"{summary or 'no series'}; open in JupyterLab for the plots)</p>" + self._details_html())

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        self._attach_figure_after_display()
        return with_fallback(bundle, self.fallback_html(), self.fallback_text())

    def attach_figure(self) -> None:
        """Create the plotly figure (if needed) and put it in the box, below the quick view."""
        if self.figure not in self.children:
            children = list(self.children)
            children.insert(children.index(self.preview) + 1, self.figure)
            self.children = tuple(children)

    def _attach_figure_after_display(self) -> None:
        # A FigureWidget ships plotly.js (~5 MB) with its model, and JupyterLab handles kernel messages
        # in order: the model's arrival holds up every later message, the display of this box included.
        # So the box is displayed first (the quick view paints at once) and the figure is created and
        # added when the cell has finished.
        if self._figure is not None and self._figure in self.children:
            return
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        if shell is None:
            self.attach_figure()
            return

        def attach(*_args: Any) -> None:
            shell.events.unregister("post_execute", attach)
            self.attach_figure()

        shell.events.register("post_execute", attach)


def _layout(with_parcoords: bool) -> dict[str, Any]:
    top = 0.42 if with_parcoords else 0.0
    return {
        "height": 640 if with_parcoords else 420, "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
        "xaxis": {"title": {"text": "step"}, "domain": [0, 1], "anchor": "y", "gridcolor": _GRID, "zeroline": False},
        "yaxis": {"domain": [top, 1.0], "gridcolor": _GRID, "zeroline": False},
        "legend": {"orientation": "h", "y": 1.08},
        # transparent and mid-grey so the plot reads on JupyterLab's light and dark themes
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "font": {"color": "#8a8a8a"},
    }


def compare(run_ids_or_table: Any = None, *, metric: str | None = None, smoothing: float = 0.0,
            client: Any = None, max_points: int = MAX_POINTS) -> Comparison:
    """Compare runs: metric curves, parallel coordinates, a diff table and the cell code diff.

    Args:
        run_ids_or_table: run ids, ``Run`` objects, a ``search_runs`` DataFrame, or a runs
            table widget (its selected rows); default: the rows selected last in a runs table.
        metric: the metric drawn first (default: ``loss`` if logged, else the first alphabetically).
        smoothing: exponential smoothing weight in [0, 1).
        max_points: points drawn per series (each series is downsampled, keeping its envelope).

    Returns:
        A ``Comparison`` widget.
    """
    return Comparison(_run_ids(run_ids_or_table), client=client, metric=metric, smoothing=smoothing,
                      max_points=max_points)
