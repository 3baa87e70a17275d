"""Static HTML and text renderings of tables for the widgets' nbviewer/GitHub fallbacks."""

from __future__ import annotations

import html
import math
import sys
from datetime import datetime, timezone
from typing import Any, Sequence

__all__ = ["cell_text", "html_table", "text_table"]

_STYLE = ("border-collapse:collapse;font-size:12px;font-family:var(--jp-ui-font-family,sans-serif);"
          "color:var(--jp-ui-font-color1,inherit)")
_CELL = "border:1px solid var(--jp-border-color2,#ddd);padding:2px 6px;text-align:left"


def cell_text(value: Any) -> str:
    """One value as short text: floats to 6 significant digits, datetimes to the minute, None to ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    pd = sys.modules.get("pandas")  # not imported: the value is no pandas object (and a repr imports none)
    if pd is None:
        return str(value)
    try:
        if value is pd.NaT or (not isinstance(value, (str, bytes)) and pd.isna(value)):
            return ""
        if isinstance(value, pd.Timestamp):
            return str(value.strftime("%Y-%m-%d %H:%M"))
    except (TypeError, ValueError):
        pass
    return str(value)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str = "",
               highlight: Sequence[bool] | None = None, css_class: str = "mlm-fallback") -> str:
    """A small, self-styled HTML table (rows of values already in display order)."""
    parts = [f'<table class="{css_class}" style="{_STYLE}">']
    if caption:
        parts.append(f'<caption style="text-align:left;font-weight:600;padding:4px 0">{html.escape(caption)}'
                     "</caption>")
    parts.append("<thead><tr>" + "".join(f'<th style="{_CELL}">{html.escape(str(h))}</th>' for h in headers)
                 + "</tr></thead><tbody>")
    for index, row in enumerate(rows):
        marked = highlight is not None and highlight[index]
        style = ' style="background:var(--jp-warn-color3,#fff3cd)"' if marked else ""
        parts.append(f"<tr{style}>" + "".join(f'<td style="{_CELL}">{html.escape(cell_text(v))}</td>'
                                               for v in row) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 40) -> str:
    """A fixed-width text table for ``text/plain``."""
    cells = [[cell_text(v)[:max_width] for v in row] for row in rows]
    widths = [len(str(h)[:max_width]) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = "  ".join(str(h)[:max_width].ljust(w) for h, w in zip(headers, widths))
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])
