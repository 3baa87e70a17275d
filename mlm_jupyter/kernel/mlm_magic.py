"""``%mlm runs|compare|registry|history|sql "..."|status|notebook PATH``: look at the store from a cell.

``runs``, ``compare``, ``registry`` and ``history`` show the widgets of
``mlm_jupyter.widgets`` when they are installed, else DataFrames. Mistakes
(bad SQL, unknown run) print one ``mlm:`` line; nothing raises into the cell.
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections.abc import Callable
from typing import Any

from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.kernel.capture import CellCapture
from mlm_jupyter.kernel.failsafe import FailSafe
from mlm_jupyter.tracking import fluent

__all__ = ["MlmMagic"]

USAGE = ('usage: %mlm runs [EXPERIMENT] [-e EXPERIMENT] [-f FILTER] | compare [RUN_ID RUN_ID ...] | registry [MODEL] '
         '| history [--session] '
         '| sql "SELECT ..." | status | notebook PATH')


def _widget(name: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("mlm_jupyter.widgets")
        fn = getattr(module, name, None)
    except Exception:  # noqa: BLE001 -- widgets not installed or half-built: fall back to DataFrames
        return None
    if not callable(fn):
        return None

    def show(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ImportError:
            return _NO_WIDGET
    return show


_NO_WIDGET = object()
_RUNS_OPTION = re.compile(r"""^(-e|--experiment|-f|--filter)(?:\s+|=)(.*)$""", re.DOTALL)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def runs_arguments(rest: str) -> tuple[str | None, str | None]:
    """``%mlm runs`` arguments -> (experiment, filter).

    ``EXPERIMENT``, ``-e/--experiment EXPERIMENT`` and ``-f/--filter EXPRESSION``
    (the expression is the rest of the line, in the run search language).
    """
    experiment: str | None = None
    filter: str | None = None
    text = rest.strip()
    while text:
        match = _RUNS_OPTION.match(text)
        if match is None:
            if text.startswith("-"):
                raise MlmError(f"unknown option {text.split()[0]!r}; {USAGE}")
            experiment = _unquote(text)
            break
        flag, tail = match.group(1), match.group(2).strip()
        if flag in ("-f", "--filter"):
            filter = _unquote(tail)
            break
        quoted = re.match(r"""^("[^"]*"|'[^']*'|\S+)\s*(.*)$""", tail, re.DOTALL)
        if quoted is None:
            raise MlmError(f"{flag} needs an experiment name; {USAGE}")
        experiment, text = _unquote(quoted.group(1)), quoted.group(2).strip()
    return experiment or None, filter or None


class MlmMagic:
    """The ``%mlm`` line magic bound to one capture."""

    def __init__(self, capture: CellCapture, failsafe: FailSafe) -> None:
        self.capture = capture
        self.failsafe = failsafe

    def __call__(self, line: str) -> Any:
        command, _, rest = line.strip().partition(" ")
        handler = getattr(self, f"_{command}", None) if command else None
        if handler is None:
            print(f"mlm: {USAGE}")
            return None
        try:
            return handler(rest.strip())
        except MlmError as error:
            print(f"mlm: {error}")
        except Exception as error:  # noqa: BLE001 -- a magic never breaks the cell
            self.failsafe.report(f"%mlm {command}", error)
            print(f"mlm: %mlm {command} failed ({type(error).__name__}: {error}); details are in the kernel log")
        return None

    # ------------------------------------------------------------ commands

    def _runs(self, rest: str) -> Any:
        experiment, filter = runs_arguments(rest)
        widget = _widget("runs")
        shown = widget(experiment=experiment, filter=filter) if widget is not None else _NO_WIDGET
        if shown is not _NO_WIDGET:
            return shown
        return fluent.get_client().search_runs(filter, experiment=experiment,
                                               order_by=["attributes.start_time desc"])

    def _compare(self, rest: str) -> Any:
        ids = shlex.split(rest)
        widget = _widget("compare")
        if not ids and widget is not None:  # the rows selected last in a runs table
            shown = widget(None)
            if shown is not _NO_WIDGET:
                return shown
        if len(ids) < 2:
            raise MlmError("%mlm compare needs two or more run ids (or rows selected in a runs table)")
        shown = widget(ids) if widget is not None else _NO_WIDGET
        if shown is not _NO_WIDGET:
            return shown
        from mlm_jupyter.tracking.runs import _runs_frame

        client = fluent.get_client()
        client.flush()
        return _runs_frame(client.store.read("search_runs", run_ids=ids, max_results=len(ids))).set_index("run_id").T

    def _registry(self, rest: str) -> Any:
        widget = _widget("registry")
        shown = (widget(rest) if rest else widget()) if widget is not None else _NO_WIDGET
        if shown is not _NO_WIDGET:
            return shown
        client = fluent.get_client()
        lister = getattr(client, "search_model_versions", None) or getattr(client, "list_models", None)
        if lister is None:
            raise MlmError("the model registry is not installed in this version of mlm-jupyter")
        return lister(rest) if rest else lister()

    def _history(self, rest: str) -> Any:
        widget = _widget("history")
        shown = widget() if widget is not None and rest not in ("--table", "--session") else _NO_WIDGET
        if shown is not _NO_WIDGET:
            return shown
        client = fluent.get_client()
        if rest == "--session" or self.capture.notebook_path is None:
            frame = client.cell_history(session=self.capture.session.id)
        else:
            frame = client.cell_history(notebook=self.capture.notebook_path)
        keep = ["execution_count", "start_time", "duration", "success", "error_type", "cell_id", "notebook_index",
                "names_written", "run_id", "source"]
        return frame[[c for c in keep if c in frame.columns]]

    def _sql(self, rest: str) -> Any:
        statement = rest
        if len(statement) >= 2 and statement[0] == statement[-1] and statement[0] in "'\"":
            statement = statement[1:-1]
        if not statement:
            raise MlmError('%mlm sql needs a statement: %mlm sql "SELECT * FROM runs"')
        return fluent.get_client().sql(statement)

    def _status(self, rest: str) -> Any:
        import pandas as pd

        client = fluent.get_client()
        client.flush_cells()  # waits for the cells that have finished to be recorded
        described = client.store.describe()
        counts = {**client.store.read("counts"), **client.store.read("cell_counts")}
        values = self.capture.values
        rows = {
            "store": described.get("directory") or described.get("url"),
            "backend": described.get("backend"),
            "mode": described.get("mode") or (f"through the Jupyter server at {described.get('url')}"
                                              if described.get("backend") == "rest" else None),
            "notebook": self.capture.notebook_path or "(unknown)", "kernel id": self.capture.session.kernel_id,
            "session": self.capture.session.id, "cells recorded (this session)": self.capture.recorded,
            "data fingerprints": "on" if self.capture.data_enabled else "off (no fingerprint engine)",
            "fingerprint cache": f"{values.hits} hits, {values.hashes} hashes" if values else "-",
            "values not fingerprinted": ", ".join(f"{k} ({n})" for k, n in self.capture.unsupported.items()) or "-",
            "capture failures": sum(self.failsafe.failures.values()),
            **counts,
        }
        return pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))

    def _notebook(self, rest: str) -> Any:
        from mlm_jupyter.kernel.session import resolve_notebook

        path = resolve_notebook(_unquote(rest))  # this kernel only: no environment variable changes
        if path is None:
            raise MlmError(f"no notebook file at {rest!r}")
        self.capture.set_notebook(path)
        print(f"mlm: matching cells against {path}")
        return None
