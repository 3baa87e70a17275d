"""The runs table widget: ``mlm.runs()`` -- search, sort, choose columns, select, refresh live."""

from __future__ import annotations

import logging
import math
import threading
import weakref
from typing import Any, Sequence

import numpy as np
import pandas as pd
import traitlets

from mlm_jupyter.core.errors import MlmError, QuerySyntaxError
from mlm_jupyter.core.query import compile_filter
from mlm_jupyter.widgets.fallback import html_table, text_table
from mlm_jupyter.widgets.widget_base import STATIC, MlmWidget

__all__ = ["RunsTable", "last_selection", "runs"]

log = logging.getLogger(__name__)

BASE_COLUMNS = ("name", "status", "start_time", "duration")
EXTRA_COLUMNS = ("experiment", "user", "end_time", "run_id")
DEFAULT_PARAMS = 6
DEFAULT_METRICS = 6
FALLBACK_ROWS = 20
_TIME_COLUMNS = ("start_time", "end_time")


class RunsTable(MlmWidget):
    """An interactive table of runs (see ``runs``).

    Python sees what the user does: ``selected`` (run ids), ``filter``,
    ``sort`` (``[column, "asc"|"desc"]``), ``columns``; ``frame`` is the
    loaded runs as a DataFrame in the displayed order.
    """

    _esm = STATIC / "runs_table.js"
    _css = STATIC / "runs_table.css"

    experiment = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    filter = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Dict().tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    available_columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    sort = traitlets.List().tag(sync=True)
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)
    refreshed_at = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, experiment: str | None = None, filter: str | None = None, *, client: Any = None,
                 columns: Sequence[str] | None = None, max_rows: int = 10_000, live: bool = True,
                 refresh_seconds: float = 2.0) -> None:
        super().__init__(client=client)
        self.max_rows = int(max_rows)
        self.refresh_seconds = float(refresh_seconds)
        self._frame = pd.DataFrame()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with self.hold_trait_notifications():
            self.experiment = experiment
            self.filter = (filter or "").strip()
            self.live = live
            if columns:
                self.columns = list(columns)
        self.reload()
        self.observe(_remember_selection, names=["selected"])
        self.observe(self._on_query_change, names=["filter", "experiment"])
        self.observe(self._on_columns_change, names=["columns"])
        if live:
            self._start_refresher()

    # ------------------------------------------------------------ loading

    def _actions(self) -> dict[str, Any]:
        return {"refresh": self.reload}

    def _on_query_change(self, _change: Any) -> None:
        self.reload()

    def _on_columns_change(self, _change: Any) -> None:
        with self._lock:
            self.data = encode_columns(self._frame, self.columns)

    def reload(self) -> None:
        """Search the store again with the current filter; a bad filter sets ``error`` (with its column)."""
        text = self.filter.strip()
        try:
            if text:
                compile_filter(text)  # syntax errors come back with their column, before any store call
            frame = self.client.search_runs(text or None, self.experiment, order_by=["attributes.start_time desc"],
                                            max_results=self.max_rows)
        except QuerySyntaxError as error:
            self.error = {"message": error.message.split(" (column")[0], "column": error.column, "text": text}
            return
        except MlmError as error:
            self.error = {"message": error.message, "column": 0, "text": text}
            return
        with self._lock:
            self._frame = frame.reset_index(drop=True)
            available = available_columns(self._frame)
            chosen = [c for c in self.columns if c in available] or default_columns(available)
            with self.hold_trait_notifications():
                self.error = {}
                self.available_columns = available
                self.total = int(frame.attrs.get("total", len(frame)))
                if chosen != list(self.columns):
                    self.unobserve(self._on_columns_change, names=["columns"])
                    try:
                        self.columns = chosen
                    finally:
                        self.observe(self._on_columns_change, names=["columns"])
                self.data = encode_columns(self._frame, chosen)
                self.refreshed_at = _now()

    # ------------------------------------------------------------ live refresh

    def _start_refresher(self) -> None:
        ref = weakref.ref(self)
        stop = self._stop

        def loop() -> None:
            quiet = 0  # refreshes in a row that found nothing running and nothing new
            while not stop.wait(_interval(ref, quiet)):
                table = ref()
                if table is None:
                    return
                if table.live:
                    try:
                        changed = table.refresh_running()
                        quiet = 0 if changed or table._any_running() else quiet + 1
                    except Exception:  # a refresh that fails must not kill the loop or the kernel
                        quiet += 1
                        log.debug("runs table refresh failed", exc_info=True)
                del table

        self._thread = threading.Thread(target=loop, name="mlm-runs-table-refresh", daemon=True)
        self._thread.start()

    def _any_running(self) -> bool:
        with self._lock:
            return bool(not self._frame.empty and (self._frame["status"] == "running").any())

    def refresh_running(self) -> bool:
        """Re-read the runs still running and add runs started since the last load.

        Returns whether anything changed (then ``data`` is sent again).
        """
        with self._lock:
            frame = self._frame
            if frame.empty:
                return self._add_new_runs(frame, None)
            running = frame.loc[frame["status"] == "running", "run_id"].tolist()
            newest = frame["start_time"].max()
            changed = False
            if running:
                ids = ", ".join(f"'{run_id}'" for run_id in running)
                fresh = self.client.search_runs(f"attributes.run_id IN ({ids})", None, max_results=len(running))
                if not fresh.empty:
                    merged = _replace_rows(frame, fresh)
                    if not _same(merged, frame):
                        frame, changed = merged, True
            return self._add_new_runs(frame, newest) or self._publish(frame, changed)

    def _add_new_runs(self, frame: pd.DataFrame, newest: Any) -> bool:
        text = self.filter.strip()
        since = f"attributes.start_time > {newest.timestamp()!r}" if newest is not None and not pd.isna(newest) else ""
        query = " and ".join(part for part in (f"({text})" if text else "", since) if part) or None
        try:
            new = self.client.search_runs(query, self.experiment, order_by=["attributes.start_time desc"],
                                          max_results=self.max_rows)
        except MlmError:
            return False
        if newest is not None:
            new = new[~new["run_id"].isin(frame["run_id"])] if not new.empty else new
        if new.empty:
            return False
        merged = pd.concat([new, frame], ignore_index=True) if not frame.empty else new.reset_index(drop=True)
        merged = merged.head(self.max_rows)
        merged.attrs["total"] = int(self.total + len(new))
        return self._publish(merged, True)

    def _publish(self, frame: pd.DataFrame, changed: bool) -> bool:
        if not changed:
            return False
        with self._lock:
            self._frame = frame.reset_index(drop=True)
            available = available_columns(self._frame)
            with self.hold_trait_notifications():
                if available != list(self.available_columns):
                    self.available_columns = available
                self.total = max(int(frame.attrs.get("total", self.total)), len(frame))
                self.data = encode_columns(self._frame, self.columns)
                self.refreshed_at = _now()
        return True

    def close(self) -> None:
        self._stop.set()
        super().close()

    # ------------------------------------------------------------ Python views

    @property
    def frame(self) -> pd.DataFrame:
        """The loaded runs in the order the table shows them (after ``sort``)."""
        with self._lock:
            return sort_frame(self._frame, self.sort)

    def select(self, run_ids: Sequence[str]) -> None:
        """Select these runs (as a click would)."""
        self.selected = [str(r) for r in run_ids]

    def fallback_html(self) -> str:
        columns = list(self.columns)
        frame = self.frame
        rows = [[_display(frame, column, i) for column in columns] for i in range(min(len(frame), FALLBACK_ROWS))]
        caption = f"mlm runs: {len(frame)} of {self.total}" + (f" matching {self.filter!r}" if self.filter else "")
        more = len(frame) - len(rows)
        tail = f"<p><em>... and {more} more runs (open in JupyterLab for the interactive table)</em></p>" \
            if more > 0 else ""
        return html_table(columns, rows, caption=caption) + tail

    def fallback_text(self) -> str:
        columns = list(self.columns)
        frame = self.frame
        rows = [[_display(frame, column, i) for column in columns] for i in range(min(len(frame), FALLBACK_ROWS))]
        more = len(frame) - len(rows)
        return (f"RunsTable: {len(frame)} of {self.total} runs\n" + text_table(columns, rows)
                + (f"\n... and {more} more" if more > 0 else ""))


