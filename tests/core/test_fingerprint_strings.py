"""Python string columns: every conversion path (polars, pyarrow, chunked, pipelined) gives one digest."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlm_jupyter.core.fingerprint_strings as fs
import mlm_jupyter.core.fingerprint_tables as ft
from mlm_jupyter.core.errors import MlmError, UnsupportedTypeError
from mlm_jupyter.core.fingerprint import fingerprint


def digest(obj: object) -> str:
    return fingerprint(obj, profile=False).digest


def outcome(obj: object) -> str:
    """The digest and schema, or the error class: what must not depend on the conversion path."""
    try:
        fp = fingerprint(obj, profile=False)
    except MlmError as error:
        return type(error).__name__
    return fp.digest + "|" + ",".join(fp.schema.values())


def words(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pool = np.array([f"w{i}" for i in range(500)] + ["", "héllo", "日本語", "a\x00b", "x" * 40], dtype=object)
    return pool[rng.integers(0, len(pool), n)]


N = fs.POLARS_MIN_ROWS + fs.CHUNK_ROWS + 17  # polars path, several chunks


@pytest.mark.parametrize("null", [None, np.nan, pd.NA, "none"])
def test_object_str_and_python_strings_share_a_digest(null: object) -> None:
    values = words(N)
    if not isinstance(null, str):
        values[::97] = null
    frames = [pd.DataFrame({"s": values}, dtype=object), pd.DataFrame({"s": values}).astype("str"),
              pd.DataFrame({"s": values}).astype("string[python]"),
              pd.DataFrame({"s": values}).astype("string[pyarrow]"),
              pd.DataFrame({"s": values}).astype(pd.StringDtype("python", na_value=np.nan))]
    digests = {digest(frame) for frame in frames}
    table = pa.table({"s": pa.array(values, type=pa.string(), from_pandas=True)})
    assert digests == {digest(table)} == {digest(pl.from_arrow(table))}
    assert fingerprint(frames[0], profile=False).schema == {"s": "string"}


def test_default_pandas3_strings_are_str_dtype_and_match_object() -> None:
    df = pd.DataFrame({"s": list(words(1000))})
    assert isinstance(df["s"].dtype, pd.StringDtype)  # pandas 3 infers str (Arrow-backed) by default
    assert digest(df) == digest(df.astype(object))


EXTRAS: list[object] = [None, float("nan"), np.float64("nan"), np.float32("nan"), pd.NA, pd.NaT,
                        decimal.Decimal("nan"), b"a", np.str_("a"), 1, 2.5, True, pa.scalar("a")]


def edge_columns(n: int) -> list[np.ndarray]:
    """One odd value at the start, inside or at the end; leading nulls; columns of only one odd kind."""
    cases = []
    for extra in EXTRAS:
        for position in (0, 5, n - 1):
            values = words(n)
            values[position] = extra
            cases.append(values)
        only = np.empty(n, dtype=object)
        only[:] = [extra] * n
        cases.append(only)
        mostly = only.copy()
        mostly[n // 2] = "s"
        cases.append(mostly)
    lead = words(n)
    lead[:9] = None
    lead[9:12] = np.nan
    cases.append(lead)
    return cases


def test_polars_and_pyarrow_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs, "POLARS_MIN_ROWS", 0)
    monkeypatch.setattr(fs, "CHUNK_ROWS", 7)
    cases = edge_columns(40)
    with_polars = [(outcome(pd.DataFrame({"s": v}, dtype=object)), outcome(v)) for v in cases]
    monkeypatch.setattr(fs, "_polars_checked", True)
    monkeypatch.setattr(fs, "_polars_module", None)
    without = [(outcome(pd.DataFrame({"s": v}, dtype=object)), outcome(v)) for v in cases]
    assert with_polars == without
    kinds = {o.split("|")[-1] for o, _ in with_polars}
    assert {"string", "mixed", "binary", "null", UnsupportedTypeError.__name__} <= kinds, kinds


def test_polars_path_on_large_columns_matches_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs, "CHUNK_ROWS", 1 << 14)
    fast = (type(None), float, np.float64, type(pd.NA), str, np.str_)  # mostly strings, with nulls
    cases = [c for c in edge_columns(fs.POLARS_MIN_ROWS + 1000) if isinstance(c[20], str) and all(type(v) in fast for v in c[[0, 5, -1]])]
    assert len(cases) == 21
    large = [outcome(pd.DataFrame({"s": v}, dtype=object)) for v in cases]
    monkeypatch.setattr(fs, "_polars_checked", True)
    monkeypatch.setattr(fs, "_polars_module", None)
    assert [outcome(pd.DataFrame({"s": v}, dtype=object)) for v in cases] == large


def test_bytes_are_not_strings() -> None:
    as_str = words(N)
    as_bytes = as_str.copy()
    as_bytes[3] = as_str[3].encode()
    assert digest(pd.DataFrame({"s": as_str}, dtype=object)) != digest(pd.DataFrame({"s": as_bytes}, dtype=object))
    assert fingerprint(pd.DataFrame({"s": as_bytes}, dtype=object), profile=False).schema["s"] == "mixed"


def test_all_null_and_empty_object_columns_keep_the_null_type() -> None:
    for n in (0, 5, N):
        values = np.full(n, None, dtype=object)
        small = fingerprint(pd.DataFrame({"s": values}, dtype=object), profile=False)
        assert small.schema["s"] == "null"
    assert digest(pd.DataFrame({"s": np.full(N, None, dtype=object)})) == \
        digest(pd.DataFrame({"s": np.full(N, np.nan, dtype=object)}))


@pytest.mark.parametrize("n", [3, N])
def test_lone_surrogates_raise_a_clear_error(n: int) -> None:
    values = words(n)
    values[1] = "bad \ud800"
    with pytest.raises(UnsupportedTypeError, match="surrogate"):
        fingerprint(pd.DataFrame({"s": values}, dtype=object))
    values[0] = 1  # a mixed column too
    with pytest.raises(UnsupportedTypeError):
        fingerprint(pd.DataFrame({"s": values}, dtype=object))


def test_unsupported_objects_still_raise_inside_string_columns() -> None:
    values = words(N)
    values[7] = object()
    with pytest.raises(UnsupportedTypeError, match="astype"):
        fingerprint(pd.DataFrame({"s": values}, dtype=object))


def test_pipelined_frame_matches_sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    values = words(N)
    values[::50] = None
    df = pd.DataFrame({"a": values, "n": rng.random(N), "b": words(N, 1), "m": values.copy()}, dtype=object)
    df = df.astype({"n": float})
    df["c"] = pd.Series(words(N, 2)).astype("string[python]")
    df["d"] = df["b"].astype("str")
    monkeypatch.setattr(ft, "_PIPELINE_BYTES", 1 << 60)
    monkeypatch.setattr(ft, "_PARALLEL_BYTES", 1 << 60)
    sequential = fingerprint(df)
    monkeypatch.setattr(ft, "_PIPELINE_BYTES", 0)
    monkeypatch.setattr(ft, "_PARALLEL_BYTES", 0)
    pipelined = fingerprint(df)
    assert pipelined == sequential
    assert dict(pipelined.profile) == dict(sequential.profile)
    assert pipelined.profile["a"]["sample"] == 100_000 and pipelined.profile["a"]["nulls"] > 0
    assert pipelined.columns["b"] == pipelined.columns["d"]


def test_profile_of_object_strings_equals_profile_of_str_dtype() -> None:
    values = words(N)
    values[::11] = None
    a = fingerprint(pd.DataFrame({"s": values}, dtype=object))
    b = fingerprint(pd.DataFrame({"s": values}).astype("str"))
    assert dict(a.profile) == dict(b.profile)
    assert a.profile["s"]["kind"] == "categorical" and a.profile["s"]["sample"] == 100_000


def test_strided_object_columns() -> None:
    values = words(N)
    strided = np.stack([values, values], axis=1)[:, 0]
    assert not strided.flags.c_contiguous
    assert digest(pd.Series(strided, dtype=object)) == digest(pd.Series(values.copy(), dtype=object))
    assert digest(strided) == digest(values)


ELEMENT = st.one_of(st.text(max_size=5), st.none(), st.just(float("nan")), st.just(pd.NA))


@settings(max_examples=60, deadline=None)
@given(st.lists(ELEMENT, min_size=0, max_size=20), st.sampled_from([b"x", 1, pd.NaT, None]),
       st.integers(0, 19))
def test_chunked_polars_path_equals_pyarrow_path(values: list[object], extra: object, where: int) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    if len(arr):
        arr[where % len(arr)] = extra
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fs, "_polars_checked", True)
        patch.setattr(fs, "_polars_module", None)
        reference = (outcome(pd.DataFrame({"s": arr}, dtype=object)), outcome(arr))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fs, "POLARS_MIN_ROWS", 0)
        patch.setattr(fs, "CHUNK_ROWS", 3)
        patch.setattr(ft, "_PIPELINE_BYTES", 0)
        assert (outcome(pd.DataFrame({"s": arr}, dtype=object)), outcome(arr)) == reference


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=5), st.none()), min_size=1, max_size=20), st.integers(0, 19),
       st.text(max_size=3))
def test_single_string_change_changes_the_digest(values: list[str | None], where: int, new: str) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    changed = arr.copy()
    changed[where % len(arr)] = new if new != arr[where % len(arr)] else new + "!"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fs, "POLARS_MIN_ROWS", 0)
        patch.setattr(fs, "CHUNK_ROWS", 3)
        patch.setattr(ft, "_PIPELINE_BYTES", 0)
        if any(v is not None for v in arr) or any(v is not None for v in changed):
            assert digest(pd.DataFrame({"s": arr}, dtype=object)) != digest(pd.DataFrame({"s": changed}, dtype=object))


@pytest.mark.parametrize("values", [[np.datetime64("NaT"), np.float32("nan")], [np.datetime64(1, "s"), np.int64(1)],
                                    [np.datetime64(5, "ns"), np.bool_(True), "x"]])
def test_numpy_datetimes_next_to_other_numpy_scalars_are_mixed(values: list[object]) -> None:
    # pyarrow 25 segfaults converting these object arrays: they must never reach it.
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    fp = fingerprint(pd.DataFrame({"c": np.concatenate([arr] * 40_000)}, dtype=object))
    assert fp.schema["c"] == "mixed" and fp.profile["c"]["count"] == len(values) * 40_000


def test_pipelined_numeric_columns_hash_from_numpy_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.DataFrame(np.random.default_rng(0).random((1000, 3)), columns=["a", "b", "c"])
    df["t"] = pd.date_range("2024-01-01", periods=1000, freq="s")
    sequential = digest(df)
    monkeypatch.setattr(ft, "_PIPELINE_BYTES", 0)
    monkeypatch.setattr(ft, "_PARALLEL_BYTES", 0)

    def no_arrow(values: object) -> None:
        raise AssertionError("numpy-backed columns must not go through Arrow")

    monkeypatch.setattr(ft, "pandas_column_to_arrow", no_arrow)
    assert digest(df) == sequential
