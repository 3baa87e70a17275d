"""Mergeable summaries of logged rows: per column counts, nulls, range, moments, histograms, categories,
plus a bounded uniform reservoir sample of the raw rows.

A ``WindowSummary`` describes the rows of one time window as seen by one
writer; summaries of the same window from many processes, or of many windows,
merge exactly (counts add, ranges widen, category counts add up to a bound,
histograms on the same bins add) and their reservoirs merge into a uniform
sample of the union. Drift tests read the merged sample; skew checks read the
exact counts.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["HIST_BINS", "MAX_CATEGORIES", "SAMPLE_ROWS", "ColumnSummary", "Reservoir", "WindowSummary",
           "column_kind", "histogram", "numeric_values", "summarize_table"]

HIST_BINS = 20
"""Equal-width bins over the reference's [min, max]; two more bins count values below and above it."""
MAX_CATEGORIES = 200
"""Distinct categories counted per column; rarer ones beyond this fold into ``other``."""
SAMPLE_ROWS = 5000
"""Rows a window's reservoir sample keeps."""


def column_kind(arrow_type: pa.DataType) -> str:
    """``numeric``, ``bool``, ``categorical``, ``temporal`` or ``other``."""
    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "categorical"
    if pa.types.is_temporal(t):
        return "temporal"
    return "other"


def numeric_values(column: pa.Array | pa.ChunkedArray, keep_nan: bool = False) -> np.ndarray:
    """The column as float64 with nulls (and NaN, unless ``keep_nan``) dropped."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for chunk in chunks:  # per chunk: combine_chunks() copies slowly, to_numpy of a chunk is a view
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.cast(chunk.type.value_type)
        if chunk.null_count:
            chunk = chunk.drop_null()
        parts.append(chunk.to_numpy(zero_copy_only=False).astype(np.float64, copy=False))
    values = np.concatenate(parts) if len(parts) != 1 else parts[0]
    if keep_nan:
        kept: np.ndarray = values
        return kept
    nan = np.isnan(values)
    result: np.ndarray = values[~nan] if nan.any() else values
    return result


_scratch = threading.local()
_MAX_SCRATCH = 1 << 22  # values a thread's reused work arrays grow to (64 MB for the pair), at most


def _buffers(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's float64 and intp work arrays of at least ``rows`` values, reused from call to call.

    A fresh temporary of a few MB comes from ``mmap`` each time, and its first-touch page faults cost
    several times the arithmetic (measured: ~35 ns a value instead of ~1 on a virtual machine).
    """
    if rows > _MAX_SCRATCH:  # a rare huge batch gets temporaries: a thread does not keep it pinned for life
        return np.empty(rows, np.float64), np.empty(rows, np.intp)
    floats: np.ndarray | None = getattr(_scratch, "floats", None)
    if floats is None or len(floats) < rows:
        size = max(rows, 1 << 16)
        _scratch.floats, _scratch.ints = np.empty(size, np.float64), np.empty(size, np.intp)
    return _scratch.floats[:rows], _scratch.ints[:rows]


