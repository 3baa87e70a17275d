"""The runs table widget: ``mlm.runs()`` -- the shared runs view, one server-side page at a time."""

from __future__ import annotations

import math
import weakref
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import traitlets

from mlm_jupyter.core.errors import MlmError, QuerySyntaxError
from mlm_jupyter.widgets.fallback import html_table, text_table
from mlm_jupyter.widgets.repro import REPRO_TAGS
from mlm_jupyter.widgets.widget_base import MlmWidget, jsonable

if TYPE_CHECKING:  # the page is read and shown without pandas: a fresh kernel's first table does not import it
    import pandas as pd

__all__ = ["RunsTable", "last_selection", "runs"]

BASE_COLUMNS = ("name", "status", "start_time", "duration")
DEFAULT_PARAMS = 6
DEFAULT_METRICS = 6
FALLBACK_ROWS = 20
_ORDER_KEYS = {"name": "attributes.name", "status": "attributes.status", "start_time": "attributes.start_time"}


class RunsTable(MlmWidget):
    """An interactive table of runs (see ``runs``).

    Python sees what the user does: ``selected`` (run ids), ``filter``,
    ``sort`` (``[column, "asc"|"desc"]``), ``columns``, ``opened`` (the run
    opened with Enter); ``frame`` is the page on screen as a DataFrame and
    ``total`` the number of matching runs.
    """

    view = traitlets.Unicode("runs").tag(sync=True)
    experiment = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    filter = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Dict().tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sort = traitlets.List().tag(sync=True)
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)
    opened = traitlets.Unicode("").tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)
    refresh_seconds = traitlets.Float(2.0).tag(sync=True)
    page_size = traitlets.Int(50).tag(sync=True)
    page = traitlets.Dict().tag(sync=True)  # the first page, so the view paints without a round trip
    total = traitlets.Int(0).tag(sync=True)

    def __init__(self, experiment: str | None = None, filter: str | None = None, *, client: Any = None,
                 columns: Sequence[str] | None = None, max_rows: int = 10_000, live: bool = True,
                 refresh_seconds: float = 2.0, page_size: int = 50) -> None:
        super().__init__(client=client)
        self._runs: list[dict[str, Any]] | None = None  # the page on screen, as the store gave it
        self._frame: pd.DataFrame | None = None  # built from it on first use
        self._serving = False
        with self.hold_trait_notifications():
            self.experiment = experiment
            self.filter = (filter or "").strip()
            self.live = live
            self.refresh_seconds = float(refresh_seconds)
            self.page_size = max(1, min(int(page_size), int(max_rows)))
            if columns:
                self.columns = list(columns)
        self.reload()
        if not self.columns:
            self.columns = default_columns(self._runs or [])
        self.observe(_remember_selection, names=["selected"])
        self.observe(self._on_query_change, names=["filter", "experiment", "sort"])

    def _calls(self) -> dict[str, Any]:
        return {"page": self.fetch_page}

    def _on_query_change(self, _change: Any) -> None:
        if not self._serving:  # a change made in Python: show it
            self.reload()

    @property
    def order(self) -> str:
        """``sort`` as the store reads it (``metrics.acc desc``), or '' for newest first."""
        if not self.sort or not self.sort[0]:
            return ""
        column = str(self.sort[0])
        direction = "desc" if len(self.sort) > 1 and str(self.sort[1]).lower() == "desc" else "asc"
        return f"{_ORDER_KEYS.get(column, column)} {direction}"

    def reload(self) -> None:
        """Read the first page again for the current filter and sort; a bad filter sets ``error``."""
        try:
            self.page = self.fetch_page(0, self.page_size, self.order or None, self.filter, self.experiment)
        except MlmError:
            return

    def fetch_page(self, offset: int = 0, limit: int = 50, orderBy: str | None = None,  # noqa: N803 -- wire name
                   filter: str | None = None, experiment: str | None = None) -> dict[str, Any]:
        """One page of runs as the view asks for it: ``{"runs": [...], "total": n, "offset": offset}``."""
        text = (filter or "").strip()
        limit = max(1, min(int(limit), 1000))
        self._serving = True
        try:
            with self.hold_trait_notifications():
                self.filter = text
                if orderBy is not None or self.sort:
                    self.sort = _sort_of(orderBy or "")
            try:
                # the view's page requests name no experiment: the table's own one still bounds them
                found = self.client.runs_page(text or None, experiment or self.experiment or None,
                                              order_by=[orderBy] if orderBy else None, max_results=limit,
                                              offset=max(0, int(offset)))
            except QuerySyntaxError as error:
                self.error = {"message": error.message.split(" (column")[0], "column": error.column, "text": text}
                raise
            except MlmError as error:
                self.error = {"message": error.message, "column": 0, "text": text}
                raise
        finally:
            self._serving = False
        self._runs, self._frame = list(found["runs"]), None
        self.error = {}
        self.total = int(found["total"])
        return {"runs": view_rows(self._runs), "total": self.total, "offset": int(offset), "order": orderBy or ""}

    @property
    def frame(self) -> pd.DataFrame:
        """The page of runs on screen, in the order shown (the columns and dtypes of ``search_runs``)."""
        if self._frame is None:
            if self._runs is None:
                import pandas as pd

                self._frame = pd.DataFrame()
            else:
                from mlm_jupyter.tracking.runs import runs_frame

                self._frame = runs_frame(self._runs, self.total)
        return self._frame

    def select(self, run_ids: Sequence[str]) -> None:
        """Select these runs (as a click would)."""
        self.selected = [str(r) for r in run_ids]

    def _rows(self) -> list[list[Any]]:
        return [[_display(row, column) for column in self.columns]
                for row in view_rows((self._runs or [])[:FALLBACK_ROWS])]

    def fallback_html(self) -> str:
        shown = len(self._runs or [])
        caption = f"mlm runs: {shown} of {self.total}" + (f" matching {self.filter!r}" if self.filter else "")
        more = self.total - min(shown, FALLBACK_ROWS)
        tail = f"<p><em>... and {more} more runs (open in JupyterLab for the interactive table)</em></p>" if more else ""
        return html_table(list(self.columns), self._rows(), caption=caption) + tail

    def fallback_text(self) -> str:
        shown = len(self._runs or [])
        more = self.total - min(shown, FALLBACK_ROWS)
        return (f"RunsTable: {shown} of {self.total} runs\n" + text_table(list(self.columns), self._rows())
                + (f"\n... and {more} more" if more else ""))


