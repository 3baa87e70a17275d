"""Downsampling a metric series for drawing: min/max buckets that keep every spike.

A 1M-point series cannot be drawn (or sent to a browser) as is. Splitting it
into equal buckets and keeping each bucket's smallest and largest value (in
their original order), plus the first and last point, gives a series whose
envelope is exactly the original's: a loss spike or a NaN gap never
disappears, unlike averaging or plain striding. Pure numpy, vectorised.
"""

from __future__ import annotations

import numpy as np

__all__ = ["min_max_indices"]


def min_max_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices (ascending) of at most ``max_points`` points that keep the series' envelope.

    Args:
        values: the series' values in drawing order (NaN allowed).
        max_points: the largest number of indices to return (>= 1).

    Returns:
        An ``int64`` array of indices into ``values``; all of them when the
        series already has ``max_points`` points or fewer.
    """
    values = np.asarray(values, dtype=np.float64)
    count = len(values)
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if count <= max_points:
        return np.arange(count, dtype=np.int64)
    if max_points < 4:
        return np.unique(np.linspace(0, count - 1, max_points).round().astype(np.int64))
    inner = values[1:-1]
    nan_mask = np.isnan(inner)
    if nan_mask.any():  # room for min, max and one NaN per bucket
        buckets = max((max_points - 2) // 3, 1)
        size = -(-len(inner) // buckets)  # ceil: every inner point falls in one bucket
        picks = _buckets_with_nan(inner, nan_mask, buckets, size)
    else:
        size = -(-len(inner) // ((max_points - 2) // 2))
        picks = _buckets(inner, size)
    chosen = np.concatenate([np.array([0, count - 1], dtype=np.int64), *(p + 1 for p in picks)])
    chosen = np.unique(chosen[chosen < count])
    if len(chosen) > max_points:  # NaN picks can push past the budget; keep the ends and thin evenly
        keep = np.unique(np.linspace(0, len(chosen) - 1, max_points).round().astype(np.int64))
        chosen = chosen[keep]
    return chosen


def _buckets(inner: np.ndarray, size: int) -> list[np.ndarray]:
    """Min and max positions per bucket of ``size`` points, without copying the full buckets."""
    full = len(inner) // size
    main = inner[: full * size].reshape(full, size)
    offsets = np.arange(full, dtype=np.int64) * size
    picks = [offsets + main.argmin(axis=1), offsets + main.argmax(axis=1)]
    tail = inner[full * size:]
    if len(tail):
        picks.append(np.array([full * size + tail.argmin(), full * size + tail.argmax()], dtype=np.int64))
    return picks


def _buckets_with_nan(inner: np.ndarray, nan_mask: np.ndarray, buckets: int, size: int) -> list[np.ndarray]:
    """Like ``_buckets`` but NaN never wins a min/max, and one NaN per bucket is kept (gaps stay visible)."""
    padded = size * buckets
    low = np.full(padded, np.inf)
    high = np.full(padded, -np.inf)
    low[: len(inner)] = np.where(nan_mask, np.inf, inner)
    high[: len(inner)] = np.where(nan_mask, -np.inf, inner)
    offsets = np.arange(buckets, dtype=np.int64) * size
    picks = [offsets + low.reshape(buckets, size).argmin(axis=1), offsets + high.reshape(buckets, size).argmax(axis=1)]
    nan_positions = np.flatnonzero(nan_mask)
    _, first = np.unique(nan_positions // size, return_index=True)
    picks.append(nan_positions[first])
    return [p[p < len(inner)] for p in picks]