_last_selected: weakref.ref[RunsTable] | None = None


def _remember_selection(change: Any) -> None:
    global _last_selected
    if change["new"]:
        _last_selected = weakref.ref(change["owner"])


def last_selection() -> list[str]:
    """The selected run ids of the runs table the user selected in last (empty if none)."""
    table = _last_selected() if _last_selected is not None else None
    return list(table.selected) if table is not None else []


def runs(experiment: str | None = None, filter: str | None = None, **options: Any) -> RunsTable:
    """An interactive table of runs.

    Args:
        experiment: only runs of this experiment (default: all).
        filter: a run search expression, e.g. ``"metrics.val_auc > 0.9 and params.max_depth = 8"``.
        **options: ``columns``, ``max_rows`` (default 10,000), ``live`` (refresh running runs,
            default True), ``refresh_seconds``, ``client``.

    Returns:
        A ``RunsTable``; ``table.selected`` holds the ids of the selected runs and
        ``mlm.compare(table)`` compares them.
    """
    return RunsTable(experiment, filter, **options)


# ---------------------------------------------------------------- frame helpers (pure)


def available_columns(frame: pd.DataFrame) -> list[str]:
    """Every column the chooser offers: base columns, then params, metrics, tags, then the rest."""
    prefixed = [c for c in frame.columns if c.startswith(("params.", "metrics.", "tags."))]
    order = {"params": 0, "metrics": 1, "tags": 2}
    prefixed.sort(key=lambda c: (order[c.split(".", 1)[0]], c))
    return [*BASE_COLUMNS, *prefixed, *EXTRA_COLUMNS]