def histogram(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Counts over ``HIST_BINS`` equal bins of [low, high] plus one bin below and one above (int64).

    A few passes over the values in reused work arrays (shift, scale, clip, truncate, count); the bin of a
    value equal to ``high`` is the last inner one, looked for only when the top bin is not empty.
    """
    width = (high - low) / HIST_BINS if high > low else 1.0
    scaled, index = _buffers(len(values))
    np.subtract(values, low, out=scaled, dtype=np.float64)  # a value in bin k (k = 1..HIST_BINS) -> [k, k+1)
    scaled *= 1.0 / width
    scaled += 1.0
    np.clip(scaled, 0, HIST_BINS + 1, out=scaled)
    np.copyto(index, scaled, casting="unsafe")  # truncation: the values are >= 0
    counts = np.bincount(index, minlength=HIST_BINS + 2)
    # a value equal to ``high`` belongs in the last inner bin: find where the same arithmetic put it
    landed = min(int((np.float64(high) - low) * (1.0 / width) + 1.0), HIST_BINS + 1)
    if landed != HIST_BINS and counts[landed]:
        top = int(np.count_nonzero(values == high))
        counts[landed] -= top
        counts[HIST_BINS] += top
    return counts


def _category_counts(column: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    counts = pc.value_counts(column.drop_null())
    values = counts.field("values").to_pylist()
    return {str(v): int(c) for v, c in zip(values, counts.field("counts").to_pylist())}


def _json_float(value: float | None) -> float | str | None:
    return value if value is None or math.isfinite(value) else repr(float(value))  # 'inf', '-inf', 'nan'


def _read_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass
class ColumnSummary:
    """Exact, mergeable facts about one column in one window."""

    kind: str
    dtypes: list[str] = field(default_factory=list)
    count: int = 0
    nulls: int = 0
    min: float | None = None
    max: float | None = None
    sum: float = 0.0
    sumsq: float = 0.0
    hist: list[int] | None = None
    categories: dict[str, int] = field(default_factory=dict)
    other: int = 0

    @property
    def rows(self) -> int:
        return self.count + self.nulls

    @property
    def null_rate(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count and self.kind == "numeric" else None

    @property
    def std(self) -> float | None:
        if not self.count or self.kind != "numeric":
            return None
        mean = self.sum / self.count
        return math.sqrt(max(self.sumsq / self.count - mean * mean, 0.0))

    def merge(self, other: ColumnSummary) -> ColumnSummary:
        kind = self.kind if self.kind == other.kind else "mixed"
        hist = None
        if self.hist is not None and other.hist is not None and len(self.hist) == len(other.hist):
            hist = [a + b for a, b in zip(self.hist, other.hist)]
        elif self.count == 0 or other.count == 0:
            hist = self.hist if other.count == 0 else other.hist
        categories = dict(self.categories)
        for key, value in other.categories.items():
            categories[key] = categories.get(key, 0) + value
        extra = 0
        if len(categories) > MAX_CATEGORIES:
            keep = sorted(categories.items(), key=lambda kv: -kv[1])
            extra = sum(v for _, v in keep[MAX_CATEGORIES:])
            categories = dict(keep[:MAX_CATEGORIES])
        bounds = [b for b in (self.min, other.min) if b is not None]
        tops = [b for b in (self.max, other.max) if b is not None]
        return ColumnSummary(kind=kind, dtypes=sorted(set(self.dtypes) | set(other.dtypes)),
                             count=self.count + other.count, nulls=self.nulls + other.nulls,
                             min=min(bounds) if bounds else None, max=max(tops) if tops else None,
                             sum=self.sum + other.sum, sumsq=self.sumsq + other.sumsq, hist=hist,
                             categories=categories, other=self.other + other.other + extra)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: an infinite min or max (a feature that took the value inf) is written as text."""
        return {"kind": self.kind, "dtypes": self.dtypes, "count": self.count, "nulls": self.nulls,
                "min": _json_float(self.min), "max": _json_float(self.max), "sum": _json_float(self.sum),
                "sumsq": _json_float(self.sumsq), "hist": self.hist,
                "categories": self.categories, "other": self.other}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSummary:
        return cls(kind=str(data["kind"]), dtypes=list(data.get("dtypes") or []), count=int(data["count"]),
                   nulls=int(data["nulls"]), min=_read_float(data.get("min")), max=_read_float(data.get("max")),
                   sum=float(data.get("sum", 0)),
                   sumsq=float(data.get("sumsq", 0)), hist=data.get("hist"),
                   categories={str(k): int(v) for k, v in (data.get("categories") or {}).items()},
                   other=int(data.get("other", 0)))


def summarize_column(column: pa.ChunkedArray | pa.Array, bins: tuple[float, float] | None = None) -> ColumnSummary:
    """One column's summary; ``bins`` is the reference's (min, max) for the histogram."""
    from mlm_jupyter.core.fingerprint_tables import arrow_logical_type

    kind = column_kind(column.type)
    summary = ColumnSummary(kind=kind, dtypes=[arrow_logical_type(column.type)])
    rows = len(column)
    if kind == "numeric":
        values = numeric_values(column, keep_nan=True)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: the sum says "not finite", enough
            total = float(values.sum()) if len(values) else 0.0
            if not math.isfinite(total):  # NaN or inf somewhere (one pass found it): drop the NaN
                nan = np.isnan(values)
                if nan.any():
                    values = values[~nan]
                    total = float(values.sum()) if len(values) else 0.0
        summary.count = int(len(values))
        summary.nulls = rows - summary.count
        if summary.count:
            summary.min, summary.max = float(values.min()), float(values.max())
            if math.isfinite(summary.min) and math.isfinite(summary.max):
                summary.sum = total
                # one pass with no temporary and no BLAS (np.dot's threads thrash on a busy host)
                summary.sumsq = float(np.einsum("i,i->", values, values))
            if bins is not None:
                summary.hist = histogram(values, bins[0], bins[1]).tolist()
        elif bins is not None:
            summary.hist = [0] * (HIST_BINS + 2)
        return summary
    summary.nulls = int(column.null_count)
    summary.count = rows - summary.nulls
    if kind in ("categorical", "bool") and summary.count:
        counts = _category_counts(column)
        if len(counts) > MAX_CATEGORIES:
            keep = sorted(counts.items(), key=lambda kv: -kv[1])
            summary.other = sum(v for _, v in keep[MAX_CATEGORIES:])
            counts = dict(keep[:MAX_CATEGORIES])
        summary.categories = counts
    return summary


def summarize_table(table: pa.Table, bins: Mapping[str, tuple[float, float]] | None = None,
                    columns: list[str] | None = None) -> dict[str, ColumnSummary]:
    """Summaries of ``columns`` (default: all) of ``table``."""
    bins = bins or {}
    return {name: summarize_column(table.column(name), bins.get(name))
            for name in (columns if columns is not None else table.column_names)}


@dataclass
class Reservoir:
    """A uniform sample (without replacement) of at most ``cap`` rows out of ``seen`` rows."""

    table: pa.Table | None = None
    seen: int = 0
    cap: int = SAMPLE_ROWS

    @classmethod
    def of(cls, table: pa.Table, cap: int = SAMPLE_ROWS, rng: np.random.Generator | None = None) -> Reservoir:
        rows = table.num_rows
        if rows > cap:
            rng = rng or np.random.default_rng()
            table = table.take(pa.array(np.sort(rng.choice(rows, cap, replace=False))))
        return cls(table, rows, cap)

    def merge(self, other: Reservoir, rng: np.random.Generator | None = None) -> Reservoir:
        if other.table is None or other.seen == 0:
            return self
        if self.table is None or self.seen == 0:
            return Reservoir(other.table, other.seen, self.cap)
        total = self.seen + other.seen
        if total <= self.cap:
            both = pa.concat_tables([self.table, other.table], promote_options="permissive")
            return Reservoir(both, total, self.cap)
        rng = rng or np.random.default_rng()
        # how many of the cap rows come from each side: a draw without replacement from the union
        mine = int(rng.hypergeometric(self.seen, other.seen, self.cap))
        theirs = self.cap - mine
        parts = []
        for reservoir, take in ((self, mine), (other, theirs)):
            assert reservoir.table is not None
            if take:
                picks = np.sort(rng.choice(reservoir.table.num_rows, take, replace=False))
                parts.append(reservoir.table.take(pa.array(picks)))
        return Reservoir(pa.concat_tables(parts, promote_options="permissive"), total, self.cap)


@dataclass
class WindowSummary:
    """Everything known about the rows of one window: counts per column and a reservoir sample."""

    start: float
    seconds: float
    rows: int = 0
    bins_key: str = ""
    columns: dict[str, ColumnSummary] = field(default_factory=dict)
    sample: Reservoir = field(default_factory=Reservoir)
    first: float | None = None
    last: float | None = None

    def add(self, table: pa.Table, bins: Mapping[str, tuple[float, float]] | None = None,
            times: tuple[float, float] | None = None) -> None:
        """Fold the rows of ``table`` (all inside this window) in."""
        self.merge_from(WindowSummary(self.start, self.seconds, table.num_rows, self.bins_key,
                                      summarize_table(table, bins), Reservoir.of(table, self.sample.cap),
                                      *(times or (None, None))))

    def merge_from(self, other: WindowSummary) -> None:
        if other.bins_key != self.bins_key:  # histograms on other bins cannot add up
            for summary in (*self.columns.values(), *other.columns.values()):
                summary.hist = None
            self.bins_key = ""
        for name, summary in other.columns.items():
            mine = self.columns.get(name)
            if mine is None:
                # rows logged before this column appeared had it missing: count them as nulls
                summary = ColumnSummary.from_dict(summary.to_dict())
                summary.nulls += self.rows
                if summary.hist is not None and self.rows:
                    summary.hist = None
                self.columns[name] = summary
            else:
                self.columns[name] = mine.merge(summary)
        for name, mine in self.columns.items():
            if name not in other.columns and other.rows:
                mine.nulls += other.rows
        self.rows += other.rows
        self.sample = self.sample.merge(other.sample)
        stamps = [t for t in (self.first, other.first) if t is not None]
        self.first = min(stamps) if stamps else None
        stamps = [t for t in (self.last, other.last) if t is not None]
        self.last = max(stamps) if stamps else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form without the sample (stored beside it as Parquet)."""
        return {"start": self.start, "seconds": self.seconds, "rows": self.rows, "bins_key": self.bins_key,
                "first": self.first, "last": self.last, "sample_seen": self.sample.seen,
                "columns": {k: v.to_dict() for k, v in self.columns.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], sample: pa.Table | None = None) -> WindowSummary:
        return cls(start=float(data["start"]), seconds=float(data["seconds"]), rows=int(data["rows"]),
                   bins_key=str(data.get("bins_key") or ""),
                   columns={k: ColumnSummary.from_dict(v) for k, v in (data.get("columns") or {}).items()},
                   sample=Reservoir(sample, int(data.get("sample_seen") or (sample.num_rows if sample else 0))),
                   first=data.get("first"), last=data.get("last"))
