"""The run comparison widget: ``mlm.compare()`` -- the shared comparison view; a plotly figure on demand."""

from __future__ import annotations

import difflib
from concurrent.futures import Future
import html
import time
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import traitlets

from mlm_jupyter.core.entities import Run
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.widgets.fallback import html_table, text_table
from mlm_jupyter.widgets.repro import REPRO_TAGS
from mlm_jupyter.widgets.widget_base import MlmWidget, jsonable, worker_pool

__all__ = ["Comparison", "compare", "diff_frame", "downsample", "smooth"]

MAX_POINTS = 2000
_PREFERRED = ("loss", "val_loss", "train_loss")  # the metric a comparison opens on, when the runs have it
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


class Comparison(MlmWidget):
    """Runs side by side (see ``compare``): the shared comparison view, with a plotly figure on demand.

    ``metric``, ``smoothing``, ``axis`` and ``log`` are what the view shows (set
    them from Python or in the view); ``figure`` is a plotly ``Figure`` of the
    curves and parallel coordinates, built on first use; ``diff`` the
    field-by-field table and ``code`` the unified diff of the runs' cell sources.
    """

    view = traitlets.Unicode("compare").tag(sync=True)
    runs_data = traitlets.List().tag(sync=True)  # the runs as the view reads them
    metric = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    smoothing = traitlets.Float(0.0).tag(sync=True)
    axis = traitlets.Unicode("step").tag(sync=True)
    log = traitlets.Bool(False).tag(sync=True)
    max_points = traitlets.Int(MAX_POINTS).tag(sync=True)
    first_history = traitlets.Dict().tag(sync=True)  # the first trace, pushed as soon as it is read

    def __init__(self, run_ids: Iterable[str], *, client: Any = None, metric: str | None = None,
                 smoothing: float = 0.0, max_points: int = MAX_POINTS) -> None:
        super().__init__(client=client)
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            raise InvalidInputError("compare needs at least one run id")
        reading = [worker_pool().submit(self.client.get_run, run_id) for run_id in ids]  # at once: they overlap
        # the first trace's history starts as soon as the first run is in (a guess of the metric, checked below)
        first = reading[0].result()
        guess = metric or next((k for k in _PREFERRED if k in first.metrics), min(first.metrics, default=None))
        early = (first.id, str(guess), int(max_points),
                 worker_pool().submit(self._metric_points, first.id, str(guess), int(max_points))) \
            if guess is not None and guess in first.metrics else None
        self.runs = [future.result() for future in reading]
        self._histories: dict[tuple[str, str, int | None], tuple[np.ndarray, np.ndarray, int]] = {}
        self._curves_cache: tuple[Any, list[dict[str, Any]]] | None = None
        self.metric_keys = sorted({k for run in self.runs for k in run.metrics})
        if metric is not None and metric not in self.metric_keys:
            raise InvalidInputError(f"none of the runs logged metric {metric!r}; they have: "
                                    f"{', '.join(self.metric_keys) or '-'}")
        preferred = [k for k in _PREFERRED if k in self.metric_keys]
        chosen = metric or (preferred + self.metric_keys + [None])[0]
        # the chart's histories are read first, while the diffs are built and the cell ends
        self._fetches = self._prefetch(chosen, int(max_points), early)
        self._figure: Any = None
        self.diff = diff_frame(self.runs)
        self.code = code_diff(self.runs) if len(self.runs) > 1 else ""
        with self.hold_trait_notifications():
            self.max_points = int(max_points)
            self.smoothing = float(smoothing)
            self.metric = chosen
            self.runs_data = [_run_record(run, label) for run, label in zip(self.runs, _labels(self.runs))]
        self.observe(lambda _change: self.draw(), names=["metric", "smoothing"])

    def _prefetch(self, metric: str | None, max_points: int, early: tuple[str, str, int, Future[dict[str, Any]]] | None
                  = None) -> dict[tuple[str, str, int], Future[dict[str, Any]]]:
        """Read the chart's histories while the cell finishes and the view loads, one after the other
        (the first trace is not slowed by the others): the view's requests find them ready or coming.
        The first one also goes into the ``first_history`` trait as soon as it is read, so the view can
        draw it without asking the kernel (which answers only once the cell has ended)."""
        keys = [(run.id, str(metric), max_points) for run in self.runs if metric in run.metrics]
        self.prefetch_times: list[float] = [time.time()]
        futures: dict[tuple[str, str, int], Future[dict[str, Any]]] = {key: Future() for key in keys}

        def read_all(pending: list[tuple[tuple[str, str, int], Future[dict[str, Any]]]]) -> None:
            for index, (key, future) in enumerate(pending):  # a copy: the view pops from the dict meanwhile
                try:
                    points = early[3].result() if early is not None and early[:3] == key else self._metric_points(*key)
                except BaseException as error:  # noqa: BLE001 -- handed to whoever asks for it
                    future.set_exception(error)
                    continue
                self.prefetch_times.append(time.time())  # when each history was in (diagnostics, benchmarks)
                if index == 0:
                    self.first_history = {"run_id": key[0], "key": key[1], "max_points": key[2],
                                          "history": jsonable(points)}
                future.set_result(points)

        if keys:
            worker_pool().submit(read_all, list(futures.items()))
        return futures

    def _calls(self) -> dict[str, Any]:
        return {"metric": self._metric_call, "session_diff": self._session_diff_call}

    def _session_diff_call(self, a: str, b: str, scope: str = "dependencies") -> Future[dict[str, Any]]:
        """The view's session diff of two of the compared runs (``mlm.session_diff``), read on a worker thread."""
        from mlm_jupyter.tracking.session_diff import session_diff

        if a not in self.run_ids or b not in self.run_ids:
            raise InvalidInputError("the session diff is of two runs of this comparison")
        return worker_pool().submit(session_diff, a, b, scope=str(scope), client=self.client)

    def _metric_call(self, run_id: str, key: str, max_points: int | None = None) -> Future[dict[str, Any]]:
        """The view's request for one history: a read on a worker thread (or the one prefetched already)."""
        wanted = (run_id, key, int(max_points or self.max_points))
        return self._fetches.pop(wanted, None) or worker_pool().submit(self._metric_points, *wanted)

    def _metric_points(self, run_id: str, key: str, max_points: int | None = None) -> dict[str, Any]:
        """One run's ``key`` for the view, downsampled in the store: ``{"points": [[step, value, time]], "count"}``."""
        frame = self.client.get_metric_history(run_id, key, max_points=int(max_points or self.max_points))
        times = frame["time"].to_numpy("datetime64[ns]").astype(np.int64) / 1e9
        points = np.column_stack([frame["step"].to_numpy(np.float64), frame["value"].to_numpy(np.float64), times])
        return {"points": points.tolist(), "count": int(frame.attrs.get("count", len(frame)))}

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

    # ------------------------------------------------------------ the plotly figure (built on first use)

    def curves(self) -> list[dict[str, Any]]:
        """The figure's series: one per run that logged the metric (smoothed, then downsampled)."""
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
        # One line per run that has every axis (a NaN is not JSON: plotly would warn on every draw).
        keep = [all(v is not None and bool(np.isfinite(float(v))) for v in row)
                for row in zip(*(d["values"] for d in dimensions))]
        if sum(keep) < 2:
            return []
        for dimension in dimensions:
            dimension["values"] = [v for v, kept in zip(dimension["values"], keep) if kept]
        return dimensions

    @property
    def figure(self) -> Any:
        """A plotly ``Figure`` of the curves (and parallel coordinates), to restyle, show or save.

        Built on first use (plotly is imported only then) and kept up to date when
        ``metric`` or ``smoothing`` change; the live chart in the view does not need it.
        """
        if self._figure is None:
            import plotly.graph_objects as go

            dimensions = self.parallel_dimensions() if len(self.runs) > 1 else []
            self._figure = go.Figure(layout=_layout(bool(dimensions)))
            self._draw_figure()
        return self._figure

    def draw(self) -> None:
        """Redraw the plotly figure (if it was built) for the current metric and smoothing."""
        if self._figure is not None:
            self._draw_figure()

    def _y_label(self) -> str:
        return f"{self.metric}" + (f" (smoothed {self.smoothing:.2f})" if self.smoothing else "")

    def _draw_figure(self) -> None:
        import plotly.graph_objects as go

        traces: list[Any] = []
        for index, curve in enumerate(self.curves()):
            mode = "lines" if len(curve["x"]) > 50 else "lines+markers"
            traces.append(go.Scattergl(x=curve["x"], y=curve["y"], mode=mode, name=curve["name"],
                                       line={"color": _PALETTE[index % len(_PALETTE)], "width": 1.5},
                                       hovertemplate=f"{html.escape(curve['name'])}<br>step %{{x}}<br>"
                                                     f"{html.escape(self.metric or '')} %{{y:.5g}}<extra></extra>"))
        dimensions = self.parallel_dimensions() if len(self.runs) > 1 else []
        if dimensions:
            traces.append(go.Parcoords(dimensions=dimensions, domain={"x": [0.04, 0.96], "y": [0.0, 0.30]},
                                       line={"color": dimensions[-1]["values"], "colorscale": "Viridis",
                                             "showscale": False}, name="params -> metric"))
        figure = self._figure
        with figure.batch_update():
            figure.data = ()
            figure.add_traces(traces)
            figure.layout.yaxis.title = self._y_label()

    # ------------------------------------------------------------ static fallback

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
        return (f"<p><b>Comparison of {len(self.runs)} runs</b> (metric {html.escape(str(self.metric))}; "
                "open in JupyterLab for the chart)</p>" + self._details_html())


