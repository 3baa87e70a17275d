"""Bottom-k sketches of row hashes and the row-overlap estimates they give (train/test leakage).

Each row gets a 64-bit hash of its values (column by column, in order); the
sketch keeps the ``k`` smallest distinct row hashes plus the row count. Two
sketches estimate the Jaccard similarity of the two row sets, the number of
shared rows and the fraction of each side found in the other. Sketches of
sets smaller than ``k`` hold every hash, so their estimates are exact.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pyarrow as pa

__all__ = ["SKETCH_SIZE", "RowOverlap", "RowSketch", "column_row_hashes", "estimate_overlap", "sketch_rows"]

SKETCH_SIZE = 512
_NULL_HASH = np.uint64(0x6A09E667F3BCC908)
_PRIME = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, vectorised (uint64 arithmetic wraps)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return np.asarray(x ^ (x >> np.uint64(31)))


def _bits(values: np.ndarray) -> np.ndarray:
    """Canonical value bits as uint64 per row (NaN payloads unified)."""
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), np.array(np.nan, values.dtype), values)
    if values.dtype.kind in "mM":
        values = values.view(np.int64)
    if values.dtype.kind == "b":
        values = values.view(np.uint8)
    if values.dtype.itemsize == 8:
        return np.asarray(np.ascontiguousarray(values).view(np.uint64))
    if values.dtype.itemsize < 8:
        return np.ascontiguousarray(values).view(f"u{values.dtype.itemsize}").astype(np.uint64)
    words = np.ascontiguousarray(values).view(np.uint64).reshape(len(values), -1)
    out: np.ndarray = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        out = _mix(out * _PRIME + words[:, j])
    return out


def _object_array_to_arrow(values: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """Arrow form of a numpy object (or string) array; mixed Python types get the fingerprint's typed text."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError):
        from mlm_jupyter.core.fingerprint_tables import pandas_column_to_arrow

        return pandas_column_to_arrow(np.asarray(values, dtype=object))


def _nested_row_hashes(column: pa.Array) -> np.ndarray:
    """Row hashes of list, struct and map values: a hash of each value's Python repr (nulls set by the caller)."""
    from pandas.util import hash_array

    texts = np.array([repr(value) for value in column.to_pylist()], dtype=object)
    return _mix(np.asarray(hash_array(texts, categorize=False), dtype=np.uint64))


def column_row_hashes(column: Any) -> np.ndarray:
    """64-bit hash of each row's value in one column (a numpy array or an Arrow array)."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "biufcmM":
        hashes = _mix(_bits(column))
        if column.dtype.kind in "mM":
            hashes[np.isnat(column)] = _NULL_HASH
        return hashes
    if isinstance(column, np.ndarray):
        column = _object_array_to_arrow(column)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.dictionary_decode()
        t = column.type
    if pa.types.is_temporal(t) and not pa.types.is_interval(t):
        # dates, times, timestamps and durations hash their integer storage (Arrow cannot cast 0 to a date32)
        column = column.view(getattr(pa, f"int{t.bit_width}")())
        t = column.type
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        filled = column.fill_null(pa.scalar(False if pa.types.is_boolean(t) else 0).cast(t))
        hashes = _mix(_bits(filled.to_numpy(zero_copy_only=False)))
    elif pa.types.is_nested(t) or pa.types.is_interval(t):
        hashes = _nested_row_hashes(column)
    else:
        from pandas.util import hash_array

        try:
            hashes = hash_array(column.to_numpy(zero_copy_only=False).astype(object), categorize=False)
        except TypeError:
            hashes = hash_array(np.array([repr(v) for v in column.to_pylist()], dtype=object), categorize=False)
        hashes = _mix(np.asarray(hashes, dtype=np.uint64))
    hashes[~valid] = _NULL_HASH
    return hashes


def combine_row_hashes(columns: Iterable[np.ndarray], rows: int) -> np.ndarray:
    """Fold per-column row hashes (in column order) into one hash per row."""
    combined = np.zeros(rows, dtype=np.uint64)
    for hashes in columns:
        combined = _mix(combined * _PRIME + hashes)
    return combined


@dataclass(frozen=True)
class RowSketch:
    """The ``k`` smallest distinct row hashes (sorted) of a dataset with ``rows`` rows."""

    k: int
    rows: int
    hashes: tuple[int, ...]

    @property
    def exact(self) -> bool:
        """True when the sketch holds every distinct row hash."""
        return len(self.hashes) < self.k

    @property
    def distinct_rows(self) -> float:
        """Estimated number of distinct rows (exact when ``exact``)."""
        if self.exact or not self.hashes:
            return float(len(self.hashes))
        return (self.k - 1) / ((self.hashes[-1] + 1) / 2.0**64)

    def overlap(self, other: RowSketch) -> RowOverlap:
        """Estimated overlap of this dataset's rows with ``other``'s (see ``estimate_overlap``)."""
        return estimate_overlap(self, other)

    def to_dict(self) -> dict[str, Any]:
        raw = np.asarray(self.hashes, dtype="<u8").tobytes()
        return {"k": self.k, "rows": self.rows, "hashes": base64.b64encode(raw).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RowSketch:
        raw = base64.b64decode(data["hashes"])
        return cls(k=int(data["k"]), rows=int(data["rows"]),
                   hashes=tuple(int(h) for h in np.frombuffer(raw, dtype="<u8")))


def sketch_rows(row_hashes: np.ndarray, k: int = SKETCH_SIZE) -> RowSketch:
    """Bottom-k sketch of an array of row hashes."""
    rows = len(row_hashes)
    if rows > 4 * k:
        # Partition first so only a few thousand hashes get sorted; fall back if duplicates crowd it.
        candidates = np.unique(np.partition(row_hashes, 4 * k)[: 4 * k + 1])
        if len(candidates) < k:
            candidates = np.unique(row_hashes)
    else:
        candidates = np.unique(row_hashes)
    return RowSketch(k=k, rows=rows, hashes=tuple(int(h) for h in candidates[:k]))


@dataclass(frozen=True)
class RowOverlap:
    """Estimated overlap of the distinct rows of two datasets ``a`` and ``b``."""

    jaccard: float
    shared_rows: float
    a_in_b: float
    b_in_a: float
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return {"jaccard": self.jaccard, "shared_rows": self.shared_rows, "a_in_b": self.a_in_b,
                "b_in_a": self.b_in_a, "exact": self.exact}


def estimate_overlap(a: RowSketch, b: RowSketch) -> RowOverlap:
    """Estimate row overlap from two sketches (exact when both sketches hold every row hash).

    Both sketches are cut at the smaller of their thresholds (the largest kept
    hash of a full sketch); below it each holds *every* hash of its dataset, so
    the cut sets are two uniform samples of the same hash range and their
    intersection estimates the shared fraction directly.
    """
    limit = min(a.hashes[-1] if not a.exact and a.hashes else 2**64,
                b.hashes[-1] if not b.exact and b.hashes else 2**64)
    cut_a = {h for h in a.hashes if h <= limit}
    cut_b = {h for h in b.hashes if h <= limit}
    shared_cut = len(cut_a & cut_b)
    union_cut = len(cut_a | cut_b)
    jaccard = shared_cut / union_cut if union_cut else 1.0
    b_in_a = shared_cut / len(cut_b) if cut_b else 0.0
    a_in_b = shared_cut / len(cut_a) if cut_a else 0.0
    exact = a.exact and b.exact
    shared = float(shared_cut) if exact else b_in_a * b.distinct_rows
    return RowOverlap(jaccard=jaccard, shared_rows=shared, a_in_b=a_in_b, b_in_a=b_in_a, exact=exact)
