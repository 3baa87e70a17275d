"""The cell history widget: ``mlm.history()`` -- this session's cell executions, in order, stale cells marked."""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
import traitlets

from mlm_jupyter.core.cell_timeline import mark_stale
from mlm_jupyter.widgets.fallback import text_table
from mlm_jupyter.widgets.widget_base import MlmWidget

__all__ = ["HistoryTimeline", "history", "mark_stale"]

MAX_CELLS = 2000


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    return str(value) or None


def _names(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [str(v) for v in value]


def _current_capture() -> tuple[str | None, str | None]:
    """This kernel's recording session and notebook, from the loaded ``%mlm`` magic (if any)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None, None
    shell = get_ipython()
    if shell is None:
        return None, None
    magic = shell.magics_manager.magics.get("line", {}).get("mlm")
    # the magic itself, its bound method's object, or (registered lazily) the extension that builds it
    owners = (magic, getattr(magic, "__self__", None), getattr(getattr(magic, "_build", None), "__self__", None))
    capture = next((c for c in (getattr(o, "capture", None) for o in owners) if c is not None), None)
    session = getattr(getattr(capture, "session", None), "id", None)
    notebook = getattr(capture, "notebook_path", None)
    return session, notebook


class HistoryTimeline(MlmWidget):
    """The cell execution timeline (see ``history``); ``cells`` holds one dict per execution."""

    view = traitlets.Unicode("history").tag(sync=True)
    cells = traitlets.List().tag(sync=True)
    scope = traitlets.Unicode("").tag(sync=True)

    def __init__(self, notebook: str | None = None, session: str | None = None, *, client: Any = None) -> None:
        super().__init__(client=client)
        if notebook is None and session is None:
            session, _ = _current_capture()
        self.notebook = notebook
        self.session = session
        self.refresh()

    def refresh(self) -> None:
        """Read the cell records again."""
        frame = self.client.cell_history(notebook=self.notebook, session=self.session)
        if self.notebook is None and self.session is None:
            frame = frame.tail(MAX_CELLS)
        records = list(self._records(frame))
        names = self._run_names({r["run_id"] for r in records if r["run_id"]})
        for record in records:
            record["run_name"] = names.get(record["run_id"] or "", "")
        with self.hold_trait_notifications():
            self.scope = (f"session {self.session[:8]}" if self.session else
                          f"notebook {self.notebook}" if self.notebook else "every recorded cell")
            self.cells = mark_stale(records)

    @staticmethod
    def _records(frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
        epoch = pd.Timestamp(0, tz="UTC")
        for order, row in enumerate(frame.itertuples(index=False), start=1):
            data = row._asdict()
            start = data.get("start_time")
            source = _text(data.get("source")) or ""
            yield {
                "order": order, "record_id": data.get("record_id"),
                "execution_count": None if pd.isna(data.get("execution_count")) else int(data["execution_count"]),
                "cell_id": _text(data.get("cell_id")),
                "start": None if start is None or pd.isna(start) else (start - epoch) / pd.Timedelta(seconds=1),
                "duration": None if pd.isna(data.get("duration")) else float(data["duration"]),
                "success": bool(data.get("success")), "error": _text(data.get("error_type")) or "",
                "run_id": _text(data.get("run_id")),
                "source": source[:2000], "first_line": next((line for line in source.splitlines() if line.strip()), ""),
                "names_read": _names(data.get("names_read")), "names_written": _names(data.get("names_written")),
            }

    def _run_names(self, run_ids: set[str]) -> dict[str, str]:
        if not run_ids:
            return {}
        ids = ", ".join(f"'{r}'" for r in sorted(run_ids) if all(c.isalnum() or c in "-_" for c in r))
        if not ids:
            return {}
        frame = self.client.search_runs(f"attributes.run_id IN ({ids})", max_results=len(run_ids))
        return dict(zip(frame["run_id"], frame["name"]))

    def _rows(self) -> list[list[Any]]:
        return [[c["order"], f"[{c['execution_count']}]" if c["execution_count"] is not None else "",
                 f"{c['duration']:.3f}s" if c["duration"] is not None else "",
                 "ok" if c["success"] else f"error {c['error']}", c["run_name"] or "",
                 ("stale: " + c["stale_reason"]) if c["stale"] else ("superseded" if c["superseded"] else ""),
                 c["first_line"][:60]] for c in self.cells]

    def fallback_html(self) -> str:
        import html

        rows = []
        for row, cell in zip(self._rows(), self.cells):
            style = ' style="background:var(--jp-warn-color3,#fff3e0)"' if cell["stale"] else ""
            rows.append(f"<tr{style}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        head = "".join(f"<th>{h}</th>" for h in ("#", "exec", "duration", "status", "run", "note", "source"))
        return (f"<table class='mlm-fallback'><caption>Cell history ({html.escape(self.scope)}): "
                f"{len(self.cells)} executions</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                "</tbody></table>")

    def fallback_text(self) -> str:
        return (f"Cell history ({self.scope}): {len(self.cells)} executions\n"
                + text_table(["#", "exec", "duration", "status", "run", "note", "source"], self._rows()))


def history(notebook: str | None = None, session: str | None = None, *, client: Any = None) -> HistoryTimeline:
    """The cell execution timeline: order, duration, status, runs created, stale cells highlighted.

    Args:
        notebook: the cells of this notebook path (every session).
        session: the cells of this recording session id.

    With neither, it shows this kernel's session (``%load_ext mlm_jupyter``
    records it), or every recorded cell outside a recording kernel.
    """
    return HistoryTimeline(notebook, session, client=client)