def _run_record(run: Run, label: str) -> dict[str, Any]:
    """What the view needs of a run (the REST API's run object, trimmed)."""
    cell = run.cell or {}
    return jsonable({"id": run.id, "name": label, "status": run.status, "experiment": run.experiment,
                     "params": run.params, "metrics": run.metrics,
                     "tags": {k: v for k, v in run.tags.items() if not k.startswith("mlm.") or k in REPRO_TAGS},
                     "inputs": [{"name": i.name, "role": i.role, "fingerprint": _fingerprint_digest(i.fingerprint)}
                                for i in (*run.inputs, *run.outputs)],
                     "cell": {"source": cell.get("source"), "notebook": cell.get("notebook")} if cell else None})


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
    """Compare runs: metric chart (zoom, hover, log scale, smoothing, step/time), diffs and the cell code diff.

    Args:
        run_ids_or_table: run ids, ``Run`` objects, a ``search_runs`` DataFrame, or a runs
            table widget (its selected rows); default: the rows selected last in a runs table.
        metric: the metric drawn first (default: ``loss`` if logged, else the first alphabetically).
        smoothing: exponential smoothing weight in [0, 1).
        max_points: points drawn per series (each series is downsampled, keeping its envelope).

    Returns:
        A ``Comparison`` widget; ``.figure`` is a plotly Figure of the same curves (with parallel
        coordinates of the params that differ) to restyle or save.
    """
    return Comparison(_run_ids(run_ids_or_table), client=client, metric=metric, smoothing=smoothing,
                      max_points=max_points)
