"""min/max-bucket downsampling keeps the envelope of a series within the point budget."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlm_jupyter.core.downsample import min_max_indices

series = arrays(np.float64, st.integers(0, 3000),
                elements=st.floats(allow_nan=True, allow_infinity=True, width=64))


@settings(max_examples=200, deadline=None)
@given(values=series, max_points=st.integers(1, 500))
def test_indices_are_sorted_unique_within_budget_and_keep_the_ends(values: np.ndarray, max_points: int) -> None:
    keep = min_max_indices(values, max_points)
    assert len(keep) <= max(max_points, 0) and np.all(np.diff(keep) > 0)
    if len(values):
        assert keep.min() >= 0 and keep.max() < len(values)
    if len(values) <= max_points:
        assert keep.tolist() == list(range(len(values)))
    elif max_points >= 4:
        assert keep[0] == 0 and keep[-1] == len(values) - 1


@settings(max_examples=200, deadline=None)
@given(values=arrays(np.float64, st.integers(10, 3000), elements=st.floats(-1e6, 1e6)),
       max_points=st.integers(4, 200))
def test_global_extremes_survive(values: np.ndarray, max_points: int) -> None:
    kept = values[min_max_indices(values, max_points)]
    assert kept.max() == values.max() and kept.min() == values.min()


def test_a_spike_in_a_million_points_survives() -> None:
    values = np.sin(np.arange(1_000_000) / 1000.0)
    values[123_457] = 99.0
    keep = min_max_indices(values, 1000)
    assert len(keep) <= 1000 and 123_457 in keep


def test_nan_gaps_stay_visible() -> None:
    values = np.arange(10_000, dtype=np.float64)
    values[5_000:5_010] = np.nan
    keep = min_max_indices(values, 100)
    assert np.isnan(values[keep]).any() and len(keep) <= 100


def test_bad_budget() -> None:
    with pytest.raises(ValueError):
        min_max_indices(np.arange(5.0), 0)
