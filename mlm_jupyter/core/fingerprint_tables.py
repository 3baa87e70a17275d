"""Canonical column encoding of tables: pandas, polars and pyarrow, through one Arrow-typed path.

Logical types are Arrow's (``int64``, ``string``, ``timestamp[ns, tz=UTC]``,
``dictionary<values=string, ordered=false>``, ...), so the same data held by
pandas, polars or pyarrow gives the same column digests. Numeric numpy-backed
pandas columns skip Arrow entirely and are hashed straight from their buffers.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import xxhash

from mlm_jupyter.core.errors import UnsupportedTypeError
from mlm_jupyter.core.fingerprint_arrays import (
    ENCODING,
    ColumnHasher,
    add_numpy_values,
    encode_name,
    numpy_logical_type,
    u64,
)
from mlm_jupyter.core.fingerprint_strings import as_large_string, python_strings_to_arrow, strings_to_arrow

__all__ = [
    "TableEncoding",
    "map_columns",
    "add_arrow_chunk",
    "arrow_column_hasher",
    "arrow_logical_type",
    "column_key",
    "encode_arrow_table",
    "encode_pandas_frame",
    "encode_pandas_index",
    "encode_pandas_series",
    "hash_prepared",
    "object_values_hasher",
    "pandas_column_hasher",
    "pandas_column_to_arrow",
    "prepare_pandas_column",
]

_PARALLEL_BYTES = 32 << 20
_PIPELINE_BYTES = 4 << 20  # pandas frames: above this, hash and profile on the pool while objects convert
_executor: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class TableEncoding:
    """Digest plus per-column facts of one table, series or index."""

    digest: bytes
    rows: int
    names: tuple[Any, ...]
    types: tuple[str, ...]
    column_digests: tuple[bytes, ...]


def column_key(names: Sequence[Any]) -> list[str]:
    """String keys for ``names`` (duplicates get ``#2``, ``#3``...) used by schema/columns/profile maps."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for name in names:
        key = name if isinstance(name, str) else ("" if name is None else str(name))
        count = seen.get(key, 0) + 1
        seen[key] = count
        keys.append(key if count == 1 else f"{key}#{count}")
    return keys


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="mlm-fp")
    return _executor


def map_columns(fn: Callable[[Any], Any], items: list[Any], nbytes: int) -> list[Any]:
    """``[fn(item) ...]``, on a small thread pool when the work is large (xxh3, numpy and Arrow release the GIL)."""
    if len(items) < 2 or nbytes < _PARALLEL_BYTES:
        return [fn(item) for item in items]
    return list(_pool().map(fn, items))


# ----------------------------------------------------------------------------- Arrow types and chunks

