"""Per-column profiles (counts, nulls, distinct, moments, quantiles, histogram, top values) from a row sample.

A profile is small JSON (a few hundred bytes per column) stored with every
fingerprint; later it is the reference for drift and serving-skew checks.
Large tables are profiled from a deterministic uniform sample of
``SAMPLE_ROWS`` rows seeded by the table's digest, so the same data always
gets the same profile; tables that fit in the sample are profiled exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["HISTOGRAM_BINS", "QUANTILES", "SAMPLE_ROWS", "TOP_K", "profile_column", "sample_indices"]

SAMPLE_ROWS = 100_000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 10
TOP_K = 10
_MAX_TEXT = 80


def sample_indices(rows: int, seed: int, size: int = SAMPLE_ROWS) -> np.ndarray | None:
    """Sorted row positions of a uniform sample without replacement (``None``: take every row).

    Stratified: one row drawn at random from each of ``size`` equal slices of the
    rows, so every row has the same chance, the positions come out sorted and
    unique, and drawing them costs ~1 ms (no shuffle, no sort).
    """
    if rows <= size:
        return None
    rng = np.random.default_rng(seed)
    edges = np.arange(size + 1, dtype=np.int64) * rows // size  # slice k is [edges[k], edges[k + 1]), never empty
    return edges[:-1] + (rng.random(size) * np.diff(edges)).astype(np.int64)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def _label(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.hex()
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return _num(value)
    return _label(str(value))


def _estimate_distinct(seen: int, singletons: int, nonnull: int, total_nonnull: int) -> int:
    if total_nonnull <= nonnull:
        return int(seen)
    # GEE estimator (Charikar et al.): scale up the values seen once in the sample.
    estimate = math.sqrt(total_nonnull / nonnull) * singletons + (seen - singletons)
    return int(min(round(estimate), total_nonnull))


def _distinct(counts: pa.StructArray | None, nonnull: int, total_nonnull: int) -> int:
    if counts is None or nonnull == 0:
        return 0
    frequencies = counts.field("counts").to_numpy(zero_copy_only=False)
    return _estimate_distinct(len(frequencies), int((frequencies == 1).sum()), nonnull, total_nonnull)


def _quantile(ordered: np.ndarray, q: float) -> float:
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _numeric(values: np.ndarray, entry: dict[str, Any], total_nonnull: int) -> None:
    # One sort gives min, max, quantiles, histogram and the distinct/singleton counts.
    finite = values[np.isfinite(values)]
    if len(finite) < len(values):
        entry["infinite"] = int(len(values) - len(finite))
    if not len(finite):
        return
    ordered = np.sort(finite)
    low, high = float(ordered[0]), float(ordered[-1])
    entry.update(min=_num(low), max=_num(high), mean=_num(ordered.mean()),
                 std=_num(ordered.std(ddof=1)) if len(ordered) > 1 else 0.0)
    entry["quantiles"] = [_num(_quantile(ordered, q)) for q in QUANTILES]
    edges = np.linspace(low, high if high > low else low + 1, HISTOGRAM_BINS + 1)
    cuts = np.searchsorted(ordered, edges[1:-1], side="left")
    entry["histogram"] = [int(c) for c in np.diff(np.concatenate(([0], cuts, [len(ordered)])))]
    runs = np.diff(np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True]))))
    seen, singletons = len(runs), int((runs == 1).sum())
    entry["distinct"] = _estimate_distinct(seen, singletons, len(values), total_nonnull)


def _top(counts: pa.StructArray, nonnull: int) -> list[list[Any]]:
    frequencies = counts.field("counts").to_numpy(zero_copy_only=False)
    order = np.argsort(-frequencies, kind="stable")[:TOP_K]
    values = counts.field("values")
    return [[_label(values[int(i)].as_py()), _num(frequencies[int(i)] / nonnull)] for i in order]


def _duration_label(count: int, unit: str) -> str:
    """ISO 8601 text of a duration of ``count`` ``unit`` (whatever the unit, e.g. ``P0DT0H0M1S``)."""
    import pandas as pd

    try:
        return str(pd.Timedelta(count, unit=unit).isoformat())
    except (OverflowError, ValueError):  # beyond pandas' ~292 years
        return f"{count} {unit}"


def _temporal_bounds(column: pa.Array | pa.ChunkedArray, t: pa.DataType) -> tuple[Any, Any]:
    """Min and max as text; durations go through int64 (Arrow's min_max has no duration kernel)."""
    if pa.types.is_duration(t):
        bounds = pc.min_max(column.cast(pa.int64()))
        return _duration_label(bounds["min"].as_py(), t.unit), _duration_label(bounds["max"].as_py(), t.unit)
    try:
        bounds = pc.min_max(column)
    except pa.ArrowNotImplementedError:  # e.g. month_day_nano intervals: no order to report
        return None, None
    return _label(bounds["min"].as_py()), _label(bounds["max"].as_py())


def profile_column(column: pa.Array | pa.ChunkedArray, total_rows: int) -> dict[str, Any]:
    """Profile one (possibly sampled) column; counts are scaled to ``total_rows``.

    Keys: ``count`` (non-null), ``nulls``, ``null_fraction``, ``distinct`` (an
    estimate when sampled), ``sample`` (rows looked at); numbers add ``min``,
    ``max``, ``mean``, ``std``, ``quantiles`` (at ``QUANTILES``) and
    ``histogram`` (``HISTOGRAM_BINS`` equal-width bins over [min, max]);
    strings, categories and booleans add ``top`` ([value, frequency] pairs);
    times add ``min``/``max`` as ISO text. Float NaN counts as null here.
    """
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type) if isinstance(column, pa.Array) else pc.cast(column, t.value_type)
        t = column.type
    if isinstance(t, pa.ExtensionType):
        column = column.storage if isinstance(column, pa.Array) else pa.chunked_array(
            [c.storage for c in column.chunks], t.storage_type)
        t = column.type
    if pa.types.is_floating(t):
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, t), column)
    sampled = len(column)
    nulls = column.null_count
    nonnull = sampled - nulls
    scale = total_rows / sampled if sampled else 1.0
    entry: dict[str, Any] = {
        "count": int(round(nonnull * scale)), "nulls": int(round(nulls * scale)),
        "null_fraction": _num(nulls / sampled) if sampled else 0.0, "sample": sampled,
    }
    nested = pa.types.is_nested(t)
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    counts = None if nested or numeric or nonnull == 0 else pc.value_counts(column.drop_null())
    entry["distinct"] = _distinct(counts, nonnull, int(round(nonnull * scale)))
    if nonnull == 0 or nested:
        return entry
    if numeric:
        entry["kind"] = "numeric"
        _numeric(column.drop_null().cast(pa.float64()).to_numpy(zero_copy_only=False), entry,
                 int(round(nonnull * scale)))
    elif pa.types.is_temporal(t):
        entry["kind"] = "temporal"
        entry["min"], entry["max"] = _temporal_bounds(column, t)
    elif pa.types.is_boolean(t) or pa.types.is_string(t) or pa.types.is_large_string(t) \
            or pa.types.is_string_view(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        entry["kind"] = "bool" if pa.types.is_boolean(t) else "categorical"
        assert counts is not None
        entry["top"] = _top(counts, nonnull)
        if not pa.types.is_boolean(t):
            lengths = pc.utf8_length(column) if "string" in str(t) else pc.binary_length(column)
            entry["mean_length"] = _num(pc.mean(lengths).as_py())
    return entry
