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
    buckets = (max_points - 2) // 2
    inner = values[1:-1]
    size = -(-len(inner) // buckets)  # ceil: every inner point falls in one bucket
    padded_len = size * buckets
    low = np.full(padded_len, np.inf)
    high = np.full(padded_len, -np.inf)
    finite = ~np.isnan(inner)
    low[: len(inner)] = np.where(finite, inner, np.inf)
    high[: len(inner)] = np.where(finite, inner, -np.inf)
    offsets = np.arange(buckets, dtype=np.int64) * size + 1
    picks = [offsets + low.reshape(buckets, size).argmin(axis=1),
             offsets + high.reshape(buckets, size).argmax(axis=1)]
    nan_positions = np.flatnonzero(~finite)
    if len(nan_positions):  # keep one NaN per bucket so gaps stay visible
        bucket_of_nan = nan_positions // size
        _, first = np.unique(bucket_of_nan, return_index=True)
        picks.append(nan_positions[first] + 1)
    chosen = np.concatenate([np.array([0, count - 1], dtype=np.int64), *picks])
    chosen = np.unique(chosen[chosen < count])
    if len(chosen) > max_points:  # NaN picks can push past the budget; keep the ends and thin evenly
        keep = np.unique(np.linspace(0, len(chosen) - 1, max_points).round().astype(np.int64))
        chosen = chosen[keep]
    return chosen