def default_columns(available: Sequence[str]) -> list[str]:
    """Base columns plus the first few params and metrics."""
    params = [c for c in available if c.startswith("params.")][:DEFAULT_PARAMS]
    metrics = [c for c in available if c.startswith("metrics.")][:DEFAULT_METRICS]
    return [*BASE_COLUMNS, *params, *metrics]


def _seconds(series: pd.Series) -> np.ndarray:
    """Epoch seconds (NaN for missing) of a tz-aware datetime column."""
    epoch = pd.Timestamp(0, tz="UTC")
    return ((series - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64, na_value=np.nan)


def column_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """The values of ``column`` as the table sorts them (times and durations as seconds)."""
    if column == "duration":
        return pd.Series(_seconds(frame["end_time"]) - _seconds(frame["start_time"]), index=frame.index)
    if column in _TIME_COLUMNS:
        return pd.Series(_seconds(frame[column]), index=frame.index)
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[column]


def _json_numbers(values: np.ndarray) -> list[Any]:
    out: list[Any] = values.astype(object).tolist()
    for i, v in enumerate(out):
        if isinstance(v, float) and not math.isfinite(v):
            out[i] = None if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return out


def encode_columns(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[Any]]:
    """Columnar JSON for the front end: ``run_id``, ``status``, ``start_time`` plus the chosen columns."""
    out: dict[str, list[Any]] = {}
    if frame.empty:
        return {c: [] for c in ("run_id", "status", "start_time", *columns)}
    for column in dict.fromkeys(("run_id", "status", "start_time", *columns)):
        values = column_values(frame, column)
        if column in ("duration", *_TIME_COLUMNS) or column.startswith("metrics."):
            out[column] = _json_numbers(values.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            out[column] = values.astype(object).where(values.notna(), None).tolist()
    return out


def _sort_key(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == values.notna().sum():  # every present value is a number (params)
            return numbers
        return values.astype("string")
    return values


def sort_frame(frame: pd.DataFrame, sort: Sequence[Any]) -> pd.DataFrame:
    """``frame`` ordered as the table shows it for ``sort = [column, "asc"|"desc"]``; missing values last."""
    if frame.empty or not sort or not sort[0]:
        return frame
    column = str(sort[0])
    descending = len(sort) > 1 and str(sort[1]).lower() == "desc"
    key = _sort_key(column_values(frame, column))
    order = key.sort_values(ascending=not descending, na_position="last", kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _replace_rows(frame: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    index = {run_id: i for i, run_id in enumerate(frame["run_id"])}
    merged = pd.concat([frame, fresh[[c for c in fresh.columns]]], ignore_index=True)
    merged = merged.drop_duplicates("run_id", keep="last")
    merged["_position"] = merged["run_id"].map(index)
    merged = merged.sort_values("_position", kind="stable").drop(columns="_position").reset_index(drop=True)
    merged.attrs["total"] = frame.attrs.get("total", len(frame))
    return merged


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    try:
        return bool(a.equals(b))
    except (TypeError, ValueError):
        return False


def _display(frame: pd.DataFrame, column: str, row: int) -> Any:
    value = column_values(frame, column).iloc[row]
    if column in _TIME_COLUMNS and value is not None and not pd.isna(value):
        return pd.Timestamp(value, unit="s", tz="UTC")
    if column == "duration" and value is not None and not pd.isna(value):
        return f"{value:.1f}s"
    return value


MAX_IDLE_INTERVAL = 30.0


def _interval(ref: Any, quiet: int = 0) -> float:
    """Seconds to the next refresh: ``refresh_seconds`` (longer for big tables), doubling while
    nothing runs and nothing changes (up to 30 s), so tables left in old outputs stay cheap."""
    table = ref()
    if table is None:
        return 2.0
    base = max(table.refresh_seconds, len(table._frame) / 5000.0)
    return max(base, min(base * 2.0 ** min(quiet, 8), MAX_IDLE_INTERVAL))


def _now() -> float:
    import time

    return time.time()