def _sort_of(order: str) -> list[str]:
    column, _, direction = order.partition(" ")
    short = {v: k for k, v in _ORDER_KEYS.items()}.get(column, column)
    return [short, direction or "asc"] if column else []


def _epoch(value: Any) -> float | None:
    if value is None or (not isinstance(value, str) and value != value):  # None, NaN, NaT
        return None
    if isinstance(value, (int, float)):
        return float(value)
    import pandas as pd

    return float(pd.Timestamp(value).timestamp())


def _shown(kind: str, name: str, value: Any) -> bool:
    """Whether the view shows this value: not missing (None, NaN), and no internal ``mlm.`` tag
    except the reproduction ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return not (kind == "tags" and name.startswith("mlm.") and name not in REPRO_TAGS)


def view_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The views' run objects (strict JSON) from the store's page (``MlmClient.runs_page``)."""
    out = []
    for run in runs:
        row: dict[str, Any] = {"id": run.get("id"), "name": run.get("name"), "status": run.get("status"),
                               "experiment": run.get("experiment"), "start_time": _epoch(run.get("start_time")),
                               "end_time": _epoch(run.get("end_time")), "user": run.get("user")}
        for kind in ("params", "metrics", "tags"):
            row[kind] = {name: value for name, value in (run.get(kind) or {}).items() if _shown(kind, name, value)}
        out.append(jsonable(row))
    return out


def default_columns(page: Any) -> list[str]:
    """Base columns plus the first few params and metrics of a page (run objects, or a search frame)."""
    if hasattr(page, "columns"):
        names = set(page.columns)
    else:
        names = {f"{kind}.{name}" for run in page for kind in ("params", "metrics") for name in run.get(kind) or {}}
    params = sorted(c for c in names if c.startswith("params."))[:DEFAULT_PARAMS]
    metrics = sorted(c for c in names if c.startswith("metrics."))[:DEFAULT_METRICS]
    return [*BASE_COLUMNS, *params, *metrics]


def _display(row: dict[str, Any], column: str) -> Any:
    kind, dot, name = column.partition(".")
    if dot:
        return (row.get(kind) or {}).get(name)
    if column == "duration":
        start, end = row.get("start_time"), row.get("end_time")
        return f"{end - start:.1f}s" if start is not None and end is not None else ""
    if column in ("start_time", "end_time") and row.get(column) is not None:
        return datetime.fromtimestamp(row[column], tz=timezone.utc)
    return row.get("id" if column == "run_id" else column)


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
    """An interactive table of runs, read from the store one page at a time.

    Args:
        experiment: only runs of this experiment (default: all).
        filter: a run search expression, e.g. ``"metrics.val_auc > 0.9 and params.max_depth = 8"``.
        **options: ``columns``, ``page_size`` (default 50), ``live`` (re-read the page on screen while
            runs are running, default True), ``refresh_seconds``, ``client``; ``max_rows`` caps the page size.

    Returns:
        A ``RunsTable``; ``table.selected`` holds the ids of the selected runs and
        ``mlm.compare(table)`` compares them.
    """
    return RunsTable(experiment, filter, **options)
