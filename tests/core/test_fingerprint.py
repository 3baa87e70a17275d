"""Fingerprints of in-memory data: exactness, layout independence, supported and unsupported types."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from decimal import Decimal

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from mlm_jupyter.core.errors import MlmError, UnsupportedTypeError
from mlm_jupyter.core.fingerprint import Fingerprint, fingerprint, is_supported


def digest(obj: object) -> str:
    return fingerprint(obj, profile=False).digest


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "i": [1, 2, 3, 4],
        "f": [0.5, np.nan, -1.0, 2.0],
        "s": ["a", None, "ccc", ""],
        "b": [True, False, True, True],
        "t": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01"]),
        "tz": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-04-01"]).tz_localize("Europe/Paris"),
        "c": pd.Categorical(["x", "y", "x", None]),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "o": pd.Series([1, "a", None, 2.5], dtype=object),
    })


def test_same_data_same_digest_and_every_change_changes_it(frame: pd.DataFrame) -> None:
    base = digest(frame)
    assert digest(frame.copy(deep=True)) == base
    changed = frame.copy()
    changed.loc[2, "i"] = 99
    assert digest(changed) != base
    assert digest(frame.rename(columns={"i": "j"})) != base
    assert digest(frame[list(reversed(frame.columns))]) != base
    assert digest(frame.iloc[::-1].reset_index(drop=True)) != base
    assert digest(frame.astype({"i": "int32"})) != base
    assert digest(frame.set_index("i")) != base


def test_every_column_kind_has_a_logical_type(frame: pd.DataFrame) -> None:
    fp = fingerprint(frame)
    assert dict(fp.schema) == {
        "i": "int64", "f": "float64", "s": "string", "b": "bool", "t": "timestamp[us]",
        "tz": "timestamp[us, tz=Europe/Paris]", "c": "dictionary<values=string, ordered=false>",
        "n": "int64", "o": "mixed",
    }
    assert fp.kind == "pandas.DataFrame" and fp.shape == (4, 9)
    assert set(fp.columns) == set(frame.columns) and all(len(d) == 32 for d in fp.columns.values())


def test_nan_nat_and_none_are_values_not_noise() -> None:
    a = pd.DataFrame({"f": [1.0, np.nan], "t": pd.to_datetime(["2024-01-01", None])})
    weird_nan = np.array([1.0, np.nan])
    weird_nan.view(np.uint64)[1] |= 1  # another NaN payload
    b = pd.DataFrame({"f": weird_nan, "t": pd.to_datetime(["2024-01-01", None])})
    assert digest(a) == digest(b)
    assert digest(a) != digest(a.fillna({"f": 0.0}))
    assert digest(pd.Series(["a", None])) != digest(pd.Series(["a", ""]))
    assert digest(pd.Series(["a", None])) != digest(pd.Series(["a", "None"]))


def test_string_storage_and_chunking_do_not_matter() -> None:
    values = ["alpha", None, "", "gamma", "δέλτα"] * 3
    obj = pd.Series(values, dtype=object, name="s")
    arrow_backed = pd.Series(values, dtype="string[pyarrow]", name="s")
    assert digest(obj) == digest(arrow_backed)
    one = pa.table({"s": pa.array(values)})
    chunked = pa.Table.from_batches([b for b in one.to_batches(max_chunksize=4)])
    large = one.cast(pa.schema([("s", pa.large_string())]))
    sliced = pa.table({"s": pa.array(["zz"] * 3 + values)}).slice(3)
    assert len({digest(one), digest(chunked), digest(large), digest(sliced)}) == 1
    assert digest(one) == digest(pd.DataFrame({"s": obj}))


def test_pandas_polars_and_arrow_agree_on_the_same_table() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "s": ["x", None, "z"], "f": [0.1, 0.2, 0.3]})
    assert digest(df) == digest(pa.Table.from_pandas(df, preserve_index=False)) == digest(pl.from_pandas(df))
    assert digest(df["a"]) == digest(pl.Series("a", [1, 2, 3]))


def test_numpy_layouts_and_views_give_one_digest() -> None:
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert digest(a) == digest(np.asfortranarray(a)) == digest(a.copy())
    big = np.arange(48, dtype=np.float32).reshape(8, 6)
    assert digest(big[::2]) == digest(np.ascontiguousarray(big[::2]))
    assert digest(a.astype(">f4")) == digest(a)
    assert digest(a) != digest(a.reshape(6, 4))
    assert digest(a) != digest(a.astype(np.float64))
    assert digest(a) != digest(a.T)


@pytest.mark.parametrize("arr", [
    np.array([True, False]), np.arange(5, dtype=np.uint16), np.array([1 + 2j, np.nan]),
    np.array(["2024-01-01", "NaT"], dtype="datetime64[s]"), np.array([1, 2], dtype="timedelta64[ms]"),
    np.array(["ab", "c"]), np.array([b"ab", b"c"]), np.array([1.5, 2.5], dtype=np.longdouble),
    np.zeros(3, dtype=[("x", "i4"), ("y", "f8")]), np.array(["x", None, 3], dtype=object),
    np.float16([1, np.inf]), np.array(5.0),
])
def test_numpy_dtypes_are_supported(arr: np.ndarray) -> None:
    fp = fingerprint(arr)
    assert fp.digest == fingerprint(arr.copy()).digest
    assert fp.kind == "numpy.ndarray" and fp.shape == arr.shape


def test_bytes_and_buffer_views() -> None:
    assert digest(b"abc") == digest(bytearray(b"abc")) == digest(memoryview(b"xabc")[1:])
    assert digest(b"abc") != digest(b"abd")
    assert digest(b"") != digest(b"\x00")


def test_arrow_nested_decimal_and_temporal_types() -> None:
    table = pa.table({
        "l": pa.array([[1, 2], None, [], [3]]),
        "st": pa.array([{"x": 1, "y": "a"}, None, {"x": 2, "y": None}, {"x": 3, "y": "c"}]),
        "d": pa.array([Decimal("1.10"), None, Decimal("2.00"), Decimal("0")]),
        "date": pa.array([dt.date(2024, 1, 1), None, dt.date(2024, 1, 3), dt.date(2024, 1, 4)]),
        "m": pa.array([[("k", 1)], None, [], [("z", 2)]], type=pa.map_(pa.string(), pa.int64())),
        "fsl": pa.array([[1, 2], [3, 4], None, [5, 6]], type=pa.list_(pa.int64(), 2)),
    })
    base = digest(table)
    assert digest(pa.Table.from_batches(table.to_batches(max_chunksize=1))) == base
    assert digest(pa.concat_tables([table.slice(0, 2), table.slice(2)])) == base
    changed = table.set_column(0, "l", pa.array([[1, 2], None, [], [4]]))
    assert digest(changed) != base
    assert fingerprint(table).schema["st"] == "struct<x: int64, y: string>"


def test_series_index_and_record_batch_kinds() -> None:
    s = pd.Series([1, 2, 3], name="x")
    assert fingerprint(s).kind == "pandas.Series"
    assert digest(s) != digest(s.rename("y"))
    assert digest(s) != digest(pd.Series([1, 2, 3], name="x", index=[3, 4, 5]))
    idx = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"])
    assert fingerprint(idx).kind == "pandas.Index" and fingerprint(idx).shape == (2, 2)
    batch = pa.record_batch({"x": [1, 2, 3]})
    assert digest(batch) == digest(pa.table({"x": [1, 2, 3]}))


def test_empty_and_wide_frames() -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="str")})
    fp = fingerprint(empty, rows=True)
    assert fp.shape == (0, 2) and fp.profile["a"]["count"] == 0
    assert digest(empty) != digest(pd.DataFrame())
    assert digest(empty) != digest(empty[["b", "a"]])
    wide = pd.DataFrame(np.arange(3 * 2000).reshape(3, 2000), columns=[f"c{i}" for i in range(2000)])
    fp = fingerprint(wide)
    assert len(fp.columns) == 2000 and fp.shape == (3, 2000)
    tweaked = wide.copy()
    tweaked.iloc[1, 1999] = -1
    assert digest(tweaked) != fp.digest


def test_duplicate_column_names_are_kept_apart() -> None:
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    fp = fingerprint(df)
    assert list(fp.columns) == ["a", "a#2"]
    assert digest(df) != digest(pd.DataFrame([[2, 1]], columns=["a", "a"]))


@pytest.mark.parametrize("obj", [object(), {"a": 1}, [1, 2], 3.5, pl.LazyFrame({"a": [1]}),
                                 np.ma.masked_array([1, 2], mask=[0, 1])])
def test_unsupported_objects_raise_a_clear_mlm_error(obj: object) -> None:
    assert not is_supported(obj)
    with pytest.raises(UnsupportedTypeError) as info:
        fingerprint(obj)
    assert isinstance(info.value, MlmError) and info.value.code == "UNSUPPORTED_TYPE"
    assert "fingerprint" in str(info.value)


def test_object_column_of_arbitrary_objects_is_unsupported() -> None:
    with pytest.raises(UnsupportedTypeError, match="astype"):
        fingerprint(pd.DataFrame({"o": [object(), 1]}))


def test_is_supported_is_a_cheap_type_check(tmp_path: pathlib.Path) -> None:
    assert is_supported(pd.DataFrame()) and is_supported(np.zeros(2)) and is_supported(b"x")
    assert is_supported(pa.table({"a": [1]})) and is_supported(pl.DataFrame()) and is_supported(tmp_path)
    assert not is_supported("some text") and not is_supported(3)


def test_round_trip_through_json(frame: pd.DataFrame) -> None:
    fp = fingerprint(frame, rows=True)
    again = Fingerprint.from_dict(json.loads(json.dumps(fp.to_dict())))
    assert again == fp and again.row_sketch == fp.row_sketch and dict(again.profile) == dict(fp.profile)
    assert hash(again) == hash(fp)


def test_profile_is_deterministic_and_sampled_for_large_tables() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=250_000), "k": rng.integers(0, 5, 250_000).astype(str)})
    one, two = fingerprint(df), fingerprint(df.copy())
    assert dict(one.profile) == dict(two.profile)
    x = one.profile["x"]
    assert x["sample"] == 100_000 and x["count"] == 250_000 and abs(x["mean"]) < 0.02
    assert len(x["histogram"]) == 10 and sum(x["histogram"]) == 100_000
    assert {v for v, _ in one.profile["k"]["top"]} == {"0", "1", "2", "3", "4"}
    assert one.row_sketch is None
    assert len(json.dumps(one.to_dict()["profile"])) < 2000


def test_profile_of_100_columns_stays_small() -> None:
    df = pd.DataFrame(np.random.default_rng(1).normal(size=(1000, 100)), columns=[f"c{i}" for i in range(100)])
    size = len(json.dumps(fingerprint(df).to_dict()["profile"]))
    assert size < 40_000


def test_polars_object_columns_are_refused_not_hashed_by_memory_address() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    frame = pl.DataFrame({"o": pl.Series([Point(1)], dtype=pl.Object)})
    with pytest.raises(UnsupportedTypeError, match="'o' of dtype Object"):
        fingerprint(frame)
    with pytest.raises(UnsupportedTypeError, match="Python objects"):
        fingerprint(frame["o"])


def test_polars_types_without_an_arrow_form_raise_a_clear_mlm_error() -> None:
    with pytest.raises(UnsupportedTypeError, match="Int128"):
        fingerprint(pl.DataFrame({"big": pl.Series([1], dtype=pl.Int128)}))
