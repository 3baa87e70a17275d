"""Column profiles: every logical type gets its description (none silently dropped)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.core.profile import profile_column


def test_duration_columns_get_min_and_max_in_iso_8601_whatever_the_unit() -> None:
    seconds = profile_column(pa.array(pd.to_timedelta([1, 2, None], unit="s")), 3)
    nanos = profile_column(pa.chunked_array([pa.array(np.array([5, 1], dtype="m8[ns]"))]), 2)

    assert seconds["kind"] == "temporal" and seconds["nulls"] == 1
    assert (seconds["min"], seconds["max"]) == ("P0DT0H0M1S", "P0DT0H0M2S")
    assert (nanos["min"], nanos["max"]) == ("P0DT0H0M0.000000001S", "P0DT0H0M0.000000005S")


def test_durations_from_pandas_numpy_and_polars_are_profiled() -> None:
    frames = [pd.DataFrame({"d": pd.to_timedelta([3, 60], unit="s")}), pl.DataFrame({"d": pd.to_timedelta([3, 60], unit="s")})]
    for frame in frames:
        assert fingerprint(frame).profile["d"]["max"] == "P0DT0H1M0S"
    assert fingerprint(np.array([3, 60], dtype="m8[s]")).profile["values"]["min"] == "P0DT0H0M3S"


def test_durations_beyond_pandas_range_keep_their_count_and_unit() -> None:
    entry = profile_column(pa.array(np.array([5, 10**15], dtype="m8[s]")), 2)
    assert entry["max"] == "1000000000000000 s"
