"""Row sketches estimate the overlap of two datasets' rows (train/test leakage)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.core.row_sketch import RowSketch, estimate_overlap


def frame(ids: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "x": ids * 0.5, "s": [f"r{i}" for i in ids]})


def test_small_sets_are_exact() -> None:
    a = fingerprint(frame(np.arange(100)), rows=True).row_sketch
    b = fingerprint(frame(np.arange(80, 130)), rows=True).row_sketch
    overlap = estimate_overlap(a, b)
    assert overlap.exact and overlap.shared_rows == 20
    assert overlap.b_in_a == 20 / 50 and overlap.a_in_b == 20 / 100


def test_large_sets_are_estimated_within_a_few_percent() -> None:
    a = fingerprint(frame(np.arange(0, 200_000)), rows=True).row_sketch
    b = fingerprint(frame(np.arange(150_000, 250_000)), rows=True).row_sketch
    overlap = estimate_overlap(a, b)
    assert not overlap.exact
    assert abs(overlap.shared_rows - 50_000) / 50_000 < 0.2
    assert abs(overlap.b_in_a - 0.5) < 0.1
    assert 150_000 < a.distinct_rows < 250_000


def test_row_order_and_library_do_not_change_the_sketch() -> None:
    df = frame(np.arange(2000))
    shuffled = df.sample(frac=1.0, random_state=1)
    assert fingerprint(df, rows=True).row_sketch == fingerprint(shuffled, rows=True).row_sketch
    table = pa.Table.from_pandas(df, preserve_index=False)
    assert fingerprint(table, rows=True).row_sketch == fingerprint(df, rows=True).row_sketch


def test_disjoint_sets_and_round_trip() -> None:
    a = fingerprint(np.arange(5000).reshape(-1, 1), rows=True).row_sketch
    b = fingerprint(np.arange(5000, 10000).reshape(-1, 1), rows=True).row_sketch
    assert estimate_overlap(a, b).shared_rows == 0
    assert RowSketch.from_dict(a.to_dict()) == a
    assert len(a.hashes) == a.k


def test_row_sketch_of_list_columns_and_mixed_object_arrays() -> None:
    from mlm_jupyter.core.data_diff import diff_data

    lists_a = pd.DataFrame({"l": [[1], [2, 3], [4], None]})
    lists_b = pd.DataFrame({"l": [[2, 3], [4], [5], None]})
    overlap = diff_data(fingerprint(lists_a, rows=True), fingerprint(lists_b, rows=True)).row_overlap
    assert overlap is not None and overlap.exact and overlap.shared_rows == 3  # [2, 3], [4] and the null row

    mixed = np.array([1, "a", None], dtype=object)
    sketch = fingerprint(mixed, rows=True).row_sketch
    assert sketch is not None and sketch.rows == 3 and sketch.distinct_rows == 3
    same = diff_data(fingerprint(mixed, rows=True), fingerprint(pd.Series(mixed), rows=True)).row_overlap
    assert same is not None and same.jaccard == 1.0


def test_row_sketch_of_dates_times_and_intervals() -> None:
    import datetime as dt

    from mlm_jupyter.core.row_sketch import column_row_hashes

    columns = {
        "date": pa.array([dt.date(2020, 1, 1), dt.date(2020, 1, 2), None]),
        "time": pa.array([dt.time(1), dt.time(2), None], pa.time64("us")),
        "seconds": pa.array([dt.time(1), dt.time(2), None], pa.time32("s")),
        "interval": pa.array([(1, 2, 3), (4, 5, 6), None], pa.month_day_nano_interval()),
    }
    for name, column in columns.items():
        hashes = column_row_hashes(column)
        assert len(set(hashes.tolist())) == 3, name
    table = pa.table({k: v for k, v in columns.items() if k != "interval"})  # no digest encoding for intervals
    a = fingerprint(table, rows=True).row_sketch
    b = fingerprint(table.slice(1), rows=True).row_sketch
    assert a is not None and b is not None and estimate_overlap(a, b).shared_rows == 2
    # timestamps hash their int64 storage, as numpy datetime64 values do
    stamps = pa.array([dt.datetime(2020, 1, 1), None], pa.timestamp("us"))
    assert column_row_hashes(stamps).tolist() == column_row_hashes(
        np.array(["2020-01-01", "NaT"], dtype="M8[us]")).tolist()


def test_a_sketch_estimates_its_overlap_with_another() -> None:
    train = fingerprint(frame(np.arange(100)), rows=True).row_sketch
    test = fingerprint(frame(np.arange(90, 120)), rows=True).row_sketch
    assert train is not None and test is not None
    leak = test.overlap(train)
    assert leak == estimate_overlap(test, train) and leak.exact and leak.shared_rows == 10
