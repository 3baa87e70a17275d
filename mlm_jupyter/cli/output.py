"""Printing for the CLI: readable tables for people, JSON for machines, errors as exit codes."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import click

from mlm_jupyter.core.errors import MlmError

__all__ = ["client_from", "echo_frame", "echo_json", "fail"]


def client_from(ctx: click.Context) -> Any:
    from mlm_jupyter.tracking.client import MlmClient

    return MlmClient((ctx.obj or {}).get("store"))


def _plain(value: Any) -> Any:
    """A JSON value for one DataFrame cell: missing (NaN, NaT, NA) is ``null``, infinities are text."""
    if isinstance(value, float):
        if math.isnan(value):  # a run without this param/metric/tag (JSON has no NaN)
            return None
        return str(value) if math.isinf(value) else value
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))):  # NaT, pd.NA
        return None
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, default=str, indent=2, ensure_ascii=False))


def echo_frame(frame: Any, as_json: bool, *, max_width: int = 40) -> None:
    """Print a DataFrame as an aligned table, or as a JSON list of records."""
    if as_json:
        records = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        echo_json(records)
        return
    if frame.empty:
        click.echo("(no rows)")
        return
    shown = frame.copy()
    for column in shown.columns:
        if str(shown[column].dtype).startswith("datetime64"):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M:%S")
        elif shown[column].dtype == object:  # to_string prints None as "None" (na_rep covers NaN only)
            shown[column] = shown[column].map(lambda value: "" if value is None else _printable(value))
        elif str(shown[column].dtype) in ("str", "string"):  # pandas' text dtypes keep their missing values
            shown[column] = shown[column].map(_printable, na_action="ignore")
    text = shown.to_string(index=False, max_colwidth=max_width, na_rep="")
    click.echo(text)


def _cell_json(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(value) if math.isinf(value) else value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell_text(value: Any, max_width: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(_printable(value))
    return text if len(text) <= max_width else text[:max_width - 3] + "..."


def echo_rows(columns: list[str], rows: list[dict[str, Any]], as_json: bool, *, max_width: int = 40) -> None:
    """Print rows (dicts) as an aligned table, or as a JSON list of records, without pandas."""
    if as_json:
        echo_json([{c: _cell_json(row.get(c)) for c in columns} for row in rows])
        return
    if not rows:
        click.echo("(no rows)")
        return
    cells = [[_cell_text(row.get(c), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo(" ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in cells:
        click.echo(" ".join(v.rjust(w) for v, w in zip(r, widths)))


def _printable(value: Any) -> Any:
    """Text with control characters escaped (``\\x00``, ``\\x1b``): a stored name must not drive the terminal."""
    if not isinstance(value, str) or value.isprintable():
        return value
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)


def fail(error: MlmError) -> None:
    click.secho(f"error [{error.code}]: {error.message}", fg="red", err=True)
    raise SystemExit(1)
