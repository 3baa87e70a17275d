"""Property tests: digests are equal under layout changes and differ under any single logical change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlm_jupyter.core.fingerprint import fingerprint

SETTINGS = settings(max_examples=60, deadline=None)


def digest(obj: object) -> str:
    return fingerprint(obj, profile=False).digest


def column_values(kind: str, rows: int) -> st.SearchStrategy[list[object]]:
    element = {
        "int": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(allow_nan=True, allow_infinity=True, width=64),
        "str": st.one_of(st.none(), st.text(max_size=6)),
        "bool": st.booleans(),
        "time": st.one_of(st.none(), st.integers(0, 2**50)),
    }[kind]
    return st.lists(element, min_size=rows, max_size=rows)


def build_column(kind: str, values: list[object]) -> pd.Series:
    if kind == "int":
        return pd.Series(values, dtype="int64")
    if kind == "float":
        return pd.Series(values, dtype="float64")
    if kind == "str":
        return pd.Series(values, dtype=object)
    if kind == "bool":
        return pd.Series(values, dtype=bool)
    return pd.Series(pd.to_datetime([None if v is None else v for v in values], unit="us"))


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 0) -> pd.DataFrame:
    rows = draw(st.integers(min_rows, 12))
    kinds = draw(st.lists(st.sampled_from(["int", "float", "str", "bool", "time"]), min_size=1, max_size=5))
    names = draw(st.lists(st.text(min_size=1, max_size=4), min_size=len(kinds), max_size=len(kinds), unique=True))
    data = {name: build_column(kind, draw(column_values(kind, rows))) for name, kind in zip(names, kinds)}
    return pd.DataFrame(data)


def different_value(series: pd.Series, row: int, data: st.DataObject) -> object:
    old = series.iloc[row]
    if series.dtype == bool:
        return not old
    if series.dtype.kind == "i":
        return int(old) + 1 if old < 2**63 - 1 else int(old) - 1
    if series.dtype.kind == "f":
        return 1.0 if (np.isnan(old) or old != 1.0) else 2.0
    if series.dtype.kind == "M":
        return pd.Timestamp("1999-01-01") if pd.isna(old) or old != pd.Timestamp("1999-01-01") else pd.NaT
    return "changed!" if old != "changed!" else None


@SETTINGS
@given(frames())
def test_frame_digest_ignores_layout(df: pd.DataFrame) -> None:
    base = digest(df)
    assert digest(df.copy(deep=True)) == base
    # One consolidated block vs one block per column; a split-and-concatenated frame.
    assert digest(pd.DataFrame({c: df[c].copy() for c in df.columns})) == base
    assert digest(pd.concat([df.iloc[: len(df) // 2], df.iloc[len(df) // 2:]])) == base
    table = pa.Table.from_pandas(df, preserve_index=False)
    assert digest(pa.Table.from_batches(table.to_batches(max_chunksize=3), table.schema)) == digest(table)


@SETTINGS
@given(frames(min_rows=1), st.data())
def test_frame_digest_sees_any_single_value_change(df: pd.DataFrame, data: st.DataObject) -> None:
    column = data.draw(st.sampled_from(list(df.columns)))
    row = data.draw(st.integers(0, len(df) - 1))
    changed = df.copy()
    changed[column] = changed[column].astype(object) if changed[column].dtype == object else changed[column]
    changed.iloc[row, list(df.columns).index(column)] = different_value(df[column], row, data)
    assert digest(changed) != digest(df)


@SETTINGS
@given(frames(), st.data())
def test_frame_digest_sees_name_order_and_dtype_changes(df: pd.DataFrame, data: st.DataObject) -> None:
    base = digest(df)
    column = data.draw(st.sampled_from(list(df.columns)))
    assert digest(df.rename(columns={column: column + "_"})) != base
    if len(df.columns) > 1:
        order = list(df.columns)
        order[0], order[1] = order[1], order[0]
        assert digest(df[order]) != base
    if df[column].dtype.kind in "ib":
        assert digest(df.astype({column: "int32" if df[column].dtype.kind == "b" else "float64"})) != base
    if len(df) > 1:
        i, j = data.draw(st.lists(st.integers(0, len(df) - 1), min_size=2, max_size=2, unique=True))
        swapped = df.iloc[[j if k == i else i if k == j else k for k in range(len(df))]].reset_index(drop=True)
        if not df.iloc[[i]].reset_index(drop=True).equals(df.iloc[[j]].reset_index(drop=True)):
            assert digest(swapped) != base


ARRAY_DTYPES = st.sampled_from([np.int8, np.int64, np.uint32, np.float32, np.float64, np.bool_, np.complex128])


@SETTINGS
@given(hnp.arrays(ARRAY_DTYPES, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)))
def test_array_digest_ignores_memory_layout(arr: np.ndarray) -> None:
    base = digest(arr)
    assert digest(np.asfortranarray(arr)) == base
    assert digest(arr.astype(arr.dtype.newbyteorder(">"))) == base
    assert digest(np.repeat(arr, 2, axis=0)[::2]) == base  # a strided view
    assert digest(np.swapaxes(np.swapaxes(arr, 0, -1).copy(), 0, -1)) == base  # transposed storage


@SETTINGS
@given(hnp.arrays(ARRAY_DTYPES, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)), st.data())
def test_array_digest_sees_value_dtype_and_shape_changes(arr: np.ndarray, data: st.DataObject) -> None:
    base = digest(arr)
    index = tuple(data.draw(st.integers(0, side - 1)) for side in arr.shape)
    changed = arr.copy()
    old = changed[index]
    if arr.dtype == np.bool_:
        changed[index] = not old
    else:
        new = arr.dtype.type(1) if old != 1 else arr.dtype.type(2)
        changed[index] = new
    assert digest(changed) != base
    other = {"c": np.complex64, "f": np.float32 if arr.dtype == np.float64 else np.float64}.get(arr.dtype.kind, np.int16)
    with np.errstate(all="ignore"):
        assert digest(arr.astype(other)) != base
    if arr.ndim > 1 or arr.size > 1:
        assert digest(arr.reshape(-1)) != base if arr.ndim > 1 else digest(arr.reshape(1, -1)) != base


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=30), st.integers(1, 7), st.data())
def test_arrow_strings_chunking_and_polars(values: list[str | None], chunk: int, data: st.DataObject) -> None:
    table = pa.table({"s": pa.array(values, pa.string())})
    base = digest(table)
    assert digest(pa.Table.from_batches(table.to_batches(max_chunksize=chunk), table.schema)) == base
    assert digest(table.cast(pa.schema([("s", pa.large_string())]))) == base
    assert digest(pl.from_arrow(table)) == base
    if values:
        row = data.draw(st.integers(0, len(values) - 1))
        changed = list(values)
        changed[row] = None if values[row] is not None else ""
        assert digest(pa.table({"s": pa.array(changed, pa.string())})) != base


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=30), st.data())
def test_polars_series_values_and_names(values: list[int | None], data: st.DataObject) -> None:
    series = pl.Series("x", values, dtype=pl.Int64)
    assert digest(series) == digest(pl.Series("x", list(values), dtype=pl.Int64))
    assert digest(series) != digest(series.rename("y"))
    assert digest(series) != digest(series.cast(pl.Int32))
    if values:
        row = data.draw(st.integers(0, len(values) - 1))
        changed = list(values)
        changed[row] = None if values[row] is not None else 0
        assert digest(pl.Series("x", changed, dtype=pl.Int64)) != digest(series)


@SETTINGS
@given(st.binary(max_size=64), st.data())
def test_bytes_single_byte_changes(blob: bytes, data: st.DataObject) -> None:
    assert digest(blob) == digest(bytearray(blob))
    if blob:
        i = data.draw(st.integers(0, len(blob) - 1))
        changed = bytearray(blob)
        changed[i] ^= 0xFF
        assert digest(bytes(changed)) != digest(blob)
    assert digest(blob + b"\x00") != digest(blob)


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, width=64)), max_size=30), st.integers(1, 7),
       st.data())
def test_arrow_numeric_columns_with_nulls(values: list[float | None], chunk: int, data: st.DataObject) -> None:
    table = pa.table({"f": pa.array(values, pa.float64())})
    base = digest(table)
    assert digest(pa.Table.from_batches(table.to_batches(max_chunksize=chunk), table.schema)) == base
    assert digest(pa.concat_tables([table.slice(0, len(values) // 2), table.slice(len(values) // 2)])) == base
    assert digest(table.rename_columns(["g"])) != base
    assert digest(table.cast(pa.schema([("f", pa.float32())]))) != base or not values
    if values:
        row = data.draw(st.integers(0, len(values) - 1))
        changed = list(values)
        changed[row] = None if values[row] is not None else 0.0
        assert digest(pa.table({"f": pa.array(changed, pa.float64())})) != base


@SETTINGS
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=20), st.data())
def test_pandas_series_and_index(values: list[int], data: st.DataObject) -> None:
    series = pd.Series(values, name="v")
    assert digest(series) == digest(pd.Series(np.array(values), name="v"))
    assert digest(series) == digest(pd.Series(values, name="v", dtype="Int64"))  # same logical type and values
    assert digest(series) != digest(series.rename("w"))
    index = pd.Index(values, name="v")
    assert digest(index) == digest(pd.Index(list(values), name="v"))
    row = data.draw(st.integers(0, len(values) - 1))
    changed = list(values)
    changed[row] += 1
    assert digest(pd.Series(changed, name="v")) != digest(series)
    assert digest(pd.Index(changed, name="v")) != digest(index)
