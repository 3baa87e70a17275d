"""stack_batches builds the same logged table as inference_table batch by batch, only faster."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mlm_jupyter.core.inference_batch import ID, PREDICTION, TIME, inference_table
from mlm_jupyter.core.inference_stack import stack_batches
from mlm_jupyter.core.summaries import histogram, summarize_column

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"âge": rng.normal(size=rows), "n": rng.integers(0, 9, rows),
                         "x": rng.normal(size=rows).astype(np.float32),
                         "plan": rng.choice(["a", "b", "ü"], rows), "flag": rng.random(rows) > 0.5})


def _one_by_one(pending: list) -> pa.Table:
    return pa.concat_tables([inference_table(X, y, ids=i, proba=p, now=t) for X, y, i, p, t in pending])


def _same(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        assert left.type == right.type or (pa.types.is_string(left.type) or pa.types.is_large_string(left.type)), name
        assert left.cast(right.type).to_pylist() == right.to_pylist() if left.type != right.type else \
            left.to_pylist() == right.to_pylist(), name


def test_pandas_batches_stack_to_the_same_rows_as_one_by_one() -> None:
    pending = [(_frame(n, i), np.arange(n) % 2, [f"id{i}-{k}" for k in range(n)], None,
                NOW + dt.timedelta(seconds=i)) for i, n in enumerate([500, 0, 1, 700])]
    stacked = stack_batches(pending)
    assert len(stacked) == 1 and stacked[0].num_rows == 1201
    table = stacked[0]
    assert table.column_names == ["âge", "n", "x", "plan", "flag", PREDICTION, ID, TIME]
    reference = _one_by_one(pending)
    for name in ["âge", "n", "x", "plan", "flag", PREDICTION, ID, TIME]:
        assert table.column(name).to_pylist() == reference.column(name).to_pylist(), name
    assert table.column("n").type == pa.int64() and table.column("x").type == pa.float32()
    assert pc.min(table.column(TIME)).as_py() == NOW


def test_numpy_batches_and_2d_predictions_and_proba() -> None:
    rng = np.random.default_rng(0)
    pending = [(rng.normal(size=(n, 3)), rng.normal(size=(n, 2)), None, rng.random((n, 2)), NOW) for n in (4, 6)]
    table = stack_batches(pending, ["a", "b", "c"])[0]
    reference = pa.concat_tables([inference_table(X, y, proba=p, feature_names=["a", "b", "c"], now=t)
                                  for X, y, _, p, t in pending])
    assert table.column_names == reference.column_names
    for name in table.column_names:
        assert table.column(name).to_pylist() == reference.column(name).to_pylist(), name


def test_different_shapes_and_odd_batches_fall_back_and_bad_ones_are_reported() -> None:
    a, b = _frame(5, 1), _frame(5, 2).drop(columns=["plan"])
    records = [{"âge": 1.0, "n": 2}]
    pending = [(a, None, None, None, NOW), (b, None, None, None, NOW), (records, None, None, None, NOW),
               (a, [1, 2], None, None, NOW)]  # a prediction per row is checked at log time; here it is short
    refused = []

    def convert(item):
        try:
            return inference_table(item[0], item[1], now=item[4])
        except Exception as error:  # noqa: BLE001
            refused.append(error)
            return None

    tables = stack_batches(pending, convert=convert)
    assert [t.num_rows for t in tables] == [5, 5, 1]
    assert len(refused) == 1


def test_nan_inf_and_all_null_columns_are_counted_not_crashed() -> None:
    frames = [pd.DataFrame({"v": [np.nan, np.inf, -np.inf, 1.0], "empty": [None] * 4, "s": [None, "x", None, "y"]}),
              pd.DataFrame({"v": [2.0, np.nan, 3.0, 4.0], "empty": [None] * 4, "s": ["z", None, None, None]})]
    table = stack_batches([(f, None, None, None, NOW) for f in frames])[0]
    summary = summarize_column(table.column("v"), (0.0, 4.0))
    assert summary.count == 6 and summary.nulls == 2
    assert summary.hist is not None and summary.hist[0] == 1 and summary.hist[-1] == 1  # -inf below, +inf above
    assert summary.sum == 0.0  # an infinite value makes moments meaningless: left at zero, min/max say why
    assert summary.min == -np.inf and summary.max == np.inf
    empty = summarize_column(table.column("empty"))
    assert empty.nulls == 8 and empty.count == 0
    assert summarize_column(table.column("s")).categories == {"x": 1, "y": 1, "z": 1}


@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-3.3, 2.7), (5.0, 5.0)])
def test_histogram_matches_the_definition(low: float, high: float) -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=5000) * 3, [low, high, high, low - 1e-9, high + 1e-9]])
    width = (high - low) / 20 if high > low else 1.0
    expected = np.floor((values - low) / width).astype(np.int64) + 1
    expected[values == high] = 20
    expected = np.bincount(np.clip(expected, 0, 21), minlength=22)
    assert histogram(values, low, high).tolist() == expected.tolist()
