"""Reading back a time range of a model version's logs: merged window summaries, or the raw rows.

Summaries are merged from every writer's files of every window that
overlaps the range (a window counts whole: ranges are as fine as the
monitor's window, one hour by default). When a range has raw logs but no
summaries (a process killed before it wrote them, logs copied in from
elsewhere), the summary is computed from the raw Parquet files instead.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Mapping

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from mlm_jupyter.core.inference_batch import TIME
from mlm_jupyter.core.summaries import WindowSummary
from mlm_jupyter.tracking.monitor_files import LogLayout

__all__ = ["raw_rows", "window_summary"]


def _window_bounds(folder: Path) -> tuple[float, float] | None:
    _, _, text = folder.name.partition("=")
    start, _, seconds = text.partition("-")
    try:
        return float(start), float(seconds)
    except ValueError:
        return None


def window_summary(layout: LogLayout, model: str, version: int, begin: float, end: float) -> WindowSummary | None:
    """The merged summary of every window overlapping [begin, end), or ``None`` if nothing was summarised."""
    base = layout.summaries_dir(model, version)
    merged: WindowSummary | None = None
    if not base.is_dir():
        return None
    for folder in sorted(base.glob("window=*")):
        bounds = _window_bounds(folder)
        if bounds is None or not (bounds[0] < end and bounds[0] + bounds[1] > begin):
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                sample_path = path.with_suffix(".parquet")
                sample = pq.read_table(sample_path) if sample_path.exists() else None
            except (OSError, ValueError, pa.ArrowInvalid):
                continue  # being replaced right now, or damaged: the other writers still count
            part = WindowSummary.from_dict(data, sample)
            if merged is None:
                merged = WindowSummary(begin, end - begin, bins_key=part.bins_key)
            merged.merge_from(part)
    return merged


def _hour_range(begin: float, end: float) -> set[str]:
    hours = set()
    moment = int(begin // 3600) * 3600
    while moment < end:
        hours.add(time.strftime("%Y%m%d%H", time.gmtime(moment)))
        moment += 3600
    return hours


def raw_rows(layout: LogLayout, model: str, version: int, begin: float, end: float,
             columns: list[str] | None = None) -> pa.Table | None:
    """The raw logged rows of [begin, end) (``None`` if there are none)."""
    base = layout.version_dir("inference", model, version)
    hours = _hour_range(begin, end)
    files = [str(p) for folder in base.glob("hour=*") if folder.name.partition("=")[2] in hours
             for p in folder.glob("*.parquet")] if base.is_dir() else []
    if not files:
        return None
    dataset = ds.dataset(files, format="parquet")
    stamp = pa.timestamp("us", tz="UTC")
    predicate = (ds.field(TIME) >= pa.scalar(int(begin * 1e6), pa.int64()).cast(stamp)) & \
                (ds.field(TIME) < pa.scalar(int(end * 1e6), pa.int64()).cast(stamp))
    table = dataset.to_table(columns=columns, filter=predicate)
    return table if table.num_rows else None


def summary_from_rows(table: pa.Table, begin: float, end: float,
                      bins: Mapping[str, tuple[float, float]] | None = None, bins_key: str = "") -> WindowSummary:
    summary = WindowSummary(begin, end - begin, bins_key=bins_key if bins else "")
    summary.add(table, bins)
    return summary


def logged_rows(layout: LogLayout, model: str, version: int) -> dict[str, Any]:
    """Rows and last time logged for a version (from the summaries), for ``mlm monitor ls``."""
    base = layout.summaries_dir(model, version)
    rows, last = 0, None
    for path in base.glob("window=*/*.json") if base.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rows += int(data.get("rows") or 0)
        if data.get("last") is not None:
            last = max(last or 0.0, float(data["last"]))
    return {"rows": rows, "last": last}
