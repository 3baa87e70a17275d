"""Identity cache of fingerprints: reused only when the object provably did not change (kernel.value_cache)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.kernel.value_cache import FingerprintCache


@pytest.fixture
def cache() -> FingerprintCache:
    return FingerprintCache(lambda obj: fingerprint(obj, profile=False))


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(1000), "b": np.random.default_rng(0).random(1000), "c": ["x"] * 1000})


def test_unchanged_frame_is_not_rehashed(cache: FingerprintCache) -> None:
    df = frame()
    first = cache.get(df)
    again = cache.get(df)
    assert first.rehashed and not again.rehashed and again.digest == first.digest
    assert cache.hashes == 1 and cache.hits == 1


@pytest.mark.parametrize("mutate", [
    lambda df: df.iloc.__setitem__((0, 0), 42),
    lambda df: df.loc.__setitem__((3, "b"), -1.0),
    lambda df: df.__setitem__("a", df["a"] + 1),
    lambda df: df.__setitem__("d", 1),
    lambda df: (df.fillna(0, inplace=True), df.iloc.__setitem__((1, 1), 7.0)),
    lambda df: df.update(pd.DataFrame({"b": [5.0]})),
    lambda df: setattr(df, "columns", ["x", "y", "z"]),
    lambda df: setattr(df, "index", df.index + 1),
    lambda df: df.pop("c"),
    lambda df: df.at.__setitem__((5, "c"), "changed"),
])
def test_every_pandas_write_is_seen(cache: FingerprintCache, mutate: Any) -> None:
    df = frame()
    before = cache.get(df).digest
    mutate(df)
    after = cache.get(df)
    assert after.rehashed
    assert after.digest == fingerprint(df, profile=False).digest != before


def test_a_view_taken_after_hashing_makes_the_frame_unsure(cache: FingerprintCache) -> None:
    df = pd.DataFrame({"a": np.arange(10.0)})
    cache.get(df)
    view = df["a"].to_numpy()
    view.flags.writeable = False  # even read-only views could be made writable by their owner: rehash
    assert cache.get(df).rehashed


def test_frame_sharing_memory_with_a_numpy_array_is_never_cached(cache: FingerprintCache) -> None:
    array = np.zeros((100, 2))
    df = pd.DataFrame(array, copy=False)
    before = cache.get(df).digest
    array[0, 0] = 1.0  # writes the frame's memory behind pandas' back
    after = cache.get(df)
    assert after.rehashed and after.digest != before


def test_series_writes_are_seen(cache: FingerprintCache) -> None:
    series = pd.Series(np.arange(5.0))
    before = cache.get(series).digest
    assert not cache.get(series).rehashed
    series.iloc[0] = 9.0
    assert cache.get(series).digest != before


def test_numpy_arrays_are_always_rehashed(cache: FingerprintCache) -> None:
    array = np.ones(100)
    before = cache.get(array).digest
    array[3] = 2.0
    after = cache.get(array)
    assert after.rehashed and after.digest != before


def test_arrow_tables_are_immutable_so_identity_is_enough(cache: FingerprintCache) -> None:
    table = pa.table({"a": [1, 2, 3]})
    cache.get(table)
    assert not cache.get(table).rehashed


def test_dead_objects_leave_the_cache(cache: FingerprintCache) -> None:
    df = frame()
    cache.get(df)
    assert len(cache) == 1
    del df
    assert len(cache) == 0