def arrow_logical_type(t: pa.DataType) -> str:
    """The canonical logical type name of an Arrow type (storage width variants collapse)."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return "binary"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return str(t)
    if pa.types.is_floating(t):
        return f"float{t.bit_width}"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}]" if t.tz is None else f"timestamp[{t.unit}, tz={t.tz}]"
    if pa.types.is_duration(t):
        return f"duration[{t.unit}]"
    if pa.types.is_date32(t):
        return "date32[day]"
    if pa.types.is_date64(t):
        return "date64[ms]"
    if pa.types.is_time(t):
        return f"time{t.bit_width}[{t.unit}]"
    if pa.types.is_decimal(t):
        return f"decimal{t.bit_width}({t.precision}, {t.scale})"
    if pa.types.is_fixed_size_binary(t):
        return f"fixed_binary[{t.byte_width}]"
    if pa.types.is_dictionary(t):
        return f"dictionary<values={arrow_logical_type(t.value_type)}, ordered={str(t.ordered).lower()}>"
    if pa.types.is_map(t):
        return f"map<{arrow_logical_type(t.key_type)}, {arrow_logical_type(t.item_type)}>"
    if pa.types.is_fixed_size_list(t):
        return f"fixed_size_list<{arrow_logical_type(t.value_type)}>[{t.list_size}]"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t) \
            or pa.types.is_large_list_view(t):
        return f"list<{arrow_logical_type(t.value_type)}>"
    if pa.types.is_struct(t):
        fields = ", ".join(f"{t.field(i).name}: {arrow_logical_type(t.field(i).type)}" for i in range(t.num_fields))
        return f"struct<{fields}>"
    if pa.types.is_null(t):
        return "null"
    if isinstance(t, pa.ExtensionType):
        params = t.__arrow_ext_serialize__().decode("utf-8", "replace")
        return f"extension<{t.extension_name}, {params}, {arrow_logical_type(t.storage_type)}>"
    raise UnsupportedTypeError(f"Arrow type {t} has no canonical encoding; cast the column to a "
                               "primitive, string, list or struct type first", arrow_type=str(t))


_FLOATS = {16: np.float16, 32: np.float32, 64: np.float64}


def _null_positions(arr: pa.Array) -> np.ndarray:
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    return np.flatnonzero(~valid)


def add_arrow_chunk(hasher: ColumnHasher, arr: pa.Array) -> None:
    """Feed one Arrow array chunk (any offset) into ``hasher``."""
    t = arr.type
    n = len(arr)
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if isinstance(t, pa.ExtensionType):
        arr = arr.storage
        t = arr.type
    if pa.types.is_string_view(t):
        arr, t = arr.cast(pa.large_string()), pa.large_string()
    elif pa.types.is_binary_view(t):
        arr, t = arr.cast(pa.large_binary()), pa.large_binary()
    elif pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        arr = arr.cast(pa.large_list(t.value_type))
        t = arr.type
    positions = _null_positions(arr) if arr.null_count else np.empty(0, np.int64)
    hasher.add_nulls(positions)
    if pa.types.is_null(t):
        pass
    elif pa.types.is_boolean(t):
        values = (arr.fill_null(False) if len(positions) else arr).to_numpy(zero_copy_only=False)
        hasher.add_bytes(np.ascontiguousarray(values).view(np.uint8).data.cast("B") if n else b"")
    elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) \
            or pa.types.is_large_binary(t):
        _add_variable_width(hasher, arr, len(positions) > 0)
    elif pa.types.is_fixed_size_list(t):
        add_arrow_chunk(hasher.child(0, arrow_logical_type(t.value_type)), arr.flatten())
    elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t):
        offsets = arr.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
        lengths = np.diff(offsets)
        child = arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])) if n else arr.values.slice(0, 0)
        if len(positions):
            # A null list may still own child values in Arrow: keep only the ranges of valid lists.
            lengths[positions] = 0
            starts = np.repeat(offsets[:-1] - offsets[0], lengths)
            within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            child = child.take(pa.array(starts + within, pa.int64()))
        hasher.add_lengths(lengths)
        add_arrow_chunk(hasher.child(0, arrow_logical_type(child.type)), child)
    elif pa.types.is_struct(t):
        for index, field in enumerate(arr.flatten()):
            add_arrow_chunk(hasher.child(index, arrow_logical_type(field.type)), field)
    else:
        _add_fixed_width(hasher, arr, positions)
        return
    hasher.advance(n)


def _add_variable_width(hasher: ColumnHasher, arr: pa.Array, has_nulls: bool) -> None:
    # A null slot may still own bytes in Arrow: fill nulls first so they contribute nothing.
    if has_nulls:
        arr = arr.fill_null(b"" if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type) else "")
    n = len(arr)
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    buffers = arr.buffers()
    if n == 0 or buffers[1] is None:
        return
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if large else np.int32, count=n + 1, offset=arr.offset
                            * (8 if large else 4))
    hasher.add_lengths(np.diff(offsets))
    if buffers[2] is not None and offsets[-1] > offsets[0]:
        hasher.add_bytes(memoryview(buffers[2])[int(offsets[0]):int(offsets[-1])])


def _add_fixed_width(hasher: ColumnHasher, arr: pa.Array, positions: np.ndarray) -> None:
    t = arr.type
    n = len(arr)
    width = t.byte_width
    buffer = arr.buffers()[1]
    raw = np.frombuffer(buffer, dtype=np.uint8, count=n * width, offset=arr.offset * width).reshape(n, width) \
        if n else np.empty((0, width), np.uint8)
    if len(positions):
        raw = raw.copy()
        raw[positions] = 0
    if pa.types.is_floating(t):
        add_numpy_values(hasher, raw.reshape(-1).view(_FLOATS[t.bit_width]))
        return
    if n:
        hasher.add_bytes(raw.data.cast("B"))
    hasher.advance(n)


def arrow_column_hasher(column: pa.Array | pa.ChunkedArray) -> ColumnHasher:
    """Hasher over every chunk of an Arrow array or chunked array."""
    hasher = ColumnHasher(arrow_logical_type(column.type))
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        add_arrow_chunk(hasher, chunk)
    return hasher


# ----------------------------------------------------------------------------- object values and pandas

_SCALARS = (str, bytes, bool, int, float, Decimal, datetime, date, time, timedelta, np.generic)


def _mixed_to_arrow(values: np.ndarray) -> pa.Array:
    # Mixed Python scalars: each value becomes "<type>:<text>", so 1 and "1" stay different.
    out: list[str | None] = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, _SCALARS):
            text = value.isoformat() if isinstance(value, (datetime, date, time)) else \
                value.hex() if isinstance(value, bytes) else value if isinstance(value, str) else repr(value)
            out.append(f"{type(value).__name__}:{text}")
        else:
            raise UnsupportedTypeError(
                f"cannot fingerprint a value of type {type(value).__name__} inside an object column; "
                "convert the column to a single scalar type (e.g. .astype(str)) first",
                value_type=type(value).__name__)
    try:
        return pa.array(out, type=pa.large_string())
    except UnicodeEncodeError:
        raise UnsupportedTypeError(
            "cannot fingerprint a string that is not valid Unicode (a lone surrogate such as '\\ud800') "
            "inside an object column; clean or encode those values first", value_type="str") from None


_NESTED = (list, tuple, dict, np.ndarray)


def _datetime64_with_numpy_scalars(values: np.ndarray) -> bool:
    """A numpy ``datetime64`` next to another numpy scalar type (``[datetime64('NaT'), float32('nan')]``).

    ``pyarrow.array`` crashes the process (segmentation fault in its numpy dtype
    unifier, pyarrow 25) on some of these and refuses the rest, so they all take
    the mixed encoding without asking Arrow.
    """
    kinds = set(map(type, values))
    return np.datetime64 in kinds and any(issubclass(k, np.generic) and k is not np.datetime64 for k in kinds)


def _object_to_arrow(values: np.ndarray, strings: bool = True) -> tuple[pa.Array | pa.ChunkedArray, str | None]:
    """Arrow form of an object array and a logical type override (``mixed``) or ``None``.

    ``strings=False``: the caller already knows the column is not all strings and nulls.
    """
    from pandas.api.types import infer_dtype

    if strings:  # the common case, fast: str values with None/NaN/NA nulls
        chunks = strings_to_arrow(values)
        if chunks is not None:
            return pa.chunked_array(chunks, pa.large_string()), None
    inferred = infer_dtype(values, skipna=True)
    # Arrow would coerce 1 and "1" (or 1 and 1.0) to one type: mixed scalars keep their Python types.
    if inferred.startswith("mixed") and not (inferred == "mixed" and all(
            v is None or isinstance(v, _NESTED) or (isinstance(v, float) and v != v) for v in values)):
        return _mixed_to_arrow(values), "mixed"
    if _datetime64_with_numpy_scalars(values):
        return _mixed_to_arrow(values), "mixed"
    try:
        return pa.array(values, from_pandas=True), None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError,
            ValueError):
        return _mixed_to_arrow(values), "mixed"


def object_values_hasher(values: np.ndarray, keep: list[Any] | None = None) -> ColumnHasher:
    """Hasher for a 1-D object (or numpy StringDType) array: Arrow type inference, mixed fallback.

    ``keep`` receives the Arrow conversion (when the values had one type), so callers can
    reuse it instead of converting Python objects a second time.
    """
    if values.dtype.kind == "T":
        values = values.astype(object)
    return hash_prepared(_Converted(*_object_to_arrow(values)), keep)


def pandas_column_to_arrow(values: Any) -> pa.Array | pa.ChunkedArray:
    """An Arrow view of a pandas array (used for extension dtypes and profiles)."""
    import pandas as pd

    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = values.to_numpy()
    dtype = values.dtype
    if isinstance(dtype, pd.SparseDtype):
        values = values.to_dense()
        dtype = values.dtype
    if isinstance(dtype, np.dtype):
        array = np.asarray(values)
        return _object_to_arrow(array)[0] if dtype.kind == "O" else pa.array(array, from_pandas=True)
    if isinstance(dtype, pd.DatetimeTZDtype):  # built from UTC ints: pyarrow's own path warns on pandas 3
        ints = pa.array(np.asarray(values.asi8), mask=np.asarray(values.isna()))
        return ints.cast(pa.timestamp(dtype.unit, tz=str(dtype.tz)))
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return _object_to_arrow(np.asarray(values, dtype=object))[0]


@dataclass(frozen=True)
class _Converted:
    """A pandas column already turned into Arrow (``special``: a logical type override, e.g. ``mixed``).

    ``arrow`` may also be a list of futures of ``large_string`` chunks still being cast on the pool.
    """

    arrow: pa.Array | pa.ChunkedArray | list[Future[pa.Array]]
    special: str | None


def _is_python_strings(dtype: Any) -> bool:
    import pandas as pd

    return isinstance(dtype, pd.StringDtype) and dtype.storage == "python"


def _needs_conversion(values: Any) -> bool:
    """Whether the column holds Python objects (object dtype, python-backed strings)."""
    dtype = values.dtype
    if type(values).__name__ == "NumpyExtensionArray":
        dtype = values.to_numpy().dtype
    return (isinstance(dtype, np.dtype) and dtype.kind == "O") or _is_python_strings(dtype)


def prepare_pandas_column(values: Any, pool: ThreadPoolExecutor | None = None) -> Any:
    """The part of hashing a pandas column that holds the GIL: Python objects to Arrow.

    Returns a ``_Converted`` for object and python-backed string columns and
    ``values`` unchanged otherwise; ``hash_prepared`` does the rest (GIL-light).
    With a ``pool``, string chunks are cast to ``large_string`` there as they come.
    """
    import pandas as pd

    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = values.to_numpy()
    dtype = values.dtype
    # python-backed strings: their object array as is (str and the NA marker, pd.NA or NaN, which the
    # string path reads as null); to_numpy(na_value=None) would cost an isna pass (~20 ns/value)
    objects = np.asarray(values) if (isinstance(dtype, np.dtype) and dtype.kind == "O") or \
        _is_python_strings(dtype) else None
    if objects is None:
        return values
    if pool is not None:
        futures = strings_to_arrow(objects, lambda chunk: pool.submit(as_large_string, chunk))
        if futures is not None:
            return _Converted(futures, None)
    if _is_python_strings(dtype):  # empty or all missing when the pool path declined
        return _Converted(python_strings_to_arrow(objects), None)
    return _Converted(*_object_to_arrow(objects, strings=pool is None))


def hash_prepared(prepared: Any, keep: list[Any] | None = None) -> ColumnHasher:
    """Hasher for the output of ``prepare_pandas_column``.

    ``keep`` receives the Arrow form of converted columns (``large_string`` for
    strings), so callers can profile it without converting Python objects again.
    """
    import pandas as pd

    if isinstance(prepared, _Converted):
        arr = prepared.arrow
        if isinstance(arr, list):
            arr = pa.chunked_array([future.result() for future in arr], pa.large_string())
        if keep is not None and prepared.special is None:
            keep.append(arr)
        if prepared.special is not None:
            hasher = ColumnHasher(prepared.special)
            add_arrow_chunk(hasher, arr)
            return hasher
        return arrow_column_hasher(arr)
    values = prepared.to_numpy() if isinstance(prepared, pd.arrays.NumpyExtensionArray) else prepared
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        array = np.asarray(values)
        hasher = ColumnHasher(numpy_logical_type(array.dtype))
        add_numpy_values(hasher, array)
        return hasher
    if isinstance(dtype, pd.DatetimeTZDtype):
        unit = dtype.unit
        ints = np.asarray(values.asi8 if hasattr(values, "asi8") else pd.array(values).asi8)
        hasher = ColumnHasher(f"timestamp[{unit}, tz={dtype.tz}]")
        add_numpy_values(hasher, ints.view(f"M8[{unit}]"))
        return hasher
    if isinstance(dtype, pd.CategoricalDtype):
        cat = pa.array(values)
        hasher = ColumnHasher(arrow_logical_type(cat.type))
        add_arrow_chunk(hasher, cat)
        return hasher
    if isinstance(dtype, pd.SparseDtype):
        return pandas_column_hasher(values.to_dense())
    return arrow_column_hasher(pandas_column_to_arrow(values))


def pandas_column_hasher(values: Any, keep: list[Any] | None = None) -> ColumnHasher:
    """Hasher for the values of a pandas Series or Index (``.array`` or numpy array).

    ``keep`` receives the Arrow conversion of object and python-string columns
    (see ``hash_prepared``).
    """
    return hash_prepared(prepare_pandas_column(values), keep)


def _is_default_index(index: Any) -> bool:
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None


def _index_part(index: Any) -> bytes:
    """Encoding of a pandas index: one zero byte for the default 0..n-1 range, else every level."""
    if _is_default_index(index):
        return b"\x00"
    levels = [index.get_level_values(i) for i in range(index.nlevels)]
    parts = [b"\x01", u64(len(levels))]
    for level in levels:
        hasher = pandas_column_hasher(level.array)
        parts += [encode_name(level.name), hasher.logical_type.encode(), b"\x00", hasher.digest()]
    return b"".join(parts)


def _table_digest(family: bytes, rows: int, names: Iterable[Any], hashers: list[ColumnHasher],
                  index_part: bytes = b"\x00") -> bytes:
    parts = [ENCODING, family, b"\x00", u64(rows), u64(len(hashers))]
    for name, hasher in zip(names, hashers):
        parts += [encode_name(name), u64(len(hasher.logical_type)), hasher.logical_type.encode(), hasher.digest()]
    parts.append(index_part)
    return xxhash.xxh3_128_digest(b"".join(parts))


def _encoding(family: bytes, rows: int, names: Sequence[Any], hashers: list[ColumnHasher],
              index_part: bytes = b"\x00") -> TableEncoding:
    return TableEncoding(digest=_table_digest(family, rows, names, hashers, index_part), rows=rows,
                         names=tuple(names), types=tuple(h.logical_type for h in hashers),
                         column_digests=tuple(h.digest() for h in hashers))


def encode_pandas_frame(df: Any, column_done: Callable[[int, Any], Any] | None = None
                        ) -> tuple[TableEncoding, list[Any]]:
    """Encode a pandas DataFrame: its columns in order, then its index (if not the default range).

    ``column_done(i, arrow)`` runs right after column ``i`` is hashed (on a pool
    thread for large frames), with the Arrow array of an object or python-string
    column (``None`` for other columns); its results come back in column order.
    The profile uses it, so it overlaps with the next column's conversion.

    Large frames are pipelined: converting Python objects holds the GIL, so it
    runs here, one column after the other, and each converted column's hashing
    (xxh3, numpy and Arrow kernels, which release the GIL) and ``column_done``
    go to the pool while the next column converts. Columns with no Python
    objects go to the pool at once.
    """
    names = list(df.columns)
    arrays = [df.iloc[:, i].array for i in range(len(names))]

    def finish(i: int, prepared: Any) -> tuple[ColumnHasher, Any]:
        keep: list[Any] = []
        hasher = hash_prepared(prepared, keep)
        return hasher, (column_done(i, keep[0] if keep else None) if column_done is not None else None)

    nbytes = int(df.memory_usage(index=False, deep=False).sum())
    if not arrays or (nbytes < _PIPELINE_BYTES and (len(arrays) < 2 or nbytes < _PARALLEL_BYTES)):
        results = [finish(i, prepare_pandas_column(values)) for i, values in enumerate(arrays)]
    else:
        pool = _pool()
        futures: list[Future[tuple[ColumnHasher, Any]] | None] = [
            None if _needs_conversion(values) else pool.submit(finish, i, values) for i, values in enumerate(arrays)]
        for i, values in enumerate(arrays):
            if futures[i] is None:
                futures[i] = pool.submit(finish, i, prepare_pandas_column(values, pool))
        results = [future.result() for future in futures if future is not None]
    hashers = [hasher for hasher, _ in results]
    return _encoding(b"table", len(df), names, hashers, _index_part(df.index)), [extra for _, extra in results]


def encode_pandas_series(series: Any) -> TableEncoding:
    """Encode a pandas Series: a named column plus its index."""
    hasher = pandas_column_hasher(series.array)
    return _encoding(b"column", len(series), [series.name], [hasher], _index_part(series.index))


def encode_pandas_index(index: Any) -> TableEncoding:
    """Encode a pandas Index (each level of a MultiIndex is a column)."""
    names = [index.names[i] for i in range(index.nlevels)]
    hashers = [pandas_column_hasher(index.get_level_values(i).array) for i in range(index.nlevels)]
    if index.nlevels == 1:
        return _encoding(b"column", len(index), names, hashers)
    return _encoding(b"table", len(index), names, hashers)


def encode_arrow_table(table: pa.Table | pa.RecordBatch) -> TableEncoding:
    """Encode a pyarrow Table or RecordBatch (chunking and slicing do not matter)."""
    columns = list(table.columns)
    hashers = map_columns(arrow_column_hasher, columns, int(table.nbytes))
    return _encoding(b"table", table.num_rows, list(table.schema.names), hashers)


def encode_arrow_column(column: pa.Array | pa.ChunkedArray, name: Any = None) -> TableEncoding:
    """Encode one Arrow array or chunked array as a named column."""
    return _encoding(b"column", len(column), [name], [arrow_column_hasher(column)])
